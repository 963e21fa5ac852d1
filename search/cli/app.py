"""The `parlsearch` command line: a thin click layer over corpus, index and search.

Exit status follows grep: 0 something matched, 1 nothing matched, 2 an error (see `cli_common`). This module
holds the commands that read or build the index (index, search, show, similar, eval, stats); their options
and help texts are most of its ~500 lines, the work is in the modules they call (fetch, serve and watch
live in fetch.py, serve.py and workflow.py).
"""
from __future__ import annotations

import datetime as dt
import sys

import click

from ... import __version__
from .common import (EXIT_ERROR, EXIT_INTERRUPTED, EXIT_MATCH, EXIT_NO_MATCH, EXIT_PARTIAL,  # noqa: F401
                         fail, index_option, max_cpu_option, output_options, raise_broken_pipe,  # (shared
                         run_group, set_debug)  # with the other command modules)
from .hit_delivery import MAX_MACHINE_HITS, SCREEN_HITS  # how many hits search writes, and how
from ..output import HIT_FORMATS, STATS_FORMATS


class LazyGroup(click.Group):
    """A group whose heavier optional commands are imported only when used (keeps start-up fast)."""

    lazy = {"fetch": ("parlsearch.search.cli.fetch", "fetch_command"),
            "serve": ("parlsearch.search.cli.serve", "serve_command"),
            "watch": ("parlsearch.search.cli.workflow", "watch_group")}

    def main(self, args=None, prog_name=None, **extra):
        """Every failure one line `parlsearch: error: …`, exit 2 — click's usage errors too."""
        return run_group(self, args, prog_name, **extra)

    def invoke(self, ctx):
        # An index problem met while a command runs (a directory that is not an index, a damaged segment found
        # while reading) is one line, exit 2. The store is only consulted when it was used (no import here).
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # the reader went away (`| head -1`): caught here, before click's own handler
            raise_broken_pipe()  # turns it into exit status 1 ("nothing matched") — it is SIGPIPE's 141
        except Exception as e:
            store = sys.modules.get(__name__.rsplit(".", 3)[0] + ".index.store")
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
@click.option("--debug", is_flag=True, expose_value=False, is_eager=True, callback=set_debug,
              help="Show the Python traceback of an internal error (also: PARLSEARCH_DEBUG=1).")
def cli():
    """Search the written questions and answers of the Brussels Parliament and the federal Chamber.

    \b
    First search:   parlsearch search "stationnement vélo"
    (the index is built from the bundled corpus on first use)
    The Chamber's 6,059 questions of 2020: parlsearch index --bundled chamber

    \b
    Exit status: 0 found (or done), 1 nothing found, 2 error (one line
    "parlsearch: error: …"), 3 index: some inputs rejected, 130 interrupted.
    Every command that reads the index takes --index DIR (default:
    $PARLSEARCH_INDEX, else $XDG_DATA_HOME/parlsearch/index), or --backend DSN
    for a PostgreSQL database (default: $PARLSEARCH_BACKEND).
    Shell completion (bash): eval "$(_PARLSEARCH_COMPLETE=bash_source parlsearch)"
    (zsh: zsh_source, fish: fish_source).
    """


# -- index --------------------------------------------------------------------------------------------

def _open_engine(index_dir, build_if_missing: bool = True):
    """Open the index (or the database, search/targets.py), building the index from the bundled corpus when
    there is none yet at the default location."""
    from ...index.store import IndexProblem, builds_on_first_use, resolve_index_dir
    from ..targets import is_database, open_engine
    if is_database(index_dir):
        try:
            return open_engine(index_dir)
        except IndexProblem as e:
            fail(str(e))
    path = resolve_index_dir(index_dir)
    if build_if_missing and builds_on_first_use(index_dir):
        from ...index.update import update_index
        from ..output import safe
        click.echo("parlsearch: no index at %s yet; building it from the bundled corpus (the Brussels "
                   "Parliament's questions; `parlsearch index --bundled chamber` adds the federal Chamber's)…"
                   % safe(str(path)), err=True)
        try:
            update_index(None, path)
        except IndexProblem as e:
            fail(str(e))
        except OSError as e:
            fail("cannot build the index at %s: %s" % (path, e.strerror or e))
    try:
        return open_engine(path)
    except IndexProblem as e:
        fail(str(e))
    except OSError as e:
        fail("cannot open the index at %s: %s" % (path, e.strerror or e))


