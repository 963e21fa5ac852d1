"""Command-line layer of the researcher's workflow: `stats QUERY` (counts, cross tables, answer delays),
`watch` (saved searches and alerts) and the lookups of `show`. The work is done in counting.py, delays.py,
watch.py, atom.py, lookup.py and links.py; this module only parses, prints and sets the exit status (its
~430 lines are those commands' text layouts: counts, cross tables, delays, watch reports)."""
from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import click

from ...wording import noun, plural
from .app import EXIT_ERROR, EXIT_MATCH, EXIT_NO_MATCH, _open_engine, fail, filter_options, _filters, index_option


def _label(value) -> str:
    from ..output import safe
    return safe(str(value))


def _table_text(rows, fmt: str) -> str:
    """csv: RFC 4180 (CRLF line ends, quotes doubled); tsv: tab-separated, no tab or line break in a field.
    Names are made inert as in every table we print."""
    from ..output import safe
    cells = [["" if c is None else (safe(c) if isinstance(c, str) else c) for c in row] for row in rows]
    if fmt == "tsv":
        return "".join("\t".join(" ".join(str(c).split()) for c in row) + "\n" for row in cells)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(cells)
    return buf.getvalue()


def _parse_by(by: str | None) -> tuple:
    from ..engine.counting import ALL_FACETS
    if not by:
        return ()
    names = tuple(n.strip().lower() for n in by.split(",") if n.strip())
    if len(names) != 2 or any(n not in ALL_FACETS for n in names):
        fail("--by takes two facets separated by a comma, among %s (for example minister,year)"
             % ", ".join(ALL_FACETS))
    return names


# -- stats QUERY ----------------------------------------------------------------------------------------

#: Formats of `stats QUERY` (the names of the output layer's formats).
STATS_QUERY_FORMATS = ("text", "json", "jsonl", "csv", "tsv")


def query_stats(text, filters, *, index_dir, fmt="text", top=10, by=None, delays=False, as_of=None, max_cpu=None):
    """`parlsearch stats [QUERY] [filters] [--by A,B] [--delays]`: counts over every match, printed in `fmt`
    (text, json, jsonl: one row an object, csv, tsv: rows as in the output layer's stats tables)."""
    from ..engine.budget import Budget
    from ..engine.counting import FACETS, count_matches
    from ..engine.delays import answer_delays
    from ..output import to_json
    from ..engine.query import QueryError
    if fmt not in STATS_QUERY_FORMATS:
        fail("stats QUERY prints %s, not %s" % (", ".join(STATS_QUERY_FORMATS), fmt))
    pair = _parse_by(by)
    engine = _open_engine(index_dir)
    try:
        with engine:
            budget = Budget(max_cpu)  # None: unbounded
            if delays:
                result = answer_delays(engine, text, filters, as_of=as_of, budget=budget)
            else:
                result = count_matches(engine, text, filters, facets=() if pair else FACETS, by=pair, budget=budget)
    except QueryError as e:
        fail("bad query: %s" % e)
    if fmt == "json":
        out = result.to_dict()
        out.update(query=text, filters=filters.to_dict())
        click.echo(to_json(out))
    elif fmt in ("csv", "tsv", "jsonl"):
        rows = list(_delay_rows(result) if delays else _count_rows(result))
        if fmt == "jsonl":
            for row in rows[1:]:
                click.echo(to_json(dict(zip(rows[0], row))))
        else:
            click.echo(_table_text(rows, fmt), nl=False)
    elif delays:
        _print_delays(result, top)
    else:
        _print_counts(result, text, filters, top)
    sys.exit(EXIT_MATCH if result.total else EXIT_NO_MATCH)


def _count_rows(counts):
    if counts.by:
        columns = list(next(iter(counts.cross.values()), {}))
        yield ["%s\\%s" % counts.by] + columns + ["total"]
        for row, cells in counts.cross.items():
            yield [row] + [cells[c] for c in columns] + [sum(cells.values())]
        return
    yield ["breakdown", "value", "count"]
    yield ["documents", "", counts.total]
    for facet, values in counts.facets.items():
        for value, n in values.items():
            yield [facet, value, n]


def _delay_rows(delays):
    from dataclasses import fields
    from ..engine.delays import DelayRow
    names = [f.name for f in fields(DelayRow)]
    yield names
    for row in delays.rows:
        yield [getattr(row, n) for n in names]


