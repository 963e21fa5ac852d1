"""The work budget of a query (search/budget.py): spent after its CPU seconds, never before."""
import pytest

from parlsearch.search.budget import UNBOUNDED, Budget, QueryTooCostly
from parlsearch.search.query import QueryError


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_budget_is_spent_only_after_its_seconds():
    clock = FakeClock()
    budget = Budget(2.0, clock=clock)
    clock.now += 2.0
    budget.check()  # exactly at the limit: not yet spent
    assert not budget.spent()
    clock.now += 0.001
    assert budget.spent()
    with pytest.raises(QueryTooCostly) as e:
        budget.check()
    assert isinstance(e.value, QueryError)  # reported as any bad query is
    assert "\n" not in str(e.value) and "2 s of CPU" in str(e.value)


def test_unbounded_budget_never_stops():
    assert not UNBOUNDED.spent()
    UNBOUNDED.check()
