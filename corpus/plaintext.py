"""Plain-text renderings of the Weblex question page (a copy of the page as text) → Document.

    doc = parse_text_page(text, "question-1263-cite-des-metiers.txt")

The expected layout (NBSPs and blank lines vary)::

    Logo Parlement Buxellois                       (optional, skipped)
    Question écrite concernant la Cité des métiers  (title)
    de
    Jean-Pierre Kerckhofs
    à
    Bernard Clerfayt, Ministre … (question n°1263)
    Date de réception: 23/11/2023 Date de publication: 21/12/2023
    Législature: 19/24 Session: 23/24 Date de réponse: 21/12/2023
    Date Intitulé de l'acte de Référence page      (acts table, ignored)
    Question<NBSP><NBSP> On pouvait lire …          (question body, to the answer marker)
    Réponse<NBSP><NBSP> Je vous remercie …          (answer body, to the end)

"de X" / "à Y" on one line are accepted too, and Dutch labels (van / aan / Vraag / Antwoord). The body
markers are "Question" (or "Vraag") at the start of a line followed by a NBSP, a tab, two spaces, a colon or
the end of the line - so that "Question orale transformée en …" in the acts table is not one. Dutch pages
fill the main and the *_nl fields alike (see corpus.weblex).

Text that has no question title or no question body raises PageError. Every pattern is linear-time.
"""
from __future__ import annotations

import re
import unicodedata

from .model import Document
from .text import DecodeError, PageError, clean_line, decode_bytes, normalize_newlines
from .weblex import (
    ANSWER_LABELS, AUTHOR_LABELS, META_PATTERNS, NUMBER, QUESTION_LABELS, RECIPIENT_LABELS, body_text, document_fields,
    extract_meta, find_moncode, is_dutch_title, is_title, recipient_of,
)

#: "Question<NBSP>…", "Question:", "Question  …", "Question" alone; group 1 the label, group 2 the rest.
_MARKER = re.compile(
    r"(question|r[ée]ponse|vraag|antwoord)(?= ?[\t\u00a0]| {2}|[ \t\u00a0]*:|[ \t\u00a0]*$)(.*)",
    re.IGNORECASE | re.DOTALL,
)
#: "de Jean-Pierre Kerckhofs", "à: Bernard Clerfayt, …" on one line.
_INLINE_LABEL = re.compile(r"(de|van|door|par|à|a|aan)(?:\s*:\s*|\s+)(\S.*)", re.IGNORECASE | re.DOTALL)
_LOGO = re.compile(r"logo\b", re.IGNORECASE)
_FOOTER = re.compile(r"greffe@parlement|rue du lombard 69|r[èe]gles de confidentialit[ée]", re.IGNORECASE)

#: A recipient line whose "à" label was lost: "Name, Ministre …".
_OFFICE = re.compile(
    r"[^,]{2,80}, .{0,40}\b(?:ministre|secr[ée]taire|pr[ée]sident|minister|staatssecretaris|voorzitter)",
    re.IGNORECASE)

#: How far below the title the author/recipient lines may be (lines).
_HEADER_SPAN = 12
#: A title wrapped over at most this many extra lines (accepted only when a bare "de" line follows).
_TITLE_WRAP = 3


def _marker(line: str) -> tuple[str, str] | None:
    """(normalised label, rest of the line) when the line opens a question/answer body."""
    m = _MARKER.match(line.lstrip(" \t\u00a0"))
    if not m:
        return None
    return m.group(1).lower(), m.group(2).lstrip(" \t\u00a0:")


def _find_title(header: list[str]) -> int | None:
    for i, line in enumerate(header):
        if is_title(line):
            return i
    # No recognisable prefix: the last line before a bare "de"/"van" author label.
    for i, line in enumerate(header):
        if line.lower() in AUTHOR_LABELS:
            for j in range(i - 1, -1, -1):
                if header[j] and not _LOGO.match(header[j]):
                    return j
            return None
    return None


