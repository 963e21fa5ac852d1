"""What `search` writes for programs (issue 19, items 7 and 8): the machine formats (csv, tsv, json, jsonl,
line) write every match into a pipe or a file, up to a documented bound, chunk by chunk; whatever is left out
is said on stderr in one line; `--count` prints a bare number."""
import csv
import io
import json
import re

import pytest
from click.testing import CliRunner

from parlsearch.search.cli import hit_delivery as hit_delivery
from parlsearch.search.cli.app import cli

from helpers import on_a_pty, parlsearch_argv

MACHINE = ("csv", "tsv", "json", "jsonl", "line")
EVERY = 107  # documents of the bundled corpus: '*' matches them all


def _search(index, *args, **kw):
    return CliRunner().invoke(cli, ["search", "--index", str(index), *args], **kw)


def _hits(fmt: str, output: str) -> list[str]:
    """The ids a machine format wrote, in order."""
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(output, newline="")))
        assert rows[0][0] == "id"
        return [r[0] for r in rows[1:]]
    if fmt == "tsv":
        lines = output.splitlines()
        assert lines[0].startswith("id\t")
        return [line.split("\t")[0] for line in lines[1:]]
    if fmt == "json":
        data = json.loads(output)
        return [h["id"] for h in data["hits"]]
    if fmt == "jsonl":
        return [json.loads(line)["id"] for line in output.splitlines()]
    return [line.split()[1] for line in output.splitlines()]


