"""The French/Dutch analyzer, on real vocabulary from the bundled corpus."""
import json

from hypothesis import HealthCheck, given, settings, strategies as st

import pytest

from parlsearch.corpus.reader import bundled_corpus
from parlsearch.index.analysis import DUTCH, FRENCH, NAMES, ParlAnalyzer, analyze, fold, normalize


def fr(text, index=False):
    return analyze(text, "fr", index=index)


@pytest.fixture(scope="module")
def corpus_text():
    data = json.loads((bundled_corpus() / "brussels-written-questions-2024-2029.json").read_text("utf-8"))
    return " ".join(r["question"] + " " + (r["reponse"] or "") + " " + r["titre"] for r in data["questions"])


@pytest.mark.parametrize("accented, plain", [
    ("métiers", "metiers"), ("sécurité", "securite"), ("étrangères", "etrangeres"), ("réseau", "reseau"),
    ("qualité", "qualite"), ("élections", "elections"), ("développement", "developpement"),
    ("Région", "region"), ("bien-être", "bien-etre"), ("créée", "creee"), ("Dilliès", "Dillies"),
])
def test_accented_and_unaccented_spellings_meet(accented, plain):
    assert fr(accented) == fr(plain)
    assert fr(accented, index=True) == fr(plain, index=True)


def test_folding_happens_before_stemming():
    # The French stemmer treats é and e differently; folding first makes both spellings one term.
    assert fr("sécurité") == fr("securite") == ["securit"]


@pytest.mark.parametrize("a, b", [
    ("subvention", "subventions"), ("plaque", "plaques"), ("étrangère", "étrangères"), ("femme", "femmes"),
    ("violence", "violences"), ("immatriculation", "immatriculations"), ("cyclable", "cyclables"),
    ("mission locale", "missions locales"), ("informé", "informés"), ("école", "écoles"),
    # what folding does to the stemmer, repaired: participles in -ié(e)s, plural s after a vowel
    ("expatrié", "expatriés"), ("étudié", "étudiées"), ("créé", "créées"), ("modifié", "modifiées"),
    ("vélo", "vélos"), ("euro", "euros"), ("catégorie", "catégories"), ("travail", "travaux"),
    ("année", "années"),
])
def test_inflections_share_a_stem(a, b):
    assert fr(a) == fr(b)


@pytest.mark.parametrize("apostrophe", ["'", "’", "ʼ", "`", "‘"])
def test_elision_with_every_apostrophe(apostrophe):
    assert fr("l%saccessibilité de l%sapplication" % (apostrophe, apostrophe)) == ["accessibilit", "appliqu"]
    assert fr("d%sAnderlecht" % apostrophe) == fr("Anderlecht")


@pytest.mark.parametrize("word", ["jusqu'à", "lorsqu'il", "puisqu'elle", "quoiqu'on", "qu'il", "n'est", "c'est",
                                  "s'agit", "j'ai", "t'as", "m'a"])
def test_elided_function_words_vanish(word):
    assert all(t not in ("jusqu", "lorsqu", "puisqu", "quoiqu", "qu", "n", "c", "s", "j", "t", "m")
               for t in fr(word))


def test_lowercase_and_stopwords():
    assert fr("LA Cité DES Métiers") == ["cit", "meti"]
    assert fr("le la les de des du et à") == []


@pytest.mark.parametrize("text, term", [
    ("hub.brussels", "hub.brussels"), ("clean.brussels", "clean.brussels"),
    ("finance&invest.brussels", "finance&invest.brussels"), ("13.622.302 euros", "13622302"),
    ("1,5 %", "1,5"), ("NO2", "no2"), ("LEZ", "lez"), ("tram 55", "55"), ("ZACA", fr("zaca")[0]),
])
def test_codes_numbers_and_domains_stay_single_tokens(text, term):
    assert term in fr(text)


def test_thousands_separators_are_one_number(corpus_text):
    assert "13.622.302" in corpus_text  # real amounts are written this way
    assert fr("170.000") == fr("170000") == ["170000"]


@pytest.mark.parametrize("compound, parts", [
    ("flexi-jobs", ["flex", "job"]), ("titres-services", ["titr", "servic"]),
    ("Midi-Lemonnier", ["mid", "lemonni"]),
])
def test_hyphenated_compounds_as_whole_and_parts(compound, parts):
    whole = fr(compound)
    assert len(whole) == 1  # a query for the compound asks for the compound
    indexed = fr(compound, index=True)
    assert indexed[0] == whole[0]
    for part in parts:
        assert part in indexed  # …and the parts are findable on their own


