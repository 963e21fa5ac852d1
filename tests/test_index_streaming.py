"""Streaming, bounded-memory indexing (issue 13): documents reach the writer batch by batch while the input is
still being read (whatever its size, a run holds one batch of readings), readings of one question far apart are
still merged into one document, an unchanged corpus takes no lock and writes nothing, and the run reports its
phases in order."""
from __future__ import annotations

import json
import os

import pytest

from parlsearch.corpus import reader as reader_module
from parlsearch.index import update as update_module
from parlsearch.index.fastwriter import FastSegmentWriter
from parlsearch.index.parallel import ParallelWriter
from parlsearch.index.store import open_index
from parlsearch.index.update import indexed_hashes, update_index
from parlsearch.search.engine.core import Engine

from helpers import corpus_records, new_records, set_batch_docs, write_jsonl


class ReadCounter:
    """Counts the documents the readers have produced so far (wraps corpus.reader.read_file)."""

    def __init__(self, monkeypatch):
        self.read = 0
        original = reader_module.read_file

        def read_file(path, tracker=None):
            for item in original(path, tracker):
                if not isinstance(item, reader_module.Problem):
                    self.read += 1
                yield item
        monkeypatch.setattr(reader_module, "read_file", read_file)


@pytest.mark.parametrize("jobs", [1, 2], ids=["writer", "parallel-writer"])
def test_documents_reach_the_writer_while_the_input_is_still_read(tmp_path, monkeypatch, small_batches, jobs):
    counter = ReadCounter(monkeypatch)
    seen_at_first_write = []
    if jobs == 1:
        original = FastSegmentWriter.add_lazily

        def add_lazily(self, to_fields, item):
            seen_at_first_write.append(counter.read)
            return original(self, to_fields, item)
        monkeypatch.setattr(FastSegmentWriter, "add_lazily", add_lazily)
    else:
        original = ParallelWriter._send_pending

        def send_pending(self):
            seen_at_first_write.append(counter.read)
            return original(self)
        monkeypatch.setattr(ParallelWriter, "_send_pending", send_pending)
    path = write_jsonl(tmp_path / "many.jsonl", new_records(0, 60))
    summary = update_index([path], tmp_path / "index", jobs=jobs)
    assert summary.new == 60 and summary.documents == 60
    # The first batch (10 documents, plus the one reading that fills it) was handed over long before the
    # 60th record was read: the run never held the whole input.
    assert seen_at_first_write and seen_at_first_write[0] <= 11 < 60


@pytest.mark.parametrize("jobs", [1, 2], ids=["writer", "parallel-writer"])
def test_readings_of_one_question_far_apart_are_merged_as_when_read_together(tmp_path, monkeypatch, bundled_build,
                                                                            jobs):
    """The bundled corpus holds one question in several files (a JSON record and its Weblex page); with
    batches of one document every second reading arrives after the first was written. The second pass
    must give the same documents, counts and answers as one large batch."""
    reference_index, reference = bundled_build  # one large batch
    assert reference.duplicates >= 1
    set_batch_docs(monkeypatch, 1)
    summary = update_index(None, tmp_path / "streamed", jobs=jobs)
    assert (summary.new, summary.updated, summary.unchanged, summary.duplicates, summary.documents) == (
        reference.new, reference.updated, reference.unchanged, reference.duplicates, reference.documents)
    assert indexed_hashes(open_index(tmp_path / "streamed")) == indexed_hashes(open_index(reference_index))
    with Engine.open(reference_index) as one, Engine.open(tmp_path / "streamed") as other:
        for query in ("vélo", "logement social", "stationnement", "propreté"):
            a, b = one.search(query, limit=20), other.search(query, limit=20)
            assert a.total == b.total and {h.doc.id for h in a.hits} == {h.doc.id for h in b.hits}


def test_a_late_reading_that_changes_an_indexed_question_updates_it(tmp_path, monkeypatch, small_batches):
    base = write_jsonl(tmp_path / "base.jsonl", new_records(0, 30))
    update_index([base], tmp_path / "index")
    before = indexed_hashes(open_index(tmp_path / "index"))
    # The same 30 questions, then (20 new questions later) a second reading of the first one that adds a
    # field the first reading lacks: the merged question differs from the indexed one.
    first = new_records(0, 1)[0]
    extra = dict(first, reponse="Réponse tardive : zeppelinodrome.")
    again = write_jsonl(tmp_path / "again.jsonl", new_records(0, 30) + new_records(100, 20) + [extra])
    summary = update_index([again], tmp_path / "index")
    assert summary.new == 20 and summary.updated == 1 and summary.unchanged == 29
    assert summary.duplicates == 1 and summary.documents == 50
    after = indexed_hashes(open_index(tmp_path / "index"))
    changed = [i for i in before if before[i] != after[i]]
    assert len(changed) == 1
    with Engine.open(tmp_path / "index") as engine:
        assert [h.doc.id for h in engine.search("zeppelinodrome").hits] == changed


