"""Saved searches and alerts: what is new, or newly answered, since a saved search last ran.

Where things live (XDG base directories):
- the saved searches: `$XDG_CONFIG_HOME/parlsearch/watches.toml` (default ~/.config), meant to be read and
  edited by people; `watch add/remove` rewrite it (comments are not kept);
- what each search has already seen: `$XDG_STATE_HOME/parlsearch/watches/NAME.json` (default
  ~/.local/state), one file per saved search: {document id: status} and the latest reported entries (the
  Atom feed's content).

"New" is decided on document ids and answer status, never on whoosh's internal document numbers, so an
index rebuilt from scratch announces nothing again. A run reads one committed view of the index (one
searcher), so a concurrent `parlsearch index` cannot show it half a commit.

A run never loses news: the state is written (atomically: a temporary file, fsync, os.replace) only after
the report has been written and flushed, and the Atom feeds after it; a run killed before that reports the
same items next time.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ...corpus.atomic import atomic_write
from ..engine.counting import find_matches
from ..engine.filters import SearchFilters

#: Saved-search names: also file names (state, Atom feed), so a closed, portable alphabet.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
STATE_VERSION = 1
#: Entries kept per saved search for its Atom feed: a reader polling weekly after daily runs still sees
#: every item of a busy topic (a typical topic gets a few questions a week).
FEED_ENTRIES = 100
#: Test hook: when this environment variable names a stage ("before-commit"), the run stops there, after
#: printing "parlsearch: paused at STAGE" on stderr, until it is killed (tests kill it to prove that an
#: interrupted run loses nothing). Unset in normal use.
PAUSE_ENV = "PARLSEARCH_WATCH_PAUSE"
#: Largest watches.toml read: a saved search takes ~100 bytes, so 1 MiB is ten thousand of them.
MAX_CONFIG_BYTES = 1 << 20
#: Largest state file read: ~40 bytes a document seen (id and status), so 64 MiB is 1.5 million documents.
MAX_STATE_BYTES = 64 << 20


class WatchError(Exception):
    """A problem with the saved searches or their state; str() is the one-line message for the user."""


# -- places ------------------------------------------------------------------------------------------

def _xdg(variable: str, default: str) -> Path:
    value = os.environ.get(variable)
    base = Path(value) if value and os.path.isabs(value) else Path.home() / default
    return base / "parlsearch"


def config_path() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") / "watches.toml"


def state_dir() -> Path:
    return _xdg("XDG_STATE_HOME", ".local/state") / "watches"


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name or ""):
        raise WatchError("bad watch name %r: use letters, digits, '-', '_' or '.' (at most 64, starting with "
                         "a letter or digit)" % (name or "")[:80])
    return name


# -- reading and writing files ---------------------------------------------------------------------------

def read_regular(path: Path, limit: int) -> str | None:
    """The text of `path` (UTF-8, a BOM allowed), None when it does not exist. Only a regular file of at most
    `limit` bytes is read: it is opened without blocking (a FIFO in its place would hang the run until some
    other process wrote to it) and checked once open; anything else is a WatchError naming the file."""
    from ...corpus.inputs import NotRegular, open_regular
    try:
        f, size = open_regular(path)
    except FileNotFoundError:
        return None
    except NotRegular as e:
        raise WatchError("%s is %s, not a regular file" % (path, e)) from None
    except OSError as e:
        raise WatchError("cannot read %s: %s" % (path, e.strerror or e)) from None
    with f:
        try:
            data = f.read(limit + 1)
        except OSError as e:
            raise WatchError("cannot read %s: %s" % (path, e.strerror or e)) from None
    if len(data) > limit:
        raise WatchError("%s is larger than %d MiB; this is not a file parlsearch wrote" % (path, limit >> 20))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise WatchError("cannot read %s: not UTF-8 (%s)" % (path, e.reason)) from None


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step (corpus/atomic.py): readers see the old or the new file."""
    atomic_write(path, text)


# -- the saved searches (TOML) ------------------------------------------------------------------------

@dataclass
class Watch:
    name: str
    query: str = ""
    filters: SearchFilters = field(default_factory=SearchFilters)

    def definition(self) -> dict:
        """What decides the matches: a state recorded for another definition is a new baseline."""
        return {"query": self.query, "filters": self.filters.to_dict()}


