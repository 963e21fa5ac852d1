"""The seam between parlsearch and one parliamentary assembly: what differs from one assembly to the next.

Everything specific to an assembly — how its document ids are made, where its site lists questions and
serves pages, how that listing and those pages are read and checked, what its legislatures look like, its
document-type and status vocabulary — sits behind the small `Assembly` interface below, implemented once
per assembly in its own module (`corpus/brussels.py` for the Brussels Parliament, code "PRB") and found by
code in a registry. The fetcher, the cache store, the readers and the command line only talk to this
interface, so another assembly is one new module registered here, plus its tests: the federal Chamber
(`corpus/chamber.py`, code "CHAMBER") came that way; the Walloon or Flemish Parliament, the COCOF would too.

Besides fetching, an assembly says how it is named to people (`short_name`, `label_fr`, `aliases` for
`--assembly`), which references name one of its documents (`document_id_of`: a page URL, an official
identifier — the lookup of `show` and of links typed in a query), and may read records of its own format
(`read_record`: the Chamber's data files; None for records of the corpus schema).

This module imports nothing from the rest of the package, so that the document model can take its default
assembly code from it.
"""
from __future__ import annotations

import importlib
from typing import Iterable, Mapping, Protocol, runtime_checkable

#: The assembly of a document that does not say (every bundled and fetched document so far).
DEFAULT_ASSEMBLY = "PRB"

#: Statuses, the same for every assembly: a document has an answer text or not; a fetched page may also
#: have no text at all (a question answered in the printed report).
ANSWERED = "answered"
UNANSWERED = "unanswered"
NOTEXT = "notext"
#: The status of a document whose source says nothing of an answer (the Chamber's data of 2020 holds the
#: questions only): neither answered nor waiting for one as far as parlsearch knows.
UNKNOWN = "unknown"

#: Built-in assemblies: code → module (relative to this package) that registers it when imported.
_BUILTIN = {"PRB": ".brussels", "CHAMBER": ".chamber"}


class AnswerDeadline:
    """How long an assembly's rules of procedure give a minister to answer a written question.

    `days` counts working days (Monday to Friday; public holidays are not known here, so a deadline that
    spans one is reached a day early) when `working_days`, else calendar days. `rule` names the provision
    and `source` the document it is read from; `verified` is False when the article could not be checked
    against the text of the rules (the README says which). A setting of the assembly, never a constant of
    the code that reads it (search/engine/delays.py, the charts)."""

    __slots__ = ("days", "working_days", "rule", "source", "verified")

    def __init__(self, days: int, working_days: bool, rule: str, source: str, verified: bool):
        if days < 1:
            raise ValueError("an answer deadline is at least one day")
        self.days, self.working_days, self.rule, self.source, self.verified = \
            days, working_days, rule, source, verified

    def describe(self) -> str:
        """"20 working days (Règlement …)": how a chart or a table names the deadline."""
        return "%d %s days (%s)" % (self.days, "working" if self.working_days else "calendar", self.rule)

    def to_dict(self) -> dict:
        return {"days": self.days, "working_days": self.working_days, "rule": self.rule,
                "source": self.source, "verified": self.verified}


_REGISTRY: dict[str, "Assembly"] = {}


@runtime_checkable
class ListingRow(Protocol):
    """One question as the assembly's listing names it (the fetcher plans downloads from these)."""

    key: str             # a file-name-safe key, unique in the listing ("<base>-<moncode>" for PRB)
    type: str            # a document type of Assembly.types
    date_received: str   # ISO date, or ""
    signature: str       # changes whenever the assembly changes anything in the row


