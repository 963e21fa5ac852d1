"""The official Weblex question page (parlement.brussels/weblex-quest-det/?moncode=N&base=B) → Document.

    doc = parse_page(html_text, "weblex-quest-det-167744.html")

The page holds one ``<section id="weblex-quest-det-fr">`` (or ``-nl``) with an ``<h3>`` title, a ``<dl>``
giving the author ("de") and the recipient ("à": ``<b>Name</b>, portfolio (question n°N)``), a table of
dates / legislature / session, a table of parliamentary acts, and a table whose "Question" and "Réponse"
label cells are followed by the body cells.

Why no html.parser.HTMLParser: on Python 3.11 its tolerant start-tag scanner is quadratic on hostile input
(40 KB of ``"<a "`` takes ~13 s, 1 MB would take hours). The page is read instead with a small tokenizer
below that only ever moves forward (each ``str.find`` consumes what it scans; an unterminated tag, comment
or script ends the document, as in a browser), so it is linear in the input size. Entities are decoded with
html.unescape. A ``>`` inside a quoted attribute value ends the tag early; the pages never do that inside
the question section, and the worst outcome is some attribute text shown as text.

Dutch pages (``weblex-quest-det-nl``, labels van / aan / Vraag / Antwoord / Datum ontvangst…) are read too.
A Document needs ``title`` and ``question``, so a Dutch-only page fills both the main fields (title, question,
answer) *and* the ``*_nl`` fields with the Dutch text, with ``language="nl"``. A page carrying both sections
gives the French text in the main fields and the Dutch text in the ``*_nl`` fields.

Size (~520 lines): the page's tokenizer, its section reader and the field extraction are one format and
change together when the Parliament changes its page; split apart they would share private state.
"""
from __future__ import annotations

import html
import os
import re
from typing import Iterator

from .brussels import ANY_TITLE as _ANY_TITLE
from .brussels import DUTCH_TITLE as _DUTCH_TITLE
from .brussels import LANGS, PAGE_PATH, SITE
from .brussels import TITLE_TYPES as _TYPE_PREFIXES
from .model import Document, parse_date
from .text import DecodeError, PageError, clean_line, clean_text, decode_bytes

PAGE_URL = SITE + PAGE_PATH

# --------------------------------------------------------------------------------------------------------
# Shared with the plain-text reader (corpus.plaintext): labels, types, numbers, moncode.
# Every pattern is a plain sequence of single quantifiers on disjoint classes, or bounded: linear time.

_DATE = r"(\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{4})"
_PAIR = r"(\d{2}(?:\d{2})?\s*[/\-]\s*\d{2}(?:\d{2})?)"

#: Metadata label → value pattern, French and Dutch labels alike.
META_PATTERNS = {
    "date_received": re.compile(
        r"(?:date\s+de\s+r[ée]ception|datum\s+(?:van\s+)?ontvangst)\s*:\s*" + _DATE, re.IGNORECASE),
    "date_published": re.compile(
        r"(?:date\s+de\s+publication|datum\s+(?:van\s+)?(?:publicatie|bekendmaking))\s*:\s*" + _DATE,
        re.IGNORECASE),
    "date_answered": re.compile(
        r"(?:date\s+de\s+r[ée]ponse|datum\s+(?:van\s+)?(?:het\s+)?antwoord)\s*:\s*" + _DATE, re.IGNORECASE),
    "legislature": re.compile(r"(?:l[ée]gislature|zittingsperiode|legislatuur)\s*:\s*" + _PAIR, re.IGNORECASE),
    "session": re.compile(r"\b(?:session|zitting)\s*:\s*" + _PAIR, re.IGNORECASE),
}

#: "(question n°161)", "(vraag nr. 161)", "(question n° 161)".
NUMBER = re.compile(
    r"\(\s*(?:question|vraag)\s*(?:(?:n\s*°|n[or]?\s*\.|n[or]|num[ée]ro|nummer)\s*)?(\d{1,7})\s*\)", re.IGNORECASE)

QUESTION_LABELS = {"question": "fr", "vraag": "nl"}
ANSWER_LABELS = {"réponse": "fr", "reponse": "fr", "antwoord": "nl"}
AUTHOR_LABELS = {"de", "van", "door", "par"}
RECIPIENT_LABELS = {"à", "a", "aan"}

