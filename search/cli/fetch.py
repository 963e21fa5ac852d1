"""``parlsearch fetch``: keep a local cache of the Parliament's index and question pages up to date.

Registered lazily in the main group (app.py, LazyGroup). The same contract as every other command:
``--index DIR`` names the index, a failure is one line ``parlsearch: error: …`` with exit status 2. Exit
status: 0 every selected page fetched (or up to date); 3 some pages failed, or the fetch stopped after
``--max-failures`` pages in a row failed (what was fetched is kept; run again later); 2 an error (bad option,
listing unavailable, cache locked or not writable, index not updatable); 130 interrupted (Ctrl-C).

Everything that comes from the network or the user (URLs, ids, the server's reason phrase, listing row
problems) goes through the terminal sanitiser (search.output.safe) before it is printed.
"""
from __future__ import annotations

import sys

import click

from ...corpus import sync
from ...corpus.assembly import get_assembly
from ...corpus.cache import CacheLocked
from ...corpus.httpclient import DEFAULT_BACKOFF, DEFAULT_DELAY, DEFAULT_RETRIES, DEFAULT_TIMEOUT
from ...wording import plural
from .common import EXIT_INTERRUPTED, EXIT_MATCH as EXIT_OK, EXIT_PARTIAL, fail, index_option
from ..output import safe
from .progress import ProgressDisplay

_MAX_LISTED_PROBLEMS = 10
_PRB = get_assembly("PRB")


class _FetchEvents:
    """The fetcher's events (corpus/sync.py) as phases of the progress display (progress.py): listing
    each legislature's index (with the questions it lists), then fetching the pages (count, rate, time left);
    retries as lines of their own. Nothing when the display is off (piped, --quiet, --no-progress)."""

    def __init__(self, display: ProgressDisplay):
        self.display = display
        self.pages = self.failed = self.total = 0

    def __call__(self, event: str, **info) -> None:
        show = self.display
        if not show.enabled:
            return
        if event == "index":
            show("listing legislature %s" % info["legislature"], 0, 1, "steps")
        elif event == "index-done":
            show("listing legislature %s" % info["legislature"], 1, 1, "steps", questions=info["rows"])
        elif event == "start":
            self.total = info["total"]
            show.note("%s to download" % plural(self.total, "page"))
            show("fetching", 0, self.total, "pages")
        elif event == "page":
            self.pages += 1
            self.failed += info.get("outcome") == "failed"
            show("fetching", self.pages, self.total, "pages", **({"failed": self.failed} if self.failed else {}))
        elif event == "retry":
            show.note("retry %d in %.1fs: %s (%s)" % (info["attempt"], info["wait"], info["url"], info["reason"]))


def _listed(lines: list[str], what: str) -> None:
    """At most _MAX_LISTED_PROBLEMS lines, then how many more (`what`: the singular noun)."""
    for line in lines[:_MAX_LISTED_PROBLEMS]:
        click.echo(line, err=True)
    if len(lines) > _MAX_LISTED_PROBLEMS:
        click.echo("… and %s" % plural(len(lines) - _MAX_LISTED_PROBLEMS, "more " + what), err=True)


@click.command("fetch")
@click.option("--legislature", "legislatures", multiple=True, metavar="YYYY-YYYY",
              help="Legislature to fetch (repeatable). Default: %s." % _PRB.default_legislature)
@click.option("--type", "types", type=click.Choice(list(_PRB.type_filters)), default="all", show_default=True,
              help="Whose pages to download: written questions, the others (oral, topical, requests for "
                   "explanation, interpellations), or all. Every index row becomes a document anyway.")
@click.option("--since", metavar="DATE", help="Only questions received on or after DATE (2026-01-31 or 31/01/2026).")
@click.option("--limit", type=click.IntRange(min=0), help="Download the pages of at most N questions this run.")
@click.option("--lang", type=click.Choice(list(sync.LANG_CHOICES)), default="both", show_default=True,
              help="Which language versions of the pages to download.")
@click.option("--cache", "cache", type=click.Path(file_okay=False), default=None,
              help="Cache directory. Default: $PARLSEARCH_CACHE, else $XDG_CACHE_HOME/parlsearch "
                   "(~/.cache/parlsearch).")
