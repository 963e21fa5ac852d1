"""The parlsearch command: through click's CliRunner and as a real subprocess."""
import json
import os
import subprocess

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from parlsearch.search.cli.app import cli

from helpers import DATA, assert_inert_on_terminal, on_a_pty, one_error_line, parlsearch_argv, reaped, write_jsonl
from helpers import cli as run


def test_version(runner):
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0 and "parlsearch" in result.output


def test_search_json_contract(runner, bundled_index):
    result = runner.invoke(cli, ["search", "--json", "--index", str(bundled_index), "garantie", "jeunesse"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert set(data) >= {"query", "total", "dropped", "hits"}
    assert data["query"] == "garantie jeunesse" and data["total"] == len(data["hits"]) >= 1
    hit = data["hits"][0]
    for key in ("id", "moncode", "number", "title", "subject", "author", "minister", "date_received",
                "date_answered", "status", "score", "snippet", "url"):
        assert key in hit
    assert hit["moncode"] == "170140" and "\x1b" not in hit["snippet"]


def test_jsonl_gives_one_hit_per_line(runner, bundled_index):
    result = runner.invoke(cli, ["search", "--jsonl", "--index", str(bundled_index), "vélo"])
    lines = result.output.strip().splitlines()
    assert result.exit_code == 0 and len(lines) >= 2
    assert all(json.loads(line)["id"].startswith("PRB-") for line in lines)


def test_exit_status_like_grep(runner, bundled_index):
    ix = ["--index", str(bundled_index)]
    assert runner.invoke(cli, ["search", *ix, "tram"]).exit_code == 0
    assert runner.invoke(cli, ["search", *ix, "zeppelinodrome"]).exit_code == 1
    bad = runner.invoke(cli, ["search", *ix, '"unbalanced'])
    assert bad.exit_code == 2 and "unbalanced quote" in bad.output


def test_limit_offset_and_summary(runner, bundled_index):
    result = runner.invoke(cli, ["search", "--index", str(bundled_index), "--limit", "2", "--offset", "1",
                                 "stationnement"])
    assert result.exit_code == 0
    assert " 2. " in result.output and " 3. " in result.output and " 1. " not in result.output
    assert "results (showing 2–3)" in result.output


def test_relaxed_summary_names_dropped_words(runner, bundled_index):
    result = runner.invoke(cli, ["search", "--index", str(bundled_index), "violence", "femme", "budget"])
    assert "relaxed: dropped" in result.output


def test_cli_filters(runner, bundled_index):
    ix = ["--index", str(bundled_index), "--json"]
    data = json.loads(runner.invoke(cli, ["search", *ix, "--author", "MAISON", "--status", "repondu", "--since",
                                          "2026-01", "--until", "2026-12-31", "neutralité"]).output)
    assert data["total"] >= 1
    assert all(h["author"] == "Joëlle Maison" and h["status"] == "answered" for h in data["hits"])
    data = json.loads(runner.invoke(cli, ["search", *ix, "--minister", "van den brandt", "tram"]).output)
    assert data["total"] >= 1 and all(h["minister"] == "Elke Van den Brandt" for h in data["hits"])
    bad = runner.invoke(cli, ["search", "--index", str(bundled_index), "--since", "yesterday", "tram"])
    assert bad.exit_code == 2


def test_show_and_similar(runner, bundled_index):
    ix = ["--index", str(bundled_index)]
    shown = runner.invoke(cli, ["show", *ix, "PRB-2019-2024-qe-1263"])
    assert shown.exit_code == 0 and "Kerckhofs" in shown.output and "170.000 euros" in shown.output
    data = json.loads(runner.invoke(cli, ["show", *ix, "--json", "170294"]).output)
    assert data["status"] == "unanswered" and data["answer"] is None and data["id"] == "PRB-1-170294"
    assert runner.invoke(cli, ["show", *ix, "PRB-0-0"]).exit_code == 1
    similar = json.loads(runner.invoke(cli, ["similar", *ix, "--json", "PRB-1-170289"]).output)
    assert similar["hits"] and all(h["id"] != "PRB-1-170289" for h in similar["hits"])


def test_eval_command(runner, bundled_index, tmp_path):
    ok = runner.invoke(cli, ["eval", "--index", str(bundled_index), str(DATA / "dev.jsonl")])
    assert ok.exit_code == 0 and "pass=25/25 MRR=1.000" in ok.output
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"id": "x1", "kind": "codes", "q": "bus 71", "expect": ["170243"], "max_rank": 1}\n'
                     '{"id": "x2", "kind": "offtopic", "q": "tram", "expect": null}\n', "utf-8")
    result = runner.invoke(cli, ["eval", "--json", "--index", str(bundled_index), str(cases)])
    data = json.loads(result.output)
    assert result.exit_code == 1 and data["passed"] == 1 and data["total"] == 2 and data["mrr"] == 1.0
    assert data["by_kind"]["offtopic"] == {"passed": 0, "total": 1}
    assert [c["rank"] for c in data["cases"]] == [1, None]
    assert runner.invoke(cli, ["eval", "--min-pass", "1", "--index", str(bundled_index), str(cases)]).exit_code == 0


