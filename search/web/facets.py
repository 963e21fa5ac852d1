"""Facet counts of a query's matches (by assembly, minister, author, year, status) for the web page.

The page only needs `facet_counts` and `matching`; both read what `parlsearch stats QUERY` and
`Engine.search` read (search/engine/counting.py and Engine.plan), so the page's counts are the command line's and
add up to the search's total.
"""
from __future__ import annotations

from ..engine import plan as P
from ..engine.counting import UNKNOWN, count_matches

#: The facets shown beside the results.
FACETS = ("assembly", "minister", "author", "year", "status")

__all__ = ["FACETS", "UNKNOWN", "facet_counts", "matching"]


def matching(engine, text: str, filters: list | None = None, budget=None, exact: bool = False):
    """(plan node or None, the coverage rule's answers as a mask or None): what Engine.search runs for `text` and
    `filters` (its plan, with the coverage rule's answers, as search/understanding/understood.py reads the words), so that
    highlights agree with its hits."""
    from ..understanding.understood import plan_query
    filters = [f for f in (filters or []) if f is not None]
    if not (text or "").strip() and not filters:
        return P.Every(), None
    plan, _ = plan_query(engine, text, filters, exact, budget)
    return plan.query, plan.docs


def facet_counts(engine, text: str, filters: list | None = None, fields=FACETS,
                 budget=None, exact: bool = False) -> dict[str, list[tuple[str, int]]]:
    """{facet: [(value, count), …]} over every document the search `text` + `filters` matches, most frequent
    first (years newest first, unknown last). An empty query with no filter counts the whole index. Raises
    QueryError like Engine.search (also when `budget`, search/engine/budget.py, is spent)."""
    counts = count_matches(engine, text or "", [f for f in (filters or []) if f is not None], facets=fields,
                           budget=budget, exact=exact)
    out = {}
    for facet in fields:
        items = counts.facets.get(facet, {}).items()
        if facet == "year":
            out[facet] = sorted(items, key=lambda kv: (kv[0] != UNKNOWN, kv[0]), reverse=True)
        else:
            out[facet] = sorted(items, key=lambda kv: (-kv[1], kv[0]))
    return out
