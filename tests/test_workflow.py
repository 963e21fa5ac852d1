"""The researcher's workflow (issue 14 items 2-5): counting all matches, answer delays, saved searches with
alerts and Atom feeds, official links and `show` lookups."""
import csv
import datetime as dt
import io
import json
import os
import signal
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
from hypothesis import given, settings, strategies as st

from parlsearch.index.update import update_index
from parlsearch.search.cli.app import cli
from parlsearch.search.engine.counting import FACETS, UNKNOWN, count_matches, find_matches
from parlsearch.search.engine.delays import ALL, answer_delays, nearest_rank
from parlsearch.search.engine.filters import SearchFilters
from parlsearch.search.links import hyperlink, official_url

from helpers import parlsearch_argv, reaped, write_jsonl

ATOM = "{http://www.w3.org/2005/Atom}"


def _search_total(engine, text, filters=None):
    return engine.search(text, limit=1, filters=filters.queries() if filters else None, snippets=False).total


def _expected_counts(engine, text, filters):
    """Counts computed the slow way: from the stored documents of every hit of `search`."""
    result = engine.search(text, limit=1000, filters=filters.queries() if filters else None, snippets=False)
    docs = [h.doc for h in result.hits]
    return {
        "status": Counter(d.status for d in docs),
        "minister": Counter(d.minister or UNKNOWN for d in docs),
        "author": Counter(d.author or UNKNOWN for d in docs),
        "year": Counter(str(d.date_received.year) if d.date_received else UNKNOWN for d in docs),
        "type": Counter(d.type for d in docs),
        "legislature": Counter(d.legislature or UNKNOWN for d in docs),
        "assembly": Counter(d.assembly for d in docs),
    }


# -- counting -----------------------------------------------------------------------------------------

CASES = [
    ("logement", None),
    ("vélo OR tram", None),
    ("stationnement", SearchFilters(since=dt.date(2026, 1, 1))),
    ("", SearchFilters(status="answered")),
    ("", SearchFilters(minister="Van den Brandt")),
    ("logement", SearchFilters(answered_since=dt.date(2026, 8, 1), answered_until=dt.date(2026, 9, 30))),
    ("statut:sans-reponse", None),
    ("-tram", None),
]


@pytest.mark.parametrize("text,filters", CASES)
def test_counts_equal_the_totals_and_documents_of_the_same_search(engine, text, filters):
    counts = count_matches(engine, text, filters)
    assert counts.total == _search_total(engine, text, filters) > 0
    expected = _expected_counts(engine, text, filters)
    for facet in FACETS:
        assert counts.facets[facet] == dict(expected[facet]), facet
        assert sum(counts.facets[facet].values()) == counts.total


def test_counts_of_the_whole_index_and_of_a_query_that_matches_nothing(engine):
    assert count_matches(engine, "").total == 107
    none = count_matches(engine, "zeppelinodrome")
    assert none.total == 0 == _search_total(engine, "zeppelinodrome")
    assert all(v == {} for v in none.facets.values())


def test_cross_table_rows_sum_to_the_facet_counts(engine):
    counts = count_matches(engine, "", SearchFilters(status="answered"), by=("minister", "year"))
    assert counts.by == ("minister", "year")
    for minister, row in counts.cross.items():
        assert sum(row.values()) == counts.facets["minister"][minister]
    assert sum(sum(r.values()) for r in counts.cross.values()) == counts.total == 95
    for year, n in counts.facets["year"].items():
        assert sum(r[year] for r in counts.cross.values()) == n