_MONCODE = re.compile(r"[?&;]moncode=(\d{1,12})", re.IGNORECASE)
_BASE = re.compile(r"[?&;]base=(\d{1,4})", re.IGNORECASE)
_FILE_MONCODE = re.compile(r"weblex-quest-det-(\d{1,12})(?!\d)", re.IGNORECASE)
_URL_STOP = re.compile(r"[\"'<>\s]")


def title_type(title: str | None) -> str:
    """The document type named by the title prefix ("Question écrite concernant …" → written_question)."""
    title = (title or "").lstrip()
    for pattern, type_ in _TYPE_PREFIXES:
        if pattern.match(title):
            return type_
    return "written_question"


def is_title(line: str) -> bool:
    """Does this line start like a question title ("Question écrite …", "Schriftelijke vraag …")?"""
    return bool(_ANY_TITLE.match(line.lstrip()))


def is_dutch_title(title: str | None) -> bool:
    return bool(_DUTCH_TITLE.match((title or "").lstrip()))


def safe_date(value):
    """parse_date, but None for an impossible or unreadable date (a page has no channel for warnings)."""
    try:
        return parse_date("".join(value.split()) if isinstance(value, str) else value)
    except ValueError:
        return None


def extract_meta(text: str) -> dict:
    """Dates, legislature and session from the labelled metadata block of a page (rendered as text)."""
    out = {}
    for name, pattern in META_PATTERNS.items():
        m = pattern.search(text)
        if not m:
            continue
        value = m.group(1)
        if name.startswith("date_"):
            value = safe_date(value)
            if value is None:
                continue
        else:
            value = "".join(value.split())
        out[name] = value
    return out


def split_number(text: str) -> tuple[str, int | None]:
    """"Name, portfolio (question n°161)" → ("Name, portfolio", 161)."""
    m = None
    for m in NUMBER.finditer(text):
        pass
    if m is None:
        return text.strip(), None
    return (text[:m.start()] + text[m.end():]).strip(), int(m.group(1))


def recipient_of(text: str, name: str | None = None) -> tuple[str | None, int | None]:
    """The recipient cell/line → ("Name - portfolio", number), the form the JSON corpus uses."""
    text, number = split_number(clean_line(text))
    name = clean_line(name) if name else ""
    if name and text.startswith(name):
        portfolio = text[len(name):]
    else:
        name, portfolio = text, ""
        for sep in (" - ", " – ", ", "):
            if sep in text:
                name, portfolio = text.split(sep, 1)
                break
    portfolio = portfolio.strip().lstrip(",;:-–").strip()
    name = name.strip().rstrip(",;:-–").strip()
    if not name:
        return None, number
    return ("%s - %s" % (name, portfolio) if portfolio else name), number


def find_moncode(text: str, source: str | None) -> tuple[str | None, int]:
    """(moncode, base) from the first page URL naming a moncode, else from a weblex-quest-det-N file name."""
    m = _MONCODE.search(text)
    if m:
        # The URL around the match: back to the previous quote/space, forward to the next one (bounded).
        lo = max(0, m.start() - 300)
        before = text[lo:m.start()]
        cut = None
        for cut in _URL_STOP.finditer(before):
            pass
        start = lo + cut.end() if cut else lo
        after = _URL_STOP.search(text, m.end(), m.end() + 300)
        url = text[start:after.start() if after else m.end() + 300]
        url = url.replace("&#038;", "&").replace("&#38;", "&").replace("&amp;", "&")
        b = _BASE.search(url)
        return m.group(1), int(b.group(1)) if b else 1
    if source:
        f = _FILE_MONCODE.search(os.path.basename(str(source)))
        if f:
            return f.group(1), 1
    return None, 1


def body_text(text: str | None) -> str | None:
    """A question or answer body: clean_text, one line per paragraph/item, no blank lines (as the corpus)."""
    text = clean_text(text)
    lines = [line for line in text.split("\n") if line]
    return "\n".join(lines) or None


def document_fields(*, lang: str, title: str, question: str, answer: str | None, nl: dict | None = None,
                    **fields) -> dict:
    """Arrange the main and *_nl fields for Document.create (see the module docstring for the NL choice)."""
    fields.update(title=title, question=question, answer=answer, language=lang, type=title_type(title))
    if lang == "nl":
        fields.update(title_nl=title, question_nl=question, answer_nl=answer)
    elif nl:
        fields.update(title_nl=nl.get("title"), question_nl=nl.get("question"), answer_nl=nl.get("answer"))
    moncode = fields.get("moncode")
    if moncode and not fields.get("url"):
        fields["url"] = PAGE_URL % (moncode, fields.get("base") or 1)
    return fields


