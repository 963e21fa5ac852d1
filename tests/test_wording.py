"""Messages people read (issue 19, item 14): counts and their nouns agree (one helper, wording.plural),
`stats` says what it counted, says nothing more when nothing matched, and errors read as sentences."""
import datetime as dt
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from parlsearch.search.cli.app import cli
from parlsearch.wording import noun, plural

#: Nouns that messages put after a count, possibly behind one of ADJECTIVES ("… 1 more row").
NOUNS = ("document", "file", "row", "column", "byte", "minister", "question", "attempt", "page", "request", "line",
         "reading", "warning", "problem", "failure", "result", "record", "segment", "index row")
ADJECTIVES = r"(?:(?:more|matching|unreadable|duplicate)\s+)*"


def agreement_errors(message: str) -> list[str]:
    """Every count in `message` followed by one of NOUNS in the wrong number: '1 files', '2 file', '0 row'."""
    errors = []
    for word in NOUNS:
        one_plural = re.compile(r"(?<![\d.,])1 %s%ss\b" % (ADJECTIVES, word))
        many_singular = re.compile(r"(?<![\d.,])(?!1 )\d[\d,]* %s%s\b(?!s)" % (ADJECTIVES, word))
        errors += [m.group() for m in one_plural.finditer(message)]
        errors += [m.group() for m in many_singular.finditer(message)]
    return errors


def test_the_agreement_check_itself_finds_what_it_should():
    assert agreement_errors("… 1 more ministers (--top N)") == ["1 more ministers"]
    assert agreement_errors("gave up after 1 attempts") == ["1 attempts"]
    assert agreement_errors("… 2 more row") == ["2 more row"]
    assert agreement_errors("0 document") == ["0 document"]
    assert agreement_errors("1 document, 2 documents, 0 results, 1,000 files, 10 rows") == []


def test_plural_and_noun():
    assert [plural(n, "file") for n in (0, 1, 2)] == ["0 files", "1 file", "2 files"]
    assert plural(2, "query", "queries") == "2 queries" and plural(1, "query", "queries") == "1 query"
    assert noun(1, "matches", "match") == "matches" and noun(3, "matches", "match") == "match"


# -- the sweep: every message that counts, with 0, 1 and 2 ----------------------------------------------------

def _update_summary(n):
    from parlsearch.corpus.reader import Problem
    from parlsearch.index.update import UpdateSummary
    problems = [Problem("bad%d.json" % i, None, "broken") for i in range(n)]
    problems += [Problem("odd%d.json" % i, 1, "odd", rejected=False) for i in range(n)]
    s = UpdateSummary(Path("/tmp/ix"), new=n, updated=0, unchanged=0, duplicates=n, documents=n, files=n,
                      problems=problems)
    return s.line()


def _fetch_summary(n):
    from parlsearch.corpus.sync import FetchSummary
    return str(FetchSummary(index_rows=n, requests=n, bad_rows=[("24-29", i, "bad") for i in range(n)]))


def _gave_up(n):
    from parlsearch.corpus import httpclient
    client = httpclient.PoliteClient("http://127.0.0.1:9", retries=n - 1 if n else 0, delay=0, backoff=0,
                                     sleep=lambda s: None)

    def refuse(url, max_bytes):
        raise httpclient.Transient("connection refused")

    client._follow = refuse
    with pytest.raises(httpclient.FetchError) as e:
        client.get("http://127.0.0.1:9/x", max_bytes=10)
    return str(e.value.reason)


def _utf8_warning(n):
    from parlsearch.corpus.text import Utf8Decoder
    decoder = Utf8Decoder()
    decoder.decode("é\n".encode() + b"caf\xe9\n" * n, final=True)
    return decoder.warning() or ""


def _counts(rows: int, columns: int, total: int):
    from parlsearch.search.engine.counting import Counts
    cols = {"c%02d" % i: 1 for i in range(columns)}
    return Counts("x", total, {"minister": {"m%02d" % i: 1 for i in range(rows)}},
                  cross={"m%02d" % i: dict(cols) for i in range(rows)}, by=("minister", "year"))


def _stats_text(n, capsys):
    from parlsearch.search.cli import workflow as cli_workflow
    from parlsearch.search.engine.filters import SearchFilters
    top = 3
    counts = _counts(top + n, cli_workflow.MAX_TEXT_COLUMNS + n, n)
    cli_workflow._print_counts(counts, "tram", SearchFilters(), top)
    return capsys.readouterr().out


def _delays_text(n, capsys):
    from parlsearch.search.cli import workflow as cli_workflow
    from parlsearch.search.engine.delays import ALL, Delays, DelayRow
    rows = [DelayRow("m%d" % i, 1, 1, 1, 1, 0, 0, None, None, 0, 0) for i in range(2 + n)]
    rows.append(DelayRow(ALL, n, 1, 1, 1, n, 0, None, None, n, n))
    cli_workflow._print_delays(Delays(dt.date(2026, 1, 1), n, rows), top=2)
    return capsys.readouterr().out


def _watch_baseline(n, capsys):
    from parlsearch.search.cli import workflow as cli_workflow
    from parlsearch.search.watch.saved import RunReport, Watch
    cli_workflow._print_run([RunReport(Watch("w", "tram"), True, n, [], {})], False, False)
    return capsys.readouterr().out


def _listed(n, capsys):
    from parlsearch.search.cli import fetch as cli_fetch
    cli_fetch._listed(["failed: x"] * (cli_fetch._MAX_LISTED_PROBLEMS + n), "failure")
    return capsys.readouterr().err


