"""Fetching from an assembly's site into a local cache: the public entry points, in one import.

    from parlsearch.corpus.fetch import fetch
    summary = fetch("~/.cache/parlsearch", ["2024-2029"], lang="both")   # Brussels by default

The work is split by concern (see the README's architecture section):

- corpus.sync        — Fetcher: what to download, in what order, and the run's summary;
- corpus.httpclient  — PoliteClient: one kept-alive connection, total deadline, retries, one origin;
- corpus.cache       — the page store, atomic writes, the state journal and the lock;
- corpus.assembly    — the interface an assembly implements, and the registry by code;
- corpus.brussels    — the Brussels Parliament (PRB): site, listing, pages, legislatures, vocabulary.

The command line is ``parlsearch fetch`` (parlsearch.search.cli.fetch).
"""
from .cache import CacheLocked, PageStore, default_cache_dir, split_nl_section
from .httpclient import FetchError, PoliteClient
from .sync import Fetcher, FetchAborted, FetchSummary, ListingUnavailable, fetch

__all__ = [
    "CacheLocked", "FetchAborted", "FetchError", "FetchSummary", "Fetcher", "ListingUnavailable", "PageStore",
    "PoliteClient", "default_cache_dir", "fetch", "split_nl_section",
]
