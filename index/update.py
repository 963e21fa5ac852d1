"""Bring an index up to date with a corpus: add new documents, update changed ones, skip the rest.

One module (~460 lines) for one run: reading, the merge of each changed reading with its indexed version, the
late readings' second pass and the commit share one stream's state (the placed documents, their tickets and
files, the summary's counts); split across modules, that state would be passed around instead of kept in one
place."""
from __future__ import annotations

import os
import pickle
import signal
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ..corpus.model import merge
from ..corpus.reader import Deduplicator, Problem, ReadTracker, bundled_corpus, iter_files, read_listed

from ..wording import plural
from .schema import document_from_payload, index_fields
from .store import (check_usable, create_index, damaged_index, is_unfinished_first_build, missing_directories,
                    open_index, open_writer, remove_new_index, remove_unlisted_files, resolve_index_dir)


#: Below this many documents to write, --jobs is not worth forking for.
PARALLEL_MIN_DOCS = 500


@dataclass
class UpdateSummary:
    index_dir: Path
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    documents: int = 0  # in the index after the update
    files: int = 0
    problems: list[Problem] = field(default_factory=list)
    created: bool = True  # False: nothing was read for a new index, and none was left behind

    @property
    def read(self) -> int:
        """Documents read (after merging readings of one question)."""
        return self.new + self.updated + self.unchanged

    @property
    def rejected(self) -> list[Problem]:
        return [p for p in self.problems if p.rejected]

    @property
    def changed(self) -> bool:
        return bool(self.new or self.updated)

    def line(self) -> str:
        bad_files = len({p.path for p in self.rejected})
        text = "%d new, %d updated, %d unchanged documents from %s" % (  # (a list: the noun stays plural)
            self.new, self.updated, self.unchanged, plural(self.files, "file"))
        if self.duplicates:
            text += "; %s merged" % plural(self.duplicates, "duplicate reading")
        text += ("; %d rejected (%s)" % (len(self.rejected), plural(bad_files, "file"))
                 if self.rejected else "; 0 rejected")
        warnings = len(self.problems) - len(self.rejected)
        if warnings:
            text += "; %s" % plural(warnings, "warning")
        if not self.created:
            return text + ". No index created at %s" % self.index_dir
        return text + ". Index: %s in %s" % (plural(self.documents, "document"), self.index_dir)


def indexed_hashes(ix) -> dict[str, str]:
    """id → content hash of every document in the index (read from columns, not stored payloads)."""
    with ix.reader() as reader:
        return _hashes(reader)


def _hashes(reader) -> dict[str, str]:
    if reader.doc_count_all() == 0:
        return {}
    ids = reader.column_reader("id")
    hashes = reader.column_reader("content_hash")
    return {ids[n]: hashes[n] for n in reader.all_doc_ids()}


class _Indexed:
    """The indexed documents a run plans against: their content hashes (from columns, all in memory: ~150 bytes
    a document) and, on demand, the stored document of one id (its payload, read only for a reading whose hash
    differs, to merge the two: an unchanged corpus reads no payload)."""

    def __init__(self, ix, rebuild: bool):
        self.reader = None if rebuild else ix.reader()
        try:
            self.hashes = {} if rebuild else _hashes(self.reader)
        except BaseException:
            self.close()
            raise

    def document(self, doc_id: str):
        from whoosh.reading import TermNotFound
        try:
            docnum = self.reader.first_id("id", doc_id)
        except (KeyError, TermNotFound):
            return None
        return document_from_payload(self.reader.stored_fields(docnum)["payload"])

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None


#: Readings held before they are handed to the writer (~10 MB of text at the benchmark's 10 KB of indexed text
#: per question). Readings of one question inside this window are merged in memory; a reading of a question
#: already handed over is merged by a second pass over the files that hold it (rare: the same question in
#: two files read far apart).
BATCH_DOCS = 1000

#: Reading progress is reported every this many records (a position lookup per record would cost ~1 µs each).
PROGRESS_EVERY = 50

Progress = Callable[..., None]


def _no_progress(phase: str, done: int, total: int | None, unit: str, **info) -> None:
    pass


class _Restart(Exception):
    """Another writer committed between planning and taking the lock: plan again from the start."""


