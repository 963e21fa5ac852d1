"""The read side: a database seen as the arrays the engine scores, filters, counts and sorts with — the same
interface as index/segments.py's IndexView over a local index, so that planning, the coverage rule,
scoring, collectors, spelling and snippets are the same code for both (search/engine/core.py, execute.py…).

What a query costs here: one statement for the postings of every term the engine asks for at once
(`prefetch`, then one per term it finds later: spelling corrections, expansions), returning one row per term
per segment (blobs.py); a page's stored documents in one statement. Per-document arrays (lengths, dates,
facets, which documents are live) are read once per view, each with one statement that aggregates them
server-side into one byte string (~1 MB at 100,000 documents); the sorted vocabulary of a field once per
process and generation (spelling and fuzzy or prefix words walk it, index/expansion.py).

Consistency: a view reads the generation it opened (its document count, live documents and statistics).
Writes only append documents and segments and mark replaced documents, so rows read later still describe
the view's documents: postings of documents past its count are left out. A `--rebuild` renumbers every
document; it changes the database's epoch, which every postings and document read returns: a view that
meets another epoch raises StaleView (run the command again) instead of mixing two numberings.
`source.PostgresSource.up_to_date()` is what `serve` checks at each request.

(~380 lines: the view's arrays, postings and stored documents share its epoch check and caches.)
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from ..segments import ArrayView
from .blobs import concatenate, unpack
from .connect import BackendProblem, driver
from .tables import catalogue, stored_term

#: whoosh stores a DATETIME column as microseconds since datetime.min (index/segments.py reads it alike).
_US_PER_DAY = 86_400_000_000
_MAX_ORDINAL = dt.date.max.toordinal()
#: Stands for "no value" in a numeric column read (never a date's value: datetime.min is 0).
_MISSING = -(2 ** 63)
#: Terms whose postings a view keeps (each query's words; a `serve` engine's recent queries).
CACHED_TERMS = 4096
#: Stored documents read in one statement (a page of hits; `--csv` writes 1,000 at a time).
STORED_BATCH = 1000
#: Process-wide vocabularies kept: {(instance, epoch, generation, field): sorted terms} (tables.create gives
#: each set of tables its own instance id).
_VOCABULARIES: dict = {}
_MAX_VOCABULARIES = 32

_EPOCH = "(SELECT value FROM parlsearch_meta WHERE key = 'epoch')"
_FETCH = ("SELECT p.field, p.term, p.segment, p.df, p.layout, p.ids, p.weights, " + _EPOCH + " "
          "FROM parlsearch_postings p JOIN unnest(%s::text[], %s::text[]) AS q(field, term) "
          "ON p.field = q.field AND p.term = q.term COLLATE \"C\" ORDER BY p.field, p.term, p.segment")


class StaleView(BackendProblem):
    """The database was rebuilt while a command read it."""


def storable(text) -> str | None:
    """A term or value as the database holds it (tables.stored_term), or None when no row can hold it (a NUL,
    bytes that are not UTF-8, a lone surrogate): then it is in no document."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if not isinstance(text, str) or "\x00" in text:
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return stored_term(text)


class _Whole:
    """The one "segment" of a database view, for the phrase matcher (index/segments.py's segments)."""

    offset = 0

    def __init__(self, doc_count: int):
        self.doc_count = doc_count


