"""The one output layer: every format a command can print, registered in `FORMATS`, safely.

A command asks `render_hits`, `render_document` or `render_stats` for a format by name; adding a format is one
`Format(...)` entry here and every command (search, similar, show, stats) offers it. Text meant for a
terminal (`text`, `line`, `csv`, `tsv`) goes through `safe()`, whatever the command and the colour setting:
document text and identifiers come from input files and the network. JSON carries the text exactly, with
control characters escaped by JSON.

Size (~430 lines): the six formats of hits, documents and counts, and the helpers every one of them shares
(what a hit says of its assembly and of what its source lacks); splitting them would split the registry.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Callable

import click

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the corpus and the engine (whoosh) are imported only when there is something to print:
    from ..corpus.model import Document  # `--help` and completion stay fast
    from .engine.core import Hit, SearchResult

from ..wording import plural
from .links import hyperlink, official_url, terminal_supports_links

#: C0 controls except newline and tab, DEL, C1 controls, and the bidirectional controls that can
#: reorder what a terminal shows (Trojan Source), plus our own highlight markers.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_KEEP_MARKS = re.compile("[\x00\x01\x04-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: Characters escaped in JSON output (the decoded value is unchanged; the raw bytes are inert).
_JSON_ESCAPE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")

#: Stable keys of a hit in --json / --jsonl output (assembly: its code; official_id: the identifier the
#: assembly publishes it under when that is not its moncode; title_derived: the titles are its first sentence).
HIT_KEYS = ("rank", "id", "moncode", "number", "title", "subject", "title_nl", "author", "minister", "portfolio",
            "legislature", "session", "type", "date_received", "date_published", "date_answered", "status",
            "score", "snippet", "url", "assembly", "official_id", "title_derived")


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
    score = None if hit.score is None else round(hit.score, 4)  # None: sorted by date, not scored
    out.update(rank=hit.rank, score=score, snippet=hit.snippet)
    explanation = getattr(hit, "explanation", None)
    if out.get("moncode") is None and out.get("official_id"):
        # The official code is what tools keyed on `moncode` (judged sets, spreadsheets) match against: for an
        # assembly without Weblex codes it is the identifier the assembly publishes (the Chamber's URI).
        out["moncode"] = out["official_id"]
    got = {k: out.get(k) for k in HIT_KEYS}
    if explanation is not None:  # search --explain: the parts of the score (search/engine/explain.py)
        got["explanation"] = explanation.to_dict()
    return got


def result_dict(result: SearchResult) -> dict:
    return {
        "query": result.query,
        "total": result.total,
        "dropped": result.dropped,
        "suggestion": result.suggestion,
        "note": result.note,
        "corrected": result.corrected,
        "understood": [r.to_dict() for r in result.understood],
        "hits": [hit_dict(h) for h in result.hits],
        **({"closest": [hit_dict(h) for h in result.closest]} if result.closest else {}),
    }


class Style:
    """Colour and bold only when wanted (a terminal, no NO_COLOR, or --color always); lines wrapped to `width`
    columns between words when the text goes to a terminal (None: as they are, for a pipe or a file)."""

    def __init__(self, enabled: bool, width: int | None = None):
        self.enabled = enabled
        self.width = width

    def wrap(self, lines: list[str], indent: int = 0) -> list[str]:
        """Each line as rows of at most `width` columns, continued under a hanging indent (search/layout.py)."""
        from .layout import wrap
        return [row for line in lines for row in wrap(line, self.width, indent)]

    def __call__(self, text: str, **kw) -> str:
        return click.style(text, **kw) if self.enabled else text

    def marked(self, text: str) -> str:
        """Snippet text with highlight markers → bold yellow (or plain)."""
        from .engine.core import MARK_END, MARK_START
        text = _UNSAFE_KEEP_MARKS.sub("", text)
        if not self.enabled:
            return text.replace(MARK_START, "").replace(MARK_END, "")
        on = click.style("", fg="yellow", bold=True, reset=False)
        return text.replace(MARK_START, on).replace(MARK_END, "\x1b[0m")


def assembly_name(code: str | None) -> str:
    """How hits and counts name an assembly ("Brussels Parliament", "Chamber"); its code when parlsearch does
    not know it (ARCCC, the Common Community Commission, whose questions the Brussels site also serves)."""
    from ..corpus.assembly import DEFAULT_ASSEMBLY, get_assembly
    try:
        return get_assembly(code or DEFAULT_ASSEMBLY).short_name
    except KeyError:
        return code or DEFAULT_ASSEMBLY


#: What the status of a document with no answer in its source reads as (corpus.assembly.UNKNOWN).
UNKNOWN_STATUS_TEXT = "no answer in the source data"
#: The mark of a title derived from the text (the source has none).
DERIVED_TITLE_MARK = "(first sentence; the source has no title)"


def title_text(doc: Document, style: Style, subject: bool = True) -> str:
    """The document's subject (or title) in bold, marked when it was derived from its first sentence."""
    title = style(safe(doc.subject or doc.title) if subject else safe(doc.title), bold=True)
    return title + (" " + style(DERIVED_TITLE_MARK, dim=True) if doc.title_derived else "")


