"""The query language's edges that mutation testing found unguarded (issue 19): date comparisons at the
boundary days of a year, month or day, and parentheses inside a "phrase"."""
from __future__ import annotations

import datetime as dt

import pytest

from parlsearch.search.engine.query import QueryError, check_balanced, period, rewrite


# -- date:<P, date:<=P, date:>P, date:>=P --------------------------------------------------------------------

@pytest.mark.parametrize("value, first, last", [
    ("2026", "2026-01-01", "2026-12-31"), ("2026-06", "2026-06-01", "2026-06-30"),
    ("2024-02", "2024-02-01", "2024-02-29"), ("2023-02", "2023-02-01", "2023-02-28"),
    ("2026-12", "2026-12-01", "2026-12-31"), ("2026-07-01", "2026-07-01", "2026-07-01")])
def test_a_period_runs_from_its_first_to_its_last_day(value, first, last):
    assert period(value) == (dt.date.fromisoformat(first), dt.date.fromisoformat(last))


@pytest.mark.parametrize("op, value, expected", [
    # < excludes the whole period named, <= includes it, > excludes it, >= includes it
    ("<", "2026", "date:[TO 2025-12-31]"), ("<=", "2026", "date:[TO 2026-12-31]"),
    (">", "2026", "date:[2027-01-01 TO]"), (">=", "2026", "date:[2026-01-01 TO]"),
    ("<", "2026-07", "date:[TO 2026-06-30]"), ("<=", "2026-07", "date:[TO 2026-07-31]"),
    (">", "2026-07", "date:[2026-08-01 TO]"), (">=", "2026-07", "date:[2026-07-01 TO]"),
    ("<", "2024-03", "date:[TO 2024-02-29]"), (">", "2024-02", "date:[2024-03-01 TO]"),
    ("<", "2026-07-01", "date:[TO 2026-06-30]"), ("<=", "2026-07-01", "date:[TO 2026-07-01]"),
    (">", "2026-07-01", "date:[2026-07-02 TO]"), (">=", "2026-07-01", "date:[2026-07-01 TO]"),
    (">", "2026-12-31", "date:[2027-01-01 TO]"), ("<", "2026-01-01", "date:[TO 2025-12-31]"),
])
def test_date_comparisons_are_ranges_of_whole_days(op, value, expected):
    assert rewrite("date:%s%s" % (op, value)) == expected


def _dates(engine) -> dict[str, dt.date | None]:
    reader = engine.searcher
    return {reader.stored_fields(d)["id"]: engine.get(reader.stored_fields(d)["id"]).date_received
            for d in range(reader.doc_count_all())}


COMPARE = {"<": lambda d, first, last: d < first, "<=": lambda d, first, last: d <= last,
           ">": lambda d, first, last: d > last, ">=": lambda d, first, last: d >= first}


@pytest.mark.parametrize("value", ["2026-07-01", "2026-06-29", "2026-07", "2026-06", "2026", "2025"])
@pytest.mark.parametrize("op", ["<", "<=", ">", ">="])
def test_date_comparisons_find_exactly_the_documents_on_each_side(engine, op, value):
    """On the bundled corpus's own dates: 2026-07-01 is the first day of a month with documents that day, so
    the boundary day of each comparison is tested; documents without a date are never matched."""
    dates = _dates(engine)
    first, last = period(value)
    expected = {i for i, d in dates.items() if d is not None and COMPARE[op](d, first, last)}
    found = {h.doc.id for h in engine.search("date:%s%s" % (op, value), limit=500, snippets=False).hits}
    assert found == expected
    assert dt.date(2026, 7, 1) in dates.values() and dt.date(2026, 6, 29) in dates.values()  # boundary days


@pytest.mark.parametrize("text", ["-date:>&", "-date:<x tram", "(date:>=zz OR tram)", "-(date:<2026-13)"])
def test_a_bad_date_anywhere_is_a_query_error(engine, text):
    """A negated or grouped comparison with no date raised whoosh's own Exception, not a QueryError."""
    with pytest.raises(QueryError, match="bad date"):
        engine.search(text)


# -- parentheses inside a phrase are words -------------------------------------------------------------------

@pytest.mark.parametrize("text", ['"1) la mobilité"', '"(a) et (b"', 'tram "2) b" (bus OR "c)")', '")"'])
def test_a_bracket_inside_a_phrase_is_not_a_parenthesis(engine, text):
    check_balanced(text)
    engine.search(text, limit=1)  # no QueryError


@pytest.mark.parametrize("text, message", [('"1) la mobilité" )', "has no matching"),
                                           ('("1) la mobilité"', "never closed"), ('"1) la mobilité', "unbalanced quote")])
def test_brackets_outside_phrases_must_balance(text, message):
    with pytest.raises(QueryError, match=message):
        check_balanced(text)


def test_a_phrase_with_a_bracket_finds_its_words(engine):
    assert engine.search('"1) la mobilité"', limit=0).total == engine.search('"1 la mobilité"', limit=0).total