def test_domain_parts_are_findable():
    assert {"hub.brussels", "hub", "brussel"} <= set(fr("hub.brussels", index=True))


def test_interrogative_inversion():
    assert fr("faut-il") == fr("faut") == []
    assert fr("consacre-t-elle") == fr("consacre")
    assert fr("sont-ils") == []


def test_positions_keep_stopword_gaps():
    tokens = [(terms, pos) for terms, pos, _, _ in FRENCH.tokens("zones à concentration d’accidents", index=False)]
    assert tokens == [(("zon",), 0), (("concentr",), 2), (("accident",), 3)]


def test_fast_index_path_agrees_with_tokens(corpus_text):
    text = corpus_text[:200_000]
    expected = {}
    for terms, pos, _, _ in FRENCH.tokens(text, index=True):
        for term in terms:
            plist = expected.setdefault(term, [])
            if not plist or plist[-1] != pos:
                plist.append(pos)
    assert FRENCH.positions(text) == expected


def test_character_offsets_point_at_the_words():
    text = "La Cité des métiers… d’Anderlecht, hub.brussels"
    seen = []
    for terms, _, start, end in FRENCH.tokens(text, index=False):
        assert fr(text[start:end]) == list(terms)
        seen.append(text[start:end])
    assert seen == ["Cité", "métiers", "Anderlecht", "hub.brussels"]


def test_unicode_normalisation():
    decomposed = "se\u0301curite\u0301"  # NFD, as typed on some systems
    assert fr(decomposed) == fr("sécurité")
    assert fr("ﬁnances") == fr("finances")  # NFKC ligature
    assert normalize("a\u00a0b\u202fc") == "a b c"


def test_dutch_titles_use_dutch_stemming():
    assert analyze("fietsdeeldiensten", "nl") == analyze("fietsdeeldienst", "nl")
    assert analyze("buitenlandse nummerplaten", "nl") == analyze("buitenlandse nummerplaat", "nl")
    assert analyze("de het een", "nl") == []


def test_names_fold_without_stemming():
    assert analyze("Elke Van den Brandt", "names", index=True) == ["elke", "van", "den", "brandt"]
    assert analyze("Dilliès", "names") == analyze("DILLIES", "names") == ["dillies"]


def test_whoosh_analyzer_wrapper_matches_language():
    ana = ParlAnalyzer("fr")
    assert [t.text for t in ana("Les titres-services à Bruxelles", mode="query")] == fr(
        "Les titres-services à Bruxelles")
    assert [t.text for t in ana("Métier*", tokenize=False)] == ["meti*"]


def test_cache_gives_same_terms():
    FRENCH._index_cache.clear()
    first = fr("stationnement vélo", index=True)
    assert fr("stationnement vélo", index=True) == first


def test_dutch_and_french_are_distinct_languages():
    assert DUTCH.code == "nl" and FRENCH.code == "fr" and NAMES.code == "names"


# -- issue 12: exact forms, decompounding, stemmer conflations -----------------------------------------

def test_exact_forms_are_folded_but_not_stemmed():
    assert analyze("Le stationnement des vélos", "exact") == ["stationnement", "velos"]
    assert analyze("l'Échevin van de gemeente", "exact") == ["echevin", "gemeente"]  # elision, Dutch stops
    # and, since issue 21, the parts written together (a word typed joined finds the hyphenated text)
    assert analyze("flexi-jobs", "exact", index=True) == ["flexi-jobs", "flexi", "jobs", "flexijobs"]
    assert analyze("flexi-jobs", "exact") == ["flexi-jobs"]
    # The stems of the French fields do conflate them; the exact forms keep them apart.
    assert fr("stationnement") == fr("station")
    assert analyze("stationnement", "exact") != analyze("station", "exact")


def test_stemmer_keeps_rent_apart_from_law():
    """Snowball reads "loyer" as a verb in -er and stems it to "loi" (law), while "loyers" stayed "loyer"."""
    assert fr("loyer") == fr("loyers") == fr("Loyers")
    assert fr("loyer") != fr("loi")
    assert fr("métier") == fr("métiers")


