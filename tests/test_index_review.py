"""Review of streaming indexing (issue 13): cases found by reading update.py and fastwriter.py."""
from __future__ import annotations

import pytest

from parlsearch.index import update as update_module
from parlsearch.index.fastwriter import ParallelWriter
from parlsearch.index.store import open_index
from parlsearch.index.update import indexed_hashes, update_index
from parlsearch.search.engine import Engine

from test_reliability import new_records, write_jsonl


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(update_module, "BATCH_DOCS", 10)
    monkeypatch.setattr(update_module, "PARALLEL_MIN_DOCS", 10)
    monkeypatch.setattr(ParallelWriter, "BATCH_DOCS", 10)


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
def test_late_readings_revoke_the_right_document_when_writers_roll_over(tmp_path, monkeypatch, jobs):
    """Every document in its own segment (a tiny memory limit), one document per batch: each revocation
    must reach the segment and document number the earlier version was written to."""
    from parlsearch.index import fastwriter
    reference = update_index(None, tmp_path / "reference")
    monkeypatch.setattr(update_module, "BATCH_DOCS", 1)
    monkeypatch.setattr(update_module, "PARALLEL_MIN_DOCS", 1)
    monkeypatch.setattr(ParallelWriter, "BATCH_DOCS", 1)
    monkeypatch.setattr(fastwriter, "BYTES_PER_TERM", 1 << 40)
    summary = update_index(None, tmp_path / "streamed", jobs=jobs)
    assert summary.documents == reference.documents
    with open_index(tmp_path / "streamed").reader() as reader:
        assert len(reader.leaf_readers()) > 10  # it did roll over
    assert indexed_hashes(open_index(tmp_path / "streamed")) == indexed_hashes(open_index(tmp_path / "reference"))
