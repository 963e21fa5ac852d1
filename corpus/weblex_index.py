"""The official Weblex index of one legislature (``dos_qu_legis_24-29.json``) → rows and documents.

The Parliament's site lists every question of a legislature in one JSON file, ``{"data": [row, …]}``,
each row a positional array of 16 HTML-escaped strings:

    [0] assembly (PRB, ARCCC)   [1] BHP / VVGGC              [2] link to the French page   [3] Dutch page
    [4] legislature ("24/29")   [5] reception date dd/mm/yyyy [6]/[7] type FR/NL           [8]/[9] title FR/NL
    [10] author                 [11]/[12] recipient FR/NL     [13]/[14] link to the printed report FR/NL or ""
    [15] type code (1 written, 2 oral, 3 topical, 5 request for explanation, as observed)

Every row becomes a document, also when its page has no text (oral questions, interpellations, answered in
the printed report): such a document carries the titles, author, recipient, dates, type and report link, so
it is found by title, author and minister.

Fallback body: a row has no question text, and a Document needs one. A row document's ``question`` is its
French title (without the "Question orale concernant" boilerplate: the subject), and its ``answer`` stays
empty, so its status is "unanswered" — a row never claims an answer it does not hold. The id is
``PRB-<base>-<moncode>`` taken from the page link, the id of the page and corpus readings of the same
question, so that the reader's Deduplicator merges them: the page reading (real text, answer, dates) wins,
and the row fills its gaps (Dutch title, report link).
"""
from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

from ..wording import plural
from . import brussels
from .brussels import LISTING_TYPE_CODES, SITE
from .model import (Document, IdentifierError, check_identifier, normalize_legislature, normalize_type, parse_date,
                    strict_number, subject_of)
from .text import clean_line

ROW_LENGTH = 16

#: The official site, used for the ``url`` of row documents (the canonical French page of the question).
OFFICIAL_SITE = SITE

#: Type code (column 15) → document type, used when the French type label is not one we know.
TYPE_CODES = LISTING_TYPE_CODES

_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]*>")  # not <[^>]*>: quadratic on many "<" without ">"


class RowError(ValueError):
    """An index row that cannot be read (wrong shape, no page link, no title)."""


@dataclass(frozen=True)
class IndexRow:
    """One row of the Weblex index, unescaped and named."""

    assembly: str
    moncode: str
    base: int
    link_fr: str
    link_nl: str
    legislature: str | None
    date_received: str  # ISO date, or "" when missing/unparseable
    type: str
    type_fr: str
    type_nl: str
    title: str
    title_nl: str
    author: str
    recipient: str
    recipient_nl: str
    report_url: str
    report_url_nl: str
    report_label: str
    type_code: str
    signature: str  # hash of the raw row: changes whenever the site changes anything in it

    @property
    def key(self) -> str:
        """``<base>-<moncode>``: the cache name of this question's pages."""
        return "%d-%s" % (self.base, self.moncode)

    @property
    def doc_id(self) -> str:
        return "%s-%d-%s" % (brussels.CODE, self.base, self.moncode)

    def page_path(self, lang: str = "fr") -> str:
        """Site-relative path of the question's page in one language."""
        return brussels.page_path(self, lang)

    def page_url(self, lang: str = "fr", site: str = OFFICIAL_SITE) -> str:
        return site.rstrip("/") + self.page_path(lang)


def _looks_like_row(row) -> bool:
    return isinstance(row, list) and len(row) >= ROW_LENGTH and all(isinstance(c, str) for c in row[:ROW_LENGTH])


def is_index(obj) -> bool:
    """Whether a parsed JSON value is a Weblex index: ``{"data": [[16 strings], …]}``.

    Decided on the first rows, so that one malformed row further down is reported as a problem of that
    row instead of making the whole file unreadable.
    """
    if not isinstance(obj, dict):
        return False
    data = obj.get("data")
    if data == [] and set(obj) <= {"data", "note"}:
        return True  # the index of a legislature without questions yet
    if not isinstance(data, list) or not data:
        return False
    head = [r for r in data[:20] if isinstance(r, list)]
    return bool(head) and any(_looks_like_row(r) for r in head) and any(
        "moncode" in r[2] for r in head if _looks_like_row(r))


def _text(value: str) -> str:
    """An HTML-escaped cell → plain text on one line."""
    return clean_line(_TAG.sub(" ", html.unescape(value or "")))


def _href(cell: str) -> str:
    """The first link target in a cell (``<a href="…">…</a>``), unescaped; "" when there is none."""
    m = _HREF.search(cell or "")
    if not m:
        return ""
    return html.unescape(next(g for g in m.groups() if g is not None)).strip()