def test_decompound_against_a_vocabulary():
    from parlsearch.index.analysis import decompound
    vocabulary = {"gemeente", "woningen", "verkeer", "veiligheid", "dieren", "asielen", "aanbod",
                  "vermindering", "fiets", "paden", "netwerk"}
    known = vocabulary.__contains__
    assert decompound("gemeentewoningen", known) == ["gemeente", "woningen"]
    assert decompound("verkeersveiligheid", known) == ["verkeer", "veiligheid"]  # linking s
    assert decompound("dierenasielen", known) == ["dieren", "asielen"]
    assert decompound("fietspadennetwerk", known) == ["fiets", "paden", "netwerk"]  # three parts
    assert decompound("gemeentehuis", known) is None  # "huis" unknown: no split
    assert decompound("gemeente", known) is None  # too short to hold two parts
    assert decompound("fiets55", known) is None


def test_decompound_bounds_its_lookups():
    """At most about one lookup per split point and level: never a walk of the vocabulary."""
    from parlsearch.index.analysis import decompound
    calls = []

    def known(part):
        calls.append(part)
        return False
    assert decompound("a" * 40, known) is None
    assert len(calls) <= 40

    calls.clear()  # worst case: many heads known, no tail ever (every split is tried, and recursed into)
    assert decompound("a" * 40, lambda part: calls.append(part) or len(part) >= 21) is None
    assert 40 < len(calls) < 5_000
    calls.clear()
    assert decompound("a" * 41, known) is None and not calls  # too long to be a compound


# -- issue 20: one tokenisation for a text's own field and the exact field -------------------------------------

#: Random texts made of what the analyzer treats specially: accents, every apostrophe, hyphens and other
#: separators inside words, elisions, French and Dutch stopwords, inversions, numbers, ligatures, NBSP, CRLF.
_PIECES = ["l'", "d’", "qu`", "aujourd'hui", "jusqu'à", "d'Ursel", "'t", "n'est-ce", "faut-il", "flexi-jobs",
           "titres-services", "hub.brussels", "13.622.302", "1,5", "vélo", "vélos", "Vélos", "het", "de", "van",
           "fietspad", "gemeentewoningen", "STIB-MIVB", "Œuvre", "ﬁnances", "é", "e\u0301", "la", "les", "a",
           "tram55", "x" * 70, "l'l'l'", "qu'en", "et", "'", "-", ".", ",", "&"]
_TEXT = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=6)),
                 max_size=40).map(lambda parts: "".join(
                     p + s for p, s in zip(parts, [" ", "\n", "", "\u00a0", " ", "\r\n"] * 8)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(_TEXT, min_size=1, max_size=5), languages=st.lists(st.sampled_from(["fr", "nl"]),
                                                                      min_size=5, max_size=5))
def test_one_tokenisation_gives_each_field_what_its_own_analysis_gives(texts, languages):
    """Language.positions_and reads a text once for its own field and the exact field: exactly the terms and
    positions of positions() for each, the exact ones continuing across texts as in the exact field's text
    (the texts joined by blank lines)."""
    from collections import defaultdict
    from parlsearch.index.analysis import EXACT, LANGUAGES
    into, start = defaultdict(list), 0
    for text, language in zip(texts, languages):
        lang = LANGUAGES[language]
        own, start = lang.positions_and(EXACT, text, into, start)
        assert own == lang.positions(text)
    assert into == EXACT.positions("\n\n".join(texts))


@settings(max_examples=200, deadline=None)
@given(text=_TEXT, language=st.sampled_from(["fr", "nl", "names", "exact"]))
def test_token_layouts_give_the_positions_of_the_text(text, language):
    """Language.layout, token by token (what the bulk writer reads once per distinct token), adds up to
    positions() of the whole text."""
    from parlsearch.index.analysis import LANGUAGES, raw_tokens
    lang = LANGUAGES[language]
    expected: dict = {}
    pos = 0
    for raw in raw_tokens(text):
        placed, advance = lang.layout(raw)
        for term, offset in placed:
            expected.setdefault(term, []).append(pos + offset)
        pos += advance
    assert expected == lang.positions(text)


def test_the_exact_field_text_is_read_as_before():
    """The exact field's text joins the Dutch question and answer with one newline (body_nl's text) where it
    joined them with a blank line: the same tokens and positions."""
    from parlsearch.corpus.reader import read_paths
    from parlsearch.index.analysis import EXACT
    from parlsearch.index.schema import EXACT_FIELD, index_fields
    import dataclasses
    docs = read_paths(None).documents
    docs.append(dataclasses.replace(docs[0], question_nl="Hoeveel fietsen? D'Ursel: 't is", answer_nl="Geen."))
    for doc in docs:
        before = "\n\n".join(t for t in (doc.subject, doc.title_nl, doc.question, doc.answer, doc.question_nl,
                                         doc.answer_nl) if t)
        assert EXACT.positions(index_fields(doc)[EXACT_FIELD]) == EXACT.positions(before)