def test_an_unchanged_corpus_takes_no_lock_and_writes_nothing(index_copy, monkeypatch):
    listing = sorted(os.listdir(index_copy))
    opened = []
    original = update_module.open_writer
    monkeypatch.setattr(update_module, "open_writer", lambda *a, **k: opened.append(1) or original(*a, **k))
    summary = update_index(None, index_copy)
    assert summary.unchanged == summary.documents and not summary.changed
    assert opened == [] and sorted(os.listdir(index_copy)) == listing


@pytest.mark.parametrize("jobs", [1, 2], ids=["writer", "parallel-writer"])
def test_the_run_reports_its_phases_in_order_with_growing_counts(tmp_path, small_batches, jobs):
    records = new_records(0, 40)
    path = write_jsonl(tmp_path / "many.jsonl", records)
    events = []
    update_index([path], tmp_path / "index", jobs=jobs, progress=lambda *a, **info: events.append((a, info)))
    phases = [a[0] for a, _ in events]
    first = {p: phases.index(p) for p in set(phases)}
    assert phases[-1] == "done"
    assert first["reading"] < first["analysing"] < first["writing"] < first["committing"]
    for phase in ("reading", "analysing", "writing", "committing"):
        done = [a[1] for a, _ in events if a[0] == phase]
        assert done == sorted(done), phase
        last = [a for a, _ in events if a[0] == phase][-1]
        assert last[1] == last[2], (phase, last)  # finished: done == total
    reading = [(a, info) for a, info in events if a[0] == "reading"]
    assert reading[-1][0][2] == path.stat().st_size and reading[-1][1]["records"] == 40
    assert [a for a, _ in events if a[0] == "analysing"][-1][1] == 40


def test_merging_is_reported_when_the_commit_merges_segments(tmp_path):
    """Updates add small segments; the fourth of a size tier makes the commit merge the four into one
    (index/merge.py's policy), and the run says so."""
    for n in range(3):
        update_index([write_jsonl(tmp_path / ("%d.jsonl" % n), new_records(5 * n, 5))], tmp_path / "index")
    with open_index(tmp_path / "index").reader() as reader:
        assert len(reader.leaf_readers()) == 3
    events = []
    update_index([write_jsonl(tmp_path / "3.jsonl", new_records(15, 5))], tmp_path / "index",
                 progress=lambda *a, **info: events.append(a))
    merging = [a for a in events if a[0] == "merging"]
    assert merging and merging[0][1] == 0 and merging[-1][1] == merging[-1][2] == 4
    with open_index(tmp_path / "index").reader() as reader:
        assert len(reader.leaf_readers()) == 1 and reader.doc_count() == 20


def test_records_of_a_bad_file_are_reported_and_the_rest_streamed(tmp_path, small_batches):
    good = new_records(0, 25)
    lines = [json.dumps(r, ensure_ascii=False) for r in good]
    lines.insert(12, "{not json")
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    summary = update_index([path], tmp_path / "index")
    assert summary.new == 25 and len(summary.rejected) == 1 and summary.rejected[0].record == 13


def test_corpus_records_are_distinct_questions():
    # The helper this file leans on: new_records makes questions with new official codes.
    assert len({r["moncode"] for r in new_records(0, 60)}) == 60 and len(corpus_records()) > 60


def test_writing_reports_progress_while_a_segment_is_written(tmp_path, monkeypatch):
    """The last segment's postings take seconds to write at archive scale: the display must move meanwhile."""
    from parlsearch.index import recordwriter
    monkeypatch.setattr(recordwriter, "PROGRESS_TERMS", 50)
    events = []
    summary = update_index(None, tmp_path / "index", progress=lambda *a, **info: events.append(a))
    writing = [a for a in events if a[0] == "writing"]
    total = summary.new
    assert writing[-1][1:3] == (total, total)
    between = [a[1] for a in writing if 0 < a[1] < total]
    assert len(between) >= 5 and between == sorted(between)