def _progress(n, capsys):
    from parlsearch.search.cli.progress import counted, counted_info
    return "%s %s %s" % (counted(n, "documents"), counted(n, "segments"), counted_info("records", n))


def _listing_row(n, capsys):
    from parlsearch.corpus.weblex_index import RowError, parse_row
    with pytest.raises(RowError) as e:
        parse_row(["x"] * n)
    return str(e.value)


def _summary(n, capsys):
    from parlsearch.search.engine.core import SearchResult
    from parlsearch.search.output import summary_line
    return summary_line(SearchResult("x", n, []))


SWEEP = {"index summary": lambda n, capsys: _update_summary(n), "fetch summary": lambda n, capsys: _fetch_summary(n),
         "http retries": lambda n, capsys: _gave_up(n) if n else "", "cp1252 lines": lambda n, c: _utf8_warning(n),
         "stats counts": _stats_text, "stats delays": _delays_text, "watch baseline": _watch_baseline,
         "fetch problems": _listed, "progress": _progress, "search summary": _summary,
         "listing row": _listing_row}


@pytest.mark.parametrize("name", sorted(SWEEP))
@pytest.mark.parametrize("n", [0, 1, 2])
def test_counts_agree_with_their_nouns(name, n, capsys):
    message = SWEEP[name](n, capsys)
    assert agreement_errors(message) == [], message


def test_the_sweep_reaches_the_messages_it_means_to():
    """The sweep above is only worth something if the nouns it checks are in the messages."""
    import io
    from contextlib import redirect_stdout
    assert "(gave up after 1 attempt)" in _gave_up(1) and "(gave up after 2 attempts)" in _gave_up(2)
    assert "1 file" in _update_summary(1) and "1 duplicate reading merged" in _update_summary(1)
    assert "1 index row, 1 request" in _fetch_summary(1) and "1 unreadable index row skipped" in _fetch_summary(1)
    assert "on line 2:" in _utf8_warning(1) and "on lines 2, 3:" in _utf8_warning(2)

    class Cap:
        def readouterr(self):
            class R:
                out = buf.getvalue()
                err = ""
            return R

    buf = io.StringIO()
    with redirect_stdout(buf):
        _stats_text(1, Cap())
    assert "… 1 more row " in buf.getvalue() and "(1 more column not shown" in buf.getvalue()
    buf = io.StringIO()
    with redirect_stdout(buf):
        _delays_text(1, Cap())
    assert "… 1 more minister (--top N)" in buf.getvalue() and "(1 question)" in buf.getvalue()
    buf = io.StringIO()
    with redirect_stdout(buf):
        _watch_baseline(1, Cap())
    assert "(1 matching document)" in buf.getvalue()


# -- stats says what it counted ------------------------------------------------------------------------------

def invoke(*args, **kw):
    return CliRunner().invoke(cli, list(args), **kw)


def test_stats_names_its_filters_as_well_as_its_words(bundled_index):
    ix = ["--index", str(bundled_index)]
    with_filter = invoke("stats", *ix, "STIB", "--since", "2026", "--minister", "van den brandt")
    first = with_filter.output.splitlines()[0]
    assert re.fullmatch(r"\d+ documents? match(es)? \"STIB\" --since 2026-01-01 --minister 'van den brandt'", first), first
    only_filter = invoke("stats", *ix, "--status", "unanswered").output.splitlines()[0]
    assert re.fullmatch(r"\d+ documents match --status unanswered", only_filter), only_filter
    everything = invoke("stats", *ix, "--by", "minister,status").output.splitlines()[0]
    assert everything == "107 documents in the index"


def test_one_document_matches(bundled_index):
    out = invoke("stats", "--index", str(bundled_index), "id:PRB-1-170285").output
    assert out.splitlines()[0] == '1 document matches "id:PRB-1-170285"'


def test_stats_of_nothing_prints_no_empty_headings(bundled_index):
    for extra in ([], ["--by", "minister,year"]):
        result = invoke("stats", "--index", str(bundled_index), "zeppelinodrome", *extra)
        assert result.exit_code == 1
        assert result.output == '0 documents match "zeppelinodrome"\n', result.output


def test_delays_of_nothing_print_no_table(bundled_index):
    result = invoke("stats", "--index", str(bundled_index), "--delays", "zeppelinodrome")
    assert result.exit_code == 1 and len(result.output.splitlines()) == 1 and "(0 questions)" in result.output


def test_stats_with_more_values_than_shown_says_how_to_see_them(bundled_index):
    out = invoke("stats", "--index", str(bundled_index), "*", "--top", "2").output
    assert re.search(r"^  … \d+ more \(--top N\)$", out, re.M), out


# -- errors read as sentences, said once ---------------------------------------------------------------------

def test_a_bad_date_option_is_a_sentence_before_the_help_hint(bundled_index):
    result = invoke("search", "--index", str(bundled_index), "--since", "2026-13", "tram", prog_name="parlsearch")
    assert result.exit_code == 2
    assert "2026-06-01). See '" in result.output, result.output


def test_a_bad_date_in_a_query_is_said_once(bundled_index):
    for command in ("search", "stats"):
        result = invoke(command, "--index", str(bundled_index), "date:2026-13")
        assert result.exit_code == 2
        assert result.output.startswith("parlsearch: error: bad query: bad date"), result.output
        assert result.output.count("query") == 1, result.output
