"""The writer of `--jobs N`: documents streamed to forked worker processes that write their own segments.

ParallelWriter streams documents, in batches, to worker processes forked from this one; each writes them
with the bulk writer (index/fastwriter.py) into its own segments, which it merges down to its share of
mergepolicy.MAX_BULK_SEGMENTS before answering (the workers merge at the same time, on their own cores). This
process reads and plans, then commits every worker's segments in one atomic TOC write, after the commit's
merge policy (index/merge.py). A run killed before that write leaves the previous commit intact; the
orphaned segment files are cleaned up by the next commit. Errors in a worker are reported by the parent
(with the worker's traceback), a worker dies with its parent, and Ctrl-C stops them all.
"""
from __future__ import annotations

import gc
import os
import pickle
import signal
import struct
import sys
import traceback

from .fastwriter import FastSegmentWriter
from .mergepolicy import MAX_BULK_SEGMENTS


def _die_with_parent() -> None:
    """Ask Linux to kill this (forked) process when its parent dies (best effort)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


_LENGTH = struct.Struct("<Q")


class WorkerTraceback(Exception):
    """The traceback of an error in a worker process, as text: the cause of the error the parent raises, so that
    `parlsearch --debug` shows where the worker failed while the user sees one line."""


def _send(fd: int, obj) -> None:
    data = pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)
    view = memoryview(_LENGTH.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _receive(fd: int):
    head = _read_exactly(fd, _LENGTH.size)
    return None if head is None else pickle.loads(_read_exactly(fd, _LENGTH.unpack(head)[0]) or b"")


def _read_exactly(fd: int, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class _Worker:
    """A forked child that writes the batches of documents it is sent into its own segments.

    It receives pickled batches [(to_fields, item), …] on one pipe and, after the end marker (None), answers
    on another with its segments and how many documents each holds (for the parent's tickets)."""

    def __init__(self, writer: "ParallelWriter", limitmb: float):
        to_child, self.send_fd = os.pipe()
        self.result_fd, from_child = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # child
            code = 1
            try:
                # Inherited objects are the parent's: never let this process's GC finalize one of them (a
                # file object collected here would flush the parent's buffered bytes into the shared fd).
                gc.freeze()
                os.close(self.send_fd)
                os.close(self.result_fd)
                for other in writer._workers:  # the other workers' pipe ends: their EOF must not wait on us
                    for fd in (other.send_fd, other.result_fd):
                        if fd is not None:
                            os.close(fd)
                _die_with_parent()
                if writer.writelock is not None and getattr(writer.writelock, "fd", None) is not None:
                    os.close(writer.writelock.fd)  # the lock stays with the parent alone
                try:
                    sub = FastSegmentWriter(writer._ix, _lk=False, limitmb=limitmb)
                    while (batch := _receive(to_child)) is not None:
                        for to_fields, item in batch:
                            sub.add_lazily(to_fields, item)
                        del batch
                    share = max(1, MAX_BULK_SEGMENTS // writer.procs)
                    result = ("ok", [(segment, segment.doc_count_all())
                                     for segment in sub.finished_segments(at_most=share)])
                    code = 0
                except BaseException as e:  # reported to the parent, which raises
                    detail = traceback.format_exc()
                    if isinstance(e, OSError):  # a full disk, a file-size limit: the parent raises it as such
                        result = ("oserror", (e.errno, e.strerror, e.filename, detail))
                    else:
                        result = ("error", ("%s: %s" % (type(e).__name__, e), detail))
                # Stop reading first: a parent still sending batches gets a broken pipe and comes to read
                # this answer, however long it is (an answer larger than the pipe's buffer would otherwise
                # leave both processes waiting on each other).
                os.close(to_child)
                _send(from_child, result)
            finally:
                os._exit(code)
        os.close(to_child)
        os.close(from_child)
        self.sequence: list[int] = []  # the tickets of the documents sent, in order

    def send(self, batch: list) -> None:
        try:
            _send(self.send_fd, batch)
        except BrokenPipeError:
            self.result()  # raises with the worker's error, or says it died
            raise RuntimeError("an indexing worker process stopped reading") from None

    def result(self) -> list:
        """[(segment, documents), …] once every batch has been sent."""
        if self.send_fd is not None:
            try:
                _send(self.send_fd, None)
            except BrokenPipeError:
                pass
            os.close(self.send_fd)
            self.send_fd = None
        answer = _receive(self.result_fd)
        os.close(self.result_fd)
        self.result_fd = None
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        if answer is None:
            raise RuntimeError("an indexing worker process died (exit status %d)" % status)
        kind, payload = answer
        if kind == "oserror":  # reported like the same error in this process (`cannot write the index: …`)
            errno, strerror, filename, detail = payload
            raise OSError(errno, strerror, filename) from WorkerTraceback(detail)
        if kind != "ok":
            message, detail = payload
            raise RuntimeError("an indexing worker process failed: %s" % message) from WorkerTraceback(detail)
        return payload

    def kill(self):
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
            self.pid = None
        for name in ("send_fd", "result_fd"):
            fd = getattr(self, name)
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(self, name, None)


class ParallelWriter(FastSegmentWriter):
    """Streams documents to `procs` forked worker processes that write them into their own segments; this
    process reads, plans and commits them all in one atomic TOC write.

    Memory stays bounded whatever the input: this process holds one batch (BATCH_DOCS documents) at a time,
    each worker one batch plus its held postings, which it writes into a new segment at its share of the
    memory limit. Batches go to the workers in turn, so the order of documents in the index
    (which only breaks ties between equal scores) is by batch and worker, not the input order. Until
    `min_docs` documents have come, nothing is forked: a small update is written by this process alone.

    `add_lazily(to_fields, item)` sends a reference-free pickle of `item` (a Document); its field values
    are made by the worker that writes it, one document at a time.
    """

    #: Documents per message to a worker (not the update's batch window, update.BATCH_DOCS, though of the
    #: same size): large enough to make pickling and pipe writes cheap (~10 MB of text), small enough that
    #: the workers start early and hold little.
    BATCH_DOCS = 1000

    def __init__(self, ix, procs=2, limitmb=1024, min_docs=1, **kwargs):
        self.procs = max(1, int(procs)) if hasattr(os, "fork") else 1  # no fork (Windows): one process
        self._totalmb = limitmb
        super().__init__(ix, limitmb=limitmb / self.procs, **kwargs)
        self._ix = ix
        self._min_docs = max(1, min_docs)
        self._pending: list[tuple] = []  # (ticket, to_fields, item) not sent yet
        self._workers: list[_Worker] = []
        self._turn = 0
        self._tickets = 0
        self._local: dict[int, tuple] = {}  # ticket → FastSegmentWriter ticket, for documents written here
        self._revoked: set[int] = set()

    def add_document(self, **fields):
        self.add_lazily(None, fields)

    def add_lazily(self, to_fields, item) -> int:
        self._check_state()
        ticket = self._tickets
        self._tickets += 1
        self._pending.append((ticket, to_fields, item))
        if self.procs > 1 and (self._workers or self._tickets >= self._min_docs) \
                and len(self._pending) >= min(self.BATCH_DOCS, self._min_docs):
            self._send_pending()
        return ticket

    def revoke(self, ticket: int) -> None:
        self._revoked.add(ticket)

    def _send_pending(self) -> None:
        if not self._workers:
            sys.stdout.flush()
            sys.stderr.flush()
            share = self._totalmb / self.procs
            for _ in range(self.procs):
                self._workers.append(_Worker(self, share))
        batch, self._pending = self._pending, []
        for start in range(0, len(batch), self.BATCH_DOCS):
            part = batch[start:start + self.BATCH_DOCS]
            worker = self._workers[self._turn % len(self._workers)]
            self._turn += 1
            worker.send([(to_fields, item) for _, to_fields, item in part])
            worker.sequence.extend(ticket for ticket, _, _ in part)

    def commit(self, mergetype=None, optimize=None, merge=None):
        self._check_state()
        try:
            if self._workers and self._pending:
                self._send_pending()
            for ticket, to_fields, item in self._pending:  # a small update: written here
                self._local[ticket] = FastSegmentWriter.add_lazily(self, to_fields, item)
            self._pending = []
            for ticket in self._revoked & self._local.keys():
                FastSegmentWriter.revoke(self, self._local[ticket])
            finalsegments = self._commit_plan(mergetype, optimize, merge, self._collect)
        except BaseException:
            self._kill_workers()
            raise
        self._commit_segments(finalsegments)

    def _collect(self) -> list:
        """This process's segments, then each worker's (revoked documents marked deleted), in document order."""
        segments = self._run_segments(total=self._tickets)
        written = len(self._local)
        for worker in self._workers:
            at = 0
            for segment, count in worker.result():
                for docnum, ticket in enumerate(worker.sequence[at:at + count]):
                    if ticket in self._revoked:
                        segment.delete_document(docnum)
                at += count
                segments.append(segment)
            written += at
            self.progress("writing", written, self._tickets, "documents")
        self._workers = []
        return segments

    def _kill_workers(self):
        for worker in self._workers:
            worker.kill()
        self._workers = []

    def cancel(self):
        self._kill_workers()
        self._pending = []
        if not self.is_closed:
            super().cancel()