def test_stats_json(runner, bundled_index):
    data = json.loads(runner.invoke(cli, ["stats", "--json", "--index", str(bundled_index)]).output)
    assert data["documents"] == 107 and data["by_status"]["answered"] == 95


def test_control_characters_never_reach_the_terminal(runner, tmp_path):
    evil = {"moncode": "900001", "titre": "Question écrite concernant le tram \x1b]0;pwned\x07\x1b[31m rouge",
            "question": "Le tram \x1b[2J efface\u202e l’écran \x9b6n et \x00 nul ?", "auteur": "E\x1b[1mvil",
            "destinataire": "Mi\u202enister - Ministre"}
    src = tmp_path / "evil.jsonl"
    src.write_text(json.dumps(evil) + "\n", "utf-8")
    ix = ["--index", str(tmp_path / "ix")]
    assert runner.invoke(cli, ["index", *ix, str(src)]).exit_code == 0
    for args in (["search", *ix, "--color", "always", "tram"], ["show", *ix, "900001"], ["search", *ix, "tram"]):
        out = runner.invoke(cli, args).output
        assert "\x1b]" not in out and "\x1b[2J" not in out and "\x1b[31m" not in out and "\x07" not in out
        assert "\u202e" not in out and "\x9b" not in out and "\x00" not in out
    data = json.loads(runner.invoke(cli, ["show", *ix, "--json", "900001"]).output)
    assert data["question"] == evil["question"].replace("\x00", "") or data["question"] == evil["question"]


def test_index_command_summary(runner, tmp_path):
    result = runner.invoke(cli, ["index", "--index", str(tmp_path / "ix")])
    assert result.exit_code == 0
    assert "107 new" in result.output and "2 duplicate readings merged" in result.output
    again = runner.invoke(cli, ["index", "--index", str(tmp_path / "ix")])
    assert "0 new, 0 updated, 107 unchanged" in again.output


# -- real subprocesses ---------------------------------------------------------------------------------

def test_first_run_builds_the_index_and_answers(cli_env):
    proc = run("search", "stationnement", "vélo", env=cli_env)
    assert proc.returncode == 0, proc.stderr
    assert "building it from the bundled corpus" in proc.stderr
    assert "stationnement vélo dans les immeubles de bureaux" in proc.stdout
    again = run("search", "stationnement", "vélo", env=cli_env)
    assert again.returncode == 0 and "building" not in again.stderr


def test_piped_output_has_no_escape_codes(bundled_index, cli_env):
    proc = run("search", "--index", str(bundled_index), "garantie", "jeunesse", env=cli_env)
    assert proc.returncode == 0 and "\x1b" not in proc.stdout
    forced = run("search", "--index", str(bundled_index), "--color", "always", "garantie", "jeunesse", env=cli_env)
    assert "\x1b[" in forced.stdout


def test_subprocess_exit_codes_and_messages(bundled_index, cli_env):
    ix = ["--index", str(bundled_index)]
    assert run("search", *ix, "zeppelinodrome", env=cli_env).returncode == 1
    for query, message in (('"open', "unbalanced quote"), ("(a OR b", "unbalanced parenthesis"),
                           ("nope:thing", "unknown field"), ("date:2026-02-31", "bad date")):
        proc = run("search", *ix, "--", query, env=cli_env)
        assert proc.returncode == 2, query
        assert message in proc.stderr and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_incompatible_index_message(index_copy, cli_env):
    meta = json.loads((index_copy / "parlsearch-meta.json").read_text())
    meta["analyzer_version"] = -1
    (index_copy / "parlsearch-meta.json").write_text(json.dumps(meta))
    proc = run("search", "--index", str(index_copy), "tram", env=cli_env)
    assert proc.returncode == 2 and "--rebuild" in proc.stderr and "Traceback" not in proc.stderr


