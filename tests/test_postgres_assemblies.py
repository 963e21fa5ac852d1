"""Issue 22 over both assemblies (issue 24): the Brussels corpus and a few hundred of the Chamber's questions
exported to the database answer as `both_index` does — the same tokens (Dutch bodies, derived titles left
out), the assembly as a filter, a facet and a cross table, the official identifier and its key as lookups,
similar across assemblies; and every command that takes the assembly, run with --backend, prints what it
prints over the local index. Needs the test cluster (tests/pg_cluster.py); skipped with the reason otherwise."""
from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from helpers import DATA, assert_same_answer, assert_same_tokens, parlsearch_argv

NIGHT = "CHAMBER-55-B034-2-0136-2020202107205"  # night and shift work, in French and Dutch
NIGHT_KEY = "55-B034-2-0136-2020202107205"
NIGHT_URI = "http://data.dekamer.be/v0/qrva/" + NIGHT_KEY

QUERIES = ["travail", "werk", "précompte professionnel travail de nuit en équipe",
           "bedrijfsvoorheffing nachtarbeid ploegenarbeid", "bodycams", "ploegenarbeid assemblee:chambre",
           "travail assembly:PRB", "assemblee:kamer", "corona vaccin", '"travail de nuit"', NIGHT_KEY, NIGHT_URI,
           "question " + NIGHT_KEY]


def test_both_assemblies_are_exported_token_for_token(both_engine, pg_both, pg_both_engine):
    assert_same_tokens(both_engine, pg_both.primary, pg_both_engine)


@pytest.mark.parametrize("assembly", [None, "chamber", "Kamer", "PRB"])
def test_queries_and_the_assembly_filter_answer_alike(both_engine, pg_both_engine, assembly):
    from parlsearch.search.engine.filters import SearchFilters
    filters = SearchFilters(assembly=assembly).queries() if assembly else None
    for text in QUERIES:
        assert_same_answer(both_engine, pg_both_engine, text, filters=filters)
        assert_same_answer(both_engine, pg_both_engine, text, filters=filters, sort="-date", exact=True)


def test_the_chamber_judged_queries_answer_alike(both_engine, pg_both_engine):
    for line in (DATA / "chamber-judged.jsonl").read_text("utf-8").splitlines():
        if line.strip():
            assert_same_answer(both_engine, pg_both_engine, json.loads(line)["q"], closest=True)


def test_facets_lookups_and_similar_alike(both_engine, pg_both_engine):
    from parlsearch.search.engine.counting import count_matches, index_stats
    stats = index_stats(pg_both_engine)
    assert stats == index_stats(both_engine) and set(stats["by_assembly"]) == {"CHAMBER", "PRB"}
    for text in ("", "travail", "werk", "assembly:CHAMBER"):
        a = count_matches(both_engine, text, facets=("assembly", "status", "year"), by=("assembly", "status"))
        b = count_matches(pg_both_engine, text, facets=("assembly", "status", "year"), by=("assembly", "status"))
        assert (a.total, a.facets, a.cross) == (b.total, b.facets, b.cross), text
    for reference in (NIGHT, NIGHT_KEY, NIGHT_URI, "PRB-1-170285", "170285"):
        doc = pg_both_engine.get(reference)
        assert doc is not None and doc == both_engine.get(reference), reference
    assert pg_both_engine.get(NIGHT_URI).id == NIGHT
    assert pg_both_engine.get(NIGHT_URI.replace("0136", "0137")) is None
    for doc_id in (NIGHT, "PRB-1-170285"):
        a, b = both_engine.similar(doc_id), pg_both_engine.similar(doc_id)
        assert [(h.doc.id, h.score, h.snippets) for h in a] == [(h.doc.id, h.score, h.snippets) for h in b]


