"""The `parlsearch` command line: a thin click layer over corpus, index and search.

Exit status follows grep: 0 something matched, 1 nothing matched, 2 an error.
"""
from __future__ import annotations

import datetime as dt
import os
import sys

import click

from .. import __version__

EXIT_MATCH, EXIT_NO_MATCH, EXIT_ERROR = 0, 1, 2


def fail(message: str) -> None:
    """One line on stderr, exit status 2."""
    click.echo("parlsearch: error: %s" % message, err=True)
    sys.exit(EXIT_ERROR)


index_option = click.option(
    "--index", "index_dir", metavar="DIR", envvar=None,
    help="Index directory (default: $PARLSEARCH_INDEX, else $XDG_DATA_HOME/parlsearch/index).")


def _want_color(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never":
        return False
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _emit(lines: list[str], use_pager: bool, color: bool) -> None:
    """Print, through a pager when on a terminal and longer than the screen. `color` keeps our escape
    codes (click strips them otherwise when stdout is not a terminal)."""
    text = "\n".join(lines)
    if use_pager and sys.stdout.isatty():
        height = click.get_terminal_size()[1] if hasattr(click, "get_terminal_size") else \
            os.get_terminal_size().lines
        if len(lines) > height - 1:
            click.echo_via_pager(text + "\n", color=color)
            return
    click.echo(text, color=color)


class LazyGroup(click.Group):
    """A group whose heavier optional commands are imported only when used (keeps start-up fast)."""

    lazy = {"fetch": ("parlsearch.search.cli_fetch", "fetch_command")}

    def invoke(self, ctx):
        # An index problem met while a command runs (a directory that is not an index, a damaged segment found
        # while reading) is one line, exit 2. The store is only consulted when it was used (no import here).
        try:
            return super().invoke(ctx)
        except Exception as e:
            store = sys.modules.get(__name__.rsplit(".", 2)[0] + ".index.store")
            problem = None if store is None else e if isinstance(e, store.IndexProblem) else store.read_failure(e)
            if problem is None:
                raise
            fail(str(problem))

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx, name):
        if name in self.lazy and name not in self.commands:
            import importlib
            module, attr = self.lazy[name]
            try:
                self.add_command(getattr(importlib.import_module(module), attr), name)
            except ImportError:
                return None
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="parlsearch")
def cli():
    """Search the written questions and answers of the Brussels Parliament.

    \b
    First search:   parlsearch search "stationnement vélo"
    (the index is built from the bundled corpus on first use)
    """


# -- index --------------------------------------------------------------------------------------------

def _open_engine(index_dir, build_if_missing: bool = True):
    """Open the index, building it from the bundled corpus when there is none yet at the default location."""
    from ..index.store import IndexProblem, builds_on_first_use, resolve_index_dir
    from .engine import Engine
    path = resolve_index_dir(index_dir)
    if build_if_missing and builds_on_first_use(index_dir):
        from ..index.update import update_index
        click.echo("parlsearch: no index at %s yet; building it from the bundled corpus…" % path, err=True)
        try:
            update_index(None, path)
        except IndexProblem as e:
            fail(str(e))
        except OSError as e:
            fail("cannot build the index at %s: %s" % (path, e.strerror or e))
    try:
        return Engine.open(path)
    except IndexProblem as e:
        fail(str(e))
    except OSError as e:
        fail("cannot open the index at %s: %s" % (path, e.strerror or e))


class _ReadCounter:
    """A live count of the records (and pages) read, on a terminal's stderr (the total is not known in advance:
    JSON Lines files are streamed)."""

    def __init__(self):
        import time
        self.clock = time.monotonic
        self.count = 0
        self.shown = 0.0

    def __call__(self, n: int) -> None:
        self.count += n
        now = self.clock()
        if now - self.shown > 0.1:
            self.shown = now
            click.echo("\rReading… %d records" % self.count, nl=False, err=True)

    def close(self) -> None:
        click.echo("\rRead %d records.%s" % (self.count, " " * 12), err=True)


@cli.command("index")
@click.argument("paths", nargs=-1, type=click.Path())
@index_option
@click.option("--rebuild", is_flag=True, help="Start afresh (replaces the index in one atomic commit).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Writer processes for large inputs (whoosh's multiprocess writer).")
@click.option("--wait", type=click.FloatRange(0), default=0.0, metavar="SECONDS",
              help="Wait up to SECONDS for another writer to finish instead of failing.")
@click.option("--quiet", "-q", is_flag=True, help="Only the summary line (and problems).")
@click.option("--problems", "show_problems", type=click.IntRange(0), default=20, show_default=True,
              help="How many problems to list.")