def test_module_entry_point(bundled_index, cli_env):
    import sys
    proc = subprocess.run([sys.executable, "-m", "parlsearch", "search", "--json", "--index", str(bundled_index),
                           "bus", "71"], capture_output=True, text=True, env=cli_env, timeout=60)
    assert proc.returncode == 0 and json.loads(proc.stdout)["hits"][0]["moncode"] == "170243"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(list('ab é"()*?~:-+[]{}^/\\.&|') + ["OR", "date:", "auteur:"]), max_size=20)
       .map("".join))
def test_no_generated_query_makes_the_command_crash(bundled_index, text):
    """In this process (the command's own error handling, LazyGroup.main, runs under CliRunner too): a crash
    is an exception other than the exit."""
    result = _separate_streams().invoke(cli, ["search", "--index", str(bundled_index), "--", text])
    assert result.exit_code in (0, 1, 2), (text, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), (text, result.exception)
    if result.exit_code == 2:
        one_error_line(result.stderr)


@pytest.mark.parametrize("text", ['"tram', "date:", "auteur: (OR", "((vélo", "a~~^[]{}/\\", "-", "*"])
def test_hostile_queries_never_crash_the_real_command(bundled_index, cli_env, text):
    """The same in a real process (its stderr is what a user sees), for a few hostile shapes."""
    proc = run("search", "--index", str(bundled_index), "--", text, env=cli_env)
    assert proc.returncode in (0, 1, 2), proc.stderr
    assert "Traceback" not in proc.stderr
    if proc.returncode == 2:
        one_error_line(proc.stderr)


# -- one CLI contract (issue 10) and misspelled options (issue 11 item 14) ----------------------------------------

def _separate_streams() -> CliRunner:
    """A runner that keeps stderr apart (click 8.1 needs mix_stderr=False; click 8.2+ always does)."""
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:
        return CliRunner()


@pytest.mark.parametrize("args, hint", [(["tram", "--jsn"], "Did you mean"), (["--autor", "maison"], "Did you mean"),
                                        (["--limt", "3", "tram"], "--limit"), (["tram", "-x"], "'--'")])
def test_misspelled_options_are_errors_not_search_words(bundled_index, args, hint):
    """Issue 11 item 14: they used to become query words (exit 0)."""
    result = _separate_streams().invoke(cli, ["search", "--index", str(bundled_index), *args])
    assert result.exit_code == 2
    line = one_error_line(result.stderr)
    assert "No such option" in line and hint in line


def test_misspelled_option_in_a_real_process(bundled_index, cli_env):
    proc = run("search", "--index", str(bundled_index), "tram", "--jsn", env=cli_env)
    assert proc.returncode == 2 and proc.stdout == ""
    line = one_error_line(proc.stderr)
    assert "No such option" in line and "--jsn" in line and "Did you mean" in line


def test_a_query_starting_with_a_dash_works_after_double_dash(runner, bundled_index):
    ix = ["--index", str(bundled_index), "--json"]
    both = json.loads(runner.invoke(cli, ["search", *ix, "tram"]).output)["total"]
    result = runner.invoke(cli, ["search", *ix, "--", "-bus", "tram"])
    assert result.exit_code == 0
    assert 0 < json.loads(result.output)["total"] <= both


@pytest.mark.parametrize("args", [["show"], ["stats", "--jsn"], ["similar", "170285", "--limit", "x"],
                                  ["index", "--jobs", "0"], ["eval", "/no/such/file.jsonl"], ["nosuchcommand"],
                                  ["search", "--json", "--csv", "tram"], ["search", "--format", "xml", "tram"]])
def test_every_command_fails_the_same_way(bundled_index, args):
    result = _separate_streams().invoke(cli, [*args, "--index", str(bundled_index)])
    assert result.exit_code == 2, result.output
    one_error_line(result.stderr)
    assert result.stdout == "" and "Usage:" not in result.stderr