def _toml_string(value: str) -> str:
    """A TOML basic string: backslash, quote and every control character escaped."""
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif code < 0x20 or code == 0x7F:
            out.append("\\u%04X" % code)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def dump_watches(watches: list[Watch]) -> str:
    lines = ["# Saved searches of parlsearch: `parlsearch watch add/remove` rewrite this file (comments are",
             "# not kept). One table per search: query, then optional filters (since, until, author, minister,",
             "# status, answered_since, answered_until, assembly). Dates are written as TOML dates: 2026-01-31.", ""]
    for w in watches:
        lines.append("[watch.%s]" % _toml_string(w.name))
        lines.append("query = %s" % _toml_string(w.query))
        for key, value in w.filters.to_dict().items():
            if key in ("since", "until", "answered_since", "answered_until"):
                lines.append("%s = %s" % (key, value))  # an ISO date is a TOML local date
            else:
                lines.append("%s = %s" % (key, _toml_string(value)))
        lines.append("")
    return "\n".join(lines)


def _toml_loads(text: str) -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            raise WatchError("reading watches.toml needs Python 3.11 or the tomli package "
                             "(pip install tomli)") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise WatchError("%s: %s" % (config_path(), e)) from None


def load_watches() -> list[Watch]:
    path = config_path()
    text = read_regular(path, MAX_CONFIG_BYTES)
    if text is None:
        return []
    data = _toml_loads(text)
    table = data.get("watch", {})
    if not isinstance(table, dict):
        raise WatchError("%s: [watch] must be a table of saved searches" % path)
    out = []
    for name, entry in table.items():
        try:
            check_name(name)
            if not isinstance(entry, dict):
                raise WatchError("not a table")
            entry = dict(entry)
            query = entry.pop("query", "")
            if not isinstance(query, str):
                raise WatchError("query must be text")
            filters = SearchFilters.from_dict(entry)
        except (WatchError, ValueError, TypeError) as e:
            raise WatchError("%s: saved search %r: %s" % (path, name[:80], e)) from None
        if not query.strip() and not filters:
            raise WatchError("%s: saved search %r has neither query nor filter" % (path, name[:80]))
        out.append(Watch(name, query, filters))
    return out


def save_watches(watches: list[Watch]) -> None:
    write_atomically(config_path(), dump_watches(watches))


def add_watch(watch: Watch, replace: bool = False) -> None:
    check_name(watch.name)
    if not watch.query.strip() and not watch.filters:
        raise WatchError("a saved search needs words or a filter")
    watches = load_watches()
    if any(w.name == watch.name for w in watches):
        if not replace:
            raise WatchError("a saved search named %r exists (use --replace)" % watch.name)
        watches = [watch if w.name == watch.name else w for w in watches]
    else:
        watches.append(watch)
    save_watches(watches)


def remove_watch(name: str) -> None:
    watches = load_watches()
    if not any(w.name == name for w in watches):
        raise WatchError("no saved search named %r" % name)
    save_watches([w for w in watches if w.name != name])
    try:
        (state_dir() / (name + ".json")).unlink()
    except FileNotFoundError:
        pass


# -- what each search has seen ------------------------------------------------------------------------

#: The keys of a state entry (an announced event, kept for the Atom feed) and of a state, as save_state writes
#: them: each entry value is text or null.
_ENTRY_KEYS = ("event", "id", "title", "author", "minister", "date_received", "date_answered", "status", "url",
               "seen_at")


def _state_problem(data) -> str | None:
    """Why `data` is not a state this version wrote (None when it is one): checked when read, so that a hand-
    edited or damaged file is reported in one line instead of failing deep inside a run or a feed."""
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        return "not a state file of this version"
    seen = data.get("seen")
    if not isinstance(seen, dict) or not all(isinstance(v, str) for v in seen.values()):
        return "'seen' is not an object of document ids and statuses"
    entries = data.get("entries", [])
    if not isinstance(entries, list):
        return "'entries' is not a list"
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), (str, type(None))) for k in _ENTRY_KEYS):
            return "entry %d is not an object of texts" % number
    for key in ("last_run", "baseline_at"):
        if not isinstance(data.get(key), (str, type(None))):
            return "'%s' is not text" % key
    return None


