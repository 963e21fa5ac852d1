"""The progress display of long work (issue 13, progress item): search/cli/progress.py and its use by `index` and
`fetch`. A fake clock and a fake terminal make every figure exact; what a user sees is checked on a tiny
terminal model (carriage return, newline), not on the raw characters."""
from __future__ import annotations

import io
import re
from pathlib import Path

from click.testing import CliRunner
from hypothesis import example, given
from hypothesis import strategies as st

from parlsearch.search.cli import progress as progress_module
from parlsearch.search.cli.progress import ProgressDisplay, duration, rate_text, time_left

from helpers import on_a_pty, parlsearch_argv


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def screen(written: str) -> list[str]:
    """What a terminal shows after `written`: carriage return goes back to column 0, characters overwrite.
    The last element is the line the cursor is on."""
    lines, line, col = [], [], 0
    for ch in written:
        if ch == "\r":
            col = 0
        elif ch == "\n":
            lines.append("".join(line).rstrip())
            line, col = [], 0
        else:
            if col < len(line):
                line[col] = ch
            else:
                line.append(ch)
            col += 1
    return lines + ["".join(line).rstrip()]


def display(width=200, **kw):
    clock, term = Clock(), FakeTerminal()
    return ProgressDisplay(term, clock=clock, width=width, **kw), clock, term


# -- figures -------------------------------------------------------------------------------------------------------

def test_formats():
    assert duration(31.24) == "31.2 s" and duration(75) == "1 min 15 s" and duration(3725) == "1 h 02 min"
    assert time_left(14.4) == "0:14" and time_left(723) == "12:03" and time_left(3723) == "1:02:03"
    assert rate_text(18.44e6, "bytes") == "18.4 MB/s"
    assert rate_text(2519.4, "documents") == "2,519 documents/s" and rate_text(2519.4, "documents", True) == "2,519/s"
    assert rate_text(0.5, "pages") == "0.5 pages/s"


def test_counts_rate_and_time_left_of_a_phase():
    show, clock, term = display()
    show("reading", 0, 100_000_000, "bytes")
    clock.now = 10.0
    show("reading", 50_000_000, 100_000_000, "bytes", records=12_345, unknown_key="ignored")
    assert screen(term.getvalue())[-1] == "reading 50.0/100.0 MB 50%, 12,345 records, 5.0 MB/s | 0:10 left"
    show("analysing", 0, None, "documents")
    clock.now = 20.0
    show("analysing", 4_000, 8_000, "documents")
    # The run's time left: analysing needs 10 s more, but reading (no event for 10 s: 2.5 MB/s) needs 20.
    assert screen(term.getvalue())[-1].endswith("| analysing 4,000/8,000 docs 50%, 400/s | 0:20 left")


def test_the_summary_line_a_finished_phase_leaves():
    show, clock, term = display()
    show("reading", 0, 575_200_000, "bytes")
    clock.now = 31.2
    show("reading", 575_200_000, 575_200_000, "bytes", records=101_000)
    assert screen(term.getvalue()) == ["reading: 575.2 MB, 101,000 records in 31.2 s, 18.4 MB/s", ""]
    show("merging", 0, 5, "segments")
    clock.now = 34.4
    show("merging", 5, 5, "segments")
    show("committing", 0, 1, "steps")
    assert screen(term.getvalue())[-1] == "committing…"
    clock.now = 35.6
    show("committing", 1, 1, "steps")
    assert screen(term.getvalue())[-3:] == ["merging: 5 segments in 3.2 s", "committing: 1.2 s", ""]


