"""Review of streaming indexing (issue 13): cases found by reading update.py and fastwriter.py."""
from __future__ import annotations

import os

import pytest

from parlsearch.index import update as update_module
from parlsearch.index.parallel import ParallelWriter
from parlsearch.index.store import open_index
from parlsearch.index.update import indexed_hashes, update_index
from parlsearch.search.engine.core import Engine

from helpers import command_env, index_state, new_records, reaped, set_batch_docs, write_jsonl


@pytest.mark.parametrize("jobs", [1, 2], ids=["writer", "parallel-writer"])
def test_a_late_reading_keeps_what_every_earlier_file_contributed(tmp_path, small_batches, jobs):
    """A question read in a.jsonl and b.jsonl within one batch (merged in memory), then again in c.jsonl
    after its batch was written: the second pass must merge the readings of all three files, not only of
    the file of the first reading and of the late one (b.jsonl's answer was lost)."""
    question = new_records(0, 1)[0]
    question.pop("reponse", None)
    question.pop("answer", None)
    answered = dict(question, reponse="Réponse de l'autre fichier : zeppelinodrome.")
    (tmp_path / "in").mkdir()
    write_jsonl(tmp_path / "in" / "a.jsonl", [question])
    write_jsonl(tmp_path / "in" / "b.jsonl", [answered] + new_records(1, 20))
    write_jsonl(tmp_path / "in" / "c.jsonl", [question])
    summary = update_index([tmp_path / "in"], tmp_path / "index", jobs=jobs)
    assert (summary.new, summary.duplicates, summary.documents) == (21, 2, 21)
    with Engine.open(tmp_path / "index") as engine:
        assert engine.search("zeppelinodrome").total == 1


@pytest.mark.slow  # ~15 s a case: a hundred one-document segments
@pytest.mark.parametrize("jobs", [1, 2], ids=["writer", "parallel-writer"])
def test_late_readings_revoke_the_right_document_when_writers_roll_over(tmp_path, monkeypatch, bundled_build, jobs):
    """Every document in its own segment (a tiny memory limit), one document per batch: each revocation
    must reach the segment and document number the earlier version was written to (and the merges of the
    commit drop exactly the revoked documents)."""
    from parlsearch.index import fastwriter, inversion
    reference = update_index(None, tmp_path / "reference")
    monkeypatch.setattr(update_module, "BATCH_DOCS", 1)
    monkeypatch.setattr(update_module, "PARALLEL_MIN_DOCS", 1)
    monkeypatch.setattr(ParallelWriter, "BATCH_DOCS", 1)
    monkeypatch.setattr(fastwriter, "ANALYSIS_BATCH_DOCS", 1)
    monkeypatch.setattr(inversion, "BYTES_PER_TERM", 1 << 40)
    segments = []
    original = fastwriter.FastSegmentWriter._run_segments
    monkeypatch.setattr(fastwriter.FastSegmentWriter, "_run_segments",
                        lambda self, total=None: segments.extend(original(self, total)) or list(segments))
    summary = update_index(None, tmp_path / "streamed", jobs=jobs)
    assert summary.documents == reference.documents
    if jobs == 1:
        assert len(segments) > 10  # it did roll over
    assert indexed_hashes(open_index(tmp_path / "streamed")) == indexed_hashes(open_index(tmp_path / "reference"))


def test_late_readings_with_whoosh_own_writer(tmp_path, monkeypatch, bundled_build):
    """The fallback when the lean writer fails its self-check: whoosh's SegmentWriter, revocation by its
    document numbers in the one new segment."""
    from whoosh.writing import SegmentWriter
    from parlsearch.index import whoosh_compat
    reference_index, reference = bundled_build
    monkeypatch.setattr(whoosh_compat, "writer_classes", lambda: (SegmentWriter, None))
    monkeypatch.setattr(update_module, "BATCH_DOCS", 1)
    events = []
    summary = update_index(None, tmp_path / "streamed", jobs=2, progress=lambda *a, **i: events.append(a[0]))
    assert (summary.new, summary.duplicates, summary.documents) == (
        reference.new, reference.duplicates, reference.documents)
    assert indexed_hashes(open_index(tmp_path / "streamed")) == indexed_hashes(open_index(reference_index))
    assert "committing" in events and events[-1] == "done"
    # An update with a changed question and a late reading of it, through whoosh's writer too.
    again = update_index(None, tmp_path / "streamed")
    assert not again.changed and again.documents == reference.documents


