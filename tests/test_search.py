"""The query language and ranking, on an index of the real bundled corpus."""
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parlsearch.search.engine import MARK_END, MARK_START
from parlsearch.search.query import QueryError, rewrite

from conftest import DATA


def ids(result):
    return [h.doc.moncode or h.doc.id for h in result.hits]


def test_bare_words_must_all_match(engine):
    result = engine.search("stationnement vélo bureaux")
    assert ids(result)[0] == "170128" and not result.dropped
    for hit in result.hits:
        text = " ".join(filter(None, [hit.doc.subject, hit.doc.question, hit.doc.answer])).lower()
        assert "stationnement" in text and "bureaux" in text


def test_relaxation_drops_words_and_says_which(engine):
    result = engine.search("violence femme budget")
    assert result.dropped and ids(result)[0] == "170286"
    assert all(w in ("violence", "femme", "budget") for w in result.dropped)


def test_relaxation_never_reaches_nothing(engine):
    for q in ("prix du bitcoin", "astronautes martiens", "vacances aux Seychelles", "recette de tarte aux pommes"):
        assert engine.search(q).total == 0, q


def test_natural_questions(engine):
    r = engine.search("Comment les expatriés sont-ils informés de leur droit de vote ?")
    assert ids(r)[0] == "167744"
    r = engine.search("Quel budget la Cité des métiers consacre-t-elle à sa communication ?")
    assert ids(r)[0] == "PRB-2019-2024-qe-1263"


def test_phrases_respect_order_and_stopword_gaps(engine):
    assert ids(engine.search('"garantie jeunesse"')) == ["170140"]
    assert engine.search('"jeunesse garantie"').total == 0
    assert set(ids(engine.search('"parc du Cinquantenaire"'))) == {"170289", "170265"}
    assert engine.search('"parc Cinquantenaire"').total == 0  # the stopword's place is kept
    assert engine.search('"parc de Cinquantenaire"').total == 2  # a stopword matches any stopword slot


def test_phrase_slop(engine):
    assert engine.search('"parc Cinquantenaire"').total == 0
    assert engine.search('"parc Cinquantenaire"~2').total == 2
    exact = engine.search('"permis urbanisme"').total
    assert engine.search('"permis urbanisme"~3').total >= exact > 0


def test_boolean_operators(engine):
    both = engine.search("tram AND bus").total
    either = engine.search("tram OR bus").total
    tram = engine.search("tram").total
    assert either >= tram >= both
    assert engine.search("tram NOT bus").total == tram - both
    assert engine.search("tram -bus").total == tram - both
    assert engine.search("(tram OR bus) AND STIB").total <= either


def test_prefix_and_fuzzy(engine):
    assert engine.search("cyclab*").total >= 1
    assert engine.search("Métier*").total >= 1
    assert engine.search("stationement~").total >= engine.search("stationnement").total


@pytest.mark.parametrize("query, expected", [
    ("auteur:maison", "Joëlle Maison"),
    ("author:MAISON", "Joëlle Maison"),
    ('ministre:"van den brandt"', "Elke Van den Brandt"),
    ("ministre:dillies", "Boris Dilliès"),
])
def test_name_fields_ignore_accents_and_case(engine, query, expected):
    result = engine.search(query, limit=200)
    assert result.total >= 1
    assert all(expected in (h.doc.author, h.doc.minister) for h in result.hits)


def test_status_field_in_both_languages(engine):
    answered = engine.search("statut:repondu", limit=0).total
    assert answered == engine.search("status:answered", limit=0).total == 95
    assert engine.search("statut:sans-reponse", limit=0).total == engine.search("status:unanswered").total == 12


@pytest.mark.parametrize("query, count", [
    ("date:2023", 1), ("date:2026-06 vélo", None), ("date:2023-11-01..2023-11-30", 1), ("date:>=2026-07-01", None),
    ("numero:1263", 1), ("legislature:19/24", 1), ("legislature:2019-2024", 1), ("session:23/24", 1),
    ("type:written", 107), ("langue:fr", 107),
])
def test_fields(engine, query, count):
    result = engine.search(query, limit=0)
    assert result.total >= 1
    if count is not None:
        assert result.total == count


def test_date_filters_bound_the_reception_date(engine):
    import datetime as dt
    for hit in engine.search("date:2026-06", limit=200).hits:
        assert hit.doc.date_received.year == 2026 and hit.doc.date_received.month == 6


