"""Issue 22: the PostgreSQL backend answers as the local index does — same tokens, same statistics, same plan,
same scores (within 1e-9), same totals, the same judged cases passed. Needs the test cluster
(tests/pg_cluster.py); skipped with the reason otherwise."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import assert_same_answer, assert_same_tokens

DATA = Path(__file__).parent / "data"

#: Judged cases allowed to differ between the local engine and the database, by set (the issue allows one
#: per set, named here): none — both run the same plan through the same executor over the same tokens.
ALLOWED_DIFFERENCES: dict[str, set] = {"dev.jsonl": set(), "dev2.jsonl": set(), "dev3.jsonl": set()}

#: Queries of every shape of the query language, beside the judged ones.
SHAPES = ["stationnement vélo", '"parc du Cinquantenaire"', '"permis urbanisme"~3', "tram OR bus", "tram AND bus",
          "tram NOT bus", "tram -bus", "-tram", "(tram OR bus) STIB", "cyclab*", "stationement~", "polution~2",
          "Métier*", "*", "titre:vélo", "question:subsides", "reponse:logement", "auteur:maison",
          'ministre:"van den brandt"', "numero:1263", "session:23/24", "legislature:2019-2024", "id:PRB-1-170312",
          "code:170312", "statut:repondu", "statut:sans-reponse logement", "langue:fr", "type:written",
          "date:2026", "date:2026-06", "date:2026-06-01..2026-06-30", "date:2026-01..", "date:>=2026-01-01",
          "date:<2025", "titel:fietsdeeldiensten", "gemeentewoningen", "fiets netwerk", "tram55",
          "station Montgommery", "Combien de Bruxellois roulent avec des plaques étrangères ?",
          "fusion des zones de police", "qualité de l'air", "d'Ursel CPAS", "clerfayt arizona",
          "-(tram -bus)", "titresservices"]


def _judged(name):
    return [json.loads(line) for line in (DATA / name).read_text("utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("name", ["dev.jsonl", "dev2.jsonl", "dev3.jsonl"])
def test_judged_sets_pass_as_on_the_local_index(engine, pg_engine, name):
    """The issue's parity: the same passes (a difference of at most one case per set, named in
    ALLOWED_DIFFERENCES: none), and equal totals for every judged query."""
    from parlsearch.search.evaluate import evaluate, load_judgments
    cases = load_judgments(DATA / name)
    local, pg = evaluate(engine, cases), evaluate(pg_engine, cases)
    differ = {a.id for a, b in zip(local.cases, pg.cases) if (a.passed, a.rank) != (b.passed, b.rank)}
    assert differ <= ALLOWED_DIFFERENCES[name], differ
    assert local.passed - len(ALLOWED_DIFFERENCES[name]) <= pg.passed
    assert [(c.id, c.total, c.top) for c in local.cases] == [(c.id, c.total, c.top) for c in pg.cases]


@pytest.mark.parametrize("name", ["dev.jsonl", "dev2.jsonl", "dev3.jsonl", "judged.jsonl", "judged2.jsonl"])
def test_judged_queries_score_alike(engine, pg_engine, name):
    """Every judged query: the same total, hits, scores within 1e-9, notes and snippets."""
    for case in _judged(name):
        assert_same_answer(engine, pg_engine, case["q"])


@pytest.mark.parametrize("text", SHAPES)
def test_every_shape_of_the_query_language_answers_alike(engine, pg_engine, text):
    assert_same_answer(engine, pg_engine, text)
    assert_same_answer(engine, pg_engine, text, sort="-date")
    assert_same_answer(engine, pg_engine, text, exact=True, closest=True)


def test_filters_offsets_and_sorts_answer_alike(engine, pg_engine):
    from parlsearch.search.engine.filters import SearchFilters
    import datetime as dt
    for filters in (SearchFilters(author="maison"), SearchFilters(since=dt.date(2026, 1, 1)),
                    SearchFilters(status="answered", minister="van den brandt")):
        for text in ("", "logement", "tram OR bus"):
            for sort in ("relevance", "date", "-date", "answered", "-answered"):
                if not text and sort == "relevance":
                    continue
                assert_same_answer(engine, pg_engine, text, filters=filters.queries(), sort=sort, offset=2)


def test_counts_similar_and_explanations_alike(engine, pg_engine):
    from parlsearch.search.engine.counting import count_matches, index_stats
    from parlsearch.search.engine.delays import answer_delays
    assert index_stats(engine) == index_stats(pg_engine)
    for text in ("", "logement", "STIB", "statut:repondu", '"permis d\'urbanisme"'):
        a = count_matches(engine, text, facets=("status", "year", "minister", "author", "type", "legislature",
                                                "answer_year"), by=("minister", "year"))
        b = count_matches(pg_engine, text, facets=("status", "year", "minister", "author", "type", "legislature",
                                                   "answer_year"), by=("minister", "year"))
        assert (a.total, a.facets, a.cross, a.answered_without_text) == \
            (b.total, b.facets, b.cross, b.answered_without_text), text
    assert answer_delays(engine, "tram") == answer_delays(pg_engine, "tram")
    for doc_id in ("PRB-1-170285", "PRB-1-170245", "PRB-1-170312"):
        a, b = engine.similar(doc_id), pg_engine.similar(doc_id)
        assert [(h.doc.id, h.score, h.snippets) for h in a] == [(h.doc.id, h.score, h.snippets) for h in b]
    text = "Quelle est la fréquentation du tram 55 et des bus de nuit ?"
    assert [(h.doc.id, h.score) for h in engine.similar_text(text)] == \
        [(h.doc.id, h.score) for h in pg_engine.similar_text(text)]
    a = engine.explain("stationnement vélo", "PRB-1-170115")
    b = pg_engine.explain("stationnement vélo", "PRB-1-170115")
    assert a is not None and abs(a.score - b.score) < 1e-9 and a.to_dict() == b.to_dict()


def test_exported_tokens_are_the_local_index_tokens(engine, pg_bundled, pg_engine):
    assert_same_tokens(engine, pg_bundled.primary, pg_engine)


def test_a_local_index_copied_across_is_the_same_index(engine, bundled_index, pg_schema):
    """`--from-index`: the local index's tokens and documents, without reading the files; then the same
    answers."""
    from parlsearch.index.postgres.copy_index import copy_index
    from parlsearch.search.engine.core import Engine
    summary = copy_index(bundled_index, pg_schema.servers())
    assert (summary.new, summary.updated, summary.unchanged, summary.documents) == (107, 0, 0, 107)
    with Engine.connect(pg_schema.servers()) as pg:
        assert_same_tokens(engine, pg_schema.primary, pg)
        for text in SHAPES[:12] + [c["q"] for c in _judged("dev2.jsonl")]:
            assert_same_answer(engine, pg, text)
    again = copy_index(bundled_index, pg_schema.servers())
    assert (again.new, again.updated, again.unchanged) == (0, 0, 107)
