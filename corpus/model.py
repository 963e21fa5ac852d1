"""The one document model every reader produces, and the rules that derive its fields.

Size (~440 lines): the Document and every rule a field goes through (identifiers checked, ids made,
subjects, sessions, dates, statuses, hashes, the merge of two readings): one place, so that every reader
produces the same documents.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from .assembly import ANSWERED, DEFAULT_ASSEMBLY, UNANSWERED, UNKNOWN
# The Brussels vocabulary (document types, their spellings, title boilerplate, the shape of a legislature)
# is defined once, in corpus.brussels; these names keep their meaning here.
from .brussels import TITLE_NL_PREFIX as _TITLE_NL_PREFIX
from .brussels import TITLE_PREFIX as _TITLE_PREFIX
from .brussels import TYPE_ALIASES as _TYPE_ALIASES
from .brussels import TYPES, YEAR_PAIR


def normalize_type(value: str | None) -> str:
    """Map the many spellings of a document type ("question_ecrite", "Question écrite"…) to one code."""
    if not value:
        return "written_question"
    key = value.strip().lower().replace("’", "'")
    if key in TYPES:
        return key
    return _TYPE_ALIASES.get(key, key.replace(" ", "_"))


def normalize_legislature(value: str | None) -> str | None:
    """"24/29", "2024-2029", "2024/2029" → "2024-2029"."""
    if not value:
        return None
    m = YEAR_PAIR.fullmatch(str(value))
    if not m:
        return str(value).strip() or None
    a, b = (int(x) for x in m.groups())
    a = a if a >= 1000 else (1900 + a if a >= 50 else 2000 + a)
    b = b if b >= 1000 else (1900 + b if b >= 50 else 2000 + b)
    return "%d-%d" % (a, b)


def normalize_session(value: str | None) -> str | None:
    """"2025-2026", "25/26", "25-26" → "25/26": a session spans two consecutive years. Anything else is kept as
    written (the Chamber publishes its extraordinary session of 2019 as "0000-2019": not "00/19")."""
    if not value:
        return None
    m = YEAR_PAIR.fullmatch(str(value))
    if not m:
        return str(value).strip() or None
    a, b = (int(x) % 100 for x in m.groups())
    if (a + 1) % 100 != b:
        return str(value).strip()
    return "%02d/%02d" % (a, b)


def parse_date(value) -> dt.date | None:
    """Parse ISO (2026-07-14, with or without a time) or Belgian (14/07/2026, 14.07.2026) dates.

    Empty values give None; anything else that is not a real date raises ValueError.
    """
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    text = str(value).strip()
    if not text:
        return None
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.+\-Z]*)?", text)
    if m:
        y, mo, d = (int(x) for x in m.groups())
    else:
        m = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", text)
        if not m:
            raise ValueError("unparseable date %r" % text[:40])
        d, mo, y = (int(x) for x in m.groups())
    try:
        return dt.date(y, mo, d)
    except ValueError:
        raise ValueError("impossible date %r" % text[:40]) from None


def subject_of(title: str | None) -> str:
    """The title without its boilerplate prefix ("Question écrite concernant …")."""
    title = (title or "").strip()
    stripped = _TITLE_PREFIX.sub("", title, count=1)
    return stripped[:1].upper() + stripped[1:] if stripped else title


def subject_nl_of(title_nl: str | None) -> str:
    title_nl = (title_nl or "").strip()
    stripped = _TITLE_NL_PREFIX.sub("", title_nl, count=1)
    return stripped or title_nl


def split_recipient(recipient: str | None) -> tuple[str | None, str | None]:
    """"Ahmed Laaouej - Ministre … chargé de …" → ("Ahmed Laaouej", "Ministre … chargé de …").

    Also accepts the page form "Bernard Clerfayt, Ministre du Gouvernement …".
    """
    if not recipient:
        return None, None
    text = recipient.strip()
    for sep in (" - ", " – ", ", "):
        if sep in text:
            name, portfolio = text.split(sep, 1)
            return name.strip() or None, portfolio.strip() or None
    return text, None


#: Longest identifier (id, moncode, assembly, legislature, session) accepted from input. Real ones are
#: under 30 characters ("PRB-2024-2029-qe-1234"); 64 leaves room without letting a field carry a page.
MAX_IDENTIFIER_CHARS = 64
#: Most digits accepted in a number (moncode, base, numero). Real moncodes have 6; 12 is what the page
#: reader's moncode pattern allows. Bounded so that int() never sees thousands of digits.
MAX_NUMBER_DIGITS = 12
_ASCII_DIGITS = re.compile(r"[0-9]{1,%d}" % MAX_NUMBER_DIGITS)
#: Characters an identifier never holds: controls (ESC, BEL, C1), format characters (bidi overrides and
#: isolates, zero-width), separators other than the plain space, private use, surrogates, unassigned.
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}


class IdentifierError(ValueError):
    """An identifier field that cannot be trusted (control or bidi characters, not a number, too long)."""


def strict_number(value, name: str) -> int:
    """An int from JSON (int, or a string of ASCII digits), at most MAX_NUMBER_DIGITS digits.

    "²", "٣" (Arabic-Indic) and 5,000-digit strings are refused: Python's int() accepts the first two
    and raises an unrelated error on the last, and none is an official number.
    """
    if isinstance(value, bool):
        raise IdentifierError("%s is not a number" % name)
    if isinstance(value, int):
        if 0 <= value < 10 ** MAX_NUMBER_DIGITS:
            return value
        raise IdentifierError("%s is out of range" % name)
    if isinstance(value, str):
        text = value.strip()
        if _ASCII_DIGITS.fullmatch(text):
            return int(text)
        if text.isascii() and text.isdigit():
            raise IdentifierError("%s has more than %d digits" % (name, MAX_NUMBER_DIGITS))
    raise IdentifierError("%s is not a number: %r" % (name, str(value)[:20]))


def number_of(value, name: str) -> int | None:
    """A question number from JSON: an int, or text holding one run of ASCII digits ("161", "QE 161"); None for
    an empty value. Text with no digits ("abc") or several runs ("12/34") is an IdentifierError: a number
    silently dropped or picked from several would file the question under another id."""
    if isinstance(value, str):
        check_identifier(value, name)
        runs = re.findall(r"[0-9]+", value)
        if not runs and not value.strip():
            return None
        if len(runs) != 1:
            raise IdentifierError("%s %r %s" % (name, value[:20], "holds more than one number" if runs
                                                else "is not a number"))
        return strict_number(runs[0], name)
    return None if value is None else strict_number(value, name)


def check_identifier(value, name: str) -> str | None:
    """An identifier as text, or IdentifierError when it holds control/escape/bidi characters or is too long.

    Validated when read, so that a record carrying a terminal escape in its moncode is rejected with a
    reason instead of reaching the index (and, later, a terminal).
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise IdentifierError("%s is not text" % name)
    text = str(value)
    bad = next((c for c in text if unicodedata.category(c) in _FORBIDDEN_CATEGORIES), None)
    if bad is not None:
        raise IdentifierError("%s contains the control or format character U+%04X" % (name, ord(bad)))
    if len(text) > MAX_IDENTIFIER_CHARS:
        raise IdentifierError("%s is longer than %d characters" % (name, MAX_IDENTIFIER_CHARS))
    return text