@click.option("--base-url", default=_PRB.site, show_default=True,
              help="The site to fetch from (a mirror or a local test server can stand in). Only its scheme, "
                   "host and port are ever contacted, redirects included.")
@click.option("--delay", type=click.FloatRange(min=0), default=DEFAULT_DELAY, show_default=True,
              help="Seconds between two requests (never below %.1f on the official site)." % _PRB.min_delay)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds a whole request may take (connection, headers and body) before it is retried.")
@click.option("--retries", type=click.IntRange(min=0), default=DEFAULT_RETRIES, show_default=True,
              help="Retries of a request after a network error, a timeout or a 5xx answer.")
@click.option("--backoff", type=click.FloatRange(min=0), default=DEFAULT_BACKOFF, show_default=True,
              help="First wait before a retry, in seconds; doubled at each further retry.")
@click.option("--max-failures", type=click.IntRange(min=1), default=sync.DEFAULT_MAX_FAILURES,
              show_default=True, help="Stop after this many pages in a row failed.")
@click.option("--recheck-days", type=click.FloatRange(min=0), default=sync.DEFAULT_RECHECK_DAYS,
              show_default=True, help="Re-download pages without an answer once they are this old (0: always).")
@click.option("--refresh", is_flag=True, help="Re-download every selected page.")
@click.option("--update-index", is_flag=True, help="Bring the search index up to date afterwards.")
@index_option
@click.option("--progress/--no-progress", default=None,
              help="Phases and a progress bar on stderr (default: when stderr is a terminal).")
@click.option("-q", "--quiet", is_flag=True, help="Only the summary and the problems.")
def fetch_command(legislatures, types, since, limit, lang, cache, base_url, delay, timeout, retries, backoff,
                  max_failures, recheck_days, refresh, update_index, index_dir, progress, quiet):
    """Download the Parliament's question index and the pages not cached yet or that may have changed.

    The cache keeps the raw index and pages, so the corpus can be re-indexed offline
    (`parlsearch index CACHE`). Interrupted (Ctrl-C or killed), a re-run continues where it stopped.

    \b
    Exit status: 0 all fetched; 3 some pages failed (listed; run again later);
    2 an error; 130 interrupted.
    """
    display = ProgressDisplay(enabled=False if quiet else progress)  # None: when stderr is a terminal
    try:
        fetcher = sync.Fetcher(cache, base_url=base_url, delay=delay, timeout=timeout, retries=retries,
                               backoff=backoff, max_failures=max_failures, recheck_days=recheck_days,
                               progress=_FetchEvents(display))
        try:
            summary = fetcher.run(legislatures, types=types, since=since, limit=limit, lang=lang, refresh=refresh)
        finally:
            display.close()  # a clean line for the summary, an error or the interrupted message
    except (ValueError, sync.FetchAborted, CacheLocked) as e:
        fail(safe(str(e)))
    except OSError as e:
        fail("cannot write the cache: %s" % safe(str(e.strerror or e)) + (" (%s)" % safe(str(e.filename))
                                                                           if e.filename else ""))

    click.echo("%s: %s" % (safe(summary.cache), summary))
    _listed(["skipped: index %s, row %d: %s" % (safe(slug), number, safe(reason))
             for slug, number, reason in summary.bad_rows], "unreadable row")
    _listed(["failed: %s: %s" % (safe(url), safe(reason)) for url, reason in summary.failures], "failure")
    if summary.interrupted:
        click.echo("parlsearch: interrupted; the cache is intact, run the same command again to continue",
                   err=True)
        sys.exit(EXIT_INTERRUPTED)
    if update_index:
        display.note("Updating the search index…")
        _update_index(summary.cache, index_dir, display)
    sys.exit(EXIT_PARTIAL if summary.failed or summary.aborted else EXIT_OK)


def _update_index(cache: str, index_dir, display: ProgressDisplay) -> None:
    """Index the cache, its phases on the same display as the fetch's."""
    from ...index.store import IndexProblem
    from ..targets import update
    try:
        try:
            result = update([cache], index_dir, progress=display if display.enabled else None)
        finally:
            display.close()
    except IndexProblem as e:
        fail(safe(str(e)))
    except OSError as e:
        fail("cannot write the index: %s" % safe(str(e.strerror or e)))
    click.echo(result.line())
