"""The parlsearch command: through click's CliRunner and as a real subprocess."""
import json
import subprocess

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parlsearch.search.cli import cli

from conftest import parlsearch_argv


def run(*args, env=None, timeout=120):
    return subprocess.run(parlsearch_argv() + list(args), capture_output=True, text=True, env=env,
                          timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.fixture
def runner():
    return CliRunner()


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
    from conftest import DATA
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
                           ("nope:thing", "unknown field"), ("date:2026-02-31", "invalid query")):
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


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(list('ab é"()*?~:-+[]{}^/\\.&|') + ["OR", "date:", "auteur:"]), max_size=20)
       .map("".join))
def test_no_generated_query_makes_the_command_crash(bundled_index, cli_env, text):
    proc = run("search", "--index", str(bundled_index), "--", text, env=cli_env)
    assert proc.returncode in (0, 1, 2)
    assert "Traceback" not in proc.stderr
