"""The query language and ranking, on an index of the real bundled corpus."""
import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parlsearch.search.engine import MARK_END, MARK_START
from parlsearch.search.query import QueryError, rewrite

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

    from parlsearch.search.filters import SearchFilters
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
    from parlsearch.search.engine import Engine
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
    ("titresservices double subvention", "titres-services double subvention", "169909"),  # hyphen left out
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
    from whoosh.query import NullQuery

    from parlsearch.search.coverage import MIN_COVERAGE, Word, answers, weigh

    def word(text, cover):
        return Word(text, NullQuery, dict(cover))
    rare, rare2, common = word("rare", {1: 1.0, 2: 1.0}), word("rare2", {1: 0.5, 3: 1.0}), \
        word("common", {d: 0.5 for d in range(1, 60)})
    weigh([rare, rare2, common], 100)
    assert rare.info > common.info > 0
    assert answers([rare, rare2, common])[0] == {1}  # the only document holding every word
    unknown = word("unknown", {})
    weigh([rare, common, unknown], 100)
    assert unknown.info == rare.info  # as informative as the query's rarest known word
    docs, cov = answers([rare, common, unknown])
    assert docs == {d for d in (1, 2) if cov[d] >= MIN_COVERAGE}  # two words covered, at least half the info
    assert all(cov[d] < MIN_COVERAGE for d in range(3, 60))
    lone = word("lone", {7: 1.0})
    weigh([lone, unknown], 100)
    assert answers([lone, unknown])[0] == set()  # one shared word is never an answer


def test_similar_text_finds_a_drafts_predecessors(engine):
    hits = engine.similar_text("Quelle est la fréquentation de la ligne de tram 55 et que faire contre sa saturation ?")
    assert hits[0].doc.moncode == "170245"
    assert all(0 < h.score <= 1 for h in hits)
    assert engine.similar_text("recette de tarte aux pommes et à la cannelle pour le dessert") == []
    assert engine.similar_text("") == []


def test_similar_lists_only_close_questions(engine):
    from parlsearch.search.coverage import MIN_SIMILAR_COVERAGE
    neutrality = engine.similar("PRB-1-170119", limit=20)
    assert len(neutrality) >= 8 and all(h.score >= MIN_SIMILAR_COVERAGE for h in neutrality)
    assert all("neutralité" in h.doc.subject for h in neutrality[:8])
    assert len(engine.similar("PRB-1-166382", limit=20)) < 10  # the old behaviour listed 10, always


def test_cli_correction_closest_and_similar_text(bundled_index):
    from click.testing import CliRunner

    from parlsearch.search.cli import cli
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
    assert r.exit_code == 1 and "no result; closest:" in r.stdout
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


@pytest.fixture(scope="module")
def whoosh_engine(bundled_index):
    """The same index through whoosh's matchers and highlighter only (the fast path's reference)."""
    from parlsearch.search.engine import Engine
    e = Engine.open(bundled_index, fast=False)
    yield e
    e.close()


def _judged_queries():
    out = []
    for path in sorted(DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line)["q"])
    return out


def _top_with_ties(result):
    """(score rounded to 1e-6, id) of the hits: the order may differ only within a score tie."""
    return sorted((-round(h.score, 6), h.doc.moncode or h.doc.id) for h in result.hits)


@pytest.mark.parametrize("filter_kind, every", [("none", 4), pytest.param("none", 1, marks=pytest.mark.slow),
                                                pytest.param("date", 1, marks=pytest.mark.slow),
                                                pytest.param("author", 1, marks=pytest.mark.slow)],
                         ids=["none-quarter", "none", "date", "author"])
