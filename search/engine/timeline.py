"""The timeline of a query's matches: how many were received each month (each year when the span is long),
split by status — the numbers behind the results page's timeline, `stats --by month` and `--chart`.

Computed from the same mask the page's facet counts use (one matching pass for both, see
search/web/facets.py), over whole arrays: a month number per document (cached per view) and the status
codes, one np.bincount of (bucket × status). Nothing is read from stored documents, so the timeline costs a
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


def _months(view) -> np.ndarray:
    return view._cached(("month_numbers",), lambda: month_numbers(view.days("date_received")))


def timeline_of(view, mask: np.ndarray, unit: str | None = None) -> Timeline:
    """The timeline of the documents of `mask` (unit: "month", "year" or None to choose by the span)."""
    codes, values = view.codes("status_facet")
    values = [v or UNKNOWN for v in values]
    months = _months(view)[mask]
    status = codes[mask]
    total = int(len(months))
    dated = months > 0
    undated = int(total - np.count_nonzero(dated))
    present = np.unique(status)
    names = sorted({values[c] for c in present.tolist()},
                   key=lambda v: (STATUS_ORDER.index(v) if v in STATUS_ORDER else len(STATUS_ORDER), v))
    if not np.any(dated):
        return Timeline(unit or "month", names, [], undated, total)
    months, status = months[dated], status[dated]
    first, last = int(months.min()), int(months.max())
    if unit is None:
        unit = "month" if last - first < MAX_MONTHS else "year"
    if unit == "year":
        keys, first, last = months // 12, first // 12, last // 12
    else:
        keys = months
    order = {name: i for i, name in enumerate(names)}
    column = np.array([order.get(v, 0) for v in values], dtype=np.int64)[status]
    width = len(names)
    grid = np.bincount((keys - first) * width + column, minlength=(last - first + 1) * width)
    grid = grid.reshape(last - first + 1, width)
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