def meta_line(doc: Document, style: Style) -> str:
    if doc.author or doc.minister:
        who = (safe(doc.author) or "?") + (" → " + safe(doc.minister) if doc.minister else "")
    else:
        who = style("no author or minister in the source data", dim=True)
    parts = [safe(assembly_name(doc.assembly)), who]
    if doc.date_received:
        parts.append("received %s" % doc.date_received.isoformat())
    if doc.date_answered:
        if doc.status == "answered":
            parts.append("answered %s" % doc.date_answered.isoformat())
        else:
            parts.append("answer dated %s (no text yet)" % doc.date_answered.isoformat())
    if not (doc.date_received or doc.date_answered or doc.date_published):
        parts.append(style("undated", dim=True) + (" (session %s)" % safe(doc.session) if doc.session else ""))
    if doc.status == "unknown":
        parts.append(style(UNKNOWN_STATUS_TEXT, dim=True))
    else:
        parts.append(style(safe(doc.status), fg="green" if doc.status == "answered" else "yellow"))
    parts.append(style(safe(doc.id), fg="cyan"))
    return " · ".join(parts)


def text_hits(result: SearchResult, style: Style, offset: int = 0, similar_to: str | None = None) -> list[str]:
    """Hits for people. `similar_to` (similar's results): a header saying what they are like, each hit's share
    of the key words it covers, and a summary counting similar questions."""
    lines = [similar_to, ""] if similar_to and result.hits else []
    for hit in result.hits:
        doc = hit.doc
        share = style("  (covers %d%% of the key words)" % round(100 * hit.score), dim=True) if similar_to else ""
        lines.append("%s %s%s" % (style("%2d." % hit.rank, dim=True), title_text(doc, style), share))
        lines.append("    " + meta_line(doc, style))
        url = official_url(doc.url)
        if url:  # the official page, a terminal hyperlink on terminals (search/links.py)
            lines.append("    " + style(hyperlink(url, enabled=style.enabled and terminal_supports_links()), dim=True))
        for snippet in hit.snippets:
            lines.append("    " + style.marked(" ".join(snippet.split())))
        if getattr(hit, "explanation", None) is not None:
            lines.extend(explanation_lines(hit.explanation, style))
        lines.append("")
    if result.closest:
        lines.append("no result — nearest:")
        for hit in result.closest:  # as --format line gives them: date, id, author → minister, subject
            lines.append("%s %s  %s" % (style("%2d." % hit.rank, dim=True), line_hit(hit, style),
                                        style("(covers %d%% of the query)" % round(100 * hit.score), dim=True)))
    if similar_to and result.hits:
        lines.append(plural(result.total, "similar question"))
    else:
        lines.append(summary_line(result, offset))
    return style.wrap(lines, indent=4)  # under the text after " 1. ", and under indented lines


def explanation_lines(explanation, style: Style) -> list[str]:
    """`search --explain` for people: the score as relevance × coverage, then each part of the relevance as an
    indented tree (a word, its fields, each field's BM25 inputs), the largest first; then each word's share of
    the coverage rule. The numbers are the ones that ranked the hit (search/engine/explain.py)."""
    e = explanation
    head = "score %.4f" % e.score
    if e.coverage is not None:
        head += " = relevance %.4f × coverage %.3f" % (e.relevance, e.coverage)
    lines = ["    " + style(head, bold=True)]

    def walk(part, depth):
        detail = ""
        d = part.detail
        if "tf" in d:
            detail = "  (weight %s, tf %g" % (_number(d["weight"]), d["tf"])
            if "idf" in d:
                detail += ", idf %.3f, length norm %.3f" % (d["idf"], d["norm"])
            detail += ")"
        lines.append("    %s%8.4f  %s%s" % ("  " * depth, part.score, safe(part.label), style(detail, dim=True)))
        for child in sorted(part.parts, key=lambda p: -p.score):
            walk(child, depth + 1)

    for part in e.parts:
        walk(part, 0)
    total = sum(w["information"] for w in e.words)
    if e.words and total > 0:
        shares = ", ".join("%s %.0f%% %s" % (safe(w["word"]), 100 * w["information"] / total,
                                              "found" if w["found"] else "missing") for w in e.words)
        lines.append("    " + style("coverage: each word's share of the query's information: " + shares, dim=True))
    return lines


