"""`watch run` against concurrency and damaged files (issue 19, items 5 and 6, and the "Tests" section).

Concurrency is synchronised on the run's pause hook (PARLSEARCH_WATCH_PAUSE: the run prints "paused at STAGE"
and waits to be killed), never on sleeps. A run that could hang (a FIFO) is bounded by a subprocess timeout
that only fails the test."""
from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest
from click.testing import CliRunner

from parlsearch.index.update import update_index
from parlsearch.search.cli.app import cli

from helpers import parlsearch_argv

#: Seconds after which a command that should have answered at once is taken to hang (a failure, not a timing).
HANG = 60


def record(moncode: int, title: str, *, received="2026-02-01", answer=None, answered=None) -> dict:
    rec = {"moncode": str(moncode), "titre": "Question écrite concernant " + title, "question": title + " ?",
           "auteur": "A Author", "destinataire": "M One - Ministre", "date_reception": received}
    if answer:
        rec.update(reponse=answer, date_reponse=answered)
    return rec


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


@pytest.fixture
def env(tmp_path, cli_env):
    """The environment of the real command, with private XDG directories."""
    return dict(cli_env, XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_STATE_HOME=str(tmp_path / "state"),
                XDG_DATA_HOME=str(tmp_path / "data"))


@pytest.fixture
def xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # never the user's own default index
    monkeypatch.delenv("PARLSEARCH_INDEX", raising=False)
    monkeypatch.delenv("PARLSEARCH_WATCH_PAUSE", raising=False)
    return tmp_path


def run(env, *args, **kwargs):
    return subprocess.run(parlsearch_argv() + list(args), env=env, capture_output=True, text=True, timeout=HANG,
                          **kwargs)


def state_file(tmp_path, name="zep"):
    return tmp_path / "state" / "parlsearch" / "watches" / (name + ".json")


@pytest.fixture
def watched_index(tmp_path, env, index_copy):
    """An index with one zeppelin question, a saved search `zep` whose baseline is recorded, then a second
    zeppelin question: the next run has one piece of news."""
    src = write_jsonl(tmp_path / "z.jsonl", [record(900301, "Un zeppelin")])
    update_index([src], index_copy)
    assert run(env, "watch", "add", "zep", "zeppelin").returncode == 0
    assert run(env, "watch", "run", "--index", str(index_copy)).returncode == 1  # the baseline
    write_jsonl(src, [record(900301, "Un zeppelin"), record(900302, "Un autre zeppelin", received="2026-02-02")])
    update_index([src], index_copy)
    return index_copy