@pytest.mark.parametrize("query, message", [
    ('"unbalanced', "unbalanced quote"), ("(tram OR bus", "unbalanced parenthesis"), ("tram)", "unbalanced"),
    ("foo:bar", "unknown field 'foo'"), ("date:2026-13-45", "invalid query"), ("", "empty query"),
])
def test_malformed_queries_explain_themselves(engine, query, message):
    with pytest.raises(QueryError, match=message):
        engine.search(query)


def test_query_with_only_stopwords_says_so(engine):
    result = engine.search("le la les de")
    assert result.total == 0 and "no searchable word" in result.note


def test_sorting(engine):
    newest = engine.search("vélo", sort="-date", limit=50).hits
    dates = [h.doc.date_received for h in newest]
    assert dates == sorted(dates, reverse=True)
    oldest = engine.search("vélo", sort="date", limit=50).hits
    assert [h.doc.date_received for h in oldest] == sorted(dates)


def test_relevance_ranks_title_matches_first(engine):
    hits = engine.search("tram").hits
    assert "tram" in hits[0].doc.subject.lower()


def test_offset_and_limit(engine):
    all_hits = ids(engine.search("stationnement", limit=20))
    assert ids(engine.search("stationnement", limit=2, offset=1)) == all_hits[1:3]


def test_snippets_highlight_matched_words(engine):
    hit = engine.search("garantie jeunesse").hits[0]
    assert MARK_START in hit.snippets[0] and MARK_END in hit.snippets[0]
    assert "garantie" in hit.snippet.lower() and MARK_START not in hit.snippet


def test_did_you_mean(engine):
    """With exact=True (--exact) nothing is corrected: no result, and the spelling is suggested."""
    result = engine.search("cinquantenaier", exact=True)
    assert result.total == 0
    assert result.suggestion and "cinquantenaire" in result.suggestion


def test_unknown_words_are_corrected_and_said(engine):
    result = engine.search("cinquantenaier")
    assert result.corrected == "cinquantenaire" and result.total == 2
    assert set(ids(result)) == {"170289", "170265"}


def test_similar_excludes_itself(engine):
    hits = engine.similar("PRB-1-170289")
    assert hits and "PRB-1-170289" not in [h.doc.id for h in hits]
    assert "PRB-1-170265" in [h.doc.id for h in hits[:3]]  # the other question on the Cinquantenaire


def test_get_by_id_or_code(engine):
    assert engine.get("PRB-1-170312").moncode == "170312"
    assert engine.get("170312").id == "PRB-1-170312"
    assert engine.get("nope") is None


def test_rewrite_date_ranges():
    assert rewrite("date:2026-01-01..2026-06-30") == "date:[2026-01-01 TO 2026-06-30]"
    assert rewrite("statut:répondu") == "statut:answered"


@pytest.mark.parametrize("name, min_pass", [("dev.jsonl", 25), ("judged.jsonl", 66)])
def test_judged_queries_meet_the_quality_threshold(engine, name, min_pass):
    """The development set must pass entirely; the project's own 70 judged queries (every kind, written
    independently of the implementation) at least 66 (≈95%)."""
    from parlsearch.search.evaluate import evaluate, load_judgments
    report = evaluate(engine, load_judgments(DATA / name))
    failures = [(c.id, c.query, c.top) for c in report.cases if not c.passed]
    assert report.passed >= min_pass, failures
    kinds = report.by_kind()
    assert {"accentless", "inflection", "elision", "phrase", "phrase-negative", "codes", "dutch", "natural",
            "offtopic"} <= set(kinds)


@pytest.mark.parametrize("name, min_pass", [("dev2.jsonl", 41), ("judged2.jsonl", 34)])
def test_queries_as_people_type_them(engine, name, min_pass):
    """Issue 12: names typed as plain words, typos, Dutch compounds, pasted passages, near-miss negatives and
    exact forms. dev2 is the shared development set (floor 41/45); judged2 was written from the corpus
    before the implementation (36 cases; 35 pass, the floor leaves one case of slack). Every negative
    case of both sets must stay empty."""
    from parlsearch.search.evaluate import evaluate, load_judgments
    report = evaluate(engine, load_judgments(DATA / name))
    failures = [(c.id, c.query[:60], c.top) for c in report.cases if not c.passed]
    assert report.passed >= min_pass, failures
    if name == "dev2.jsonl":
        assert all(c.passed for c in report.cases if c.expect is None), failures