def test_overlapping_phases_share_one_line_and_analysing_is_estimated_from_the_bytes_read():
    """Streaming: reading and analysing advance together. With a quarter of the input read and 1,000
    documents analysed, about 4,000 documents in all — or, steadier, 4 x the 1,100 records read when reading
    counts them; the time left follows from that estimate."""
    show, clock, term = display(interval=0)  # every event redrawn (throttling: see below)
    show("reading", 0, 400_000_000, "bytes")
    show("analysing", 0, None, "documents")
    clock.now = 10.0
    show("reading", 100_000_000, 400_000_000, "bytes")
    show("analysing", 1_000, None, "documents")
    assert screen(term.getvalue())[-1] == ("reading 100.0/400.0 MB 25%, 10.0 MB/s | "
                                           "analysing 1,000/~4,000 docs, 100/s | ~0:30 left")
    show("reading", 100_000_000, 400_000_000, "bytes", records=1_100)
    assert screen(term.getvalue())[-1] == ("reading 100.0/400.0 MB 25%, 1,100 records, 10.0 MB/s | "
                                           "analysing 1,000/~4,400 docs, 100/s | ~0:34 left")
    show("reading", 400_000_000, 400_000_000, "bytes", records=4_200)  # reading done: its records are all there is
    assert screen(term.getvalue())[-2:] == ["reading: 400.0 MB, 4,200 records in 10.0 s, 40.0 MB/s",
                                            "analysing 1,000/~4,200 docs, 100/s | ~0:32 left"]
    show("analysing", 1_000, 4_200, "documents")  # the total known at last
    assert screen(term.getvalue())[-1] == "analysing 1,000/4,200 docs 23%, 100/s | 0:32 left"


def test_unknown_totals_show_counts_and_rate_only_and_the_done_event_finishes_every_open_phase():
    show, clock, term = display(interval=0)
    show("reading", 0, None, "bytes")  # a FIFO: its size is not known
    clock.now = 2.0
    show("reading", 3_000_000, None, "bytes", records=300)
    show("writing", 0, None, "documents")
    clock.now = 4.0
    show("writing", 200, None, "documents")
    # the rate is the average up to now: reading has had no event for 2 s
    assert screen(term.getvalue())[-1] == "reading 3.0 MB, 300 records, 0.8 MB/s | writing 200 docs, 100/s"
    assert "%" not in term.getvalue() and "left" not in term.getvalue()
    show("done", 0, 0, "")
    assert screen(term.getvalue()) == ["reading: 3.0 MB, 300 records in 4.0 s, 0.8 MB/s",
                                       "writing: 200 documents in 2.0 s, 100 documents/s", ""]
    assert term.getvalue().endswith("\n")  # nothing left on the cursor's line


def test_redraws_are_throttled_to_ten_a_second():
    show, clock, term = display()
    for i in range(1, 1001):  # one event a millisecond for a second
        clock.now = i / 1000
        show("reading", i * 1000, 2_000_000, "bytes")
    assert show.redraws == 10  # at 1 ms (the phase starts), then every 100 ms: 101, 201, … 901 ms
    for i in range(1, 11):  # one event every 2 s: each one redrawn
        clock.now = 1 + 2 * i
        show("reading", 1_000_000 + i, 2_000_000, "bytes")
    assert show.redraws == 20
    show("analysing", 0, None, "documents")  # a phase that starts is shown at once
    assert show.redraws == 21


def test_the_live_line_fits_the_terminal_and_is_wiped_before_a_line_that_stays():
    show, clock, term = display(width=40)
    show("reading", 10_000_000, 400_000_000, "bytes", records=1_234_567)
    show("analysing", 10, None, "documents")
    assert all(len(part.split("\r")[-1]) <= 39 for part in term.getvalue().split("\n"))
    show.note("retry 1 in 2.0s: http://example.test/x (timeout)")
    lines = screen(term.getvalue())
    assert lines[0] == "retry 1 in 2.0s: http://example.test/x (timeout)"  # not mixed with the live line
    assert lines[1].startswith("reading 10.0/400.0 MB")  # redrawn below it


def test_close_leaves_a_clean_line_and_no_summary_for_what_was_not_finished():
    """After Ctrl-C or an error, the message that follows must start on an empty line."""
    show, clock, term = display()
    show("reading", 5, 10, "bytes")
    show("analysing", 1, None, "documents")
    show.close()
    assert screen(term.getvalue()) == [""]
    show.close()  # twice is harmless
    assert screen(term.getvalue()) == [""]


