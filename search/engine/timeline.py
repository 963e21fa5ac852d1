"""The timeline of a query's matches: how many were received each month (each year when the span is long),
split by status — the numbers behind the results page's timeline, `stats --by month` and `--chart`.

Computed from the same mask the page's facet counts use (one matching pass for both, see
search/web/facets.py), over whole arrays: a key per document (its month and status, cached per view) and
one np.bincount of the matches' keys: the grid of month × status. Nothing is read from stored documents, so the timeline costs a
few array operations over the matches, not a second search (bench/benchmark.py measures it).

Its numbers are those of `stats --by month,status --json` (or `year,status` when it counts years): each
bucket is a month (or year) of reception, each series a status; matches without a reception date are
counted apart (`undated`), never put in a bucket.

Buckets: every month from the first to the last dated match, empty ones included (a trend needs its
gaps); when that is more than MAX_MONTHS months, years instead (40 bars of months fit a page's width; a
question set spanning a decade would need 120).
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field

import numpy as np

from .collect import UNKNOWN, month_numbers

#: Past this many months from the first match to the last, the timeline counts years.
MAX_MONTHS = 40
#: The statuses, in the order they are stacked (bottom first); a status no match has is left out.
STATUS_ORDER = ("answered", "unanswered", "notext", "unknown")


@dataclass
class Bucket:
    label: str   # "2026-03" or "2026"
    since: str   # the first day of the period, ISO: what a link narrowing the search to it sets
    until: str   # its last day
    counts: dict[str, int] = field(default_factory=dict)  # status → matches, every status of the timeline

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Timeline:
    unit: str                # "month" or "year"
    statuses: list[str]      # the series, in stacking order
    buckets: list[Bucket]
    undated: int = 0         # matches without a reception date (in no bucket)
    total: int = 0           # every match, undated included

    def to_dict(self) -> dict:
        return {"unit": self.unit, "statuses": self.statuses, "undated": self.undated, "total": self.total,
                "buckets": [{"label": b.label, "since": b.since, "until": b.until, "counts": b.counts}
                            for b in self.buckets]}


def _keys(view):
    """(key per document, the index's first month, number of status values): key = (month − first + 1) ×
    statuses + status code, 0 × statuses + status code for an undated document; cached per view. One
    bincount of the matches' keys then gives the whole grid (month × status), undated as its row 0."""
    def build():
        months = month_numbers(view.days("date_received"))
        codes, values = view.codes("status_facet")
        width = len(values)
        dated = months > 0
        first = int(months[dated].min()) if np.any(dated) else 0
        keys = np.where(dated, (months - first + 1) * width, 0) + codes
        rows = (int(months.max()) - first + 2) if np.any(dated) else 1
        return keys.astype(np.int64), first, width, rows
    return view._cached(("timeline_keys",), build)


def timeline_of(view, mask: np.ndarray, unit: str | None = None) -> Timeline:
    """The timeline of the documents of `mask` (unit: "month", "year" or None to choose by the span).
    Cost: one index of a cached array by the matches and one bincount (~0.1 ms at 10,000 matches)."""
    _, values = view.codes("status_facet")
    values = [v or UNKNOWN for v in values]
    keys, first_month, width, rows = _keys(view)
    docs = np.flatnonzero(mask) if mask.dtype == bool else mask
    grid = np.bincount(keys[docs], minlength=rows * width).reshape(rows, width)
    total = int(len(docs))
    undated = int(grid[0].sum())
    per_value = grid.sum(axis=0)
    names = sorted({values[c] for c in np.flatnonzero(per_value).tolist()},
                   key=lambda v: (STATUS_ORDER.index(v) if v in STATUS_ORDER else len(STATUS_ORDER), v))
    filled = np.flatnonzero(grid[1:].sum(axis=1))
    if not len(filled):
        return Timeline(unit or "month", names, [], undated, total)
    first, last = first_month + int(filled[0]), first_month + int(filled[-1])
    grid = grid[1 + int(filled[0]):2 + int(filled[-1])]  # the months from the first dated match to the last
    # the status values' columns summed into the named series (two values can share a name: "" is unknown)
    series = np.zeros((width, len(names)), dtype=np.int64)
    order = {name: i for i, name in enumerate(names)}
    for code, value in enumerate(values):
        if value in order:
            series[code, order[value]] = 1
    grid = grid @ series
    if unit is None:
        unit = "month" if last - first < MAX_MONTHS else "year"
    if unit == "year":
        starts = [0] + [m - first for m in range(first + 1, last + 1) if m % 12 == 0]
        grid = np.add.reduceat(grid, starts, axis=0)
        first, last = first // 12, last // 12
    buckets = []
    for i, row in enumerate(grid.tolist()):
        key = first + i
        if unit == "year":
            label, since, until = str(key), "%04d-01-01" % key, "%04d-12-31" % key
        else:
            year, month = key // 12, key % 12 + 1
            label = "%04d-%02d" % (year, month)
            since = "%s-01" % label
            until = "%s-%02d" % (label, calendar.monthrange(year, month)[1])
        buckets.append(Bucket(label, since, until, dict(zip(names, row))))
    return Timeline(unit, names, buckets, undated, total)


def timeline(engine, text: str = "", filters=None, unit: str | None = None, budget=None,
             exact: bool = False) -> Timeline:
    """The timeline of every match of `text` + `filters`, as `engine.search` counts them."""
    from .counting import match_mask
    _, mask = match_mask(engine, text, filters, budget, exact)
    return timeline_of(engine.view, mask, unit)
