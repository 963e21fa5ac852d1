"""What an Engine (search/engine/core.py) reads through: a *source* — a local whoosh index here, a database in
index/postgres/view.py — giving the same few things, so that planning, scoring and collecting are one code:

* `schema` — the whoosh schema (fields, analyzers: what the query parser reads);
* `view` — the index as arrays: postings, lengths, columns, stored documents, statistics
  (index/segments.py's IndexView, or postgres.view.PostgresView);
* `reader` — what spelling correction and expansions walk: document frequencies and each field's sorted
  vocabulary (whoosh's reader, or postgres.view.PostgresReader);
* `document_number(field, value)` — one document by id, official code or official identifier;
* `up_to_date()` — whether what the source reads is still the newest commit (the web page's engines check it
  at every request); `location` — what to call it in messages; `close()`.
"""
from __future__ import annotations


class LocalSource:
    """A whoosh index directory, opened at its newest commit (one searcher: one committed view)."""

    def __init__(self, ix):
        from whoosh.scoring import BM25F
        from .segments import IndexView
        self.ix = ix
        self.searcher = ix.searcher(weighting=BM25F(B=0.75, K1=1.2))
        try:
            # The schema of this view, read once: ix.schema reads the newest TOC file at every use, which a
            # commit in another process may delete in between.
            self.schema = self.searcher.schema
            self.view = IndexView(self.searcher)
            self.reader = self.searcher.reader()
        except BaseException:
            self.searcher.close()
            raise
        self.location = str(ix.storage.folder)

    def document_number(self, fieldname: str, value) -> int | None:
        return self.searcher.document_number(**{fieldname: value})

    def up_to_date(self) -> bool:
        return self.searcher.up_to_date()

    def close(self) -> None:
        self.searcher.close()
        self.ix.close()