def test_a_phase_written_again_after_it_finished_is_reopened_and_a_repeated_final_event_is_ignored():
    show, clock, term = display()
    show("writing", 0, 5_000, "documents")
    clock.now = 1.0
    show("writing", 5_000, 5_000, "documents")
    show("writing", 5_000, 5_000, "documents")  # repeated
    clock.now = 2.0
    show("writing", 10_000, 10_000, "documents")  # a second segment written
    assert screen(term.getvalue()) == ["writing: 5,000 documents in 1.0 s, 5,000 documents/s",
                                       "writing: 10,000 documents in 2.0 s, 5,000 documents/s", ""]


def test_a_phase_finished_while_an_earlier_one_goes_on_stays_live_and_leaves_one_line_after_it():
    """The writer rolls over to a new segment while analysing goes on: "writing" reaches its total several
    times. Its line comes once, after analysing's, with the final count."""
    show, clock, term = display(interval=0)
    show("analysing", 0, None, "documents")
    clock.now = 1.0
    show("writing", 2_000, 2_000, "documents")  # the first segment
    # No summary yet. Writing was first heard of with 2,000 documents done: it began with the run, at 0.
    assert screen(term.getvalue()) == ["analysing 0 docs | writing 2,000/2,000 docs 100%, 2,000/s"]
    clock.now = 2.0
    show("analysing", 3_000, None, "documents")
    show("writing", 4_000, 4_000, "documents")  # the second one
    clock.now = 4.0
    show("analysing", 4_000, 4_000, "documents")
    assert screen(term.getvalue()) == ["analysing: 4,000 documents in 4.0 s, 1,000 documents/s",
                                       "writing: 4,000 documents in 2.0 s, 2,000 documents/s", ""]


def test_a_phase_with_nothing_to_do_leaves_no_line_and_counts_never_go_back():
    show, clock, term = display()
    show("merging", 0, 0, "segments")
    assert screen(term.getvalue()) == [""]
    show("writing", 10, None, "documents")
    show("writing", 7, None, "documents")  # out of order: the count stays at its highest
    assert show.phases["writing"].done == 10


def test_a_phase_naming_something_is_sanitised():
    show, clock, term = display()
    show("listing legislature \x1b[2J24-29\u202e", 0, 1, "steps")
    show("listing legislature \x1b[2J24-29\u202e", 1, 1, "steps", questions=51)
    assert "\x1b" not in term.getvalue() and "\u202e" not in term.getvalue()
    assert screen(term.getvalue())[0] == "listing legislature [2J24-29: 51 questions in 0.0 s"


def test_nothing_at_all_off_a_terminal_and_only_summary_lines_when_forced():
    piped = io.StringIO()
    show = ProgressDisplay(piped, clock=Clock())
    assert not show.enabled
    show("reading", 5, 10, "bytes")
    show("reading", 10, 10, "bytes")
    show.note("a note")
    show("done", 0, 0, "")
    show.close()
    assert piped.getvalue() == ""
    forced = ProgressDisplay(piped, enabled=True, clock=Clock())
    forced("reading", 5, 10, "bytes")
    forced("reading", 10, 10, "bytes")
    assert piped.getvalue() == "reading: 0.0 MB in 0.0 s\n"  # no carriage return, no redrawn line
    quiet = ProgressDisplay(FakeTerminal(), enabled=False, clock=Clock())
    quiet("reading", 5, 10, "bytes")
    assert quiet.stream.getvalue() == ""


PHASES = [("reading", "bytes"), ("analysing", "documents"), ("writing", "documents"), ("merging", "segments"),
          ("committing", "steps")]
events_strategy = st.lists(st.tuples(st.sampled_from(PHASES), st.integers(0, 10**9), st.none() | st.integers(0, 10**9),
                                     st.integers(0, 10**6), st.floats(0, 5)), max_size=40)


