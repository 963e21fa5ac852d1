"""Keep a local cache of an assembly's listing and question pages in step with its site.

    summary = Fetcher("~/.cache/parlsearch").run(["2024-2029"], lang="both")
    print(summary)      # new, changed, unchanged, up to date, failed

This module only decides *what* to download and records what came back; the pieces it drives are:
the assembly (corpus.assembly: URLs, how a listing and a page are read and checked — corpus.brussels for
the Brussels Parliament), the HTTP client (corpus.httpclient: one kept-alive connection, deadlines, retries,
politeness) and the cache store (corpus.cache: page files, state journal, lock).

What gets (re-)downloaded: pages not in the cache; pages whose listing row changed since they were fetched
(new report link, corrected title…); pages without an answer yet, once they are older than
``recheck_days`` (to pick up answers); everything with ``refresh=True``. Answered pages are not requested
again. A listing row that cannot be read is reported (legislature, row number, reason) and skipped. The
fetch stops after ``max_failures`` pages in a row failed (the site is down or refusing us).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .assembly import Assembly, get_assembly
from .cache import (
    CacheLocked, PageState, PageStore, StateJournal, atomic_write, cache_lock, default_cache_dir, remove_leftovers,
    sha,
)
from .httpclient import (
    DEFAULT_BACKOFF, DEFAULT_DELAY, DEFAULT_RETRIES, DEFAULT_TIMEOUT, USER_AGENT, FetchError, Origin, PoliteClient,
)
from .model import parse_date
from .reader import MAX_PAGE_BYTES
from ..wording import plural

#: A legislature's listing (JSON) is held in memory while it is checked: downloads stop at this size.
MAX_LISTING_BYTES = 256 * 1024 * 1024

DEFAULT_MAX_FAILURES = 5
DEFAULT_RECHECK_DAYS = 1.0
LANG_CHOICES = ("fr", "nl", "both")


class FetchAborted(Exception):
    """The fetch could not start or go on (listing unavailable, cache locked)."""


class ListingUnavailable(FetchAborted):
    """A legislature's listing could not be downloaded: nothing of it can be planned."""


@dataclass
class FetchSummary:
    legislatures: list = field(default_factory=list)
    index_rows: int = 0
    bad_rows: list = field(default_factory=list)  # (legislature, row number, reason)
    selected: int = 0      # pages matching the filters
    due: int = 0           # pages to download this run
    new: int = 0           # downloaded, not in the cache before
    changed: int = 0       # downloaded again, different from the cached copy
    unchanged: int = 0     # downloaded again, same as the cached copy
    up_to_date: int = 0    # cached and not due for a re-check: not requested
    failed: int = 0
    requests: int = 0
    connections: int = 0
    bytes: int = 0
    failures: list = field(default_factory=list)  # (url, reason)
    aborted: str | None = None       # why the run stopped early (pages failing in a row)
    interrupted: bool = False
    elapsed: float = 0.0
    cache: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed and not self.aborted and not self.interrupted

    def __str__(self) -> str:
        text = ("%d new, %d changed, %d unchanged, %d up to date, %d failed (%s, %s, %.1fs)"
                % (self.new, self.changed, self.unchanged, self.up_to_date, self.failed,
                   plural(self.index_rows, "index row"), plural(self.requests, "request"), self.elapsed))
        if self.bad_rows:
            text += "; %s skipped" % plural(len(self.bad_rows), "unreadable index row")
        if self.interrupted:
            text += " — interrupted; run again to continue"
        if self.aborted:
            text += " — stopped: %s" % self.aborted
        return text


@dataclass(frozen=True)
class _Task:
    row: object   # a corpus.assembly.ListingRow
    lang: str
    reason: str   # new / row-changed / recheck / refresh


