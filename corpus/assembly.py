"""The seam between parlsearch and one parliamentary assembly: what differs from one assembly to the next.

Everything specific to an assembly — how its document ids are made, where its site lists questions and
serves pages, how that listing and those pages are read and checked, what its legislatures look like, its
document-type and status vocabulary — sits behind the small `Assembly` interface below, implemented once
per assembly in its own module (`corpus/brussels.py` for the Brussels Parliament, code "PRB") and found by
code in a registry. The fetcher, the cache store and the command line only talk to this interface, so
another assembly (the federal Chamber, the Walloon or Flemish Parliament, the COCOF) is one new module
registered here, plus its tests.

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

#: Built-in assemblies: code → module (relative to this package) that registers it when imported.
_BUILTIN = {"PRB": ".brussels"}
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

    Optional: `document_id_from_url(url) -> str | None`, the id of the document an official page URL of
    the assembly names (a query may be a pasted link: search/identify.py asks every assembly that has it)."""

    code: str                        # "PRB": the first part of its document ids
    name: str
    site: str                        # base URL of the official site
    official_hosts: tuple[str, ...]  # hosts that get at least `min_delay` between requests
    min_delay: float
    langs: tuple[str, ...]           # languages of its pages, main language first
    default_legislature: str
    types: Mapping[str, str]         # document type → short code used in ids
    type_labels: Mapping[str, str]   # document type → its name for readers, in the assembly's language
    type_filters: Mapping[str, frozenset]  # fetch --type choice → types it selects ("all": every type)

    def make_id(self, *, base, moncode, legislature, type_: str, number) -> str:
        """The stable id of a document."""

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
