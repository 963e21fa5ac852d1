"""The Belgian Chamber of Representatives (code CHAMBER): its written questions as its publisher releases them.

    from parlsearch.corpus.assembly import get_assembly
    chamber = get_assembly("CHAMBER")       # this module's CHAMBER
    chamber.document_id_of("http://data.dekamer.be/v0/qrva/55-B034-2-0136-2020202107205")
    # → "CHAMBER-55-B034-2-0136-2020202107205"

**The data.** The Chamber publishes each written question under an identifier of its open-data service,
`http://data.dekamer.be/v0/qrva/<key>` (QRVA: *Questions et Réponses écrites / Schriftelijke Vragen en
Antwoorden*, its bulletin), whose key joins the parts the records also give one by one: legislature (55),
bulletin (B034; absent in 125 of the 6,059 records of 2020, whose key then reads `55--3-0158-…`), part,
number, session (2020-2021, written 20202021 in the key) and sequence. What `part` and `sequence` mean is
not documented; they are kept as published and never interpreted. Each record holds the question's French
text (`text_fr`) and its Dutch text (`text_nl`) — and nothing else: no title, author, minister, dates or
answer (the `be_parliament_2020` data set, released as CC0 by the Chamber, as redistributed by the R package
doc2vec; shipped as corpus/datasets/chamber-written-questions-2020.jsonl.gz).

**The documents.** One record is one document carrying both languages: the French text as its question,
the Dutch text as its Dutch question (`question_nl`, searched with the Dutch analyzer). Its id is
`CHAMBER-<key>` (`CHAMBER-55-B034-2-0136-2020202107205`): the publisher's own, hence stable, unique and
reversible; the identifier itself is kept as `official_id`. What the data lacks stays missing — author,
minister, dates — and the status is `unknown` (the data says nothing of answers). For people to tell
questions apart, the title and Dutch title are derived: the first sentence of each text
(corpus/sentences.py), marked `title_derived` and never indexed as a title (the text already is).

**Fetching** from the publisher's service is designed but not built: the reader takes the publisher's
records, however they come (this file, or the same records fetched later), so a fetcher only has to save
them as JSON Lines; the listing and page methods of the interface say that they are not available.
"""
from __future__ import annotations

import json
import re

from .assembly import UNKNOWN, register
from .sentences import first_sentence

#: The data set shipped with parlsearch (corpus/datasets/): the Chamber's written questions of 2020, the
#: publisher's file compressed (17.5 → 5.5 MB; gzip, which every system reads: `zcat` shows it as published).
DATASET_FILE = "chamber-written-questions-2020.jsonl.gz"

CODE = "CHAMBER"
NAME = "Chambre des représentants de Belgique / Belgische Kamer van volksvertegenwoordigers"
SHORT_NAME = "Chamber"
#: How the web page (in French) names it.
LABEL_FR = "Chambre"
#: Other names `--assembly` takes (any case).
ALIASES = ("chambre", "kamer")
SITE = "https://www.dekamer.be"
#: The open-data service that names the questions, and the Chamber's two sites (Dutch and French names).
OFFICIAL_HOSTS = ("data.dekamer.be", "www.dekamer.be", "dekamer.be", "www.lachambre.be", "lachambre.be")
MIN_OFFICIAL_DELAY = 1.0
LANGS = ("fr", "nl")
DEFAULT_LEGISLATURE = "55"
TYPES = {"written_question": "qrva"}
TYPE_LABELS = {"written_question": "Question écrite"}
TYPE_FILTERS = {"written": frozenset({"written_question"}), "all": frozenset()}

#: The publisher's identifier of a written question, and its parts (their names as the records give them).
IDENTIFIER = re.compile(
    r"(?P<base>https?://data\.dekamer\.be/v0/qrva/)?"
    r"(?P<key>(?P<legislature>\d{1,3})-(?P<bulletin>B\d{1,4})?-(?P<part>\d{1,3})-(?P<number>\d{1,5})"
    r"-(?P<session>\d{8})(?P<sequence>\d{1,8}))")
IDENTIFIER_BASE = "http://data.dekamer.be/v0/qrva/"
#: The parts of a record, as published, in the order the key joins them.
PARTS = ("legislature", "bulletin", "part", "number", "session", "sequence")
#: Every key a record may hold: the identifier, its parts, the two texts.
RECORD_KEYS = frozenset(("uri", "text_fr", "text_nl") + PARTS)


def dataset_path():
    """Where the shipped data set is (inside the installed package)."""
    from pathlib import Path
    return Path(__file__).resolve().parent / "datasets" / DATASET_FILE


def _error(message: str):
    from .records import RecordError
    return RecordError(message)


def parse_identifier(text: str) -> dict | None:
    """The parts of an identifier (the full URI or its key), as published: {"key", "legislature", "bulletin"
    (None when absent), "part", "number", "session" ("2020-2021"), "sequence"}; None when it is not one."""
    m = IDENTIFIER.fullmatch((text or "").strip())
    if not m:
        return None
    parts = m.groupdict()
    parts.pop("base")
    session = parts["session"]
    parts["session"] = session[:4] + "-" + session[4:]
    return parts


