"""Sentences glued by a dot (`professionnel.Cette`) are split; names written with a dot (`hub.brussels`,
`parking.Brussels`) and numbers (`13.622.302`, `1,5`) are not (corpus/sentences.py, index/analysis.py)."""
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parlsearch.corpus.sentences import ABBREVIATIONS, DOMAIN_LABELS, first_sentence, sentence_cuts
from parlsearch.index.analysis import DUTCH, EXACT, FRENCH, analyze, raw_tokens

LANGS = [FRENCH, DUTCH, EXACT]
#: Words as the Chamber's texts end and start sentences with.
small = st.text("abcdefghijklmnopqrstuvwxyzéèàç", min_size=2, max_size=12)
capitalised = st.builds(lambda a, b: a + b, st.sampled_from("ABCDEFGHIJKLMNOPRSTVWÉ"),
                        st.text("abcdefghijklmnopqrstuvwxyzéè", min_size=1, max_size=10)).filter(
    lambda w: w.lower() not in DOMAIN_LABELS)


def positions_of(lang, text):
    return {term: list(p) for term, p in lang.positions(text).items()}


# -- the rule ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("token, cuts", [
    ("professionnel.Cette", [13]), ("travail.L'article", [7]), ("garantie.Est-ce", [8]), ("2020.Ce", [4]),
    ("COVID-19.Cette", [8]), ("SNCB.La", [4]), ("d'actualité.L'Organisation", [11]), ("u.Welke", [1]),
    ("Henegouwen.U", [10]), ("W.Succ.Artikel", [6]), ("extérieurs.Eu", [10]), ("zijn.Vlaanderen", [4]),
    # names, numbers, initials, references: kept whole
    ("hub.brussels", []), ("parking.Brussels", []), ("finance&invest.brussels", []), ("www.belgium.be", []),
    ("info.Belgium.be", []), ("Walfoot.be", []), ("JD.com", []), ("13.622.302", []), ("1,5", []),
    ("2020.1", []), ("possible.1", []), ("art.5", []), ("p.ex", []), ("W.D", []), ("E.E.R", []),
    ("J.Dupont", []), ("C.Enfin", []), ("art.Premier", []), ("Dr.Peeters", []), ("euro.SABCA", []),
])
def test_where_a_dot_ends_a_sentence(token, cuts):
    assert sentence_cuts(token) == cuts


@given(small.filter(lambda w: w not in ABBREVIATIONS), capitalised)
def test_a_join_reads_as_if_the_space_were_there(end, start):
    """The rule as a property: "…word.Word…" (the word before the dot not an abbreviation: "mr.Dupont") gives
    the terms and positions of "…word. Word…", in every language, at index and query time."""
    joined, spaced = "le %s.%s suit" % (end, start), "le %s. %s suit" % (end, start)
    for lang in LANGS:
        assert positions_of(lang, joined) == positions_of(lang, spaced)
        assert [(t, p) for t, p, _, _ in lang.tokens(joined, index=False)] == \
            [(t, p) for t, p, _, _ in lang.tokens(spaced, index=False)]


@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_text_without_a_capital_after_a_dot_is_tokenised_as_before(text):
    """Only a dot before a capital (or one of the one-letter words) can split a token: any other text keeps
    the tokens of one findall."""
    from parlsearch.index.analysis import _TOKEN, normalize
    normal = normalize(text)
    if not any(c == "." and (n.isupper() or n in "uay") for c, n in zip(normal, normal[1:])):
        assert raw_tokens(text) == _TOKEN.findall(normal)


@settings(max_examples=200)
@given(st.lists(st.one_of(small, capitalised, st.sampled_from(
    ["hub.brussels", "parking.Brussels", "13.622.302", "1,5", "l'article", "professionnel.Cette", "2020.Le",
     "finance&invest.brussels", "d'actualité.L'Organisation", ".", ". ", "qu'en"])), max_size=12))
def test_index_fast_path_agrees_with_tokens(words):
    """positions() (the writer's path) and tokens() (queries, snippets) cut and place words alike."""
    text = " ".join(words).replace(" .", ".")
    for lang in LANGS:
        expected = {}
        for terms, pos, _, _ in lang.tokens(text, index=True):
            for term in terms:
                plist = expected.setdefault(term, [])
                if not plist or plist[-1] != pos:
                    plist.append(pos)
        assert positions_of(lang, text) == expected


# -- what the index holds ----------------------------------------------------------------------------------

