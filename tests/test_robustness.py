"""No traceback escapes a command, and an empty index answers (issue 19, item 6).

- One top-level handler for every command: an unexpected exception is one line `parlsearch: error: internal
  error: Type: message (run again with --debug …)`, exit 2 (1 means "no match"); `--debug` or
  PARLSEARCH_DEBUG=1 shows the traceback; Ctrl-C stays 130, click's usage errors stay as they are.
- `index --jobs 2` on a full disk says what `--jobs 1` says.
- `index` that reads nothing creates nothing; `--rebuild` that reads nothing replaces nothing.
- An empty index (a first build interrupted before its first commit) answers "0 results".
"""
from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from parlsearch.index import update as update_module
from parlsearch.index.fastwriter import FastSegmentWriter
from parlsearch.index.parallel import ParallelWriter
from parlsearch.index.store import create_index
from parlsearch.index.update import update_index
from parlsearch.search.engine import core as engine_module
from parlsearch.search.cli.app import cli
from parlsearch.search.engine.core import Engine

from helpers import parlsearch_argv

HINT = "(run again with --debug for the traceback; please report it)"


@pytest.fixture
def runner():
    return CliRunner()


def one_error_line(result) -> str:
    """The result of a CliRunner run: exit 2, one line on stderr, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("parlsearch: error: "), result.stderr
    return lines[0]


def no_exception(result) -> None:
    """A CliRunner result of a command that ended by exiting, not by an exception (CliRunner turns an
    uncaught exception into exit status 1 and keeps its traceback off stderr)."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


def _boom(*args, **kwargs):
    raise RuntimeError("boom\nsecond line of the message")


# -- the top-level handler ---------------------------------------------------------------------------------

def test_an_unexpected_error_is_one_line_exit_2_with_the_debug_hint(runner, bundled_index, monkeypatch):
    monkeypatch.setattr(Engine, "search", _boom)
    result = runner.invoke(cli, ["search", "--index", str(bundled_index), "tram"])
    assert one_error_line(result) == (
        "parlsearch: error: internal error: RuntimeError: boom second line of the message " + HINT)
    assert result.stdout == ""


@pytest.mark.parametrize("command", [["stats", "tram"], ["similar", "PRB-1-170285"], ["show", "PRB-1-170285"]])
def test_every_command_has_the_handler(runner, bundled_index, monkeypatch, command):
    monkeypatch.setattr(Engine, "open", classmethod(_boom))
    line = one_error_line(runner.invoke(cli, command[:1] + ["--index", str(bundled_index)] + command[1:]))
    assert line.startswith("parlsearch: error: internal error: RuntimeError: boom") and line.endswith(HINT)


def test_an_unexpected_error_in_index_is_one_line(runner, tmp_path, monkeypatch):
    monkeypatch.setattr(update_module, "read_listed", _boom)
    line = one_error_line(runner.invoke(cli, ["index", "--index", str(tmp_path / "ix")]))
    assert "internal error: RuntimeError: boom" in line


_DEBUG_RUN = """
import sys
from parlsearch.search.engine.core import Engine
def boom(*a, **k):
    raise RuntimeError("boom")
Engine.search = boom
from parlsearch.search.cli.app import main
sys.argv[0] = "parlsearch"
main()
"""


@pytest.mark.parametrize("how", ["option", "environment", "neither"])
def test_debug_shows_the_traceback(bundled_index, cli_env, how):
    args = [sys.executable, "-c", _DEBUG_RUN] + (["--debug"] if how == "option" else [])
    args += ["search", "--index", str(bundled_index), "tram"]
    env = dict(cli_env, PARLSEARCH_DEBUG="1") if how == "environment" else dict(cli_env, PARLSEARCH_DEBUG="")
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    if how == "neither":
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    else:
        assert "Traceback (most recent call last)" in proc.stderr and "RuntimeError: boom" in proc.stderr
        assert proc.returncode == 1  # Python's own status for an uncaught exception


def test_ctrl_c_stays_130_and_usage_errors_stay_as_they_are(runner, bundled_index, monkeypatch):
    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(Engine, "search", interrupted)
    assert runner.invoke(cli, ["search", "--index", str(bundled_index), "tram"]).exit_code == 130
    line = one_error_line(runner.invoke(cli, ["search", "--jsn", "tram"]))
    assert "No such option" in line and "internal error" not in line


