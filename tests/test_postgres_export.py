"""Issue 22: `parlsearch index --backend` — bulk and incremental, one transaction a run, idempotent, a
versioned layout, merged segments, a SIGKILL at any point leaving the previous commit. Needs the test cluster
(tests/pg_cluster.py); the merge policy's own tests run without it."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from helpers import parlsearch_argv

from parlsearch.corpus.reader import bundled_corpus

RECORDS = bundled_corpus() / "brussels-written-questions-2024-2029.json"


def records():
    return json.loads(RECORDS.read_text(encoding="utf-8"))["questions"]


def write_jsonl(path, recs):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    return path


def meta(dsn) -> dict:
    import psycopg
    with psycopg.connect(dsn, autocommit=True) as c:
        return dict(c.execute("SELECT key, value FROM parlsearch_meta").fetchall())


def sql(dsn, statement, params=None):
    import psycopg
    with psycopg.connect(dsn, autocommit=True) as c:
        cur = c.execute(statement, params)
        return cur.fetchall() if cur.description else None


def cli(*args, env=None):
    full = dict(os.environ)
    full.pop("PARLSEARCH_BACKEND", None)
    full.pop("PARLSEARCH_INDEX", None)
    full.update(env or {})
    return subprocess.run(parlsearch_argv() + list(args), capture_output=True, text=True, env=full, timeout=600)


def test_a_run_on_unchanged_input_takes_no_lock_and_writes_nothing(pg_schema):
    """Idempotent: the second run counts every document unchanged, leaves the generation as it was, and runs
    while another writer holds the write lock (it never asks for it)."""
    import psycopg
    from parlsearch.index.postgres.export import export
    first = export(None, pg_schema.servers())
    assert (first.new, first.documents) == (107, 107)
    before = meta(pg_schema.primary)["generation"]
    with psycopg.connect(pg_schema.primary, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(hashtext('parlsearch:write' || current_schema()))")
        again = export(None, pg_schema.servers())
    assert (again.new, again.updated, again.unchanged) == (0, 0, 107)
    assert meta(pg_schema.primary)["generation"] == before


def test_only_what_changed_is_written(pg_schema, tmp_path):
    from parlsearch.index.postgres.export import export
    from parlsearch.search.engine.core import Engine
    export(None, pg_schema.servers())
    recs = records()[:3]
    for r in recs:
        r["question"] = r.get("question", "") + " Ajout: zorglubienne."
    new = dict(records()[0], moncode=999001, titre="Question écrite concernant la zorglubienne")
    summary = export([write_jsonl(tmp_path / "more.jsonl", recs + [new])], pg_schema.servers())
    assert (summary.new, summary.updated, summary.documents) == (1, 3, 108)
    rows = sql(pg_schema.primary, "SELECT count(*) FILTER (WHERE live), count(*) FROM parlsearch_documents")[0]
    assert rows == (108, 111)  # the three old versions kept, not live
    with Engine.connect(pg_schema.servers()) as engine:
        assert engine.search("zorglubienne").total == 4
        assert engine.doc_count == 111 and engine.get("PRB-1-999001") is not None


def test_readings_of_one_question_merge_across_runs_as_in_a_local_index(pg_schema, tmp_path):
    """A later reading that lacks a field never erases it (corpus.model.merge), in the database as locally."""
    from parlsearch.index.postgres.export import export
    from parlsearch.index.update import update_index
    from parlsearch.search.engine.core import Engine
    record = next(r for r in records() if r.get("titre_nl"))
    reread = {k: v for k, v in record.items() if k != "titre_nl"}
    reread["reponse"] = (record.get("reponse") or "") + " Complément."
    first, second = write_jsonl(tmp_path / "a.jsonl", [record]), write_jsonl(tmp_path / "b.jsonl", [reread])
    for path in (first, second):
        export([path], pg_schema.servers())
        update_index([path], tmp_path / "ix")
    with Engine.connect(pg_schema.servers()) as pg, Engine.open(tmp_path / "ix") as local:
        doc_id = local.search("*").hits[0].doc.id
        assert pg.get(doc_id) == local.get(doc_id)
        assert pg.get(doc_id).title_nl and "Complément" in pg.get(doc_id).answer


def test_many_segments_merge_and_answer_as_one(pg_schema, engine, tmp_path, monkeypatch):
    """A bulk run written as many segments merges them past MAX_SEGMENTS; small updates merge among
    themselves; the answers stay the local index's."""
    from parlsearch.index.postgres import export as export_module, merge
    from parlsearch.search.engine.core import Engine
    monkeypatch.setattr(export_module, "SEGMENT_POSTINGS", 3000)
    monkeypatch.setattr(export_module, "DOCUMENT_BATCH", 7)
    export_module.export(None, pg_schema.servers())
    assert sql(pg_schema.primary, "SELECT count(*) FROM parlsearch_segments")[0][0] <= merge.MAX_SEGMENTS
    recs = records()
    for i in range(merge.MAX_SEGMENTS + 2):  # small updates, one segment each
        recs[i]["reponse"] = (recs[i].get("reponse") or "") + " Mise à jour %d." % i
        export_module.export([write_jsonl(tmp_path / ("u%d.jsonl" % i), [recs[i]])], pg_schema.servers())
        assert sql(pg_schema.primary, "SELECT count(*) FROM parlsearch_segments")[0][0] <= merge.MAX_SEGMENTS
    with Engine.connect(pg_schema.servers()) as pg:
        for text in ("logement", "stationnement vélo", '"parc du Cinquantenaire"', "tram OR bus"):
            a, b = engine.search(text, limit=200), pg.search(text, limit=200)
            assert a.total == b.total  # the updated documents replace theirs: the same matches
        assert pg.search('"Mise à jour 3"').total == 1


