"""Issue 21: spelling with a lexicon (a real word is never rewritten), names corrected against names only,
hyphen/space/joined forms, Dutch compounds split at index time, and the lexicon loaded only when needed."""
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parlsearch.index.analysis import DUTCH, Language, analyze, dutch_compound_parts, with_joined_form
from parlsearch.index.lexicon import Lexicon, fold_word, lexicon


def ids(result):
    return [h.doc.moncode or h.doc.id for h in result.hits]


# -- the lexicon --------------------------------------------------------------------------------------------

def test_the_lexicon_knows_real_words_of_each_language_and_not_typos():
    lex = lexicon()
    for word, lang in [("greve", "fr"), ("solaires", "fr"), ("plaignent", "fr"), ("roulent", "fr"),
                       ("verlichting", "nl"), ("voetgangers", "nl"), ("unanswered", "en"), ("permits", "en")]:
        assert lex.is_word(word) and lang in lex.languages_of(word), word
    for typo in ("montgommery", "stationement", "tarm", "stbi", "cylostrades"):
        assert not lex.is_word(typo), typo


def test_a_lexicon_reads_only_the_languages_it_is_asked_about():
    asked = []

    def loader(lang):
        asked.append(lang)
        return [["maison"]] + [[]] * 19 + [["huis"]] if lang != "en" else [["house"]]
    lex = Lexicon(min_zipf=8.9, loader=loader)  # buckets 0-10 kept (Zipf 9 to 8.9)
    assert lex.loaded() == ()
    assert lex.is_word("maison", ("fr",)) and asked == ["fr"]
    assert not lex.is_word("huis", ("fr",))  # a bucket under the frequency kept
    assert fold_word("Grève") == "greve"


_SCRIPT = """
import sys
from parlsearch.search.engine.core import Engine
from parlsearch.index.lexicon import lexicon
with Engine.open(sys.argv[1]) as e:
    e.search("stationnement vélo")
    print(lexicon().loaded())
    e.search("grève STIB")
    print(lexicon().loaded())
"""


def test_the_lexicon_is_loaded_only_for_a_word_the_index_lacks(bundled_index):
    out = subprocess.run([sys.executable, "-c", _SCRIPT, str(bundled_index)], capture_output=True, text=True,
                         timeout=120)
    first, second = out.stdout.splitlines()
    assert first == "()" and "fr" in second


# -- a real word is never rewritten ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def absent_real_words(engine):
    """Real words of the lexicon (lower case, 5+ letters) that the bundled index lacks: 600 of each language."""
    out = []
    for lang in ("fr", "nl", "en"):
        words = [w for w, z in lexicon()._language(lang).items() if len(w) >= 5 and w.isalpha() and z >= 30]
        out += [w for w in words[:4000] if not engine.vocabulary.known(w)][:600]
    return out


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_real_word_of_the_lexicon_is_never_rewritten(engine, absent_real_words, data):
    word = data.draw(st.sampled_from(absent_real_words))
    fix = engine.vocabulary.correct(word, lexicon())
    assert fix is None or not fix.reported or fix.words == [word], (word, fix)


@pytest.mark.parametrize("query, word", [("grève STIB", "grève"), ("primes pour panneaux solaires", "solaires"),
                                         ("Combien de Bruxellois roulent avec des plaques étrangères ?", "roulent"),
                                         ("unanswered questions about urban planning permits", "permits")])
def test_real_words_are_searched_as_typed(engine, query, word):
    assert all(typed != word for typed, _ in engine.search(query).corrections)


@pytest.mark.parametrize("query, suggestion", [("grève STIB", "grave STIB"), ("tarm", "tram"), ("STBI", "stib"),
                                               ("chen parking.brussels", "chan parking.brussels")])
def test_did_you_mean_is_offered_without_exact(engine, query, suggestion):
    result = engine.search(query)
    assert result.total == 0 and result.suggestion == suggestion


def test_non_words_are_still_corrected(engine):
    assert engine.search("station Montgommery").corrections == [("Montgommery", "montgomery")]
    assert engine.search("cylostrades flamandes").corrections == [("cylostrades", "cyclostrades")]