def test_a_run_that_starts_while_another_reports_announces_nothing_twice(env, watched_index):
    """The first run has printed its news and not yet saved its state (paused there): a second run must be
    refused, not read the old state and announce the same news again. The lock used to be released before
    printing, so a slow pipe on stdout let a cron run and a manual run both announce every event."""
    ix = ["--index", str(watched_index)]
    first = subprocess.Popen(parlsearch_argv() + ["watch", "run", "--jsonl", *ix],
                             env=dict(env, PARLSEARCH_WATCH_PAUSE="before-commit"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert first.stderr.readline().strip() == "parlsearch: paused at before-commit"
        second = run(env, "watch", "run", "--jsonl", *ix)
        assert second.returncode == 2, second.stdout
        assert second.stdout == ""
        assert second.stderr.startswith("parlsearch: error: another `parlsearch watch run` is in progress")
        first.send_signal(signal.SIGKILL)
        out, _ = first.communicate(timeout=HANG)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["PRB-1-900302"]
    # The killed run saved nothing: its news is reported once more by the next run, then never again.
    assert [json.loads(line)["id"] for line in run(env, "watch", "run", "--jsonl", *ix).stdout.splitlines()] == [
        "PRB-1-900302"]
    assert run(env, "watch", "run", "--jsonl", *ix).returncode == 1


def test_a_question_that_arrives_answered_is_announced_once_as_new(runner_env_index):
    """Never as both "new" and "answered": it was never seen unanswered."""
    runner, index_dir, src = runner_env_index
    write_jsonl(src, [record(900401, "Un zeppelin"),
                      record(900402, "Un zeppelin déjà répondu", answer="Oui.", answered="2026-03-01")])
    update_index([src], index_dir)
    result = runner.invoke(cli, ["watch", "run", "--json", "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)["watches"][0]
    assert [(d["id"], d["status"]) for d in report["new"]] == [("PRB-1-900402", "answered")]
    assert report["answered"] == []
    assert json.loads(result.output)["news"] == 1


def test_a_question_seen_unanswered_then_answered_is_announced_as_answered(runner_env_index):
    runner, index_dir, src = runner_env_index
    write_jsonl(src, [record(900401, "Un zeppelin", answer="Non.", answered="2026-03-01")])
    update_index([src], index_dir)
    report = json.loads(runner.invoke(cli, ["watch", "run", "--json", "--index", str(index_dir)]).output)
    assert report["watches"][0]["new"] == []
    assert [d["id"] for d in report["watches"][0]["answered"]] == ["PRB-1-900401"]


@pytest.fixture
def runner_env_index(xdg, index_copy, tmp_path):
    """In process: a saved search `zep` with its baseline over one unanswered zeppelin question."""
    runner = CliRunner()
    src = write_jsonl(tmp_path / "z.jsonl", [record(900401, "Un zeppelin")])
    update_index([src], index_copy)
    assert runner.invoke(cli, ["watch", "add", "zep", "zeppelin"]).exit_code == 0
    assert runner.invoke(cli, ["watch", "run", "--index", str(index_copy)]).exit_code == 1
    return runner, index_copy, src


# -- files that are not what they should be --------------------------------------------------------------

@pytest.mark.parametrize("which", ["watches.toml", "state"])
def test_a_fifo_in_place_of_a_watch_file_is_refused_not_waited_on(tmp_path, env, watched_index, which):
    path = tmp_path / "config" / "parlsearch" / "watches.toml" if which == "watches.toml" else state_file(tmp_path)
    path.unlink()
    os.mkfifo(path)
    result = run(env, "watch", "run", "--index", str(watched_index))  # hung, reading the FIFO
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "a FIFO, not a regular file" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    if which == "watches.toml":
        assert run(env, "watch", "list").returncode == 2


@pytest.mark.parametrize("damage", [
    pytest.param(lambda s: dict(s, entries=[1, "x"]), id="entries-not-objects"),
    pytest.param(lambda s: dict(s, entries=[{"id": ["PRB-1-1"], "event": "new"}]), id="entry-value-not-text"),
    pytest.param(lambda s: dict(s, entries={"a": 1}), id="entries-not-a-list"),
    pytest.param(lambda s: dict(s, seen={"PRB-1-900301": {"status": "answered"}}), id="seen-value-not-text"),
    pytest.param(lambda s: dict(s, last_run=5), id="last-run-not-text"),
])
def test_a_damaged_state_is_reported_in_one_line(tmp_path, env, watched_index, damage):
    """A state edited by hand or damaged: one line naming the file, exit 2, also with --atom (a corrupted
    entry raised AttributeError while writing the feed)."""
    path = state_file(tmp_path)
    path.write_text(json.dumps(damage(json.loads(path.read_text("utf-8")))), "utf-8")
    result = run(env, "watch", "run", "--index", str(watched_index), "--atom", str(tmp_path / "feeds"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and str(path) in result.stderr, result.stderr
    assert "remove it to start a new baseline" in result.stderr


def test_a_deeply_nested_state_is_reported_in_one_line(tmp_path, env, watched_index):
    path = state_file(tmp_path)
    path.write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    result = run(env, "watch", "run", "--index", str(watched_index))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "nested too deeply" in result.stderr, result.stderr


def test_an_oversized_watches_toml_is_refused(tmp_path, env, watched_index):
    from parlsearch.search.watch.saved import MAX_CONFIG_BYTES
    path = tmp_path / "config" / "parlsearch" / "watches.toml"
    with open(path, "a", encoding="utf-8") as f:
        f.write("#" * MAX_CONFIG_BYTES + "\n")
    result = run(env, "watch", "list")
    assert result.returncode == 2 and "larger than 1 MiB" in result.stderr