@given(events_strategy, st.integers(2, 120))
@example([(("reading", "bytes"), 0, 0, 0, 0.0), (("analysing", "documents"), 1, 0, 0, 0.0),
          (("reading", "bytes"), 1, None, 0, 0.0)], 2)  # found by CI: reading finished empty, then had work
def test_any_sequence_of_events_keeps_the_line_within_the_terminal_and_ends_clean(events, width):
    """Whatever the order, counts and totals: no error, the live line never wider than the terminal, and
    after the final event one line per phase that had something to do, in the order the phases began (a
    phase that finished with nothing to do, then got work, begins again then)."""
    show, clock, term = display(width=width)
    seen = []
    for (phase, unit), done, total, records, step in events:
        clock.now += step
        before = show.phases.get(phase)
        empty_and_finished = before is not None and before.reported and not before.has_work()
        show(phase, done, total, unit, records=records)
        assert show._shown <= width - 1
        if phase not in seen:
            seen.append(phase)
        elif empty_and_finished and show.phases[phase].has_work():
            seen.remove(phase)
            seen.append(phase)
    show("done", 0, 0, "")
    lines = screen(term.getvalue())
    assert lines[-1] == ""
    names = [line.split(":")[0] for line in lines[:-1]]
    with_work = [name for name in seen if show.phases[name].done or show.phases[name].total
                 or show.phases[name].unit == "steps"]
    assert list(dict.fromkeys(names)) == with_work


def test_no_rate_over_a_vanishing_time():
    """Found by the property test: a count 2e-311 s after its phase began was an infinite rate (OverflowError)."""
    show, clock, term = display()
    show("reading", 0, None, "bytes")
    clock.now = 2.2e-311
    show("analysing", 1, None, "documents")
    assert screen(term.getvalue())[-1] == "reading 0.0 MB | analysing 1 doc"


# -- `parlsearch index` ---------------------------------------------------------------------------------------