class Fetcher:
    """Downloads the listing of each legislature, then the pages that are missing or may have changed."""

    def __init__(self, cache: str | Path | None = None, *, assembly: str | Assembly | None = None,
                 base_url: str | None = None, delay: float = DEFAULT_DELAY, timeout: float = DEFAULT_TIMEOUT,
                 retries: int = DEFAULT_RETRIES, backoff: float = DEFAULT_BACKOFF,
                 max_failures: int = DEFAULT_MAX_FAILURES, recheck_days: float = DEFAULT_RECHECK_DAYS,
                 user_agent: str = USER_AGENT, progress: Callable[..., None] | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], float] = time.time):
        if isinstance(assembly, (str, type(None))):
            try:
                assembly = get_assembly(assembly)
            except KeyError as e:
                raise ValueError(e.args[0]) from None
        self.assembly = assembly
        self.cache = Path(cache).expanduser() if cache else default_cache_dir()
        self.base_url = (base_url or self.assembly.site).rstrip("/")
        origin = Origin.of(self.base_url)  # ValueError for anything but http(s)://host[:port]
        if origin.host in self.assembly.official_hosts:
            delay = max(delay, self.assembly.min_delay)
        self.max_failures = max(1, max_failures)
        self.recheck_seconds = max(0.0, recheck_days) * 86400
        self.progress = progress or (lambda event, **info: None)
        self.now = now
        self.client = PoliteClient(self.base_url, user_agent=user_agent, delay=delay, timeout=timeout,
                                   retries=retries, backoff=backoff, sleep=sleep, clock=clock, now=now,
                                   on_retry=lambda **info: self.progress("retry", **info))
        self.state = StateJournal(self.cache)
        self.store = PageStore(self.cache, self.assembly)
        self.inventory: dict[str, list[Path]] = {}

    # -- selection

    def _plan(self, rows: Iterable, *, types: str, since: dt.date | None, langs: tuple[str, ...],
              refresh: bool, limit: int | None, summary: FetchSummary) -> list[_Task]:
        due: list[_Task] = []
        now = self.now()
        wanted = self.assembly.type_filters[types]
        for row in rows:
            if wanted and row.type not in wanted:
                continue
            if since is not None and (not row.date_received or row.date_received < since.isoformat()):
                continue
            for lang in langs:
                summary.selected += 1
                reason = self._reason(row, lang, now, refresh)
                if reason:
                    due.append(_Task(row, lang, reason))
                else:
                    summary.up_to_date += 1
        # Missing pages first, then re-checks; the most recent questions first within each.
        due.sort(key=lambda t: (_neg_numbers(t.row.key), t.lang))
        due.sort(key=lambda t: (t.reason != "new", _neg_date(t.row.date_received)))
        if limit is not None:
            keys, kept = set(), []
            for task in due:
                if task.row.key not in keys and len(keys) >= limit:
                    continue
                keys.add(task.row.key)
                kept.append(task)
            due = kept
        return due

    def _reason(self, row, lang: str, now: float, refresh: bool) -> str | None:
        if not self.inventory.get(row.key):
            return "new"
        state = self.state.pages.get("%s.%s" % (row.key, lang))
        if state is None:
            state = self._adopt(row, lang)
            if state is None:
                return "new"
        if refresh:
            return "refresh"
        if state.row and state.row != row.signature:
            return "row-changed"
        if state.status == "answered":
            return None
        if state.status == "notext" and row.type != "written_question":
            return None  # oral questions etc.: answered in the printed report; re-checked when the row changes
        if now - state.fetched >= self.recheck_seconds:
            return "recheck"
        return None

    def _adopt(self, row, lang: str) -> PageState | None:
        """A cached page without a journal line (a kill between rename and journal write): take it as is."""
        try:
            part = self.store.load(row.key).get(lang)
            mtime = max(p.stat().st_mtime for p in self.inventory[row.key])
        except (OSError, ValueError):
            return None
        if part is None:
            return None
        state = PageState(page="%s.%s" % (row.key, lang), sha256=sha(part.section), status=part.status,
                          row=row.signature, fetched=mtime, type=row.type)
        self.state.record(state)
        return state

    # -- downloads

    def listing_url(self, slug: str) -> str:
        return self.base_url + self.assembly.listing_path(slug)

    def _fetch_listing(self, slug: str) -> list:
        try:  # (a listing is held in memory while checked: bounded like a page, but larger)
            response, rows = self.client.get(self.listing_url(slug), max_bytes=MAX_LISTING_BYTES,
                                             check=lambda r: self.assembly.read_listing(r.body))
        except FetchError as e:
            raise ListingUnavailable("index %s unavailable: %s" % (slug, e.reason)) from None
        target = self.cache / "index" / self.assembly.listing_file(slug)
        if not target.exists() or target.read_bytes() != response.body:
            atomic_write(target, response.body)
        return rows

    def _fetch_page(self, task: _Task) -> str:
        row, lang = task.row, task.lang
        url = self.base_url + self.assembly.page_path(row, lang)
        source = str(self.store.pages / ("%s.%s.html" % (row.key, lang)))
        response, (text, status) = self.client.get(
            url, max_bytes=MAX_PAGE_BYTES,
            check=lambda r: self.assembly.read_page(r.body, r.charset, source, lang))
        parts = self.store.load(row.key) if self.inventory.get(row.key) else {}
        new = self.store.part(lang, text, status=status, source=source)
        old = parts.get(lang)
        if old is None:
            outcome = "new"
        elif old.section == new.section:
            outcome = "unchanged"  # the rest of the page (menus, the server's address…) may differ: kept as is
        else:
            outcome = "changed"
        if outcome != "unchanged":
            parts[lang] = new
            self.store.save(row.key, parts)
            self.inventory[row.key] = self.store.files(row.key)
        self.state.record(PageState(page="%s.%s" % (row.key, lang), sha256=sha(new.section), status=status,
                                    row=row.signature, fetched=self.now(), type=row.type))
        return outcome

    def run(self, legislatures: Iterable[str] | None = None, *, types: str = "all", since=None,
            limit: int | None = None, lang: str = "both", refresh: bool = False) -> FetchSummary:
        """Fetch; returns the summary (``interrupted=True`` after Ctrl-C, ``aborted`` set after a stop).

        Raises ValueError for bad arguments, CacheLocked when another fetch holds the cache, and
        ListingUnavailable when a legislature's listing cannot be downloaded (what was fetched is kept).
        """
        if types not in self.assembly.type_filters:
            raise ValueError("type must be one of %s" % ", ".join(self.assembly.type_filters))
        langs = tuple(self.assembly.langs) if lang == "both" else (lang,)
        if any(x not in self.assembly.langs for x in langs):
            raise ValueError("lang must be %s or both" % ", ".join(self.assembly.langs))
        since_date = parse_date(since) if since not in (None, "") else None
        slugs = list(dict.fromkeys(self.assembly.legislature_slug(x)
                                   for x in (legislatures or (self.assembly.default_legislature,))))
        if limit is not None and limit < 0:
            raise ValueError("limit must be positive")
        summary = FetchSummary(legislatures=slugs, cache=str(self.cache))
        started = time.monotonic()
        self.cache.mkdir(parents=True, exist_ok=True)
        with cache_lock(self.cache):
            remove_leftovers(self.cache)
            self.state.load()
            self.inventory = self.store.inventory()
            self.store.tidy(self.inventory)
            try:
                self._run(slugs, types, since_date, langs, refresh, limit, summary)
            except KeyboardInterrupt:
                summary.interrupted = True
            finally:
                self.client.close()
                summary.requests = self.client.requests
                summary.connections = self.client.connections
                summary.bytes = self.client.bytes
                summary.elapsed = time.monotonic() - started
                with contextlib.suppress(OSError):
                    self.state.compact()
        return summary

    def _run(self, slugs, types, since_date, langs, refresh, limit, summary: FetchSummary) -> None:
        rows: dict[str, object] = {}
        for slug in slugs:
            self.progress("index", legislature=slug, url=self.listing_url(slug))
            count = 0
            for number, item in self._fetch_listing(slug):
                if isinstance(item, str):
                    summary.bad_rows.append((slug, number, item))
                    continue
                count += 1
                rows.setdefault(item.key, item)
            summary.index_rows += count
            self.progress("index-done", legislature=slug, rows=count)
        tasks = self._plan(rows.values(), types=types, since=since_date, langs=langs, refresh=refresh,
                           limit=limit, summary=summary)
        summary.due = len(tasks)
        self.progress("start", total=len(tasks))
        failures_in_a_row = 0
        for task in tasks:
            try:
                outcome = self._fetch_page(task)
            except FetchError as e:
                outcome = "failed"
                summary.failed += 1
                summary.failures.append((e.url, e.reason))
                failures_in_a_row += 1
            else:
                failures_in_a_row = 0
                setattr(summary, outcome, getattr(summary, outcome) + 1)
            self.progress("page", key=task.row.key, lang=task.lang, outcome=outcome, reason=task.reason)
            if failures_in_a_row >= self.max_failures:
                summary.aborted = ("%s in a row failed (last: %s); the site may be down or refusing us — "
                                   "the cache is intact, run again later" % (plural(failures_in_a_row, "page"),
                                                                              summary.failures[-1][1]))
                return


def _neg_date(iso: str) -> str:
    """Sort key putting later ISO dates first (and rows without a date last)."""
    if not iso:
        return "~"
    return "".join(chr(ord("9") - ord(c) + ord("0")) if c.isdigit() else c for c in iso)


def _neg_numbers(key: str) -> tuple:
    """Sort key putting higher codes first: the numbers of a key, last (the most specific) first, negated."""
    return tuple(-int(x) for x in reversed(re.findall(r"\d{1,18}", key)))


def fetch(cache: str | Path | None = None, legislatures: Iterable[str] | None = None, *, types: str = "all",
          since=None, limit: int | None = None, lang: str = "both", refresh: bool = False,
          **options) -> FetchSummary:
    """One-call form of Fetcher(cache, **options).run(legislatures, …)."""
    return Fetcher(cache, **options).run(legislatures, types=types, since=since, limit=limit, lang=lang,
                                         refresh=refresh)


__all__ = ["CacheLocked", "FetchAborted", "FetchSummary", "Fetcher", "ListingUnavailable", "fetch"]