def test_counting_after_updates_and_deletions_stays_exact(index_copy, tmp_path):
    """Several segments, one of them with a deleted (updated) document: whoosh's multi-segment column reader
    is the usual suspect; the counts must still be those of the search."""
    from parlsearch.search.engine.core import Engine
    src = tmp_path / "more.jsonl"
    src.write_text("".join(json.dumps(_record(900100 + i, "Les zeppelins de la STIB %d" % i, minister="Z Min - x",
                                              received="2025-03-0%d" % (i + 1))) + "\n" for i in range(3)), "utf-8")
    update_index([src], index_copy)
    src.write_text(json.dumps(_record(900100, "Les zeppelins de la STIB changé", minister="Y Min - x",
                                      received="2024-03-01")) + "\n", "utf-8")
    update_index([src], index_copy)
    with Engine.open(index_copy) as engine:
        assert len(engine.searcher.reader().leaf_readers()) > 1
        counts = count_matches(engine, "zeppelins")
        assert counts.total == 3 == _search_total(engine, "zeppelins")
        assert counts.facets["minister"] == {"Z Min": 2, "Y Min": 1}
        assert counts.facets["year"] == {"2024": 1, "2025": 2}
        assert count_matches(engine, "").total == 110


def test_unknown_facet_is_refused(engine):
    with pytest.raises(ValueError):
        count_matches(engine, "", by=("minister", "colour"))


def test_stats_without_query_keeps_its_output(runner, bundled_index):
    data = json.loads(runner.invoke(cli, ["stats", "--json", "--index", str(bundled_index)]).output)
    assert data["documents"] == 107 and "by_status" in data
    text = runner.invoke(cli, ["stats", "--top", "2", "--index", str(bundled_index)]).output
    assert text.startswith("107 documents in") and "By minister:" in text


def test_stats_query_cli_text_json_csv_and_cross_table(runner, bundled_index, engine):
    ix = ["--index", str(bundled_index)]
    out = runner.invoke(cli, ["stats", "logement", *ix])
    total = engine.search("logement").total
    assert total > 1 and out.exit_code == 0 and out.output.startswith('%d documents match "logement"' % total)
    data = json.loads(runner.invoke(cli, ["stats", "logement", "--json", *ix]).output)
    assert data["total"] == total == _search_total(engine, "logement")
    assert data["facets"]["status"] == {"answered": _search_total(engine, "logement statut:repondu"),
                                        "unanswered": _search_total(engine, "logement statut:sans-reponse")}
    rows = list(csv.reader(io.StringIO(runner.invoke(cli, ["stats", "logement", "--csv", *ix]).output)))
    assert rows[0] == ["breakdown", "value", "count"] and rows[1] == ["documents", "", str(total)]
    assert sum(int(n) for f, _, n in rows[1:] if f == "minister") == total
    cross = runner.invoke(cli, ["stats", "--status", "answered", "--by", "minister,year", "--csv", *ix]).output
    table = list(csv.reader(io.StringIO(cross)))
    assert table[0][0] == "minister\\year" and table[0][-1] == "total"
    assert sum(int(r[-1]) for r in table[1:]) == 95
    assert runner.invoke(cli, ["stats", "--by", "minister", *ix]).exit_code == 2
    assert runner.invoke(cli, ["stats", "zeppelinodrome", *ix]).exit_code == 1
    assert runner.invoke(cli, ["stats", "(tram", *ix]).exit_code == 2


# -- answer delays -------------------------------------------------------------------------------------

def _record(moncode, title, *, minister="M One - Ministre", received=None, answered=None, answer=None,
            number=None, legislature=None, url=None, author="A Author"):
    rec = {"moncode": str(moncode), "titre": "Question écrite concernant " + title, "question": title + " ?",
           "auteur": author, "destinataire": minister, "date_reception": received}
    if answer:
        rec["reponse"] = answer
    if answered:
        rec["date_reponse"] = answered
    if number is not None:
        rec["numero"] = number
    if legislature:
        rec["legislature"] = legislature
    rec["url"] = url or "https://www.parlement.brussels/weblex-quest-det/?moncode=%s&base=1" % moncode
    return rec


def test_nearest_rank_percentiles():
    assert nearest_rank(list(range(10, 101, 10)), 0.9) == 90
    assert nearest_rank(list(range(10, 101, 10)), 0.5) == 50
    assert nearest_rank([7], 0.9) == 7 and nearest_rank([], 0.5) is None