@cli.command("index")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@index_option
@click.option("--from-index", "from_index", metavar="DIR", type=click.Path(exists=True, file_okay=False),
              help="With --backend: copy the local index DIR into the database (no files read, no analysis).")
@click.option("--rebuild", is_flag=True, help="Start afresh (replaces the index in one atomic commit).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Writer processes for large inputs (from 500 documents to write; each gets batches of documents).")
@click.option("--wait", type=click.FloatRange(0), default=0.0, metavar="SECONDS",
              help="Wait up to SECONDS for another writer to finish instead of failing.")
@click.option("--progress/--no-progress", default=None,
              help="Each phase (reading, analysing, writing, merging, committing) with counts, rate and time "
                   "left on stderr (default: when stderr is a terminal).")
@click.option("--quiet", "-q", is_flag=True, help="Only the summary line (and problems).")
@click.option("--problems", "show_problems", type=click.IntRange(0), default=20, show_default=True,
              help="How many problems to list.")
@click.option("--bundled", multiple=True, type=click.Choice(["brussels", "chamber"]),
              help="Also index a data set shipped with parlsearch (repeatable): brussels, the Brussels corpus "
                   "(the default when no PATHS are given); chamber, the federal Chamber's 6,059 written questions "
                   "of 2020 in French and Dutch.")
def index_command(paths, index_dir, from_index, rebuild, jobs, wait, progress, quiet, show_problems, bundled):
    """Index PATHS (files or directories; default: the bundled corpus).

    Files are recognised by their content: JSON and JSON Lines records (also gzip-compressed), Weblex pages,
    their plain-text renderings, the Chamber's records as published. `--bundled chamber` adds the Chamber's
    questions shipped with parlsearch.

    New documents are added, changed ones updated (by content hash), unchanged ones left alone; a question
    already indexed is merged with what is read now (no field is erased, no answer lost). Every run is one
    atomic commit: a run that dies leaves the previous commit searchable.

    With --backend DSN the documents go to that PostgreSQL database (one transaction, on the primary);
    --from-index DIR copies a local index there instead of reading PATHS.

    \b
    Exit status: 0 every input read; 3 some files or records rejected (listed
    on stderr), the rest indexed; 2 an error: a PATH that does not exist,
    nothing readable in PATHS, an index that cannot be written; 130
    interrupted (Ctrl-C): the index keeps its previous commit.
    """
    from ...corpus.reader import bundled_datasets
    from ...index.store import IndexProblem
    from ..output import plural, safe
    from .progress import WRITING_SHARE, ProgressDisplay
    from ..targets import TargetError, update
    if from_index is not None and (paths or bundled):
        fail("--from-index copies an index: give it without PATHS or --bundled")
    datasets = bundled_datasets()
    inputs = list(paths) + [str(datasets[name]) for name in dict.fromkeys(bundled)]
    display = ProgressDisplay(enabled=False if quiet else progress,  # None: when stderr is a terminal
                              later={"writing": WRITING_SHARE})  # in the time left from the start
    try:
        try:
            summary = update(inputs or None, index_dir, rebuild=rebuild, jobs=jobs, wait=wait,
                             progress=display if display.enabled else None, from_index=from_index)
        finally:
            display.close()  # a clean line for what follows: the summary, an error, the interrupted message
    except (IndexProblem, TargetError) as e:
        fail(safe(str(e)))
    except OSError as e:
        fail(safe("cannot write the index: %s" % (e.strerror or e) + (" (%s)" % e.filename if e.filename else "")))
    except KeyboardInterrupt:
        click.echo("parlsearch: interrupted; the previous index is intact (run the same command again to "
                   "finish)", err=True)
        sys.exit(EXIT_INTERRUPTED)
    for problem in summary.problems[:show_problems]:
        click.echo("%s: %s" % ("rejected" if problem.rejected else "warning", safe(str(problem))), err=True)
    if len(summary.problems) > show_problems:
        click.echo("… and %s" % plural(len(summary.problems) - show_problems, "more problem"), err=True)
    click.echo(safe(summary.line()))
    if inputs and not (summary.new or summary.updated or summary.unchanged):
        fail("nothing could be read from %s" % safe(", ".join(inputs)))
    if summary.rejected:
        sys.exit(EXIT_PARTIAL)