def index_command(paths, index_dir, rebuild, jobs, wait, quiet, show_problems):
    """Index PATHS (files or directories; default: the bundled corpus).

    New documents are added, changed ones updated (by content hash), unchanged ones left alone. Every run
    is one atomic commit: a run that dies leaves the previous commit searchable.
    """
    from ..index.store import IndexProblem
    from ..index.update import update_index
    counter = _ReadCounter() if sys.stderr.isatty() and not quiet else None
    try:
        summary = update_index(list(paths) or None, index_dir, rebuild=rebuild, jobs=jobs, wait=wait,
                               progress=counter)
    except IndexProblem as e:
        fail(str(e))
    except OSError as e:
        fail("cannot write the index: %s" % (e.strerror or e) + (" (%s)" % e.filename if e.filename else ""))
    finally:
        if counter is not None:
            counter.close()
    for problem in summary.problems[:show_problems]:
        click.echo("%s: %s" % ("rejected" if problem.rejected else "warning", problem), err=True)
    if len(summary.problems) > show_problems:
        click.echo("… and %d more problems" % (len(summary.problems) - show_problems), err=True)
    click.echo(summary.line())


# -- search -------------------------------------------------------------------------------------------

def _date_filter(since, until):
    from whoosh.query import DateRange
    if not since and not until:
        return None
    start = dt.datetime.combine(since, dt.time.min) if since else None
    end = dt.datetime.combine(until, dt.time.max) if until else None
    return DateRange("date_received", start, end)


def _name_filter(field: str, name: str | None):
    from whoosh.query import And, Term
    from ..index.analysis import analyze
    if not name:
        return None
    terms = analyze(name, "names", index=True)
    if not terms:
        return None
    return And([Term(field, t) for t in terms])


class _Date(click.ParamType):
    name = "DATE"

    def convert(self, value, param, ctx):
        from ..corpus.model import parse_date
        from .query import QueryError, period
        if isinstance(value, dt.date):
            return value
        text = value.strip()
        try:
            if (len(text) == 4 and text.isdigit()) or (len(text) == 7 and text[4] == "-"):
                first, last = period(text)  # a year or a month: its first day for --since, last for --until
                return first if param.name == "since" else last
            d = parse_date(text)
            if d is None:
                raise ValueError("empty date")
            return d
        except (ValueError, QueryError):
            self.fail("%r is not a date (use 2026, 2026-06 or 2026-06-01)" % value, param, ctx)


