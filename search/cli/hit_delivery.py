"""How many hits `search` writes, and how: a screenful on a terminal; every match, up to a bound, when a format
for programs (csv, tsv, json, jsonl, line) goes into a pipe or a file, read and written chunk by chunk; and one
line on stderr whenever such a format leaves matches out. The command line (app.py) only chooses.

A script author piping `search --csv` expects every row, as sqlite-utils and the web page's CSV download give;
a person at a terminal expects a screenful. Either way, `-n N` is obeyed, and nothing is cut silently.
"""
from __future__ import annotations

from typing import Callable

import click

from ...wording import plural

#: Hits shown by default on a terminal (a screenful), and in `text` anywhere.
SCREEN_HITS = 10
#: What a format for programs writes by default into a pipe or a file: every match, up to this many (the web
#: page's CSV download has the same bound). The bound keeps a `search --csv '*'` over a large index to
#: seconds: 10,000 hits of the 20,000-document benchmark corpus take 1.3-1.8 s of CPU.
MAX_MACHINE_HITS = 10_000
#: Hits asked of the engine at a time when writing into a pipe or a file, each chunk written before the next
#: is read. On the 20,000-document benchmark corpus, `search --csv '*'` (10,000 hits) peaks at 40 MB of
#: Python heap in chunks of 1,000 against 238 MB at once (tracemalloc); each further chunk costs one more
#: ranking of the matches (~10-40 ms, against ~0.1 ms a hit to load and write).
CHUNK_HITS = 1000


def default_limit(fmt: str, tty: bool) -> tuple[int, str]:
    """(hits to write when -n is not given, the reason as the left-out line says it)."""
    if fmt != "text" and not tty:
        return MAX_MACHINE_HITS, "%s by default in a pipe or a file" % "{:,}".format(MAX_MACHINE_HITS)
    return SCREEN_HITS, "%d by default on a terminal" % SCREEN_HITS


def write_in_chunks(run: Callable, first, offset: int, limit: int, fmt: str, style, color: bool) -> int:
    """Write `first` (the result of `run(offset, n)` for the first chunk) and the further chunks up to `limit`
    hits in format `fmt`, each read from the engine (`run(at, n)`, the same view of the index) only once the
    previous one is written. Returns how many hits were written."""
    from ..output import stream_hits
    written = len(first.hits)

    def more():
        nonlocal written
        while written < limit and offset + written < first.total:
            hits = run(offset + written, min(CHUNK_HITS, limit - written)).hits
            if not hits:
                return
            written += len(hits)
            yield hits

    for piece in stream_hits(first, more(), fmt, style):
        click.echo(piece, nl=False, color=color)
    return written


def say_what_was_left_out(total: int, offset: int, written: int, why: str) -> None:
    """One line on stderr when matches after --offset were not written: how many, why (`-n 5`, `10 by
    default on a terminal`) and how to get them. Nothing when every one was."""
    after = total - offset - written
    if after > 0:
        click.echo("parlsearch: %d of %s not written (%s); -n N or --offset %d for more"
                   % (after, plural(total, "match", "matches"), why, offset + written), err=True)