@pytest.mark.parametrize("buffered", [True, False])
def test_a_closed_pipe_is_not_an_internal_error(bundled_index, cli_env, buffered):
    """`parlsearch search … | head -1`: the reader goes away; no error line, the status of a SIGPIPE — with
    stdout buffered as in a user's shell (click's own EPIPE handler, reached first, exited 1: "nothing
    matched") and unbuffered (PYTHONUNBUFFERED, as some CI environments set it)."""
    env = {k: v for k, v in cli_env.items() if k != "PYTHONUNBUFFERED"}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    proc = subprocess.Popen(parlsearch_argv() + ["search", "--index", str(bundled_index), "--jsonl", "-n", "1000",
                                                 "*"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.read(10)
    proc.stdout.close()  # before the command has written its ~120 KB: its next write fails with EPIPE
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) in (0, 141)  # 0: all of it was in the pipe before the reader left
    assert stderr == ""


# -- a worker process's error ------------------------------------------------------------------------------

@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(update_module, "BATCH_DOCS", 10)
    monkeypatch.setattr(update_module, "PARALLEL_MIN_DOCS", 10)
    monkeypatch.setattr(ParallelWriter, "BATCH_DOCS", 10)


def test_a_full_disk_in_a_worker_process_is_reported_as_in_this_process(runner, tmp_path, monkeypatch, small_batches):
    """`index --jobs 2` on a full disk printed a 60-line RuntimeError holding the worker's traceback; the
    worker's OSError is now raised as an OSError, and said in one line as with --jobs 1."""
    def full(self, to_fields, item):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(FastSegmentWriter, "add_lazily", full)  # the workers' writers (forked with the patch)
    with pytest.raises(OSError) as raised:
        update_index(None, tmp_path / "lib", jobs=2)
    assert raised.value.errno == errno.ENOSPC
    assert "Traceback" in str(raised.value.__cause__)  # the worker's traceback, for --debug
    line = one_error_line(runner.invoke(cli, ["index", "--jobs", "2", "--index", str(tmp_path / "cli")]))
    assert line == "parlsearch: error: cannot write the index: No space left on device"


def test_another_error_in_a_worker_process_is_one_line(runner, tmp_path, monkeypatch, small_batches):
    def broken(self, to_fields, item):
        raise ValueError("a bug in the worker")
    monkeypatch.setattr(FastSegmentWriter, "add_lazily", broken)
    line = one_error_line(runner.invoke(cli, ["index", "--jobs", "2", "--index", str(tmp_path / "ix")]))
    assert line.startswith("parlsearch: error: internal error: RuntimeError: an indexing worker process failed: "
                           "ValueError: a bug in the worker")


def _mount_tmpfs(path, size: int) -> None:
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d" % size, "tmpfs", str(path)],
                          capture_output=True, text=True)
    if proc.returncode:
        pytest.skip("mount is not permitted here: %s" % proc.stderr.strip())


