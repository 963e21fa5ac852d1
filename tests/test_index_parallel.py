"""The parallel writer fed lazily (issue 13, indexing memory): documents are streamed to worker processes in
batches and their fields made by the process that writes them; the index holds what the single-process writer
writes."""
from __future__ import annotations

import json

import pytest

from parlsearch.corpus.reader import bundled_corpus, read_paths
from parlsearch.index import update as update_module
from parlsearch.index import whoosh_compat
from parlsearch.index.parallel import ParallelWriter
from parlsearch.index.store import open_index
from parlsearch.index.update import indexed_hashes, update_index


def content(index_dir) -> dict:
    """What the index holds, keyed by document id: the parallel writer spreads batches over its workers, so
    document numbers (which only break ties between equal scores) differ from a single writer's."""
    ix = open_index(index_dir)
    try:
        with ix.reader() as reader:
            found = whoosh_compat.index_content(reader)
            docnums = list(reader.all_doc_ids())
    finally:
        ix.close()
    ids = {n: stored["id"] for n, stored in zip(docnums, found["stored"])}
    # Term statistics are per segment (two segments here, one there); the postings themselves must agree.
    return {
        "postings": {f: [(t, sorted((ids[n], w, v) for n, w, v in plist)) for t, plist, _ in rows]
                     for f, rows in found["postings"].items()},
        "lengths": {name: dict(zip(ids.values(), values)) for name, values in found["lengths"].items()},
        "stored": {stored["id"]: stored for stored in found["stored"]},
        "columns": {name: dict(zip(ids.values(), values)) for name, values in found["columns"].items()},
        "doc_count": found["doc_count"],
    }


@pytest.fixture
def parallel_always(monkeypatch):
    monkeypatch.setattr(update_module, "PARALLEL_MIN_DOCS", 1)


@pytest.mark.slow  # ~15 s: the whole index content compared
def test_lazy_parallel_build_equals_the_single_writer_build(tmp_path, parallel_always, monkeypatch):
    lazy_calls = []
    original = ParallelWriter.add_lazily
    monkeypatch.setattr(ParallelWriter, "add_lazily",
                        lambda self, to_fields, item: lazy_calls.append(1) or original(self, to_fields, item))
    update_index(None, tmp_path / "two", jobs=2)
    update_index(None, tmp_path / "one", jobs=1)
    assert len(lazy_calls) == 107  # the parallel writer was fed lazily
    two, one = content(tmp_path / "two"), content(tmp_path / "one")
    assert two["doc_count"] == one["doc_count"] == 107
    assert two == one


def test_lazy_parallel_update_replaces_changed_documents(index_copy, tmp_path, parallel_always):
    records = json.loads(next(bundled_corpus().glob("*.json")).read_text("utf-8"))
    items = records["questions"] if isinstance(records, dict) else records
    changed = dict(items[0], reponse="Réponse modifiée : zeppelinodrome.")
    path = tmp_path / "changed.jsonl"
    path.write_text(json.dumps(changed, ensure_ascii=False) + "\n", "utf-8")
    doc_id = read_paths([path]).documents[0].id
    before = indexed_hashes(open_index(index_copy))
    summary = update_index([path], index_copy, jobs=2)
    assert summary.updated == 1 and summary.new == 0 and summary.documents == 107
    after = indexed_hashes(open_index(index_copy))
    assert after[doc_id] != before[doc_id] and len(after) == 107
    from parlsearch.search.engine.core import Engine
    with Engine.open(index_copy) as engine:
        assert [h.doc.id for h in engine.search("zeppelinodrome").hits] == [doc_id]