def test_help_documents_query_language_exit_status_and_options(runner):
    search = " ".join(runner.invoke(cli, ["search", "--help"]).output.split())
    for text in ("id:PRB-1-170312", "code:170312", "auteur:", "date:2026-06", '"garantie jeunesse"', "tram OR bus",
                 "--count", "search -- -tram", "Exit status: 0", "--csv", "--format", "--no-pager", "--index DIR"):
        assert text in search, text
    for command in ("show", "similar", "stats", "index", "eval"):
        out = " ".join(runner.invoke(cli, [command, "--help"]).output.split())
        assert "Exit status" in out and "--index DIR" in out, command
    assert "--top" in runner.invoke(cli, ["stats", "--help"]).output
    assert "_PARLSEARCH_COMPLETE" in runner.invoke(cli, ["--help"]).output
    assert "--no-pager" in runner.invoke(cli, ["similar", "--help"]).output


def test_shell_completion_script(cli_env):
    env = dict(cli_env, _PARLSEARCH_COMPLETE="bash_source")
    proc = run(env=env)
    assert proc.returncode == 0 and "_parlsearch_completion" in proc.stdout


# -- CSV/TSV/line through every command (issue 14 item 1) ----------------------------------------------------------

TRICKY = [
    {"moncode": "910001", "titre": 'Question écrite concernant le tramway, le "bus" et le métro',
     "question": "Le tramway roule-t-il ?", "auteur": 'Dupont, "Jean"', "date_reception": "2026-02-03",
     "destinataire": "Elke Van den Brandt - Ministre de la Mobilité"},
    {"moncode": "910002", "titre": "Question écrite concernant le tramway 7", "question": "Le tramway, le bus et le métro roulent-ils encore ?"},
]


@pytest.fixture(scope="module")
def tricky_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("tricky")
    src = write_jsonl(root / "tricky.jsonl", TRICKY)
    result = CliRunner().invoke(cli, ["index", "--index", str(root / "ix"), str(src)])
    assert result.exit_code == 0, result.output
    return root / "ix"


def test_csv_from_a_real_process_parses_back(tricky_index, cli_env):
    import csv
    import io
    proc = subprocess.run(parlsearch_argv() + ["search", "--csv", "--index", str(tricky_index), "tramway"],
                          capture_output=True, env=cli_env, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.decode("utf-8")  # UTF-8, whatever the locale
    assert text.endswith("\r\n")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {"PRB-1-910001", "PRB-1-910002"}
    first = by_id["PRB-1-910001"]
    assert first["subject"] == 'Le tramway, le "bus" et le métro' and first["author"] == 'Dupont, "Jean"'
    assert first["minister"] == "Elke Van den Brandt" and first["date_received"] == "2026-02-03"
    assert float(first["score"]) > 0 and first["moncode"] == "910001"


@pytest.mark.parametrize("command", [["search", "tramway"], ["similar", "910002"], ["show", "910001"]])
@pytest.mark.parametrize("fmt", ["csv", "tsv", "line", "jsonl"])
def test_every_hit_command_speaks_every_format(runner, tricky_index, command, fmt):
    result = runner.invoke(cli, [*command, "--index", str(tricky_index), "--format", fmt])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = 1 if fmt in ("csv", "tsv") else 0
    assert len(lines) == header + 1 + (command[0] == "search")
    if fmt == "line":
        assert any(line.startswith("2026-02-03 PRB-1-910001 Dupont, \"Jean\" → Elke Van den Brandt: ")
                   for line in lines) or command[0] == "similar"
    alias = runner.invoke(cli, [*command, "--index", str(tricky_index), "--" + fmt]) if fmt != "line" else result
    assert alias.output == result.output


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "json", "text"])
def test_stats_formats(runner, bundled_index, fmt):
    import csv
    import io
    result = runner.invoke(cli, ["stats", "--index", str(bundled_index), "--format", fmt])
    assert result.exit_code == 0
    if fmt in ("csv", "tsv"):
        rows = list(csv.reader(io.StringIO(result.output), delimiter="," if fmt == "csv" else "\t"))
        assert rows[0] == ["breakdown", "value", "count"] and ["documents", "", "107"] in rows
        assert ["status", "answered", "95"] in rows
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in result.output.splitlines()]
        assert {"breakdown": "status", "value": "answered", "count": 95} in rows
    elif fmt == "json":
        assert json.loads(result.output)["documents"] == 107
    else:
        assert result.output.startswith("107 documents in ")
    assert runner.invoke(cli, ["stats", "--index", str(bundled_index), "--format", "line"]).exit_code == 2


# -- sorting, offsets and counts (issue 11 item 19) --------------------------------------------------------------

