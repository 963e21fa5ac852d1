"""The web page's engines: a bounded pool of open Engines, one per request at a time, and each request's
CPU budget.

Why a pool and no lock: whoosh searchers are not safe to share between threads, and one engine behind one
lock made every request wait for the whole search of the one before it (issue 19: a costly query held the
lock, so the server answered nothing else). Each worker thread now checks an Engine out for its request
and back in afterwards; requests run side by side (as far as the GIL lets CPU-bound Python run: they
interleave every few milliseconds instead of waiting for each other's end). The pool never holds more than
`size` engines: the server's worker count (server.py, WORKERS), so it never makes a request
wait for an engine either.

Freshness: at every checkout the engine compares the newest commit with the one it reads (`up_to_date()`: a
directory listing for a local index, the generation for a database: search/targets.py) and is replaced by a
newly opened one when another process (`parlsearch index`, `fetch`) has committed, or when its database
server no longer answers (the new engine reads from one that does). A whole new Engine is opened rather than `searcher.refresh()`,
because an Engine also caches its view's schema, parser and date column.

Budget: every request gets `Budget(DEFAULT_WEB_SECONDS)` of CPU (search/engine/budget.py), passed to the engine
calls it makes, so that a legal but costly query ends with a 400 instead of holding a worker.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

from ..engine.budget import Budget
from ..engine.core import Engine
from ..targets import is_database, open_engine


class EnginePool:
    """At most `size` Engines over the index at `index_dir` (or a database: search/targets.py), each used by
    one request at a time."""

    def __init__(self, index_dir, engine: Engine | None = None, *, size: int):
        if size < 1:
            raise ValueError("an engine pool needs at least one engine")
        self.index_dir = index_dir if is_database(index_dir) else Path(index_dir)
        self.size = size
        self._idle: list[Engine] = [engine] if engine is not None else []  # last in, first out: the warmest
        self._open = len(self._idle)
        self._cond = threading.Condition()
        self._closed = False
        self.reopened = 0  # how many newer commits were picked up (for tests)
        self.opened = self._open  # how many engines were ever opened (for tests)

    @contextmanager
    def use(self):
        """An Engine on the newest commit, for this thread alone until the block ends."""
        engine = self._checkout()
        try:
            yield engine
        finally:
            self._checkin(engine)

    def _checkout(self) -> Engine:
        with self._cond:
            while not self._idle and self._open >= self.size:
                self._cond.wait()
            if self._closed:
                raise RuntimeError("the engine pool is closed")
            engine = self._idle.pop() if self._idle else None
            if engine is None:
                self._open += 1
        if engine is None:
            try:
                engine = open_engine(self.index_dir)
            except BaseException:
                with self._cond:
                    self._open -= 1
                    self._cond.notify()
                raise
            with self._cond:
                self.opened += 1
        return self._fresh(engine)

    def _fresh(self, engine: Engine) -> Engine:
        try:
            if engine.up_to_date():
                return engine
            fresh = open_engine(self.index_dir)
        except Exception:  # a commit half-way or a damaged newer commit: keep answering from the view we have
            return engine
        engine.close()
        with self._cond:
            self.reopened += 1
        return fresh

    def _checkin(self, engine: Engine) -> None:
        with self._cond:
            if self._closed:
                self._open -= 1
                engine.close()
            else:
                self._idle.append(engine)
            self._cond.notify()

    def close(self) -> None:
        """Close the idle engines now, and each engine in use when its request gives it back."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._open -= len(idle)
            self._cond.notify_all()
        for engine in idle:
            engine.close()
