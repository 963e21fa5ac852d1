"""Where the index lives, opening it safely, and the version record that guards against stale indexes.

A directory is used as an index only when it is one of ours (it holds a whoosh table of contents, segment
files or our metadata file, and nothing that is not ours) or when it is new (does not exist, or is empty): a
directory holding anything else is refused and never written. Only files with the exact names whoosh gives
index files (`_MAIN_<generation>.toc`, `MAIN_<16 letters or digits>.<extension>`) are ever deleted, so a
user's `_MAIN_notes.txt` or `MAIN_budget.xlsx` cannot be removed even by whoosh's own clean-up.

One module (~430 lines) because every part of it answers the same question — is this directory ours, and what
may be done to it — from its listing, metadata and table of contents to what a failed run removes.
"""
from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import stat
import struct
import time
import zlib
from pathlib import Path

from .analysis import ANALYZER_VERSION
from .codec import CODEC_VERSION, DamagedRecord
from .schema import SCHEMA_VERSION, build_schema

INDEX_NAME = "MAIN"
#: Memory for postings, all writer processes together: a writer holds postings up to its share of this
#: (fastwriter.HELD_SHARE of it, the rest being room for writing the segment) before it writes a segment and
#: starts another. With the process baselines (~100 MB each) a run stays under 1 GB for any --jobs and any
#: input size; at ~8 bytes a posting and 715 postings a generated question, 600 MB is ~70,000 questions per
#: segment with one writer, ~35,000 per worker with two.
WRITER_MEMORY_MB = 600
META_FILE = "parlsearch-meta.json"
#: The marker every metadata file written since issue 19 carries: `"format": "parlsearch-index"`. Earlier
#: versions wrote `analyzer_version` and `schema_version` from the start; a JSON object with neither the marker
#: nor those keys is someone else's (a user's own `parlsearch-meta.json`), and so is its directory.
META_FORMAT = "parlsearch-index"
#: The metadata file is a few hundred bytes; anything larger is not ours.
META_MAX_BYTES = 64 * 1024

#: The exact names of the files whoosh writes for an index named INDEX_NAME (segment ids are 16 characters of
#: [0-9a-z]; a table of contents is renamed into place from `<toc>.<random>`), the write lock, and whoosh's
#: temporary directory; with META_FILE (and its temporary copies) that is all an index directory holds.
_TOC_RE = re.compile(r"_%s_(\d+)\.toc\Z" % INDEX_NAME)
_TOC_TMP_RE = re.compile(r"_%s_\d+\.toc\.[0-9a-z.]+\Z" % INDEX_NAME)  # whoosh: <toc>.<random float>
_SEGMENT_RE = re.compile(r"(%s_[0-9a-z]{16})\.[A-Za-z0-9_.]+\Z" % INDEX_NAME)
_OTHER_OWN_RE = re.compile(r"(%s_WRITELOCK|%s\.tmp|%s(\.tmp\d+)?)\Z" % (INDEX_NAME, INDEX_NAME,
                                                                          re.escape(META_FILE)))


class IndexProblem(Exception):
    """A problem with the index that the user can act on; str() is a one-line explanation."""


class NoIndex(IndexProblem):
    pass


class IncompatibleIndex(IndexProblem):
    pass


class IndexLocked(IndexProblem):
    pass


class NotAnIndex(IndexProblem):
    """A directory that holds other things than a parlsearch index: never written, never cleaned."""


def is_own_file(name: str) -> bool:
    """True for a name that only parlsearch or whoosh would give a file of the index directory."""
    return bool(_TOC_RE.match(name) or _TOC_TMP_RE.match(name) or _SEGMENT_RE.match(name)
                or _OTHER_OWN_RE.match(name))


def _counts_as_content(name: str) -> bool:
    """NFS keeps a deleted file that is still open as `.nfs…` until it is closed: a segment a reader still
    maps, not the user's (never deleted by us either)."""
    return not name.startswith(".nfs")


def is_our_meta(meta) -> bool:
    """True for the content of a metadata file parlsearch wrote (the META_FORMAT marker, or an earlier
    version's version keys), however damaged its values (check_compatible then refuses it)."""
    if not isinstance(meta, dict):
        return False
    return meta.get("format") == META_FORMAT or "analyzer_version" in meta or "schema_version" in meta