@pytest.fixture(scope="module")
def dated_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("dated")
    records = [{"moncode": str(n), "titre": "Question écrite concernant le tram %d" % n, "question": "Le tram ?",
                **({"date_reception": date} if date else {})}
               for n, date in ((1, None), (2, "2026-01-02"), (3, "2025-05-06"), (4, None), (5, "2026-03-01"))]
    src = write_jsonl(root / "dated.jsonl", records)
    assert CliRunner().invoke(cli, ["index", "--index", str(root / "ix"), str(src)]).exit_code == 0
    return root / "ix"


def test_date_sorts_put_undated_last_and_give_no_fake_score(runner, dated_index):
    ix = ["--index", str(dated_index), "--json"]
    newest = json.loads(runner.invoke(cli, ["search", *ix, "--sort", "-date", "tram"]).output)["hits"]
    assert [h["date_received"] for h in newest] == ["2026-03-01", "2026-01-02", "2025-05-06", None, None]
    oldest = json.loads(runner.invoke(cli, ["search", *ix, "--sort", "date", "tram"]).output)["hits"]
    assert [h["date_received"] for h in oldest] == ["2025-05-06", "2026-01-02", "2026-03-01", None, None]
    assert all(h["score"] is None for h in newest + oldest)
    ranked = json.loads(runner.invoke(cli, ["search", *ix, "tram"]).output)["hits"]
    assert all(0 < h["score"] < 1000 for h in ranked)
    page = json.loads(runner.invoke(cli, ["search", *ix, "--sort", "-date", "--offset", "3", "-n", "1",
                                          "tram"]).stdout)  # (stderr says what -n 1 left out)
    assert [h["rank"] for h in page["hits"]] == [4] and page["hits"][0]["date_received"] is None


def test_offset_past_the_end_and_count_only(runner, dated_index):
    ix = ["--index", str(dated_index)]
    past = runner.invoke(cli, ["search", *ix, "--offset", "500", "tram"])
    assert past.output.strip() == "5 results (none shown: --offset 500 is past the last one)"
    count = runner.invoke(cli, ["search", *ix, "-n", "0", "tram"])
    assert count.exit_code == 0 and count.output.strip() == \
        "5 results (none shown: --limit 0; --count prints the number alone)"
    assert json.loads(runner.invoke(cli, ["search", *ix, "-n", "0", "--json", "tram"]).stdout)["total"] == 5


# -- identifiers and file names reach the terminal inert (issue 11 item 7) ------------------------------------------

EVIL_CODE = "77\u001b]52;c;ZXZpbA==\u0007\u001b]0;PWNED\u0007"  # clipboard write (OSC 52) and window title


def test_hostile_identifiers_and_file_names_are_inert_whatever_the_command(tmp_path, cli_env):
    src = tmp_path / "in"
    src.mkdir()
    (src / "evil.jsonl").write_text(json.dumps({
        "moncode": EVIL_CODE, "assemblee": "PRB\u001b[2J", "titre": "Question écrite concernant le tram",
        "question": "Le tram ?", "auteur": "Eve"}) + "\n" + json.dumps({  # and a valid record beside it
        "moncode": "910077", "titre": "Question écrite concernant le tram \u001b]0;PWNED\u0007 de nuit",
        "question": "Le tram de nuit ?", "auteur": "Ada"}) + "\n", "utf-8")
    (src / "broken\u001b]0;PWNED\u0007.json").write_text("{not json", "utf-8")  # a file name in a problem line
    ix = tmp_path / "ix"
    indexed = run("index", "--index", str(ix), str(src), env=cli_env)  # a real process: its real stderr
    assert indexed.returncode in (0, 3), indexed.stderr
    assert_inert_on_terminal(indexed.stdout + indexed.stderr)
    assert "PWNED" in indexed.stderr  # the broken file is reported, inert
    runner = CliRunner()
    found = json.loads(runner.invoke(cli, ["search", "--json", "--index", str(ix), "tram"]).output)
    evil_id = found["hits"][0]["id"] if found["hits"] else None
    runs = [["stats"], ["show", EVIL_CODE], ["similar", EVIL_CODE]]
    runs += [["search", "tram", "--color", color, "--format", fmt] for color in ("always", "never")
             for fmt in ("text", "line", "csv", "tsv")]
    if evil_id:
        runs += [["show", evil_id, "--color", "always"], ["show", evil_id, "--format", "line"]]
    for args in runs:
        result = runner.invoke(cli, [*args, "--index", str(ix)])
        assert result.exit_code in (0, 1), (args, result.output)
        assert_inert_on_terminal(result.output, tabs="tsv" in args)
    if evil_id:  # identifiers not validated by the reader: shown, inert, in text output
        text = runner.invoke(cli, ["search", "tram", "--color", "always", "--index", str(ix)]).output
        assert "PWNED" in text and "\x1b[" in text


