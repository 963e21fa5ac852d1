"""The Brussels Parliament (code PRB) as a source: site, listing, pages, ids and vocabularies, in one place.

    from parlsearch.corpus.assembly import get_assembly
    prb = get_assembly("PRB")          # this module's BRUSSELS
    prb.legislature_slug("2024-2029")  # "24-29"
    prb.listing_path("24-29")          # "/prb_includes/weblex/data/dos_qu_legis_24-29.json"

The site lists every question of a legislature in one JSON file (the Weblex index, read by
corpus.weblex_index) and serves one page per question and language (read by corpus.weblex). Those two
modules hold the *formats*; this one holds what is *Brussels*: where they are served, how they are checked
after a download, ids, the legislature rule (five years: 2019-2024, 2024-2029), and the vocabulary of
document types and page statuses. It implements corpus.assembly.Assembly.

Imports: the document model takes its vocabulary from here, and the Weblex readers depend on the model, so
this module imports them (and the HTTP client's error kinds) inside the functions that read listings and
pages, never at the top.
"""
from __future__ import annotations

import functools
import json
import re

from .assembly import ANSWERED, NOTEXT, UNANSWERED, register
from .text import DecodeError, PageError, decode_bytes

CODE = "PRB"
NAME = "Parlement de la Région de Bruxelles-Capitale / Brussels Hoofdstedelijk Parlement"
SHORT_NAME = "Brussels Parliament"
#: How the web page (in French) names it.
LABEL_FR = "Parlement bruxellois"
#: Other names `--assembly` takes (any case).
ALIASES = ("brussels", "bruxelles", "brussel")
SITE = "https://www.parlement.brussels"
#: (weblex.irisnet.be serves the printed reports the listing links to for oral questions.)
OFFICIAL_HOSTS = ("www.parlement.brussels", "parlement.brussels", "www.parlament.brussels", "parlament.brussels",
                  "weblex.irisnet.be")
#: Whatever the options say, never faster than this against the Parliament's own site.
MIN_OFFICIAL_DELAY = 0.5
LANGS = ("fr", "nl")

LISTING_PATH = "/prb_includes/weblex/data/dos_qu_legis_%s.json"
LISTING_FILE = "dos_qu_legis_%s.json"
PAGE_PATH = "/weblex-quest-det/?moncode=%s&base=%s"
#: Longest codes accepted from a listing row (the page reader's bounds; a file name stays short).
MAX_MONCODE_DIGITS = 12
MAX_BASE = 9999

# -- legislatures -----------------------------------------------------------------------------------------

DEFAULT_LEGISLATURE = "2024-2029"
LEGISLATURE_YEARS = 5
#: "2024-2029", "24/29", "2024/29" — two years, two or four digits (also the shape of sessions, "25/26").
YEAR_PAIR = re.compile(r"\s*(\d{2}|\d{4})\s*[-/]\s*(\d{2}|\d{4})\s*")


def legislature_slug(value: str) -> str:
    """"2024-2029", "24-29", "24/29", "2024/29" → "24-29" (the part of the listing's file name)."""
    m = YEAR_PAIR.fullmatch(str(value))
    if not m:
        raise ValueError("not a legislature: %r (expected e.g. %s)" % (value, DEFAULT_LEGISLATURE))
    a, b = (int(x) % 100 for x in m.groups())
    if (a + LEGISLATURE_YEARS) % 100 != b:
        raise ValueError("not a legislature: %r (a legislature spans %d years, e.g. %s)"
                         % (value, LEGISLATURE_YEARS, DEFAULT_LEGISLATURE))
    return "%02d-%02d" % (a, b)


# -- vocabulary -------------------------------------------------------------------------------------------

#: Document types, with the short code used in fallback ids (PRB-<legislature>-<code>-<number>).
TYPES = {
    "written_question": "qe",
    "oral_question": "qo",
    "topical_question": "qa",
    "request_for_explanation": "de",
    "interpellation": "int",
}

#: Each type as the Parliament names it to readers (its pages say "Question écrite n° 160"): the one table
#: behind the web page's labels and the text of `show`.
TYPE_LABELS = {
    "written_question": "Question écrite",
    "oral_question": "Question orale",
    "topical_question": "Question d’actualité",
    "request_for_explanation": "Demande d’explications",
    "interpellation": "Interpellation",
}

#: Spellings of a type in records and listings ("question_ecrite", "Question écrite"…) → type.
TYPE_ALIASES = {
    "question_ecrite": "written_question",
    "question écrite": "written_question",
    "question ecrite": "written_question",
    "written": "written_question",
    "question_orale": "oral_question",
    "question orale": "oral_question",
    "oral": "oral_question",
    "question d'actualité": "topical_question",
    "question d'actualite": "topical_question",
    "question_actualite": "topical_question",
    "topical": "topical_question",
    "demande d'explication": "request_for_explanation",
    "demande d'explications": "request_for_explanation",
    "demande_explication": "request_for_explanation",
    "interpellation": "interpellation",
}

