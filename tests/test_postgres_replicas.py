"""Issue 22: a primary and a streaming hot standby — reads spread over both, writes to the primary only, a
server that is down skipped with one warning, a lagging replica said and avoided. These tests stop and start
the test cluster's servers (tests/pg_cluster.py), holding its lock exclusively; skipped without a cluster."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import parlsearch_argv, pg_wait_replayed

sys.path.insert(0, str(Path(__file__).parent))
import pg_cluster  # noqa: E402  (the cluster script, as a module)

pytestmark = pytest.mark.slow


def cli(*args):
    env = {k: v for k, v in os.environ.items() if k not in ("PARLSEARCH_BACKEND", "PARLSEARCH_INDEX")}
    return subprocess.run(parlsearch_argv() + list(args), capture_output=True, text=True, env=env, timeout=600)


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("parlsearch: warning:")]


def test_a_document_indexed_on_the_primary_is_found_on_the_standby(pg_schema_exclusive, tmp_path):
    schema, _ = pg_schema_exclusive
    assert cli("index", "-q", "--backend", schema.primary).returncode == 0
    record = {"moncode": 990001, "titre": "Question écrite concernant les hydroglisseurs du canal",
              "question": "Combien d'hydroglisseurs naviguent sur le canal ?", "auteur": "Test Auteur",
              "date_depot": "2026-03-01", "legislature": "2024-2029"}
    path = tmp_path / "new.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    assert cli("index", "-q", "--backend", schema.primary, str(path)).returncode == 0
    pg_wait_replayed(schema.primary, schema.standby)
    found = cli("search", "--format", "line", "hydroglisseurs", "--backend", schema.standby)
    assert found.returncode == 0 and "PRB-1-990001" in found.stdout, found.stderr


def test_with_the_standby_stopped_reads_continue_on_the_primary(pg_schema_exclusive, capsys):
    from parlsearch.index.postgres.connect import open_for_reading
    from parlsearch.search.engine.core import Engine
    schema, cluster = pg_schema_exclusive
    assert cli("index", "-q", "--backend", schema.primary).returncode == 0
    pg_wait_replayed(schema.primary, schema.standby)
    reading_standby = Engine.connect(schema.servers(standby=True).__class__.parse([schema.standby]))
    pg_cluster.stop_node(cluster, "standby")
    try:
        assert not reading_standby.up_to_date()  # what `serve` checks: it then opens an engine elsewhere
    finally:
        reading_standby.close()
    conn, server = open_for_reading(schema.servers(standby=True), start=1)  # the standby first: skipped
    conn.close()
    assert server.label == schema.servers().primary.label
    said = warnings(capsys.readouterr().err)
    assert len(said) == 1 and "cannot reach" in said[0] and schema.servers(standby=True).replicas[0].label in said[0]
    for _ in range(4):  # whichever server a process tries first
        proc = cli("search", "--count", "tram", "--backend", schema.primary, "--backend", schema.standby)
        assert proc.returncode == 0 and proc.stdout.strip() == "10", proc.stderr
        assert len(warnings(proc.stderr)) <= 1 and len(proc.stderr.splitlines()) == len(warnings(proc.stderr))
    with pytest.raises(Exception, match="no database server answers"):
        Engine.connect(schema.servers(standby=True).__class__.parse([schema.standby]))


def test_with_the_primary_stopped_reads_go_on_and_writes_fail_in_one_line(pg_schema_exclusive):
    schema, cluster = pg_schema_exclusive
    assert cli("index", "-q", "--backend", schema.primary).returncode == 0
    pg_wait_replayed(schema.primary, schema.standby)
    pg_cluster.stop_node(cluster, "primary")
    for _ in range(3):
        proc = cli("search", "--count", "tram", "--backend", schema.primary, "--backend", schema.standby)
        assert proc.returncode == 0 and proc.stdout.strip() == "10", proc.stderr
        assert len(warnings(proc.stderr)) <= 1
    shown = cli("show", "--format", "line", "170285", "--backend", schema.primary, "--backend", schema.standby)
    assert shown.returncode == 0 and "PRB-1-170285" in shown.stdout
    written = cli("index", "-q", "--backend", schema.primary, "--backend", schema.standby)
    assert written.returncode == 2
    assert written.stderr.startswith("parlsearch: error: cannot write: cannot reach ")
    assert "writes go to the primary" in written.stderr and len(written.stderr.splitlines()) == 1


def test_a_lagging_replica_says_so_and_is_avoided(pg_schema_exclusive, capsys, tmp_path):
    import psycopg
    from parlsearch.index.postgres.connect import open_for_reading
    schema, cluster = pg_schema_exclusive
    assert cli("index", "-q", "--backend", schema.primary).returncode == 0
    pg_wait_replayed(schema.primary, schema.standby)
    with psycopg.connect(schema.standby, autocommit=True) as standby:
        standby.execute("SELECT pg_wal_replay_pause()")
        try:
            with psycopg.connect(schema.primary, autocommit=True) as primary:
                primary.execute("UPDATE parlsearch_meta SET value = value WHERE key = 'generation'")
                lsn = primary.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]
            import time
            deadline = time.monotonic() + 60
            while not standby.execute("SELECT pg_last_wal_receive_lsn() >= %s::pg_lsn", (str(lsn),)).fetchone()[0]:
                assert time.monotonic() < deadline
                time.sleep(0.02)
            conn, server = open_for_reading(schema.servers(standby=True), max_lag=0.0, start=1)
            conn.close()
            assert server.label == schema.servers().primary.label
            said = warnings(capsys.readouterr().err)
            assert len(said) == 1 and "behind its primary" in said[0] and "--max-lag 0" in said[0]
            proc = cli("search", "--count", "tram", "--backend", schema.standby, "--max-lag", "0")
            assert proc.returncode == 0 and proc.stdout.strip() == "10"  # the only server: read, with a warning
            assert any("every server that answers is behind" in w for w in warnings(proc.stderr))
            assert cli("search", "--count", "tram", "--backend", schema.standby, "--max-lag", "3600").stderr == ""
        finally:
            standby.execute("SELECT pg_wal_replay_resume()")
