"""``parlsearch fetch``: keep a local cache of the Parliament's index and question pages up to date.

Registered in the main group with ``cli.add_command(fetch_command)``.
"""
from __future__ import annotations

import sys

import click

from ..corpus import fetch as fetchlib

_MAX_LISTED_FAILURES = 10


class _Progress:
    """Turns Fetcher events into a progress bar (when stderr is a terminal) and a few messages."""

    def __init__(self, bar: bool, quiet: bool):
        self.bar_wanted = bar and not quiet
        self.quiet = quiet
        self.bar = None

    def __call__(self, event: str, **info) -> None:
        if event == "index" and not self.quiet:
            click.echo("Downloading the index of legislature %s…" % info["legislature"], err=True)
        elif event == "index-done" and not self.quiet:
            click.echo("  %d questions listed" % info["rows"], err=True)
        elif event == "start":
            if not self.quiet:
                click.echo("%d pages to download" % info["total"], err=True)
            if self.bar_wanted and info["total"]:
                self.bar = click.progressbar(length=info["total"], label="Fetching", file=sys.stderr,
                                             show_pos=True, show_eta=True)
                self.bar.__enter__()
        elif event == "page":
            if self.bar is not None:
                self.bar.update(1, "%s.%s" % (info["key"], info["lang"]))
            elif not self.quiet and info["outcome"] == "failed":
                click.echo("  failed: %s.%s" % (info["key"], info["lang"]), err=True)
        elif event == "retry" and not self.quiet:
            click.echo("\n  retry %d in %.1fs: %s (%s)" % (info["attempt"], info["wait"], info["url"], info["reason"])
                       if self.bar is not None else
                       "  retry %d in %.1fs: %s (%s)" % (info["attempt"], info["wait"], info["url"], info["reason"]),
                       err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@click.command("fetch")
@click.option("--legislature", "legislatures", multiple=True, metavar="YYYY-YYYY",
              help="Legislature to fetch (repeatable). Default: %s." % fetchlib.DEFAULT_LEGISLATURE)
@click.option("--type", "types", type=click.Choice(fetchlib.TYPE_CHOICES), default="all", show_default=True,
              help="Whose pages to download: written questions, the others (oral, topical, requests for "
                   "explanation, interpellations), or all. Every index row becomes a document anyway.")
@click.option("--since", metavar="DATE", help="Only questions received on or after DATE (2026-01-31 or 31/01/2026).")
@click.option("--limit", type=click.IntRange(min=0), help="Download the pages of at most N questions this run.")
@click.option("--lang", type=click.Choice(["fr", "nl", "both"]), default="both", show_default=True,
              help="Which language versions of the pages to download.")
@click.option("--cache", "cache", type=click.Path(file_okay=False), default=None,
              help="Cache directory. Default: $PARLSEARCH_CACHE, else $XDG_CACHE_HOME/parlsearch "
                   "(~/.cache/parlsearch).")
@click.option("--base-url", default=fetchlib.DEFAULT_BASE_URL, show_default=True,
              help="The site to fetch from (a mirror or a local test server can stand in).")
@click.option("--delay", type=click.FloatRange(min=0), default=fetchlib.DEFAULT_DELAY, show_default=True,
              help="Seconds between two requests (never below %.1f on the official site)."
                   % fetchlib.MIN_OFFICIAL_DELAY)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=fetchlib.DEFAULT_TIMEOUT, show_default=True,
              help="Seconds to wait for the site before retrying.")
@click.option("--retries", type=click.IntRange(min=0), default=fetchlib.DEFAULT_RETRIES, show_default=True,
              help="Retries of a request after a network error, a timeout or a 5xx answer.")
@click.option("--backoff", type=click.FloatRange(min=0), default=fetchlib.DEFAULT_BACKOFF, show_default=True,
              help="First wait before a retry, in seconds; doubled at each further retry.")
@click.option("--max-failures", type=click.IntRange(min=1), default=fetchlib.DEFAULT_MAX_FAILURES,
              show_default=True, help="Stop after this many pages in a row failed.")
@click.option("--recheck-days", type=click.FloatRange(min=0), default=fetchlib.DEFAULT_RECHECK_DAYS,
              show_default=True, help="Re-download pages without an answer once they are this old (0: always).")
@click.option("--refresh", is_flag=True, help="Re-download every selected page.")
@click.option("--index", "update_index", is_flag=True, help="Bring the search index up to date afterwards.")
@click.option("--index-dir", type=click.Path(file_okay=False), default=None,
              help="Search index to update with --index (default: the index's own default).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when stderr is a terminal).")
@click.option("-q", "--quiet", is_flag=True, help="Only the summary.")
def fetch_command(legislatures, types, since, limit, lang, cache, base_url, delay, timeout, retries, backoff,
                  max_failures, recheck_days, refresh, update_index, index_dir, progress, quiet):
    """Download the Parliament's question index and the pages not cached yet or that may have changed.

    The cache keeps the raw index and pages, so the corpus can be re-indexed offline
    (`parlsearch index CACHE`). Interrupted (Ctrl-C or killed), a re-run continues where it stopped.
    """
    if progress is None:
        progress = sys.stderr.isatty()
    events = _Progress(progress, quiet)
    try:
        fetcher = fetchlib.Fetcher(cache, base_url=base_url, delay=delay, timeout=timeout, retries=retries,
                                   backoff=backoff, max_failures=max_failures, recheck_days=recheck_days,
                                   progress=events)
        try:
            summary = fetcher.run(legislatures or (fetchlib.DEFAULT_LEGISLATURE,), types=types, since=since,
                                  limit=limit, lang=lang, refresh=refresh)
        finally:
            events.close()
    except ValueError as e:
        raise click.BadParameter(str(e)) from None
    except fetchlib.FetchAborted as e:
        raise click.ClickException(str(e)) from None

    click.echo("%s: %s" % (summary.cache, summary))
    for url, reason in summary.failures[:_MAX_LISTED_FAILURES]:
        click.echo("  failed: %s: %s" % (url, reason), err=True)
    if len(summary.failures) > _MAX_LISTED_FAILURES:
        click.echo("  … and %d more failures" % (len(summary.failures) - _MAX_LISTED_FAILURES), err=True)
    if summary.interrupted:
        sys.exit(130)
    if update_index:
        _update_index(summary.cache, index_dir, quiet)
    if summary.aborted:
        sys.exit(1)


def _update_index(cache: str, index_dir, quiet: bool) -> None:
    try:
        from ..index.update import update_index
    except ImportError as e:
        click.echo("Index not updated: the index updater is not available (%s). Run `parlsearch index %s` "
                   "instead." % (e, cache), err=True)
        return
    if not quiet:
        click.echo("Updating the search index…", err=True)
    result = update_index([cache], index_dir)
    if result is not None:
        line = getattr(result, "line", None)
        click.echo(line() if callable(line) else str(result))