def _print_counts(counts, text, filters, top):
    from ..output import summary_line
    from ..engine.core import SearchResult
    what = " ".join(part for part in (('"%s"' % _label(text)) if text.strip() else "",
                                      _label(filters.as_options())) if part)
    if what:  # the words and the filters, as typed: what was counted
        click.echo("%s %s %s" % (plural(counts.total, "document"), noun(counts.total, "matches", "match"), what))
    else:
        click.echo("%s in the index" % plural(counts.total, "document"))
    if counts.dropped or counts.note:
        click.echo(summary_line(SearchResult(text, counts.total, [], counts.dropped, None, counts.note)))
    if not counts.total:
        return  # no breakdown of nothing
    titles = {"status": "By status", "year": "By year (received)", "minister": "By minister",
              "author": "By author", "type": "By type", "legislature": "By legislature",
              "answer_year": "By year (answered)", "assembly": "By assembly"}
    for facet, values in counts.facets.items():
        rows = list(values.items())
        click.echo("\n%s:" % titles.get(facet, facet))
        for name, n in rows[:top]:
            click.echo("  %6d  %s" % (n, _label(name)))
        if len(rows) > top:
            click.echo("  … %d more (--top N)" % (len(rows) - top))
        if facet == "status":
            _print_answered_meaning(counts)
    if counts.by:
        _print_cross(counts, top)
        if "status" in counts.by:
            _print_answered_meaning(counts)


def _print_answered_meaning(counts) -> None:
    """Status goes by the answer text; delays by the answer date, which may come first: say how many differ."""
    n = counts.answered_without_text
    if n:
        click.echo("  (status is the answer text: %s unanswered here %s a published answer date, which "
                   "stats --delays counts as answered)" % (n, noun(n, "has", "have")))


#: Columns of a cross table shown in text (a terminal line holds about this many 7-character cells).
MAX_TEXT_COLUMNS = 12


def _print_cross(counts, top):
    from ..engine.counting import ORDERED_FACETS
    rows = list(counts.cross.items())
    columns = list(rows[0][1]) if rows else []
    hidden = 0
    if len(columns) > MAX_TEXT_COLUMNS:
        # The latest years (or legislatures), or the largest values of any other facet.
        if counts.by[1] in ORDERED_FACETS:
            keep = columns[-MAX_TEXT_COLUMNS:]
        else:
            totals = {c: sum(cells[c] for _, cells in rows) for c in columns}
            keep = set(sorted(columns, key=lambda c: -totals[c])[:MAX_TEXT_COLUMNS])
            keep = [c for c in columns if c in keep]
        hidden = len(columns) - len(keep)
        columns = keep
    width = min(30, max([len(counts.by[0])] + [len(_label(r)) for r, _ in rows[:top]]))
    cell = min(14, max([6] + [len(_label(c)) for c in columns]))
    click.echo("\n%s × %s:" % counts.by)
    click.echo("  %-*s %s %*s" % (width, counts.by[0], " ".join("%*s" % (cell, _label(c)[:cell]) for c in columns),
                                   cell, "total"))
    for name, cells in rows[:top]:
        click.echo("  %-*s %s %*d" % (width, _label(name)[:width], " ".join("%*d" % (cell, cells[c]) for c in columns),
                                       cell, sum(cells.values())))
    if len(rows) > top:
        click.echo("  … %s (--top N, or --csv for all)" % plural(len(rows) - top, "more row"))
    if hidden:
        click.echo("  (%s not shown; totals count them; --csv for all)" % plural(hidden, "more column"))


def _print_delays(delays, top):
    def num(v):
        return "-" if v is None else str(v)

    click.echo("Answer delays in days, from reception to the answer date the Parliament publishes; "
               "waiting as of %s (%s)" % (delays.as_of.isoformat(), plural(delays.total, "question")))
    if not delays.total:
        return  # no table of nothing
    click.echo("  %-30s %8s %7s %7s %5s %5s %10s %8s %8s" % ("minister", "answered", "no text", "median", "p90",
                                                            "max", "unanswered", "waiting", "longest"))
    rows = delays.rows[:-1]
    for r in rows[:top] + [delays.rows[-1]]:
        click.echo("  %-30s %8d %7s %7s %5s %5s %10d %8s %8s" % (
            _label(r.minister)[:30], r.answered, r.answered_without_text or "-", num(r.median_days),
            num(r.p90_days), num(r.max_days), r.unanswered, num(r.waiting_median_days), num(r.waiting_max_days)))
    if len(rows) > top:
        click.echo("  … %s (--top N)" % plural(len(rows) - top, "more minister"))
    total = delays.rows[-1]
    if total.answered_without_text:
        click.echo("(answered: with a published answer date; no text: %d of them without the answer text yet, "
                   "which stats and --status count as unanswered)" % total.answered_without_text)
    if total.answered_undated:
        click.echo("(%d answered without a published answer date: no delay counted)" % total.answered_undated)
    if total.inconsistent:
        click.echo("(%d with an answer date before the reception date: left out)" % total.inconsistent)
    if total.undated:
        click.echo("(%d without a reception date: left out)" % total.undated)


# -- show -----------------------------------------------------------------------------------------------