# -- search -------------------------------------------------------------------------------------------

class _Date(click.ParamType):
    name = "DATE"

    def convert(self, value, param, ctx):
        from ...corpus.model import parse_date
        from ..engine.query import QueryError, period
        if isinstance(value, dt.date):
            return value
        text = value.strip()
        try:
            if (len(text) == 4 and text.isdigit()) or (len(text) == 7 and text[4] == "-"):
                first, last = period(text)  # a year or a month: its first day for --since, last for --until
                return first if param.name.endswith("since") else last
            d = parse_date(text)
            if d is None:
                raise ValueError("empty date")
            return d
        except (ValueError, QueryError):
            self.fail("%r is not a date (use 2026, 2026-06 or 2026-06-01)" % value, param, ctx)


class _Assembly(click.ParamType):
    """An assembly by its code or a name it goes by (PRB, brussels; CHAMBER, chamber, kamer), any case."""

    name = "ASSEMBLY"

    def convert(self, value, param, ctx):
        from ...corpus.assembly import assembly_code
        try:
            return assembly_code(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)


def filter_options(command):
    """The filters of `search`, shared by `stats QUERY` and `watch add` (see search/engine/filters.py)."""
    from ..engine.filters import STATUS_CHOICES
    options = [
        click.option("--assembly", type=_Assembly(),
                     help="Only this assembly's documents: PRB (or brussels) for the Brussels Parliament, CHAMBER "
                          "(or chamber, kamer) for the federal Chamber."),
        click.option("--since", type=_Date(), help="Received on or after DATE."),
        click.option("--until", type=_Date(), help="Received on or before DATE."),
        click.option("--author", help="Author name (accents and case ignored)."),
        click.option("--minister", help="Minister name (accents and case ignored)."),
        click.option("--status", type=click.Choice(STATUS_CHOICES),
                     help="answered: an answer text is published; unanswered: none yet; unknown: the source says "
                          "nothing of answers (the Chamber's data); repondu, sans-reponse: the same in French."),
        click.option("--answered-since", type=_Date(), help="Answer date (as published) on or after DATE."),
        click.option("--answered-until", type=_Date(), help="Answer date (as published) on or before DATE."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _filters(assembly, since, until, author, minister, status, answered_since, answered_until):
    from ..engine.filters import SearchFilters
    return SearchFilters(since=since, until=until, author=author, minister=minister, status=status,
                         answered_since=answered_since, answered_until=answered_until, assembly=assembly)




@cli.command("search")
@click.argument("words", nargs=-1)
@index_option
@click.option("--limit", "-n", type=click.IntRange(0), default=None,
              help="Hits to write (default: %d on a terminal; every match, up to %s, in csv, tsv, json, jsonl "
                   "and line written to a pipe or a file). What is left out is said on stderr."
                   % (SCREEN_HITS, "{:,}".format(MAX_MACHINE_HITS)))
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True, help="Hits to skip.")
@click.option("--sort", type=click.Choice(["relevance", "date", "-date", "answered", "-answered"]),
              default="relevance", show_default=True,
              help="date: oldest first; -date: newest first; answered/-answered: by answer date (undated last; "
                   "JSON score null).")
@filter_options
@click.option("--exact", is_flag=True,
              help="Search the words as typed: no spelling correction, and no reading of numbers, links, dates, "
                   "statuses or type words.")
@click.option("--closest/--no-closest", default=True, show_default=True,
              help="When nothing answers, list the nearest documents (apart from the hits: \"closest\" in JSON).")
@click.option("--count", "count_only", is_flag=True,
              help="Print only the number of matches, a bare number (like grep -c).")
@click.option("--explain", is_flag=True,
              help="Show, under each hit, what each word gave in each field (BM25: weight, tf, idf, length "
                   "norm), the exact form's bonus and the coverage share: the numbers that ranked it "
                   "(\"explanation\" in --json/--jsonl).")
@max_cpu_option
@output_options(HIT_FORMATS)
def search_command(words, index_dir, limit, offset, sort, assembly, since, until, author, minister, status,
                   answered_since, answered_until, exact, closest, count_only, explain, max_cpu, out):
    """Ranked search. WORDS form one query (a word starting with '-' goes after '--').

    \b
    Query language (accents, case, plural and elision ignored):
      stationnement vélo        every word must match (relaxed if none does)
      "garantie jeunesse"       phrase;  "permis urbanisme"~3  with slack
      tram OR bus, tram -bus, (tram OR bus) STIB, NOT, AND
      cyclab*  prefix;  stationement~  fuzzy
      titre: question: reponse: auteur: ministre: numero: session:
      legislature: statut:repondu|sans-reponse|inconnu langue: type: titel:
      tekst: (Dutch texts)  assemblee:brussels|chamber
      id:PRB-1-170312  code:170312  (official code)
      date:2026  date:2026-06  date:2026-01..2026-06-30  date:>=2026-01-01
    \b
    Read in plain words too (--exact turns it off; the summary says how):
      question 1234, QE n° 12, 170312, PRB-1-170312, an official page's link
      session 2025-2026, législature 2024-2029, cette législature
      en 2025, depuis mars 2026, avant 2024, réponses d'août 2026, this year
      sans réponse, non répondues, répondues, unanswered, onbeantwoord
      question écrite, QE, interpellation: a type; "question", "réponse du
      ministre": ignored
    \b
    Examples:
      parlsearch search stationnement vélo
      parlsearch search '"parc du Cinquantenaire"' --since 2026
      parlsearch search 'auteur:maison statut:repondu logement'
      parlsearch search --count tram             # only the number of matches
      parlsearch search --csv tram > tram.csv    # every match (up to 10,000)
      parlsearch search -- -tram bus             # a query that starts with '-'
    \b
    Exit status: 0 something matched, 1 nothing matched, 2 an error.
    """
    from ..engine.budget import Budget
    from .hit_delivery import CHUNK_HITS, default_limit, say_what_was_left_out, write_in_chunks
    from ..output import render_hits
    from ..engine.query import QueryError
    text = " ".join(words)
    filters = _filters(assembly, since, until, author, minister, status, answered_since, answered_until).queries()
    if not text.strip() and not any(filters):
        fail("no query: give words to search for, or a filter such as --author or --since")
    machine, tty = out.format != "text", sys.stdout.isatty()
    if explain and (count_only or out.format not in ("text", "json", "jsonl") or sort != "relevance"):
        fail("--explain explains a ranking by relevance, in text, json or jsonl: not with %s"
             % ("--count" if count_only else "--sort %s" % sort if sort != "relevance" else "--format " + out.format))
    if count_only:
        explicit = click.get_current_context().get_parameter_source("closest") == click.core.ParameterSource.COMMANDLINE
        given = [name for name, value in (("--limit", limit), ("--offset", offset or None),
                                          ("--closest", (closest and explicit) or None),
                                          ("--format %s" % out.format, machine or None)) if value is not None]
        if given:
            fail("--count prints the number of matches alone; it does not combine with %s" % ", ".join(given))
        limit, why, closest = 0, "", False
    elif limit is None:
        limit, why = default_limit(out.format, tty)
    else:
        why = "-n %d" % limit
    streamed = machine and not tty  # into a pipe or a file: written chunk by chunk, never paged
    snippets = not count_only and out.format in ("text", "json", "jsonl")  # the formats that print them

    def run(at: int, n: int):
        return engine.search(text, limit=n, offset=at, sort=sort, filters=filters, exact=exact, closest=closest,
                             snippets=snippets, budget=Budget(max_cpu), explain=explain)

    engine = _open_engine(index_dir)
    try:
        with engine:
            result = run(offset, min(limit, CHUNK_HITS) if streamed else limit)
            if result.corrections and out.format != "text":  # text: in the summary line (the pager shows it)
                from ..output import safe
                changed = ", ".join('"%s" as "%s"' % (safe(typed), safe(searched))
                                    for typed, searched in result.corrections)
                click.echo("parlsearch: searched %s (--exact searches the words as typed)" % changed, err=True)
            if count_only:
                click.echo(result.total)
            elif streamed:
                written = write_in_chunks(run, result, offset, limit, out.format, out.style(), out.color)
                say_what_was_left_out(result.total, offset, written, why)
            else:
                out.emit(render_hits(result, out.format, out.style(), offset))
                if machine:
                    say_what_was_left_out(result.total, offset, len(result.hits), why)
    except QueryError as e:
        fail("bad query: %s" % e)
    sys.exit(EXIT_MATCH if result.total else EXIT_NO_MATCH)


# -- show / similar -----------------------------------------------------------------------------------

def _no_document(doc_id: str) -> None:
    from ..output import safe
    click.echo("parlsearch: no document with id or code '%s'" % safe(doc_id), err=True)
    sys.exit(EXIT_NO_MATCH)


@cli.command("show")
@click.argument("doc_id")
@index_option
@click.option("--legislature", metavar="YEARS", help="With a question number: its legislature (2019-2024).")
@click.option("--open", "open_page", is_flag=True, help="Open the official page in the web browser.")
@output_options(HIT_FORMATS)
def show_command(doc_id, index_dir, legislature, open_page, out):
    """Show one document by id (PRB-1-170312, any case), official code (170312), official page URL or
    identifier (the Chamber's http://data.dekamer.be/v0/qrva/… or its key), or question number with
    --legislature (show 1263 --legislature 2019-2024).

    --json prints every field of the document; --csv, --tsv and --format line
    one row, as search does.

    \b
    Exit status: 0 shown, 1 no such document, 2 an error.
    """
    from .workflow import find_document
    from ..output import render_document
    doc = find_document(index_dir, doc_id, legislature, open_page)
    out.emit(render_document(doc, out.format, out.style()))


@cli.command("similar")
@click.argument("doc_id", required=False)
@index_option
@click.option("--text", "draft", metavar="TEXT", help="A free text (a draft question) instead of DOC_ID; - reads stdin.")
@click.option("--limit", "-n", type=click.IntRange(1), default=10, show_default=True,
              help="At most this many questions (only those close enough are listed).")
@max_cpu_option
@output_options(HIT_FORMATS)
def similar_command(doc_id, index_dir, draft, limit, max_cpu, out):
    """Questions most like DOC_ID (id or official code), or like a draft (--text): has this been asked
    before? Only questions close enough are listed (see the README); none may be.

    \b
    Exit status: 0 something similar found, 1 none (or no such document), 2 an error.
    """
    from ..engine.budget import Budget
    from ..engine.coverage import MIN_SIMILAR_COVERAGE
    from ..engine.core import SearchResult
    from ..engine.similar import MAX_SIMILAR_TEXT
    from ..output import render_hits, similar_header
    from ..engine.query import QueryError
    if (doc_id is None) == (draft is None):
        fail("give either DOC_ID or --text TEXT (--text - reads the text from stdin)")
    if draft == "-":
        draft = click.get_text_stream("stdin").read(MAX_SIMILAR_TEXT)
    with _open_engine(index_dir) as engine:
        source = None
        try:
            if draft is None:
                source = engine.get(doc_id.strip())
                hits = engine.similar(doc_id.strip(), limit=limit, budget=Budget(max_cpu))
            else:
                hits = engine.similar_text(draft, limit=limit, budget=Budget(max_cpu))
        except KeyError:
            _no_document(doc_id)
        except QueryError as e:  # the budget spent (QueryTooCostly)
            fail(str(e))
    note = None if hits else "no question is close enough (similarity under %.2f)" % MIN_SIMILAR_COVERAGE
    result = SearchResult("similar:%s" % (doc_id if draft is None else "--text"), len(hits), hits, note=note)
    out.emit(render_hits(result, out.format, out.style(), similar_to=similar_header(out.style(), source, draft)))
    sys.exit(EXIT_MATCH if hits else EXIT_NO_MATCH)


# -- eval ---------------------------------------------------------------------------------------------

@cli.command("eval")
@click.argument("judgments", type=click.Path(exists=True, dir_okay=False))
@index_option
@click.option("--json", "as_json", is_flag=True, help="Per-case results, totals per kind and MRR as JSON.")
@click.option("--min-pass", type=click.IntRange(0), help="Exit 1 when fewer cases pass (default: all must pass).")
def eval_command(judgments, index_dir, as_json, min_pass):
    """Run judged queries (JSON Lines: id, kind, q, expect, max_rank) and report pass/fail, ranks and MRR.

    \b
    Exit status: 0 enough cases pass, 1 too few, 2 an error.
    """
    from ..evaluate import evaluate, load_judgments
    from ..output import safe, to_json
    try:
        cases = load_judgments(judgments)
    except ValueError as e:
        fail(safe(str(e)))
    with _open_engine(index_dir) as engine:
        report = evaluate(engine, cases)
    if as_json:
        click.echo(to_json(report.to_dict()))
    else:
        for c in report.cases:
            want = "no result" if c.expect is None else "/".join(c.expect) + " within %d" % c.max_rank
            status = "pass" if c.passed else "FAIL"
            click.echo("%s %-10s %-15s rank %-4s %-40s want %s, top %s" % (
                status, safe(c.id), safe(c.kind), c.rank or "-", safe(c.query)[:40], safe(want),
                safe(", ".join(c.top)) or "none"))
        click.echo("")
        for kind, (ok, total) in report.by_kind().items():
            click.echo("  %-16s %d/%d" % (safe(kind), ok, total))
        click.echo("pass=%d/%d MRR=%.3f" % (report.passed, len(report.cases), report.mrr))
    need = len(report.cases) if min_pass is None else min_pass
    sys.exit(EXIT_MATCH if report.passed >= need else EXIT_NO_MATCH)


# -- stats --------------------------------------------------------------------------------------------

@cli.command("stats")
@click.argument("words", nargs=-1)
@index_option
@click.option("--top", type=click.IntRange(1), default=None,
              help="Rows per breakdown (text: 10 by default; csv, tsv, jsonl: all by default; json: always all).")
@filter_options
@click.option("--by", metavar="FACET[,FACET]",
              help="One facet (month, year, minister, author, portfolio…: bars on a terminal), or a cross table of "
                   "two of: minister, author, portfolio, year, month, answer_year, status, type, legislature, "
                   "assembly (e.g. minister,year).")
@click.option("--delays", is_flag=True, help="Answer delays per minister: median and quartiles of the days from "
                                             "reception to answer, and the share late (the assembly's deadline).")
@click.option("--as-of", type=_Date(), help="Waiting times as of DATE (default: today).")
@click.option("--chart", "chart", metavar="FILE.svg", type=click.Path(dir_okay=False),
              help="Also write the chart of these counts (the web page's) to FILE.svg, or FILE.png with the png "
                   "extra: the timeline, --by FACET's bars or --delays'.")
@max_cpu_option
@output_options(STATS_FORMATS, stats=True)
def stats_command(words, index_dir, top, assembly, since, until, author, minister, status, answered_since,
                  answered_until, by, delays, as_of, chart, max_cpu, out):
    """Documents in the index: by status, minister, author, year and assembly.

    --json: one object whose "documents" key is the document count; --csv,
    --tsv: rows of breakdown, value, count.

    \b
    With QUERY words or filters, counts every match of that search (not the top ten):
      parlsearch stats STIB --since 2025 --by minister,year
      parlsearch stats STIB --by month          # bars on a terminal
      parlsearch stats --delays --as-of 2026-06-30
      parlsearch stats STIB --chart stib.svg    # the timeline, for an article

    \b
    Exit status: 0, or 2 on an error (with QUERY: 1 when nothing matches).
    """
    filters = _filters(assembly, since, until, author, minister, status, answered_since, answered_until)
    if words or filters or by or delays or as_of or chart:
        from .workflow import query_stats
        query_stats(" ".join(words), filters, index_dir=index_dir, fmt=out.format,
                    top=10 if top is None else top, by=by, delays=delays, as_of=as_of, max_cpu=max_cpu, chart=chart)
        return
    from ..engine.counting import index_stats
    from ..output import render_stats
    engine = _open_engine(index_dir)
    with engine:
        stats = index_stats(engine)
    stats["index"] = engine.location
    if out.format == "text" and top is None:
        top = 10
    out.emit(render_stats(stats, out.format, out.style(), top))


def main():
    try:
        cli.main(prog_name="parlsearch")
    except KeyboardInterrupt:
        click.echo("parlsearch: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