@runtime_checkable
class Assembly(Protocol):
    """What parlsearch needs to know about one assembly (see the module docstring).

    A query may be a pasted link: search/understanding/identify.py asks every assembly's `document_id_of`."""

    code: str                        # "PRB": the first part of its document ids
    name: str
    short_name: str                  # "Brussels Parliament": how hits and counts name it
    label_fr: str                    # "Parlement bruxellois": how the web page (in French) names it
    aliases: tuple[str, ...]         # other names --assembly takes ("brussels"), any case
    site: str                        # base URL of the official site
    official_hosts: tuple[str, ...]  # hosts that get at least `min_delay` between requests
    min_delay: float
    langs: tuple[str, ...]           # languages of its pages, main language first
    default_legislature: str
    types: Mapping[str, str]         # document type → short code used in ids
    type_labels: Mapping[str, str]   # document type → its name for readers, in the assembly's language
    type_filters: Mapping[str, frozenset]  # fetch --type choice → types it selects ("all": every type)
    answer_deadline: AnswerDeadline  # the time its rules give a minister to answer a written question

    def make_id(self, *, base, moncode, legislature, type_: str, number) -> str:
        """The stable id of a document."""

    def document_id_of(self, text: str) -> str | None:
        """The id of the document an official reference names (its page URL, its official identifier), or
        None when `text` is no reference of this assembly's."""

    def read_record(self, record, source: str | None = None, warnings: list | None = None):
        """A record in this assembly's own format as a Document; None when it is not one (then it is read
        as the corpus schema, corpus/records.py); RecordError when it is one that cannot be read."""

    def describe_identifier(self, official_id: str) -> str | None:
        """An official identifier's parts for people, or None."""

    def legislature_slug(self, value: str) -> str:
        """A legislature as the user writes it → the form its listing is named by; ValueError if none."""

    def listing_path(self, slug: str) -> str:
        """Site-relative URL of a legislature's listing."""

    def listing_file(self, slug: str) -> str:
        """File name of that listing in the cache (readable by the corpus reader)."""

    def read_listing(self, body: bytes) -> Iterable[tuple[int, object]]:
        """(row number from 1, ListingRow or a reason string) for each row; raises Transient/Permanent
        (corpus.httpclient) when the body is not a listing at all."""

    def page_path(self, row, lang: str) -> str:
        """Site-relative URL of a question's page in one language."""

    def read_page(self, body: bytes, charset: str | None, source: str, lang: str) -> tuple[str, str]:
        """A downloaded page → (its text, status); raises Transient (cut short) or Permanent (not a page)."""

    def page_status(self, text: str, source: str, lang: str) -> str:
        """answered / unanswered / notext for a page, or a lone question section."""

    def section_span(self, text: str, lang: str | None = None) -> tuple[int, int, str] | None:
        """(start, end, lang) of a page's question section (the part whose changes matter)."""

    def section_text(self, text: str, lang: str) -> str:
        """That section's text, as the section of language `lang` ("" when there is none)."""


def register(assembly: Assembly) -> Assembly:
    """Make an assembly available by its code (returns it, to be usable as a module-level statement)."""
    _REGISTRY[assembly.code.upper()] = assembly
    return assembly


def get_assembly(code: str | None = None) -> Assembly:
    """The assembly registered under `code` (default: DEFAULT_ASSEMBLY); KeyError names the known codes."""
    code = (code or DEFAULT_ASSEMBLY).upper()
    if code not in _REGISTRY and code in _BUILTIN:
        importlib.import_module(_BUILTIN[code], __package__)
    try:
        return _REGISTRY[code]
    except KeyError:
        raise KeyError("unknown assembly %r (known: %s)" % (code, ", ".join(known_codes()))) from None


def known_codes() -> list[str]:
    return sorted(set(_BUILTIN) | set(_REGISTRY))


def assemblies() -> list["Assembly"]:
    """Every known assembly, by code."""
    return [get_assembly(code) for code in known_codes()]


def assembly_code(name: str) -> str:
    """The code of the assembly a person names, by its code or one of its aliases, in any case ("chamber",
    "Kamer" → "CHAMBER"); ValueError naming the choices otherwise."""
    key = (name or "").strip().lower()
    for assembly in assemblies():
        if key == assembly.code.lower() or key in (a.lower() for a in assembly.aliases):
            return assembly.code
    raise ValueError("unknown assembly %r (known: %s)" % (name, ", ".join(
        "%s (%s)" % (a.code, ", ".join(a.aliases)) if a.aliases else a.code for a in assemblies())))


def document_id_of(text: str) -> str | None:
    """The document id an official reference names, asking each assembly (see Assembly.document_id_of)."""
    for assembly in assemblies():
        doc_id = assembly.document_id_of(text)
        if doc_id:
            return doc_id
    return None


def describe_identifier(code: str | None, official_id: str | None) -> str | None:
    """The parts of a document's official identifier for people, as its assembly describes them; None when
    there is none, or the assembly is one this version does not know."""
    if not official_id:
        return None
    try:
        return get_assembly(code).describe_identifier(official_id)
    except KeyError:
        return None


def read_record(record, source: str | None = None, warnings: list | None = None):
    """A record in one of the assemblies' own formats as a Document, or None (see Assembly.read_record)."""
    for assembly in assemblies():
        doc = assembly.read_record(record, source, warnings)
        if doc is not None:
            return doc
    return None