def _run(*args, env=None):
    full = {k: v for k, v in os.environ.items() if k not in ("PARLSEARCH_BACKEND", "PARLSEARCH_INDEX")}
    full.update(env or {})
    proc = subprocess.run(parlsearch_argv() + list(args), capture_output=True, text=True, env=full, timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


COMMANDS = [
    ["search", "--assembly", "kamer", "werk", "-n", "3"],
    ["search", "ploegenarbeid assemblee:chambre", "--json", "-n", "2"],
    ["search", "--assembly", "chamber", "travail", "--format", "csv", "-n", "20"],
    ["search", "--assembly", "senate", "tram"],
    ["search", NIGHT_KEY, "--format", "line"],
    ["stats", "--json"],
    ["stats", "--csv"],
    ["stats", "travail", "--by", "assembly,status"],
    ["stats", "--assembly", "chamber", "travail", "--json"],
    ["show", NIGHT_URI],
    ["show", NIGHT_KEY, "--json"],
    ["similar", NIGHT, "-n", "3"],
    ["similar", "--text", "Quand les travailleurs de nuit en équipe paieront-ils moins de précompte ?", "--json"],
    ["eval", str(DATA / "chamber-judged.jsonl"), "--json"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a)[:40])
def test_commands_print_over_the_database_what_they_print_over_the_local_index(both_index, pg_both, args):
    """Byte for byte, but for where the documents are (stats names its index: a directory, or the server)."""
    local = [part.replace(str(both_index), "TARGET") if isinstance(part, str) else part
             for part in _run(*args, "--index", str(both_index))]
    pg = [re.sub(r"postgresql [^\s\"]+", "TARGET", part) if isinstance(part, str) else part
          for part in _run(*args, "--backend", pg_both.primary)]
    assert pg == local


def test_watches_with_the_assembly_run_alike(both_index, pg_both, tmp_path):
    """`watch add … --assembly` and `watch run`: the same saved search, the same baseline, the same documents
    seen, whichever the target."""
    outputs = []
    for name, target in (("local", ["--index", str(both_index)]), ("pg", ["--backend", pg_both.primary])):
        env = {"XDG_CONFIG_HOME": str(tmp_path / name / "config"), "XDG_STATE_HOME": str(tmp_path / name / "state"),
               "XDG_DATA_HOME": str(tmp_path / name / "data")}
        added = tuple(part.replace(str(tmp_path / name), "HOME") if isinstance(part, str) else part
                      for part in _run("watch", "add", "kamer", "travail", "--assembly", "kamer", *target, env=env))
        ran = _run("watch", "run", "--json", *target, env=env)
        toml = (tmp_path / name / "config" / "parlsearch" / "watches.toml").read_text("utf-8")
        state = json.loads((tmp_path / name / "state" / "parlsearch" / "watches" / "kamer.json").read_text("utf-8"))
        outputs.append((added, ran[0], json.loads(ran[1]) if ran[1] else None, toml, sorted(state["seen"])))
    assert outputs[0] == outputs[1]
    assert outputs[1][0][0] == 0 and 'assembly = "CHAMBER"' in outputs[1][3]
    assert len(outputs[1][4]) == outputs[1][2]["watches"][0]["matches"] > 0
    assert all(doc_id.startswith("CHAMBER-") for doc_id in outputs[1][4])


def test_the_web_page_over_the_database_serves_what_it_serves_over_the_local_index(both_index, pg_both):
    """`serve --backend`: the assembly facet and filter, the JSON API and the document page of a Chamber
    question by its key, byte for byte as over the local index."""
    pytest.importorskip("flask")
    from parlsearch.search.engine.core import Engine
    from parlsearch.search.web.app import create_app
    target = pg_both.database()
    apps = [create_app(both_index), create_app(target, Engine.connect(target.servers))]
    try:
        local, pg = (app.test_client() for app in apps)
        for url in ("/?q=travail", "/?q=travail&assembly=chamber", "/api/search?q=travail&assembly=PRB&n=100",
                    "/api/search?q=werk&assembly=kamer&n=20", "/api/search?q=travail&assembly=senate",
                    "/api/stats", "/doc/" + NIGHT_KEY, "/similar?id=" + NIGHT):
            a, b = local.get(url), pg.get(url)
            assert (b.status_code, b.data) == (a.status_code, a.data), url
        assert pg.get("/api/stats").json["by_assembly"]["CHAMBER"] > 0
        assert pg.get("/doc/" + NIGHT_KEY).status_code == pg.get("/similar?id=" + NIGHT).status_code == 200
    finally:
        for app in apps:
            app.extensions["parlsearch"].close()


@pytest.mark.slow
def test_the_chamber_judged_set_passes_as_on_the_local_index(chamber_index, pg_schema):
    """Both assemblies whole (the Brussels corpus and the Chamber's 6,059 questions) exported to the database:
    the Chamber's judged set (tests/data/chamber-judged.jsonl) gives the same passes, ranks, totals and tops
    as the local index (no difference allowed: one plan, one executor, the same tokens)."""
    from parlsearch.corpus.chamber import dataset_path
    from parlsearch.index.postgres.export import export
    from parlsearch.search.engine.core import Engine
    from parlsearch.search.evaluate import evaluate, load_judgments
    from helpers import REPO
    summary = export([REPO / "corpus" / "data", dataset_path()], pg_schema.servers())
    assert summary.documents == 107 + 6059
    cases = load_judgments(DATA / "chamber-judged.jsonl")
    with Engine.open(chamber_index) as local, Engine.connect(pg_schema.servers()) as pg:
        a, b = evaluate(local, cases), evaluate(pg, cases)
    assert [(c.id, c.passed, c.rank, c.total, c.top) for c in a.cases] == \
        [(c.id, c.passed, c.rank, c.total, c.top) for c in b.cases]
    assert b.passed >= 59
