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

from dataclasses import dataclass, field

import numpy as np

from .collect import ALL_FACETS, FACETS, ORDERED_FACETS, UNKNOWN, cross_counts, facet_counts
from .collect import facet_values as _facet_values
from .filters import SearchFilters

__all__ = ["FACETS", "UNKNOWN", "ORDERED_FACETS", "ALL_FACETS", "Matches", "Counts", "find_matches",
           "count_matches", "facet_values"]


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
    #: which answer delays count as answered (delays.py) — the two meanings of "answered" reconciled.
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


def match_mask(engine, text: str, filters=None, budget=None, exact: bool = False):
    """(the plan, a bool mask of every document `engine.search(text, filters=…, exact=…)` would count)."""
    return engine.matches(text or "", _as_queries(filters), exact=exact, budget=budget)


def find_matches(engine, text: str, filters=None, budget=None) -> Matches:
    """Every document `engine.search(text, filters=…)` would count, as sorted document numbers.

    `filters` is a SearchFilters or a list of filter queries. No words and no filters: the whole index."""
    plan, mask = match_mask(engine, text, filters, budget)
    return Matches([int(d) for d in np.flatnonzero(mask)], plan.dropped, plan.note)


def facet_values(reader_or_engine, facet: str, docnums) -> list[str]:
    """Each document's value for `facet` (one of ALL_FACETS), in the order of `docnums`."""
    view = getattr(reader_or_engine, "view", reader_or_engine)
    return _facet_values(view, facet, docnums)


def count_matches(engine, text: str = "", filters=None, facets=FACETS, by=(), budget=None,
                  exact: bool = False) -> Counts:
    """Counts of every match of `text` + `filters` for each of `facets`, and the cross table of the two
    facets of `by` (rows, columns) when given. Raises QueryError on a bad query, ValueError on a bad facet."""
    by = tuple(by or ())
    if len(by) not in (0, 2):
        raise ValueError("a cross table needs two facets (for example minister,year), got %d" % len(by))
    for name in tuple(facets) + by:
        if name not in ALL_FACETS:
            raise ValueError("unknown facet %r (%s)" % (name, ", ".join(ALL_FACETS)))
    plan, mask = match_mask(engine, text, filters, budget, exact)
    view = engine.view
    result = {name: facet_counts(view, mask, name) for name in facets}
    cross = cross_counts(view, mask, *by) if by else None
    without_text = None
    if "status" in tuple(facets) + by:
        codes, values = view.codes("status_facet")
        answered = np.array([v == "answered" for v in values], dtype=bool)[codes]
        without_text = int(np.count_nonzero(mask & ~answered & (view.days("date_answered") > 0)))
    return Counts(text, int(np.count_nonzero(mask)), result, cross, by, plan.dropped, plan.note, without_text)


def index_stats(engine) -> dict:
    """{"documents": N, "by_status": {...}, "by_minister": {...}, "by_author": {...}, "by_year": {...},
    "by_assembly": {...}} of the whole index: each breakdown largest first (years in order, unknown last)."""
    counts = count_matches(engine, "", facets=("status", "minister", "author", "year", "assembly"))
    return {"documents": counts.total, "by_status": counts.facets["status"],
            "by_minister": counts.facets["minister"], "by_author": counts.facets["author"],
            "by_year": counts.facets["year"], "by_assembly": counts.facets["assembly"]}
