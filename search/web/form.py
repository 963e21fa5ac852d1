"""What the web page and its JSON API read from a URL, and how they say what is wrong with it.

One rule per surface for messages (README, "Web page"): the HTML pages, and the CSV download a page links
to, are French, for the people who read them; the JSON API (`/api/…`) answers in English with a
machine-readable error, `{"error": "<one line>", "code": "<code>", "parameter": "<name>" or null}`. So
every refusal is an `InputError` that carries both wordings, its code and the parameter at fault, and the
surface picks the one it shows. The search form keeps every value it was given, valid or not, so that a
refused value (a date `zzz`) is shown back in its field with the reason, the rest of the search intact.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields

from ...corpus.brussels import TYPE_LABELS  # the Parliament's names of document types, shared with `show`
from ...corpus.model import TYPES, normalize_legislature
from ..engine.core import SORTS
from ..engine.filters import SearchFilters
from ..engine.query import QueryError, period

#: Longest query accepted (the engine refuses 4000; a typed query is far shorter, a pasted one goes to /similar).
MAX_QUERY_CHARS = 2000
#: Longest draft question for "has this been asked before?" (a long written question is ~3000 characters).
MAX_DRAFT_CHARS = 6000
#: Longest filter value (a name, a legislature).
MAX_FIELD_CHARS = 200
#: Page sizes the form offers; any size from 1 to MAX_PAGE_SIZE is accepted in a URL (the API's callers
#: ask for what they need: 2 hits, 37 hits).
PAGE_SIZES = (10, 20, 50, 100)
#: Largest page: each hit costs its snippets (most of a page's time).
MAX_PAGE_SIZE = 100
#: As the command line (`search -n 10`).
DEFAULT_PAGE_SIZE = 10
#: Deepest result reachable by paging: beyond it, narrow the query (keeps each request's work bounded).
MAX_OFFSET = 10_000

STATUS_LABELS = {"answered": "répondue", "unanswered": "sans réponse", "unknown": "réponse absente des données"}


def assembly_labels() -> dict[str, str]:
    """Each assembly's code → its French name on the page ("PRB" → "Parlement bruxellois")."""
    from ...corpus.assembly import assemblies
    return {a.code: a.label_fr for a in assemblies()}


ASSEMBLY_LABELS = assembly_labels()
SORT_LABELS = {"relevance": "pertinence", "-date": "plus récentes d’abord", "date": "plus anciennes d’abord",
               "-answered": "réponses les plus récentes d’abord", "answered": "réponses les plus anciennes d’abord"}
#: Each parameter's label on the page (the French name of its field), for messages that name the field.
LABELS = {"q": "Rechercher", "assembly": "Assemblée", "author": "Auteur", "minister": "Ministre", "status": "Statut",
          "type": "Type",
          "legislature": "Législature", "since": "Reçue depuis", "until": "Reçue jusqu’au",
          "answered_since": "Répondue depuis", "answered_until": "Répondue jusqu’au", "sort": "Tri",
          "n": "Par page", "page": "Page", "text": "Projet de question", "id": "Document",
          "exact": "Mots tels que tapés"}
DATE_FIELDS = ("since", "until", "answered_since", "answered_until")
_PERIOD = re.compile(r"\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?")


class InputError(ValueError):
    """A refused input: `code` (machine-readable), the `parameter` at fault (or None), and the message in
    French (`french`, for pages) and English (`english`, str(), for the JSON API)."""

    def __init__(self, code: str, parameter: str | None, french: str, english: str):
        super().__init__(english)
        self.code, self.parameter, self.french, self.english = code, parameter, french, english

    def to_dict(self) -> dict:
        return {"error": self.english, "code": self.code, "parameter": self.parameter}


def bad_query(error: QueryError, seconds: float | None = None) -> InputError:
    """A query the engine refused (malformed, or over its work budget of `seconds`) as an error on `q`."""
    from ..engine.budget import QueryTooCostly
    if isinstance(error, QueryTooCostly):
        return InputError("query_too_costly", "q",
                          "Recherche trop coûteuse : elle demande plus de calcul que permis%s ; précisez-la "
                          "(moins de préfixes, de jokers, de mots approchés ou de mots)."
                          % (" (%g s)" % seconds if seconds else ""), str(error))
    return InputError("bad_query", "q", "Requête invalide : %s" % error, "bad query: %s" % error)


def text_param(args, name: str, limit: int = MAX_FIELD_CHARS) -> str:
    value = (args.get(name) or "").strip()
    if len(value) > limit:
        raise InputError("too_long", name, "« %s » dépasse %d caractères." % (LABELS.get(name, name), limit),
                         "%s: longer than %d characters" % (name, limit))
    return value


def _number(args, name: str, default: int, low: int, high: int | None) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    value = int(raw) if raw.isascii() and raw.lstrip("-").isdigit() else None
    if value is None or value < low or (high is not None and value > high):
        span = ("de %d à %d" % (low, high)) if high is not None else ("à partir de %d" % low)
        english = ("from %d to %d" % (low, high)) if high is not None else ("%d or more" % low)
        raise InputError("bad_number", name, "%s : « %s » n’est pas un nombre entier %s."
                         % (LABELS[name], raw[:40], span),
                         "%s: %r is not a whole number %s" % (name, raw[:40], english))
    return value


def _date(name: str, value: str) -> dt.date | None:
    """2026, 2026-06 or 2026-06-01 → its first day (or its last, for an upper bound: until, answered_until)."""
    if not value:
        return None
    try:
        if not _PERIOD.fullmatch(value):
            raise QueryError(value)
        first, last = period(value)
    except QueryError:
        raise InputError("bad_date", name, "%s : « %s » n’est pas une date (2026, 2026-06 ou 2026-06-01)."
                         % (LABELS[name], value), "%s: %r is not a date (2026, 2026-06 or 2026-06-01)"
                         % (name, value)) from None
    return first if name.endswith("since") else last