def test_merge_policy():
    from parlsearch.index.postgres.merge import MAX_SEGMENTS, choose
    assert choose([(0, 1_000_000)]) == []
    assert choose([(i, 100) for i in range(MAX_SEGMENTS)]) == []  # a bulk run's segments stay as they are
    small = [(0, 1_000_000)] + [(i, 1000) for i in range(1, MAX_SEGMENTS + 1)]
    assert choose(small) == list(range(1, MAX_SEGMENTS + 1))  # the small tail, never the large segment
    bigs = [(i, 1_000_000) for i in range(MAX_SEGMENTS + 1)]
    chosen = choose(bigs)
    assert len(bigs) - len(chosen) + 1 <= MAX_SEGMENTS // 2 + 1 and chosen == [s for s, _ in bigs[-len(chosen):]]


def test_a_killed_export_leaves_the_previous_commit_and_the_next_run_completes_it(pg_schema, tmp_path):
    """SIGKILL with a segment written but not committed, and just before the commit: the database is as the
    previous commit left it (no tables at all for a first run); the same command then does the whole work."""
    for point in ("after-segment-write", "before-commit"):
        proc = cli("index", "-q", "--backend", pg_schema.primary, env={"PARLSEARCH_TEST_KILL_AT": point})
        assert proc.returncode == -9, proc.stderr
        assert sql(pg_schema.primary, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND "
                                      "tablename LIKE 'parlsearch%%'")[0][0] == 0
    done = cli("index", "-q", "--backend", pg_schema.primary)
    assert done.returncode == 0 and "107 new" in done.stdout
    before = meta(pg_schema.primary)
    changed = records()[:2]
    for r in changed:
        r["reponse"] = (r.get("reponse") or "") + " Réponse complétée."
    update = write_jsonl(tmp_path / "changed.jsonl", changed)
    for point in ("after-segment-write", "before-commit"):
        proc = cli("index", "-q", "--backend", pg_schema.primary, str(update), env={"PARLSEARCH_TEST_KILL_AT": point})
        assert proc.returncode == -9
        assert meta(pg_schema.primary) == before
        assert sql(pg_schema.primary, "SELECT count(*) FROM parlsearch_documents")[0][0] == 107
    done = cli("index", "-q", "--backend", pg_schema.primary, str(update))
    assert done.returncode == 0 and "2 updated" in done.stdout
    assert int(meta(pg_schema.primary)["generation"]) == int(before["generation"]) + 1


