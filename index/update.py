"""Bring an index up to date with a corpus: add new documents, update changed ones, skip the rest."""
from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ..corpus.reader import Problem, read_paths

from .schema import index_fields
from .store import (check_usable, create_index, damaged_index, is_unfinished_first_build, open_index, open_writer,
                    remove_unlisted_files, resolve_index_dir)


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

    @property
    def rejected(self) -> list[Problem]:
        return [p for p in self.problems if p.rejected]

    @property
    def changed(self) -> bool:
        return bool(self.new or self.updated)

    def line(self) -> str:
        bad_files = len({p.path for p in self.rejected})
        text = "%d new, %d updated, %d unchanged documents from %d file%s" % (
            self.new, self.updated, self.unchanged, self.files, "" if self.files == 1 else "s")
        if self.duplicates:
            text += "; %d duplicate reading%s merged" % (self.duplicates, "" if self.duplicates == 1 else "s")
        text += ("; %d rejected (%d file%s)" % (len(self.rejected), bad_files, "" if bad_files == 1 else "s")
                 if self.rejected else "; 0 rejected")
        warnings = len(self.problems) - len(self.rejected)
        if warnings:
            text += "; %d warning%s" % (warnings, "" if warnings == 1 else "s")
        return text + ". Index: %d documents in %s" % (self.documents, self.index_dir)


def indexed_hashes(ix) -> dict[str, str]:
    """id → content hash of every document in the index (read from columns, not stored payloads)."""
    with ix.reader() as reader:
        if reader.doc_count_all() == 0:
            return {}
        ids = reader.column_reader("id")
        hashes = reader.column_reader("content_hash")
        return {ids[n]: hashes[n] for n in reader.all_doc_ids()}


def update_index(paths: Iterable[str | os.PathLike] | None = None, index_dir=None, *, rebuild: bool = False,
                 jobs: int = 1, wait: float = 0.0,
                 progress: Callable[[int], None] | None = None) -> UpdateSummary:
    """Read `paths` (default: the bundled corpus) and commit what changed, in one atomic commit.

    `progress(n)` is called as documents are read and written. A run killed before its commit leaves
    the previous commit intact and searchable.
    """
    from whoosh.writing import CLEAR
    index_dir = resolve_index_dir(index_dir)
    kind = _usable_for_writing(index_dir, rebuild)  # before reading anything: a refused directory fails fast
    read = read_paths(paths, progress=progress)
    summary = UpdateSummary(index_dir=index_dir, duplicates=read.duplicates, files=read.files,
                            problems=read.problems)
    docs = read.documents

    if kind != "index":
        ix = create_index(index_dir, replace_damaged=rebuild)
    else:
        ix = open_index(index_dir) if not rebuild else _open_for_rebuild(index_dir)
    try:
        generation = ix.latest_generation()
        try:
            known = {} if rebuild else indexed_hashes(ix)
        except Exception as e:  # truncated or corrupted segment files
            raise damaged_index(index_dir, e) from None
        todo = _plan(docs, known, summary)
        if todo or rebuild:
            writer = open_writer(ix, wait=wait, jobs=jobs if len(todo) >= PARALLEL_MIN_DOCS else 1)
            try:
                if not rebuild and ix.latest_generation() != generation:
                    # Another writer committed while this one waited for the lock: plan again against what
                    # it wrote, or documents it added would be added a second time.
                    todo = _plan(docs, indexed_hashes(ix), summary)
                lazily = getattr(writer, "add_lazily", None)  # the parallel writer: fields made when written
                for doc, replace in todo:
                    if lazily is not None:
                        if replace:  # what update_document does for the unique id field
                            writer.delete_by_term("id", doc.id)
                        lazily(index_fields, doc)
                    elif replace:
                        writer.update_document(**index_fields(doc))
                    else:
                        writer.add_document(**index_fields(doc))
                _test_point("before-commit", ix)
                if todo or rebuild:
                    writer.commit(mergetype=CLEAR) if rebuild else writer.commit()
                else:
                    writer.cancel()
            except BaseException:
                _cancel(writer, index_dir)
                raise
            _test_point("after-commit")
        with ix.reader() as reader:
            summary.documents = reader.doc_count()
    finally:
        ix.close()
    return summary


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
        remove_unlisted_files(index_dir)
    finally:
        writer._finish()


def _plan(docs, known: dict[str, str], summary: UpdateSummary) -> list:
    """(document, replace?) for every new or changed document; counts new/updated/unchanged in `summary`."""
    todo = []
    summary.new = summary.updated = summary.unchanged = 0
    for doc in docs:
        old = known.get(doc.id)
        if old is None:
            summary.new += 1
            todo.append((doc, False))
        elif old != doc.content_hash:
            summary.updated += 1
            todo.append((doc, True))
        else:
            summary.unchanged += 1
    return todo


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


def _open_for_rebuild(index_dir: Path):
    """Open for a rebuild: a compatible index is replaced atomically at commit; an incompatible one is recreated."""
    from .store import IndexProblem
    try:
        return open_index(index_dir)
    except IndexProblem:
        return create_index(index_dir)