def _number(x: float) -> str:
    return ("%.2f" % x).rstrip("0").rstrip(".")


def similar_header(style: Style, doc: Document | None = None, text: str | None = None) -> str:
    """What `similar`'s results are like: the document (as --format line shows it) or the start of the text."""
    if doc is not None:
        return "Similar to " + line_hit(_doc_hit(doc), style)
    words = " ".join(safe(text).split())
    return 'Similar to the text "%s"' % (words if len(words) <= 70 else words[:69].rstrip() + "…")


def summary_line(result: SearchResult, offset: int = 0) -> str:
    """'12 results (showing 3–4)'; `offset` (ranks skipped) says why nothing is shown past the last result."""
    if result.note and not result.total:
        text = "0 results: %s" % safe(result.note)
    else:
        text = plural(result.total, "result")
        if result.hits and (result.hits[0].rank > 1 or result.total > len(result.hits)):
            text += " (showing %d–%d)" % (result.hits[0].rank, result.hits[-1].rank)
        elif not result.hits and result.total and offset >= result.total:
            text += " (none shown: --offset %d is past the last one)" % offset
        elif not result.hits and result.total:
            text += " (none shown: --limit 0; --count prints the number alone)"
    if result.dropped:
        text += " (relaxed: dropped %s)" % ", ".join('"%s"' % safe(w) for w in result.dropped)
    notices = []
    if result.understood:
        notices.append("read as: " + ", ".join(reading_text(r) for r in result.understood))
    if result.corrections:  # only the words changed: a pasted paragraph is not echoed back
        notices.append("searched " + ", ".join('"%s" as "%s"' % (safe(typed), safe(searched))
                                               for typed, searched in result.corrections))
    if notices:
        text += " (%s; --exact searches the words as typed)" % "; ".join(notices)
    if result.suggestion:
        text += '. Did you mean: %s' % safe(result.suggestion)
    return text


def reading_text(reading) -> str:
    """One reading of search/understanding/understand.py for people: its meaning, or the words it ignored."""
    if reading.meaning.startswith("ignored"):
        return '"%s" %s' % (safe(reading.typed), safe(reading.meaning))
    return safe(reading.meaning)


def missing_fields(doc: Document) -> list[str]:
    """What a reader of the document would look for and its source does not give (title, author, minister,
    dates, answer), in that order: shown as missing rather than left out."""
    out = ["title"] if doc.title_derived or not doc.title else []
    out += [name for name, value in (("author", doc.author), ("minister", doc.minister),
                                     ("date received", doc.date_received)) if not value]
    if doc.status == "unknown":
        out.append("answer")
    return out


def text_document(doc: Document, style: Style) -> list[str]:
    lines = [title_text(doc, style, subject=False)]
    if doc.title_nl:
        lines.append(safe(doc.title_nl))
    lines.append(meta_line(doc, style))
    lines = style.wrap(lines)
    from ..corpus.assembly import describe_identifier
    from ..corpus.model import type_label
    from ..corpus.reader import describe_source
    parts = describe_identifier(doc.assembly, doc.official_id)
    missing = missing_fields(doc)
    facts = [("Assembly", assembly_name(doc.assembly)), ("Legislature", doc.legislature),
             ("Session", doc.session), ("Type", type_label(doc)), ("Official code", doc.moncode),
             ("Official id", doc.official_id), ("Published as", parts), ("Recipient", doc.recipient),
             ("Published", doc.date_published and doc.date_published.isoformat()), ("URL", doc.url),
             ("Report", doc.report_url), ("Source", describe_source(doc.source)),
             ("Not in source", ", ".join(missing) if missing else None)]
    for label, value in facts:
        if value not in (None, ""):
            lines += style.wrap(["%-14s %s" % (label + ":", safe(str(value)))], indent=15)  # under the value
    for label, text in (("Question", doc.question), ("Answer", doc.answer), ("Vraag", doc.question_nl),
                        ("Antwoord", doc.answer_nl)):
        if text:
            lines += ["", style(label, bold=True, underline=True)] + style.wrap(safe(text).split("\n"))
    if not doc.answer:
        lines += ["", style("(%s)" % (UNKNOWN_STATUS_TEXT if doc.status == "unknown" else "no answer yet"),
                            dim=True)]
    return lines