def test_delays_per_minister_as_of_a_date(tmp_path):
    from parlsearch.search.engine.core import Engine
    recs = [_record(1, "un", received="2026-01-01", answered="2026-01-11", answer="R"),
            _record(2, "deux", received="2026-01-01", answered="2026-01-31", answer="R"),
            _record(3, "trois", received="2026-01-01", answered="2026-03-02", answer="R"),  # 60 days
            _record(4, "quatre", received="2026-02-01"),  # waiting
            _record(5, "cinq", minister="M Two - x", received="2026-02-15", answer="R"),  # answered, undated
            _record(6, "six", minister="M Two - x", received="2026-03-01"),
            _record(7, "sept", minister="M Two - x", received="2026-03-01", answered="2026-02-01", answer="R")]
    src = tmp_path / "d.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in recs), "utf-8")
    update_index([src], tmp_path / "ix")
    with Engine.open(tmp_path / "ix") as engine:
        d = answer_delays(engine, as_of=dt.date(2026, 3, 31))
        rows = {r.minister: r for r in d.rows}
        one, two = rows["M One"], rows["M Two"]
        assert (one.answered, one.median_days, one.p90_days, one.max_days) == (3, 30, 60, 60)
        assert (one.unanswered, one.waiting_median_days, one.waiting_max_days) == (1, 58, 58)
        assert (two.answered, two.answered_undated, two.unanswered, two.waiting_max_days) == (0, 1, 1, 30)
        assert two.inconsistent == 1 and one.inconsistent == 0  # answered before it was received: left out
        assert rows[ALL].answered == 3 and rows[ALL].unanswered == 2 and d.rows[-1].minister == ALL
        # As of 2026-02-15, question 3 (answered in March) was still waiting, and 6 was not yet asked.
        past = {r.minister: r for r in answer_delays(engine, as_of=dt.date(2026, 2, 15)).rows}
        assert (past["M One"].answered, past["M One"].unanswered) == (2, 2)
        assert past["M One"].waiting_max_days == 45
        assert past["M Two"].unanswered == 0
        # For a query: only its matches.
        only = {r.minister: r for r in answer_delays(engine, "trois", as_of=dt.date(2026, 3, 31)).rows}
        assert only["M One"].answered == 1 and only["M One"].median_days == 60 and "M Two" not in only


def test_delays_cli(runner, bundled_index, engine):
    ix = ["--index", str(bundled_index)]
    out = runner.invoke(cli, ["stats", "--delays", "--as-of", "2026-11-30", *ix])
    assert out.exit_code == 0 and "answer date the Parliament publishes" in out.output
    data = json.loads(runner.invoke(cli, ["stats", "logement", "--delays", "--json", "--as-of", "2026-11-30",
                                          *ix]).output)
    assert data["as_of"] == "2026-11-30" and data["ministers"][-1]["minister"] == ALL
    total = data["ministers"][-1]
    assert total["answered"] + total["answered_undated"] + total["unanswered"] + total["undated"] \
        + total["inconsistent"] == _search_total(engine, "logement")
    rows = list(csv.reader(io.StringIO(runner.invoke(cli, ["stats", "--delays", "--csv", *ix]).output)))
    assert rows[0][:3] == ["minister", "answered", "median_days"]


# -- answer-date filters and sorts ----------------------------------------------------------------------

def test_answered_filters_and_sorts(runner, bundled_index):
    ix = ["--index", str(bundled_index)]

    def dates(*args):
        out = runner.invoke(cli, ["search", "--jsonl", "-n", "200", *ix, *args]).output
        return [json.loads(line)["date_answered"] for line in out.splitlines()]

    within = dates("--answered-since", "2026-08", "--answered-until", "2026-08-31")
    assert within and all(d.startswith("2026-08") for d in within)
    assert len(within) == count_of(runner, ix, "--answered-since", "2026-08", "--answered-until", "2026-08")
    oldest = dates("logement", "--sort", "answered")
    newest = dates("logement", "--sort", "-answered")
    known = sorted(d for d in oldest if d)
    assert oldest[:len(known)] == known and oldest[-1] is None  # without an answer date: last
    assert newest[:len(known)] == known[::-1] and newest[-1] is None