def find_document(index_dir, text, legislature, open_page):
    """The document `show` asked for (see lookup.resolve); with --open, opens its official page and exits."""
    from ..links import official_url
    from ..engine.lookup import LookupError_, resolve
    from ..output import safe
    with _open_engine(index_dir) as engine:
        try:
            doc = resolve(engine, text, legislature)
        except LookupError_ as e:
            click.echo("parlsearch: %s" % safe(str(e)), err=True)
            for d in e.candidates:
                click.echo("  %s  %s  %s" % (safe(d.id), safe(d.legislature or "?"), safe(d.subject)[:70]), err=True)
            sys.exit(EXIT_NO_MATCH)
    if open_page:
        import webbrowser
        url = official_url(doc.url)
        if not url:
            fail("%s has no official page URL" % safe(doc.id))
        click.echo(url)
        if not webbrowser.open(url):
            fail("no web browser could be started; open %s yourself" % url)
        sys.exit(EXIT_MATCH)
    return doc


# -- watch ----------------------------------------------------------------------------------------------

@click.group("watch")
def watch_group():
    """Saved searches and alerts: what is new, or newly answered, since the last run.

    \b
      parlsearch watch add stib 'STIB retard' --since 2025
      parlsearch watch run            # exit 0: news, 1: nothing new, 2: error
      parlsearch watch run --atom ~/feeds
    Saved searches: $XDG_CONFIG_HOME/parlsearch/watches.toml (editable); what they have seen:
    $XDG_STATE_HOME/parlsearch/watches/.
    """


@watch_group.command("add")
@click.argument("name")
@click.argument("words", nargs=-1)
@filter_options
@index_option
@click.option("--replace", is_flag=True, help="Replace a saved search of that name (its next run is a baseline).")
def watch_add(name, words, assembly, since, until, author, minister, status, answered_since, answered_until,
              index_dir, replace):
    """Save the search WORDS [filters] as NAME (same query language and filters as `search`).

    The query is checked against the index (--index DIR, else the default one when it exists; none is
    built) as `search` would read it, and the number of documents it matches now is shown.
    """
    from ..watch.saved import Watch, WatchError, add_watch, config_path
    watch = Watch(name, " ".join(words), _filters(assembly, since, until, author, minister, status, answered_since,
                                                   answered_until))
    if watch.query.strip():
        from ..engine.query import QueryError, check_balanced
        try:
            check_balanced(watch.query)
        except QueryError as e:
            fail("bad query: %s" % e)
    matching = _matches_now(watch, index_dir)
    try:
        add_watch(watch, replace=replace)
    except WatchError as e:
        fail(str(e))
    except OSError as e:
        fail("cannot write %s: %s" % (config_path(), e.strerror or e))
    if matching is None:
        click.echo("saved %s in %s; its first run records what matches then" % (name, config_path()))
    else:
        click.echo("saved %s in %s; %s now, which its first run records as seen"
                   % (name, config_path(), plural(matching, "document matches", "documents match")))


def _matches_now(watch, index_dir) -> int | None:
    """How many documents the saved search matches in the index now (a bad query fails as in `search`);
    None when there is no index to ask: the default location is not built by `watch add`."""
    from ...index.store import builds_on_first_use
    from ..engine.counting import find_matches
    from ..engine.query import QueryError
    if builds_on_first_use(index_dir):
        return None
    with _open_engine(index_dir, build_if_missing=False) as engine:
        try:
            return len(find_matches(engine, watch.query, watch.filters).docnums)
        except QueryError as e:
            fail("bad query: %s" % e)


@watch_group.command("remove")
@click.argument("name")
def watch_remove(name):
    """Forget the saved search NAME (and what it has seen)."""
    from ..watch.saved import WatchError, remove_watch
    try:
        remove_watch(name)
    except WatchError as e:
        fail(str(e))
    click.echo("removed %s" % name)


@watch_group.command("list")
@click.option("--json", "as_json", is_flag=True,
              help='One JSON object: "config" (the file) and "watches", each with its name, query, filters, '
                   'last run and how many documents it has seen.')
def watch_list(as_json):
    """The saved searches, with when each last ran."""
    from ..output import safe, to_json
    from ..watch.saved import WatchError, config_path, load_state, load_watches
    try:
        watches = load_watches()
        states = {w.name: load_state(w.name) for w in watches}
    except WatchError as e:
        fail(str(e))
    rows = [{"name": w.name, "query": w.query, "filters": w.filters.to_dict(),
             "last_run": (states[w.name] or {}).get("last_run"),
             "seen": len((states[w.name] or {}).get("seen", {}))} for w in watches]
    if as_json:
        click.echo(to_json({"config": str(config_path()), "watches": rows}))
        return
    if not rows:
        click.echo("no saved search (parlsearch watch add NAME QUERY); file: %s" % config_path())
        sys.exit(EXIT_NO_MATCH)
    names = [safe(w.name) for w in watches]
    width = max(map(len, names))  # one column of names, whatever their length
    for name, w, r in zip(names, watches, rows):
        what = " ".join(part for part in (safe(w.query).strip(), safe(w.filters.as_options())) if part)
        click.echo("%-*s  %s  (last run: %s, %d seen)" % (width, name, what, r["last_run"] or "never", r["seen"]))


