"""Issue 21: how a typed query is read before the parser (search/understanding/understand.py) — identifiers, links, sessions
and legislatures, dates and statuses in words, type and boilerplate words — as rules, with property tests."""
import calendar
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parlsearch.index.analysis import fold
from parlsearch.search.understanding import understand_words as V
from parlsearch.search.understanding.understand import MAX_TYPED_WORDS, IdRef, understand

TODAY = dt.date(2026, 10, 1)


def read(text, today=TODAY):
    return understand(text, today)


# -- identifiers ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, ref", [
    ("QE n° 59", IdRef("number", "59")), ("QE n°59", IdRef("number", "59")), ("question 1234", IdRef("number", "1234")),
    ("n° 12", IdRef("number", "12")), ("Q. 12", IdRef("number", "12")), ("#12", IdRef("number", "12")),
    ("vraag nr. 5", IdRef("number", "5")), ("question écrite n° 7", IdRef("number", "7")),
    ("question 170156", IdRef("code", "170156")),  # 5 digits and more: also an official code
    ("170156", IdRef("code", "170156")), ("59", IdRef("code", "59")),
    ("prb-1-170147", IdRef("id", "prb-1-170147")), ("PRB-2019-2024-qe-1263", IdRef("id", "PRB-2019-2024-qe-1263")),
    ("https://www.parlement.brussels/weblex-quest-det/?moncode=170237&base=1", IdRef("id", "PRB-1-170237")),
    ("https://www.parlament.brussels/weblex-quest-det/?lang=nl&moncode=170237&base=1", IdRef("id", "PRB-1-170237")),
])
def test_identifiers_are_read(text, ref):
    u = read(text)
    assert [(r.kind, r.value) for r in u.ids] == [(ref.kind, ref.value)]
    assert u.readings and u.readings[0].kind == "id"


def test_a_link_that_is_not_an_official_page_is_dropped_not_an_error():
    u = read("https://example.org/?moncode=170237 tram")
    assert u.ids == [] and u.text == "tram" and u.readings[0].meaning.startswith("not a question's page")


@settings(max_examples=200, deadline=None)
@given(word=st.text("abcdefghijklmnopqrstuvwxyzéè", min_size=3, max_size=10), number=st.integers(0, 99999))
def test_a_number_after_a_topic_word_stays_a_topic_word(word, number):
    """`tram 55`, `article 27`, `ligne 71`: a number after any word that is no cue stays in the topic."""
    cues = V.NUMBER_CUES | V.NUMBER_MARKS | V.SESSION_WORDS | V.LEGISLATURE_WORDS | set(V.MONTHS) \
        | {w for p in list(V.DATE_CUES) + list(V.WEAK_DATE_CUES) + list(V.TYPE_PHRASES) + list(V.STATUS_PHRASES)
           + list(V.BOILERPLATE_PHRASES) + list(V.RELATIVE_PERIODS) for w in p} | V.ENGLISH_STOPWORDS \
        | V.RECEIVED_WORDS | V.ANSWER_WORDS | V.QUESTION_WORDS
    folded = fold(word)  # "numèro" is the cue "numero"
    if folded in cues or any(folded.startswith(c) for c in ("entre", "between", "tussen")):
        return
    u = read("%s %d" % (word, number))
    assert u.ids == [] and u.text == "%s %d" % (word, number)


@pytest.mark.parametrize("text", ["tram 55", "article 27", "bus 71", "flexi-jobs 65 ans", "clean.brussels objectif 13",
                                  "12 et 13 juin 2025", "13.622.302"])
def test_numbers_of_topics_are_kept(text):
    assert read(text).ids == [] and read(text).text == text


# -- sessions and legislatures -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, field, value", [
    ("vélos session 2024-2025", "session", "24/25"), ("zitting 25/26 fiets", "session", "25/26"),
    ("législature 2024-2029", "legislature", "2024-2029"), ("legislatuur 19-24", "legislature", "2019-2024"),
    ("cette législature logement", "legislature", "2024-2029"), ("deze legislatuur", "legislature", "2024-2029"),
    ("législature précédente", "legislature", "2019-2024"),
])
def test_sessions_and_legislatures_become_filters(text, field, value):
    assert getattr(read(text).filters, field) == value


# -- dates -------------------------------------------------------------------------------------------------

MONTH_NAMES = [m for m in V.MONTHS if len(m) > 4]


@settings(max_examples=300, deadline=None)
@given(month=st.sampled_from(MONTH_NAMES), year=st.integers(1990, 2099),
       cue=st.sampled_from(["déposées en", "posées en", "submitted in", "ingediend in", "questions de"]))
