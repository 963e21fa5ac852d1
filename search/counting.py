"""Counting ALL the matches of a query (not the top ten) by minister, author, year, status, type…

The matches are exactly those of `Engine.search` for the same words and filters (the same parse, relaxation
and filter queries: `Engine.build`), and every count is read from columns and postings (search/columns.py),
never from stored documents. This is the facet API of the web page as well as `parlsearch stats QUERY`:

    with Engine.open(index_dir) as engine:
        counts = count_matches(engine, "STIB", SearchFilters(since=dt.date(2025, 1, 1)))
        counts.total                      # == engine.search("STIB", filters=…).total
        counts.facets["minister"]         # {"Elke Van den Brandt": 12, …}, largest first
        count_matches(engine, "STIB", by=("minister", "year")).cross   # {"Elke Van den Brandt": {"2025": 7, …}}
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from whoosh import query as wq

from .budget import checked
from .columns import date_values, term_values, text_values
from .filters import SearchFilters

#: Facets that can be counted, in the order they are shown.
FACETS = ("status", "year", "minister", "author", "type", "legislature")
#: Shown for documents without a value (no minister, no date…).
UNKNOWN = "(unknown)"
#: Facets listed in their natural order (years, legislatures) rather than largest first.
ORDERED_FACETS = ("year", "answer_year", "legislature")
#: Every facet name accepted by `by=` / `--by` (answer_year: the year of the published answer date).
ALL_FACETS = FACETS + ("answer_year",)


@dataclass
class Matches:
    """The document numbers of every match of a query in one searcher's view, and how the query was read."""

    docnums: list[int]
    dropped: list[str] = field(default_factory=list)
    note: str | None = None


@dataclass
class Counts:
    query: str
    total: int
    facets: dict[str, dict[str, int]]
    cross: dict[str, dict[str, int]] | None = None  # rows (first --by facet) → columns (second) → count
    by: tuple[str, ...] = ()
    dropped: list[str] = field(default_factory=list)
    note: str | None = None
    #: When status is counted: the unanswered matches (no answer text) whose answer date is published already,
    #: which answer delays count as answered (search/delays.py) — the two meanings of "answered" reconciled.
    answered_without_text: int | None = None

    def to_dict(self) -> dict:
        out = {"query": self.query, "total": self.total, "dropped": self.dropped, "note": self.note,
               "facets": self.facets}
        if self.answered_without_text is not None:
            out["answered_without_text"] = self.answered_without_text
        if self.by:
            out["by"] = list(self.by)
            out["cross"] = self.cross
        return out


def _as_queries(filters) -> list:
    if filters is None:
        return []
    if isinstance(filters, SearchFilters):
        return filters.queries()
    return [f for f in filters if f is not None]


def find_matches(engine, text: str, filters=None, budget=None) -> Matches:
    """Every document `engine.search(text, filters=…)` would count, as sorted document numbers.

    `filters` is a SearchFilters or a list of whoosh queries. No words and no filters: the whole index.
    `budget` (search/budget.py): the CPU time the query may take, as in Engine.search (QueryTooCostly)."""
    queries = _as_queries(filters)
    searcher = engine.searcher
    if not (text or "").strip() and not queries:
        return Matches(sorted(searcher.reader().all_doc_ids()))
    plan = engine.plan(text or "", queries, budget=budget)
    if plan.query is None:
        return Matches([], plan.dropped, plan.note)
    if isinstance(plan.query, wq.Every):
        docs = searcher.reader().all_doc_ids()
    else:
        docs = checked(searcher.docs_for_query(plan.query), budget)
    if plan.docs is not None:  # the coverage rule's answers (search/coverage.py), as Engine.search filters
        docs = (d for d in docs if d in plan.docs)
    return Matches(sorted(docs), plan.dropped, plan.note)


def facet_values(reader, facet: str, docnums: list[int]) -> list[str]:
    """Each document's value for `facet` (one of ALL_FACETS), in the order of `docnums`."""
    if facet == "minister":
        return text_values(reader, "minister_facet", docnums, UNKNOWN)
    if facet == "author":
        return text_values(reader, "author_facet", docnums, UNKNOWN)
    if facet == "status":
        return text_values(reader, "status_facet", docnums, UNKNOWN)
    if facet in ("year", "answer_year"):
        dates = date_values(reader, "date_received" if facet == "year" else "date_answered", docnums)
        return [str(d.year) if d else UNKNOWN for d in dates]
    if facet in ("type", "legislature"):
        return term_values(reader, facet, docnums, UNKNOWN)
    raise ValueError("unknown facet %r (%s)" % (facet, ", ".join(ALL_FACETS)))


def _ordered(counter: Counter, facet: str) -> dict[str, int]:
    if facet in ORDERED_FACETS:
        return dict(sorted(counter.items(), key=lambda kv: (kv[0] == UNKNOWN, kv[0])))
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def count_matches(engine, text: str = "", filters=None, facets=FACETS, by=(), budget=None) -> Counts:
    """Counts of every match of `text` + `filters` for each of `facets`, and the cross table of the two
    facets of `by` (rows, columns) when given. Raises QueryError on a bad query (QueryTooCostly past
    `budget`, as find_matches), ValueError on a bad facet."""
    by = tuple(by or ())
    if len(by) not in (0, 2):
        raise ValueError("a cross table needs two facets (for example minister,year), got %d" % len(by))
    for name in tuple(facets) + by:
        if name not in ALL_FACETS:
            raise ValueError("unknown facet %r (%s)" % (name, ", ".join(ALL_FACETS)))
    matches = find_matches(engine, text, filters, budget=budget)
    reader = engine.searcher.reader()
    docnums = matches.docnums
    cache: dict[str, list[str]] = {}

    def values(name):
        if name not in cache:
            cache[name] = facet_values(reader, name, docnums)
        return cache[name]

    result = {name: _ordered(Counter(values(name)), name) for name in facets}
    cross = None
    if by:
        rows_facet, cols_facet = by
        pairs = Counter(zip(values(rows_facet), values(cols_facet)))
        row_order = _ordered(Counter(values(rows_facet)), rows_facet)
        col_order = list(_ordered(Counter(values(cols_facet)), cols_facet))
        cross = {}
        for row in row_order:
            cross[row] = {col: pairs[(row, col)] for col in col_order}
    without_text = None
    if "status" in tuple(facets) + by:
        dated = date_values(reader, "date_answered", docnums)
        without_text = sum(1 for status, d in zip(values("status"), dated) if status != "answered" and d is not None)
    return Counts(text, len(docnums), result, cross, by, matches.dropped, matches.note, without_text)