def document_id_of(text: str) -> str | None:
    """The document id an official reference names — the publisher's identifier, its key alone, or a
    parlsearch id — or None."""
    text = (text or "").strip()
    if text.upper().startswith(CODE + "-"):
        text = text[len(CODE) + 1:]
    parts = parse_identifier(text)
    return "%s-%s" % (CODE, parts["key"]) if parts else None


def make_id(*, base, moncode, legislature, type_: str, number) -> str:
    """The interface's id rule, for callers that only have the model's fields: the Chamber's ids come from
    its identifier (document_id_of), which these fields do not hold."""
    raise ValueError("a Chamber document's id is made from its official identifier (document_id_of)")


def _text_field(record: dict, key: str, numbers: bool = False) -> str | None:
    """A record's value as text (None when absent); `numbers`: a JSON integer is taken as its digits."""
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, str) or numbers and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _error("%s is not text: %s" % (key, json.dumps(value)[:40]))


def read_record(record, source: str | None = None, warnings: list | None = None):
    """A record of the Chamber's data (an object with `uri` and `text_fr` or `text_nl`) as a Document; None
    when `record` is not one (it is then read as the corpus schema, corpus/records.py). A record that is one
    but cannot be read raises RecordError with the reason (the file's other records are kept)."""
    if not isinstance(record, dict) or "uri" not in record or not ("text_fr" in record or "text_nl" in record):
        return None
    from .model import Document, IdentifierError, check_identifier, number_of
    from .text import clean_text
    uri = _text_field(record, "uri")
    parts = parse_identifier(uri or "")
    if parts is None or not uri.startswith(("http://", "https://")):
        raise _error("uri is not an identifier of the Chamber's written questions (%s<key>): %r"
                     % (IDENTIFIER_BASE, (uri or "")[:80]))
    published = {}
    for name in PARTS:
        value = _text_field(record, name, numbers=True)
        try:
            published[name] = check_identifier(value, name)
        except IdentifierError as e:
            raise _error(str(e)) from None
    differ = [name for name in PARTS if published[name] not in (None, "") and published[name] != parts[name]]
    if differ and warnings is not None:
        warnings.append("the identifier's %s differ from the record's (%s): the identifier's are used"
                        % ("/".join(differ), ", ".join("%s %r" % (n, published[n]) for n in differ)))
    text_fr = clean_text(_text_field(record, "text_fr"))
    text_nl = clean_text(_text_field(record, "text_nl"))
    if not text_fr and not text_nl:
        raise _error("record has no question text (text_fr and text_nl are empty)")
    try:
        number = number_of(parts["number"], "number")
    except IdentifierError as e:
        raise _error(str(e)) from None
    try:
        return Document.create(
            id="%s-%s" % (CODE, parts["key"]), official_id=uri.strip(), assembly=CODE, base=None,
            legislature=parts["legislature"], session=parts["session"], type="written_question", number=number,
            language="fr" if text_fr else "nl", question=text_fr, question_nl=text_nl or None,
            title=first_sentence(text_fr or text_nl), title_nl=first_sentence(text_nl) if text_nl else None,
            title_derived=True, status=UNKNOWN, source=source)
    except (TypeError, ValueError) as e:
        raise _error(str(e)) from None


def describe_identifier(official_id: str) -> str | None:
    """The parts of an identifier for people ("legislature 55, bulletin B034, part 2, number 0136, session
    2020-2021, sequence 07205"), None when it is not one."""
    parts = parse_identifier(official_id)
    if parts is None:
        return None
    return ", ".join("%s %s" % (name, parts[name] if parts[name] is not None else "(none)") for name in PARTS)


# -- what the fetcher would need (not built: see the module doc) ------------------------------------------

class NotAvailable(NotImplementedError):
    """The Chamber's service is not fetched (yet): its records are read from files."""

    def __init__(self, what: str = "fetching"):
        super().__init__("%s from the Chamber's service is not available: index its JSON Lines records "
                         "(parlsearch index FILE)" % what)


def legislature_slug(value: str) -> str:
    """"55" → "55" (the Chamber numbers its legislatures); ValueError otherwise."""
    text = str(value).strip()
    if not text.isdigit() or not 0 < int(text) < 1000:
        raise ValueError("not a legislature of the Chamber: %r (expected its number, e.g. %s)"
                         % (value, DEFAULT_LEGISLATURE))
    return str(int(text))


def _not_available(*args, **kwargs):
    raise NotAvailable()


class Chamber:
    """corpus.assembly.Assembly for the Chamber (this module's functions and constants)."""

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
    listing_path = listing_file = read_listing = page_path = read_page = staticmethod(_not_available)
    page_status = section_span = section_text = staticmethod(_not_available)


CHAMBER = register(Chamber())
