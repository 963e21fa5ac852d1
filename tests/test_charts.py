"""Charts (issue 23): every chart shows the numbers of `stats --json` for the same query and filters (read
back from the SVG), is well-formed XML, escapes what documents and queries hold, works without JavaScript
under the page's CSP, and its bars link to the search narrowed to their period; the terminal draws bars
only on a terminal; the answer deadline is the assembly's setting."""
from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from helpers import (SVG_NS, assert_one_line_error, chart_values, cli, command_env, corpus_records, on_a_pty,
                     parlsearch_argv, timeline_bars, timeline_values, write_jsonl)

from parlsearch.search.cli.app import cli as cli_group

STATUS = {"répondues": "answered", "sans réponse": "unanswered", "sans texte": "notext", "statut inconnu": "unknown"}
STATUS_NAME = {status: name for name, status in STATUS.items()}
HOSTILE_QUERY = 'Tram "hostile" <svg onload=alert(3)>'
HOSTILE = ['<script>alert(1)</script>', '"><svg onload=alert(2)>', "]]><x/>&amp;\u0007", "</style><img src=x onerror=y>"]


def _stats_json(runner, index, *args) -> dict:
    result = runner.invoke(cli_group, ["stats", "--index", str(index), *args, "--json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def _chart(runner, index, tmp_path, *args) -> str:
    path = tmp_path / "chart.svg"
    result = runner.invoke(cli_group, ["stats", "--index", str(index), *args, "--chart", str(path)])
    assert result.exit_code in (0, 1), result.output
    return path.read_text("utf-8")


def _nonzero(values: dict) -> dict:
    return {k: int(v) for k, v in values.items() if v}


@pytest.mark.parametrize("args", [("STIB",), ("STIB", "--since", "2025"), ("--minister", "clerfayt"), ("*",)])
def test_the_timeline_file_shows_stats_json_by_month_and_status(runner, bundled_index, tmp_path, args):
    svg = _chart(runner, bundled_index, tmp_path, *args)
    shown = timeline_values(svg)
    cross = _stats_json(runner, bundled_index, *args, "--by", "month,status")["cross"]
    expected = {}
    for month, cells in cross.items():
        for status, n in cells.items():
            if n:
                expected.setdefault(status, {})[month] = n
    assert shown == expected
    assert sum(sum(v.values()) for v in shown.values()) == _stats_json(runner, bundled_index, *args)["total"]
    # each bar's <title> says its period's numbers, in words
    for bar in timeline_bars(svg):
        total = sum(count for _, count, _, _ in bar["rects"])
        assert bar["title"].startswith("%s : %d question" % (bar["data-period"], total)), bar["title"]
        for status, count, _, _ in bar["rects"]:
            assert "%d %s" % (count, STATUS_NAME[status]) in bar["title"]
    root = ET.fromstring(svg)  # a file: its stylesheet embedded, no links (a file links to no server)
    assert root.find(SVG_NS + "style") is not None and not list(root.iter(SVG_NS + "a"))
    title = root.find(SVG_NS + "title").text
    assert "source : Parlement bruxellois" in title and "données au 20" in title
    if args[0] != "*" and not args[0].startswith("-"):
        assert "« %s »" % args[0] in title


@pytest.mark.parametrize("facet", ["minister", "author", "year", "portfolio"])
def test_a_facet_chart_shows_stats_json(runner, bundled_index, tmp_path, facet):
    svg = _chart(runner, bundled_index, tmp_path, "--by", facet)
    (shown,) = chart_values(svg).values()
    counts = _stats_json(runner, bundled_index, "--by", facet)["facets"][facet]
    top = dict(list(counts.items())[:25])
    if facet == "portfolio":  # labels are shortened on the chart: the counts, in order
        assert sorted(shown.values()) == sorted(top.values()) and len(counts) > 3
    else:
        assert {k: int(v) for k, v in shown.items()} == top


def test_the_delays_chart_shows_stats_delays_json(runner, bundled_index, tmp_path):
    args = ("--delays", "--as-of", "2026-07-01")
    svg = _chart(runner, bundled_index, tmp_path, *args)
    (shown,) = chart_values(svg).values()
    rows = _stats_json(runner, bundled_index, *args)["ministers"]
    drawn = {}
    for label, median in shown.items():
        m = re.fullmatch(r"(.+) \(q\. (\d+)–(\d+) j, (\d+) % hors délai\)", label)
        assert m, label
        drawn[m.group(1)] = (int(median), int(m.group(2)), int(m.group(3)), int(m.group(4)))
    expected = {("Ensemble" if r["minister"] == "(all)" else r["minister"]):
                (r["median_days"], r["p25_days"], r["p75_days"], round(100 * r["late_share"]))
                for r in rows if r["answered"]}
    assert drawn == expected and "Ensemble" in drawn


def test_the_deadline_is_the_assemblys_setting_in_working_days():
    from parlsearch.corpus.assembly import get_assembly
    from parlsearch.search.engine.delays import deadline_days
    rule = get_assembly("PRB").answer_deadline
    assert rule.days > 0 and rule.source and rule.rule
    friday = dt.date(2026, 3, 6)
    got, rules = deadline_days([friday.toordinal(), 0], ["PRB", "PRB"])
    # every 5 working days is one week: the deadline falls rule.days // 5 weeks later, on a Friday again
    assert rules == {"PRB": rule} and got[1] == 0
    if rule.working_days and rule.days % 5 == 0:
        assert dt.date.fromordinal(int(got[0])) == friday + dt.timedelta(weeks=rule.days // 5)


def test_the_share_late_counts_questions_without_an_answer_by_their_deadline(engine):
    from parlsearch.search.engine.delays import answer_delays, deadline_days
    as_of = dt.date(2026, 7, 1)
    total = answer_delays(engine, "", as_of=as_of).rows[-1]
    view = engine.view
    received, answered = view.days("date_received"), view.days("date_answered")
    codes, names = view.codes("assembly_facet")
    deadline, _ = deadline_days(received, [names[c] for c in codes])
    due = late = 0
    for r, a, d in zip(received.tolist(), answered.tolist(), deadline.tolist()):
        if r and r <= as_of.toordinal() and d < as_of.toordinal() and not (a and a < r):
            due += 1
            late += not (a and a <= d)
    assert (total.due, total.late) == (due, late) and due > late > 0
    assert total.late_share == round(late / due, 3)


# -- the web page ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(bundled_index):
    from parlsearch.search.web import app as web
    return web.create_app(bundled_index).test_client()


def _svgs(page: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in re.finditer(r'<svg [^>]*id="chart-([\w-]+)".*?</svg>', page, re.S)}


def test_the_results_page_timeline_shows_the_stats_of_its_search(client, runner, bundled_index):
    page = client.get("/?q=STIB&since=2025").get_data(as_text=True)
    shown = timeline_values(_svgs(page)["timeline"])
    cross = _stats_json(runner, bundled_index, "STIB", "--since", "2025", "--by", "month,status")["cross"]
    assert shown and set(shown) == {s for c in cross.values() for s, n in c.items() if n}
    for status, values in shown.items():
        assert values == {m: c[status] for m, c in cross.items() if c[status]}
    # the table for screen readers and copying has the same numbers
    table = re.search(r'<details class="chart-table">.*?</details>', page, re.S).group(0)
    rows = re.findall(r'<a href="[^"]*">(\d{4}-\d\d)</a></th><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>', table)
    assert {m: (int(a), int(u)) for m, a, u, _ in rows} == \
        {m: (c["answered"], c["unanswered"]) for m, c in cross.items() if sum(c.values())}


def test_a_timeline_bar_narrows_the_search_to_its_period(client):
    page = client.get("/?q=STIB").get_data(as_text=True)
    bars = timeline_bars(_svgs(page)["timeline"])
    assert bars and all(bar["tag"] == "a" for bar in bars)
    links = {bar["data-period"]: (bar["href"], sum(count for _, count, _, _ in bar["rects"])) for bar in bars}
    assert len(links) >= 3
    for month, (href, n) in links.items():
        assert "since=%s" % month in href and "until=%s" % month in href and "q=STIB" in href
        narrowed = client.get(href.replace("&amp;", "&")).get_data(as_text=True)
        assert re.search(r'id="results-heading" class="count">\s*%d résultat' % n, narrowed), month


def test_the_stats_page_shows_counts_and_delays_as_the_api_does(client):
    response = client.get("/stats?q=STIB")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    api = json.loads(client.get("/api/stats?q=STIB").get_data(as_text=True))
    svgs = _svgs(page)
    assert {"stats-minister", "stats-author", "stats-portfolio", "stats-year", "stats-delays"} <= set(svgs)
    for facet in ("minister", "author", "year"):
        (shown,) = chart_values(svgs["stats-" + facet]).values()
        assert {k: int(v) for k, v in shown.items()} == dict(list(api["facets"][facet].items())[:15])
    assert "jours ouvrables" in page and "Ensemble" in page
    assert client.get("/stats?since=zzz").status_code == 400


def test_pages_with_charts_need_no_script_and_keep_the_csp(client):
    from parlsearch.search.web.server import CONTENT_SECURITY_POLICY
    for url in ("/?q=STIB", "/stats?q=STIB", "/stats"):
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "<script" not in page and "<style" not in page and not re.search(r"\sstyle=", page)
        assert not re.search(r"\son\w+=", page)
        for svg in _svgs(page).values():
            root = ET.fromstring(svg)
            assert root.get("aria-hidden") == "true"
            assert all(a.get("tabindex") == "-1" for a in root.iter(SVG_NS + "a"))
    css = client.get("/chart.css")
    text = css.get_data(as_text=True)
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert ".pygal-chart .color-0" in text and ".timeline-chart .tl-answered" in text


# -- hostile documents and queries --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory):
    from click.testing import CliRunner
    tmp = tmp_path_factory.mktemp("hostile")
    records = []
    for i, text in enumerate(HOSTILE):
        r = dict(corpus_records()[i])
        r.pop("id", None)
        r.update(moncode=str(800000 + i), author=text, minister=text, portfolio="chargé de " + text,
                 subject="Tram hostile %s" % text)
        records.append(r)
    src = write_jsonl(tmp / "hostile.jsonl", records)
    result = CliRunner().invoke(cli_group, ["index", "--index", str(tmp / "index"), str(src)])
    assert result.exit_code == 0, result.output
    return tmp / "index"


def _assert_inert(svg: str) -> None:
    root = ET.fromstring(svg)  # well-formed XML
    for element in root.iter():
        assert element.tag.split("}")[-1] not in ("script", "foreignObject", "img", "iframe"), element.tag
        assert not [name for name in element.attrib if name.lower().startswith("on")], element.attrib


def test_hostile_names_and_queries_stay_text_in_charts(runner, hostile_index, tmp_path):
    for args in (("--by", "author"), ("--by", "minister"), ("--by", "portfolio"), ("--delays",),
                 (HOSTILE[0],), (HOSTILE_QUERY, "--by", "month")):
        svg = _chart(runner, hostile_index, tmp_path, *args)
        _assert_inert(svg)
    svg = _chart(runner, hostile_index, tmp_path, "--by", "author")
    labels = set(chart_values(svg)[next(iter(chart_values(svg)))])
    assert '<script>alert(1)</script>' in labels and '"><svg onload=alert(2)>' in labels
    title = ET.fromstring(_chart(runner, hostile_index, tmp_path, HOSTILE_QUERY)).find(SVG_NS + "title").text
    assert HOSTILE_QUERY in title


def test_hostile_names_and_queries_stay_text_on_the_pages(hostile_index):
    from parlsearch.search.web import app as web
    client = web.create_app(hostile_index).test_client()
    for url in ("/?q=tram", "/stats?q=tram", "/stats", "/?q=%s" % HOSTILE_QUERY, "/stats?q=%s" % HOSTILE_QUERY):
        page = client.get(url).get_data(as_text=True)
        assert "<script" not in page and "<svg onload" not in page and "<img" not in page
        for svg in _svgs(page).values():
            _assert_inert(svg)


# -- the terminal ---------------------------------------------------------------------------------------------------

def test_bars_on_a_terminal_plain_numbers_when_piped(bundled_index):
    env = command_env(PAGER="cat", LANG="C.UTF-8", LC_ALL="C.UTF-8", COLUMNS="100")
    argv = parlsearch_argv()
    if len(argv) > 1:  # the module form: the pty runs the interpreter
        pytest.skip("needs the installed script")
    status, out, _ = on_a_pty(argv + ["stats", "--index", str(bundled_index), "--by", "minister"], env, 40, 100)
    text = out.decode("utf-8")
    assert status == 0 and "█" in text
    lines = [line for line in text.splitlines() if "█" in line]
    bars = [line.index("█") for line in lines]
    assert len(set(bars)) == 1, lines  # aligned: every bar starts in the same column
    lengths = [line.count("█") for line in lines]
    assert lengths == sorted(lengths, reverse=True) and lengths[0] > lengths[-1]
    piped = subprocess.run(argv + ["stats", "--index", str(bundled_index), "--by", "minister"], capture_output=True,
                           text=True, env=env, timeout=300)
    assert piped.returncode == 0 and "█" not in piped.stdout
    counts = json.loads(subprocess.run(argv + ["stats", "--index", str(bundled_index), "--by", "minister", "--json"],
                                       capture_output=True, text=True, env=env, timeout=300).stdout)
    first, n = next(iter(counts["facets"]["minister"].items()))
    assert re.search(r"^\s+%d\s+%s$" % (n, re.escape(first)), piped.stdout, re.M)
    status, out, _ = on_a_pty(argv + ["stats", "--index", str(bundled_index), "--delays", "--as-of", "2026-07-01"],
                              env, 40, 100)
    assert status == 0 and "█" in out.decode("utf-8") and "─" in out.decode("utf-8")
    piped = subprocess.run(argv + ["stats", "--index", str(bundled_index), "--delays"], capture_output=True,
                           text=True, env=env, timeout=300)
    assert "█" not in piped.stdout and "late:" in piped.stdout


def test_chart_errors_are_one_line(bundled_index, tmp_path):
    assert_one_line_error(cli("stats", "--index", bundled_index, "--by", "minister,year", "--chart",
                              tmp_path / "a.svg"), "cross table")
    assert_one_line_error(cli("stats", "--index", bundled_index, "--chart", tmp_path / "a.gif"), ".svg or .png")
    assert not (tmp_path / "a.svg").exists() and not (tmp_path / "a.gif").exists()


def _pygal_imported(code: str) -> bool:
    """Run `code` in a fresh interpreter; whether it imported pygal. `run(args)` runs the command line
    there and asserts it exits 0 (a command that failed early would import nothing and prove nothing)."""
    prelude = ("import sys\nfrom parlsearch.search.cli.app import cli\n"
               "def run(args):\n    try:\n        cli.main(args)\n    except SystemExit as e:\n"
               "        assert e.code == 0, (args, e.code)\n")
    out = subprocess.run([sys.executable, "-c", prelude + code + "\nprint('pygal' in sys.modules, file=sys.stderr)"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stderr.strip().splitlines()[-1] == "True"


def test_the_timeline_is_drawn_without_pygal(bundled_index, tmp_path):
    """The results page draws a timeline on every search: its drawing (search/timeline_svg.py) must not pay
    pygal's import and configuration (~15–25 ms a chart); nor does the timeline's file."""
    page = ("from parlsearch.search.web import app as web\n"
            "page = web.create_app(%r).test_client().get('/?q=STIB').get_data(as_text=True)\n"
            "assert 'class=\"timeline-chart\"' in page and 'tl-period' in page\n" % str(bundled_index))
    assert not _pygal_imported(page)
    assert not _pygal_imported("run(['stats', '--index', %r, 'STIB', '--chart', %r])"
                               % (str(bundled_index), str(tmp_path / "t.svg")))
    assert "timeline-chart" in (tmp_path / "t.svg").read_text("utf-8")
    # the check can fail: the stats page's charts do import it
    assert _pygal_imported("run(['stats', '--index', %r, '--by', 'minister', '--chart', %r])"
                           % (str(bundled_index), str(tmp_path / "m.svg")))


def test_a_timeline_keeps_hostile_status_names_and_control_characters_as_text():
    from parlsearch.search.engine.timeline import Bucket, Timeline
    from parlsearch.search.timeline_svg import timeline_svg
    odd = '"><script>alert(1)</script>\x07\ud800'
    line = Timeline("year", ["answered", odd], [Bucket("2020", "2020-01-01", "2020-12-31", {"answered": 2, odd: 3}),
                                                Bucket("2021", "2021-01-01", "2021-12-31", {"answered": 0, odd: 0}),
                                                Bucket("2022", "2022-01-01", "2022-12-31", {"answered": 7, odd: 1})])
    svg = timeline_svg(line, "Titre \x1b[31m <b>x</b>", href=lambda b: "/?since=%s&q=<x>" % b.since,
                       page_label="timeline")
    svg.encode("utf-8")  # no lone surrogate left
    _assert_inert(svg)
    clean = '"><script>alert(1)</script>'
    assert timeline_values(svg) == {"answered": {"2020": 2, "2022": 7}, clean: {"2020": 3, "2022": 1}}
    root = ET.fromstring(svg)
    assert root.find(SVG_NS + "title").text == "Titre [31m <b>x</b>" and root.get("data-unit") == "year"
    assert root.find(SVG_NS + "style") is None and not [e for e in root.iter() if "style" in e.attrib]
    hrefs = [bar["href"] for bar in timeline_bars(svg)]
    assert hrefs == ["/?since=2020-01-01&q=<x>", "/?since=2022-01-01&q=<x>"]  # the empty year has no bar
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_stats_without_chart_does_not_import_pygal(bundled_index):
    assert not _pygal_imported("run(['stats', '--index', %r, 'STIB', '--by', 'minister'])" % str(bundled_index))
