"""Collectors: what a query's matches (a mask over the view's documents) become — a ranked page, a page
sorted by date, counts by facet — computed over whole arrays.

Orders are total and documented, so that every surface (command line, web page, saved searches, another
backend) lists the same documents in the same order:

* relevance: score rounded to 1e-6, highest first; then the newest reception date; then the lowest
  document number (the order documents were indexed);
* dates (`date`, `-date`, `answered`, `-answered`): the day, oldest or newest first; documents without
  that date last; then the lowest document number.

A page of k hits out of n matches costs one partial selection (np.argpartition, O(n)) and a sort of the
k-or-so candidates at the page's boundary, not a sort of every match.
"""
from __future__ import annotations

from collections import Counter

import numpy as np

#: Facets that can be counted, in the order they are shown.
FACETS = ("status", "year", "minister", "author", "type", "legislature", "assembly")
#: Shown for documents without a value (no minister, no date…).
UNKNOWN = "(unknown)"
#: Facets listed in their natural order (years, legislatures) rather than largest first.
ORDERED_FACETS = ("year", "answer_year", "legislature")
#: Every facet name accepted by `by=` / `--by` (answer_year: the year of the published answer date).
ALL_FACETS = FACETS + ("answer_year",)


def _top(ids: np.ndarray, primary: np.ndarray, want: int) -> np.ndarray:
    """The positions in `ids` of the `want` smallest `primary` keys, ties included at the boundary (so a
    later exact sort decides them)."""
    if want <= 0:
        return np.zeros(0, dtype=np.int64)
    if len(ids) <= want:
        return np.arange(len(ids))
    kth = np.partition(primary, want - 1)[want - 1]
    return np.flatnonzero(primary <= kth)


def rank(mask: np.ndarray, scores: np.ndarray, days: np.ndarray, want: int) -> list[int]:
    """The first `want` documents of `mask` by relevance (see the module doc)."""
    ids = np.flatnonzero(mask)
    if not len(ids) or want <= 0:
        return []
    keys = -np.round(scores[ids], 6)
    pick = _top(ids, keys, want)
    ids, keys = ids[pick], keys[pick]
    order = np.lexsort((ids, -days[ids], keys))[:want]
    return [int(d) for d in ids[order]]


def sort_by_date(mask: np.ndarray, days: np.ndarray, newest_first: bool, want: int) -> list[int]:
    """The first `want` documents of `mask` by a date column (day ordinals, 0 = none): see the module doc."""
    ids = np.flatnonzero(mask)
    if not len(ids) or want <= 0:
        return []
    d = days[ids]
    undated = d == 0
    keys = np.where(undated, np.iinfo(np.int64).max, -d if newest_first else d)
    pick = _top(ids, keys, want)
    ids, keys = ids[pick], keys[pick]
    order = np.lexsort((ids, keys))[:want]
    return [int(x) for x in ids[order]]


# -- facets ----------------------------------------------------------------------------------------------

def facet_codes(view, facet: str):
    """(codes per document, values) of a facet over a view: values[codes[d]] is document d's value
    (UNKNOWN for none). Built once per view."""
    def build():
        if facet in ("minister", "author", "status", "assembly"):
            codes, values = view.codes(facet + "_facet")
            return codes, [v or UNKNOWN for v in values]
        if facet in ("year", "answer_year"):
            days = view.days("date_received" if facet == "year" else "date_answered")
            years = _years(days)
            distinct = np.unique(years)
            values = [str(y) if y else UNKNOWN for y in distinct]
            return np.searchsorted(distinct, years), values
        if facet in ("type", "legislature"):
            return _term_codes(view, facet)
        raise ValueError("unknown facet %r (%s)" % (facet, ", ".join(ALL_FACETS)))
    return view._cached(("facet", facet), build)


def _years(days: np.ndarray) -> np.ndarray:
    """The year of each day ordinal (0 for none): through the distinct days, not one date per document."""
    import datetime as dt
    distinct, inverse = np.unique(days, return_inverse=True)
    years = np.array([dt.date.fromordinal(int(o)).year if o > 0 else 0 for o in distinct], dtype=np.int64)
    return years[inverse]


def _term_codes(view, fieldname: str):
    """Each document's term of an untokenised field with few values and no column (type, legislature),
    from the postings of each term: codes, values (UNKNOWN first)."""
    codes = np.zeros(view.doc_count, dtype=np.int64)
    values = [UNKNOWN]
    if fieldname in view.schema:
        reader = view.reader
        for btext in reader.lexicon(fieldname):
            ids, _ = view.term_postings(fieldname, btext)
            if len(ids):
                codes[ids] = len(values)
                values.append(btext.decode("utf-8", "replace") if isinstance(btext, bytes) else btext)
    return codes, values


def ordered(counter: dict, facet: str) -> dict[str, int]:
    """A facet's counts in the order they are shown: years and legislatures in their order (unknown
    last), the others largest first, then alphabetical."""
    if facet in ORDERED_FACETS:
        return dict(sorted(counter.items(), key=lambda kv: (kv[0] == UNKNOWN, kv[0])))
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def facet_counts(view, mask: np.ndarray, facet: str) -> dict[str, int]:
    """{value: matches} of a facet over the documents of `mask`, in the shown order."""
    codes, values = facet_codes(view, facet)
    counts = np.bincount(codes[mask], minlength=len(values))
    return ordered({values[i]: int(c) for i, c in enumerate(counts) if c}, facet)


def cross_counts(view, mask: np.ndarray, rows: str, cols: str) -> dict[str, dict[str, int]]:
    """{row value: {column value: matches}} of two facets over the documents of `mask`."""
    rcodes, rvalues = facet_codes(view, rows)
    ccodes, cvalues = facet_codes(view, cols)
    pairs = Counter(zip(rcodes[mask].tolist(), ccodes[mask].tolist()))
    row_order = facet_counts(view, mask, rows)
    col_order = list(facet_counts(view, mask, cols))
    rindex = {v: i for i, v in enumerate(rvalues)}
    cindex = {v: i for i, v in enumerate(cvalues)}
    return {r: {c: pairs[(rindex[r], cindex[c])] for c in col_order} for r in row_order}


def facet_values(view, facet: str, docnums) -> list[str]:
    """Each document's value for `facet`, in the order of `docnums`."""
    codes, values = facet_codes(view, facet)
    return [values[c] for c in codes[np.asarray(docnums, dtype=np.int64)]] if len(docnums) else []