def test_the_chamber_example_is_two_words_at_two_positions():
    text = "bénéficient d'une réduction du précompte professionnel.Cette réduction pour le travail"
    pos = positions_of(FRENCH, text)
    assert "professionnel.cette" not in pos and pos["professionnel"] == [5]
    assert pos["reduct"] == [2, 7]  # "cette" (a stopword) keeps its position between them
    assert analyze("professionnel.Cette", "fr") == ["professionnel"]  # a pasted query reads it the same


@pytest.mark.parametrize("name, whole, parts", [
    ("hub.brussels", "hub.brussels", {"hub", "brussel"}),
    ("parking.Brussels", "parking.brussels", {"parking", "brussel"}),
    ("finance&invest.brussels", "finance&invest.brussels", {"financ", "invest", "brussel"}),
])
def test_a_dotted_name_is_found_whole_and_by_its_parts_at_one_position(name, whole, parts):
    pos = positions_of(FRENCH, "le site %s annonce" % name)
    assert pos[whole] == [2] and all(pos[p] == [2] for p in parts)
    assert pos["annonc"] == [3]  # one position for the name, whatever its parts
    assert analyze(name, "fr") == [whole]  # a query asks for the name


@pytest.mark.parametrize("number, term", [("13.622.302", "13622302"), ("1,5", "1,5")])
def test_numbers_stay_one_term(number, term):
    assert positions_of(FRENCH, "soit %s euros" % number) == {term: [1], "euro": [2]}


def test_character_offsets_of_joined_sentences_point_at_each_word():
    text = "du travail.L'article 275 professionnel.Cette"
    spans = [text[s:e] for _, _, s, e in FRENCH.tokens(text, index=False)]
    assert spans == ["travail", "article", "275", "professionnel"]


# -- searching ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def join_index(tmp_path_factory):
    from parlsearch.index.update import update_index
    src = tmp_path_factory.mktemp("joins") / "q.jsonl"
    records = [
        {"id": "T-1", "titre": "Travail de nuit", "question": "Les entreprises bénéficient d'une réduction du "
         "précompte professionnel.Cette réduction pour le travail de nuit est prévue.L'article 275 le dit."},
        {"id": "T-2", "titre": "Agences", "question": "Le rôle de hub.brussels et de parking.Brussels dans "
         "la politique de stationnement."},
        {"id": "T-3", "titre": "Professions", "question": "Les médecins de la santé et cette réforme."},
    ]
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    path = tmp_path_factory.mktemp("joins-index") / "index"
    update_index([src], path)
    return path


@pytest.mark.parametrize("query, ids", [
    ("professionnel", {"T-1"}),
    ('"précompte professionnel"', {"T-1"}),
    ('"professionnel cette réduction"', {"T-1"}),  # across the join, the stopword's place kept
    ('"professionnel réduction"', set()),  # …which a phrase without it does not skip
    ('"est prévue"', {"T-1"}),
    ("article 275", {"T-1"}),
    ("hub.brussels", {"T-2"}), ("hub", {"T-2"}), ("parking.Brussels", {"T-2"}), ("parking", {"T-2"}),
    ('"de hub.brussels et"', {"T-2"}),
])
def test_search_finds_the_words_on_both_sides_of_a_join(join_index, query, ids):
    from parlsearch.search.engine.core import Engine
    with Engine.open(join_index) as engine:
        assert {h.doc.id for h in engine.search(query, limit=10, exact=True).hits} == ids


# -- the derived title -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, title", [
    ("Les entreprises bénéficient d'une réduction.Cette réduction vise…", "Les entreprises bénéficient d'une "
     "réduction."),
    ("Quel est le coût? Et pourquoi?", "Quel est le coût?"),
    ("M. Dupont a écrit à l'art. 5 une phrase. La suite.", "M. Dupont a écrit à l'art. 5 une phrase."),
    ("Le site hub.brussels annonce un plan. Autre chose.", "Le site hub.brussels annonce un plan."),
    ("Sans point final", "Sans point final"),
    ("1. Comment envisagez-vous la coopération avec Securail ?2. Pour les questions suivantes",
     "1. Comment envisagez-vous la coopération avec Securail ?"),
    ("Est-ce possible.1. Combien de cas ? 2. Où ?", "Est-ce possible."),
    ("En 2020. La suite.", "En 2020."),
    ("  Des   espaces\n et des lignes.  Puis.", "Des espaces et des lignes."),
])
def test_first_sentence(text, title):
    assert first_sentence(text) == title


def test_first_sentence_is_bounded_at_a_word():
    long = "Un mot " * 100 + "fin."
    title = first_sentence(long, max_chars=50)
    assert len(title) <= 51 and title.endswith("mot…")