# -- the index command's exit statuses and Ctrl-C (issue 11 item 15) --------------------------------------------------

def test_index_of_a_missing_path_is_an_error(tmp_path, cli_env):
    proc = run("index", "--index", str(tmp_path / "ix"), str(tmp_path / "no" / "such" / "path"), env=cli_env)
    assert proc.returncode == 2
    assert "does not exist" in one_error_line(proc.stderr)


def test_index_with_nothing_readable_is_an_error(tmp_path, cli_env):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.json").write_text("{not json", "utf-8")
    (src / "b.jsonl").write_text("[1, 2\n", "utf-8")
    proc = run("index", "--index", str(tmp_path / "ix"), str(src), env=cli_env)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "parlsearch: error: nothing could be read from %s" % src
    assert "rejected: " in proc.stderr  # the reasons are listed first


def test_index_with_some_inputs_rejected_has_its_own_status(tmp_path, cli_env):
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.jsonl").write_text(json.dumps(TRICKY[0]) + "\n", "utf-8")
    (src / "bad.json").write_text("{not json", "utf-8")
    proc = run("index", "--index", str(tmp_path / "ix"), str(src), env=cli_env)
    assert proc.returncode == 3, proc.stderr
    assert "1 new" in proc.stdout and "1 rejected (1 file)" in proc.stdout
    assert run("search", "--index", str(tmp_path / "ix"), "tramway", env=cli_env).returncode == 0
    assert run("index", "--index", str(tmp_path / "ix"), str(src / "good.jsonl"), env=cli_env).returncode == 0


def test_ctrl_c_during_index_exits_130_and_keeps_the_previous_index(index_copy, tmp_path, cli_env):
    """A real process stopped just before its commit, then given SIGINT (Ctrl-C) and let go on."""
    import signal
    src = tmp_path / "new.jsonl"
    src.write_text(json.dumps(TRICKY[0]) + "\n", "utf-8")
    env = dict(cli_env, PARLSEARCH_TEST_STOP_AT="before-commit")
    proc = subprocess.Popen(parlsearch_argv() + ["index", "--index", str(index_copy), str(src)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    with reaped(proc):
        _, status = os.waitpid(proc.pid, os.WUNTRACED)  # returns when it has stopped itself
        assert os.WIFSTOPPED(status)
        os.kill(proc.pid, signal.SIGINT)
        os.kill(proc.pid, signal.SIGCONT)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == \
        "parlsearch: interrupted; the previous index is intact (run the same command again to finish)"
    assert "Traceback" not in err
    stats = json.loads(run("stats", "--json", "--index", str(index_copy), env=cli_env).stdout)
    assert stats["documents"] == 107
    assert run("index", "--index", str(index_copy), str(src), env=cli_env).returncode == 0


# -- the real pager on a real terminal (issue 11 item 18) --------------------------------------------------------------

@pytest.mark.skipif(not __import__("shutil").which("less"), reason="less is not installed")
def test_real_less_on_a_real_terminal_shows_our_colours(bundled_index, cli_env):
    """With LESS and PAGER unset, long output goes through less with LESS=FRX: colours are interpreted (not
    shown as "ESC[33m"); short output is printed without the pager."""
    env = {k: v for k, v in cli_env.items() if k not in ("LESS", "PAGER", "LV")}
    env["TERM"] = "xterm-256color"
    argv = parlsearch_argv() + ["search", "--index", str(bundled_index), "tram"]
    status, out, prompted = on_a_pty(argv, env, rows=12, columns=80, keys_at_prompt=b"q")
    assert status == 0, out[-2000:]
    assert prompted  # it went through less
    assert b"ESC[" not in out and b"\x1b[33m" in out  # colours passed raw
    argv = parlsearch_argv() + ["show", "--index", str(bundled_index), "170294"]
    status, out, prompted = on_a_pty(argv, env, rows=200, columns=200)  # fits: no pager, no key needed
    assert status == 0 and not prompted and b"ESC[" not in out and b"\x1b[1m" in out
