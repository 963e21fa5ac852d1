"""The progress of long work (`index`, `fetch`) on a terminal: each phase with counts, rate and time left.

The work reports events ``progress(phase, done, total, unit, **info)`` — index/update.py emits reading,
analysing, writing, merging and committing; fetch.py turns the fetcher's events into listing and
fetching — and ``ProgressDisplay`` shows them:

- on a terminal, one line redrawn in place with every active phase, since phases overlap (with streaming,
  reading and analysing advance together, batch by batch), and the time the whole run has left::

      reading 312.4/575.2 MB 54%, 62,000 records, 18.4 MB/s | analysing 61,500/~114,000 docs, … | ~0:21 left

- when a phase finishes (``done == total``, or the final ``progress("done", 0, 0, "")``), one summary line
  that stays: ``reading: 575.2 MB, 101,000 records in 31.2 s, 18.4 MB/s`` — in the order the phases began: one
  that finishes while an earlier one goes on (a segment written while analysing goes on) stays on the live
  line, and may go on, until then;
- nothing at all when disabled (stderr not a terminal, ``--quiet``, ``--no-progress``); forced on
  (``--progress``) into a pipe or a file, only the summary lines, never a redrawn line.

Choices, and why:

- The live line is redrawn with a carriage return and padded with spaces over what it replaces, with no ANSI
  escape (it works on any terminal, TERM=dumb included), and cut to the terminal's width minus one column: a
  line that wraps can no longer be redrawn in place.
- At most ``REDRAW_INTERVAL`` (0.1 s, 10 redraws a second) between redraws of the same line, whatever the
  rate of events: a 100k-document run sends thousands (one per batch, per file, per segment), and the eye
  reads no faster; a phase starting or finishing redraws at once.
- The rate is the phase's average since it began (a steady figure, not a jittery instant one). A phase first
  heard of with work already done (reading reports every so many records) is taken to have begun when the
  work under way began.
- The time left is the run's, shown once at the end of the line: the phases under way overlap, so the one
  that finishes last (what remains of it at its rate), plus the phases still to come. Those (`later`: for
  an index build, writing the last segment) are estimated from their measured share of a build's time
  (WRITING_SHARE) until they have run long enough to have a rate of their own; for an update that passes
  most documents over as unchanged, only the share of the records read that goes on to be written counts.
  Nothing is extrapolated from too little data: no time left in a run's first MIN_ETA_SECONDS (a first
  batch is read far ahead of its analysis: 18 % of the input after 0.4 s, when the old display said
  "0:01 left"), nor from a phase younger than MIN_PHASE_SECONDS; a phase whose total is not known (a FIFO)
  leaves it unknown. A count of documents whose
  total is not known yet (analysing while the input is still read) is estimated from the fraction f of the
  input bytes read: r records read so far, about r / f in all (d / f from the d documents analysed when
  reading does not count records); "~" marks the estimate.
- Sizes are in MB of 10^6 bytes, counts with thousands separators; time comes from an injectable clock, so
  tests drive it without sleeping.
- What is shown is ours (phase names, numbers), but a phase may name what it works on (a legislature, a
  file): every line goes through the terminal sanitiser (search.output.safe).

(~440 lines: the figures, the display and the estimate of the time left all read the same phases' state.)

Size: one module past 400 lines because ProgressDisplay (~260 lines) is one state machine of phases, rates and
the time left, drawn on one terminal line; its helpers (amounts, durations) are shared by index and fetch.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, TextIO

from ...wording import noun
from ..output import safe

#: The phase name of the last event of a run: every phase still open is finished.
DONE = "done"

#: Seconds between two redraws of the live line (10 a second), see the module docstring.
REDRAW_INTERVAL = 0.1

#: A rate is shown once a phase has lasted this long (seconds): over less, a count gives absurd rates (a
#: batch counted 1 µs after its phase began would be millions a second).
MIN_RATE_SECONDS = 0.01

#: No time left is shown before a run has lasted this long (seconds). Indexing 5,000 generated questions on
#: this project's 2-core machine: the first batch of 1,000 documents is read in 0.4 s (18 % of the input,
#: when reading's rate alone said "0:01 left" of a 22 s run) and analysed by 3.1 s; from then on both phases
#: have a rate and the estimate holds (20.7 s left said at 3.1 s, of 19.1; then 0.8-1.3x the truth).
MIN_ETA_SECONDS = 3.0
#: A phase's own rate counts towards the time left once the phase has lasted this long (seconds).
MIN_PHASE_SECONDS = 1.0
#: Share of a whole index build's time spent writing its last segments, after reading and analysing end:
#: measured at 0.26 and 0.35 building 5,000 generated questions with one process, 0.08 and 0.45 with --jobs 2
#: (20,000 and 5,000), under varying load. Until writing has a rate of its own, the time left counts it as
#: WRITING_SHARE / (1 − WRITING_SHARE) of the reading and analysing before it.
WRITING_SHARE = 0.3

#: Columns assumed when the terminal does not say.
DEFAULT_WIDTH = 80

#: unit → (singular, plural, short form on the live line, whether a rate means something for it).
_UNITS = {
    "documents": ("document", "documents", "docs", True),
    "records": ("record", "records", "records", True),
    "pages": ("page", "pages", "pages", True),
    "segments": ("segment", "segments", "segments", False),
    "legislatures": ("legislature", "legislatures", "legislatures", False),
    "steps": ("step", "steps", "steps", False),
}

#: Extra counts an event may carry and that are shown with its phase (other keys are ignored):
#: key → (singular, plural).
_COUNTS = {"records": ("record", "records"), "questions": ("question", "questions"), "failed": ("failed", "failed")}


def _number(n: int | float) -> str:
    return "{:,}".format(int(n))


def amount(n: int | float, unit: str) -> str:
    """'575.2 MB' for bytes, '5,000' otherwise."""
    return "%.1f MB" % (n / 1e6) if unit == "bytes" else _number(n)


def counted(n: int, unit: str) -> str:
    """'575.2 MB', '5,000 documents', '1 segment' (an unknown unit as it is)."""
    if unit == "bytes":
        return amount(n, unit)
    one, many = _UNITS.get(unit, (unit, unit, unit, True))[:2]
    return ("%s %s" % (_number(n), noun(n, one, many))).rstrip()


def rate_text(per_second: float, unit: str, short: bool = False) -> str:
    """'18.4 MB/s', '2,519 documents/s' ('2,519/s' short), '0.5 pages/s' (below 10, one decimal)."""
    if unit == "bytes":
        return "%.1f MB/s" % (per_second / 1e6)
    figure = "%.1f" % per_second if per_second < 10 else _number(round(per_second))
    if short:
        return figure + "/s"
    return "%s %s/s" % (figure, _UNITS.get(unit, (unit, unit))[1])


def duration(seconds: float) -> str:
    """'31.2 s', '2 min 05 s', '1 h 02 min'."""
    if seconds < 60:
        return "%.1f s" % seconds
    seconds = int(round(seconds))
    if seconds < 3600:
        return "%d min %02d s" % divmod(seconds, 60)
    return "%d h %02d min" % (seconds // 3600, seconds % 3600 // 60)


def time_left(seconds: float) -> str:
    """'0:14', '12:03', '1:02:03' (what a clock shows)."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return ("%d:%02d:%02d" % (hours, rest // 60, rest % 60)) if hours else "%d:%02d" % divmod(rest, 60)