# --------------------------------------------------------------------------------------------------------
# Linear HTML tokenizer.

START, END, TEXT = "start", "end", "text"

_TAG_LIKE = re.compile(r"<[A-Za-z!?/]")  # a "<" followed by anything else is text
_TAG_OPEN = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:_-]{0,63})")
_RAW_TEXT = ("script", "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes")
_RAW_END = {name: re.compile(r"</%s" % name, re.IGNORECASE) for name in _RAW_TEXT}
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")


def tokens(text: str, pos: int = 0, spans: bool = False) -> Iterator[tuple]:
    """(START, name, attribute text) / (END, name) / (TEXT, raw text: see render_text) in document order.

    With `spans`, tags also carry their offsets: (START, name, attrs, start, end) / (END, name, start, end).
    Linear: the scan position only moves forward, and an unterminated construct ends the document.
    """
    n = len(text)
    find = text.find
    next_tag = _TAG_LIKE.search
    tstart = pos
    while True:
        tag = next_tag(text, pos)
        if tag is None:
            break
        lt = tag.start()
        nxt = text[lt + 1:lt + 2]
        if nxt == "!" or nxt == "?":
            if text.startswith("<!--", lt):
                end = find("-->", lt + 4)
                after = end + 3
            else:
                end = find(">", lt + 2)
                after = end + 1
            if lt > tstart:
                yield TEXT, text[tstart:lt]
            if end < 0:
                return
            pos = tstart = after
            continue
        m = _TAG_OPEN.match(text, lt)
        if not m:
            pos = lt + 1  # "</" not followed by a name: text
            continue
        if lt > tstart:
            yield TEXT, text[tstart:lt]
        gt = find(">", m.end())
        if gt < 0:
            return
        name = m.group(2).lower()
        pos = tstart = gt + 1
        if m.group(1):
            yield (END, name, lt, gt + 1) if spans else (END, name)
            continue
        attrs = text[m.end():gt]
        yield (START, name, attrs, lt, gt + 1) if spans else (START, name, attrs)
        if name in _RAW_END and not attrs.endswith("/"):
            raw_end = _RAW_END[name].search(text, pos)
            if raw_end is None:
                return
            pos = tstart = raw_end.start()  # the loop then reads the end tag itself
    if tstart < n:
        yield TEXT, text[tstart:]


def render_text(raw: str) -> str:
    """Text node → displayed text: entities decoded, runs of HTML white space as one space (NBSP kept)."""
    return _HTML_SPACE.sub(" ", html.unescape(raw))


# --------------------------------------------------------------------------------------------------------
# The question section.

_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "tbody", "thead", "tfoot", "h1", "h2", "h3", "h4", "h5",
    "h6", "dl", "dt", "dd", "section", "blockquote", "hr", "pre", "address", "article", "aside", "header",
    "footer", "figure", "figcaption", "caption", "center", "nav", "main", "form", "fieldset",
}
_CELL = {"td", "th"}
_MAX_LABEL = 80  # longest raw label cell ("<b>Question &nbsp;&nbsp;</b>" renders to ~12 characters)
_BOLD = {"b", "strong"}
_SECTION_ID_ANYCASE = re.compile(r"weblex-quest-det-(?:fr|nl)", re.IGNORECASE)
_SECTION_ID = re.compile(r"""\bid\s*=\s*(?:["']\s*)?weblex-quest-det-(fr|nl)\b""", re.IGNORECASE)