def text_stats(stats: dict, style: Style, top: int = 10) -> list[str]:
    lines = ["%s in %s" % (plural(stats["documents"], "document"), safe(str(stats.get("index", ""))))]
    for key, label in STATS_BREAKDOWNS:
        if key not in stats:  # a breakdown the counts do not hold (stats of an earlier version)
            continue
        rows = list(stats[key].items())
        lines += ["", style(label + ":", bold=True)]
        for name, count in rows[:top]:
            lines.append("  %6d  %s" % (count, safe(name)))
        if len(rows) > top:
            lines.append("  … %d more (--top N)" % (len(rows) - top))
    return lines


#: The breakdowns of `stats`, in display order: key in the stats dict, label.
STATS_BREAKDOWNS = (("by_status", "By status"), ("by_year", "By year (received)"),
                    ("by_minister", "By minister"), ("by_author", "By author"), ("by_assembly", "By assembly"))

#: Columns of a hit in --csv / --tsv output (one hit a row, after a header row).
CSV_COLUMNS = ("id", "moncode", "number", "date_received", "date_answered", "author", "minister", "status",
               "subject", "url", "score", "assembly", "official_id")
#: Columns of `stats` in --csv / --tsv output: which breakdown, its value, how many documents.
STATS_COLUMNS = ("breakdown", "value", "count")


def _cell(value) -> str:
    """A spreadsheet cell: text made inert (newlines kept: CSV quotes them), numbers as text, None empty."""
    if value is None:
        return ""
    return safe(value if isinstance(value, str) else str(value))


def _hit_row(hit: Hit) -> list[str]:
    d = hit_dict(hit)
    return [_cell(d[c]) for c in CSV_COLUMNS]