def _fake_update_index(events_before_end=None, interrupt=False):
    """An update_index that emits the events of a streamed run of 5,000 records, as index/update.py does."""
    from parlsearch.index.update import UpdateSummary

    calls = []

    def fake(paths=None, index_dir=None, *, rebuild=False, jobs=1, wait=0.0, progress=None):
        calls.append(progress)
        emit = progress or (lambda *a, **k: None)
        size = 29_000_000
        for batch in range(1, 11):
            emit("reading", size * batch // 10, size, "bytes", records=500 * batch)
            emit("analysing", 500 * (batch - 1), None if batch < 10 else 5_000, "documents")
            if interrupt and batch == 5:
                raise KeyboardInterrupt
        emit("analysing", 5_000, 5_000, "documents")
        emit("writing", 5_000, 5_000, "documents")
        emit("merging", 0, 2, "segments")
        emit("merging", 2, 2, "segments")
        emit("committing", 0, 1, "steps")
        emit("committing", 1, 1, "steps")
        emit("done", 0, 0, "")
        return UpdateSummary(index_dir=Path(index_dir or "ix"), new=5_000, files=1, documents=5_000)

    return fake, calls


def _index(monkeypatch, tmp_path, *args, interrupt=False, tty=False):
    from parlsearch.search.cli.app import cli
    fake, calls = _fake_update_index(interrupt=interrupt)
    monkeypatch.setattr("parlsearch.index.update.update_index", fake)
    if tty:
        monkeypatch.setattr(progress_module, "_isatty", lambda stream: True)
    result = CliRunner().invoke(cli, ["index", "--index", str(tmp_path / "ix"), *args])
    return result, calls


def test_index_piped_shows_no_progress_and_is_not_even_asked_for_it(monkeypatch, tmp_path):
    result, calls = _index(monkeypatch, tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stderr == "" and calls == [None]
    assert "5000 new" in result.stdout


def test_index_quiet_or_no_progress_shows_none_even_on_a_terminal(monkeypatch, tmp_path):
    for args in (["--quiet"], ["--no-progress"], ["--progress", "--quiet"]):
        result, calls = _index(monkeypatch, tmp_path, *args, tty=True)
        assert result.exit_code == 0 and result.stderr == "" and calls == [None], args


def test_index_on_a_terminal_shows_every_phase_and_leaves_their_summary_lines(monkeypatch, tmp_path):
    result, calls = _index(monkeypatch, tmp_path, tty=True)
    assert result.exit_code == 0, result.output
    assert isinstance(calls[0], ProgressDisplay)
    assert "\r" in result.stderr  # redrawn in place
    lines = [line for line in screen(result.stderr) if line]
    assert [line.split(":")[0] for line in lines] == ["reading", "analysing", "writing", "merging", "committing"]
    assert lines[0].startswith("reading: 29.0 MB, 5,000 records in ")
    assert lines[1].startswith("analysing: 5,000 documents in ")


def test_index_progress_forced_into_a_pipe_gives_the_summary_lines_only(monkeypatch, tmp_path):
    result, _ = _index(monkeypatch, tmp_path, "--progress")
    assert "\r" not in result.stderr
    assert [line.split(":")[0] for line in result.stderr.splitlines()] == \
        ["reading", "analysing", "writing", "merging", "committing"]


def test_index_interrupted_on_a_terminal_prints_its_message_on_a_clean_line(monkeypatch, tmp_path):
    result, _ = _index(monkeypatch, tmp_path, interrupt=True, tty=True)
    assert result.exit_code == 130
    assert "\r" in result.stderr  # the live line was there
    assert [line for line in screen(result.stderr) if line] == [
        "parlsearch: interrupted; the previous index is intact (run the same command again to finish)"]


def test_index_failing_on_a_terminal_prints_its_error_on_a_clean_line(monkeypatch, tmp_path):
    from parlsearch.index.store import IndexProblem
    from parlsearch.search.cli.app import cli

    def failing(paths=None, index_dir=None, *, rebuild=False, jobs=1, wait=0.0, progress=None):
        progress("reading", 1_000, 2_000, "bytes", records=10)
        raise IndexProblem("the index at ix is damaged")

    monkeypatch.setattr("parlsearch.index.update.update_index", failing)
    monkeypatch.setattr(progress_module, "_isatty", lambda stream: True)
    result = CliRunner().invoke(cli, ["index", "--index", str(tmp_path / "ix")])
    assert result.exit_code == 2 and "\r" in result.stderr
    assert [line for line in screen(result.stderr) if line] == ["parlsearch: error: the index at ix is damaged"]


# -- `parlsearch fetch --update-index`: the index phases on the same display ---------------------------------

def test_fetch_then_index_phases_on_one_display(served, monkeypatch, tmp_path):
    from parlsearch.search.cli import fetch as cli_fetch
    from parlsearch.search.cli.fetch import fetch_command
    site, url = served
    fake, calls = _fake_update_index()
    monkeypatch.setattr("parlsearch.index.update.update_index", fake)
    monkeypatch.setattr(progress_module, "_isatty", lambda stream: True)
    # A clock that moves 0.1 s a reading: two local pages can be fetched in under the 10 ms a rate needs.
    ticks = iter(range(10**6))
    monkeypatch.setattr(cli_fetch, "ProgressDisplay",
                        lambda **kwargs: ProgressDisplay(clock=lambda: next(ticks) / 10, **kwargs))
    result = CliRunner().invoke(fetch_command, ["--delay", "0", "--cache", str(tmp_path / "cache"), "--base-url", url,
                                                "--lang", "fr", "--limit", "2", "--update-index",
                                                "--index", str(tmp_path / "ix")])
    assert result.exit_code == 0, result.output
    lines = [line for line in screen(result.stderr) if line]
    assert lines[0].startswith("listing legislature 24-29: 51 questions in ")
    assert lines[1] == "2 pages to download"
    assert re.match(r"fetching: 2 pages in \d+\.\d s, [\d.,]+ pages/s$", lines[2])
    assert lines[3] == "Updating the search index…"
    assert [line.split(":")[0] for line in lines[4:]] == ["reading", "analysing", "writing", "merging", "committing"]
    assert isinstance(calls[0], ProgressDisplay)
    quiet = CliRunner().invoke(fetch_command, ["--delay", "0", "--cache", str(tmp_path / "cache"), "--base-url", url,
                                               "--lang", "fr", "--limit", "2", "--update-index", "-q",
                                               "--index", str(tmp_path / "ix")])
    assert quiet.exit_code == 0 and quiet.stderr == "" and calls[1] is None


def test_fetch_interrupted_on_a_terminal_prints_its_message_on_a_clean_line(served, monkeypatch, tmp_path):
    from parlsearch.corpus import sync
    from parlsearch.search.cli.fetch import fetch_command
    site, url = served
    original, calls = sync.Fetcher._fetch_page, []

    def interrupted(self, task):
        calls.append(task)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, task)

    monkeypatch.setattr(sync.Fetcher, "_fetch_page", interrupted)
    monkeypatch.setattr(progress_module, "_isatty", lambda stream: True)
    result = CliRunner().invoke(fetch_command, ["--delay", "0", "--cache", str(tmp_path / "cache"), "--base-url", url,
                                                "--lang", "fr", "--limit", "3"])
    assert result.exit_code == 130 and "\r" in result.stderr
    lines = [line for line in screen(result.stderr) if line]
    assert lines[0].startswith("listing legislature 24-29: 51 questions in ") and lines[1] == "3 pages to download"
    assert lines[2:] == ["parlsearch: interrupted; the cache is intact, run the same command again to continue"]


def test_fetch_retries_are_lines_of_their_own_above_the_fetching_line():
    from parlsearch.search.cli.fetch import _FetchEvents
    show, clock, term = display(interval=0)
    events = _FetchEvents(show)
    events("index", legislature="24-29", url="http://x.test/index")
    events("index-done", legislature="24-29", rows=51)
    events("start", total=4)
    clock.now = 2.0
    events("page", key="1-1", lang="fr", outcome="new", reason="new")
    events("retry", attempt=1, wait=0.5, url="http://x.test/\x1b[31mq", reason="timeout")
    lines = screen(term.getvalue())
    assert lines[:3] == ["listing legislature 24-29: 51 questions in 0.0 s", "4 pages to download",
                         "retry 1 in 0.5s: http://x.test/[31mq (timeout)"]
    assert lines[3] == "fetching 1/4 pages 25%, 0.5/s"  # no time left in the run's first 3 s
    clock.now = 4.0
    events("page", key="1-2", lang="fr", outcome="failed", reason="new")
    assert screen(term.getvalue())[-1] == "fetching 2/4 pages 50%, 1 failed, 0.5/s | 0:04 left"


# -- a real terminal -----------------------------------------------------------------------------------------------

def test_index_on_a_real_terminal_shows_its_phases(tmp_path, cli_env):
    """`parlsearch index` of the bundled corpus on a pseudo-terminal: the phases' summary lines stay, the live
    line is redrawn in place, nothing is left on the last line but the summary on stdout.

    The phases come from index/update.py (the emitting side of the protocol); reading and committing are the
    ones every run has."""
    env = dict(cli_env, TERM="xterm-256color")
    argv = parlsearch_argv() + ["index", "--index", str(tmp_path / "ix")]
    status, out, _ = on_a_pty(argv, env, rows=24, columns=100)
    text = out.decode("utf-8", "replace").replace("\r\n", "\n")
    assert status == 0, text[-2000:]
    lines = [line for line in screen(text) if line]
    phases = [line.split(":")[0] for line in lines if re.match(r"[a-z]+: ", line)]
    assert phases[0] == "reading" and "committing" in phases, lines
    assert re.match(r"reading: [\d.]+ MB, [\d,]+ records in [\d.]+ s, [\d.]+ MB/s$", lines[0]), lines
    assert lines[-1].startswith("107 new, 0 updated, 0 unchanged documents")
