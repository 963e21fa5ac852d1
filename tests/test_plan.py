"""The engine's plans, run over arrays (search/engine/execute.py), give what whoosh's own matchers give on the same
plans: the same documents, the same scores (within 1e-9), the same coverage, the same pages — for every
judged query, filtered and unfiltered, on the bundled corpus and on indexes of several segments with
deletions; and random query strings (hypothesis)."""
import datetime as dt
import json
import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from oracle import executor_scores, reference_page, same_scores, whoosh_cover, whoosh_scores
from parlsearch.search.engine.filters import SearchFilters
from parlsearch.search.engine.query import QueryError

from helpers import DATA

JUDGED = [json.loads(line)["q"] for name in ("dev", "dev2", "judged", "judged2")
          for line in (DATA / ("%s.jsonl" % name)).read_text(encoding="utf-8").splitlines() if line.strip()]
SHAPES = ["stationnement vélo", '"garantie jeunesse"', "statut:repondu", "auteur:maison vélo", "tram OR bus",
          "tram -bus", "tram NOT bus", "date:2026 logement", '"zones de basses émissions"', "-tram",
          "(tram OR bus) STIB", "titre:mobilité", "question:subsides", '"permis urbanisme"~3', "vélo ANDMAYBE tram",
          "*", "stationement~", "cyclab*", "métier*", "v?lo", "date:2025-06..2025-12 tram", "date:<2026 STIB",
          "-(tram -bus)", "logement -(social OR public)", "titre:[a TO c]", "number:1263", "code:170285",
          "answer:* tram", "fiets netwerk", "gemeentewoningen", "materiaalprijzen", "titresservices", "tram55",
          "l'air", "qu'en est-il des crèches ?", "hub.brussels", "flexi-jobs", "Saint-Gilles", "13.622.302"]
FILTERS = [None, SearchFilters(since=dt.date(2026, 1, 1)), SearchFilters(status="answered"),
           SearchFilters(minister="Elke Van den Brandt"), SearchFilters(author="maison", until=dt.date(2026, 6, 30))]


def _plans(engine, texts, filters):
    for text in texts:
        try:
            plan = engine.plan(text, filters.queries() if filters else None)
        except QueryError:
            continue
        yield text, plan


def _check_engine(engine, texts, filters_list=FILTERS):
    checked = 0
    for filters in filters_list:
        for text, plan in _plans(engine, texts, filters):
            if plan.node is None:
                continue
            mine, theirs = executor_scores(engine, plan.node), whoosh_scores(engine, plan.node)
            assert same_scores(mine, theirs), (text, filters, len(mine), len(theirs))
            flt = filters.queries() if filters else None
            total, page = reference_page(engine, text, flt)
            result = engine.search(text, filters=flt, snippets=False)
            assert result.total == total, (text, filters)
            assert [h.docnum for h in result.hits] == [d for d, _ in page], (text, filters)
            for h, (_, score) in zip(result.hits, page):
                assert abs(h.score - score) <= 1e-9 * max(1.0, abs(score))
            checked += 1
    return checked


@pytest.mark.parametrize("part", ["fast", pytest.param("all", marks=pytest.mark.slow)])
def test_every_judged_query_and_shape_scores_as_whoosh(engine, part):
    """The fast run: every third judged query and every shape, under every filter; the slow run: all."""
    judged = JUDGED if part == "all" else JUDGED[::3]
    assert _check_engine(engine, judged + SHAPES) > (500 if part == "all" else 250)


def test_coverage_of_every_judged_query_is_measured_as_whoosh(engine):
    from parlsearch.search.engine.coverage import Word, measure
    for text in JUDGED:
        try:
            clauses, _ = engine.parse(text)
        except QueryError:
            continue
        executor = engine.executor()
        for node, q in clauses:
            if not engine._is_bare_word(node):
                continue
            word = Word(engine._word_text(node), engine.node_of(q))
            measure(word, executor)
            ref = whoosh_cover(engine, word)
            assert set(np.flatnonzero(word.has)) == set(ref), text
            assert all(abs(word.share[d] - s) < 1e-12 for d, s in ref.items()), text


@pytest.mark.parametrize("part", ["fast", pytest.param("all", marks=pytest.mark.slow)])
def test_a_multi_segment_index_with_deletions_scores_as_whoosh(segmented_index, part):
    """The fast run: 20 judged queries and every shape, unfiltered and under one filter; the slow run: 60
    under three."""
    from parlsearch.search.engine.core import Engine
    judged, filters = (JUDGED[:60], FILTERS[:3]) if part == "all" else (JUDGED[1:60:3], FILTERS[:2])
    with Engine.open(segmented_index) as engine:
        assert len(engine.view.segments) >= 2 and engine.view.live() is not None
        assert _check_engine(engine, judged + SHAPES, filters) > 50