#: Longest official identifier accepted (a URI: the Chamber's are 59 characters).
MAX_OFFICIAL_ID_CHARS = 2048


def check_official_id(value) -> str:
    """An official identifier as text: no control, escape or bidi characters, at most MAX_OFFICIAL_ID_CHARS;
    IdentifierError otherwise."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise IdentifierError("official_id is not text")
    bad = next((c for c in value if unicodedata.category(c) in _FORBIDDEN_CATEGORIES or c.isspace()), None)
    if bad is not None:
        raise IdentifierError("official_id contains the character U+%04X" % ord(bad))
    if len(value) > MAX_OFFICIAL_ID_CHARS:
        raise IdentifierError("official_id is longer than %d characters" % MAX_OFFICIAL_ID_CHARS)
    return value


#: What a document id may hold: ASCII letters and digits, then also '-', '_' and '.' (RFC 3986's unreserved
#: characters less '~'), at most MAX_IDENTIFIER_CHARS. An id is a path segment of the web page's links
#: (/doc/ID) and of file names: a '/' made its link 404, '?' or '#' would cut it, '..' would leave the page.
#: Every real id fits ("PRB-1-170312", "PRB-2019-2024-qe-1263").
DOCUMENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,%d}" % (MAX_IDENTIFIER_CHARS - 1))


def check_document_id(doc_id: str, given: bool) -> str:
    """`doc_id` when it follows DOCUMENT_ID, else IdentifierError naming the first character that does not
    (`given`: the record carried it; otherwise it was made from the record's assembly, legislature, type and
    number)."""
    if DOCUMENT_ID.fullmatch(doc_id):
        return doc_id
    bad = next((c for c in doc_id if not (c.isascii() and (c.isalnum() or c in "._-"))), None)
    if bad is None:  # a first character that is '-', '_' or '.', or too long
        why = "is longer than %d characters" % MAX_IDENTIFIER_CHARS if len(doc_id) > MAX_IDENTIFIER_CHARS \
            else "does not start with a letter or digit"
    else:
        why = "holds %r" % bad
    where = "" if given else " (made from the record's assemblee, legislature, type and numero)"
    raise IdentifierError("the id %r%s %s: an id holds only ASCII letters, digits, '-', '_' and '.', starting "
                          "with a letter or digit" % (doc_id[:80], where, why))


#: Fields that make up a content-derived id (see make_id): what tells one question from another.
_ID_CONTENT = ("title", "question", "author", "recipient", "date_received", "session", "language")


def content_key(fields: dict) -> str:
    """12 hex digits of SHA-256 over a record's title, question, author, recipient, reception date,
    session and language: the same question read twice gets the same key, two questions never share one
    (48 bits: a collision among a million documents has a probability of about 2e-3 %)."""
    h = hashlib.sha256()
    for name in _ID_CONTENT:
        value = fields.get(name)
        h.update(name.encode())
        h.update(b"\x00")
        h.update(("" if value is None else str(value)).encode("utf-8", "surrogatepass"))
        h.update(b"\x01")
    return h.hexdigest()[:12]


def make_id(*, assembly: str, base, moncode, legislature, type_: str, number, content: dict | None = None) -> str:
    """Stable document id: PRB-<base>-<moncode>, else PRB-<legislature>-<type code>-<number>, else (no
    official code nor number) PRB-<legislature>-<type code>-h<content key>, so that distinct questions
    without a number are never merged (README, "Document ids")."""
    assembly = (assembly or DEFAULT_ASSEMBLY).upper()
    if moncode:
        return "%s-%s-%s" % (assembly, base if base not in (None, "") else 1, moncode)
    code = TYPES.get(type_, "q")
    if number in (None, ""):
        number = "h" + content_key(content or {})
    return "%s-%s-%s-%s" % (assembly, legislature or "unknown", code, number)


#: Fields that make up the content hash: everything a reader of the document sees.
_HASHED = (
    "moncode", "legislature", "session", "type", "number", "title", "title_nl", "author", "recipient",
    "date_received", "date_published", "date_answered", "question", "answer", "question_nl", "answer_nl",
    "report_url",
)


def type_label(doc: "Document") -> str:
    """The document's type as its assembly names it to readers ("Question écrite n° 177"), the raw code when
    the assembly has no name for it."""
    from .assembly import get_assembly
    try:
        labels = get_assembly(doc.assembly).type_labels
    except KeyError:  # an assembly this version does not know
        labels = {}
    label = labels.get(doc.type, doc.type)
    return label + (" n° %d" % doc.number if doc.number is not None else "")


@dataclass(frozen=True)
class Document:
    """One parliamentary question (with its answer, when there is one)."""

    id: str
    title: str
    question: str
    moncode: str | None = None
    base: int | None = 1
    assembly: str = DEFAULT_ASSEMBLY
    legislature: str | None = None
    session: str | None = None
    type: str = "written_question"
    number: int | None = None
    language: str = "fr"
    subject: str = ""
    title_nl: str | None = None
    author: str | None = None
    recipient: str | None = None
    minister: str | None = None
    portfolio: str | None = None
    date_received: dt.date | None = None
    date_published: dt.date | None = None
    date_answered: dt.date | None = None
    status: str = UNANSWERED
    answer: str | None = None
    question_nl: str | None = None
    answer_nl: str | None = None
    report_url: str | None = None
    url: str | None = None
    source: str | None = None
    #: The identifier the assembly publishes the document under, when it is not its moncode (the Chamber's
    #: http://data.dekamer.be/v0/qrva/… URI, corpus/chamber.py).
    official_id: str | None = None
    #: The titles were derived from the text (its first sentence), the source having none.
    title_derived: bool = False
    content_hash: str = field(default="", compare=False)

    @classmethod
    def create(cls, **fields) -> "Document":
        """Build a document, deriving id, subject, minister/portfolio, status and hash when not given."""
        fields["type"] = normalize_type(fields.get("type"))
        fields["legislature"] = normalize_legislature(fields.get("legislature"))
        fields["session"] = normalize_session(fields.get("session"))
        for name in ("date_received", "date_published", "date_answered"):
            fields[name] = parse_date(fields.get(name))
        for name in ("answer", "answer_nl", "question_nl", "title_nl", "author", "recipient", "moncode", "url",
                     "report_url", "official_id"):
            value = fields.get(name)
            if isinstance(value, str):
                value = value.strip()
            fields[name] = value if value not in ("", None) else None
        for name in ("id", "assembly", "legislature", "session"):
            if fields.get(name) is not None:
                fields[name] = check_identifier(fields[name], name)
        if fields.get("moncode") is not None:
            fields["moncode"] = str(strict_number(fields["moncode"], "moncode"))
        if fields.get("base") not in (None, ""):
            fields["base"] = strict_number(fields["base"], "base")
        number = fields["number"] = number_of(fields.get("number"), "number")
        fields["title"] = (fields.get("title") or "").strip()
        fields["question"] = (fields.get("question") or "").strip()
        if not fields.get("subject"):
            fields["subject"] = subject_of(fields["title"])
        if fields.get("minister") is None and fields.get("recipient"):
            fields["minister"], fields["portfolio"] = split_recipient(fields["recipient"])
        if fields.get("official_id") is not None:
            fields["official_id"] = check_official_id(fields["official_id"])
        fields["title_derived"] = bool(fields.get("title_derived"))
        # An answer text makes a document answered; without one, it waits for an answer unless its source
        # says nothing of answers (UNKNOWN, which only a reader may state).
        fields["status"] = ANSWERED if fields.get("answer") else \
            UNKNOWN if fields.get("status") == UNKNOWN else UNANSWERED
        given = bool(fields.get("id"))
        if not given:
            fields["id"] = make_id(
                assembly=fields.get("assembly"), base=fields.get("base"), moncode=fields.get("moncode"),
                legislature=fields["legislature"], type_=fields["type"], number=number, content=fields,
            )
        fields["id"] = check_document_id(str(fields["id"]), given)
        fields.pop("content_hash", None)
        doc = cls(**fields)
        return dataclasses.replace(doc, content_hash=doc.compute_hash())

    def compute_hash(self) -> str:
        h = hashlib.sha256()
        for name in _HASHED:
            value = getattr(self, name)
            h.update(name.encode())
            h.update(b"\x00")
            h.update(("" if value is None else str(value)).encode("utf-8", "surrogatepass"))
            h.update(b"\x01")
        return h.hexdigest()

    def age(self) -> tuple:
        """How far along its life a reading saw the question: answered beats unanswered, then the later answer or
        publication date. The reception date is left out: every reading of a question shares it (a differing one
        is a typo, not a later reading), and a correction of it must not count as an older reading."""
        latest = max((d for d in (self.date_answered, self.date_published) if d), default=dt.date.min)
        return (self.status == ANSWERED, latest)

    def richness(self) -> tuple:
        """Sort key for choosing between two readings of the same question from different files: the newer one
        (age), then the fuller one (fields filled, then length of text)."""
        filled = sum(1 for f in dataclasses.fields(self) if getattr(self, f.name) not in (None, ""))
        size = len(self.question) + len(self.answer or "") + len(self.question_nl or "") + len(self.answer_nl or "")
        return self.age() + (filled, size)

    def to_dict(self) -> dict:
        """Every field as JSON-ready values (dates as ISO strings)."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.isoformat() if isinstance(value, dt.date) else value
        return out