def load_state(name: str) -> dict | None:
    path = state_dir() / (name + ".json")
    try:
        text = read_regular(path, MAX_STATE_BYTES)
    except WatchError as e:
        raise WatchError("%s; remove it to start a new baseline" % e) from None
    if text is None:
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as e:
        reason = "nested too deeply" if isinstance(e, RecursionError) else str(e)
        raise WatchError("cannot read the state of %r (%s): %s; remove the file to start a new baseline"
                         % (name, path, reason)) from None
    problem = _state_problem(data)
    if problem:
        raise WatchError("%s: %s; remove it to start a new baseline" % (path, problem))
    return data


def save_state(name: str, state: dict) -> None:
    write_atomically(state_dir() / (name + ".json"), json.dumps(state, ensure_ascii=False, sort_keys=True))


# -- a run ---------------------------------------------------------------------------------------------

@dataclass
class Event:
    kind: str  # "new" or "answered"
    doc: object  # corpus.model.Document

    def to_dict(self) -> dict:
        d = self.doc
        return {"event": self.kind, "id": d.id, "title": d.subject or d.title, "author": d.author,
                "minister": d.minister, "date_received": d.date_received and d.date_received.isoformat(),
                "date_answered": d.date_answered and d.date_answered.isoformat(), "status": d.status,
                "url": d.url}


@dataclass
class RunReport:
    watch: Watch
    baseline: bool  # first run (or changed definition): recorded, nothing announced
    matches: int
    events: list[Event]
    new_state: dict
    dropped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"watch": self.watch.name, "query": self.watch.query, "filters": self.watch.filters.to_dict(),
                "baseline": self.baseline, "matches": self.matches,
                "new": [e.to_dict() for e in self.events if e.kind == "new"],
                "answered": [e.to_dict() for e in self.events if e.kind == "answered"]}


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def check_watch(engine, watch: Watch, state: dict | None) -> RunReport:
    """Compare the current matches of `watch` in the engine's view with what its state has seen.

    The statuses are read from columns; only the documents to announce are loaded from storage."""
    matches = find_matches(engine, watch.query, watch.filters)
    ids = engine.view.values("id", matches.docnums)
    statuses = engine.view.values("status_facet", matches.docnums)
    current = {i: s for i, s in zip(ids, statuses) if i}
    now = _now()
    baseline = state is None or state.get("definition") != watch.definition()
    events = []
    if not baseline:
        seen = state["seen"]
        new_ids = [i for i in current if i not in seen]
        answered_ids = [i for i, s in current.items() if s == "answered" and seen.get(i) == "unanswered"]
        for kind, wanted in (("new", new_ids), ("answered", answered_ids)):
            for doc_id in wanted:
                doc = engine.get(doc_id)
                if doc is not None:
                    events.append(Event(kind, doc))
        events.sort(key=lambda e: (e.kind != "new", -(e.doc.date_received or dt.date.min).toordinal(), e.doc.id))
    # Documents that no longer match stay seen: one leaving and coming back (an edit, a re-index) is no news.
    seen = dict(state["seen"]) if state and not baseline else {}
    seen.update(current)
    entries = list(state.get("entries", [])) if state and not baseline else []
    entries = [dict(e.to_dict(), seen_at=now) for e in events] + entries
    new_state = {"version": STATE_VERSION, "definition": watch.definition(), "seen": seen,
                 "last_run": now, "baseline_at": now if baseline else state.get("baseline_at", now),
                 "entries": entries[:FEED_ENTRIES]}
    return RunReport(watch, baseline, len(current), events, new_state, matches.dropped)


def pause_for_tests(stage: str) -> None:
    """See PAUSE_ENV."""
    if os.environ.get(PAUSE_ENV) == stage:
        import signal
        sys.stderr.write("parlsearch: paused at %s\n" % stage)
        sys.stderr.flush()
        while True:
            signal.pause()


class RunLock:
    """One `watch run` at a time per state directory (a second one would report the same news twice)."""

    def __init__(self):
        self.path = state_dir() / ".lock"
        self.file = None

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(self.path, "a+")
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock
            return self
        try:
            fcntl.flock(self.file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.file.close()
            raise WatchError("another `parlsearch watch run` is in progress (lock %s)" % self.path) from None
        return self

    def __exit__(self, *exc):
        self.file.close()