def update_index(paths: Iterable[str | os.PathLike] | None = None, index_dir=None, *, rebuild: bool = False,
                 jobs: int = 1, wait: float = 0.0, progress: Progress | None = None) -> UpdateSummary:
    """Read `paths` (default: the bundled corpus) and commit what changed, in one atomic commit.

    Documents stream from the readers to the writer in batches of BATCH_DOCS, so memory stays bounded
    whatever the size of the input (the writers roll their postings over into new segments at their memory
    limit). `progress(phase, done, total, unit, **info)` is told how the run goes: "reading" (bytes of
    input, with `records`), "analysing" (documents handed to the writer, with `unchanged`: those passed over
    so far), "writing" (documents whose
    segments are being written), "merging" (segments), "committing" (steps), and finally "done". A run
    killed before its commit leaves the previous commit intact and searchable.
    """
    index_dir = resolve_index_dir(index_dir)
    kind = _usable_for_writing(index_dir, rebuild)  # before reading anything: a refused directory fails fast
    report = progress or _no_progress
    files = list(iter_files([bundled_corpus()] if not paths else list(paths)))

    created_dirs = missing_directories(index_dir) if kind == "new" else []
    if kind != "index":
        ix = create_index(index_dir, replace_damaged=rebuild)
    else:
        ix = open_index(index_dir) if not rebuild else _open_for_rebuild(index_dir)
    try:
        while True:
            try:
                summary = _write(ix, index_dir, files, rebuild=rebuild, jobs=jobs, wait=wait, report=report)
                break
            except _Restart:
                continue
        with ix.reader() as reader:
            summary.documents = reader.doc_count()
    finally:
        ix.close()
        report("done", 0, 0, "")
    if kind == "new" and not summary.read:
        # Nothing could be read: leave no empty index behind (it would answer every search with nothing, and
        # the directory would no longer count as new).
        remove_new_index(index_dir, created_dirs)
        summary.created = False
    return summary


def _write(ix, index_dir: Path, files: list, *, rebuild: bool, jobs: int, wait: float, report) -> UpdateSummary:
    """One pass: stream the readings of `files` into a writer opened on the first document to write (an
    unchanged corpus never takes the lock nor touches the index); commit."""
    from whoosh.writing import CLEAR
    summary = UpdateSummary(index_dir=index_dir)
    generation = ix.latest_generation()
    try:
        indexed = _Indexed(ix, rebuild)
    except Exception as e:  # truncated or corrupted segment files
        raise damaged_index(index_dir, e) from None
    def writer_for_stream():
        writer = open_writer(ix, wait=wait, jobs=jobs, min_docs=PARALLEL_MIN_DOCS)
        if not rebuild and ix.latest_generation() != generation:
            # Another writer committed while this one read or waited for the lock: what was planned against
            # the older commit may be wrong (documents it added would be added twice).
            _cancel(writer, index_dir)  # its files removed while the lock is held
            raise _Restart
        writer.progress = _merge_test_point(report)
        return writer

    stream = _Stream(indexed, summary, writer_for_stream)
    try:
        if rebuild:
            stream.writer_now()
        read_into(stream, files, summary, report)
        indexed.close()
        writer = stream.writer
        if writer is not None:
            _test_point("before-commit", ix)
            if stream.handed or (rebuild and summary.read):
                writer.commit(mergetype=CLEAR) if rebuild else writer.commit()
                if not getattr(writer, "reports_phases", False):
                    report("committing", 1, 1, "steps")
            else:  # only unchanged documents after all (late readings merged back to the indexed version), or
                _cancel(writer, index_dir)  # a rebuild that read nothing: the index it would replace stays
    except BaseException:
        indexed.close()
        if stream.writer is not None and not getattr(stream.writer, "is_closed", False):
            _cancel(stream.writer, index_dir)
        raise
    if stream.writer is not None:
        _test_point("after-commit")
    return summary