def test_fast_path_answers_as_whoosh(engine, whoosh_engine, filter_kind, every):
    """Issue 13: the term-at-a-time scorer and window snippets change no result. For every judged query
    (every fourth in the fast suite: whoosh's matchers take ~4 CPU seconds over all of them) and a few
    shapes the fast path leaves to whoosh, without and with filters (those two in the slow run), the same
    total, the same top 10 with the same scores, and snippets marking matched words when whoosh's do."""
    from parlsearch.search.filters import date_filter, name_filter
    queries = _judged_queries()
    assert len(queries) == 176
    queries = queries[::every]
    queries += ['"garantie jeunesse"', "tram -bus", "stationnement OR vélo", "stationement~", "vél*",
                "titre:mobilité tram"]
    filters = {"none": None, "date": [date_filter(dt.date(2020, 1, 1), None)],
               "author": [name_filter("author", "Pinxteren")]}[filter_kind]
    assert filters is None or all(f is not None for f in filters)
    fast_shapes = runs = 0
    for text in queries:
        plan = engine.plan(text, filters)
        runs += plan.query is not None
        fast_shapes += engine._fast_scores(plan.query, plan.docs) is not None
        a = engine.search(text, filters=filters)
        b = whoosh_engine.search(text, filters=filters)
        assert a.total == b.total, (text, filters)
        assert _top_with_ties(a) == _top_with_ties(b), (text, filters)
        assert [h.doc.id for h in a.hits] == [h.doc.id for h in b.hits] or \
            [round(h.score, 6) for h in a.hits] == [round(h.score, 6) for h in b.hits], (text, filters)
        for ha, hb in zip(a.hits, b.hits):
            if ha.doc.id == hb.doc.id and any(MARK_START in s for s in hb.snippets):
                assert any(MARK_START in s and MARK_END in s for s in ha.snippets), (text, ha.snippets)
    # every shape but phrases, negations, fuzzy and prefix words takes the fast path (with the author filter
    # only 42 queries have answers, half of them of those shapes)
    assert fast_shapes >= (0.5 if filter_kind == "author" else 0.6) * runs, (fast_shapes, runs)


def test_coverage_from_posting_blocks_is_the_matchers(engine):
    """measure() reads plain terms' postings as whole blocks: the same cover as walking whoosh's
    matchers one posting at a time (the previous implementation, repeated here)."""
    from whoosh import query as wq

    from parlsearch.index.schema import TOPIC_FIELDS
    from parlsearch.search.coverage import BODY_SATURATION, Word, _fieldname, measure
    for text in ["stationnement", "vélo", "qualité", "tram", "Bruxelles", "logement", "fiets", "mobilité"]:
        word = Word(text, engine._word_query(text))
        measure(word, engine.searcher)
        expected = {}
        for sub in word.query.subqueries if isinstance(word.query, wq.Or) else [word.query]:
            topic = _fieldname(sub) in TOPIC_FIELDS
            m = sub.matcher(engine.searcher)
            while m.is_active():
                tf = m.weight() / (sub.boost or 1.0)
                share = 1.0 if topic else tf / (tf + BODY_SATURATION)
                expected[m.id()] = max(expected.get(m.id(), 0.0), share)
                m.next()
        assert word.cover.keys() == expected.keys() and word.cover, text
        assert all(abs(word.cover[d] - expected[d]) < 1e-12 for d in expected), text


def test_lazy_cover_gives_the_coverage_of_a_plain_dict(engine):
    """A measured word's Cover works shares out when asked: coverage() over Covers is coverage() over
    the same covers as plain dicts (every document, for the candidates of a partial match as for the
    documents holding every word), and answers() returns the coverage of the complete matches only."""
    from parlsearch.search.coverage import Cover, Word, answers, coverage, measure, weigh
    for texts in (["stationnement", "vélo"], ["logement", "social", "bruxelles"], ["tram", "fiets", "qualité"]):
        words = []
        for text in texts:
            w = Word(text, engine._word_query(text))
            measure(w, engine.searcher)
            assert isinstance(w.cover, Cover)
            words.append(w)
        weigh(words, engine.searcher.doc_count_all())
        plain = [Word(w.text, w.query, dict(w.cover.items()), w.info) for w in words]
        candidates = set().union(*(w.cover.keys() for w in words))
        assert coverage(words, candidates) == coverage(plain, candidates)
        docs, cov = answers(words)
        docs_plain, cov_plain = answers(plain)
        assert docs == docs_plain and cov == {d: cov_plain[d] for d in cov}
        complete = set.intersection(*(set(w.cover.keys()) for w in words))
        assert (set(cov) == complete) if complete else (set(cov) == candidates)