def directory_kind(index_dir) -> str:
    """What `index_dir` is: "new" (missing or empty), "index" (a table of contents), "unfinished" (only our
    metadata or lock: a first build stopped before its first commit), "damaged" (segment files but no table of
    contents), "foreign" (holds anything else, or is not a directory).

    An index is recognised by more than its file names: a metadata file that parlsearch did not write (a JSON
    object without our marker, or, with no table of contents beside it, anything unreadable) makes the
    directory foreign — never written, even by --rebuild, and its file never overwritten."""
    index_dir = Path(index_dir)
    try:
        names = os.listdir(index_dir)
    except FileNotFoundError:
        return "new"
    except NotADirectoryError:
        return "foreign"
    names = [n for n in names if _counts_as_content(n)]
    if not names:
        return "new"
    if not all(is_own_file(n) for n in names):
        return "foreign"
    meta = read_meta(index_dir) if META_FILE in names else None
    if meta and not is_our_meta(meta):  # a JSON object, not ours
        return "foreign"
    if any(_TOC_RE.match(n) for n in names):
        return "index"  # (an unreadable metadata file beside a table of contents: a damaged index of ours)
    if meta is not None and not meta:  # unreadable, and nothing else of an index beside it
        return "foreign"
    if any(_SEGMENT_RE.match(n) for n in names):
        return "damaged"
    return "unfinished"


def _not_an_index(index_dir) -> NotAnIndex:
    return NotAnIndex("%s is not a parlsearch index and is not empty; refusing to use it (choose a new or empty "
                      "directory for --index)" % index_dir)


def _missing_toc(index_dir) -> "IncompatibleIndex":
    return IncompatibleIndex("the index at %s is damaged (its table of contents _%s_*.toc is missing); rebuild "
                             "it with: parlsearch index --rebuild --index %s" % (index_dir, INDEX_NAME, index_dir))


def _storage(index_dir: Path, create: bool = False):
    """whoosh's FileStorage for `index_dir`, deleting only files named as index files (see the module doc)."""
    from whoosh.filedb.filestore import FileStorage

    class IndexStorage(FileStorage):
        def delete_file(self, name):
            if is_own_file(name):
                return super().delete_file(name)
            return None

    storage = IndexStorage(str(index_dir))
    return storage.create() if create else storage


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
    """The keys an index must match to be opened (other keys, like the whoosh version, are informative)."""
    return {"analyzer_version": ANALYZER_VERSION, "schema_version": SCHEMA_VERSION, "codec_version": CODEC_VERSION}


