"""Where the index lives, opening it safely, and the version record that guards against stale indexes."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from .analysis import ANALYZER_VERSION
from .schema import SCHEMA_VERSION, build_schema

INDEX_NAME = "MAIN"
#: Posting pool kept in memory before spilling sorted runs to disk (whoosh's default is 128 MB).
WRITER_MEMORY_MB = 1024
META_FILE = "parlsearch-meta.json"


class IndexProblem(Exception):
    """A problem with the index that the user can act on; str() is a one-line explanation."""


class NoIndex(IndexProblem):
    pass


class IncompatibleIndex(IndexProblem):
    pass


class IndexLocked(IndexProblem):
    pass


def default_index_dir() -> Path:
    """$PARLSEARCH_INDEX, else $XDG_DATA_HOME/parlsearch/index, else ~/.local/share/parlsearch/index."""
    env = os.environ.get("PARLSEARCH_INDEX")
    if env:
        return Path(env).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(data_home) / "parlsearch" / "index"


def resolve_index_dir(index_dir: str | os.PathLike | None) -> Path:
    return Path(index_dir).expanduser() if index_dir else default_index_dir()


def current_meta() -> dict:
    return {"analyzer_version": ANALYZER_VERSION, "schema_version": SCHEMA_VERSION}


def read_meta(index_dir: Path) -> dict | None:
    try:
        with open(index_dir / META_FILE, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}


def write_meta(index_dir: Path) -> None:
    """Write the version record atomically (temporary file, then rename)."""
    tmp = index_dir / (META_FILE + ".tmp%d" % os.getpid())
    meta = dict(current_meta(), created=time.strftime("%Y-%m-%dT%H:%M:%S"))
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(meta, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, index_dir / META_FILE)


def _open_dir(index_dir: Path):
    """whoosh's open_dir, retried when a commit in another process deletes the table of contents that
    whoosh found as the newest but had not opened yet (it lists the directory, then opens the file)."""
    from whoosh import index as windex
    for attempt in range(20):
        try:
            return windex.open_dir(str(index_dir), indexname=INDEX_NAME)
        except FileNotFoundError:
            if attempt == 19 or not index_dir.is_dir():
                raise
            time.sleep(0.05)


def damaged_index(index_dir, error: Exception) -> "IncompatibleIndex":
    """The one-line problem for an index whose files cannot be read (truncated or corrupted)."""
    what = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
    return IncompatibleIndex("cannot open the index at %s (damaged or unreadable: %s); rebuild it with: "
                             "parlsearch index --rebuild --index %s" % (index_dir, what, index_dir))


def index_exists(index_dir) -> bool:
    from whoosh.index import EmptyIndexError
    index_dir = Path(index_dir)
    try:
        return index_dir.is_dir() and _open_dir(index_dir) is not None
    except (EmptyIndexError, OSError):
        return False
    except Exception:  # a table of contents that cannot be read: an index, a damaged one (open_index says so)
        return True


def check_compatible(index_dir: Path) -> None:
    meta = read_meta(index_dir)
    want = current_meta()
    if meta is None or any(meta.get(k) != v for k, v in want.items()):
        found = "an unknown version" if not meta else "analyzer version %s, schema version %s" % (
            meta.get("analyzer_version"), meta.get("schema_version"))
        raise IncompatibleIndex(
            "the index at %s was built by %s; this parlsearch uses analyzer version %d, schema version %d. "
            "Rebuild it with: parlsearch index --rebuild --index %s"
            % (index_dir, found, want["analyzer_version"], want["schema_version"], index_dir))


def open_index(index_dir: Path):
    """Open an existing, compatible index for reading or writing."""
    index_dir = Path(index_dir)
    if not index_exists(index_dir):
        raise NoIndex("no index at %s (build it with: parlsearch index --index %s)" % (index_dir, index_dir))
    check_compatible(index_dir)
    try:
        return _open_dir(index_dir)
    except Exception as e:
        raise damaged_index(index_dir, e) from None


def create_index(index_dir: Path):
    """Create a new empty index (replacing whatever index was there)."""
    from whoosh import index as windex
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    ix = windex.create_in(str(index_dir), build_schema(), indexname=INDEX_NAME)
    write_meta(index_dir)
    return ix


def open_writer(ix, wait: float = 0.0, jobs: int = 1):
    """A writer holding the index lock, waiting up to `wait` seconds for another writer to finish.

    The lock is an OS (fcntl) lock: it vanishes with the process that held it, so a killed writer
    never leaves a lock that blocks later runs.
    """
    from whoosh.index import LockError
    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        try:
            from .fastwriter import FastSegmentWriter, ParallelWriter
            if jobs > 1:
                return ParallelWriter(ix, procs=jobs, limitmb=WRITER_MEMORY_MB)
            return FastSegmentWriter(ix, limitmb=WRITER_MEMORY_MB)
        except LockError:
            if time.monotonic() >= deadline:
                raise IndexLocked("the index at %s is locked by another process (another `parlsearch index` is "
                                  "running); try again later or pass --wait SECONDS" % ix.storage.folder) from None
            time.sleep(0.2)