def csv_table(header, rows) -> str:
    """RFC 4180: comma-separated, fields with commas, quotes or newlines quoted, CRLF line ends. For any table
    a command prints (cells already made inert with `_cell`/`safe`)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def tsv_table(header, rows) -> str:
    """IANA text/tab-separated-values: no tab or line break inside a field (they become spaces)."""
    flat = re.compile("[\t\r\n]+")
    return "".join("\t".join(flat.sub(" ", c) for c in row) + "\n" for row in [list(header), *rows])


def _doc_hit(doc: Document) -> Hit:
    from .engine.core import Hit
    return Hit(1, None, doc, [])


def _stats_rows(stats: dict, top: int | None = None) -> list[list[str]]:
    rows = [["documents", "", str(stats["documents"])]]
    for key, _ in STATS_BREAKDOWNS:
        for name, count in list(stats.get(key, {}).items())[:top]:
            rows.append([key[3:], _cell(name), str(count)])
    return rows


def line_hit(hit: Hit, style: Style) -> str:
    """One hit on one line, like `git log --oneline`: date, id, author → minister, subject (a derived one
    after "(first sentence)")."""
    doc = hit.doc
    date = doc.date_received.isoformat() if doc.date_received else "----------"
    who = safe(doc.author) or "?"
    if doc.minister:
        who += " → " + safe(doc.minister)
    subject = safe(doc.subject or doc.title)
    if doc.title_derived:
        subject = style("(first sentence)", dim=True) + " " + subject
    return "%s %s %s: %s" % (style(date, dim=True), style(safe(doc.id), fg="cyan"), who, subject)


def _lines(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


@dataclass(frozen=True)
class Format:
    """One output format. Each renderer returns the whole text to print (ending with a newline)."""

    name: str
    help: str  # as search, show and similar print it (hits, documents)
    hits: Callable[..., str]  # (SearchResult, Style, offset, similar_to=…) → text; search and similar
    document: Callable[..., str]  # (Document, Style) → text; show
    stats: Callable[..., str] | None  # (stats dict, Style, top) → text; None: not offered by stats
    for_people: bool = False  # colour and pager apply
    stats_help: str = ""  # as stats prints it (counts)


#: Every format, by name: the only place formats are defined.
FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    FORMATS[fmt.name] = fmt
    return fmt


register(Format(
    "text", "for people (coloured and paged on a terminal)",
    hits=lambda result, style, offset=0, similar_to=None: _lines(text_hits(result, style, offset, similar_to)),
    document=lambda doc, style: _lines(text_document(doc, style)),
    stats=lambda stats, style, top=10: _lines(text_stats(stats, style, top)),
    for_people=True, stats_help="for people (coloured and paged on a terminal)"))
register(Format(
    "line", "one line a hit: date id author → minister: subject",
    hits=lambda result, style, offset=0, **_: _lines([line_hit(h, style) for h in result.hits]),
    document=lambda doc, style: _lines([line_hit(_doc_hit(doc), style)]),
    stats=None, for_people=True))
register(Format(
    "json", "one JSON object: the query, the total and the hits",
    hits=lambda result, style, offset=0, **_: to_json(result_dict(result)) + "\n",
    document=lambda doc, style: to_json(doc.to_dict()) + "\n",
    stats=lambda stats, style, top=None: to_json(stats) + "\n",
    stats_help="one JSON object: the total and every breakdown"))
register(Format(
    "jsonl", "one JSON object a hit, one a line",
    hits=lambda result, style, offset=0, **_: _lines([to_json(hit_dict(h)) for h in result.hits]),
    document=lambda doc, style: to_json(doc.to_dict()) + "\n",
    stats=lambda stats, style, top=None: _lines([to_json(dict(zip(STATS_COLUMNS, r[:2] + [int(r[2])])))
                                                 for r in _stats_rows(stats, top)]),
    stats_help="one JSON object a row (breakdown, value, count), one a line"))
register(Format(
    "csv", "a header row, then one hit a row; RFC 4180, UTF-8",
    hits=lambda result, style, offset=0, **_: csv_table(CSV_COLUMNS, [_hit_row(h) for h in result.hits]),
    document=lambda doc, style: csv_table(CSV_COLUMNS, [_hit_row(_doc_hit(doc))]),
    stats=lambda stats, style, top=None: csv_table(STATS_COLUMNS, _stats_rows(stats, top)),
    stats_help="a header row, then one count a row (breakdown, value, count); RFC 4180, UTF-8"))
register(Format(
    "tsv", "like csv, tab-separated; tabs and line breaks in a field become spaces",
    hits=lambda result, style, offset=0, **_: tsv_table(CSV_COLUMNS, [_hit_row(h) for h in result.hits]),
    document=lambda doc, style: tsv_table(CSV_COLUMNS, [_hit_row(_doc_hit(doc))]),
    stats=lambda stats, style, top=None: tsv_table(STATS_COLUMNS, _stats_rows(stats, top)),
    stats_help="like csv, tab-separated; tabs and line breaks in a field become spaces"))

#: Formats offered by commands that print hits or documents (search, similar, show), and by stats.
HIT_FORMATS = tuple(FORMATS)
STATS_FORMATS = tuple(name for name, f in FORMATS.items() if f.stats is not None)


def render_hits(result: SearchResult, fmt: str, style: Style, offset: int = 0, similar_to: str | None = None) -> str:
    """`similar_to`: the header of similar's results (see similar_header), for the formats that show one."""
    return FORMATS[fmt].hits(result, style, offset, similar_to=similar_to)


def stream_hits(result: SearchResult, more, fmt: str, style: Style):
    """The text `render_hits` gives for `result` followed by the hits of `more` (an iterable of lists of
    hits), piece by piece, for a machine format (not `text`): a long output never holds every document at once.

    Row formats are rendered chunk by chunk with the header (csv, tsv) kept from the first only; json writes
    the result's keys, then its hits one by one into the "hits" array — the same bytes as `render_hits`."""
    from dataclasses import replace
    if fmt == "json":
        head = result_dict(replace(result, hits=[]))
        closest = head.pop("closest", None)
        head.pop("hits")
        yield to_json(head)[:-1] + ', "hits": ['
        first = True
        for hits in [result.hits, *more]:
            for hit in hits:
                yield ("" if first else ", ") + to_json(hit_dict(hit))
                first = False
        yield "]" + (', "closest": %s' % to_json(closest) if closest else "") + "}\n"
        return
    header = FORMATS[fmt].hits(replace(result, hits=[], closest=[]), style)
    yield FORMATS[fmt].hits(result, style)
    for hits in more:
        yield FORMATS[fmt].hits(replace(result, hits=hits), style)[len(header):]


def render_document(doc: Document, fmt: str, style: Style) -> str:
    return FORMATS[fmt].document(doc, style)


def render_stats(stats: dict, fmt: str, style: Style, top: int | None = 10) -> str:
    """Text shows `top` rows per breakdown; the other formats every row unless `top` is given."""
    return FORMATS[fmt].stats(stats, style, top)
