"""Issue 21 on the bundled index: identifiers first, filters read from words, type words that never sink a
query, the reading said in the summary line, in --json and on the web page; --exact turns it all off."""
import datetime as dt
import json
import subprocess

import pytest
from click.testing import CliRunner

from parlsearch.search.cli.app import cli

from helpers import parlsearch_argv

TODAY = dt.date(2026, 10, 1)


def ids(result):
    return [h.doc.moncode or h.doc.id for h in result.hits]


def search(engine, text, **kw):
    return engine.search(text, limit=10, today=TODAY, **kw)


def test_a_shared_number_lists_its_questions_first_newest_first(engine):
    result = search(engine, "QE n° 59")
    assert ids(result) == ["170229", "170149", "170262"]  # received 2026-07-06, 06-20, 06-19
    assert [h.doc.number for h in result.hits] == [59, 59, 59]
    assert result.understood[0].meaning == "question number 59"


@pytest.mark.parametrize("text, first", [
    ("170156", "170156"), ("PRB-1-170147", "170147"), ("prb-1-170147", "170147"),
    ("https://www.parlement.brussels/weblex-quest-det/?moncode=170237&base=1", "170237"),
    ("https://www.parlament.brussels/weblex-quest-det/?lang=nl&moncode=170237&base=1", "170237"),
    ("question 155 session 2025-2026", "169976"), ("vélos session 2024-2025", "167067"),
])
def test_identifiers_go_to_their_question_first(engine, text, first):
    assert ids(search(engine, text))[0] == first


def test_a_session_filters_a_shared_number(engine):
    assert ids(search(engine, "question 155 session 2025-2026")) == ["169976"]
    assert set(ids(search(engine, "question 155"))) == {"169976", "167388"}


def test_identifiers_rank_above_topic_matches_and_topic_words_order_them(engine):
    result = search(engine, "question 59 neutralité")
    assert ids(result)[0] == "170149"  # number 59 and about neutrality, before the other two numbered 59
    assert set(ids(result)[:3]) == {"170229", "170149", "170262"}


def test_a_number_that_names_no_question_is_searched_as_a_word(engine):
    assert search(engine, "question 99999").understood == []


def test_numbers_of_topics_keep_working(engine):
    assert ids(search(engine, "tram 55"))[0] == "170245"
    assert ids(search(engine, "Combien de personnes utilisent la ligne de tram 55 ?"))[0] == "170245"


def test_a_legislature_filter_keeps_a_negative_empty(engine):
    assert search(engine, "Cité des métiers législature 2024-2029").total == 0
    assert ids(search(engine, "Cité des métiers législature 2019-2024"))[0] == "PRB-2019-2024-qe-1263"


def test_dates_and_statuses_in_words_are_filters(engine):
    result = search(engine, "questions sur les permis d'urbanisme déposées depuis juillet 2026")
    assert result.hits and all(h.doc.date_received >= dt.date(2026, 7, 1) for h in result.hits)
    result = search(engine, "questions non répondues sur hub.brussels")
    assert ids(result) == ["170150"] and all(h.doc.status == "unanswered" for h in result.hits)
    result = search(engine, "vragen over de LEZ beantwoord in augustus 2026")
    assert ids(result) == ["169916"]
    result = search(engine, "neutralité des services publics réponses d'août 2026")
    assert ids(result)[0] == "170146"
    assert all(dt.date(2026, 8, 1) <= h.doc.date_answered <= dt.date(2026, 8, 31) for h in result.hits)


def test_a_year_no_question_was_received_in_is_searched_as_a_word_of_the_text(engine):
    """"en 2009" is first read as "received in 2009 (or 2009 in the subject)"; when that leaves nothing, the year
    may say when the topic happened (Villo! launched in 2009, asked about in 2025): it is then required as a
    word of the text, and the reading says so. A year the text does not name keeps the query empty (a negative
    stays a negative), and a year that answers as a date is still a date."""
    result = search(engine, "Villo lancé en 2009")
    assert ids(result) == ["167067"]
    assert [r.meaning for r in result.understood] == ["searched as words (nothing received in 2009 matches)"]
    for negative in ("Villo en 1995", "tram en 1995"):  # "1995" in no text: not dropped by the coverage rule
        result = search(engine, negative)
        assert result.total == 0 and result.understood[0].meaning.startswith("received 1995"), negative
    result = search(engine, "Villo en 2025")
    assert ids(result) == ["167067"] and result.understood[0].meaning.startswith("received 2025")