def supersedes(later: Document, earlier: Document) -> bool:
    """Whether the reading `later` (read after `earlier`: later in a run, or in a later run than the indexed
    document) is the one to keep where the two disagree.

    - Read again from the same file (the same `source`): the file was edited or downloaded again, so the later
      reading wins unless it is older (`age`: it lost its answer, or an earlier answer date — an old copy put
      back), so that a shortened correction is applied.
    - From another file (a Weblex page and its JSON record, a listing row and its page): the richer reading
      wins (`richness`: newer, then more fields, then more text), so a listing row's stand-in question never
      replaces a page's text, and an older file read alone never turns an answered question unanswered.
    - A tie goes to the later reading.
    """
    if later.source is not None and later.source == earlier.source:
        return later.age() >= earlier.age()
    return later.richness() >= earlier.richness()


def merge(earlier: Document, later: Document) -> Document:
    """Two readings of the same question, `earlier` read (or indexed) before `later`: the one that `supersedes`
    the other is kept, and its gaps are filled from the other — a reading never erases a field it lacks.

    The one merge of readings: within a run (corpus.reader.Deduplicator, in reading order; the late readings'
    second pass of index.update) and across runs (index.update merges each changed reading with the indexed
    document, `earlier`), so that indexing files in two runs gives the document that one run of both gives.

    A French and a Dutch reading (a Dutch page read alone carries its text in the main fields) become one
    document whose main fields are French and whose *_nl fields are Dutch.
    """
    if {earlier.language, later.language} == {"fr", "nl"}:
        best, other = (earlier, later) if earlier.language == "fr" else (later, earlier)
        dutch = {"title_nl": other.title_nl or other.title, "question_nl": other.question_nl or other.question,
                 "answer_nl": other.answer_nl or other.answer}
        other = dataclasses.replace(other, **{k: v for k, v in dutch.items() if v},
                                    title="", question="", answer=None, language="nl", subject="")
    else:
        best, other = (later, earlier) if supersedes(later, earlier) else (earlier, later)
    filled = {}
    for f in dataclasses.fields(Document):
        if f.name in ("content_hash", "source", "status", "language"):
            continue
        if getattr(best, f.name) in (None, "") and getattr(other, f.name) not in (None, ""):
            filled[f.name] = getattr(other, f.name)
    if not filled:
        return best
    merged = dataclasses.replace(best, **filled)
    merged = dataclasses.replace(merged, status=ANSWERED if merged.answer else
                                 UNKNOWN if UNKNOWN == best.status == other.status else UNANSWERED)
    return dataclasses.replace(merged, content_hash=merged.compute_hash())
