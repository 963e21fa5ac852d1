"""Index building and updating on the real bundled corpus."""
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from parlsearch.corpus.reader import bundled_corpus, read_paths
from parlsearch.index.schema import SCHEMA_VERSION
from parlsearch.index.store import (META_FILE, IncompatibleIndex, IndexLocked, NoIndex, default_index_dir, open_index,
                         open_writer)
from parlsearch.index.update import indexed_hashes, update_index

from helpers import parlsearch_argv


def test_bundled_corpus_twice_gives_107_documents(bundled_build, index_copy):
    _, first = bundled_build  # the first build, into an empty directory
    assert (first.new, first.documents) == (107, 107)
    assert first.duplicates == 2  # both Weblex pages merge into their JSON records
    again = update_index(None, index_copy)
    assert (again.new, again.updated, again.unchanged, again.documents) == (0, 0, 107, 107)
    assert not again.changed


def test_changing_one_record_updates_exactly_that_document(index_copy, tmp_path):
    src = json.loads((bundled_corpus() / "brussels-written-questions-2024-2029.json").read_text("utf-8"))
    record = src["questions"][5]
    record["reponse"] = (record["reponse"] or "") + " Mise à jour : le zeppelinodrome est prévu."
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(src, ensure_ascii=False), "utf-8")
    before = indexed_hashes(open_index(index_copy))
    summary = update_index([changed], index_copy)
    assert (summary.new, summary.updated, summary.unchanged) == (0, 1, 105)
    after = indexed_hashes(open_index(index_copy))
    assert len(after) == 107
    assert {k for k in after if after[k] != before[k]} == {record["id"]}
    from parlsearch.search.engine.core import Engine
    with Engine.open(index_copy) as engine:
        hits = engine.search("zeppelinodrome").hits
        assert [h.doc.id for h in hits] == [record["id"]]


def test_new_documents_are_added(index_copy, tmp_path):
    doc = {"moncode": "999001", "titre": "Question écrite concernant les zeppelins", "question": "Des zeppelins ?",
           "auteur": "A B", "destinataire": "C D - Ministre", "date_reception": "2026-01-02"}
    path = tmp_path / "new.jsonl"
    path.write_text(json.dumps(doc) + "\n", "utf-8")
    summary = update_index([path], index_copy)
    assert (summary.new, summary.documents) == (1, 108)


def test_rebuild_starts_afresh(index_copy, tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"moncode": "1", "titre": "T", "question": "Q"}) + "\n", "utf-8")
    summary = update_index([path], index_copy, rebuild=True)
    assert summary.documents == 1


def test_problems_are_reported_and_good_documents_kept(tmp_path):
    good = {"moncode": "5", "titre": "Question écrite concernant le tram", "question": "Le tram 55 ?"}
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "good.jsonl").write_text(json.dumps(good) + "\n{broken\n", "utf-8")
    (tmp_path / "in" / "junk.json").write_bytes(b"\x00\x01\x02binary")
    summary = update_index([tmp_path / "in"], tmp_path / "ix")
    assert summary.documents == 1
    reasons = [(p.path.endswith("good.jsonl"), p.record) for p in summary.rejected]
    assert (True, 2) in reasons and len(summary.rejected) == 2
    assert "1 new" in summary.line() and "2 rejected" in summary.line()


def test_index_location(monkeypatch, tmp_path):
    monkeypatch.setenv("PARLSEARCH_INDEX", str(tmp_path / "a"))
    assert default_index_dir() == tmp_path / "a"
    monkeypatch.delenv("PARLSEARCH_INDEX")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_index_dir() == tmp_path / "xdg" / "parlsearch" / "index"


def test_missing_index_is_a_clear_error(tmp_path):
    with pytest.raises(NoIndex, match="no index at"):
        open_index(tmp_path / "nothing")


