"""The one output layer (search/output.py) and the shared CLI helpers (search/cli/common.py): formats,
CSV/TSV round trips, identifiers made inert in every format, the pager's decisions and environment."""
import csv
import dataclasses
import io
import json
import os
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parlsearch.corpus.model import Document
from parlsearch.search.cli import common as cli_common
from parlsearch.search.engine.core import Hit, SearchResult
from parlsearch.search.output import (CSV_COLUMNS, FORMATS, HIT_FORMATS, STATS_FORMATS, Style, meta_line, plural,
                                      render_document, render_hits, render_stats, summary_line)

#: A moncode from issue 11 item 7: sets the clipboard (OSC 52) and the window title.
EVIL_CODE = "77\u001b]52;c;ZXZpbA==\u0007\u001b]0;PWNED\u0007"
RAW_ESCAPES = ("\x1b]", "\x07", "\x1b[2J", "\x9b", "\u202e", "\x00")


def doc(**fields) -> Document:
    base = {"title": "Question écrite concernant le tram", "question": "Le tram ?", "moncode": "170001",
            "author": "Joëlle Maison", "recipient": "Elke Van den Brandt - Ministre de la Mobilité",
            "date_received": "2026-01-02"}
    base.update(fields)
    return Document.create(**base)


def result_of(*docs, query="tram") -> SearchResult:
    return SearchResult(query, len(docs), [Hit(i, 1.5 / i, d, ["le \x02tram\x03"]) for i, d in enumerate(docs, 1)])


def test_formats_are_registered_once_and_offered_by_every_command():
    assert set(FORMATS) == {"text", "line", "json", "jsonl", "csv", "tsv"}
    assert HIT_FORMATS == tuple(FORMATS)
    assert set(STATS_FORMATS) == set(FORMATS) - {"line"}
    from click.testing import CliRunner

    from parlsearch.search.cli.app import cli
    for command in ("search", "show", "similar", "stats"):
        text = CliRunner().invoke(cli, [command, "--help"]).output
        offered = STATS_FORMATS if command == "stats" else HIT_FORMATS
        assert "--format [%s]" % "|".join(offered) in " ".join(text.split()), command
        for alias in ("--json", "--jsonl", "--csv", "--tsv", "--color", "--no-pager"):
            assert alias in text, (command, alias)


def test_csv_round_trips_commas_quotes_and_newlines():
    tricky = doc(title='Question écrite concernant le tram, le "bus"\net le métro', moncode="170002",
                 author='Dupont, "Jean"')
    plain = doc(moncode="170003", date_received=None)
    text = render_hits(result_of(tricky, plain), "csv", Style(False))
    assert text.endswith("\r\n") and "\r\n" in text  # RFC 4180 line ends
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == list(CSV_COLUMNS)
    assert len(rows) == 3
    first = dict(zip(rows[0], rows[1]))
    assert first["subject"] == tricky.subject and "\n" in first["subject"] and '"bus"' in first["subject"]
    assert first["author"] == 'Dupont, "Jean"' and first["id"] == tricky.id and first["moncode"] == "170002"
    assert first["minister"] == "Elke Van den Brandt" and first["date_received"] == "2026-01-02"
    assert first["status"] == "unanswered" and first["score"] == "1.5"
    second = dict(zip(rows[0], rows[2]))
    assert second["date_received"] == "" and second["date_answered"] == ""


def test_tsv_has_one_line_per_hit_whatever_the_text():
    tricky = doc(title="Question écrite concernant le tram\tet\nle bus", author="A\tB")
    text = render_hits(result_of(tricky, doc(moncode="9")), "tsv", Style(False))
    lines = text.splitlines()
    assert len(lines) == 3 and all(len(line.split("\t")) == len(CSV_COLUMNS) for line in lines)
    assert lines[1].split("\t")[CSV_COLUMNS.index("subject")] == "Le tram et le bus"


def test_line_format_is_one_line_per_hit_like_git_log_oneline():
    text = render_hits(result_of(doc(), doc(moncode="5", date_received=None)), "line", Style(False))
    assert text.splitlines() == ["2026-01-02 PRB-1-170001 Joëlle Maison → Elke Van den Brandt: Le tram",
                                 "---------- PRB-1-5 Joëlle Maison → Elke Van den Brandt: Le tram"]