def count_of(runner, ix, *args):
    return json.loads(runner.invoke(cli, ["stats", "--json", *ix, *args]).output)["total"]


# -- saved searches -------------------------------------------------------------------------------------

@pytest.fixture
def xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # never the user's own default index
    monkeypatch.delenv("PARLSEARCH_INDEX", raising=False)
    monkeypatch.delenv("PARLSEARCH_WATCH_PAUSE", raising=False)
    return tmp_path


def _parse_feed(path):
    root = ET.parse(path).getroot()
    assert root.tag == ATOM + "feed"
    for tag in ("id", "title", "updated", "author"):
        assert root.find(ATOM + tag) is not None, tag
    entries = root.findall(ATOM + "entry")
    for e in entries:
        for tag in ("id", "title", "updated"):
            assert (e.find(ATOM + tag).text or "").strip(), tag
        dt.datetime.fromisoformat(e.find(ATOM + "updated").text)
    return root, entries


def test_watch_scenario_over_three_index_updates(runner, xdg, index_copy, tmp_path):
    ix = ["--index", str(index_copy)]
    feeds = tmp_path / "feeds"
    assert runner.invoke(cli, ["watch", "add", "zep", "zeppelin", "--since", "2025"]).exit_code == 0
    assert runner.invoke(cli, ["watch", "add", "tout", "", "--status", "unanswered"]).exit_code == 0
    toml = (xdg / "config" / "parlsearch" / "watches.toml").read_text("utf-8")
    assert '[watch."zep"]' in toml and "since = 2025-01-01" in toml
    src = tmp_path / "zep.jsonl"
    write_jsonl(src, [_record(900201, "Un zeppelin au-dessus de la STIB", received="2026-02-01")])
    update_index([src], index_copy)

    # 1. Baseline: nothing announced, exit 1.
    first = runner.invoke(cli, ["watch", "run", *ix, "--atom", str(feeds)])
    assert first.exit_code == 1, first.output
    assert "zep: baseline recorded (1 matching" in first.output
    _, entries = _parse_feed(feeds / "zep.atom")
    assert entries == []
    again = runner.invoke(cli, ["watch", "run", *ix, "--json"])
    assert again.exit_code == 1 and json.loads(again.output)["news"] == 0

    # 2. One new matching document (and one that does not match).
    write_jsonl(src, [_record(900201, "Un zeppelin au-dessus de la STIB", received="2026-02-01"),
                 _record(900202, "Un second zeppelin", received="2026-03-01"),
                 _record(900203, "Un zeppelin ancien", received="2024-03-01")])
    update_index([src], index_copy)
    second = runner.invoke(cli, ["watch", "run", "zep", *ix, "--json", "--atom", str(feeds)])
    assert second.exit_code == 0, second.output
    report = json.loads(second.output)["watches"][0]
    assert [d["id"] for d in report["new"]] == ["PRB-1-900202"] and report["answered"] == []

    # 3. The first one is answered.
    write_jsonl(src, [_record(900201, "Un zeppelin au-dessus de la STIB", received="2026-02-01",
                         answered="2026-04-01", answer="Il atterrit."),
                 _record(900202, "Un second zeppelin", received="2026-03-01"),
                 _record(900203, "Un zeppelin ancien", received="2024-03-01")])
    update_index([src], index_copy)
    third = runner.invoke(cli, ["watch", "run", *ix, "--jsonl", "--atom", str(feeds)])
    assert third.exit_code == 0, third.output
    events = [json.loads(line) for line in third.output.splitlines()]
    assert {(e["watch"], e["event"], e["id"]) for e in events} == {
        ("zep", "answered", "PRB-1-900201"),
        ("tout", "new", "PRB-1-900202"), ("tout", "new", "PRB-1-900203")}
    root, entries = _parse_feed(feeds / "zep.atom")
    titles = [e.find(ATOM + "title").text for e in entries]
    assert titles == ["Answered: Un zeppelin au-dessus de la STIB", "New: Un second zeppelin"]
    ids = [e.find(ATOM + "id").text for e in entries]
    assert len(set(ids)) == 2 and all(i.startswith("urn:parlsearch:watch:zep:") for i in ids)
    link = entries[0].find(ATOM + "link")
    assert link is not None and link.get("href").startswith("https://www.parlement.brussels/")

    # Nothing new now; and a rebuilt index (other internal numbers) announces nothing again.
    assert runner.invoke(cli, ["watch", "run", *ix]).exit_code == 1
    update_index([src], index_copy, rebuild=True)
    update_index(None, index_copy)
    quiet = runner.invoke(cli, ["watch", "run", *ix, "--json"])
    assert quiet.exit_code == 1, quiet.output
    assert "zep" in runner.invoke(cli, ["watch", "list"]).output
    assert runner.invoke(cli, ["watch", "remove", "zep"]).exit_code == 0
    assert not (xdg / "state" / "parlsearch" / "watches" / "zep.json").exists()
    assert runner.invoke(cli, ["watch", "run", "zep", *ix]).exit_code == 2