def test_any_month_and_year_in_any_language_gives_that_months_reception_range(month, year, cue):
    u = read("logement %s %s %d" % (cue, month, year))
    m = V.MONTHS[month]
    assert u.filters.since == dt.date(year, m, 1)
    assert u.filters.until == dt.date(year, m, calendar.monthrange(year, m)[1])
    assert u.text == "logement"


@settings(max_examples=200, deadline=None)
@given(month=st.sampled_from(MONTH_NAMES), year=st.integers(1990, 2099),
       cue=st.sampled_from(["réponses de", "réponses publiées en", "answered in", "beantwoord in"]))
def test_any_month_and_year_after_an_answer_word_gives_the_answer_range(month, year, cue):
    u = read("logement %s %s %d" % (cue, month, year))
    m = V.MONTHS[month]
    assert (u.filters.answered_since, u.filters.answered_until) == (
        dt.date(year, m, 1), dt.date(year, m, calendar.monthrange(year, m)[1]))
    assert u.filters.since is None and u.filters.until is None


@pytest.mark.parametrize("text, since, until", [
    ("tram depuis mars 2026", dt.date(2026, 3, 1), None), ("tram since May 2026", dt.date(2026, 5, 1), None),
    ("tram vanaf juli 2026", dt.date(2026, 7, 1), None), ("tram avant 2024", None, dt.date(2023, 12, 31)),
    ("tram après juin 2026", dt.date(2026, 7, 1), None), ("tram jusqu'en 2025", None, dt.date(2025, 12, 31)),
    ("tram entre janvier et mars 2026", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
    ("tram déposées le 12 juin 2026", None, None),  # "le" is no cue: a day needs one ("depuis le 12 juin 2026")
    ("tram depuis le 12 juin 2026", dt.date(2026, 6, 12), None),
    ("tram cette année", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    ("tram last month", dt.date(2026, 9, 1), dt.date(2026, 9, 30)),
    ("tram depuis mars", dt.date(2026, 3, 1), None),  # a month alone: its last occurrence up to today
    ("tram depuis novembre", dt.date(2025, 11, 1), None),
])
def test_dates_in_words(text, since, until):
    u = read(text)
    assert (u.filters.since, u.filters.until) == (since, until), u.readings


def test_relative_dates_follow_the_clock(monkeypatch):
    assert read("tram this year", dt.date(2031, 2, 1)).filters.since == dt.date(2031, 1, 1)
    monkeypatch.setenv("PARLSEARCH_TODAY", "2030-05-04")
    assert understand("tram cette année").filters.since == dt.date(2030, 1, 1)


def test_a_year_with_no_word_saying_which_date_is_the_reception_or_the_subject():
    u = read("moratoire sur les engagements en 2025")
    assert u.received_or_subject[:2] == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert u.filters.since is None and u.text == "moratoire sur les engagements"
    assert "or 2025 in the subject" in u.readings[0].meaning


def test_a_weak_cue_alone_is_a_topic():
    assert read("le budget de 2025").text == "le budget de 2025"


# -- statuses, types, boilerplate -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, status", [
    ("questions non répondues sur hub.brussels", "unanswered"), ("logement sans réponse", "unanswered"),
    ("unanswered questions about permits", "unanswered"), ("onbeantwoorde vragen", "unanswered"),
    ("vragen zonder antwoord", "unanswered"), ("questions répondues logement", "answered"),
    ("beantwoorde vragen over fiets", "answered"),
])
def test_status_words(text, status):
    assert read(text).filters.status == status


@pytest.mark.parametrize("text, types, left", [
    ("question écrite sur l'évaluation des ZACA", ["written_question"], "l'évaluation des ZACA"),
    ("interpellation sur la réforme", ["interpellation"], "la réforme"),
    ("QE validation des compétences", ["written_question"], "validation des compétences"),
    ("schriftelijke vraag klachten MIVB", ["written_question"], "klachten MIVB"),
    ("réponse du ministre concernant la CADA", [], "la CADA"),
])
def test_type_and_boilerplate_words(text, types, left):
    u = read(text)
    assert u.types == types and u.text == left


# -- what is never read ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ['"question écrite" tram', "tram OR bus en 2025", "(tram sans réponse)",
                                  "auteur:maison", "date:2025 tram", "stationnement vélo"])
def test_phrases_fields_and_operators_are_left_alone(text):
    u = read(text)
    assert u.text == text and not u.filters and not u.ids


def test_a_pasted_passage_keeps_its_dates_and_numbers():
    passage = " ".join(["mot%d" % i for i in range(MAX_TYPED_WORDS)] + ["depuis", "2019", "question", "12"])
    u = read(passage)
    assert not u.filters and not u.ids