def test_show_formats_give_one_row_and_the_whole_document():
    d = doc()
    assert json.loads(render_document(d, "json", Style(False))) == json.loads(json.dumps(d.to_dict()))
    rows = list(csv.reader(io.StringIO(render_document(d, "csv", Style(False)), newline="")))
    assert rows[0] == list(CSV_COLUMNS) and rows[1][0] == d.id and rows[1][-1] == ""


def test_stats_csv_rows():
    stats = {"documents": 3, "by_status": {"answered": 2, "unanswered": 1}, "by_year": {"2026": 3},
             "by_minister": {'Dupont, "X"': 3}, "by_author": {"A": 2, "B": 1}, "index": "/ix"}
    rows = list(csv.reader(io.StringIO(render_stats(stats, "csv", Style(False), None), newline="")))
    assert rows[0] == ["breakdown", "value", "count"]
    assert ["documents", "", "3"] in rows and ["minister", 'Dupont, "X"', "3"] in rows
    assert len(rows) == 1 + 1 + 2 + 1 + 1 + 2
    top1 = list(csv.reader(io.StringIO(render_stats(stats, "csv", Style(False), 1), newline="")))
    assert ["author", "B", "1"] not in top1 and ["author", "A", "2"] in top1
    assert "1 document in" not in render_stats(stats, "text", Style(False))
    assert render_stats(dict(stats, documents=1), "text", Style(False)).startswith("1 document in /ix")


@pytest.mark.parametrize("color", [True, False])
@pytest.mark.parametrize("fmt", ["text", "line", "csv", "tsv"])
def test_hostile_identifiers_are_inert_in_every_terminal_format(fmt, color):
    """Issue 11 item 7: id, moncode and assembly reach the terminal only through the sanitiser."""
    # Built as a reader that does not validate identifiers would: the output layer must not rely on readers.
    evil = dataclasses.replace(doc(author="X\u202eY"), id="PRB\x1b[2J-1-" + EVIL_CODE, moncode=EVIL_CODE,
                               assembly="PRB\x1b[2J")
    for text in (render_hits(result_of(evil), fmt, Style(color)), render_document(evil, fmt, Style(color))):
        assert "PWNED" in text and "ZXZpbA==" in text  # shown, inert
        for raw in RAW_ESCAPES:
            assert raw not in text, (raw, text)
    for fmt_json in ("json", "jsonl"):
        text = render_hits(result_of(evil), fmt_json, Style(color))
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
        hit = json.loads(text.splitlines()[0])
        hit = hit["hits"][0] if "hits" in hit else hit
        assert hit["moncode"] == EVIL_CODE and hit["id"] == evil.id  # JSON carries the value exactly


def test_error_lines_are_inert():
    assert cli_common.error_line("no document with id '%s'\nsecond line" % EVIL_CODE) == \
        "parlsearch: error: no document with id '77]52;c;ZXZpbA==]0;PWNED' second line"


def test_summary_line_past_the_end_and_plurals():
    """Issue 11 item 19: --offset past the end says so instead of "10 results" over nothing."""
    assert summary_line(SearchResult("tram", 10, []), offset=500) == \
        "10 results (none shown: --offset 500 is past the last one)"
    assert summary_line(SearchResult("tram", 10, []), offset=0) == \
        "10 results (none shown: --limit 0; --count prints the number alone)"
    assert summary_line(result_of(doc())) == "1 result"
    # more results than shown (--limit): which ranks are shown, from the first page on
    page = SearchResult("tram", 12, [Hit(rank, 1.0, doc(moncode=str(rank)), []) for rank in (1, 2)])
    assert summary_line(page) == "12 results (showing 1–2)"
    assert summary_line(SearchResult("tram", 12, page.hits[1:])) == "12 results (showing 2–2)"
    assert plural(1, "warning") == "1 warning" and plural(2, "file") == "2 files" and plural(0, "file") == "0 files"


def test_an_answer_date_without_its_text_is_not_shown_as_answered():
    """The Parliament publishes an answer's date before its text: such a question is unanswered, and its
    line says so instead of "answered <date>"."""
    dated = doc(date_answered="2026-02-03")
    assert dated.status == "unanswered"
    line = meta_line(dated, Style(False))
    assert "answer dated 2026-02-03 (no text yet)" in line and "answered 2026-02-03" not in line
    answered = meta_line(doc(date_answered="2026-02-03", answer="Oui."), Style(False))
    assert "answered 2026-02-03" in answered and "no text yet" not in answered
    assert "answer dated 2026-02-03 (no text yet)" in render_hits(result_of(dated), "text", Style(False))