def test_a_restarted_run_removes_its_files_while_it_still_holds_the_lock(tmp_path, monkeypatch):
    """Another writer commits while this run reads: the run gives up its writer and plans again. The files
    its writer had created must be removed before the lock is released: once released, the files of a
    writer that took the lock meanwhile (not listed in any table of contents yet) would be deleted too."""
    from parlsearch.index import store
    from whoosh.util.filelock import FcntlLock
    index_dir = tmp_path / "index"
    update_index([write_jsonl(tmp_path / "a.jsonl", new_records(0, 5))], index_dir)
    other = write_jsonl(tmp_path / "b.jsonl", new_records(5, 5))
    original_open_writer = update_module.open_writer
    commits_meanwhile = [other]

    def open_writer(ix, **kwargs):
        if commits_meanwhile:  # another process's run commits just before this one takes the lock
            update_index([commits_meanwhile.pop()], index_dir)
        return original_open_writer(ix, **kwargs)

    removals = []
    original_remove = store.remove_unlisted_files

    def remove_unlisted_files(directory):
        probe = FcntlLock(str(index_dir / "MAIN_WRITELOCK"))
        free = probe.acquire(False)
        if free:
            probe.release()
        removals.append(free)
        return original_remove(directory)

    monkeypatch.setattr(update_module, "open_writer", open_writer)
    monkeypatch.setattr(update_module, "remove_unlisted_files", remove_unlisted_files)
    summary = update_index([write_jsonl(tmp_path / "c.jsonl", new_records(10, 5))], index_dir)
    assert summary.new == 5 and summary.documents == 15
    assert removals and not any(removals), "files removed after the lock was released"


_FAILING_WORKER = r"""
import sys
from pathlib import Path
from parlsearch.index import update
from parlsearch.index.parallel import ParallelWriter

update.BATCH_DOCS = update.PARALLEL_MIN_DOCS = ParallelWriter.BATCH_DOCS = 10
fields = update.index_fields
seen = []

def failing(doc):  # called in the worker that writes the document
    seen.append(doc.id)
    if len(seen) == 3:
        raise ValueError("a long message: " + "x" * 1_000_000)
    return fields(doc)

update.index_fields = failing
try:
    update.update_index([Path(sys.argv[1])], Path(sys.argv[2]), jobs=2)
except RuntimeError as e:
    print("failed:", str(e)[:60])
"""