class _Section:
    """The rendered text of one question section, with the offsets of its title, dl pairs and table cells."""

    def __init__(self, lang: str):
        self.lang = lang
        self.parts: list[str] = []
        self.pos = 0
        self.title: tuple | None = None
        self._h3: int | None = None
        self.pairs: list[dict] = []   # {"label": (s, e) | None, "value": [s, e], "bold": (s, e) | None}
        self._dt: int | None = None
        self._dt_span: tuple | None = None
        self._dd: dict | None = None
        self._bold: int | None = None
        self.cells: list[list] = []   # [depth, start, end, next cell at the same depth]
        self._open_cells: dict[int, list] = {}
        self._last_cell: dict[int, list] = {}
        self.depth = 0

    # -- building ---------------------------------------------------------------------------------------
    def _emit(self, s: str) -> None:
        if s:
            self.parts.append(s)
            self.pos += len(s)

    def _close_cell(self, depth: int) -> None:
        cell = self._open_cells.pop(depth, None)
        if cell is not None:
            cell[2] = self.pos

    def _close_dt(self) -> None:
        if self._dt is not None:
            self._dt_span = (self._dt, self.pos)
            self._dt = None

    def _close_dd(self) -> None:
        if self._dd is not None:
            self._dd["value"][1] = self.pos
            self._dd = None
            self._bold = None

    def feed(self, tok: tuple) -> None:
        kind, name = tok[0], tok[1]
        if kind == TEXT:
            self._emit(render_text(name))
            return
        if kind == START:
            if name in _BLOCK:
                self._emit("\n")
            if name == "h3" and self.title is None and self._h3 is None:
                self._h3 = self.pos
            elif name == "dt":
                self._close_dd()
                self._close_dt()
                self._dt = self.pos
            elif name == "dd":
                self._close_dt()
                self._close_dd()
                self._dd = {"label": self._dt_span, "value": [self.pos, self.pos], "bold": None}
                self._dt_span = None
                self.pairs.append(self._dd)
            elif name in _BOLD and self._dd is not None and self._dd["bold"] is None and self._bold is None:
                self._bold = self.pos
            elif name == "table":
                self.depth += 1
            elif name in _CELL:
                self._emit(" ")
                self._close_cell(self.depth)
                cell = [self.depth, self.pos, None, None]
                previous = self._last_cell.get(self.depth)
                if previous is not None:
                    previous[3] = cell
                self.cells.append(cell)
                self._open_cells[self.depth] = cell
                self._last_cell[self.depth] = cell
            return
        # END
        if name == "h3" and self._h3 is not None:
            self.title = (self._h3, self.pos)
            self._h3 = None
        elif name == "dt":
            self._close_dt()
        elif name == "dd":
            self._close_dd()
        elif name == "dl":
            self._close_dt()
            self._close_dd()
            self._dt_span = None
        elif name in _BOLD and self._bold is not None and self._dd is not None:
            self._dd["bold"] = (self._bold, self.pos)
            self._bold = None
        elif name in _CELL or name == "tr":
            self._close_cell(self.depth)
        elif name == "table":
            self._close_cell(self.depth)
            self.depth = max(0, self.depth - 1)
        if name in _BLOCK and name != "br":
            self._emit("\n")

    def finish(self) -> dict:
        """The extracted (still raw-text) fields of this section."""
        if self._h3 is not None and self.title is None:
            self.title = (self._h3, self.pos)
        self._close_dd()
        for depth in list(self._open_cells):
            self._close_cell(depth)
        full = "".join(self.parts)

        def span(s):
            return full[s[0]:s[1]] if s else ""

        out = {"lang": self.lang, "title": clean_line(span(self.title)) if self.title else ""}
        # Question / answer: the cell after a "Question" / "Réponse" label cell at the same table depth.
        question_at = None
        for depth, start, end, body in self.cells:
            if end - start > _MAX_LABEL or body is None:  # (cells of nested tables overlap: keep this O(1))
                continue
            label = clean_line(full[start:end]).lower().rstrip(" :")
            if question_at is None and label in QUESTION_LABELS:
                question_at = start
                out["question"] = body_text(full[body[1]:body[2]])
            elif question_at is not None and label in ANSWER_LABELS:
                out["answer"] = body_text(full[body[1]:body[2]])
                break
        head = full[:question_at] if question_at is not None else full
        out.update(extract_meta(head))
        # Author and recipient from the dl pairs.
        author = recipient = None
        unlabelled = []
        for pair in self.pairs:
            label = clean_line(span(pair["label"])).lower().rstrip(" :") if pair["label"] else ""
            value = span(pair["value"])
            if label in AUTHOR_LABELS and author is None:
                author = value
            elif label in RECIPIENT_LABELS and recipient is None:
                recipient = (value, span(pair["bold"]) if pair["bold"] else None)
            elif not label:
                unlabelled.append((value, span(pair["bold"]) if pair["bold"] else None))
        if author is None and unlabelled:
            author = unlabelled.pop(0)[0]
        if recipient is None and unlabelled:
            recipient = unlabelled.pop(0)
        out["author"] = (clean_line(author) or None) if author else None
        if recipient:
            out["recipient"], out["number"] = recipient_of(*recipient)
        if out.get("number") is None:
            _, out["number"] = split_number(clean_line(head[:2000]))
        return out