#: How a title opens, by type and language ("Question écrite concernant …", "Schriftelijke vraag over …"):
#: the one table behind the page readers' type detection (corpus.weblex) and the subject (corpus.model).
TITLE_KINDS = (
    ("written_question", "fr", r"question\s+[ée]crite"),
    ("oral_question", "fr", r"question\s+orale"),
    ("topical_question", "fr", r"question\s+d\W?\s*actualit[ée]"),
    ("request_for_explanation", "fr", r"demande\s+d\W?\s*explications?"),
    ("interpellation", "fr", r"interpellation"),
    ("written_question", "nl", r"schriftelijke\s+vraag"),
    ("oral_question", "nl", r"mondelinge\s+vraag"),
    ("topical_question", "nl", r"(?:dringende\s+vraag|actualiteitsvraag)"),
    ("request_for_explanation", "nl", r"vraag\s+om\s+uitleg"),
    ("interpellation", "nl", r"interpellatie"),
)
#: The words between a title's opening and its subject.
_TITLE_LINKS = {"fr": r"(?:concernant|relative\s+[àa]|sur)", "nl": r"(?:betreffende|over|inzake)"}


def _openings(lang: str | None = None) -> str:
    return "|".join(p for _, l, p in TITLE_KINDS if lang in (None, l))


#: (pattern, type) for each opening, tried in order on a title.
TITLE_TYPES = tuple((re.compile(p + r"\b", re.IGNORECASE), t) for t, _, p in TITLE_KINDS)
#: Any title opening / a Dutch one.
ANY_TITLE = re.compile(r"(?:%s)\b" % _openings(), re.IGNORECASE)
DUTCH_TITLE = re.compile(r"(?:%s)\b" % _openings("nl"), re.IGNORECASE)
#: The boilerplate before a title's subject, French and Dutch.
TITLE_PREFIX = re.compile(r"^\s*(?:%s)\s+%s\s+" % (_openings("fr"), _TITLE_LINKS["fr"]), re.IGNORECASE)
TITLE_NL_PREFIX = re.compile(r"^\s*(?:%s)\s+%s\s+" % (_openings("nl"), _TITLE_LINKS["nl"]), re.IGNORECASE)

#: Type code in column 15 of a listing row → document type (used when the French label is not one we know).
LISTING_TYPE_CODES = {
    "1": "written_question",
    "2": "oral_question",
    "3": "topical_question",
    "4": "interpellation",
    "5": "request_for_explanation",
}

#: What `fetch --type` selects: written questions have text pages; the others are mostly answered in the
#: printed report (their page has no text), so they can be skipped to save requests.
TYPE_FILTERS = {
    "written": frozenset({"written_question"}),
    "oral": frozenset(t for t in TYPES if t != "written_question"),
    "all": frozenset(),  # no filter
}



# -- ids --------------------------------------------------------------------------------------------------

def make_id(*, base, moncode, legislature, type_: str, number) -> str:
    """PRB-<base>-<moncode>, else PRB-<legislature>-<type code>-<number> (the rule of corpus.model.make_id)."""
    from .model import make_id as model_make_id
    return model_make_id(assembly=CODE, base=base, moncode=moncode, legislature=legislature, type_=type_,
                         number=number)