def test_index_jobs_2_on_a_real_full_disk_is_one_line(tmp_path, cli_env):
    """The real command on a 1.2 MB tmpfs, 600 documents (over PARALLEL_MIN_DOCS: two worker processes)."""
    records = json.loads((update_module.bundled_corpus() / "brussels-written-questions-2024-2029.json")
                         .read_text("utf-8"))["questions"]
    with open(tmp_path / "big.jsonl", "w", encoding="utf-8") as f:
        for i in range(600):
            record = dict(records[i % len(records)], moncode=str(800000 + i), numero=5000 + i)
            record.pop("id", None)
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    disk = tmp_path / "disk"
    disk.mkdir()
    _mount_tmpfs(disk, 1200 * 1024)
    try:
        proc = subprocess.run(parlsearch_argv() + ["index", "--jobs", "2", "--index", str(disk / "ix"),
                                                   str(tmp_path / "big.jsonl")],
                              env=cli_env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr == "parlsearch: error: cannot write the index: No space left on device\n"
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


# -- reading nothing ---------------------------------------------------------------------------------------

@pytest.fixture
def junk(tmp_path):
    path = tmp_path / "junk.bin"
    path.write_bytes(b"\x00\x01\x02binary")
    return path


def test_index_that_reads_nothing_creates_no_index(runner, tmp_path, junk):
    target = tmp_path / "new" / "deeper" / "ix"
    result = runner.invoke(cli, ["index", "--index", str(target), str(junk)])
    assert result.exit_code == 2
    assert "nothing could be read" in result.stderr
    assert not (tmp_path / "new").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert runner.invoke(cli, ["index", "--index", str(empty), str(junk)]).exit_code == 2
    assert list(empty.iterdir()) == []  # the directory stays, empty: still a new directory
    summary = update_index([junk], tmp_path / "lib")
    assert not summary.created and not (tmp_path / "lib").exists()
    assert summary.line().endswith("No index created at %s" % (tmp_path / "lib"))


def test_a_rebuild_that_reads_nothing_keeps_the_index(runner, index_copy, junk):
    result = runner.invoke(cli, ["index", "--rebuild", "--index", str(index_copy), str(junk)])
    assert result.exit_code == 2 and "nothing could be read" in result.stderr
    with Engine.open(index_copy) as engine:
        assert engine.searcher.doc_count() == 107


# -- an empty index ----------------------------------------------------------------------------------------

@pytest.fixture
def empty_index(tmp_path):
    """What a first build interrupted before its first commit leaves: the metadata and an empty index."""
    create_index(tmp_path / "empty").close()
    return tmp_path / "empty"


@pytest.mark.parametrize("query", [
    ["tram"], ["--json", "tram"], ['"parc du Cinquantenaire"'], ["titre:vélo"], ["--since", "2025", "tram"],
    ["--author", "maison"], ["--closest", "tram", "bus"], ["stationement~"], ["tram*"], ["--sort", "date", "tram"],
    ["Montgommery"], ["-n", "0", "*"],
])
def test_search_on_an_empty_index_finds_nothing(runner, empty_index, query):
    result = runner.invoke(cli, ["search", "--index", str(empty_index)] + query)
    no_exception(result)
    assert result.exit_code == 1, result.stderr
    assert result.stderr == "" or "internal error" not in result.stderr
    if "--json" in query:
        assert json.loads(result.stdout)["total"] == 0
    else:
        assert "0 results" in result.stdout


@pytest.mark.parametrize("args", [[], ["--json"], ["tram"], ["--json", "tram"], ["--delays"],
                                  ["--by", "minister,year", "tram"], ["--since", "2025"]])
def test_stats_on_an_empty_index_counts_nothing(runner, empty_index, args):
    result = runner.invoke(cli, ["stats", "--index", str(empty_index)] + args)
    no_exception(result)
    assert result.exit_code in (0, 1), (result.exit_code, result.stderr)
    assert result.stderr == ""
    if args == ["--json", "tram"]:
        assert json.loads(result.stdout)["total"] == 0
    elif args == ["--json"]:
        assert json.loads(result.stdout)["documents"] == 0


def test_similar_and_show_on_an_empty_index(runner, empty_index):
    for args in (["similar", "--text", "tram bus metro"], ["show", "170285"]):
        result = runner.invoke(cli, [args[0], "--index", str(empty_index)] + args[1:])
        no_exception(result)
        assert result.exit_code == 1


def test_the_web_page_on_an_empty_index_answers(empty_index):
    pytest.importorskip("flask")
    from parlsearch.search.web import app as web
    app = web.create_app(empty_index)
    client = app.test_client()
    for url in ("/", "/?q=tram", "/?q=tram&since=2025", "/api/search?q=tram", "/api/stats",
                "/similar?text=tram+bus", "/search.csv?q=tram"):
        assert client.get(url).status_code == 200, url
    assert client.get("/api/search?q=tram").get_json()["total"] == 0


def test_the_public_api_path_on_an_empty_index(empty_index, monkeypatch):
    from parlsearch.index import segments
    monkeypatch.setattr(segments, "FORCE_PUBLIC", True)
    with engine_module.Engine.open(empty_index) as engine:
        assert engine.search("tram").total == 0
        assert engine.search("tram bus").total == 0