@watch_group.command("run")
@click.argument("names", nargs=-1)
@index_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object: every saved search and its news.")
@click.option("--jsonl", "as_jsonl", is_flag=True, help="One JSON line per new or newly answered document.")
@click.option("--atom", "atom_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Write DIR/NAME.atom, one Atom feed per saved search.")
def watch_run(names, index_dir, as_json, as_jsonl, atom_dir):
    """Run the saved searches NAMES (default: all) and report what is new or newly answered since their
    previous run. The first run of a search records a baseline and reports nothing."""
    from ..watch.saved import RunLock, WatchError, load_watches
    if as_json and as_jsonl:
        fail("--json and --jsonl are exclusive")
    try:
        watches = load_watches()
    except WatchError as e:
        fail(str(e))
    if names:
        unknown = [n for n in names if n not in {w.name for w in watches}]
        if unknown:
            fail("no saved search named %s" % ", ".join(repr(n) for n in unknown))
        watches = [w for w in watches if w.name in names]
    if not watches:
        fail("no saved search yet (parlsearch watch add NAME QUERY)")
    errors = []
    reports = []
    try:
        # The lock is held until the state is saved: a run that starts once this one has reported but not yet
        # saved would read the old state and announce the same news again.
        with RunLock():
            _run_watches(watches, index_dir, as_json, as_jsonl, atom_dir, reports, errors)
    except WatchError as e:  # the lock is taken by another run (each saved search's errors are in `errors`)
        fail(str(e))
    if errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_MATCH if any(r.events for r in reports) else EXIT_NO_MATCH)


def _run_watches(watches, index_dir, as_json, as_jsonl, atom_dir, reports, errors):
    """Check, report, then save each saved search's state (and feed), under the run lock."""
    from ..watch.atom import feed_xml
    from ..engine.query import QueryError
    from ..watch.saved import WatchError, check_watch, load_state, pause_for_tests, save_state, write_atomically
    with _open_engine(index_dir) as engine:  # one searcher: one committed view of the index
        for watch in watches:
            try:
                reports.append(check_watch(engine, watch, load_state(watch.name)))
            except (QueryError, WatchError) as e:
                errors.append("%s: %s" % (watch.name, e))
    _print_run(reports, as_json, as_jsonl)
    for message in errors:
        click.echo("parlsearch: error: %s" % message, err=True)
    sys.stdout.flush()
    pause_for_tests("before-commit")
    try:
        for report in reports:  # only now that the news has been written out
            if atom_dir:
                write_atomically(Path(atom_dir) / (report.watch.name + ".atom"),
                                 feed_xml(report.watch.name, report.watch.query, report.new_state["entries"],
                                          report.new_state["last_run"]))
            save_state(report.watch.name, report.new_state)
    except OSError as e:
        fail("cannot save the state of the saved searches: %s (%s)" % (e.strerror or e, e.filename))


def _print_run(reports, as_json, as_jsonl):
    from ..links import official_url, hyperlink, terminal_supports_links
    from ..output import safe, to_json
    if as_json:
        click.echo(to_json({"watches": [r.to_dict() for r in reports],
                            "news": sum(len(r.events) for r in reports)}))
        return
    if as_jsonl:
        for r in reports:
            for e in r.events:
                click.echo(to_json(dict(e.to_dict(), watch=r.watch.name)))
        return
    links = terminal_supports_links()
    for r in reports:
        name = safe(r.watch.name)
        if r.baseline:
            click.echo("%s: baseline recorded (%s); news from the next run on"
                       % (name, plural(r.matches, "matching document")))
            continue
        new = sum(1 for e in r.events if e.kind == "new")
        answered = len(r.events) - new
        click.echo("%s: %d new, %d newly answered (%d matching)" % (name, new, answered, r.matches))
        for e in r.events:
            d = e.doc
            date = d.date_answered if e.kind == "answered" else d.date_received
            click.echo("  %-8s %s  %s" % (e.kind, date.isoformat() if date else "????-??-??",
                                          safe(d.subject or d.title)[:100]))
            click.echo("           %s → %s · %s" % (safe(d.author) or "?", safe(d.minister) or "?", safe(d.id)))
            url = official_url(d.url)
            if url:
                click.echo("           " + hyperlink(url, enabled=links))