def test_long_questions_ask_for_most_of_their_words(engine):
    result = engine.search("Combien de personnes utilisent la ligne de tram 55 ?")
    assert ids(result)[0] == "170245"
    assert set(result.dropped) == {"personnes", "utilisent"}


QUERY_ALPHABET = st.sampled_from(list('abcdeéèàôçœ’\'"()*?~:-+^[]{}!/\\.,;<>=&|01239 ') +
                                 ["AND", "OR", "NOT", "TO", "date:", "auteur:", "titre:", "statut:", "..", " "])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(QUERY_ALPHABET, max_size=25).map("".join))
def test_any_query_string_gives_results_or_a_query_error(engine, text):
    try:
        result = engine.search(text, limit=3)
    except QueryError as e:
        assert str(e) and "\n" not in str(e)
    else:
        assert result.total >= 0


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_arbitrary_unicode_queries_never_crash(engine, text):
    try:
        engine.search(text, limit=3)
    except QueryError:
        pass


def test_union_skipping_cannot_loop_forever():
    """whoosh's union/and-maybe skip_to_quality looped forever when a sub-matcher could not skip."""
    from whoosh.matching import binary, mcore

    class Stuck(mcore.Matcher):  # active, never skips, constant block quality
        def is_active(self):
            return True

        def block_quality(self):
            return 1.0

        def skip_to_quality(self, minquality):
            return 0

        def id(self):
            return 0

    import signal

    import index  # noqa: F401  (applies the fixes)

    def hang(*_):
        raise AssertionError("skip_to_quality loops forever")
    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(5)
    try:
        for cls in (binary.UnionMatcher, binary.AndMaybeMatcher, binary.DisjunctionMaxMatcher):
            m = cls.__new__(cls)
            m.a, m.b = Stuck(), Stuck()
            assert m.skip_to_quality(10.0) == 0
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("query, count", [
    ("date:<2025", 1), ("date:>2025", 96), ("date:>2026", 0), ("date:<2026-06", 11), ("date:<=2025", 11),
    ("date:>=2026-06-01", 96), ("date:2026-6", 80), ("date:2026-01..", 96), ("date:..2025-12", 11),
])
def test_date_comparisons_work_on_whole_periods(engine, query, count):
    assert engine.search(query, limit=0).total == count


def test_names_with_hyphens_match_as_typed(engine):
    for query in ("auteur:Anne-Charlotte", 'auteur:"Anne-Charlotte d\'Ursel"', "auteur:anne",
                  'auteur:"Jean-Pierre Kerckhofs"', "auteur:Jean-Pierre"):
        assert engine.search(query).total >= 1, query


def test_only_negative_words_mean_everything_else(engine):
    tram = engine.search("tram", limit=0).total
    assert engine.search("-tram", limit=0).total == engine.search("NOT tram", limit=0).total == 107 - tram
    assert engine.search("-tram -bus", limit=0).total < 107 - tram + 1


def test_dangling_operators_and_field_case(engine):
    tram = engine.search("tram", limit=0).total
    assert engine.search("tram AND", limit=0).total == engine.search("OR tram", limit=0).total == tram
    assert engine.search("Titre:vélo", limit=0).total == engine.search("titre:vélo", limit=0).total > 0
    assert engine.search("STATUT:repondu", limit=0).total == 95
    assert engine.search('"tram"~0', limit=0).total == tram


def test_filters_alone_select_documents(engine):
    from whoosh.query import Term
    result = engine.search("", limit=0, filters=[Term("status", "unanswered")])
    assert result.total == 12


def test_document_text_cannot_forge_highlight_markers(tmp_path):
    import json as _json

    from parlsearch.index.update import update_index
    from parlsearch.search.engine import Engine
    record = {"moncode": "1", "titre": "Question écrite concernant le tram",
              "question": "Le tram " + MARK_START + "rouge sans fin et le tram bleu."}
    (tmp_path / "r.jsonl").write_text(_json.dumps(record) + "\n", "utf-8")
    update_index([tmp_path / "r.jsonl"], tmp_path / "ix")
    with Engine.open(tmp_path / "ix") as e:
        snippet = e.search("tram").hits[0].snippets[0]
    assert snippet.count(MARK_START) == snippet.count(MARK_END) >= 1
