"""The timeline's numbers (search/engine/timeline.py) against a plain count of the same documents: for any
set of matches, every month (or year) from the first dated match to the last, each status counted, the
undated apart, the unit chosen by the span."""
from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st


def _oracle(view, docs, unit):
    from parlsearch.search.engine.timeline import MAX_MONTHS, STATUS_ORDER
    days = view.days("date_received")
    codes, values = view.codes("status_facet")
    statuses = [values[codes[d]] or "unknown" for d in docs]
    dated = [(dt.date.fromordinal(int(days[d])), s) for d, s in zip(docs, statuses) if days[d] > 0]
    names = sorted(set(statuses), key=lambda v: (STATUS_ORDER.index(v) if v in STATUS_ORDER else 9, v))
    if not dated:
        return names, [], len(docs) - len(dated), unit or "month"
    months = [d.year * 12 + d.month - 1 for d, _ in dated]
    if unit is None:
        unit = "month" if max(months) - min(months) < MAX_MONTHS else "year"
    if unit == "year":
        keys = Counter((d.year, s) for d, s in dated)
        periods = [(y, str(y), "%d-01-01" % y, "%d-12-31" % y) for y in range(min(months) // 12, max(months) // 12 + 1)]
    else:
        keys = Counter((d.year * 12 + d.month - 1, s) for d, s in dated)
        periods = []
        for m in range(min(months), max(months) + 1):
            y, mo = divmod(m, 12)
            label = "%04d-%02d" % (y, mo + 1)
            periods.append((m, label, label + "-01", "%s-%02d" % (label, calendar.monthrange(y, mo + 1)[1])))
    buckets = [(label, since, until, {s: keys[(k, s)] for s in names}) for k, label, since, until in periods]
    return names, buckets, len(docs) - len(dated), unit


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), unit=st.sampled_from([None, "month", "year"]))
def test_the_timeline_counts_what_a_plain_count_of_its_documents_gives(engine, data, unit):
    from parlsearch.search.engine.timeline import timeline_of
    view = engine.view
    docs = sorted(data.draw(st.sets(st.integers(0, view.doc_count - 1), max_size=view.doc_count)))
    mask = np.zeros(view.doc_count, dtype=bool)
    mask[docs] = True
    line = timeline_of(view, mask, unit)
    names, buckets, undated, chosen = _oracle(view, docs, unit)
    assert (line.statuses, line.undated, line.total, line.unit) == (names, undated, len(docs), chosen)
    assert [(b.label, b.since, b.until, b.counts) for b in line.buckets] == buckets


@pytest.mark.parametrize("unit", [None, "month", "year"])
def test_the_whole_index_and_no_match(engine, unit):
    from parlsearch.search.engine.timeline import timeline_of
    view = engine.view
    every = timeline_of(view, np.ones(view.doc_count, dtype=bool), unit)
    assert sum(b.total for b in every.buckets) + every.undated == every.total == view.doc_count
    assert every.buckets[0].total and every.buckets[-1].total  # from the first dated match to the last
    none = timeline_of(view, np.zeros(view.doc_count, dtype=bool), unit)
    assert (none.buckets, none.total, none.undated, none.statuses) == ([], 0, 0, [])