def test_a_worker_failing_with_a_long_message_does_not_hang_the_run(tmp_path):
    """A worker reports its error on a pipe the parent reads only at commit; while the parent still sends
    batches, an error larger than the pipe buffer left both processes waiting on each other."""
    import subprocess
    import sys
    path = write_jsonl(tmp_path / "many.jsonl", new_records(0, 80))
    done = subprocess.run([sys.executable, "-c", _FAILING_WORKER, str(path), str(tmp_path / "index")],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert "failed: an indexing worker process failed: ValueError" in done.stdout, done.stderr[-2000:]


_PARALLEL_RUN = r"""
import sys
from pathlib import Path
from parlsearch.index import update
from parlsearch.index.parallel import ParallelWriter

update.BATCH_DOCS = update.PARALLEL_MIN_DOCS = ParallelWriter.BATCH_DOCS = 10
try:
    update.update_index([Path(sys.argv[1])], Path(sys.argv[2]), jobs=2)
except KeyboardInterrupt:
    print("interrupted")
"""


def test_ctrl_c_reaching_the_parallel_writer_and_its_workers_keeps_the_previous_commit(tmp_path):
    """Ctrl-C on a terminal signals the whole process group: the workers and the parent. Stopped just before
    its commit (every batch sent to the workers), the run is interrupted: the previous commit stays, no
    segment file of the run is left, no worker outlives it."""
    import signal
    import subprocess
    import sys
    from parlsearch.index.store import _SEGMENT_RE
    from whoosh.index import TOC
    index_dir = tmp_path / "index"
    update_index([write_jsonl(tmp_path / "old.jsonl", new_records(0, 5))], index_dir)
    before = index_state(index_dir)
    path = write_jsonl(tmp_path / "many.jsonl", new_records(100, 60))
    proc = subprocess.Popen([sys.executable, "-c", _PARALLEL_RUN, str(path), str(index_dir)],
                            env=command_env(PARLSEARCH_TEST_STOP_AT="before-commit"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL, start_new_session=True)
    with reaped(proc):
        _, status = os.waitpid(proc.pid, os.WUNTRACED)  # returns when it has stopped itself
        assert os.WIFSTOPPED(status)
        workers = [int(p) for p in os.listdir("/proc") if p.isdigit() and _parent_of(int(p)) == proc.pid]
        assert len(workers) == 2
        os.killpg(proc.pid, signal.SIGINT)
        os.kill(proc.pid, signal.SIGCONT)
        out, err = proc.communicate(timeout=120)
    assert out.strip() == "interrupted", err
    assert not [w for w in workers if os.path.exists("/proc/%d" % w)]
    assert index_state(index_dir) == before
    from parlsearch.index.store import _storage
    listed = {seg.segment_id() for seg in TOC.read(_storage(index_dir), "MAIN").segments}
    left = {m.group(1) for name in os.listdir(index_dir) if (m := _SEGMENT_RE.match(name))}
    assert left == listed


def _parent_of(pid: int) -> int | None:
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


@pytest.mark.slow  # ~15 s: the whole index content compared
@pytest.mark.parametrize("lean_merges", ["array", "whoosh"])
def test_updates_that_merge_old_segments_write_what_whoosh_writes(tmp_path, monkeypatch, lean_merges):
    """Commits that merge old segments (parlsearch's array merges, or whoosh's policy through add_reader →
    add_postings_to_pool: text keys for the direct fields) and an update deleting a document of an old
    segment: the lean writer's index holds what whoosh's own SegmentWriter's does (documents matched by id:
    the two merge policies leave them in different orders)."""
    from whoosh.writing import SegmentWriter
    from parlsearch.index import merge, whoosh_compat
    from helpers import differences
    files = [write_jsonl(tmp_path / ("%d.jsonl" % i), new_records(i * 3, 3)) for i in range(8)]
    changed = dict(new_records(4, 1)[0], reponse="Réponse : zeppelinodrome.")
    files.append(write_jsonl(tmp_path / "changed.jsonl", [changed]))
    if lean_merges == "whoosh":
        monkeypatch.setattr(merge, "array_merges_usable", lambda: False)
    merges = []
    original = merge.merge_segments
    monkeypatch.setattr(merge, "merge_segments", lambda *a: merges.append(a) or original(*a))
    for name in ("lean", "whoosh"):
        if name == "whoosh":
            monkeypatch.setattr(whoosh_compat, "writer_classes", lambda: (SegmentWriter, None))
        for path in files:
            update_index([path], tmp_path / name)
        ix = open_index(tmp_path / name)
        assert len(ix._segments()) < len(files) and ix.doc_count() == 24
        ix.close()
    assert bool(merges) == (lean_merges == "array")
    with open_index(tmp_path / "lean").reader() as lean, open_index(tmp_path / "whoosh").reader() as made:
        assert differences(lean, made, by_id=True) == []


def test_late_readings_of_a_whole_corpus_are_merged_in_bounded_memory(tmp_path, monkeypatch, small_batches):
    """A JSON export read first, then pages of the same questions (the bundled corpus's layout at archive
    scale): every page is a late reading. The second pass must not hold them all in memory at once."""
    records = new_records(0, 60)
    (tmp_path / "in").mkdir()
    write_jsonl(tmp_path / "in" / "a-export.jsonl", records)
    write_jsonl(tmp_path / "in" / "b-pages.jsonl",
                [dict(r, reponse="Réponse %d : zeppelinodrome." % i) for i, r in enumerate(records)])
    held = [0]

    class Watched(update_module.Deduplicator):
        def add(self, doc):
            super().add(doc)
            held.append(len(self.by_id))
    monkeypatch.setattr(update_module, "Deduplicator", Watched)
    summary = update_index([tmp_path / "in"], tmp_path / "index")
    assert summary.new == 60 and summary.duplicates == 60 and summary.documents == 60
    held_streamed = max(held)
    monkeypatch.setattr(update_module, "BATCH_DOCS", 1000)
    reference = update_index([tmp_path / "in"], tmp_path / "reference")  # every reading in one batch
    assert indexed_hashes(open_index(tmp_path / "index")) == indexed_hashes(open_index(tmp_path / "reference"))
    assert reference.duplicates == summary.duplicates
    assert held_streamed <= 20, "held %d questions at once" % held_streamed