def read_meta(index_dir: Path) -> dict | None:
    """The version record: None when there is none, {} when it is unreadable or not ours (not a regular file,
    over META_MAX_BYTES, not a JSON object). Opened without blocking, so a FIFO in its place cannot hang."""
    try:
        fd = os.open(Path(index_dir) / META_FILE, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    except OSError:
        return {}
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > META_MAX_BYTES:
            return {}
        data = os.read(fd, META_MAX_BYTES + 1)
    except OSError:
        return {}
    finally:
        os.close(fd)
    try:
        meta = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return {}
    return meta if isinstance(meta, dict) else {}


def write_meta(index_dir: Path) -> None:
    """Write the version record atomically (temporary file, then rename), with the whoosh version that wrote the
    index (informative: not checked when opening)."""
    from .whoosh_compat import whoosh_version
    tmp = index_dir / (META_FILE + ".tmp%d" % os.getpid())
    meta = dict(current_meta(), format=META_FORMAT, whoosh_version=whoosh_version(),
                created=time.strftime("%Y-%m-%dT%H:%M:%S"))
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(meta, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, index_dir / META_FILE)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


_ParlIndex = None


def _index_class():
    """whoosh's FileIndex whose writer() writes parlsearch's codec: every segment of a parlsearch index is
    written with it, by parlsearch's writers (store.open_writer) and by whoosh's own (ix.writer())."""
    global _ParlIndex
    if _ParlIndex is None:
        from whoosh.index import FileIndex
        from .codec import ParlCodec

        class ParlIndex(FileIndex):
            def writer(self, procs=1, **kwargs):
                kwargs.setdefault("codec", ParlCodec())
                return super().writer(procs=procs, **kwargs)

        _ParlIndex = ParlIndex
    return _ParlIndex


def _open_dir(index_dir: Path):
    """whoosh's open_dir, retried when a commit in another process deletes the table of contents that
    whoosh found as the newest but had not opened yet (it lists the directory, then opens the file)."""
    from .whoosh_compat import apply_patches
    apply_patches()
    for attempt in range(20):
        try:
            return _index_class()(_storage(index_dir), indexname=INDEX_NAME)
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
    if directory_kind(index_dir) != "index":
        return False
    try:
        return _open_dir(index_dir) is not None
    except (EmptyIndexError, OSError):
        return False
    except Exception:  # a table of contents that cannot be read: an index, a damaged one (open_index says so)
        return True


#: What reading a damaged segment raises from deep inside whoosh (measured: 200 flipped bytes in a segment
#: give zlib.error in 32 of 60 commands; truncations give struct.error and EOFError); whoosh also raises a bare
#: Exception for a bad block tag ("Block tag error").
DAMAGED_READ_ERRORS = (zlib.error, struct.error, pickle.UnpicklingError, EOFError, DamagedRecord)

_last_opened: list[Path] = []


def read_failure(error: BaseException) -> "IndexProblem | None":
    """The one-line problem for `error` raised while reading the index this process opened last (for the
    command line, which reports it instead of a traceback): one of DAMAGED_READ_ERRORS, or any other error when
    the index's files no longer have the checksums recorded when they were written (index/checksums.py: a
    damaged file surfaces as whatever its wrong bytes make the code do). None: the index is intact."""
    if not _last_opened:
        return None
    if isinstance(error, DAMAGED_READ_ERRORS) or type(error) is Exception:
        return damaged_index(_last_opened[-1], error)
    if isinstance(error, (KeyboardInterrupt, SystemExit, MemoryError)):
        return None
    from .checksums import damaged_files
    try:
        ix = _open_dir(_last_opened[-1])
        try:
            damaged = damaged_files(ix)
        finally:
            ix.close()
    except Exception as e:  # noqa: BLE001  the table of contents itself cannot be read: damaged too
        return damaged_index(_last_opened[-1], e)
    if damaged:
        return damaged_index(_last_opened[-1], ValueError("%s does not hold what was written" % damaged[0]))
    return None


def is_unfinished_first_build(index_dir: Path) -> bool:
    """An index without a version record and without any segment: a first build stopped between creating the
    index and writing its metadata. Nothing is lost by completing it."""
    if read_meta(index_dir) is not None:
        return False
    try:
        ix = _open_dir(index_dir)
    except Exception:  # noqa: BLE001  unreadable: not this case
        return False
    try:
        return not ix._segments()
    finally:
        ix.close()


def check_compatible(index_dir: Path) -> None:
    meta = read_meta(index_dir)
    want = current_meta()
    if meta is None and is_unfinished_first_build(index_dir):
        raise NoIndex("the index at %s was never completed (its first build stopped); build it with: "
                      "parlsearch index --index %s" % (index_dir, index_dir))
    if meta is None or any(meta.get(k) != v for k, v in want.items()):
        found = "an unknown version" if not meta else "analyzer version %s, schema version %s, codec version %s" % (
            meta.get("analyzer_version"), meta.get("schema_version"), meta.get("codec_version"))
        raise IncompatibleIndex(
            "the index at %s was built by %s; this parlsearch uses analyzer version %d, schema version %d, codec "
            "version %d. Rebuild it with: parlsearch index --rebuild --index %s"
            % (index_dir, found, want["analyzer_version"], want["schema_version"], want["codec_version"],
               index_dir))


def check_usable(index_dir: Path) -> str:
    """directory_kind(index_dir), refusing a directory that is not ours and an index without its table of
    contents (damaged: never silently replaced)."""
    kind = directory_kind(index_dir)
    if kind == "foreign":
        raise _not_an_index(index_dir)
    if kind == "damaged":
        raise _missing_toc(index_dir)
    return kind


def open_index(index_dir: Path):
    """Open an existing, compatible index for reading or writing."""
    index_dir = Path(index_dir)
    check_usable(index_dir)
    if not index_exists(index_dir):
        raise NoIndex("no index at %s (build it with: parlsearch index --index %s)" % (index_dir, index_dir))
    check_compatible(index_dir)
    try:
        ix = _open_dir(index_dir)
    except Exception as e:
        raise damaged_index(index_dir, e) from None
    _last_opened[:] = [index_dir]
    return ix


def builds_on_first_use(index_dir) -> bool:
    """True when a reading command should first build the index from the bundled corpus: only at the default
    location (no --index, no $PARLSEARCH_INDEX), and only while there is no index there yet. An explicit
    location is never filled with the bundled corpus."""
    if index_dir or os.environ.get("PARLSEARCH_INDEX"):
        return False
    path = default_index_dir()
    kind = directory_kind(path)
    return kind in ("new", "unfinished") or (kind == "index" and is_unfinished_first_build(path))


def create_index(index_dir: Path, replace_damaged: bool = False):
    """Create a new empty index in a new or empty directory, or over one of ours (an unfinished first build, an
    index being rebuilt; a damaged one only with `replace_damaged`). The version record is written first, so a
    build stopped at any point leaves a directory that the next run recognises as ours and completes."""
    from .whoosh_compat import apply_patches
    index_dir = Path(index_dir)
    kind = directory_kind(index_dir)
    if kind == "foreign":
        raise _not_an_index(index_dir)
    if kind == "damaged" and not replace_damaged:
        raise _missing_toc(index_dir)
    apply_patches()
    index_dir.mkdir(parents=True, exist_ok=True)
    write_meta(index_dir)
    try:
        storage = _storage(index_dir, create=True)
        storage.create_index(build_schema(), indexname=INDEX_NAME).close()
        ix = _index_class()(storage, indexname=INDEX_NAME)
    except BaseException:
        remove_unlisted_files(index_dir)
        raise
    return ix


def missing_directories(index_dir) -> list[Path]:
    """The directories that creating `index_dir` would create, deepest first (for remove_new_index)."""
    out = []
    path = Path(index_dir).absolute()
    while not path.exists() and path != path.parent:
        out.append(path)
        path = path.parent
    return out


def remove_new_index(index_dir, created_dirs: list[Path]) -> None:
    """Undo create_index for a run that read nothing: remove the index files (only names of ours) and then the
    directories in `created_dirs` (deepest first) that are empty; a directory that existed is kept."""
    index_dir = Path(index_dir)
    try:
        names = os.listdir(index_dir)
    except OSError:
        return
    for name in names:
        if is_own_file(name) and not (index_dir / name).is_dir():
            try:
                os.unlink(index_dir / name)
            except OSError:
                pass
    for directory in created_dirs:
        try:
            directory.rmdir()
        except OSError:  # not empty (something else was put there meanwhile), or not ours to remove
            break


def remove_unlisted_files(index_dir) -> int:
    """Delete index files that the newest table of contents does not list: segment files of a run that failed
    (a full disk, a file-size limit) and half-written tables of contents. Call it only while holding the write
    lock (no other writer is then writing segments); readers never create files. Returns how many were removed."""
    from whoosh.index import TOC
    index_dir = Path(index_dir)
    storage = _storage(index_dir)
    try:
        listed = {seg.segment_id() for seg in TOC.read(storage, INDEX_NAME).segments} \
            if any(_TOC_RE.match(n) for n in os.listdir(index_dir)) else set()
    except Exception:  # noqa: BLE001  an unreadable TOC: remove nothing
        return 0
    removed = 0
    for name in os.listdir(index_dir):
        seg = _SEGMENT_RE.match(name)
        if (seg and seg.group(1) not in listed) or _TOC_TMP_RE.match(name):
            try:
                os.unlink(index_dir / name)
                removed += 1
            except OSError:
                pass
    temp = index_dir / ("%s.tmp" % INDEX_NAME)
    if temp.is_dir() and not temp.is_symlink():
        shutil.rmtree(temp, ignore_errors=True)
    return removed


def open_writer(ix, wait: float = 0.0, jobs: int = 1, min_docs: int = 1):
    """A writer holding the index lock, waiting up to `wait` seconds for another writer to finish.

    The lock is an OS (fcntl) lock: it vanishes with the process that held it, so a killed writer
    never leaves a lock that blocks later runs. With `jobs` > 1, worker processes are forked once `min_docs`
    documents are to be written (update.PARALLEL_MIN_DOCS).
    """
    from whoosh.index import LockError
    from .codec import ParlCodec
    from .whoosh_compat import writer_classes
    single, parallel = writer_classes()
    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        try:
            if jobs > 1 and parallel is not None:
                return parallel(ix, procs=jobs, limitmb=WRITER_MEMORY_MB, min_docs=min_docs)
            return single(ix, limitmb=WRITER_MEMORY_MB, codec=ParlCodec())
        except LockError:
            if time.monotonic() >= deadline:
                raise IndexLocked("the index at %s is locked by another process (another `parlsearch index` is "
                                  "running); try again later or pass --wait SECONDS" % ix.storage.folder) from None
            time.sleep(0.2)
