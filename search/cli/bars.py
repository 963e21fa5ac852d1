"""The command line's side of charts: bars printed on a terminal (terminal_bars.py) and the chart
file of `stats --chart` (chart_file.py). Kept apart from workflow.py so that pygal is imported
only when a count or delay chart file is asked for (the start-up of every other command does not pay its
~60 ms; the timeline's file does not need it)."""
from __future__ import annotations

import sys

import click


def print_count_bars(rows) -> None:
    from .terminal_bars import count_bars, unicode_ok
    for line in count_bars(rows, unicode=unicode_ok(sys.stdout)):
        click.echo(line)


def print_delay_bars(delays, top: int) -> None:
    from .terminal_bars import delay_bars, unicode_ok
    rows = [r for r in delays.rows[:-1] if r.median_days is not None][:top] + [delays.rows[-1]]
    lines = delay_bars(rows, unicode=unicode_ok(sys.stdout))
    if lines:
        click.echo("\nMedian days to answer (first–third quartile), share late, bar to the median and whisker "
                   "to the third quartile:" if unicode_ok(sys.stdout) else
                   "\nMedian days to answer (quartiles), share late:")
        for line in lines:
            click.echo(line)


def write_stats_chart(engine, path, text, filters, by, delays, as_of, budget, options) -> None:
    """Write the chart of `stats … --chart PATH`; a user error (a cross table, an extension, no PNG
    library, an unwritable path) is one line and exit 2."""
    from .app import fail
    from ..chart_common import write_chart
    from .chart_file import stats_chart
    try:
        svg = stats_chart(engine, text, filters, by=tuple(by or ()), delays=delays, as_of=as_of, budget=budget,
                          options=options)
        kind = write_chart(svg, path)
    except ValueError as e:
        fail(str(e))
    except OSError as e:
        fail("cannot write the chart to %s: %s" % (click.format_filename(str(path)), e.strerror or e))
    click.echo("chart written to %s (%s)" % (click.format_filename(str(path)), kind.upper()), err=True)