def test_watch_errors_exit_2(runner, xdg, bundled_index):
    ix = ["--index", str(bundled_index)]
    assert runner.invoke(cli, ["watch", "run", *ix]).exit_code == 2  # no saved search
    assert runner.invoke(cli, ["watch", "add", "../evil", "tram"]).exit_code == 2
    assert runner.invoke(cli, ["watch", "add", "ok", "tram"]).exit_code == 0
    assert runner.invoke(cli, ["watch", "add", "ok", "vélo"]).exit_code == 2  # exists
    assert runner.invoke(cli, ["watch", "add", "ok", "vélo", "--replace"]).exit_code == 0
    config = xdg / "config" / "parlsearch" / "watches.toml"
    config.write_text(config.read_text("utf-8") + "\n[watch.bad]\nquery = 'tram'\ncolour = 'red'\n", "utf-8")
    result = runner.invoke(cli, ["watch", "run", *ix])
    assert result.exit_code == 2 and "colour" in result.output
    config.write_text("[watch.broken\n", "utf-8")
    assert runner.invoke(cli, ["watch", "list"]).exit_code == 2
    config.write_text('[watch.paren]\nquery = "(tram"\n', "utf-8")
    assert runner.invoke(cli, ["watch", "run", *ix]).exit_code == 2


@settings(max_examples=60, deadline=None)
@given(query=st.text(min_size=1, max_size=40).filter(lambda s: "\x00" not in s),
       minister=st.text(max_size=20).filter(lambda s: "\x00" not in s))
def test_watches_toml_round_trips_any_text(query, minister):
    import tomllib
    from parlsearch.search.watch.saved import Watch, dump_watches
    watch = Watch("w-1", query, SearchFilters(minister=minister or None, since=dt.date(2025, 1, 31)))
    data = tomllib.loads(dump_watches([watch]))
    entry = data["watch"]["w-1"]
    assert entry["query"] == query and entry.get("minister") == (minister or None)
    assert entry["since"] == dt.date(2025, 1, 31)
    assert SearchFilters.from_dict({k: v for k, v in entry.items() if k != "query"}) == watch.filters


