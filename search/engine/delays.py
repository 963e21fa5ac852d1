"""Answer delays per minister: days from reception to answer, and how long unanswered questions have waited.

The answer date is the one the Parliament publishes with the answer (`date_answered` of the record); the
reception date is the Parliament's `date_received`. Both are read from the index's columns.

As of a date D (today by default), a question counts only if it was received on or before D; it is answered
when it has a published answer date on or before D, or an answer text but no date ("answered, undated": no
delay can be computed); otherwise it is still waiting, for D − reception days. A question answered after D
was therefore still waiting on D, so a past --as-of gives the picture as it was then.

"Answered" here means a published answer date, which the Parliament sometimes publishes before the answer
text: such a question counts as answered for its delay, while `stats` (status, `--by …,status`), `search
statut:repondu` and `--status answered` — which go by the answer *text* — count it unanswered. Each row says
how many of its answered questions have no text yet (`answered_without_text`), so the two views reconcile.

Median and 90th percentile use the nearest-rank method on whole days: the p90 is a delay that some
question really had (the 90th percentile of [10, 20, …, 100] is 90), never an interpolation.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import asdict, dataclass

from .counting import UNKNOWN, match_mask

#: Label of the row over all ministers.
ALL = "(all)"


def nearest_rank(sorted_values: list[int], share: float) -> int | None:
    """The value at rank ceil(share × n) of an ascending list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class DelayRow:
    minister: str
    answered: int  # with a published answer date, on or before as_of
    median_days: int | None
    p90_days: int | None
    max_days: int | None
    answered_undated: int  # an answer text without a published date
    unanswered: int  # received on or before as_of and not answered then
    waiting_median_days: int | None
    waiting_max_days: int | None
    undated: int  # no reception date: neither delay nor wait can be computed
    inconsistent: int  # answer dated before the reception: a record error, left out of the delays
    answered_without_text: int = 0  # of `answered`: the answer text not published yet (status unanswered)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Delays:
    as_of: dt.date
    total: int  # matches considered (received on or before as_of, or without a reception date)
    rows: list[DelayRow]  # per minister, most unanswered first; the last row is ALL

    def to_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "total": self.total, "ministers": [r.to_dict() for r in self.rows]}


def _row(name: str, delays: list[int], waits: list[int], undated_answers: int, undated: int,
         inconsistent: int, without_text: int) -> DelayRow:
    delays.sort()
    waits.sort()
    return DelayRow(name, len(delays), nearest_rank(delays, 0.5), nearest_rank(delays, 0.9),
                    delays[-1] if delays else None, undated_answers, len(waits), nearest_rank(waits, 0.5),
                    waits[-1] if waits else None, undated, inconsistent, without_text)


def _dates(days) -> list:
    """Day ordinals (0: none) as dates (None)."""
    cache: dict = {}
    return [cache.setdefault(o, dt.date.fromordinal(o) if o > 0 else None) for o in days.tolist()]


def answer_delays(engine, text: str = "", filters=None, as_of: dt.date | None = None, budget=None) -> Delays:
    """Delays per minister over every match of `text` + `filters` (the whole index when both are empty);
    `budget` bounds the search's work as in search.counting.find_matches."""
    as_of = as_of or dt.date.today()
    _, mask = match_mask(engine, text, filters, budget)
    view = engine.view
    codes, names = view.codes("minister_facet")
    ministers = [names[c] or UNKNOWN for c in codes[mask]]
    codes, names = view.codes("status_facet")
    statuses = [names[c] or UNKNOWN for c in codes[mask]]
    received = _dates(view.days("date_received")[mask])
    answered = _dates(view.days("date_answered")[mask])
    delays, waits = defaultdict(list), defaultdict(list)
    undated_answers, undated, inconsistent = defaultdict(int), defaultdict(int), defaultdict(int)
    without_text = defaultdict(int)
    total = 0
    for minister, status, got, answer in zip(ministers, statuses, received, answered):
        if got is not None and got > as_of:
            continue  # not yet asked on that date
        total += 1
        for key in (minister, ALL):
            if answer is not None and answer <= as_of:
                if got is None:
                    undated[key] += 1
                elif answer < got:
                    inconsistent[key] += 1
                else:
                    delays[key].append((answer - got).days)
                    if status != "answered":
                        without_text[key] += 1
            elif answer is None and status == "answered":
                undated_answers[key] += 1
            elif got is None:
                undated[key] += 1
            else:
                waits[key].append((as_of - got).days)
    names = set(delays) | set(waits) | set(undated_answers) | set(undated) | set(inconsistent)
    names.discard(ALL)
    rows = [_row(n, delays[n], waits[n], undated_answers[n], undated[n], inconsistent[n], without_text[n])
            for n in names]
    rows.sort(key=lambda r: (-r.unanswered, -(r.median_days or 0), r.minister))
    rows.append(_row(ALL, delays[ALL], waits[ALL], undated_answers[ALL], undated[ALL], inconsistent[ALL],
                     without_text[ALL]))
    return Delays(as_of, total, rows)
