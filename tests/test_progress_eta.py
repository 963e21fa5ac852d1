"""The time left that `index` shows (issue 19, item 22): the whole run's, phases still to come included (the
writing of the last segments, from its measured share of a build until it has a rate of its own), and never
extrapolated from too little data. A fake clock drives the display; no sleeping."""
import io
import re

import pytest

from parlsearch.search.cli import progress as progress_module
from parlsearch.search.cli.progress import (MIN_ETA_SECONDS, MIN_PHASE_SECONDS, WRITING_SHARE, ProgressDisplay,
                                        time_left)


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def build_display():
    clock = Clock()
    show = ProgressDisplay(FakeTerminal(), clock=clock, width=400, interval=0, later={"writing": WRITING_SHARE})
    return show, clock


def shown_left(show) -> str | None:
    """The time left at the end of the live line as last drawn, or None."""
    line = show.stream.getvalue().rsplit("\r", 1)[-1]
    m = re.search(r"\| (~?[\d:]+) left$", line.rstrip())
    return m.group(1) if m else None


def test_a_first_batch_read_far_ahead_gives_no_time_left():
    """Reading races through its first batch (18 % of the input in 0.4 s) before any analysis: the old display
    said "0:01 left" of a 22 s run. Now nothing is said in the run's first MIN_ETA_SECONDS."""
    show, clock = build_display()
    show("reading", 0, 29_000_000, "bytes")
    clock.now = 0.4
    show("reading", 5_400_000, 29_000_000, "bytes", records=950)
    assert shown_left(show) is None and show.run_time_left(clock.now) is None
    clock.now = MIN_ETA_SECONDS - 0.01
    show("reading", 5_400_001, 29_000_000, "bytes", records=950)
    assert shown_left(show) is None


def test_the_time_left_includes_the_writing_still_to_come():
    """Reading and analysing half done in 10 s: 10 s more for them, then writing, WRITING_SHARE of the whole
    build: 0.3 / 0.7 x 20 s."""
    show, clock = build_display()
    show("reading", 0, 100_000_000, "bytes")
    clock.now = 10.0
    show("reading", 50_000_000, 100_000_000, "bytes", records=500)
    show("analysing", 500, None, "documents", unchanged=0)
    left, estimated = show.run_time_left(clock.now)
    assert left == pytest.approx(10 + WRITING_SHARE / (1 - WRITING_SHARE) * 20)
    assert estimated and shown_left(show) == "~" + time_left(left) == "~0:19"


def test_an_update_that_changes_few_documents_expects_little_writing():
    """9 documents in 10 passed over as unchanged: a tenth of the writing of a full build is to come."""
    show, clock = build_display()
    show("reading", 0, 100_000_000, "bytes")
    clock.now = 10.0
    show("reading", 50_000_000, 100_000_000, "bytes", records=1000)
    show("analysing", 100, None, "documents", unchanged=900)
    left, _ = show.run_time_left(clock.now)
    assert left == pytest.approx(10 + WRITING_SHARE / (1 - WRITING_SHARE) * 20 * 0.1)


def test_writing_counts_by_its_share_until_it_has_a_rate_of_its_own():
    show, clock = build_display()
    show("reading", 0, 10_000_000, "bytes")
    clock.now = 14.0
    show("reading", 10_000_000, 10_000_000, "bytes", records=5000)
    show("analysing", 5000, 5000, "documents", unchanged=0)
    show("writing", 0, 5000, "documents")
    left, _ = show.run_time_left(clock.now)
    assert left == pytest.approx(WRITING_SHARE / (1 - WRITING_SHARE) * 14)  # 6 s: by the share
    clock.now = 14.0 + MIN_PHASE_SECONDS / 2
    show("writing", 400, 5000, "documents")
    assert show.run_time_left(clock.now)[0] == pytest.approx(WRITING_SHARE / (1 - WRITING_SHARE) * 14.5)
    clock.now = 15.0
    show("writing", 700, 5000, "documents")  # 700 a second: its own rate from now on
    left, estimated = show.run_time_left(clock.now)
    assert left == pytest.approx(4300 / 700) and not estimated
    assert shown_left(show) == "0:06"


def test_the_run_ends_with_the_slowest_of_the_phases_under_way():
    show, clock = ProgressDisplay(FakeTerminal(), clock=Clock(), width=400, interval=0), None
    clock = show.clock
    show("reading", 0, 100, "records")
    show("analysing", 0, 100, "documents")
    clock.now = 10.0
    show("reading", 90, 100, "records")  # 1 s more
    show("analysing", 20, 100, "documents")  # 40 s more
    assert show.run_time_left(clock.now) == (pytest.approx(40.0), False)
    assert shown_left(show) == "0:40"