def test_index_summary_line_agrees_in_number(tmp_path):
    from parlsearch.corpus.reader import Problem
    from parlsearch.index.update import UpdateSummary
    one = UpdateSummary(index_dir=tmp_path, new=1, files=1, duplicates=1, documents=1,
                        problems=[Problem("a.json", 1, "bad", rejected=True), Problem("a.json", 2, "odd", False)])
    line = one.line()
    assert "from 1 file;" in line and "1 duplicate reading merged" in line and "(1 file)" in line
    assert "1 warning." in line and "warnings" not in line and "files" not in line


# -- the pager ------------------------------------------------------------------------------------------------

def test_screen_rows_count_wrapped_lines_wide_characters_and_no_colour_codes():
    assert cli_common.screen_rows("a" * 80, 80) == 1
    assert cli_common.screen_rows("a" * 81 + "\n\nb", 80) == 4
    assert cli_common.screen_rows("\x1b[33m\x1b[1m" + "a" * 80 + "\x1b[0m", 80) == 1
    assert cli_common.screen_rows("漢" * 41, 80) == 2
    assert cli_common.screen_rows("e\u0301" * 80, 80) == 1


class _Terminal:
    def __init__(self, monkeypatch, lines, columns):
        self.paged = []
        monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
        monkeypatch.setattr(sys.stdout, "fileno", lambda: 1, raising=False)
        monkeypatch.setattr(cli_common.os, "get_terminal_size", lambda fd=None: os.terminal_size((columns, lines)))
        monkeypatch.setattr(cli_common, "run_pager", lambda text: self.paged.append(text) or True)


def test_the_decision_to_page_counts_wrapped_rows(monkeypatch, capsys):
    """Issue 11 item 18: five logical lines of 300 characters fill 20 rows of an 80x12 terminal: paged."""
    term = _Terminal(monkeypatch, lines=12, columns=80)
    out = cli_common.Output("text", color=False, pager=True)
    long_text = "".join("x" * 300 + "\n" for _ in range(5))
    out.emit(long_text)
    assert term.paged == [long_text]
    out.emit("short\n" * 5)  # fits: printed, not paged
    assert len(term.paged) == 1 and capsys.readouterr().out == "short\n" * 5
    cli_common.Output("csv", color=False, pager=True).emit(long_text)  # data for programs: never paged
    assert len(term.paged) == 1
    cli_common.Output("text", color=False, pager=False).emit(long_text)  # --no-pager
    assert len(term.paged) == 1


def _pager_env(monkeypatch, tmp_path, **env):
    record = tmp_path / "seen"
    monkeypatch.setenv("PAGER", "sh -c 'printf %%s \"${LESS-unset}\" > %s; cat > /dev/null'" % record)
    for key, value in env.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    assert cli_common.run_pager("hello\n" * 3)
    return record.read_text()


def test_pager_gets_less_frx_when_less_is_unset_like_git(monkeypatch, tmp_path):
    assert _pager_env(monkeypatch, tmp_path, LESS=None) == "FRX"
    assert _pager_env(monkeypatch, tmp_path, LESS="-S") == "-S"  # the user's choice is kept
    assert "LESS" not in os.environ or os.environ["LESS"] == "-S"  # our own environment is not changed


@pytest.mark.parametrize("value", ["", "cat"])
def test_pager_cat_or_empty_means_no_pager(monkeypatch, value):
    monkeypatch.setenv("PAGER", value)
    assert cli_common.pager_command() is None and cli_common.run_pager("x\n") is False


@settings(max_examples=200, deadline=None)
@given(subject=st.text(), author=st.text())
def test_any_text_round_trips_through_csv_as_shown_on_a_terminal(subject, author):
    """Whatever a title or a name holds, the CSV parses back to one row with the text as the terminal shows it
    (control characters removed, line breaks kept: CSV quotes them)."""
    from parlsearch.search.output import safe
    d = dataclasses.replace(doc(), subject=subject, author=author)
    rows = list(csv.reader(io.StringIO(render_hits(result_of(d), "csv", Style(False)), newline="")))
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1]))
    assert row["subject"] == safe(subject) and row["author"] == safe(author)
    tsv = render_hits(result_of(d), "tsv", Style(False)).split("\n")
    assert len(tsv) == 3 and tsv[-1] == ""  # header, one row, nothing else