@pytest.mark.parametrize("fmt", MACHINE)
def test_a_machine_format_into_a_pipe_writes_every_match_and_says_nothing(bundled_index, fmt):
    """The real command, stdout a pipe: every one of the 107 matches, stderr empty, exit 0."""
    import subprocess
    proc = subprocess.run(parlsearch_argv() + ["search", "--index", str(bundled_index), "--format", fmt, "*"],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    ids = _hits(fmt, proc.stdout)
    assert len(ids) == EVERY and len(set(ids)) == EVERY
    assert proc.stderr == ""


@pytest.mark.parametrize("fmt", MACHINE)
def test_an_explicit_limit_still_limits_and_stderr_says_how_many_were_left_out(bundled_index, fmt):
    result = _search(bundled_index, "--format", fmt, "-n", "5", "--offset", "2", "*")
    assert result.exit_code == 0
    assert len(_hits(fmt, result.stdout)) == 5
    assert result.stderr == ("parlsearch: 100 of 107 matches not written (-n 5); -n N or --offset 7 for more\n")


def test_nothing_is_said_when_nothing_is_left_out(bundled_index):
    assert _search(bundled_index, "--csv", "-n", "107", "*").stderr == ""
    assert _search(bundled_index, "--csv", "--offset", "100", "-n", "7", "*").stderr == ""
    assert _search(bundled_index, "--csv", "--offset", "200", "*").stderr == ""  # past the end: nothing after
    assert _search(bundled_index, "--jsonl", "zeppelinodrome").stderr == ""


def test_the_bound_on_what_a_pipe_gets_by_default_is_said_when_it_cuts(bundled_index, monkeypatch):
    monkeypatch.setattr(hit_delivery, "MAX_MACHINE_HITS", 30)
    result = _search(bundled_index, "--jsonl", "*")
    assert len(_hits("jsonl", result.stdout)) == 30
    assert result.stderr == ("parlsearch: 77 of 107 matches not written (30 by default in a pipe or a file); "
                             "-n N or --offset 30 for more\n")


@pytest.mark.parametrize("fmt", MACHINE)
@pytest.mark.parametrize("limit,offset", [(None, 0), (20, 3), (7, 0), (None, 100), (1, 106)])
def test_written_in_chunks_the_output_is_the_same_bytes(bundled_index, monkeypatch, fmt, limit, offset):
    """Chunks of 7 hits (a boundary inside and at the end of the limit) give exactly the output of one read."""
    args = ["--format", fmt, "--offset", str(offset), *(["-n", str(limit)] if limit else []), "*"]
    monkeypatch.setattr(hit_delivery, "CHUNK_HITS", 10_000)
    whole = _search(bundled_index, *args)
    monkeypatch.setattr(hit_delivery, "CHUNK_HITS", 7)
    chunked = _search(bundled_index, *args)
    assert chunked.exit_code == whole.exit_code == 0
    assert chunked.stdout == whole.stdout and chunked.stderr == whole.stderr
    assert len(_hits(fmt, whole.stdout)) == min(limit or EVERY, EVERY - offset)


def test_json_streamed_is_the_same_object(bundled_index, monkeypatch):
    monkeypatch.setattr(hit_delivery, "CHUNK_HITS", 4)
    data = json.loads(_search(bundled_index, "--json", "-n", "10", "tram OR vélo OR bus").stdout)
    assert list(data) == ["query", "total", "dropped", "suggestion", "note", "corrected", "understood", "hits"]
    assert [h["rank"] for h in data["hits"]] == list(range(1, 11)) and data["total"] > 10
    assert all(h["snippet"] for h in data["hits"])


def test_chunks_are_read_one_at_a_time(bundled_index, monkeypatch):
    """Each chunk is written before the next is read: the documents of at most one chunk are held at once."""
    from parlsearch.search.engine.core import Engine
    events = []
    search = Engine.search

    def counting(self, *a, **kw):
        result = search(self, *a, **kw)
        events.append(("read", len(result.hits)))
        return result

    monkeypatch.setattr(Engine, "search", counting)
    monkeypatch.setattr(hit_delivery, "CHUNK_HITS", 40)
    import click
    echo = click.echo
    monkeypatch.setattr(click, "echo", lambda text=None, *a, **kw: (events.append(("write", str(text).count("PRB-"))),
                                                                    echo(text, *a, **kw))[1])
    result = _search(bundled_index, "--format", "line", "*")
    assert result.exit_code == 0
    assert events == [("read", 40), ("write", 40), ("read", 40), ("write", 40), ("read", 27), ("write", 27)]


def test_on_a_terminal_a_machine_format_shows_a_screenful_and_says_so(bundled_index, cli_env):
    status, out, _ = on_a_pty(parlsearch_argv() + ["search", "--index", str(bundled_index), "--csv", "*"],
                              cli_env, rows=50, columns=200)
    text = out.decode()
    assert status == 0
    assert len(re.findall(r"^PRB-", text, re.M)) == 10
    assert "parlsearch: 97 of 107 matches not written (10 by default on a terminal); -n N or --offset 10 for " \
           "more" in text


# -- --count ---------------------------------------------------------------------------------------------------

def test_count_prints_a_bare_number_like_grep_c(bundled_index):
    tram = _search(bundled_index, "--count", "tram")
    total = json.loads(_search(bundled_index, "--json", "tram").stdout)["total"]
    assert tram.exit_code == 0 and tram.stdout == "%d\n" % total and total > 1
    none = _search(bundled_index, "--count", "zeppelinodrome")
    assert none.exit_code == 1 and none.stdout == "0\n"  # grep -c: 0 and exit 1
    assert _search(bundled_index, "--count", "*").stdout == "%d\n" % EVERY
    filtered = _search(bundled_index, "--count", "--since", "2026", "--author", "maison")
    assert filtered.stdout.strip().isdigit() and filtered.exit_code in (0, 1)


def test_count_refuses_what_it_would_ignore(bundled_index):
    for extra in (["--json"], ["-n", "3"], ["--offset", "2"], ["--closest"]):
        result = _search(bundled_index, "--count", *extra, "tram")
        assert result.exit_code == 2 and "--count prints the number of matches alone" in result.output, extra


def test_limit_zero_points_to_count(bundled_index):
    out = _search(bundled_index, "-n", "0", "tram").stdout
    assert out.endswith("(none shown: --limit 0; --count prints the number alone)\n")