def test_watch_run_killed_before_commit_reports_the_same_news_again(xdg, index_copy, tmp_path, cli_env):
    """SIGKILL after the report was written but before the state was committed: the next run reports the same
    new document; synchronised on the run's "paused" line, not on time."""
    env = dict(cli_env, XDG_CONFIG_HOME=str(xdg / "config"), XDG_STATE_HOME=str(xdg / "state"))
    ix = ["--index", str(index_copy)]
    argv = parlsearch_argv()
    subprocess.run(argv + ["watch", "add", "zep", "zeppelin"], env=env, check=True, capture_output=True)
    src = write_jsonl(tmp_path / "z.jsonl", [_record(900301, "Un zeppelin", received="2026-02-01")])
    update_index([src], index_copy)
    assert subprocess.run(argv + ["watch", "run", *ix], env=env, capture_output=True).returncode == 1  # baseline
    write_jsonl(src, [_record(900301, "Un zeppelin", received="2026-02-01"),
                 _record(900302, "Un autre zeppelin", received="2026-02-02")])
    update_index([src], index_copy)
    proc = subprocess.Popen(argv + ["watch", "run", "--jsonl", *ix], env=dict(env, PARLSEARCH_WATCH_PAUSE="before-commit"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with reaped(proc):
        line = proc.stderr.readline()  # blocks until the run has written its report and paused
        assert line.strip() == "parlsearch: paused at before-commit"
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert [json.loads(x)["id"] for x in out.splitlines()] == ["PRB-1-900302"]
    again = subprocess.run(argv + ["watch", "run", "--jsonl", *ix], env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert [json.loads(x)["id"] for x in again.stdout.splitlines()] == ["PRB-1-900302"]
    assert subprocess.run(argv + ["watch", "run", *ix], env=env, capture_output=True).returncode == 1
    state_files = os.listdir(xdg / "state" / "parlsearch" / "watches")
    assert not [f for f in state_files if f.endswith(".tmp")]


def test_atom_feed_escapes_hostile_text(tmp_path):
    from parlsearch.search.watch.atom import feed_xml
    entries = [{"event": "new", "id": "PRB-1-1", "title": "<script>alert(1)</script> & \x01\x1b co",
                "author": "A \"B\" <c>", "minister": "M", "url": "javascript:alert(1)", "seen_at": "2026-01-01T00:00:00+00:00"},
               {"event": "answered", "id": "PRB-1-2", "title": "ok", "author": None, "minister": None,
                "url": "https://www.parlement.brussels/weblex-quest-det/?moncode=2&base=1",
                "seen_at": "2026-01-02T00:00:00+00:00"}]
    path = tmp_path / "f.atom"
    path.write_text(feed_xml("w", "a <b> & c", entries, "2026-01-02T00:00:00+00:00"), "utf-8")
    _, parsed = _parse_feed(path)
    assert parsed[0].find(ATOM + "title").text == "New: <script>alert(1)</script> &  co"
    assert parsed[0].find(ATOM + "link") is None  # not an official URL
    assert parsed[1].find(ATOM + "link").get("href").endswith("moncode=2&base=1")


# -- official links and show ----------------------------------------------------------------------------

@pytest.mark.parametrize("url,ok", [
    ("https://www.parlement.brussels/weblex-quest-det/?moncode=170312&base=1", True),
    ("http://parlement.brussels/x", True),
    ("https://www.parlement.brussels.evil.com/x", False),
    ("https://evil.com/?www.parlement.brussels", False),
    ("javascript:alert(1)", False),
    ("https://user:pw@www.parlement.brussels/", False),
    ("https://www.parlement.brussels/\x1b]8;;x\x07", False),
    ("https://www.parlement.brussels/a b", False),
    ("https://www.parlement.brussels:8080/", False),
    ("", False), (None, False),
])
def test_official_url(url, ok):
    assert (official_url(url) is not None) == ok


def test_official_url_percent_encodes_non_ascii():
    assert official_url("https://www.parlement.brussels/dé?q=é") == "https://www.parlement.brussels/d%C3%A9?q=%C3%A9"


def test_hyperlink_only_when_enabled():
    url = "https://www.parlement.brussels/x"
    assert hyperlink(url) == url
    assert hyperlink(url, enabled=True) == "\x1b]8;;%s\x1b\\%s\x1b]8;;\x1b\\" % (url, url)


def test_search_output_links_official_urls_on_terminals_only(runner, bundled_index, monkeypatch):
    args = ["search", "--index", str(bundled_index), "--color", "always", "-n", "1", "logement"]
    plain = runner.invoke(cli, args).output
    assert "https://www.parlement.brussels/weblex-quest-det/?moncode=" in plain and "\x1b]8;;" not in plain
    monkeypatch.setattr("parlsearch.search.output.terminal_supports_links", lambda: True)
    linked = runner.invoke(cli, args).output
    assert "\x1b]8;;https://www.parlement.brussels/weblex-quest-det/?moncode=" in linked
    never = runner.invoke(cli, args[:4] + ["never", "-n", "1", "logement"]).output
    assert "\x1b" not in never


def test_hostile_url_is_neither_shown_nor_linked(runner, tmp_path, monkeypatch):
    src = write_jsonl(tmp_path / "e.jsonl", [_record(900401, "Un tram piégé", received="2026-01-01",
                                                 url="https://evil.example/\x1b]8;;x\x07")])
    ix = ["--index", str(tmp_path / "ix")]
    assert runner.invoke(cli, ["index", *ix, str(src)]).exit_code == 0
    monkeypatch.setattr("parlsearch.search.output.terminal_supports_links", lambda: True)
    out = runner.invoke(cli, ["search", *ix, "--color", "always", "tram"]).output
    assert "evil" not in out and "\x1b]8" not in out and "\x07" not in out


def test_show_accepts_lowercase_id_url_and_number_with_legislature(runner, bundled_index):
    ix = ["--index", str(bundled_index)]

    def shown(*args):
        result = runner.invoke(cli, ["show", "--json", *ix, *args])
        return result.exit_code, (json.loads(result.output)["id"] if result.exit_code == 0 else result.output)

    assert shown("prb-1-170262") == (0, "PRB-1-170262")
    assert shown("prb-2019-2024-QE-1263") == (0, "PRB-2019-2024-qe-1263")
    assert shown("https://www.parlement.brussels/weblex-quest-det/?moncode=170262&base=1") == (0, "PRB-1-170262")
    assert shown("1263", "--legislature", "2019-2024") == (0, "PRB-2019-2024-qe-1263")
    assert shown("1263", "--legislature", "19/24") == (0, "PRB-2019-2024-qe-1263")
    code, message = shown("59")
    assert code == 1 and "3 documents" in message and "PRB-1-170262" in message
    assert shown("1263", "--legislature", "2024-2029")[0] == 1
    assert shown("https://evil.example/weblex-quest-det/?moncode=170262&base=1")[0] == 1


def test_show_open_launches_the_official_page(runner, bundled_index, monkeypatch):
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    result = runner.invoke(cli, ["show", "--open", "--index", str(bundled_index), "170262"])
    assert result.exit_code == 0
    assert opened == ["https://www.parlement.brussels/weblex-quest-det/?moncode=170262&base=1"]


def test_a_second_concurrent_watch_run_stops_with_exit_2(runner, xdg, bundled_index):
    import fcntl
    assert runner.invoke(cli, ["watch", "add", "t", "tram"]).exit_code == 0
    lock = xdg / "state" / "parlsearch" / "watches" / ".lock"
    lock.parent.mkdir(parents=True)
    with open(lock, "a+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        busy = runner.invoke(cli, ["watch", "run", "--index", str(bundled_index)])
    assert busy.exit_code == 2 and "in progress" in busy.output
    assert runner.invoke(cli, ["watch", "run", "--index", str(bundled_index)]).exit_code == 1


def test_wide_cross_table_in_text_says_what_it_leaves_out(runner, bundled_index):
    ix = ["--index", str(bundled_index)]
    text = runner.invoke(cli, ["stats", "--status", "answered", "--by", "minister,author", *ix]).output
    assert "more columns not shown" in text
    lines = text.splitlines()
    header = lines[lines.index("minister × author:") + 1]
    assert header.split()[0] == "minister" and header.rstrip().endswith("total") and len(header) < 240


_WORDS = ["logement", "vélo", "tram", "STIB", "école", "zeppelin", "budget", "sécurité", "OR", "-bus",
          '"pistes cyclables"', "auteur:maison", "statut:repondu", "date:2026", "ministre:clerfayt"]


@settings(max_examples=40, deadline=None)
@given(words=st.lists(st.sampled_from(_WORDS), max_size=3),
       status=st.sampled_from([None, "answered", "sans-reponse"]),
       since=st.sampled_from([None, dt.date(2026, 1, 1), dt.date(2026, 6, 15)]),
       answered_until=st.sampled_from([None, dt.date(2026, 8, 31)]))
def test_count_total_is_the_search_total_for_generated_queries(engine, words, status, since, answered_until):
    from parlsearch.search.engine.query import QueryError
    filters = SearchFilters(status=status, since=since, answered_until=answered_until)
    text = " ".join(words)
    if not text.strip() and not filters:
        assert count_matches(engine, text, filters).total == 107
        return
    try:
        expected = _search_total(engine, text, filters)
    except QueryError:
        with pytest.raises(QueryError):
            count_matches(engine, text, filters)
        return
    counts = count_matches(engine, text, filters)
    assert counts.total == expected
    assert all(sum(v.values()) == expected for v in counts.facets.values())


def test_changing_a_saved_search_starts_a_new_baseline(runner, xdg, bundled_index, engine):
    ix = ["--index", str(bundled_index)]
    assert runner.invoke(cli, ["watch", "add", "w", "tram"]).exit_code == 0
    assert "baseline" in runner.invoke(cli, ["watch", "run", *ix]).output
    assert runner.invoke(cli, ["watch", "run", *ix]).exit_code == 1
    assert runner.invoke(cli, ["watch", "add", "w", "logement", "--replace"]).exit_code == 0
    changed = runner.invoke(cli, ["watch", "run", *ix])
    n = _search_total(engine, "logement")
    assert changed.exit_code == 1 and "w: baseline recorded (%d matching" % n in changed.output
    listed = json.loads(runner.invoke(cli, ["watch", "list", "--json"]).output)
    assert listed["watches"][0]["query"] == "logement" and listed["watches"][0]["seen"] == n


def test_show_open_refuses_a_document_without_an_official_url(runner, tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    src = write_jsonl(tmp_path / "e.jsonl", [_record(900601, "Un lien piégé", url="javascript:alert(1)")])
    ix = ["--index", str(tmp_path / "ix")]
    assert runner.invoke(cli, ["index", *ix, str(src)]).exit_code == 0
    result = runner.invoke(cli, ["show", "--open", *ix, "900601"])
    assert result.exit_code == 2 and opened == []


def test_a_run_reads_one_committed_view_while_the_index_changes(xdg, index_copy, tmp_path):
    """A commit landing during a run is not half-seen: the run's searcher keeps its view, and the document
    committed meanwhile is announced by the next run, not lost."""
    from parlsearch.search.engine.core import Engine
    from parlsearch.search.watch.saved import Watch, check_watch
    watch = Watch("v", "zeppelin")
    src = write_jsonl(tmp_path / "v.jsonl", [_record(900701, "Un zeppelin", received="2026-02-01")])
    update_index([src], index_copy)
    with Engine.open(index_copy) as engine:
        state = check_watch(engine, watch, None).new_state  # baseline
    with Engine.open(index_copy) as engine:
        write_jsonl(src, [_record(900701, "Un zeppelin", received="2026-02-01"),
                     _record(900702, "Un zeppelin tardif", received="2026-02-02")])
        update_index([src], index_copy)  # commits while this run's engine is open
        during = check_watch(engine, watch, state)
    assert during.events == [] and during.matches == 1
    with Engine.open(index_copy) as engine:
        after = check_watch(engine, watch, during.new_state)
    assert [e.doc.id for e in after.events] == ["PRB-1-900702"]


@pytest.mark.parametrize("fmt", ["tsv", "jsonl"])
def test_stats_query_tsv_and_jsonl_rows(capsys, bundled_index, engine, fmt):
    from parlsearch.search.cli.workflow import query_stats
    with pytest.raises(SystemExit) as exit_:
        query_stats("logement", SearchFilters(), index_dir=str(bundled_index), fmt=fmt)
    assert exit_.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    n = _search_total(engine, "logement")
    if fmt == "tsv":
        rows = [line.split("\t") for line in lines]
        assert rows[0] == ["breakdown", "value", "count"] and rows[1] == ["documents", "", str(n)]
    else:
        rows = [json.loads(line) for line in lines]
        assert rows[0] == {"breakdown": "documents", "value": "", "count": n}
        assert sum(r["count"] for r in rows if r["breakdown"] == "status") == n