def test_a_phase_too_young_has_no_rate_to_extrapolate():
    """A phase that began 0.1 s ago with a batch done would say thousands a second: it does not count yet."""
    show = ProgressDisplay(FakeTerminal(), clock=Clock(), width=400, interval=0)
    clock = show.clock
    show("fetching", 0, 100, "pages")
    clock.now = 10.0
    show("fetching", 50, 100, "pages")
    show("analysing", 0, 1000, "documents")
    clock.now = 10.1
    show("analysing", 500, 1000, "documents")  # 5,000 a second over 0.1 s
    assert show.run_time_left(clock.now)[0] == pytest.approx(50 / (50 / 10.1))  # the fetching's 10.1 s


def test_an_unknown_amount_of_work_has_no_time_left():
    show = ProgressDisplay(FakeTerminal(), clock=Clock(), width=400, interval=0)
    show("reading", 0, None, "bytes")  # a FIFO
    show.clock.now = 10.0
    show("reading", 5_000_000, None, "bytes")
    assert show.run_time_left(10.0) is None and shown_left(show) is None


def test_a_recorded_build_is_never_told_it_is_nearly_done_when_it_is_not():
    """The events of a real build (5,000 generated questions, one process; times and counts as recorded on
    this machine, condensed): from the first time left shown, it stays within 0.6-1.5x the true time left
    while more than 2 s remain, and at the first batch (18 % read in 0.4 s) says nothing."""
    events = [(0.06, "reading", 0, 29_007_698, "bytes", 0), (0.23, "reading", 2_663_992, 29_007_698, "bytes", 450),
              (0.37, "reading", 5_419_610, 29_007_698, "bytes", 950), (3.12, "analysing", 1000, None, "documents", 0),
              (3.23, "reading", 8_077_030, 29_007_698, "bytes", 1400),
              (3.35, "reading", 10_704_119, 29_007_698, "bytes", 1850),
              (5.78, "analysing", 2000, None, "documents", 0), (5.87, "reading", 13_604_394, 29_007_698, "bytes", 2350),
              (6.01, "reading", 16_258_527, 29_007_698, "bytes", 2800), (8.61, "analysing", 3000, None, "documents", 0),
              (8.68, "reading", 18_881_862, 29_007_698, "bytes", 3250),
              (8.80, "reading", 21_505_475, 29_007_698, "bytes", 3700),
              (11.48, "analysing", 4000, None, "documents", 0), (11.53, "reading", 24_334_950, 29_007_698, "bytes", 4200),
              (11.68, "reading", 26_952_103, 29_007_698, "bytes", 4650),
              (14.51, "reading", 29_007_698, 29_007_698, "bytes", 5000),
              (14.51, "analysing", 5000, 5000, "documents", 0), (14.51, "writing", 0, 5000, "documents", None),
              (15.40, "writing", 630, 5000, "documents", None), (16.33, "writing", 1315, 5000, "documents", None),
              (17.61, "writing", 1720, 5000, "documents", None), (18.45, "writing", 2352, 5000, "documents", None),
              (19.18, "writing", 2919, 5000, "documents", None), (20.20, "writing", 3601, 5000, "documents", None),
              (21.26, "writing", 4348, 5000, "documents", None), (22.01, "writing", 4932, 5000, "documents", None),
              (22.22, "writing", 5000, 5000, "documents", None)]
    end = 22.23
    show, clock = build_display()
    said = []
    for t, phase, done, total, unit, count in events:
        clock.now = t
        info = {"records": count} if phase == "reading" else {"unchanged": count} if phase == "analysing" else {}
        show(phase, done, total, unit, **info)
        left = show.run_time_left(t)
        if t < MIN_ETA_SECONDS:
            assert left is None
        elif end - t > 2:
            assert left is not None and 0.6 <= left[0] / (end - t) <= 1.5, (t, left, end - t)
            said.append(t)
    assert said[0] == 3.12  # from the first analysed batch on


def test_the_index_command_counts_writing_in_its_time_left(monkeypatch, tmp_path):
    """`parlsearch index` gives its display the phases to come (writing, by WRITING_SHARE)."""
    from click.testing import CliRunner
    from parlsearch.search.cli.app import cli
    made = []
    real = progress_module.ProgressDisplay

    def recording(*a, **kw):
        made.append(kw)
        return real(*a, **kw)

    monkeypatch.setattr(progress_module, "ProgressDisplay", recording)
    result = CliRunner().invoke(cli, ["index", "--index", str(tmp_path / "ix"), "--no-progress"])
    assert result.exit_code == 0 and made and made[0]["later"] == {"writing": WRITING_SHARE}