@pytest.mark.parametrize("query, typed, name, expect", [
    ("Gats STIB", "Gats", "gatz", {"170153", "166382"}), ("Chen parking.brussels", "Chen", "chan", {"170120"}),
    ("De Smet neutralité", "Smet", "smedt", {"170148", "170142"}),
])
def test_short_or_capitalised_names_are_corrected_against_the_names(engine, query, typed, name, expect):
    result = engine.search(query)
    assert (typed, name) in result.corrections
    assert expect & set(ids(result)[:3])


# -- hyphen, space and joined forms ----------------------------------------------------------------------------

def test_a_hyphenated_token_also_indexes_its_joined_form_at_its_position():
    assert analyze("flexi-jobs", "exact", index=True) == ["flexi-jobs", "flexi", "jobs", "flexijobs"]
    assert analyze("Anne-Charlotte", "names", index=True)[-1] == "annecharlotte"
    assert analyze("hub.brussels 13.622.302", "exact", index=True) == ["hub.brussels", "hub", "brussels", "13622302"]
    assert analyze("flexi-jobs", "exact") == ["flexi-jobs"]  # query time: the whole only
    assert with_joined_form(("a",), "a-b", index=False) == ("a",)


@pytest.mark.parametrize("query, expect", [("Desmedt LEZ", {"169916", "169915"}), ("Depatoul élagage", {"170106"}),
                                           ("système anti-noyade piscines", {"170151"}),
                                           ("flexijobs métiers en pénurie", {"170121"})])
def test_hyphen_space_and_joined_forms_are_one(engine, query, expect):
    assert expect & set(ids(engine.search(query))[:3])


def test_a_hyphenated_query_finds_the_text_that_writes_it_with_a_space(engine):
    spaced = set(ids(engine.search('"Bruxelles Propreté"', limit=50)))
    assert spaced and spaced <= set(ids(engine.search("Bruxelles-Propreté", limit=50)))


# -- Dutch compounds at index time -----------------------------------------------------------------------------

def test_dutch_compounds_are_split_into_lexicon_words():
    assert dutch_compound_parts("ziekteverzuimpercentage") == ["ziekte", "verzuim", "percentage"]
    assert dutch_compound_parts("voetgangersbeleid") == ["voetgangers", "beleid"]
    assert dutch_compound_parts("verlichting") == [] and dutch_compound_parts("gezondheid") == []


PLAIN_DUTCH = Language("dutch", "nl")  # the analyzer before issue 21: no compound parts


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["fietsenstalling", "het", "voetgangersbeleid", "in", "de", "stad",
                                 "ziekteverzuimpercentage", "fiets-", "en", "inningspercentage", "van", "belastingen",
                                 "MIVB-medewerkers", "Brussel", "2026", ",", "."]), max_size=15).map(" ".join))
def test_compound_parts_take_no_position_of_their_own(text):
    """Every term the analyzer gave before keeps exactly its positions (phrases and slop are unchanged); a
    part stands at its compound's position."""
    before, after = PLAIN_DUTCH.positions(text), DUTCH.positions(text)
    for term, positions in before.items():
        assert after[term] == positions, term
    taken = {p for ps in before.values() for p in ps}
    for term in set(after) - set(before):
        assert set(after[term]) <= taken, term


@pytest.mark.parametrize("query, expect", [("ziekteverzuim bij het gewest", {"170111"}),
                                           ("inning van belastingen", {"169919", "169918"}),
                                           ("beleid voor voetgangers", {"169938"}),
                                           ("criteria voor investeringen", {"170137", "170136"})])
def test_a_plain_dutch_word_finds_the_compounds_that_hold_it(engine, query, expect):
    assert expect & set(ids(engine.search(query))[:3])


def test_fiets_finds_the_titles_whose_compounds_hold_it(engine):
    assert engine.search("fiets").total >= 4  # fietssnelwegen, fietsdeeldiensten, fietsboxen… (1 before)
    assert engine.search('titel:"fiets- en voetgangersbeleid"').total == 1  # phrases as before