def read_into(stream, files: list, summary: UpdateSummary, report, every: int = PROGRESS_EVERY) -> None:
    """Every record of `files` into `stream` (a _Stream: merged with the indexed versions, handed to a
    writer), every problem into `summary`, reading reported every `every` records; then the stream finished.
    One loop for a local index and the PostgreSQL export (index/postgres/export.py)."""
    total_bytes = sum(_file_size(f) for f in files if isinstance(f, Path))
    tracker = ReadTracker()
    records = 0
    sources: set[str] = set()
    report("reading", 0, total_bytes, "bytes", records=0)
    for item in read_listed(files, tracker):
        if isinstance(item, Problem):
            summary.problems.append(item)
            sources.add(item.path)
            continue
        sources.add(item.source)
        stream.add(item)
        records += 1
        if records % every == 0:
            report("reading", tracker.position, total_bytes, "bytes", records=records)
    report("reading", total_bytes, total_bytes, "bytes", records=records)
    summary.files = len(sources)
    stream.finish(files)


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class _Stream:
    """Readings → deduplicated documents → the writer, one batch at a time, with the summary's counts.

    `open_writer()` is called on the first document to write. Readings of a question already handed to the
    writer ("late" readings) are set aside; `finish()` merges them by a second pass over the files that hold
    them and replaces what was written (the earlier version is marked deleted in its new segment).

    A question already indexed is merged with its indexed version by the same corpus.model.merge that merges
    readings within the run (the indexed one read first): reading a file again never erases a field that an
    earlier run's reading contributed, nor brings an answered question back to unanswered."""

    def __init__(self, indexed: _Indexed, summary: UpdateSummary, open_writer: Callable):
        self.indexed = indexed
        self.known = indexed.hashes
        self.summary = summary
        self.open_writer = open_writer
        self.dedup = Deduplicator()
        #: id → (ticket or None, "new"/"updated"/"unchanged", the file numbers of its readings: _Files)
        self.placed: dict[str, tuple] = {}
        self.late: set[str] = set()
        self.late_files: set[int] = set()  # file numbers of the late readings
        self.file_numbers: dict[str, int] = {}
        self.pending_files: dict[str, int | frozenset] = {}  # id → _Files of the readings of a pending id
        self.writer = None
        self.handed = 0  # documents handed to the writer
        self._add = self._revoke = None

    def writer_now(self):
        if self.writer is None:
            self.writer = self.open_writer()
            self._add, self._revoke = _ticketing(self.writer)
        return self.writer

    def add(self, doc) -> None:
        number = self.file_numbers.setdefault(doc.source, len(self.file_numbers))
        if doc.id in self.placed:
            self.late.add(doc.id)
            self.late_files.add(number)
            self.summary.duplicates += 1
            return
        # Read in another file of the same batch too: a late reading must be merged with both.
        self.pending_files[doc.id] = _Files.add(self.pending_files.get(doc.id), number)
        before = self.dedup.duplicates
        self.dedup.add(doc)
        self.summary.duplicates += self.dedup.duplicates - before
        if len(self.dedup.by_id) >= BATCH_DOCS:
            self._hand_over()

    def _hand_over(self) -> None:
        docs, self.dedup.by_id = self.dedup.by_id, {}
        for doc in docs.values():
            doc, kind = self._against_index(doc)
            ticket = self._put(doc, kind) if kind != "unchanged" else None
            self.placed[doc.id] = (ticket, kind, self.pending_files.pop(doc.id))
            self._count(kind, +1)
        if self.writer is not None:
            self.writer.progress("analysing", self.handed, None, "documents", unchanged=self.summary.unchanged)

    def _against_index(self, doc) -> tuple:
        """(the document to index, "new"/"updated"/"unchanged"): a reading that differs from the indexed version
        is merged with it; the merge may give back the indexed version (the reading brought nothing newer)."""
        old = self.known.get(doc.id)
        if old is None:
            return doc, "new"
        if old != doc.content_hash:
            indexed = self.indexed.document(doc.id)
            if indexed is not None:
                doc = merge(indexed, doc)
        return doc, "updated" if old != doc.content_hash else "unchanged"

    def _count(self, kind: str, delta: int) -> None:
        setattr(self.summary, kind, getattr(self.summary, kind) + delta)

    def _put(self, doc, kind: str, delete_indexed: bool | None = None):
        self.writer_now()
        if kind == "updated" if delete_indexed is None else delete_indexed:
            self.writer.delete_by_term("id", doc.id)  # what update_document does for the unique id field
        self.handed += 1
        return self._add(index_fields, doc)

    def finish(self, files: list) -> None:
        self._hand_over()
        if self.late:
            self._merge_late(files)
        if self.writer is not None:
            self.writer.progress("analysing", self.handed, self.handed, "documents")

    def _merge_late(self, files: list) -> None:
        """Second pass: every reading of the late questions, in reading order, from the files that hold them.

        The readings are spooled to a temporary file (pickled, with each question's offsets in memory), then
        merged and written one question at a time: memory stays bounded even when most readings are late (a
        JSON export read first, then a page for each of its questions)."""
        late_files = set(self.late_files)
        for doc_id in self.late:
            late_files.update(_Files.numbers(self.placed[doc_id][2]))
        wanted = {name for name, number in self.file_numbers.items() if number in late_files}
        with tempfile.TemporaryFile(prefix="parlsearch-late-") as spool:
            offsets: dict[str, list[int]] = {}
            for item in read_listed([f for f in files if isinstance(f, Path) and str(f) in wanted]):
                if not isinstance(item, Problem) and item.id in self.late:
                    offsets.setdefault(item.id, []).append(spool.tell())
                    pickle.dump(item, spool, pickle.HIGHEST_PROTOCOL)
            for doc_id, where in offsets.items():
                doc = None
                for offset in where:
                    spool.seek(offset)
                    reading = pickle.load(spool)
                    doc = reading if doc is None else merge(doc, reading)
                self._replace_late(doc)

    def _replace_late(self, doc) -> None:
        ticket, old_kind, _ = self.placed[doc.id]
        doc, kind = self._against_index(doc)
        if ticket is not None:
            self._revoke(ticket)
        self._count(old_kind, -1)
        self._count(kind, +1)
        if kind != "unchanged" or old_kind == "updated":
            # An "updated" first reading deleted the indexed version: write the merged one even if it
            # equals the indexed one again.
            self._put(doc, kind, delete_indexed=(kind == "updated" and old_kind == "unchanged"))


