"""A query's work budget: CPU time a search may spend before it is stopped with a one-line error.

Why: limits checked before a query runs (length, nesting, expansions) bound what can be foreseen; the rest
(a query that is legal but meets huge posting lists, a spelling pass over hundreds of long words) must still
end. The engine calls `check()` at the points where its work accumulates (per posting block, per expanded
word, per corrected word); a spent budget raises `QueryTooCostly`, a `QueryError`, so every surface reports
it the way it reports a malformed query (one line and exit 2 on the command line, 400 on the web page).

CPU time of the calling thread (`time.thread_time`), not wall time: on a busy web server a request that
waits for the GIL is not charged for the others' work, and a test is not failed by a loaded machine.
A check costs ~0.3 µs; the engine checks every few thousand postings, never per posting.
"""
from __future__ import annotations

import time

from .errors import QueryError

#: CPU seconds a command-line search may spend (`--max-cpu`): far above what any query of the judged sets
#: needs at 100,000 documents, short enough that a pathological query ends before a user gives up on it.
DEFAULT_CLI_SECONDS = 20.0
#: CPU seconds one web request may spend: a page must not keep a worker (and its readers) for long.
DEFAULT_WEB_SECONDS = 5.0


class QueryTooCostly(QueryError):
    """The query used up its work budget; str() is the one-line explanation."""


class Budget:
    """`seconds` of CPU time of the current thread from creation (None: unbounded)."""

    __slots__ = ("seconds", "_clock", "_end")

    def __init__(self, seconds: float | None, clock=time.thread_time):
        self.seconds = seconds
        self._clock = clock
        self._end = None if seconds is None else clock() + seconds

    def spent(self) -> bool:
        return self._end is not None and self._clock() > self._end

    def check(self) -> None:
        """Raise QueryTooCostly once the budget is spent."""
        if self._end is not None and self._clock() > self._end:
            raise QueryTooCostly("the query needs more work than allowed (%g s of CPU); make it more specific "
                                 "(fewer prefixes, wildcards or fuzzy words, or fewer words)" % self.seconds)


#: The budget of code that sets none.
UNBOUNDED = Budget(None)

#: Items (documents matched through whoosh, documents of a count) between two checks: whoosh spends 1-1,000
#: µs a match, so a check (~0.3 µs) every 32 costs under 1% and comes every 30 ms at worst.
CHECK_EVERY = 32


def checked(items, budget: Budget | None, every: int = CHECK_EVERY):
    """`items`, checking `budget` every `every` items (for loops over whoosh's matches)."""
    if budget is None or budget.seconds is None:
        yield from items
        return
    for i, item in enumerate(items):
        if not i % every:
            budget.check()
        yield item


def budget_collector(collector, budget: Budget | None, every: int = CHECK_EVERY):
    """A whoosh collector (from Searcher.collector) that checks `budget` every `every` documents it
    collects: its innermost collector's collect() is wrapped (a wrapping collector such as whoosh's
    FilterCollector calls its child's), so the search is stopped with QueryTooCostly wherever whoosh is."""
    if budget is None or budget.seconds is None:
        return collector
    inner = collector
    while getattr(inner, "child", None) is not None:
        inner = inner.child
    collect = inner.collect
    count = 0

    def checking(sub_docnum):
        nonlocal count
        count += 1
        if not count % every:
            budget.check()
        return collect(sub_docnum)

    inner.collect = checking
    return collector