@dataclass
class _Phase:
    name: str
    unit: str
    started: float
    done: int = 0
    total: int | None = None
    counts: dict = field(default_factory=dict)
    finished: bool = False
    ended: float = 0.0
    reported: bool = False  # its summary line written (or dropped by close())
    passed: int = 0  # documents passed over (an event's `unchanged` info): not part of the work to come

    def has_work(self) -> bool:
        return bool(self.done or self.total or self.unit == "steps")

    def elapsed(self, now: float) -> float:
        return (self.ended if self.finished else now) - self.started

    def rate(self, now: float) -> float | None:
        elapsed = self.elapsed(now)
        return self.done / elapsed if elapsed >= MIN_RATE_SECONDS and self.done > 0 else None


class ProgressDisplay:
    """A callable for ``progress=``: takes the events, shows them on `stream` (default: sys.stderr).

    `enabled` None means "when the stream is a terminal"; `live` (the redrawn line) is on only when enabled on
    a terminal. `clock` and `width` are injectable for tests. `later`: the phases still to come after those
    that start the run, each with its share of the run's time (for an index build: {"writing":
    WRITING_SHARE}), counted in the time left until they have a rate of their own. ``close()`` clears the
    live line and drops what is still open (after an error or Ctrl-C, whose message must start on a clean
    line).
    """

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None,
                 clock: Callable[[], float] = time.monotonic, width: int | None = None,
                 interval: float = REDRAW_INTERVAL, later: dict[str, float] | None = None):
        self.stream = stream if stream is not None else sys.stderr
        tty = _isatty(self.stream)
        self.enabled = tty if enabled is None else bool(enabled)
        self.live = self.enabled and tty
        self.clock = clock
        self.width = width
        self.interval = interval
        self.phases: dict[str, _Phase] = {}
        self.later = dict(later or {})
        self._began: float | None = None  # the run's first event
        self.redraws = 0
        self._shown = 0  # length of the live line on the terminal now
        self._drawn_at: float | None = None
        self._idle_since = clock()  # when nothing was under way last (see __call__)

    # -- events ---------------------------------------------------------------------------------------------

    def __call__(self, phase: str, done: int = 0, total: int | None = None, unit: str = "", **info) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if self._began is None:
            self._began = now
        if phase == DONE:
            self.finish_all()
            return
        p = self.phases.get(phase)
        force = False
        if p is None:
            # A phase first heard of with work already done (reading reports every so many records,
            # analysing after its first batch) began before: when the work under way began, the last time
            # nothing was. Its first count over no time would be a rate of thousands a second.
            p = self.phases[phase] = _Phase(phase, unit, started=now if not done else self._idle_since)
            force = True
        elif p.finished:
            if done <= p.done and (total is None or total == p.total):
                return  # the finishing event repeated
            # More of a phase thought finished (another segment written while analysing goes on).
            if p.reported and not p.has_work():
                # It finished with nothing to do (0 of 0) and left no line; now that it has work, it takes
                # its place after the phases already reported (summary lines never go back in time).
                self.phases[phase] = self.phases.pop(phase)
            p.finished = False
            force = p.reported
            p.reported = False
        p.done = max(p.done, int(done))
        if total is not None:
            p.total = int(total)
        if unit:
            p.unit = unit
        for key in _COUNTS:
            if isinstance(info.get(key), int):
                p.counts[key] = info[key]
        if isinstance(info.get("unchanged"), int):
            p.passed = info["unchanged"]
        if p.total is not None and p.done >= p.total:
            p.finished, p.ended = True, now
            self._report()
        elif self.live and (force or self._drawn_at is None or now - self._drawn_at >= self.interval):
            self._draw(now)

    def note(self, text: str) -> None:
        """A line of its own (a retry, a step), above the live line; sanitised."""
        if self.enabled:
            self._line(text)

    def finish_all(self) -> None:
        """The end of a run: every phase still open is finished and leaves its summary line."""
        now = self.clock()
        for p in self.phases.values():
            if not p.finished:
                p.finished, p.ended = True, now
        self._report()

    def close(self) -> None:
        """Clear the live line; phases not reported yet are dropped without a summary."""
        if self.enabled:
            self._clear()
            for p in self.phases.values():
                p.finished = p.reported = True
            self._idle_since = self.clock()

    # -- text -----------------------------------------------------------------------------------------------

    def _estimated_total(self, p: _Phase) -> int | None:
        """Documents in all, from the fraction f of the input read (see the module docstring): the records
        read so far / f when reading counts them (steady: records are read one by one, while documents are
        analysed in batches), else the documents done / f; of those records, only the share the phase does
        not pass over (an update's unchanged documents). Once reading is over, its records are all there is."""
        reading = self.phases.get("reading")
        if p.total is not None or p.unit != "documents" or reading is None or reading is p or not p.done:
            return None
        share = p.done / (p.done + p.passed)
        records = reading.counts.get("records", 0) * share
        if reading.finished:
            return round(max(p.done, records)) if records else None
        if not reading.total or not 0 < reading.done < reading.total:
            return None
        return round(max(p.done, records) * reading.total / reading.done)

    def status(self, p: _Phase, now: float) -> str:
        """One phase on the live line."""
        if p.unit == "steps":
            return "%s…" % p.name
        estimate = self._estimated_total(p)
        total = p.total if p.total is not None else estimate
        short = _UNITS.get(p.unit, (p.unit,) * 3)[2]
        if p.done == 1 and total in (None, 1) and short.endswith("s"):  # '1 doc', '1/1 page'
            short = short[:-1]
        if p.unit == "bytes":
            figure = ("%.1f/%s" % (p.done / 1e6, amount(total, "bytes"))) if total else amount(p.done, "bytes")
        else:
            figure = _number(p.done) + ("/%s%s" % ("~" if estimate is not None else "", _number(total))
                                        if total is not None else "") + (" " + short if short else "")
        if total and estimate is None:
            figure += " %d%%" % (100 * p.done // total)
        parts = [p.name + " " + figure]
        parts += [counted_info(key, n) for key, n in p.counts.items() if n]
        rate = p.rate(now)
        if rate is not None and _UNITS.get(p.unit, (0, 0, 0, True))[3]:
            parts.append(rate_text(rate, p.unit, short=p.unit != "bytes"))
        return ", ".join(parts)

    def run_time_left(self, now: float) -> tuple[float, bool] | None:
        """(seconds the whole run has left, whether that rests on an estimate), or None when there is too
        little to go on (see the module docstring): the phases under way end with the last of them, the
        phases still to come (`later`) add their share of the run."""
        if self._began is None or now - self._began < MIN_ETA_SECONDS:
            return None
        left, estimated, to_come, measured_any = 0.0, False, 0.0, False
        for p in self.phases.values():
            if p.finished or not _UNITS.get(p.unit, (0, 0, 0, True))[3]:
                continue  # done, or without a rate (segments merged, a commit's steps: short)
            estimate = self._estimated_total(p)
            total = p.total if p.total is not None else estimate
            rate = p.rate(now)
            measured = total is not None and rate is not None and p.elapsed(now) >= MIN_PHASE_SECONDS
            if p.name in self.later and not measured:
                continue  # still counted by its share, below
            if total is None:
                return None  # how much there is to do is not known (a FIFO): neither is the time
            if not measured:
                continue  # too young to have a rate worth extrapolating
            left = max(left, max(total - p.done, 0) / rate)
            estimated = estimated or estimate is not None
            measured_any = True
        for name, share in self.later.items():
            p = self.phases.get(name)
            if p is None or (not p.finished and not (p.total is not None and p.rate(now) is not None
                                                       and p.elapsed(now) >= MIN_PHASE_SECONDS)):
                to_come += share
        if not measured_any and not to_come:
            return None  # nothing with a rate under way (a commit's steps): nothing to say
        if to_come:
            elapsed = now - self._began
            left += to_come / (1 - to_come) * (elapsed + left) * self._written_share()
            estimated = True
        return left, estimated

    def _written_share(self) -> float:
        """Of the documents read so far, the share handed on to be written (analysing's count against the
        ones it passed over as unchanged, its `unchanged` info): 1 in a full build, little in an update that
        changes few documents. 1 until analysing has said anything (no estimate is better than a short one)."""
        analysing = self.phases.get("analysing")
        if analysing is None or not analysing.done + analysing.passed:
            return 1.0
        return analysing.done / (analysing.done + analysing.passed)

    def summary(self, p: _Phase) -> str:
        """The line a finished phase leaves: 'reading: 575.2 MB, 101,000 records in 31.2 s, 18.4 MB/s'."""
        elapsed = p.elapsed(p.ended)
        parts = [counted_info(key, n) for key, n in p.counts.items()]
        if p.unit == "steps":  # what is counted is not the steps: 'committing: 1.2 s'
            return "%s: %s" % (p.name, " in ".join(filter(None, (", ".join(parts), duration(elapsed)))))
        what = counted(p.done, p.unit)
        if p.total is not None and p.done < p.total:
            what = "%s of %s" % (amount(p.done, p.unit), counted(p.total, p.unit))
        text = "%s: %s in %s" % (p.name, ", ".join([what] + parts), duration(elapsed))
        rate = p.rate(p.ended)
        if rate is not None and _UNITS.get(p.unit, (0, 0, 0, True))[3]:
            text += ", " + rate_text(rate, p.unit)
        return text

    # -- the terminal ---------------------------------------------------------------------------------------

    def _report(self) -> None:
        """Write the summary lines of the finished phases, in the order the phases started, up to the first
        one still open: a phase finished while an earlier one goes on (writing a segment while analysing)
        stays on the live line, and may go on, until that one is finished — one line per phase, in order."""
        lines = []
        for p in self.phases.values():
            if p.reported:
                continue
            if not p.finished:
                break
            p.reported = True
            if p.has_work():  # a phase with nothing to do (0 of 0) leaves no line
                lines.append(self.summary(p))
        if all(p.reported for p in self.phases.values()):
            self._idle_since = self.clock()
        if lines:
            self._line("\n".join(lines))
        elif self.live:
            self._draw(self.clock())

    def _line(self, text: str) -> None:
        self._clear()
        self._write(safe(text) + "\n")
        if self.live and any(not p.reported for p in self.phases.values()):
            self._draw(self.clock())

    def _draw(self, now: float) -> None:
        active = [p for p in self.phases.values() if not p.reported]
        if not active:
            self._clear()
            return
        parts = [self.status(p, now) for p in active]
        left = self.run_time_left(now)
        if left is not None:
            parts.append("%s%s left" % ("~" if left[1] else "", time_left(left[0])))
        line = safe(" | ".join(parts))[:self._columns() - 1]
        self._write("\r" + line + " " * (self._shown - len(line)))
        self._shown = len(line)
        self._drawn_at = now
        self.redraws += 1

    def _clear(self) -> None:
        if self._shown:
            self._write("\r" + " " * self._shown + "\r")
            self._shown = 0

    def _columns(self) -> int:
        if self.width is not None:
            return self.width
        try:
            return os.get_terminal_size(self.stream.fileno()).columns or DEFAULT_WIDTH
        except (AttributeError, OSError, ValueError):
            return DEFAULT_WIDTH

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except UnicodeEncodeError:  # a terminal that cannot show "…"
            self.stream.write(text.encode("ascii", "replace").decode("ascii"))
            self.stream.flush()


def counted_info(key: str, n: int) -> str:
    one, many = _COUNTS[key]
    return "%s %s" % (_number(n), noun(n, one, many))


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