class _Files:
    """The file numbers of a question's readings, kept for every question written: one int (small ints cost
    no memory) for the usual single file, a frozenset when several files hold it."""

    @staticmethod
    def add(held: int | frozenset | None, number: int) -> int | frozenset:
        if held is None or held == number:
            return number
        return (held if isinstance(held, frozenset) else frozenset((held,))) | {number}

    @staticmethod
    def numbers(held: int | frozenset) -> frozenset | tuple:
        return held if isinstance(held, frozenset) else (held,)


def _ticketing(writer):
    """(add(to_fields, item) → ticket, revoke(ticket)) for any writer: the lean writers hand out tickets;
    whoosh's own writer (the fallback) numbers this run's documents in its one new segment."""
    add = getattr(writer, "add_lazily", None)
    if add is not None:
        return add, writer.revoke

    def add_one(to_fields, item):
        ticket = writer.docnum
        writer.add_document(**to_fields(item))
        return ticket

    def revoke(ticket):
        writer.newsegment.delete_document(ticket)

    return add_one, revoke


def _usable_for_writing(index_dir: Path, rebuild: bool) -> str:
    """The directory's kind, as far as writing goes: "index" to open, anything else to create (new, unfinished,
    or damaged when rebuilding). Refuses a directory that is not ours, and a damaged index without --rebuild."""
    if rebuild:
        from .store import directory_kind
        kind = directory_kind(index_dir)
        if kind != "damaged":
            kind = check_usable(index_dir)
    else:
        kind = check_usable(index_dir)
    if kind == "index" and is_unfinished_first_build(index_dir):
        return "unfinished"
    return kind


def _cancel(writer, index_dir: Path) -> None:
    """Abandon a failed run: close its files, remove the segment files it wrote (a full disk must not stay full
    until the next successful run), then release the lock. The lock is still held while removing, so no other
    writer's files are touched; the last commit's files are listed in its table of contents and kept."""
    if getattr(writer, "is_closed", False):  # failed after its commit had released the lock: nothing of ours
        return
    try:
        if hasattr(writer, "_kill_workers"):
            writer._kill_workers()
        writer._terms = {}
        try:
            writer._close_segment()
        except Exception:  # noqa: BLE001  closing a half-written segment on a full disk can fail again
            pass
        try:
            remove_unlisted_files(index_dir)
        except OSError:  # the directory unreadable: the next commit cleans up
            pass
    finally:
        writer._finish()


#: Crash-test hook (tests/test_reliability.py), inert unless set: PARLSEARCH_TEST_KILL_AT=<point> SIGKILLs this
#: process at <point>, PARLSEARCH_TEST_STOP_AT=<point> SIGSTOPs it there (holding the write lock). Points:
#: before-commit (every document added), after-segment-write (new segments on disk, the new TOC not yet renamed
#: into place), after-toc-write (new TOC in place, old files not yet cleaned up), after-commit.
TEST_POINTS = ("before-commit", "after-segment-write", "after-toc-write", "after-commit")


def _test_point(point: str, ix=None) -> None:
    wanted = {os.environ.get("PARLSEARCH_TEST_KILL_AT"): signal.SIGKILL,
              os.environ.get("PARLSEARCH_TEST_STOP_AT"): signal.SIGSTOP}
    wanted.pop(None, None)
    if point in wanted:
        os.kill(os.getpid(), wanted[point])
    if ix is not None and wanted.keys() & {"after-segment-write", "after-toc-write"}:
        rename = ix.storage.rename_file  # whoosh makes a commit visible by renaming its new .toc file

        def rename_file(old, new, safe=False):
            if new.endswith(".toc"):
                _test_point("after-segment-write")
            rename(old, new, safe)
            if new.endswith(".toc"):
                _test_point("after-toc-write")
        ix.storage.rename_file = rename_file


#: Crash-test point of a commit's merges (not in TEST_POINTS: only runs that merge segments reach it): a merged
#: segment is written, the commit not yet.
MERGE_TEST_POINT = "during-merge"


def _merge_test_point(report):
    if MERGE_TEST_POINT not in (os.environ.get("PARLSEARCH_TEST_KILL_AT"), os.environ.get("PARLSEARCH_TEST_STOP_AT")):
        return report

    def progress(phase, done, total, unit, **info):
        report(phase, done, total, unit, **info)
        if phase == "merging" and done:
            _test_point(MERGE_TEST_POINT)
    return progress


def _open_for_rebuild(index_dir: Path):
    """Open for a rebuild: a compatible index is replaced atomically at commit; an incompatible one is recreated."""
    from .store import IndexProblem
    try:
        return open_index(index_dir)
    except IndexProblem:
        return create_index(index_dir)
