"""The query language and ranking, on an index of the real bundled corpus."""
import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parlsearch.search.engine.core import MARK_END, MARK_START
from parlsearch.search.engine.query import QueryError, rewrite

from helpers import DATA


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
    ("foo:bar", "unknown field 'foo'"), ("date:2026-13-45", "bad date"), ("", "empty query"),
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


@pytest.mark.parametrize("name, min_pass", [("dev2.jsonl", 44), ("judged2.jsonl", 34), ("dev3.jsonl", 42)])
def test_queries_as_people_type_them(engine, name, min_pass):
    """Issue 12: names typed as plain words, typos, Dutch compounds, pasted passages, near-miss negatives and
    exact forms. dev2 is the shared development set (floor 41/45); judged2 was written from the corpus
    before the implementation (36 cases; 35 pass, the floor leaves one case of slack). Every negative
    case of both sets must stay empty."""
    from parlsearch.search.evaluate import evaluate, load_judgments
    report = evaluate(engine, load_judgments(DATA / name))
    failures = [(c.id, c.query[:60], c.top) for c in report.cases if not c.passed]
    assert report.passed >= min_pass, failures
    if name in ("dev2.jsonl", "dev3.jsonl"):  # dev3: issue 21's set (numbers, dates in words, names…), ≥ 42/46
        assert all(c.passed for c in report.cases if c.expect is None), failures


def test_long_questions_ask_for_most_of_their_words(engine):
    result = engine.search("Combien de personnes utilisent la ligne de tram 55 ?")
    assert ids(result)[0] == "170245"
    assert set(result.dropped) == {"personnes", "utilisent"}


#: Operators and symbols of the query language, alone or in any order: a query made only of them, or starting
#: with one ("<tram", "NOT NOT tram", "-(-(…))"), must be read or refused deliberately (issue 19).
QUERY_OPERATORS = ["AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE", "TO", "<", ">", "<=", ">=", "=<", "=>",
                   "-", "+", "(", ")", "-(", "+(", "~", "~2", "~10", "~99", "*", "?", "^2", ":", "*:*", ".."]
QUERY_ALPHABET = st.sampled_from(list('abcdeéèàôçœ’\'"()*?~:-+^[]{}!/\\.,;<>=&|01239 ') +
                                 ["AND", "OR", "NOT", "TO", "date:", "auteur:", "titre:", "statut:", "..", " "] +
                                 ["İ", "\t", "tram", "bus", "id:", "2026", "~9", "/9", "~1/5"] +
                                 QUERY_OPERATORS + ["numero:", "date:<", "date:>=", " ", " "]) | st.text(max_size=3)
#: Queries of operators and symbols only, with or without spaces between them, then maybe a word.
OPERATOR_QUERIES = st.tuples(st.lists(st.sampled_from(QUERY_OPERATORS), min_size=1, max_size=6),
                             st.sampled_from(["", " ", "-"]), st.sampled_from(["", "tram", " tram", "2026"])) \
    .map(lambda t: t[1].join(t[0]) + t[2])


def _read_or_refused(engine, text):
    """A query gives results or a deliberate QueryError: one line, and never the engine's fallback for a
    parse failure it did not foresee ("cannot parse the query: …", which once carried whoosh's internal
    "list index out of range")."""
    try:
        result = engine.search(text, limit=3)
    except QueryError as e:
        assert str(e) and "\n" not in str(e)
        assert not str(e).startswith("cannot parse the query"), (text, str(e))
    else:
        assert result.total >= 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(QUERY_ALPHABET, max_size=25).map("".join))
