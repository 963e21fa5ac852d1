"""PostgreSQL as a second backend: the same documents, tokens and statistics as a local index, in a database
that operators already run (replicas, backups, monitoring), read by the same engine.

Why this shape (measured on the 20,000-document generated corpus, docs/postgres-design.md has the table):
parlsearch's analysis is its own (index/analysis.py), so the database stores the tokens it produces — every
term's postings of one field as one row of packed arrays (document numbers, frequencies, positions), the
documents' one-byte field lengths, date and facet columns and stored payloads. A query is planned and scored
by the same engine code as a local index (search/engine/core.py, search/engine/execute.py over a view of arrays): only
where the arrays come from differs (view.py instead of index/segments.py). Scoring BM25F inside PostgreSQL,
one row per posting, took 28–86 ms a keyword query at 20,000 documents (the local engine: 2–6 ms) and 13×
the space (1.5 GB); fetching a query's packed rows takes 0.6–2.7 ms.

Modules:

* connect.py — the servers named by `--backend` (primary first, then read replicas; a libpq multi-host DSN
  is split), which one to read from (spread, a server down skipped with one warning, a lagging replica
  skipped past `--max-lag`), connections with timeouts, DSNs shown without passwords; psycopg is imported
  only in this package.
* tables.py — the tables (a versioned layout) and their checks: what the database holds against what this
  parlsearch writes.
* blobs.py — how a term's postings are packed into a row and read back.
* export.py — `parlsearch index --backend`: documents in bulk (COPY), incrementally, one transaction per run.
* copy_index.py — `--from-index DIR`: a local index's documents and postings copied without analysis.
* view.py — the read side: the arrays the engine needs, from the database.

Nothing outside this package imports psycopg: `parlsearch` without the `postgres` extra works as before and
`--backend` says how to install it.
"""
