"""Issue 22: `--backend DSN` beside `--index DIR` on every command, $PARLSEARCH_BACKEND, the servers a DSN
names, and parlsearch without the `postgres` extra. These run without a database (the last ones with the
test cluster)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import pytest

from helpers import parlsearch_argv

from parlsearch.search.cli.app import cli as main_group

UNREACHABLE = "postgresql://someone:s3cr3t-pw@127.0.0.1:1/archive"


def _commands(group, prefix=()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + (name,))
        elif command is not None:
            yield prefix + (name,), command


def test_every_command_that_takes_index_takes_backend_and_max_lag():
    with_index = [(path, c) for path, c in _commands(main_group) if any("--index" in p.opts for p in c.params)]
    assert {p for p, _ in with_index} >= {("index",), ("search",), ("show",), ("similar",), ("stats",), ("eval",),
                                          ("serve",), ("fetch",), ("watch", "add"), ("watch", "run")}
    for path, command in with_index:
        names = {o for p in command.params for o in p.opts}
        assert {"--backend", "--max-lag"} <= names, path


def run(*args, env=None):
    full = {k: v for k, v in os.environ.items() if k not in ("PARLSEARCH_BACKEND", "PARLSEARCH_INDEX")}
    full.update(env or {})
    return subprocess.run(parlsearch_argv() + list(args), capture_output=True, text=True, env=full, timeout=300)


def test_index_and_backend_together_or_max_lag_alone_are_refused(bundled_index):
    proc = run("search", "tram", "--index", str(bundled_index), "--backend", UNREACHABLE)
    assert proc.returncode == 2 and proc.stderr == "parlsearch: error: give --index DIR or --backend DSN, not both\n"
    proc = run("search", "tram", "--index", str(bundled_index), "--max-lag", "5")
    assert proc.returncode == 2 and "--max-lag applies to a database" in proc.stderr


def test_the_environment_names_the_backend_and_explicit_options_win(bundled_index):
    proc = run("search", "--count", "tram", env={"PARLSEARCH_BACKEND": UNREACHABLE})
    assert proc.returncode == 2 and "no database server answers" in proc.stderr
    proc = run("search", "--count", "tram", "--index", str(bundled_index), env={"PARLSEARCH_BACKEND": UNREACHABLE})
    assert proc.returncode == 0 and proc.stdout.strip() == "10"


@pytest.mark.parametrize("args", [["search", "tram"], ["show", "170285"], ["similar", "170285"], ["stats"],
                                  ["index"], ["stats", "tram"], ["eval", "tests/data/dev.jsonl"]])
def test_an_unreachable_database_is_one_line_without_its_password(args):
    from helpers import REPO
    proc = run(*[str(REPO / a) if a.startswith("tests/") else a for a in args], "--backend", UNREACHABLE)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("parlsearch: error: ")
    assert "someone@127.0.0.1:1/archive" in proc.stderr and "s3cr3t" not in proc.stderr


def test_servers_of_one_multi_host_dsn_and_of_several_options():
    pytest.importorskip("psycopg")
    from parlsearch.index.postgres.connect import BackendProblem, Servers
    servers = Servers.parse(["postgresql://u:pw@db1:5433,db2:5434,db3/arch?sslmode=require"])
    assert [s.label for s in servers.all] == ["u@db1:5433/arch", "u@db2:5434/arch", "u@db3:5432/arch"]
    assert "pw" not in str(servers) and "sslmode" in servers.replicas[0].conninfo
    assert servers.primary.label == "u@db1:5433/arch"
    two = Servers.parse(["host=a port=1 dbname=x user=u", "postgresql://u@b:2/x"])
    assert [s.label for s in two.all] == ["u@a:1/x", "u@b:2/x"]
    assert len(Servers.parse("postgresql://u@a/x  postgresql://u@b/x").all) == 2  # $PARLSEARCH_BACKEND
    for bad in (["postgresql://u@a:1,b:2,c:3:4/x"], ["host=a,b port=1,2,3"], [""], ["not a dsn = = ="]):
        with pytest.raises(BackendProblem):
            Servers.parse(bad)


def test_without_the_postgres_extra_backend_says_how_to_install_it_and_the_rest_works(bundled_index):
    """psycopg made unimportable: --backend is one line naming the extra; local commands are unaffected."""
    code = ("import sys; sys.modules['psycopg'] = None; sys.argv = ['parlsearch'] + sys.argv[1:]; "
            "from parlsearch.search.cli.app import main; main()")
    proc = subprocess.run([sys.executable, "-c", code, "search", "tram", "--backend", "postgresql://u@h/x"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "pip install '.[postgres]'" in proc.stderr and len(proc.stderr.splitlines()) == 1
    proc = subprocess.run([sys.executable, "-c", code, "search", "--count", "tram", "--index", str(bundled_index)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip() == "10"


def test_the_rest_of_parlsearch_imports_nothing_of_the_driver():
    code = ("import sys; import parlsearch.search.cli.app, parlsearch.search.engine.core, parlsearch.search.web.app, "
            "parlsearch.index.update, parlsearch.search.targets; "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('psycopg', "
            "'parlsearch.index.postgres')))))")
    proc = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []


def test_serve_reads_the_database_and_picks_up_a_new_commit(pg_schema, tmp_path):
    """`serve --backend`: the web page's engines read the database, and a later export is seen at the next
    request (the pool compares generations)."""
    pytest.importorskip("flask")
    from parlsearch.index.postgres.export import export
    from parlsearch.search.web import app as web
    from parlsearch.search.engine.core import Engine
    export(None, pg_schema.servers())
    target = pg_schema.database()
    app = web.create_app(target, Engine.connect(target.servers))
    client = app.test_client()
    try:
        got = json.loads(client.get("/api/search?q=tram&n=3").data)
        assert got["total"] == 10 and len(got["hits"]) == 3
        assert json.loads(client.get("/api/stats").data)["documents"] == 107
        record = {"moncode": 992001, "titre": "Question écrite concernant les tramways nocturnes",
                  "question": "Quand les trams rouleront-ils la nuit ?", "date_depot": "2026-05-05"}
        path = tmp_path / "one.jsonl"
        path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
        export([path], pg_schema.servers())
        assert json.loads(client.get("/api/stats").data)["documents"] == 108
        assert app.extensions["parlsearch"].reopened == 1
        assert client.get("/doc/PRB-1-992001").status_code == 200
    finally:
        app.extensions["parlsearch"].close()