def _page_ref(link: str) -> tuple[str, int] | None:
    """(moncode, base) from a page link ``/weblex-quest-det/?moncode=N&montitre=&base=B``."""
    if not link:
        return None
    query = parse_qs(urlsplit(link).query)
    moncode = (query.get("moncode") or [""])[0].strip()
    if not moncode:
        return None
    base = (query.get("base") or [""])[0].strip()
    try:  # ASCII digits of bounded length only: "²" or 5,000 digits reject the row, not the file
        return str(strict_number(moncode, "moncode")), strict_number(base, "base") if base else 1
    except IdentifierError as e:
        raise RowError(str(e)) from None


def row_signature(row) -> str:
    """A stable hash of a raw row, to notice when the site changes it (new report link, corrected title)."""
    raw = json.dumps(row, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def parse_row(row) -> IndexRow:
    """One raw index row → IndexRow. Raises RowError when it has no usable page link or title."""
    if not isinstance(row, list):
        raise RowError("row is a %s, not an array" % type(row).__name__)
    if len(row) < ROW_LENGTH:
        raise RowError("row has %s, expected %d" % (plural(len(row), "column"), ROW_LENGTH))
    if not all(isinstance(c, str) for c in row[:ROW_LENGTH]):
        raise RowError("row has non-text columns")
    link_fr, link_nl = _href(row[2]), _href(row[3])
    ref = _page_ref(link_fr) or _page_ref(link_nl)
    if ref is None:
        raise RowError("row has no page link with a moncode")
    moncode, base = ref
    try:
        assembly = check_identifier(_text(row[0]).upper(), "assembly") or "PRB"
        legislature = check_identifier(normalize_legislature(_text(row[4])), "legislature")
    except IdentifierError as e:
        raise RowError("row %s: %s" % (moncode, e)) from None
    title, title_nl = _text(row[8]), _text(row[9])
    if not title and not title_nl:
        raise RowError("row %s has no title" % moncode)
    date_received = ""
    try:
        date = parse_date(_text(row[5]))
        date_received = date.isoformat() if date else ""
    except ValueError:
        pass
    type_fr, type_nl, code = _text(row[6]), _text(row[7]), _text(row[15])
    type_ = normalize_type(type_fr) if type_fr else ""
    if type_ not in TYPE_CODES.values():
        type_ = TYPE_CODES.get(code) or normalize_type(type_fr or None)
    report_url, report_url_nl = _href(row[13]), _href(row[14])
    return IndexRow(
        assembly=assembly,
        moncode=moncode,
        base=base,
        link_fr=link_fr,
        link_nl=link_nl,
        legislature=legislature,
        date_received=date_received,
        type=type_,
        type_fr=type_fr,
        type_nl=type_nl,
        title=title,
        title_nl=title_nl,
        author=_text(row[10]),
        recipient=_text(row[11]),
        recipient_nl=_text(row[12]),
        report_url=report_url,
        report_url_nl=report_url_nl,
        report_label=_text(row[13]) or _text(row[14]),
        type_code=code,
        signature=row_signature(row),
    )


def iter_rows(obj) -> Iterator[tuple[int, IndexRow | RowError]]:
    """(row number from 1, IndexRow or RowError) for every row of a parsed index."""
    data = obj.get("data") if isinstance(obj, dict) else None
    if not isinstance(data, list):
        return
    for number, row in enumerate(data, 1):
        try:
            yield number, parse_row(row)
        except RowError as e:
            yield number, e


def row_document(row: IndexRow, source: str | None = None) -> Document:
    """The document of an index row: metadata only, the French title's subject standing in for the question.

    Status stays "unanswered" (no answer text); the printed report link is kept in ``report_url``.
    """
    title = row.title or row.title_nl
    return Document.create(
        id=row.doc_id,  # PRB-<base>-<moncode> for every assembly, as the page and corpus readers make it
        moncode=row.moncode,
        base=row.base,
        assembly=row.assembly,
        legislature=row.legislature,
        type=row.type,
        language="fr",
        title=title,
        title_nl=row.title_nl or None,
        question=subject_of(title) or title,
        author=row.author or None,
        recipient=row.recipient or row.recipient_nl or None,
        date_received=row.date_received or None,
        report_url=row.report_url or row.report_url_nl or None,
        url=row.page_url("fr"),
        source=source,
    )


def row_items(row, source: str, number: int) -> Iterator:
    """The document of one raw row, or a corpus.reader.Problem naming the row and the reason."""
    from .reader import Problem

    try:
        item = parse_row(row)
    except RowError as e:
        yield Problem(source, number, str(e))
        return
    try:
        yield row_document(item, source)
    except (TypeError, ValueError) as e:
        yield Problem(source, number, "row %s: %s" % (item.moncode, e))


def read_index(obj, source: str) -> Iterator:
    """Documents (and corpus.reader.Problem items for unreadable rows) from a parsed Weblex index."""
    data = obj.get("data") if isinstance(obj, dict) else None
    for number, row in enumerate(data if isinstance(data, list) else [], 1):
        yield from row_items(row, source, number)