def test_the_public_api_fallback_gives_the_same_answers_with_one_warning(segmented_index, monkeypatch, caplog):
    """When the adapter cannot read a segment's layout (simulated), every segment is read through whoosh's
    public API: the same totals, pages and scores, and one warning."""
    from parlsearch.index import segments, whoosh_compat
    from parlsearch.search.engine.core import Engine
    with Engine.open(segmented_index) as engine:
        expected = [(r.total, [(h.docnum, h.score) for h in r.hits]) for r in
                    (engine.search(t, snippets=False) for t in SHAPES[:20])]
    monkeypatch.setattr(segments, "FORCE_PUBLIC", True)
    whoosh_compat._warned.discard("array_reads")
    with caplog.at_level("WARNING"):
        with Engine.open(segmented_index) as engine:
            assert not engine.view.fast
            got = [(r.total, [(h.docnum, h.score) for h in r.hits]) for r in
                   (engine.search(t, snippets=False) for t in SHAPES[:20])]
        with Engine.open(segmented_index) as engine:
            engine.search("tram")
    assert got == expected
    assert sum("whoosh's public API" in r.getMessage() for r in caplog.records) == 1


_WORDS = ["tram", "vélo", "logement", "social", "STIB", "bus", "stationnement", "école", "crèches", "emploi",
          "Bruxelles", "région", "permis", "urbanisme", "sécurité", "l'air", "qualité", "maison", "zzzyx"]
_OPS = ["", "", "", "-", "+"]


@st.composite
def _queries(draw):
    parts = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            words = draw(st.lists(st.sampled_from(_WORDS), min_size=2, max_size=3))
            parts.append('"%s"%s' % (" ".join(words), draw(st.sampled_from(["", "~2", "~4"]))))
        elif kind == 1:
            parts.append("(%s %s %s)" % (draw(st.sampled_from(_WORDS)), draw(st.sampled_from(["OR", "AND", "NOT"])),
                                         draw(st.sampled_from(_WORDS))))
        elif kind == 2:
            parts.append("%s:%s" % (draw(st.sampled_from(["titre", "question", "reponse", "auteur", "ministre"])),
                                    draw(st.sampled_from(_WORDS))))
        elif kind == 3:
            parts.append(draw(st.sampled_from(["date:2025", "date:2026-06", "statut:repondu", "date:>=2026-01-01"])))
        elif kind == 4:
            parts.append(draw(st.sampled_from(_WORDS))[:4] + "*")
        else:
            parts.append(draw(st.sampled_from(_OPS)) + draw(st.sampled_from(_WORDS)))
    return " ".join(parts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_queries())
def test_random_queries_score_as_whoosh(engine, text):
    try:
        plan = engine.plan(text)
    except QueryError:
        return
    if plan.node is None:
        return
    assert same_scores(executor_scores(engine, plan.node), whoosh_scores(engine, plan.node)), text
    total, page = reference_page(engine, text)
    result = engine.search(text, snippets=False)
    assert result.total == total and [h.docnum for h in result.hits] == [d for d, _ in page], text


@pytest.mark.slow
def test_a_generated_index_of_20000_documents_scores_as_whoosh(tmp_path_factory):
    """Common terms of a generated corpus of 20,000 documents have posting lists of thousands of documents,
    over the segments a two-worker build leaves: the same documents, scores and pages as whoosh's matchers."""
    from helpers import generated_corpus
    from parlsearch.index.update import update_index
    from parlsearch.search.engine.core import Engine
    root = tmp_path_factory.mktemp("gen20k")
    update_index([generated_corpus(20_000, seed=7)], root / "index", jobs=2)
    with Engine.open(root / "index") as engine:
        assert len(engine.view.segments) >= 2
        reader = engine.view.reader
        common = max(reader.lexicon("question"), key=lambda t: reader.doc_frequency("question", t))
        assert len(engine.executor().term_postings("question", common.decode("utf-8"))[0]) > 10_000
        assert _check_engine(engine, JUDGED[:80] + SHAPES, FILTERS[:2]) > 100


def test_word_nodes_are_the_parsers_for_every_word_of_the_corpus(engine):
    """Engine.word_node builds a bare word's plan without the parser: the same plan as the parser's, for
    every distinct word of the bundled corpus (8,600 words: elisions, compounds, digits, names)."""
    from parlsearch.search.engine.similar import _WORD
    words = set()
    for docnum in range(engine.doc_count):
        doc = engine.document(docnum)
        for text in (doc.subject, doc.question, doc.answer, doc.title_nl, doc.author, doc.minister):
            words.update(m.group().lower() for m in _WORD.finditer(text or ""))
    assert len(words) > 5000
    assert [w for w in sorted(words) if engine.word_node(w) != engine.parsed_word_node(w)] == []


def test_require_is_both_scored_by_the_first(engine):
    """`a REQUIRE b`: the documents holding both, scored by `a` alone — whoosh's documented Require (its
    docs() is the And of both; its 2.7.4 matcher is an AndNotMatcher, the opposite). It had no plan node, so
    the query stopped the engine with an internal error."""
    from parlsearch.search.engine.query import rewrite
    for text in ("tram REQUIRE bus", "logement REQUIRE social"):
        q = engine.parser.parse(rewrite(text)).normalize()
        both = set(q.docs(engine.searcher))
        scored = {h.docnum: h.score for h in engine.searcher.search(q.a, limit=None)}
        theirs = {d: s for d, s in scored.items() if d in both}
        assert theirs and same_scores(executor_scores(engine, engine.node_of(q)), theirs), text
    assert engine.search("ANDAND<REQUIRE<tram").total >= 0