def _title(header: list[str], title_at: int) -> tuple[str, int]:
    """(title, index of its last line): a title wrapped over a few lines, when a bare "de" line follows it."""
    for k in range(title_at + 1, min(len(header), title_at + 2 + _TITLE_WRAP)):
        line = header[k]
        if not line:
            break
        if line.lower() in AUTHOR_LABELS:
            if k > title_at + 1:
                return " ".join(header[title_at:k]), k - 1
            break
    return header[title_at], title_at


def _is_meta(line: str) -> bool:
    return any(pattern.search(line) for pattern in META_PATTERNS.values())


def _people(header: list[str], title_end: int) -> tuple[str | None, str | None]:
    """(author line, recipient line) from the lines between the title and the metadata."""
    author = recipient = None
    lines = []
    for line in header[title_end + 1:title_end + 1 + _HEADER_SPAN]:
        if _is_meta(line):
            break
        if line:
            lines.append(line)
    i = 0
    while i < len(lines):
        line, low = lines[i], lines[i].lower()
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if low in AUTHOR_LABELS and author is None and nxt:
            author, i = nxt, i + 2
            continue
        if low in RECIPIENT_LABELS and recipient is None and nxt:
            recipient, i = nxt, i + 2
            continue
        m = _INLINE_LABEL.fullmatch(line) if len(line) < 600 else None
        if m:
            label = m.group(1).lower()
            if label in AUTHOR_LABELS and author is None:
                author = m.group(2)
            elif label in RECIPIENT_LABELS and recipient is None:
                recipient = m.group(2)
        i += 1
    if recipient is None:
        # The "à" label lost in the copy: the line carrying "(question n°N)", or a "Name, Ministre …" line.
        for line in lines:
            if line != author and (NUMBER.search(line) or _OFFICE.match(line)):
                recipient = line
                break
    return author, recipient


def parse_text_page(text: str, source: str | None = None) -> Document:
    """One plain-text question page → Document. Raises PageError (one-line reason) for anything else."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = decode_bytes(bytes(text))
        except DecodeError as e:
            raise PageError(str(e)) from None
    if not isinstance(text, str) or not text.strip():
        raise PageError("empty page")
    text = unicodedata.normalize("NFC", normalize_newlines(text.lstrip("\ufeff")))
    raw_lines = text.split("\n")

    # Body markers: the first "Question" marker, then the first "Réponse" marker after it.
    question_at = answer_at = None
    question_lang = "fr"
    for i, raw in enumerate(raw_lines):
        found = _marker(raw)
        if found is None or is_title(clean_line(raw)):  # "Question\u00a0écrite concernant …" is the title
            continue
        label = found[0]
        if question_at is None and label in QUESTION_LABELS:
            question_at, question_lang = i, QUESTION_LABELS[label]
        elif question_at is not None and label in ANSWER_LABELS:
            answer_at = i
            break
    if question_at is None:
        raise PageError("no question text (no \"Question\" line)")

    header = [clean_line(line) for line in raw_lines[:question_at]]
    title_at = _find_title(header)
    if title_at is None:
        raise PageError("no question title")
    title, title_end = _title(header, title_at)

    def body(start, end):
        first = _marker(raw_lines[start])[1]
        rest = raw_lines[start + 1:end]
        while rest and _FOOTER.search(rest[-1] or "") or rest and not rest[-1].strip():
            rest.pop()
        return body_text("\n".join([first] + rest))

    question = body(question_at, answer_at if answer_at is not None else len(raw_lines))
    if not question:
        raise PageError("no question text (empty \"Question\" body)")
    answer = body(answer_at, len(raw_lines)) if answer_at is not None else None

    author, recipient_line = _people(header, title_end)
    recipient = number = None
    if recipient_line:
        recipient, number = recipient_of(recipient_line)
    meta = extract_meta("\n".join(header[title_end + 1:]))
    lang = "nl" if question_lang == "nl" or is_dutch_title(title) else "fr"
    moncode, base = find_moncode(text, source)
    fields = document_fields(
        lang=lang, title=title, question=question, answer=answer, moncode=moncode, base=base,
        author=author, recipient=recipient, number=number, source=source, **meta,
    )
    try:
        return Document.create(**fields)
    except (TypeError, ValueError) as e:  # pragma: no cover - fields are already validated
        raise PageError("unusable page: %s" % e) from None