def test_any_query_string_gives_results_or_a_query_error(engine, text):
    _read_or_refused(engine, text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(OPERATOR_QUERIES)
def test_operator_and_symbol_queries_give_results_or_a_query_error(engine, text):
    _read_or_refused(engine, text)


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

    from parlsearch.index.whoosh_compat import apply_patches
    apply_patches()

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


def test_and_not_skipping_past_the_last_document_stops(engine):
    """whoosh's AndNotMatcher.skip_to read an exhausted posting list (IndexError) when its positive side ran
    out during the skip: `vélo -bus date:2026` with an answer-date filter on the bundled corpus."""
    import datetime as dt

    from whoosh.matching import ListMatcher, binary

    from parlsearch.search.engine.filters import SearchFilters
    m = binary.AndNotMatcher(ListMatcher([1, 5]), ListMatcher([1, 9]))
    m.skip_to(7)  # past the positive side's last document
    assert not m.is_active()
    filters = SearchFilters(answered_until=dt.date(2026, 8, 31)).queries()
    assert engine.search("vélo -bus date:2026", filters=filters).total >= 0
    assert engine.search("vélo -bus date:2026", filters=filters).total == sum(
        1 for h in engine.search("vélo -bus date:2026", limit=200).hits
        if h.doc.date_answered and h.doc.date_answered <= dt.date(2026, 8, 31))


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
    from parlsearch.search.engine.core import Engine
    record = {"moncode": "1", "titre": "Question écrite concernant le tram",
              "question": "Le tram " + MARK_START + "rouge sans fin et le tram bleu."}
    (tmp_path / "r.jsonl").write_text(_json.dumps(record) + "\n", "utf-8")
    update_index([tmp_path / "r.jsonl"], tmp_path / "ix")
    with Engine.open(tmp_path / "ix") as e:
        snippet = e.search("tram").hits[0].snippets[0]
    assert snippet.count(MARK_START) == snippet.count(MARK_END) >= 1


# -- issue 12: search as people type ---------------------------------------------------------------------

@pytest.mark.parametrize("query, first", [
    ("clerfayt arizona", "167091"),  # the minister's name as a plain word, with the topic
    ("d'Ursel CPAS", "167388"),  # an author's particle name
    ("amelie pans chaleur", "167348"),  # first name + surname, accents left out
    ("dalle moratoire", "170238"),  # of two questions on the moratorium, the one Benjamin Dalle asked
])
def test_names_are_found_by_plain_words(engine, query, first):
    assert ids(engine.search(query))[0] == first


def test_a_name_alone_finds_the_persons_questions_and_fields_stay_exact(engine):
    assert engine.search("Van den Brandt", limit=0).total >= 30  # the minister of 30+ questions
    assert engine.search("auteur:clerfayt", limit=0).total == 0  # a minister, never an author
    assert engine.search("ministre:clerfayt", limit=0).total >= 1


def test_names_weigh_less_than_the_subject(engine):
    """A question whose subject holds the word beats one whose author merely bears it as a name."""
    hits = engine.search("dalle").hits
    assert hits and "dalle" in hits[0].doc.subject.lower() + (hits[0].doc.question or "").lower() \
        or hits[0].doc.author == "Benjamin Dalle"


@pytest.mark.parametrize("query, corrected, first", [
    ("station Montgommery", "station montgomery", "170114"),  # one edit
    ("cylostrades flamandes", "cyclostrades flamandes", "169917"),  # one edit
    ("Quadrilataires", "quadrilateres", "170240"),  # two edits on a long word
    ("tram55 saturation", "tram 55 saturation", "170245"),  # letters and digits typed together
    # hyphen left out: since issue 21 the index holds the joined form of "titres-services": found, not corrected
    ("titresservices double subvention", None, "169909"),
])
def test_unknown_words_are_corrected(engine, query, corrected, first):
    result = engine.search(query)
    assert result.corrected == corrected
    assert ids(result)[0] == first


def test_exact_turns_correction_off(engine):
    result = engine.search("station Montgommery", exact=True)
    assert result.total == 0 and result.corrected is None
    assert result.suggestion == "station montgomery"


def test_words_found_as_typed_are_never_corrected(engine):
    """"stations" and "pare" exist as typed: neither becomes a neighbour spelling (station, parc)."""
    for query in ("stations métro", "pare chocs", "tram"):
        assert engine.search(query).corrected is None, query


def test_short_unknown_words_are_not_corrected(engine):
    """Four letters or fewer have too many neighbours ("rats" is one edit from "rails")."""
    assert engine.search("rats parcs").corrected is None


@pytest.mark.parametrize("query, first", [
    ("verkoop gemeentewoningen", "170262"),  # the title says "verkoop van woningen door gemeenten"
    ("controle dierenasielen", "170190"),  # "dieren in de erkende asielen"
    ("aanbodvermindering De Lijn", "169939"),  # "vermindering van het aanbod"
    ("hogere materiaalprijzen openbare werken", "170244"),  # head "materiaal" meets "materiaalkosten"
    ("ziekteverzuim gewestbestuur", "170111"),  # a compound's head typed alone: "ziekteverzuimpercentage"
])
def test_dutch_compounds_meet_their_parts(engine, query, first):
    result = engine.search(query)
    assert ids(result)[0] == first
    assert result.corrected is None  # decompounding is analysis, not a spelling correction


def test_exact_forms_rank_before_stem_only_matches(engine):
    top = engine.search("stationnement").hits[:3]
    assert all("stationnement" in (h.doc.subject + " " + (h.doc.question or "")).lower() for h in top)
    quoted = engine.search('"stationnement"').hits[:3]
    assert all("stationnement" in (h.doc.subject + " " + (h.doc.question or "")).lower() for h in quoted)
    assert "logements" in engine.get("170262").subject.lower()
    assert ids(engine.search("logement communes"))[0] == "170262"  # the stem still meets the plural


def test_a_pasted_passage_finds_its_document_despite_absent_words(engine):
    passage = ("De nombreux paiements sont effectués en l'absence d'informations sur l'adresse, le numéro de TVA "
               "ou la commune du bénéficiaire, ce qui pose une question de traçabilité. Plusieurs lignes "
               "présentent des liquidations très faibles ou symboliques (1 euro ou quelques centaines d'euros). "
               "On peut craindre un saucissonnage des commandes.")
    result = engine.search(passage)
    assert ids(result)[0] == "166382"
    assert "saucissonnage" in result.dropped  # in no document: the top hit lacks it


@pytest.mark.parametrize("query", ["fusion des zones de police", "primes pour panneaux solaires",
                                   "fermeture du tunnel Léopold II", "encadrement des loyers",
                                   "fermeture des piscines en été"])
def test_near_misses_return_nothing_and_closest_lists_them(engine, query):
    assert engine.search(query).total == 0
    result = engine.search(query, closest=True)
    assert result.total == 0 and not result.hits
    assert 1 <= len(result.closest) <= 3
    scores = [h.score for h in result.closest]  # the share of the query's information each covers
    assert scores == sorted(scores, reverse=True) and all(0 < c < 1 for c in scores)


def test_coverage_rule():
    """Complete matches first; otherwise ≥ MIN_COVERAGE of the information through two words or more."""
    import numpy as np

    from parlsearch.search.engine import plan as P
    from parlsearch.search.engine.coverage import MIN_COVERAGE, Word, answers, weigh

    def word(text, cover, n=100):
        has, share = np.zeros(n, bool), np.zeros(n)
        for d, c in cover.items():
            has[d], share[d] = True, c
        return Word(text, P.Nothing(), has, share)
    rare, rare2, common = word("rare", {1: 1.0, 2: 1.0}), word("rare2", {1: 0.5, 3: 1.0}), \
        word("common", {d: 0.5 for d in range(1, 60)})
    weigh([rare, rare2, common], 100)
    assert rare.info > common.info > 0
    assert set(np.flatnonzero(answers([rare, rare2, common])[0])) == {1}  # the only document holding every word
    unknown = word("unknown", {})
    weigh([rare, common, unknown], 100)
    assert unknown.info == rare.info  # as informative as the query's rarest known word
    docs, cov = answers([rare, common, unknown])
    assert set(np.flatnonzero(docs)) == {d for d in (1, 2) if cov[d] >= MIN_COVERAGE}  # two words, half the info
    assert all(cov[d] < MIN_COVERAGE for d in range(3, 60))
    common_topic = word("parks", {d: 1.0 for d in range(7, 12)})
    weigh([common_topic, unknown], 100)
    assert not answers([common_topic, unknown])[0].any()  # one shared word is never an answer…
    mentioned = word("mentioned", {7: 0.5})
    weigh([mentioned, unknown], 100)
    assert not answers([mentioned, unknown])[0].any()
    lone = word("lone", {7: 1.0})
    weigh([lone, unknown], 100)
    # … unless the known words name one or two documents by their subject, title or names and the others
    # are found nowhere (issue 21: "geestelijke gezondheid MIVB-medewerkers")
    assert set(np.flatnonzero(answers([lone, unknown])[0])) == {7}


def test_similar_text_finds_a_drafts_predecessors(engine):
    hits = engine.similar_text("Quelle est la fréquentation de la ligne de tram 55 et que faire contre sa saturation ?")
    assert hits[0].doc.moncode == "170245"
    assert all(0 < h.score <= 1 for h in hits)
    assert engine.similar_text("recette de tarte aux pommes et à la cannelle pour le dessert") == []
    assert engine.similar_text("") == []


def test_similar_lists_only_close_questions(engine):
    from parlsearch.search.engine.coverage import MIN_SIMILAR_COVERAGE
    neutrality = engine.similar("PRB-1-170119", limit=20)
    assert len(neutrality) >= 8 and all(h.score >= MIN_SIMILAR_COVERAGE for h in neutrality)
    assert all("neutralité" in h.doc.subject for h in neutrality[:8])
    assert len(engine.similar("PRB-1-166382", limit=20)) < 10  # the old behaviour listed 10, always


def test_cli_correction_closest_and_similar_text(bundled_index):
    from click.testing import CliRunner

    from parlsearch.search.cli.app import cli
    runner = CliRunner(mix_stderr=False) if "mix_stderr" in CliRunner.__init__.__code__.co_varnames \
        else CliRunner()
    ix = str(bundled_index)
    r = runner.invoke(cli, ["search", "--index", ix, "--json", "tram55", "saturation"])
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["corrected"] == "tram 55 saturation" and data["hits"][0]["moncode"] == "170245"
    assert 'searched "tram55" as "tram 55"' in r.stderr  # only the word changed (issue 19)
    r = runner.invoke(cli, ["search", "--index", ix, "--json", "--exact", "tram55", "saturation"])
    assert r.exit_code == 1 and json.loads(r.stdout)["corrected"] is None
    r = runner.invoke(cli, ["search", "--index", ix, "--no-pager", "--closest", "fusion des zones de police"])
    assert r.exit_code == 1 and "no result — nearest:" in r.stdout
    r = runner.invoke(cli, ["search", "--index", ix, "--json", "--closest", "fusion des zones de police"])
    assert json.loads(r.stdout)["closest"] and not json.loads(r.stdout)["hits"]
    r = runner.invoke(cli, ["similar", "--index", ix, "--json", "--text", "-"],
                      input="Quelle est la fréquentation de la ligne de tram 55 ?")
    assert r.exit_code == 0 and json.loads(r.stdout)["hits"][0]["moncode"] == "170245"
    r = runner.invoke(cli, ["similar", "--index", ix, "--text", "tournoi de tennis à Wimbledon"])
    assert r.exit_code == 1 and "no question is close enough" in r.stdout
    r = runner.invoke(cli, ["similar", "--index", ix])
    assert r.exit_code == 2


@pytest.mark.parametrize("query, first", [
    ("fiets netwerk aansluiting", "169917"),  # the title says "fietsnetwerk"
    ("metro stations veiligheid", "170112"),  # "metrostations"
    ("begroting monitoring", "170154"),  # "begrotingsmonitoring": linking s
    ("kruispunt bank mobiliteit", "170138"),  # "kruispuntbank"
])
def test_parts_typed_apart_meet_the_indexed_compound(engine, query, first):
    result = engine.search(query)
    assert ids(result)[0] == first and not result.dropped and result.corrected is None


def test_fuzzy_and_prefix_words_are_expanded_once_per_query(engine, monkeypatch):
    """A fuzzy or prefix word is expanded once per field when the query is planned (index/expansion.py),
    not again for the ranking, the counting and each hit's snippets."""
    from parlsearch.index import expansion
    calls = []
    for name in ("terms_within", "expand_prefix"):
        original = getattr(expansion, name)
        monkeypatch.setattr(expansion, name, lambda *a, _f=original, **k: calls.append(a[2]) or _f(*a, **k))
    for text in ["stationement~", "vél*", "logment~ social", "mobilit* bruxelles"]:
        calls.clear()
        engine._expansions.clear()
        result = engine.search(text)
        fields = {f for f in engine.weights}
        assert 0 < len(calls) <= len(fields), (text, calls)  # once per field of the word, at most
        assert result.total > 0, text
        assert any(MARK_START in s for h in result.hits for s in h.snippets), text


@pytest.mark.parametrize("text", ['date:""', 'date:"" tram'])
def test_an_empty_date_word_is_a_query_error(engine, text):
    """'date:""' became Term('date_received', '') after normalize() and whoosh raised when searching."""
    with pytest.raises(QueryError, match="bad date"):
        engine.search(text)