class PostgresView(ArrayView):
    """A database at one generation, as index/segments.IndexView's arrays."""

    fast = True

    def __init__(self, conn, server_label: str, schema, meta: dict):
        self.conn = conn
        self.server = server_label
        self.schema = schema
        self.cat = catalogue(schema)
        self.generation = meta.get("generation", "0")
        self.epoch = meta.get("epoch", "0")
        self.instance = meta.get("instance", "")
        self.doc_count = int(meta.get("doc_count", "0"))
        self._cache: dict = {}
        self._terms: dict = {}  # (field, term) → (ids, weights, df) of live documents
        self._dfs: dict = {}
        self._stored: dict = {}
        self._totals = dict(self._query("SELECT field, total_length FROM parlsearch_fields").fetchall())
        from .source import PostgresReader
        self.reader = PostgresReader(self)
        self.segments = [_Whole(self.doc_count)]
        self.statements = 0  # for tests that count round trips

    # -- statements -----------------------------------------------------------------------------------------

    def _query(self, sql: str, params=None):
        psycopg = driver()
        self.statements = getattr(self, "statements", 0) + 1
        try:
            return self.conn.execute(sql, params)
        except psycopg.Error as e:
            from .connect import _first_line
            raise BackendProblem("reading %s failed: %s" % (self.server, _first_line(e))) from None

    def _check_epoch(self, epoch) -> None:
        if epoch is not None and epoch != self.epoch:
            raise StaleView("the database at %s was rebuilt while this command read it: run it again" % self.server)

    # -- statistics ----------------------------------------------------------------------------------------

    def doc_frequency(self, fieldname: str, btext) -> int:
        """Documents with the term (replaced ones included until a rebuild, as whoosh counts deleted ones)."""
        term = storable(btext)
        if term is None:
            return 0
        got = self._terms.get((fieldname, term))
        if got is not None:
            return got[2]
        df = self._dfs.get((fieldname, term))
        if df is None:
            row = self._query("SELECT coalesce(sum(df), 0) FROM parlsearch_postings WHERE field = %s AND term = %s",
                              (fieldname, term)).fetchone()
            df = int(row[0])
            if len(self._dfs) > 50_000:
                self._dfs.clear()
            self._dfs[(fieldname, term)] = df
        return df

    def avg_field_length(self, fieldname: str):
        if fieldname not in self.cat.scored:
            return None
        return self._totals.get(fieldname, 0) / (self.doc_count or 1)

    # -- postings ------------------------------------------------------------------------------------------

    def prefetch(self, pairs) -> None:
        """Read the postings of every (field, term) not read yet, in one statement."""
        wanted = []
        for fieldname, text in pairs:
            term = storable(text)
            if term is not None and fieldname in self.cat.postings and (fieldname, term) not in self._terms:
                wanted.append((fieldname, term))
        wanted = list(dict.fromkeys(wanted))
        if not wanted:
            return
        if len(self._terms) + len(wanted) > CACHED_TERMS:
            self._terms.clear()
        rows = self._query(_FETCH, ([f for f, _ in wanted], [t for _, t in wanted])).fetchall()
        parts: dict = {}
        for field, term, segment, df, layout, ids, weights, epoch in rows:
            self._check_epoch(epoch)
            parts.setdefault((field, term), []).append(
                unpack("%s:%s (segment %d)" % (field, term, segment), df, layout, ids, weights))
        live = self.live()
        n = self.doc_count
        for key in wanted:
            ids, weights, _, _ = concatenate(parts.get(key, []))
            if len(ids) and ids[-1] >= n:  # documents written after this view opened
                keep = ids < n
                ids, weights = ids[keep], weights[keep]
            df = len(ids)
            if live is not None and len(ids):
                keep = live[ids]
                if not keep.all():
                    ids, weights = ids[keep], weights[keep]
            self._terms[key] = (ids, weights, df)

    def term_postings(self, fieldname: str, btext):
        """(ids int64, weights float64) of a term over the live documents."""
        term = storable(btext)
        if term is None or fieldname not in self.cat.postings:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        got = self._terms.get((fieldname, term))
        if got is None:
            self.prefetch([(fieldname, term)])
            got = self._terms[(fieldname, term)]
        return got[0], got[1]

    def postings(self, fieldname: str, btext, positions: bool = False):
        """[(segment, Postings)] as IndexView gives them: here one segment, the whole view (global ids)."""
        from ..segments import Postings
        term = storable(btext)
        if term is None or fieldname not in self.cat.postings:
            return []
        if not positions:
            ids, weights = self.term_postings(fieldname, btext)
            return [(self.segments[0], Postings(ids, weights))] if len(ids) else []
        rows = self._query(
            "SELECT segment, df, layout, ids, weights, positions, " + _EPOCH + " FROM parlsearch_postings "
            "WHERE field = %s AND term = %s ORDER BY segment", (fieldname, term)).fetchall()
        parts = []
        for segment, df, layout, ids, weights, pos, epoch in rows:
            self._check_epoch(epoch)
            parts.append(unpack("%s:%s (segment %d)" % (fieldname, term, segment), df, layout, ids, weights, pos,
                                want_positions=True))
        ids, weights, flat, starts = concatenate(parts)
        if not len(ids):
            return []
        keep = ids < self.doc_count
        live = self.live()
        if live is not None:
            keep &= live[np.minimum(ids, max(self.doc_count - 1, 0))]
        index = None if keep.all() else np.flatnonzero(keep)
        if index is not None:
            if not len(index):
                return []
            ids, weights = ids[index], weights[index]
        return [(self.segments[0], Postings(ids, weights, flat, starts, index))]

    # -- per-document arrays -----------------------------------------------------------------------------------

    def live(self):
        def build():
            row = self._query("SELECT count(*), array_agg(docnum) FILTER (WHERE NOT live), " + _EPOCH + " FROM "
                              "parlsearch_documents WHERE docnum < %s", (self.doc_count,)).fetchone()
            self._check_epoch(row[2])
            if row[0] != self.doc_count:
                raise BackendProblem("the documents of %s are damaged (%d rows for %d document numbers): run "
                                     "parlsearch index --backend … --rebuild" % (self.server, row[0], self.doc_count))
            if not row[1]:
                return False
            out = np.ones(self.doc_count, dtype=bool)
            out[np.array(row[1], dtype=np.int64)] = False
            return out
        value = self._cached("live", build)
        return None if value is False else value

    def _lengths(self) -> np.ndarray:
        def build():
            k = len(self.cat.scored)
            if not self.doc_count or not k:
                return np.zeros((self.doc_count, k), dtype=np.uint8)
            raw, epoch = self._query("SELECT string_agg(lengths, ''::bytea ORDER BY docnum), " + _EPOCH + " FROM "
                                     "parlsearch_documents WHERE docnum < %s", (self.doc_count,)).fetchone()
            self._check_epoch(epoch)
            raw = raw or b""
            if len(raw) != self.doc_count * k:
                raise BackendProblem("the field lengths of %s are damaged: run parlsearch index --backend … "
                                     "--rebuild" % self.server)
            return np.frombuffer(raw, dtype=np.uint8).reshape(self.doc_count, k)
        return self._cached("lengths", build)

    def lengths(self, fieldname: str) -> np.ndarray:
        if fieldname not in self.cat.scored:
            return np.zeros(self.doc_count, dtype=np.uint8)
        return self._cached(("len", fieldname), lambda: np.ascontiguousarray(
            self._lengths()[:, self.cat.scored.index(fieldname)]))

    def raw_column(self, fieldname: str):
        """(raw values int64, present mask) of a numeric column (dates: whoosh's microseconds)."""
        def build():
            if fieldname not in self.cat.numbers or not self.doc_count:
                return np.zeros(self.doc_count, np.int64), np.zeros(self.doc_count, bool)
            raw, epoch = self._query(
                "SELECT string_agg(int8send(coalesce(numbers[%s], %s)), ''::bytea ORDER BY docnum), " + _EPOCH +
                " FROM parlsearch_documents WHERE docnum < %s",
                (self.cat.numbers.index(fieldname) + 1, _MISSING, self.doc_count)).fetchone()
            self._check_epoch(epoch)
            values = np.frombuffer(raw or b"", dtype=">i8").astype(np.int64)
            if len(values) != self.doc_count:
                raise BackendProblem("the columns of %s are damaged: run parlsearch index --backend … --rebuild"
                                     % self.server)
            return values, values != _MISSING
        return self._cached(("raw", fieldname), build)

    def days(self, fieldname: str) -> np.ndarray:
        """A date column as day ordinals (0: no date), as IndexView.days."""
        def build():
            values, present = self.raw_column(fieldname)
            ordinal = values // _US_PER_DAY + 1
            ordinal[~present | (values < 0) | (ordinal > _MAX_ORDINAL) | (ordinal < 1)] = 0
            return ordinal.astype(np.int64)
        return self._cached(("days", fieldname), build)

    def codes(self, fieldname: str):
        """A label column as (codes, values): values[codes[d]] is document d's value ("" for none)."""
        def build():
            codes = np.zeros(self.doc_count, dtype=np.int64)
            if fieldname not in self.cat.labels or not self.doc_count:
                return codes, [""]
            rows = self._query("SELECT coalesce(labels[%s], ''::bytea), string_agg(int4send(docnum), ''::bytea), "
                               + _EPOCH + " FROM parlsearch_documents WHERE docnum < %s GROUP BY 1",
                               (self.cat.labels.index(fieldname) + 1, self.doc_count)).fetchall()
            values: dict[str, int] = {}
            for value, docnums, epoch in rows:
                self._check_epoch(epoch)
                code = values.setdefault(bytes(value).decode("utf-8", "replace"), len(values))
                codes[np.frombuffer(docnums, dtype=">i4")] = code
            return codes, list(values) or [""]
        return self._cached(("codes", fieldname), build)

    def values(self, fieldname: str, docnums) -> list[str]:
        """The value of a column (id, moncode, content hash, a label) for each of `docnums` ("" for none)."""
        docnums = [int(d) for d in docnums]
        if not docnums:
            return []
        if fieldname in ("id", "moncode", "content_hash"):
            column = fieldname  # (one of three fixed names)
            rows = self._query("SELECT docnum, %s, %s FROM parlsearch_documents WHERE docnum = ANY(%%s)"
                               % (column, _EPOCH), (docnums,)).fetchall()
            for row in rows:
                self._check_epoch(row[2])
            found = {d: v or "" for d, v, _ in rows}
        elif fieldname in self.cat.labels:
            rows = self._query("SELECT docnum, labels[%s], " + _EPOCH + " FROM parlsearch_documents WHERE docnum = "
                               "ANY(%s)", (self.cat.labels.index(fieldname) + 1, docnums)).fetchall()
            for row in rows:
                self._check_epoch(row[2])
            found = {d: bytes(v).decode("utf-8", "replace") if v is not None else "" for d, v, _ in rows}
        else:
            found = {}
        return [found.get(d, "") for d in docnums]

    # -- stored documents ----------------------------------------------------------------------------------

    def prefetch_stored(self, docnums) -> None:
        """Read the stored documents of `docnums` in one statement (a page of hits)."""
        wanted = [int(d) for d in docnums if int(d) not in self._stored]
        if not wanted:
            return
        if len(self._stored) + len(wanted) > STORED_BATCH:
            self._stored.clear()
        rows = self._query("SELECT docnum, payload, " + _EPOCH + " FROM parlsearch_documents WHERE docnum = ANY(%s)",
                           (wanted,)).fetchall()
        for docnum, payload, epoch in rows:
            self._check_epoch(epoch)
            self._stored[docnum] = payload

    def stored(self, docnum: int) -> dict:
        docnum = int(docnum)
        if docnum not in self._stored:
            self.prefetch_stored([docnum])
        payload = self._stored.get(docnum)
        if payload is None:
            raise StaleView("document %d of %s is gone (the database was rebuilt): run the command again"
                            % (docnum, self.server))
        return {"payload": payload}

    # -- vocabulary --------------------------------------------------------------------------------------------

    def sorted_terms(self, fieldname: str) -> list[str]:
        """Every term of a field, sorted (code point order: the column's "C" collation), once per process and
        generation."""
        key = (self.instance, self.epoch, self.generation, fieldname)
        terms = _VOCABULARIES.get(key)
        if terms is None:
            if fieldname in self.cat.postings:
                rows = self._query("SELECT DISTINCT term FROM parlsearch_postings WHERE field = %s ORDER BY term",
                                   (fieldname,)).fetchall()
                terms = [r[0] for r in rows]
            else:
                terms = []
            if len(_VOCABULARIES) >= _MAX_VOCABULARIES:
                _VOCABULARIES.clear()
            _VOCABULARIES[key] = terms
        return terms