def test_a_type_the_index_lacks_is_ignored_not_a_filter(engine):
    result = search(engine, "interpellation sur la réforme de la prime Renolution")
    assert ids(result)[0] == "170123"
    assert "ignored (no interpellation in the index)" in result.understood[0].meaning
    assert ids(search(engine, "question écrite sur l'évaluation des ZACA"))[0] in ("170127", "169937")


def test_exact_reads_nothing(engine):
    result = engine.search("QE n° 59", exact=True)
    assert result.understood == [] and "170229" not in ids(result)[:1]


def test_stats_and_facets_count_what_search_shows(engine):
    from parlsearch.search.engine.counting import count_matches
    for text in ["QE n° 59", "questions non répondues sur hub.brussels", "question 155 session 2025-2026"]:
        assert count_matches(engine, text).total == engine.search(text).total, text


# -- the command line ------------------------------------------------------------------------------------------

def _cli(bundled_index, *args, env=None):
    runner = CliRunner(mix_stderr=False) if "mix_stderr" in CliRunner.__init__.__code__.co_varnames else CliRunner()
    return runner.invoke(cli, ["search", "--index", str(bundled_index), *args], env=env)


def test_the_summary_line_says_how_the_query_was_read(bundled_index):
    r = _cli(bundled_index, "--no-pager", "--", "questions non répondues sur hub.brussels")
    last = r.stdout.strip().splitlines()[-1]
    assert last.startswith("1 result (read as: ") and "status unanswered" in last
    assert "--exact searches the words as typed" in last
    r = _cli(bundled_index, "--no-pager", "--exact", "--", "questions non répondues sur hub.brussels")
    assert "read as" not in r.stdout


def test_json_carries_the_reading_and_the_nearest_apart_from_the_hits(bundled_index):
    data = json.loads(_cli(bundled_index, "--json", "--", "QE n° 59").stdout)
    assert data["understood"] == [{"typed": "QE n° 59", "read_as": "question number 59", "kind": "id"}]
    data = json.loads(_cli(bundled_index, "--json", "--", "fusion des zones de police").stdout)
    assert data["hits"] == [] and data["total"] == 0 and len(data["closest"]) == 3  # nearest by default
    data = json.loads(_cli(bundled_index, "--json", "--no-closest", "--", "fusion des zones de police").stdout)
    assert "closest" not in data


def test_no_result_lists_the_nearest_under_its_own_heading(bundled_index):
    r = _cli(bundled_index, "--no-pager", "--", "fusion des zones de police")
    assert r.exit_code == 1 and "no result — nearest:" in r.stdout and "PRB-1-" in r.stdout
    assert r.stdout.strip().splitlines()[-1] == "0 results"


def test_relative_dates_on_the_command_line_follow_parlsearch_today(bundled_index, cli_env):
    env = dict(cli_env, PARLSEARCH_TODAY="2026-10-01")
    out = subprocess.run(parlsearch_argv() + ["search", "--json", "--index", str(bundled_index), "--",
                                              "tram cette année"], capture_output=True, text=True, env=env)
    data = json.loads(out.stdout)
    assert data["understood"][0]["read_as"] == "received 2026"
    assert data["hits"] and all(h["date_received"].startswith("2026") for h in data["hits"])


def test_a_pasted_link_is_never_an_error(bundled_index):
    r = _cli(bundled_index, "--json", "--", "https://www.parlement.brussels/weblex-quest-det/?moncode=170237&base=1")
    assert r.exit_code == 0 and json.loads(r.stdout)["hits"][0]["moncode"] == "170237"