def test_a_lone_known_word_is_not_measured_for_coverage(engine, monkeypatch):
    """The coverage rule needs two words: one word found in the index is only scored (its postings are
    not walked a second time to measure its coverage); an unknown word is still measured (spelling
    correction starts from its empty cover), and two words are both measured."""
    from parlsearch.search import engine as engine_module
    calls = []
    real = engine_module.measure
    monkeypatch.setattr(engine_module, "measure", lambda w, *a: (calls.append(w.text), real(w, *a))[1])
    assert engine.search("vélo").total > 0 and calls == []
    assert engine.search("date:2024 vélo").total >= 0 and calls == []
    engine.search("vélo tram")
    assert sorted(calls) == ["tram", "vélo"]
    calls.clear()
    engine.search("vzlqo")
    assert calls[:1] == ["vzlqo"]


def test_date_keys_from_the_raw_column_are_whooshs(engine, whoosh_engine):
    """Score ties are broken newest first; the fast path reads the reception dates from the raw column
    arrays: the same day ordinal as whoosh's column reader for every document (0 without a date)."""
    n = engine.searcher.doc_count_all()
    assert engine._date_table() is not None
    assert [engine._date_key(d) for d in range(n)] == [whoosh_engine._date_key(d) for d in range(n)]


def test_similar_prunes_only_documents_that_cannot_be_close(engine):
    """similar_text takes its candidates from the documents of the informative words only (the least
    informative ones together carry less than MIN_SIMILAR_COVERAGE): the same hits as computing the
    coverage of every document holding any key word (the previous implementation, repeated here)."""
    from parlsearch.search.coverage import MIN_SHARED_WORDS, MIN_SIMILAR_COVERAGE, coverage
    texts = ["Quelle est la fréquentation de la ligne de tram 55 et que faire contre sa saturation ?",
             "stationnement des vélos cargo dans les communes", "logement social et primes à la rénovation"]
    docs = [engine.searcher.stored_fields(d)["id"] for d in range(0, engine.searcher.doc_count_all(), 97)]
    checked = 0
    for text, exclude in [(t, None) for t in texts] + [(engine.get(i).subject + "\n" + engine.get(i).question, i)
                                                         for i in docs[:6]]:
        words = engine._key_words(text, min_df=2 if exclude else 1)
        candidates = set().union(*(w.cover.keys() for w in words)) if words else set()
        if exclude is not None:
            candidates.discard(engine.searcher.document_number(id=exclude))
        cov = coverage(words, candidates)
        close = sorted((d for d in cov if cov[d] >= MIN_SIMILAR_COVERAGE
                        and sum(d in w.cover for w in words) >= MIN_SHARED_WORDS),
                       key=lambda d: (-round(cov[d], 6), -engine._date_key(d)))[:10]
        hits = engine.similar_text(text, exclude=exclude)
        assert [engine.searcher.document_number(id=h.doc.id) for h in hits] == close, text
        checked += bool(close)
    assert checked >= 3


def test_fuzzy_and_prefix_words_are_expanded_once_per_query(engine, whoosh_engine, monkeypatch):
    """A fuzzy or prefix word is expanded once when the query is planned (index/expansion.py), not at
    every use by whoosh; the results are whoosh's."""
    from parlsearch.index import expansion
    calls = []
    for name in ("terms_within", "expand_prefix"):
        original = getattr(expansion, name)
        monkeypatch.setattr(expansion, name, lambda *a, _f=original, **k: calls.append(a[2]) or _f(*a, **k))
    for text in ["stationement~", "vél*", "logment~ social", "mobilit* bruxelles"]:
        calls.clear()
        result = engine.search(text)
        fields = {f for f in engine.weights}
        assert 0 < len(calls) <= len(fields), (text, calls)  # once per field of the word, at most
        expected = whoosh_engine.search(text)
        assert result.total == expected.total > 0, text
        assert _top_with_ties(result) == _top_with_ties(expected), text
        assert any(MARK_START in s for h in result.hits for s in h.snippets), text


@pytest.mark.parametrize("text", ['date:""', 'date:"" tram'])
def test_an_empty_date_word_is_a_query_error(engine, text):
    """'date:""' became Term('date_received', '') after normalize() and whoosh raised when searching."""
    with pytest.raises(QueryError, match="bad date"):
        engine.search(text)