def test_another_writer_is_one_line_exit_2_and_wait_waits(pg_schema):
    import psycopg
    cli("index", "-q", "--backend", pg_schema.primary)
    with psycopg.connect(pg_schema.primary, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(hashtext('parlsearch:write' || current_schema()))")
        for extra in ([], ["--wait", "0.3"]):
            proc = cli("index", "-q", "--rebuild", "--backend", pg_schema.primary, *extra)
            assert proc.returncode == 2
            assert proc.stderr.startswith("parlsearch: error: another parlsearch is writing to ")
            assert len(proc.stderr.splitlines()) == 1


def test_layout_and_analyzer_versions_are_checked_with_what_to_do(pg_schema):
    from parlsearch.index.postgres.tables import LAYOUT_VERSION
    assert cli("index", "-q", "--backend", pg_schema.primary).returncode == 0
    cases = [("layout_version", str(LAYOUT_VERSION + 1), "newer parlsearch"),
             ("layout_version", str(LAYOUT_VERSION - 1), "older database layout"),
             ("analyzer_version", "0", "another analyzer")]
    for key, value, words in cases:
        saved = meta(pg_schema.primary)[key]
        sql(pg_schema.primary, "UPDATE parlsearch_meta SET value = %s WHERE key = %s", (value, key))
        for args in (["search", "tram"], ["index", "-q"]):
            proc = cli(*args, "--backend", pg_schema.primary)
            assert proc.returncode == 2 and words in proc.stderr and len(proc.stderr.splitlines()) == 1, proc.stderr
        if words != "newer parlsearch":
            assert "--rebuild" in proc.stderr
        sql(pg_schema.primary, "UPDATE parlsearch_meta SET value = %s WHERE key = %s", (saved, key))
    sql(pg_schema.primary, "UPDATE parlsearch_meta SET value = '0' WHERE key = 'analyzer_version'")
    rebuilt = cli("index", "-q", "--rebuild", "--backend", pg_schema.primary)
    assert rebuilt.returncode == 0 and "107 new" in rebuilt.stdout
    assert cli("search", "--count", "tram", "--backend", pg_schema.primary).stdout.strip() == "10"


def test_tables_that_are_not_ours_are_left_alone(pg_schema):
    sql(pg_schema.primary, "CREATE TABLE parlsearch_documents (x integer)")
    sql(pg_schema.primary, "INSERT INTO parlsearch_documents VALUES (42)")
    for args in (["index", "-q"], ["index", "-q", "--rebuild"], ["search", "tram"]):
        proc = cli(*args, "--backend", pg_schema.primary)
        assert proc.returncode == 2 and "not a parlsearch database" in proc.stderr, proc.stderr
    assert sql(pg_schema.primary, "SELECT x FROM parlsearch_documents") == [(42,)]


def test_an_empty_database_and_one_without_a_schema_say_so(pg_schema):
    from helpers import pg_dsn
    proc = cli("search", "tram", "--backend", pg_schema.primary)
    assert proc.returncode == 2 and "holds no parlsearch index yet" in proc.stderr
    nowhere = pg_dsn(os.environ["PARLSEARCH_TEST_PG_PRIMARY"], "no_such_schema_here")
    proc = cli("index", "-q", "--backend", nowhere)
    assert proc.returncode == 2 and "no schema to hold parlsearch's tables" in proc.stderr, proc.stderr


def test_a_rebuild_renumbers_and_an_engine_opened_before_it_never_mixes_the_two(pg_schema, tmp_path):
    from parlsearch.index.postgres.connect import BackendProblem
    from parlsearch.index.postgres.export import export
    from parlsearch.search.engine.core import Engine
    export(None, pg_schema.servers())
    extra = dict(records()[0], moncode=999002)
    export([write_jsonl(tmp_path / "x.jsonl", [extra])], pg_schema.servers())
    old = Engine.connect(pg_schema.servers())
    try:
        assert old.doc_count == 108
        summary = export([write_jsonl(tmp_path / "y.jsonl", records()[5:10])], pg_schema.servers(), rebuild=True)
        assert summary.documents == 5
        assert not old.up_to_date()
        with pytest.raises(BackendProblem, match="rebuilt"):
            old.search("logement tram bus")
    finally:
        old.close()
    nothing = export([write_jsonl(tmp_path / "z.jsonl", [])], pg_schema.servers(), rebuild=True)
    assert nothing.documents == 5  # a rebuild that reads nothing keeps the database


def test_rejected_records_exit_3_and_the_rest_is_written(pg_schema, tmp_path):
    bad = tmp_path / "in.jsonl"
    good = records()[0]
    bad.write_text(json.dumps(good, ensure_ascii=False) + "\n{broken\n" + json.dumps({"question": 5}) + "\n",
                   encoding="utf-8")
    proc = cli("index", "--backend", pg_schema.primary, str(bad))
    assert proc.returncode == 3 and "rejected" in proc.stderr
    assert "1 new" in proc.stdout


def test_from_index_needs_a_backend_and_no_paths(bundled_index, pg_schema):
    proc = cli("index", "--from-index", str(bundled_index))
    assert proc.returncode == 2 and "give --backend" in proc.stderr
    proc = cli("index", "--from-index", str(bundled_index), "--backend", pg_schema.primary, str(RECORDS))
    assert proc.returncode == 2 and "without PATHS" in proc.stderr
    proc = cli("index", "--from-index", str(bundled_index), "--backend", pg_schema.primary, "--bundled", "chamber")
    assert proc.returncode == 2 and "without PATHS or --bundled" in proc.stderr
    proc = cli("index", "--from-index", str(bundled_index), "--backend", pg_schema.primary)
    assert proc.returncode == 0 and "107 new" in proc.stdout


def test_from_index_refuses_a_damaged_index_and_writes_nothing(index_copy, pg_schema):
    """A local index whose segment file no longer has its checksum is not copied: one line naming the damage
    and the rebuild command, exit 2, no table created."""
    seg = next(index_copy.glob("MAIN_*.seg"))
    data = bytearray(seg.read_bytes())
    data[len(data) // 2] ^= 0x10
    seg.write_bytes(bytes(data))
    proc = cli("index", "--from-index", str(index_copy), "--backend", pg_schema.primary)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert "damaged" in proc.stderr and "parlsearch index --rebuild --index" in proc.stderr and seg.name in proc.stderr
    import psycopg
    with psycopg.connect(pg_schema.primary, autocommit=True) as c:
        assert c.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s", (pg_schema.name,)).fetchone()[0] == 0


def test_two_databases_read_in_one_process_keep_their_own_vocabularies(pg_schema, tmp_path):
    """Prefix, fuzzy and spelling walk a vocabulary kept per process: two sets of tables at the same
    generation on one server (two schemas) must not share theirs."""
    import uuid
    from helpers import PgSchema
    from parlsearch.index.postgres.export import export
    from parlsearch.search.engine.core import Engine
    other = PgSchema("t_" + uuid.uuid4().hex[:12]).create()
    try:
        first = dict(records()[0], moncode=991001, question="Les hydroglisseurs du canal.")
        second = dict(records()[1], moncode=991002, question="Les hydravions du port.")
        export([write_jsonl(tmp_path / "a.jsonl", [first])], pg_schema.servers())
        export([write_jsonl(tmp_path / "b.jsonl", [second])], other.servers())
        with Engine.connect(pg_schema.servers()) as a, Engine.connect(other.servers()) as b:
            assert meta(pg_schema.primary)["generation"] == meta(other.primary)["generation"]
            assert a.search("hydrogliseurs~").total == 1 and b.search("hydravion*").total == 1
            assert b.search("hydrogliseurs~").total == 0 and a.search("hydravion*").total == 0
    finally:
        other.drop()


def test_rows_pack_and_read_back_whatever_their_widths():
    """blobs.py: narrow and wide weights and positions, rows of one term concatenated across segments."""
    import numpy as np
    from parlsearch.index.postgres.blobs import DamagedRow, WIDE_POSITIONS, WIDE_WEIGHTS, concatenate, pack, unpack
    parts = []
    for ids, weights, positions in (([1, 5], [1, 2], [3, 0, 7]), ([9], [70000], None), ([12, 13], [1, 1], [70000, 2])):
        layout, bids, bweights, bpos = pack(np.array(ids), np.array(weights, float),
                                             None if positions is None else np.array(positions))
        assert bool(layout & WIDE_WEIGHTS) == (max(weights) > 65535)
        assert bool(layout & WIDE_POSITIONS) == (positions is not None and max(positions) > 65535)
        got = unpack("t", len(ids), layout, bids, bweights, bpos, want_positions=bpos is not None)
        assert got[0].tolist() == ids and got[1].tolist() == weights
        if positions is not None:
            parts.append(got)
            assert got[2].tolist() == positions
    ids, weights, flat, starts = concatenate(parts)
    assert ids.tolist() == [1, 5, 12, 13] and flat.tolist() == [3, 0, 7, 70000, 2]
    assert starts.tolist() == [0, 1, 3, 4, 5]
    layout, bids, bweights, _ = pack(np.array([3, 2]), np.array([1.0, 1.0]), None)
    with pytest.raises(DamagedRow):
        unpack("field:term", 2, layout, bids, bweights)  # ids out of order
    with pytest.raises(DamagedRow):
        unpack("field:term", 3, layout, bids, bweights)  # sizes that do not fit the document frequency


def test_jobs_analyse_in_worker_processes_and_write_the_same_rows(pg_schema, monkeypatch, tmp_path):
    """--jobs 2: documents analysed by two processes in small batches, late readings revoked while their
    batch is still being analysed: the same rows as one process writes."""
    import uuid
    from helpers import PgSchema
    from parlsearch.index.postgres import export as export_module, rows as rows_module
    monkeypatch.setattr(rows_module, "ANALYSIS_BATCH", 7)
    monkeypatch.setattr(export_module, "DOCUMENT_BATCH", 11)
    other = PgSchema("t_" + uuid.uuid4().hex[:12]).create()
    try:
        late = write_jsonl(tmp_path / "late.jsonl", [dict(records()[3], reponse="Réponse tardive.")])
        paths = [bundled_corpus(), late]
        export_module.export(paths, pg_schema.servers(), jobs=1)
        export_module.export(paths, other.servers(), jobs=2)
        for table, order in (("parlsearch_postings", "field, term, segment"), ("parlsearch_documents", "docnum")):
            assert sql(pg_schema.primary, "SELECT * FROM %s ORDER BY %s" % (table, order)) == \
                sql(other.primary, "SELECT * FROM %s ORDER BY %s" % (table, order))
    finally:
        other.drop()