@cli.command("search", context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1)
@index_option
@click.option("--limit", "-n", type=click.IntRange(0), default=10, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@click.option("--sort", type=click.Choice(["relevance", "date", "-date"]), default="relevance", show_default=True,
              help="date: oldest first; -date: newest first.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: query, total, dropped, hits.")
@click.option("--jsonl", "as_jsonl", is_flag=True, help="One JSON hit per line.")
@click.option("--since", type=_Date(), help="Received on or after DATE.")
@click.option("--until", type=_Date(), help="Received on or before DATE.")
@click.option("--author", help="Author name (accents and case ignored).")
@click.option("--minister", help="Minister name (accents and case ignored).")
@click.option("--status", type=click.Choice(["answered", "unanswered", "repondu", "sans-reponse"]))
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
@click.option("--pager/--no-pager", default=True, help="Page long output on a terminal.")
def search_command(words, index_dir, limit, offset, sort, as_json, as_jsonl, since, until, author, minister,
                   status, color, pager):
    """Ranked search. WORDS form one query; see the README for the query language:

    \b
      parlsearch search stationnement vélo
      parlsearch search '"parc du Cinquantenaire"' --since 2026
      parlsearch search 'auteur:maison statut:repondu logement'
    """
    from whoosh.query import Term
    from .output import Style, render_hits, result_dict, to_json, hit_dict
    from .query import QueryError
    if as_json and as_jsonl:
        fail("--json and --jsonl are exclusive")
    text = " ".join(words)
    filters = [_date_filter(since, until), _name_filter("author", author), _name_filter("minister", minister)]
    if status:
        filters.append(Term("status", "answered" if status in ("answered", "repondu") else "unanswered"))
    if not text.strip() and not any(filters):
        fail("no query: give words to search for, or a filter such as --author or --since")
    engine = _open_engine(index_dir)
    try:
        with engine:
            result = engine.search(text, limit=limit, offset=offset, sort=sort, filters=filters)
    except QueryError as e:
        fail("bad query: %s" % e)
    if as_json:
        click.echo(to_json(result_dict(result)))
    elif as_jsonl:
        for hit in result.hits:
            click.echo(to_json(hit_dict(hit)))
    else:
        style = Style(_want_color(color))
        _emit(render_hits(result, style), pager, style.enabled)
    sys.exit(EXIT_MATCH if result.total else EXIT_NO_MATCH)


# -- show / similar -----------------------------------------------------------------------------------

@cli.command("show")
@click.argument("doc_id")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Every field of the document as JSON.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
@click.option("--pager/--no-pager", default=True)
def show_command(doc_id, index_dir, as_json, color, pager):
    """Show one document by id (PRB-1-170312) or official code (170312)."""
    from .output import Style, render_document, to_json
    with _open_engine(index_dir) as engine:
        doc = engine.get(doc_id.strip())
    if doc is None:
        click.echo("parlsearch: no document with id or code %r" % doc_id, err=True)
        sys.exit(EXIT_NO_MATCH)
    if as_json:
        click.echo(to_json(doc.to_dict()))
    else:
        style = Style(_want_color(color))
        _emit(render_document(doc, style), pager, style.enabled)


@cli.command("similar")
@click.argument("doc_id")
@index_option
@click.option("--limit", "-n", type=click.IntRange(1), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
def similar_command(doc_id, index_dir, limit, as_json, color):
    """Questions most like DOC_ID: has this been asked before?"""
    from .engine import SearchResult
    from .output import Style, render_hits, result_dict, to_json
    with _open_engine(index_dir) as engine:
        try:
            hits = engine.similar(doc_id.strip(), limit=limit)
        except KeyError:
            click.echo("parlsearch: no document with id or code %r" % doc_id, err=True)
            sys.exit(EXIT_NO_MATCH)
    result = SearchResult("similar:%s" % doc_id, len(hits), hits)
    if as_json:
        click.echo(to_json(result_dict(result)))
    else:
        style = Style(_want_color(color))
        _emit(render_hits(result, style), False, style.enabled)
    sys.exit(EXIT_MATCH if hits else EXIT_NO_MATCH)


# -- eval ---------------------------------------------------------------------------------------------

@cli.command("eval")
@click.argument("judgments", type=click.Path(exists=True, dir_okay=False))
@index_option
@click.option("--json", "as_json", is_flag=True, help="Per-case results, totals per kind and MRR as JSON.")
@click.option("--min-pass", type=click.IntRange(0), help="Exit 1 when fewer cases pass (default: all must pass).")
def eval_command(judgments, index_dir, as_json, min_pass):
    """Run judged queries (JSON Lines: id, kind, q, expect, max_rank) and report pass/fail, ranks and MRR."""
    from .evaluate import evaluate, load_judgments
    from .output import safe, to_json
    try:
        cases = load_judgments(judgments)
    except ValueError as e:
        fail(str(e))
    with _open_engine(index_dir) as engine:
        report = evaluate(engine, cases)
    if as_json:
        click.echo(to_json(report.to_dict()))
    else:
        for c in report.cases:
            want = "no result" if c.expect is None else "/".join(c.expect) + " within %d" % c.max_rank
            status = "pass" if c.passed else "FAIL"
            click.echo("%s %-10s %-15s rank %-4s %-40s want %s, top %s" % (
                status, c.id, c.kind, c.rank or "-", safe(c.query)[:40], want, ", ".join(c.top) or "none"))
        click.echo("")
        for kind, (ok, total) in report.by_kind().items():
            click.echo("  %-16s %d/%d" % (kind, ok, total))
        click.echo("pass=%d/%d MRR=%.3f" % (report.passed, len(report.cases), report.mrr))
    need = len(report.cases) if min_pass is None else min_pass
    sys.exit(EXIT_MATCH if report.passed >= need else EXIT_NO_MATCH)


# -- stats --------------------------------------------------------------------------------------------

@cli.command("stats")
@index_option
@click.option("--json", "as_json", is_flag=True, help='A JSON object; "documents" is the document count.')
@click.option("--top", type=click.IntRange(1), default=10, show_default=True, help="Rows per breakdown.")
def stats_command(index_dir, as_json, top):
    """Documents in the index: by status, minister, author and year."""
    from ..index.stats import index_stats
    from .output import to_json
    engine = _open_engine(index_dir)
    with engine:
        stats = index_stats(engine.ix)
    stats["index"] = str(engine.ix.storage.folder)
    if as_json:
        click.echo(to_json(stats))
        return
    from .output import safe
    click.echo("%d documents in %s" % (stats["documents"], stats["index"]))
    for key, label in (("by_status", "By status"), ("by_year", "By year (received)"),
                       ("by_minister", "By minister"), ("by_author", "By author")):
        rows = list(stats[key].items())
        click.echo("\n%s:" % label)
        for name, count in rows[:top]:
            click.echo("  %6d  %s" % (count, safe(name)))
        if len(rows) > top:
            click.echo("  … %d more" % (len(rows) - top))


def main():
    try:
        cli.main(prog_name="parlsearch")
    except KeyboardInterrupt:
        click.echo("parlsearch: interrupted", err=True)
        sys.exit(130)
