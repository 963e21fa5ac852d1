"""`parlsearch index --backend …`: documents into the database — in bulk, incrementally, one transaction a run.

The run is the local index's (index/update.py): the same readers, the same merge of readings of one question
within the run and with its stored version (corpus.model.merge), the same new / updated / unchanged counts by
content hash — update.py's `_Stream` drives it, handing each document to write to `Writer` here instead of a
whoosh writer. So a database and a local index fed the same files hold the same documents.

One transaction per run, on the primary: planning reads the stored hashes without a lock; the first document
to write takes the database's write lock (a transaction-level advisory lock keyed on the schema; `--wait`
waits for it), and if another run committed meanwhile the run starts over (what it planned may be wrong), as
a local update does. Documents get the next document numbers; their postings are gathered by rows.Segment and
written with COPY (binary) as one row per term, a new segment every SEGMENT_POSTINGS postings; a replaced
document's row is marked not live. At the end, segments are merged when there are more than MAX_SEGMENTS
(merge.py), the generation is bumped and the transaction commits: a run killed at any point leaves the
previous commit, and the next run does the whole work again. Nothing changed: no lock, no write.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from .connect import BackendProblem, Servers, driver, open_for_writing
from .rows import SEGMENT_POSTINGS, Analysis, Segment, document_row
from .tables import catalogue, check, compatible_for_update, create, current_schema, read_meta

#: Document rows written at a time (~20 KB each with the stored document: ~20 MB).
DOCUMENT_BATCH = 1000
#: The COPY of documents and of postings rows (every value a bound value of the COPY stream).
COPY_DOCUMENTS = ("COPY parlsearch_documents (docnum, id, moncode, content_hash, live, lengths, field_lengths, "
                  "numbers, labels, payload) FROM STDIN (FORMAT BINARY)")
DOCUMENT_TYPES = ["int4", "text", "text", "text", "bool", "bytea", "int4[]", "int8[]", "bytea[]", "text"]
COPY_POSTINGS = ("COPY parlsearch_postings (field, term, segment, df, layout, ids, weights, positions) "
                 "FROM STDIN (FORMAT BINARY)")
POSTING_TYPES = ["text", "text", "int4", "int4", "int2", "bytea", "bytea", "bytea"]


def _no_progress(phase: str, done: int, total, unit: str, **info) -> None:
    pass


def take_write_lock(conn, wait: float, where: str) -> None:
    """The database's write lock for this transaction (keyed on the current schema), waiting up to `wait`
    seconds; BackendProblem when another writer holds it."""
    from .connect import driver
    psycopg = driver()
    key = "parlsearch:write"
    if wait <= 0:
        got = conn.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s || current_schema()))", (key,)).fetchone()[0]
    else:
        conn.execute("SELECT set_config('lock_timeout', %s, true)", (str(max(1, int(wait * 1000))),))
        try:
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s || current_schema()))", (key,))
        except psycopg.errors.LockNotAvailable:
            got = False  # (the transaction is aborted: the run ends here)
        else:
            got = True
            conn.execute("SELECT set_config('lock_timeout', '0', true)")
    if not got:
        raise BackendProblem("another parlsearch is writing to %s; try again when it has finished, or give "
                             "--wait SECONDS" % where)


def write_failed(servers: Servers, error) -> BackendProblem:
    """A database error during a write, as the one line the user sees (the transaction is rolled back)."""
    from .connect import _first_line
    return BackendProblem("writing to %s failed, nothing was written: %s" % (servers.primary, _first_line(error)))


class IndexedRows:
    """The live documents a run plans against: id → content hash (all in memory, as a local update keeps
    them) and, on demand, the stored document of one id."""

    def __init__(self, conn, empty: bool):
        self.conn = conn
        self.hashes = {} if empty else dict(
            conn.execute("SELECT id, content_hash FROM parlsearch_documents WHERE live").fetchall())

    def document(self, doc_id: str):
        from ..schema import document_from_payload
        row = self.conn.execute("SELECT payload FROM parlsearch_documents WHERE live AND id = %s",
                                (doc_id,)).fetchone()
        return document_from_payload(row[0]) if row else None

    def close(self) -> None:
        pass


class Writer:
    """Takes documents from update.py's stream (add_lazily / revoke / delete_by_term, as the local writers
    do) and writes them into the open transaction: document rows every DOCUMENT_BATCH documents, postings
    as a segment every SEGMENT_POSTINGS postings."""

    def __init__(self, conn, schema, meta: dict, report, jobs: int = 1):
        self.conn = conn
        self.schema = schema
        self.cat = catalogue(schema)
        self.progress = report
        self.next_docnum = int(meta["doc_count"])
        self.first_docnum = self.next_docnum
        row = conn.execute("SELECT coalesce(max(segment), -1) + 1 FROM parlsearch_segments").fetchone()
        self.next_segment = int(row[0])
        self.segment = Segment(self.cat)
        self.segment_first = self.next_docnum
        self.unwritten = self.next_docnum  # documents from this number on are not in the table yet
        self.rows: list = []  # document rows analysed, not written yet: (docnum, DocumentRow)
        self.revoked: set[int] = set()  # documents of this run taken back before they were written
        self.deleted_ids: set[str] = set()  # ids whose stored (earlier-run) version is replaced
        self.totals = [0] * len(self.cat.scored)
        self.written = 0
        self.segments_written = 0
        self.analysis = Analysis(jobs) if jobs > 1 else None

    # -- what update.py's stream calls ----------------------------------------------------------------------

    def add_lazily(self, to_fields, doc) -> int:
        docnum = self.next_docnum
        self.next_docnum += 1
        if self.analysis is None:
            self._place(docnum, document_row(doc, self.schema, self.cat))
        else:
            for done in self.analysis.add(docnum, doc):
                self._place(*done)
        return docnum

    def _place(self, docnum: int, row) -> None:
        """An analysed document into the segment and the rows to write."""
        self.segment.add(docnum, row.postings)
        row.postings = None  # held by the segment's arrays now
        self.rows.append((docnum, row))
        for i, n in enumerate(row.field_lengths):
            self.totals[i] += n
        if len(self.rows) >= DOCUMENT_BATCH:
            self.write_documents()
        if self.segment.postings >= SEGMENT_POSTINGS:
            self.flush()

    def revoke(self, ticket: int) -> None:
        """Take back a document added in this run (a late reading replaces it)."""
        if ticket >= self.unwritten:
            self.revoked.add(ticket)
        else:
            self.conn.execute("UPDATE parlsearch_documents SET live = false WHERE docnum = %s", (ticket,))

    def delete_by_term(self, fieldname: str, text: str) -> None:
        if fieldname != "id":
            raise ValueError("only documents by id are replaced")
        self.deleted_ids.add(text)

    # -- writing -------------------------------------------------------------------------------------------

    def _apply_deletes(self) -> None:
        if self.deleted_ids:
            self.conn.execute("UPDATE parlsearch_documents SET live = false WHERE live AND docnum < %s AND "
                              "id = ANY(%s)", (self.first_docnum, sorted(self.deleted_ids)))
            self.deleted_ids.clear()

    def write_documents(self) -> None:
        """Write the document rows held (the replaced versions marked first: a live id is unique)."""
        if not self.rows:
            return
        self._apply_deletes()
        with self.conn.cursor() as cur, cur.copy(COPY_DOCUMENTS) as copy:
            copy.set_types(DOCUMENT_TYPES)
            for docnum, row in self.rows:
                copy.write_row((docnum, row.id, row.moncode, row.content_hash, docnum not in self.revoked,
                                row.lengths, row.field_lengths, row.numbers, row.labels, row.payload))
        self.written += len(self.rows)
        self.unwritten = self.rows[-1][0] + 1
        self.revoked = {t for t in self.revoked if t >= self.unwritten}
        self.rows = []
        self.progress("writing", self.written, None, "documents")

    def flush(self) -> None:
        """Write the current segment: one postings row per term."""
        self.write_documents()
        if self.next_docnum == self.segment_first:
            return
        segment = self.next_segment
        postings = self.segment.postings
        with self.conn.cursor() as cur:
            with cur.copy(COPY_POSTINGS) as copy:
                copy.set_types(POSTING_TYPES)
                for values in self.segment.rows(segment):
                    copy.write_row(values)
            cur.execute("INSERT INTO parlsearch_segments (segment, first_docnum, doc_count, postings) "
                        "VALUES (%s, %s, %s, %s)", (segment, self.segment_first, self.next_docnum - self.segment_first,
                                                    postings))
        self.segments_written += 1
        from ..update import _test_point
        _test_point("after-segment-write")  # crash tests: a segment written, nothing committed
        self.next_segment += 1
        self.segment = Segment(self.cat)
        self.segment_first = self.next_docnum

    def finish(self) -> None:
        """Write what is left, merge segments if there are too many, and record the run's statistics (not
        committed)."""
        from .merge import merge_segments
        if self.analysis is not None:
            for done in self.analysis.drain():
                self._place(*done)
            self.close()
        self.flush()
        self._apply_deletes()
        merge_segments(self.conn, self.progress)
        conn = self.conn
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO parlsearch_fields (field, total_length) VALUES (%s, %s) ON CONFLICT (field) DO UPDATE "
                "SET total_length = parlsearch_fields.total_length + excluded.total_length",
                list(zip(self.cat.scored, self.totals)))
            cur.execute("UPDATE parlsearch_meta SET value = %s WHERE key = 'doc_count'", (str(self.next_docnum),))
            cur.execute("UPDATE parlsearch_meta SET value = (value::bigint + 1)::text WHERE key = 'generation'")


    def close(self) -> None:
        """Stop the analysis processes (at the end, or when the run fails)."""
        if self.analysis is not None:
            self.analysis.close()
            self.analysis = None


def prepare(conn, schema, meta: dict | None, rebuild: bool) -> dict:
    """Under the write lock: create the tables of a new database, or empty them for a rebuild (recreated
    when their layout or fields are not this parlsearch's). Returns the meta to write against."""
    if meta is None:
        create(conn, schema)
    elif rebuild:
        generation = int(meta.get("generation", "0"))
        epoch = int(meta.get("epoch", "0"))
        if compatible_for_update(meta, schema):
            for table in ("postings", "segments", "fields", "documents"):
                conn.execute("DELETE FROM parlsearch_%s" % table)  # (names from a fixed list)
            conn.execute("UPDATE parlsearch_meta SET value = '0' WHERE key = 'doc_count'")
        else:
            create(conn, schema, drop=True)
        # a rebuild renumbers every document: readers of the old numbers must know (view.py checks the epoch)
        with conn.cursor() as cur:
            cur.execute("INSERT INTO parlsearch_meta (key, value) VALUES ('generation', %s) ON CONFLICT (key) "
                        "DO UPDATE SET value = excluded.value", (str(generation),))
            cur.execute("INSERT INTO parlsearch_meta (key, value) VALUES ('epoch', %s) ON CONFLICT (key) "
                        "DO UPDATE SET value = excluded.value", (str(epoch + 1),))
    return read_meta(conn)


class _Restart(Exception):
    """Another run committed between planning and taking the lock."""


def export(paths: Iterable[str | os.PathLike] | None, servers: Servers, *, rebuild: bool = False,
           wait: float = 0.0, progress=None, jobs: int = 1):
    """Read `paths` (default: the bundled corpus) and commit what changed to the primary of `servers`, in one
    transaction. Returns update.py's UpdateSummary (its index_dir: the primary's name)."""
    from ...corpus.reader import bundled_corpus, iter_files
    report = progress or _no_progress
    files = list(iter_files([bundled_corpus()] if not paths else list(paths)))
    conn = open_for_writing(servers)
    psycopg = driver()
    try:
        while True:
            try:
                summary = _run(conn, servers, files, rebuild=rebuild, wait=wait, report=report, jobs=jobs)
                break
            except _Restart:
                conn.rollback()
                conn.autocommit = True
            except psycopg.Error as e:
                raise write_failed(servers, e) from None
        return summary
    finally:
        if not conn.closed:
            if not conn.autocommit:
                conn.rollback()
            conn.close()
        report("done", 0, 0, "")


def _run(conn, servers: Servers, files: list, *, rebuild: bool, wait: float, report, jobs: int = 1):
    from ..schema import build_schema
    from ..update import UpdateSummary, _Stream
    schema = build_schema()
    where = str(servers.primary)
    conn.autocommit = True
    current_schema(conn)  # (BackendProblem when the search_path names no schema: nowhere to write)
    meta = read_meta(conn)
    check(meta, schema, where, writing=True)
    if meta is not None and not rebuild and not compatible_for_update(meta, schema):
        raise BackendProblem("%s was written with another analyzer or index schema than this parlsearch's: "
                             "run parlsearch index --backend … --rebuild [PATHS] (or --from-index DIR)" % where)
    generation = None if meta is None else meta.get("generation")
    summary = UpdateSummary(index_dir=where)
    indexed = IndexedRows(conn, empty=rebuild or meta is None)

    def open_writer():
        conn.autocommit = False
        take_write_lock(conn, wait, where)
        now = read_meta(conn)
        if not rebuild and (None if now is None else now.get("generation")) != generation:
            raise _Restart
        return Writer(conn, schema, prepare(conn, schema, now, rebuild), report, jobs)

    stream = _Stream(indexed, summary, open_writer)
    try:
        return _stream(conn, stream, summary, files, meta, rebuild, report)
    finally:
        if stream.writer is not None:
            stream.writer.close()


def _stream(conn, stream, summary, files: list, meta, rebuild: bool, report):
    from ..update import _test_point, read_into
    if rebuild:
        stream.writer_now()
    read_into(stream, files, summary, report, every=50)
    writer = stream.writer
    if writer is not None and (stream.handed or (rebuild and summary.read)):
        writer.finish()
        report("committing", 0, 1, "steps")
        _test_point("before-commit")
        conn.commit()
        report("committing", 1, 1, "steps")
        _test_point("after-commit")
    elif writer is not None:
        conn.rollback()  # only unchanged documents after all, or a rebuild that read nothing
    conn.autocommit = True
    if meta is None and writer is None:
        summary.created = False
        summary.documents = 0
    else:
        tables = read_meta(conn)
        summary.documents = 0 if tables is None else conn.execute(
            "SELECT count(*) FROM parlsearch_documents WHERE live").fetchone()[0]
        summary.created = tables is not None
    return summary


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