def _sections(text: str, lang: str | None) -> dict[str, dict]:
    if not _SECTION_ID_ANYCASE.search(text):  # cheap precheck, linear
        return {}
    found: dict[str, dict] = {}
    current = None
    nesting = 0
    for tok in tokens(text):
        if current is None:
            if tok[0] == START and tok[1] == "section":
                m = _SECTION_ID.search(tok[2])
                if m and (lang is None or m.group(1).lower() == lang) and m.group(1).lower() not in found:
                    current, nesting = _Section(m.group(1).lower()), 1
            continue
        if tok[1] == "section" and tok[0] != TEXT:
            nesting += 1 if tok[0] == START else -1
            if nesting == 0:
                found[current.lang] = current.finish()
                current = None
                if lang is not None or len(found) == len(LANGS):
                    break
                continue
        current.feed(tok)
    if current is not None:
        found[current.lang] = current.finish()
    return found


def section_span(text: str, lang: str | None = None) -> tuple[int, int, str] | None:
    """(start, end, lang) of the raw question section in `text`: `lang`'s when there is one, else the first.

    The same tokenizer and section rule as the page reader (a section inside a comment or a script is not
    one); an unclosed section ends with the text. The cache store splices sections with these offsets.
    """
    if not _SECTION_ID_ANYCASE.search(text):  # cheap precheck, linear
        return None
    first = chosen = None
    nesting = 0
    for tok in tokens(text, spans=True):
        if chosen is None:
            if tok[0] == START and tok[1] == "section":
                m = _SECTION_ID.search(tok[2])
                if m:
                    found = (tok[3], m.group(1).lower())
                    first = first or found
                    if lang is None or found[1] == lang:
                        chosen, nesting = found, 1
            continue
        if tok[0] != TEXT and tok[1] == "section":
            nesting += 1 if tok[0] == START else -1
            if nesting == 0:
                return chosen[0], tok[-1], chosen[1]
    if chosen is not None:
        return chosen[0], len(text), chosen[1]
    return section_span(text, first[1]) if first is not None else None


def parse_page(text: str, source: str | None = None, lang: str | None = None) -> Document:
    """One Weblex question page → Document. Raises PageError (one-line reason) for anything else.

    `lang` picks the section ("fr" or "nl"); by default the French one, else the Dutch one.
    """
    if isinstance(text, (bytes, bytearray)):
        try:
            text = decode_bytes(bytes(text))
        except DecodeError as e:
            raise PageError(str(e)) from None
    if lang is not None:
        lang = lang.lower()
        if lang not in LANGS:
            raise ValueError("lang must be one of %s" % (LANGS,))
    if not isinstance(text, str) or not text.strip():
        raise PageError("empty page")
    text = text.lstrip("\ufeff")
    found = _sections(text, lang)
    if not found:
        raise PageError("no weblex-quest-det-%s section" % (lang or "fr"))
    main_lang = lang or ("fr" if "fr" in found else "nl")
    main = found[main_lang]
    if not main["title"]:
        raise PageError("no question title in the weblex-quest-det-%s section" % main_lang)
    if not main.get("question"):
        raise PageError("no question text in the weblex-quest-det-%s section" % main_lang)
    if main_lang == "fr" and is_dutch_title(main["title"]):
        main_lang = "nl"  # a Dutch text in the "fr" section: say what it is
    nl = found.get("nl") if main_lang == "fr" else None
    if nl and not nl["title"]:
        nl = None
    moncode, base = find_moncode(text, source)
    fields = document_fields(
        lang=main_lang, title=main["title"], question=main["question"], answer=main.get("answer"), nl=nl,
        moncode=moncode, base=base, author=main.get("author"), recipient=main.get("recipient"),
        number=main.get("number"), legislature=main.get("legislature"), session=main.get("session"),
        date_received=main.get("date_received"), date_published=main.get("date_published"),
        date_answered=main.get("date_answered"), source=source,
    )
    try:
        return Document.create(**fields)
    except (TypeError, ValueError) as e:  # pragma: no cover - fields are already validated
        raise PageError("unusable page: %s" % e) from None
