"""Aligned horizontal bars for `stats --by FACET` and `stats --delays` when stdout is a terminal.

Piped or redirected output keeps the plain numbers (a bar is no number a script can read); --json, --csv
are unchanged. Bars are whole blocks with an eighth-block end (█ ▉ … ▏), so a bar's length is its value to
1/8 of a cell; on a terminal whose encoding cannot write them, `#` and `=`. Labels are made inert (control
characters removed) and cut to LABEL_CELLS; the bars fill what the terminal's width leaves.
"""
from __future__ import annotations

import shutil

from ..output import safe

#: Widest label column (longer names end with "…").
LABEL_CELLS = 30
#: Narrowest bar area, whatever the terminal's width.
MIN_BAR_CELLS = 10
_EIGHTHS = " ▏▎▍▌▋▊▉"


def _label(value, cells: int) -> str:
    text = " ".join(safe(str(value)).split())
    return text if len(text) <= cells else text[:cells - 1] + "…"


def unicode_ok(stream) -> bool:
    """Whether `stream` can write the block characters."""
    try:
        "█▏─".encode(getattr(stream, "encoding", None) or "ascii")
        return True
    except (UnicodeEncodeError, LookupError):
        return False


def bar(value: float, scale: float, unicode: bool = True) -> str:
    """`value` × `scale` cells of bar (eighths of a cell in Unicode)."""
    cells = max(0.0, value * scale)
    whole = int(cells)
    if not unicode:
        return "#" * int(round(cells))
    part = _EIGHTHS[int(round((cells - whole) * 8))] if whole < cells else ""
    return ("█" * whole + part.strip()) if part.strip() else "█" * whole


def count_bars(rows, width: int | None = None, unicode: bool = True) -> list[str]:
    """One line per (label, count): label, count right-aligned, then its bar (the largest fills the area)."""
    rows = list(rows)
    if not rows:
        return []
    width = width or shutil.get_terminal_size((100, 24)).columns
    label_cells = min(LABEL_CELLS, max(len(_label(r[0], LABEL_CELLS)) for r in rows))
    number_cells = max(len(str(r[1])) for r in rows)
    bar_cells = max(MIN_BAR_CELLS, width - label_cells - number_cells - 6)
    scale = bar_cells / max(max(r[1] for r in rows), 1)
    return ["  %-*s %*d %s" % (label_cells, _label(name, label_cells), number_cells, n, bar(n, scale, unicode))
            for name, n in rows]


def delay_bars(rows, width: int | None = None, unicode: bool = True) -> list[str]:
    """One line per DelayRow with answers: minister, median (quartiles), share late, then a bar to the
    median continued by a whisker to the third quartile."""
    rows = [r for r in rows if r.median_days is not None]
    if not rows:
        return []
    width = width or shutil.get_terminal_size((100, 24)).columns
    label_cells = min(LABEL_CELLS, max(len(_label(r.minister, LABEL_CELLS)) for r in rows))
    texts = ["%d (%d–%d)" % (r.median_days, r.p25_days, r.p75_days) if unicode else
             "%d (%d-%d)" % (r.median_days, r.p25_days, r.p75_days) for r in rows]
    shares = ["%3d%% late" % round(100 * r.late_share) if r.late_share is not None else "   - late" for r in rows]
    text_cells = max(len(t) for t in texts)
    bar_cells = max(MIN_BAR_CELLS, width - label_cells - text_cells - len(shares[0]) - 8)
    scale = bar_cells / max(max(r.p75_days for r in rows), 1)
    out = []
    for r, text, share in zip(rows, texts, shares):
        drawn = bar(r.median_days, scale, unicode)
        whisker = max(0, int(round(r.p75_days * scale)) - len(drawn))
        out.append("  %-*s %*s %s %s%s" % (label_cells, _label(r.minister, label_cells), text_cells, text, share,
                                          drawn, ("─" if unicode else "-") * whisker))
    return out