def document_id_of(text: str) -> str | None:
    """The id of the question an official page URL names (…/weblex-quest-det/?moncode=170312&base=1 →
    PRB-1-170312: the French or the Dutch site, any parameter order, `&amp;` as pasted from a page's source),
    or None when `text` is not such a URL of the Parliament's hosts. The inverse of page_path."""
    import urllib.parse
    try:
        parts = urllib.parse.urlsplit((text or "").strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or (parts.hostname or "").lower() not in OFFICIAL_HOSTS:
        return None
    params = urllib.parse.parse_qs(parts.query.replace("&#038;", "&").replace("&amp;", "&"))
    moncode = (params.get("moncode") or [""])[0].strip()
    base = (params.get("base") or ["1"])[0].strip() or "1"
    if not (moncode.isascii() and moncode.isdigit() and base.isascii() and base.isdigit()) \
            or len(moncode) > MAX_MONCODE_DIGITS or int(base) > MAX_BASE:
        return None
    return "%s-%d-%d" % (CODE, int(base), int(moncode))


def read_record(record, source=None, warnings=None):
    """None: the Brussels records are the corpus schema itself (corpus/records.py)."""
    return None


def describe_identifier(official_id: str) -> str | None:
    """None: a Brussels question's official code is its moncode, shown as it is."""
    return None


# -- listing ----------------------------------------------------------------------------------------------

def read_listing(body: bytes) -> list[tuple[int, object]]:
    """A downloaded Weblex index → [(row number from 1, IndexRow or the reason it is unusable)].

    A body that is not JSON (cut short) is Transient; JSON that is not an index is Permanent. One row that
    cannot be read — whatever is wrong with it — is reported by its number and never stops the others.
    """
    from .httpclient import Permanent, Transient
    from .weblex_index import is_index, parse_row
    try:
        obj = json.loads(decode_bytes(body))
    except (ValueError, DecodeError, RecursionError) as e:
        raise Transient("invalid or truncated index JSON: %s" % str(e)[:100]) from None
    if not is_index(obj):
        raise Permanent("not a Weblex index (no {\"data\": [rows]})")
    out: list[tuple[int, object]] = []
    for number, raw in enumerate(obj["data"], 1):
        try:
            row = parse_row(raw)
        except Exception as e:  # noqa: BLE001 - one row of the site's data must not stop the fetch
            out.append((number, str(e) if isinstance(e, ValueError) else "%s: %s" % (type(e).__name__, e)))
            continue
        if len(row.moncode) > MAX_MONCODE_DIGITS or not 0 <= row.base <= MAX_BASE:
            out.append((number, "moncode or base out of range"))
            continue
        out.append((number, row))
    return out


def page_path(row, lang: str = "fr") -> str:
    """Site-relative path of a question's page (`row`: a weblex_index.IndexRow or anything with the codes)."""
    path = PAGE_PATH % (row.moncode, row.base)
    return path + "&lang=nl" if lang == "nl" else path


# -- pages ------------------------------------------------------------------------------------------------

_END_HTML = re.compile(rb"</html\s*>", re.IGNORECASE)


@functools.lru_cache(maxsize=16)
def section_span(text: str, lang: str | None = None) -> tuple[int, int, str] | None:
    """The Weblex question section of a page (corpus.weblex.section_span, the page reader's own scanner).

    Memoised: a fetched page is checked, rated and stored, each asking for its section (a str caches its
    hash, so a hit costs a dictionary lookup).
    """
    from .weblex import section_span as weblex_section_span
    return weblex_section_span(text, lang)


def section_text(text: str, lang: str) -> str:
    """The question section of a page, labelled `lang` ("" when there is none).

    A Dutch page whose section says "fr" gets "nl": the cache keeps it as the Dutch section of a question.
    """
    span = section_span(text, lang)
    if span is None:
        return ""
    section = text[span[0]:span[1]]
    if lang == "nl" and span[2] != "nl":
        section = re.sub(r"weblex-quest-det-fr", "weblex-quest-det-nl", section, count=1, flags=re.IGNORECASE)
    return section


def page_status(text: str, source: str, lang: str) -> str:
    """answered / unanswered / notext for a page (or a lone section) holding a Weblex question section."""
    from .weblex import parse_page
    span = section_span(text, lang)
    if span is None:
        return NOTEXT
    try:
        doc = parse_page(text, source, span[2])
    except PageError:
        return NOTEXT
    except Exception:  # noqa: BLE001 - a reader bug must not stop the fetch: the page is kept, re-checked later
        return NOTEXT
    if doc.answer or doc.answer_nl:
        return ANSWERED
    return UNANSWERED if (doc.question or doc.question_nl) else NOTEXT


def decode_page(body: bytes, charset: str | None) -> str:
    """Page bytes → text: the declared charset, else UTF-8, else cp1252 (corpus.text.decode_bytes)."""
    from .httpclient import Permanent
    charset = (charset or "").lower()
    if charset and charset not in ("utf-8", "utf8"):
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return decode_bytes(body)
    except DecodeError as e:
        raise Permanent(str(e)) from None


def read_page(body: bytes, charset: str | None, source: str, lang: str) -> tuple[str, str]:
    """Check a downloaded page; returns (its text, status).

    A body cut short (no closing ``</html>``) is Transient (retried); a page without the Weblex question
    section (an error or maintenance page served as 200) is Permanent: not cached, asked again next run.
    """
    from .httpclient import Permanent, Transient
    if not _END_HTML.search(body[-4096:]):
        raise Transient("truncated page (no closing </html>)")
    text = decode_page(body, charset)
    if section_span(text) is None:
        raise Permanent("not a question page (no Weblex question section)")
    return text, page_status(text, source, lang)


class Brussels:
    """corpus.assembly.Assembly for the Brussels Parliament (this module's functions and constants)."""

    code = CODE
    name = NAME
    short_name = SHORT_NAME
    label_fr = LABEL_FR
    aliases = ALIASES
    site = SITE
    official_hosts = OFFICIAL_HOSTS
    min_delay = MIN_OFFICIAL_DELAY
    langs = LANGS
    default_legislature = DEFAULT_LEGISLATURE
    types = TYPES
    type_labels = TYPE_LABELS
    type_filters = TYPE_FILTERS

    make_id = staticmethod(make_id)
    document_id_of = staticmethod(document_id_of)
    read_record = staticmethod(read_record)
    describe_identifier = staticmethod(describe_identifier)
    legislature_slug = staticmethod(legislature_slug)
    read_listing = staticmethod(read_listing)
    page_path = staticmethod(page_path)
    read_page = staticmethod(read_page)
    page_status = staticmethod(page_status)
    section_span = staticmethod(section_span)
    section_text = staticmethod(section_text)

    @staticmethod
    def listing_path(slug: str) -> str:
        return LISTING_PATH % slug

    @staticmethod
    def listing_file(slug: str) -> str:
        return LISTING_FILE % slug


BRUSSELS = register(Brussels())
