"""Rendering results for people (terminal) and programs (JSON), safely."""
from __future__ import annotations

import json
import re

import click

from ..corpus.model import Document

from .engine import MARK_END, MARK_START, Hit, SearchResult

#: C0 controls except newline and tab, DEL, C1 controls, and the bidirectional controls that can
#: reorder what a terminal shows (Trojan Source), plus our own highlight markers.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_KEEP_MARKS = re.compile("[\x00\x01\x04-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: Characters escaped in JSON output (the decoded value is unchanged; the raw bytes are inert).
_JSON_ESCAPE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")

#: Stable keys of a hit in --json / --jsonl output.
HIT_KEYS = ("rank", "id", "moncode", "number", "title", "subject", "title_nl", "author", "minister", "portfolio",
            "legislature", "session", "type", "date_received", "date_published", "date_answered", "status",
            "score", "snippet", "url")


def safe(text: str | None) -> str:
    """Document text made inert for a terminal: control, escape and bidi-override characters removed,
    tabs as spaces."""
    if not text:
        return ""
    return _UNSAFE.sub("", text.replace("\t", " "))


def to_json(obj) -> str:
    text = json.dumps(obj, ensure_ascii=False)
    return _JSON_ESCAPE.sub(lambda m: "\\u%04x" % ord(m.group()), text)


def hit_dict(hit: Hit) -> dict:
    doc = hit.doc
    d = doc.to_dict()
    out = {k: d.get(k) for k in HIT_KEYS if k in d}
    out.update(rank=hit.rank, score=round(hit.score, 4), snippet=hit.snippet)
    return {k: out.get(k) for k in HIT_KEYS}


def result_dict(result: SearchResult) -> dict:
    return {
        "query": result.query,
        "total": result.total,
        "dropped": result.dropped,
        "suggestion": result.suggestion,
        "note": result.note,
        "corrected": result.corrected,
        "hits": [hit_dict(h) for h in result.hits],
        **({"closest": [hit_dict(h) for h in result.closest]} if result.closest else {}),
    }


class Style:
    """Colour and bold only when wanted (a terminal, no NO_COLOR, or --color always)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, text: str, **kw) -> str:
        return click.style(text, **kw) if self.enabled else text

    def marked(self, text: str) -> str:
        """Snippet text with highlight markers → bold yellow (or plain)."""
        text = _UNSAFE_KEEP_MARKS.sub("", text)
        if not self.enabled:
            return text.replace(MARK_START, "").replace(MARK_END, "")
        on = click.style("", fg="yellow", bold=True, reset=False)
        return text.replace(MARK_START, on).replace(MARK_END, "\x1b[0m")


def meta_line(doc: Document, style: Style) -> str:
    who = safe(doc.author) or "?"
    if doc.minister:
        who += " → " + safe(doc.minister)
    parts = [who]
    if doc.date_received:
        parts.append("received %s" % doc.date_received.isoformat())
    if doc.date_answered:
        if doc.status == "answered":
            parts.append("answered %s" % doc.date_answered.isoformat())
        else:
            parts.append("answer dated %s (no text yet)" % doc.date_answered.isoformat())
    parts.append(style(doc.status, fg="green" if doc.status == "answered" else "yellow"))
    parts.append(style(doc.id, fg="cyan"))
    return " · ".join(parts)


def render_hits(result: SearchResult, style: Style) -> list[str]:
    lines = []
    for hit in result.hits:
        doc = hit.doc
        lines.append("%s %s" % (style("%2d." % hit.rank, dim=True), style(safe(doc.subject or doc.title), bold=True)))
        lines.append("    " + meta_line(doc, style))
        for snippet in hit.snippets:
            lines.append("    " + style.marked(" ".join(snippet.split())))
        lines.append("")
    if result.closest:
        lines.append("no result; closest:")
        for hit in result.closest:
            lines.append("%s %s  %s" % (style("%2d." % hit.rank, dim=True), safe(hit.doc.subject or hit.doc.title),
                                        style("(covers %d%% of the query)" % round(100 * hit.score), dim=True)))
    lines.append(summary_line(result))
    return lines


def summary_line(result: SearchResult) -> str:
    if result.note and not result.total:
        text = "0 results: %s" % result.note
    else:
        text = "%d result%s" % (result.total, "" if result.total == 1 else "s")
        if result.hits and (result.hits[0].rank > 1 or result.total > len(result.hits)):
            text += " (showing %d–%d)" % (result.hits[0].rank, result.hits[-1].rank)
    if result.dropped:
        text += " (relaxed: dropped %s)" % ", ".join('"%s"' % safe(w) for w in result.dropped)
    if result.suggestion:
        text += '. Did you mean: %s' % safe(result.suggestion)
    return text


def render_document(doc: Document, style: Style) -> list[str]:
    lines = [style(safe(doc.title), bold=True)]
    if doc.title_nl:
        lines.append(safe(doc.title_nl))
    lines.append(meta_line(doc, style))
    facts = [("Legislature", doc.legislature), ("Session", doc.session), ("Number", doc.number),
             ("Type", doc.type), ("Official code", doc.moncode), ("Recipient", doc.recipient),
             ("Published", doc.date_published and doc.date_published.isoformat()), ("URL", doc.url),
             ("Report", doc.report_url), ("Source", doc.source)]
    for label, value in facts:
        if value not in (None, ""):
            lines.append("%-14s %s" % (label + ":", safe(str(value))))
    for label, text in (("Question", doc.question), ("Answer", doc.answer), ("Vraag", doc.question_nl),
                        ("Antwoord", doc.answer_nl)):
        if text:
            lines += ["", style(label, bold=True, underline=True), safe(text)]
    if not doc.answer:
        lines += ["", style("(no answer yet)", dim=True)]
    return lines