def test_incompatible_version_is_refused_with_rebuild_instruction(index_copy):
    meta = json.loads((index_copy / META_FILE).read_text())
    meta["analyzer_version"] = 0
    (index_copy / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(IncompatibleIndex, match="--rebuild"):
        open_index(index_copy)
    summary = update_index(None, index_copy, rebuild=True)
    assert summary.documents == 107
    open_index(index_copy).close()
    assert json.loads((index_copy / META_FILE).read_text())["schema_version"] == SCHEMA_VERSION


def test_second_writer_gets_locked_message(index_copy):
    ix = open_index(index_copy)
    writer = ix.writer()
    try:
        with pytest.raises(IndexLocked, match="locked by another process"):
            open_writer(open_index(index_copy), wait=0.3)
    finally:
        writer.cancel()
    open_writer(open_index(index_copy)).cancel()  # free again


def test_stats(bundled_index):
    from parlsearch.search.engine.counting import index_stats
    from parlsearch.search.engine.core import Engine
    with Engine.open(bundled_index) as engine:
        stats = index_stats(engine)
    assert stats["documents"] == 107
    assert stats["by_status"] == {"answered": 95, "unanswered": 12}
    assert stats["by_minister"]["Bernard Clerfayt"] >= 1
    assert sum(stats["by_year"].values()) == 107
    assert stats["by_year"]["2023"] == 1


@pytest.mark.slow
def test_sigkill_during_a_large_build_leaves_previous_commit(index_copy, tmp_path):
    """Kill `parlsearch index` in the middle of a big update: the last commit stays searchable, a re-run
    completes."""
    records = []
    src = json.loads((bundled_corpus() / "brussels-written-questions-2024-2029.json").read_text("utf-8"))
    for i in range(3000):
        r = dict(src["questions"][i % 106])
        r["moncode"] = str(500000 + i)
        r.pop("id", None)
        records.append(json.dumps(r, ensure_ascii=False))
    big = tmp_path / "big.jsonl"
    big.write_text("\n".join(records) + "\n", "utf-8")
    # Synchronised on an event, not a sleep: the build stops itself (SIGSTOP) once every document is
    # written and before its commit (PARLSEARCH_TEST_STOP_AT of index/update.py); it is killed there.
    env = dict(os.environ, PARLSEARCH_TEST_STOP_AT="before-commit")
    env.pop("PARLSEARCH_TEST_KILL_AT", None)
    proc = subprocess.Popen(parlsearch_argv() + ["index", "--index", str(index_copy), str(big)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        os.waitid(os.P_PID, proc.pid, os.WSTOPPED | os.WEXITED | os.WNOWAIT)
        assert proc.poll() is None, "the build exited instead of stopping before its commit"
    finally:
        proc.kill()  # SIGKILL (a no-op if it already exited)
    proc.wait()
    ix = open_index(index_copy)
    with ix.searcher() as s:
        assert s.doc_count() == 107
    from parlsearch.search.engine.core import Engine
    with Engine.open(index_copy) as engine:
        assert engine.search("garantie jeunesse").total >= 1
    summary = update_index([big], index_copy)
    assert summary.documents == 107 + 3000


@pytest.mark.parametrize("meta_change", [{"schema_version": 4, "codec_version": None}, {"codec_version": 0}],
                         ids=["before-array-postings", "another-codec"])
def test_an_index_of_another_posting_format_is_refused_with_rebuild_instruction(index_copy, meta_change):
    """An index written before postings were arrays (schema version 4, no codec version) or with another
    layout of them (index/codec.py's CODEC_VERSION) is refused with the rebuild command; the rebuild records
    the current versions."""
    from parlsearch.index.codec import CODEC_VERSION
    meta = json.loads((index_copy / META_FILE).read_text())
    for key, value in meta_change.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    (index_copy / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(IncompatibleIndex, match="codec version .*--rebuild"):
        open_index(index_copy)
    update_index(None, index_copy, rebuild=True)
    meta = json.loads((index_copy / META_FILE).read_text())
    assert (meta["schema_version"], meta["codec_version"]) == (SCHEMA_VERSION, CODEC_VERSION) == (5, CODEC_VERSION)