def _assembly(value: str) -> str:
    """An assembly as its code (a name it goes by is accepted: `chamber`, `brussels`), or ""."""
    from ...corpus.assembly import assembly_code
    if not value:
        return ""
    try:
        return assembly_code(value)
    except ValueError:
        raise InputError("bad_choice", "assembly", "%s : valeur « %s » inconnue." % (LABELS["assembly"], value),
                         "assembly: %r is not one of %s" % (value, ", ".join(ASSEMBLY_LABELS))) from None


def _choice(name: str, value: str, choices) -> str:
    if value and value not in choices:
        raise InputError("bad_choice", name, "%s : valeur « %s » inconnue." % (LABELS[name], value),
                         "%s: %r is not one of %s" % (name, value, ", ".join(choices)))
    return value


@dataclass
class SearchForm:
    """What a search URL holds: the query, the filters, the order and the page, as given (for showing back),
    with the errors found in them (`errors`, one per parameter at most)."""

    q: str = ""
    assembly: str = ""
    author: str = ""
    minister: str = ""
    status: str = ""
    type: str = ""
    legislature: str = ""
    since: str = ""
    until: str = ""
    answered_since: str = ""
    answered_until: str = ""
    sort: str = "relevance"
    page: int = 1
    n: int = DEFAULT_PAGE_SIZE
    exact: str = ""  # "1": the words as typed (no correction, no reading of numbers, dates…: search/understanding/understand.py)
    errors: list = field(default_factory=list, compare=False, repr=False)

    #: The URL parameters a search reads (the others are the pages' own: `bom` of the CSV download).
    PARAMS = ("q", "assembly", "author", "minister", "status", "type", "legislature", *DATE_FIELDS, "sort", "page",
              "n", "exact")
    #: The parameters that restrict the matches (everything but the words, the order and the page).
    FILTERS = ("assembly", "author", "minister", "status", "type", "legislature", *DATE_FIELDS)

    @classmethod
    def from_args(cls, args) -> "SearchForm":
        form = cls()
        readers = {
            "q": lambda: text_param(args, "q", MAX_QUERY_CHARS),
            "assembly": lambda: _assembly(text_param(args, "assembly")),
            "status": lambda: _choice("status", text_param(args, "status"), tuple(STATUS_LABELS)),
            "type": lambda: _choice("type", text_param(args, "type"), tuple(TYPES)),
            "sort": lambda: _choice("sort", text_param(args, "sort"), SORTS) or "relevance",
            "n": lambda: _number(args, "n", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
            "page": lambda: _number(args, "page", 1, 1, None),
            "exact": lambda: "1" if _choice("exact", text_param(args, "exact"), ("0", "1")) == "1" else "",
        }
        for name in cls.PARAMS:
            read = readers.get(name, lambda name=name: text_param(args, name))
            try:
                setattr(form, name, read())
            except InputError as e:
                form.errors.append(e)
                if isinstance(getattr(form, name), str):  # shown back as typed (bounded), with the reason
                    setattr(form, name, (args.get(name) or "").strip()[:MAX_QUERY_CHARS])
        for name in DATE_FIELDS:
            if form.has_error(name):
                continue
            try:
                _date(name, getattr(form, name))
            except InputError as e:
                form.errors.append(e)
        if not form.has_error("page") and not form.has_error("n") and form.offset >= MAX_OFFSET:
            form.errors.append(InputError(
                "too_deep", "page", "Page hors limites : au plus %d résultats parcourus ; précisez la recherche."
                % MAX_OFFSET, "page: beyond the first %d results; narrow the query" % MAX_OFFSET))
        return form

    def has_error(self, name: str) -> bool:
        return any(e.parameter == name for e in self.errors)

    def error_for(self, name: str) -> InputError | None:
        return next((e for e in self.errors if e.parameter == name), None)

    def check(self) -> None:
        """Raise the first error, if any (the JSON API and the CSV download stop at it)."""
        if self.errors:
            raise self.errors[0]

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.n

    @property
    def empty(self) -> bool:
        return not self.q and not self.search_filters()

    def search_filters(self) -> SearchFilters:
        """The filters as the command line's SearchFilters (search/engine/filters.py), so that the page, `search`
        and `stats QUERY` turn them into the same whoosh queries. Call on a form without errors."""
        dates = {name: _date(name, getattr(self, name)) for name in DATE_FIELDS}
        return SearchFilters(assembly=self.assembly or None, author=self.author or None, minister=self.minister or None,
                             status=self.status or None, type=self.type or None,
                             legislature=normalize_legislature(self.legislature), **dates)

    def filters(self) -> list:
        """The whoosh queries of the filters (to AND with the words)."""
        return self.search_filters().queries()

    def params(self, **changes) -> dict:
        """URL parameters of this form (defaults left out, so permalinks stay short), with `changes`."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "errors"}
        values.update(changes)
        defaults = SearchForm()
        return {k: v for k, v in values.items() if v not in ("", None) and v != getattr(defaults, k)}


def unknown_params(args, accepted) -> InputError | None:
    """The JSON API's rule: a parameter it does not read is an error, not silently ignored (`/api/stats?query=`
    must not count the whole index as if nothing had been asked)."""
    unknown = sorted(set(args) - set(accepted))
    if not unknown:
        return None
    return InputError("unknown_parameter", unknown[0],
                      "Paramètre inconnu : « %s »." % unknown[0],
                      "unknown parameter %r (accepted: %s)" % (unknown[0], ", ".join(accepted) or "none"))
