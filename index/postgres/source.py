"""What an Engine reads through for a database (index/source.py's LocalSource for a local index): a
connection to one of the servers `--backend` names (connect.py chooses it), its view (view.py), and what
spelling correction and expansions ask of whoosh's reader, answered from the view."""
from __future__ import annotations

from .connect import BackendProblem, Servers, driver, open_for_reading
from .tables import check, read_meta
from .view import PostgresView, storable


class PostgresReader:
    """What spelling correction, expansions and facet counts ask of whoosh's reader (doc_frequency,
    lexicon, term walks), over a view; also its own single leaf for index/expansion.py."""

    def __init__(self, view: PostgresView):
        self.view = view
        self.schema = view.schema

    def doc_frequency(self, fieldname: str, text) -> int:
        if isinstance(text, str) and fieldname in self.schema:
            try:
                text = self.schema[fieldname].to_bytes(text)
            except Exception:  # noqa: BLE001  a value the field cannot hold: in no document
                return 0
        return self.view.doc_frequency(fieldname, text)

    def __contains__(self, pair) -> bool:
        fieldname, text = pair
        return self.doc_frequency(fieldname, text) > 0

    def doc_count_all(self) -> int:
        return self.view.doc_count

    def leaf_readers(self):
        return [(self, 0)]

    def indexed_field_names(self):
        return list(self.view.cat.postings)

    def sorted_terms(self, fieldname: str) -> list[str]:
        return self.view.sorted_terms(fieldname)

    def lexicon(self, fieldname: str):
        for term in self.view.sorted_terms(fieldname):
            yield term.encode("utf-8")

    def expand_prefix(self, fieldname: str, prefix):
        import bisect
        prefix = prefix.decode("utf-8") if isinstance(prefix, bytes) else prefix
        terms = self.view.sorted_terms(fieldname)
        i = bisect.bisect_left(terms, prefix)
        while i < len(terms) and terms[i].startswith(prefix):
            yield terms[i].encode("utf-8")
            i += 1

    def terms_from(self, fieldname: str, btext):
        import bisect
        start = btext.decode("utf-8", "replace") if isinstance(btext, bytes) else btext
        terms = self.view.sorted_terms(fieldname)
        for term in terms[bisect.bisect_left(terms, start):]:
            yield fieldname, term.encode("utf-8")


class PostgresSource:
    """What an Engine reads through (index/source.py's LocalSource for a local index): a database on one of
    `servers`, at the generation it had when opened."""

    ix = None
    searcher = None

    def __init__(self, servers: Servers, max_lag: float | None = None, schema=None, start: int | None = None):
        from ..schema import build_schema
        from .connect import DEFAULT_MAX_LAG
        self.servers = servers
        self.max_lag = DEFAULT_MAX_LAG if max_lag is None else max_lag
        conn, server = open_for_reading(servers, self.max_lag, start)
        self.server = server
        self.location = "postgresql %s" % server
        try:
            self.schema = schema or build_schema()
            psycopg = driver()
            try:
                meta = read_meta(conn)
            except psycopg.Error as e:
                from .connect import _first_line
                raise BackendProblem("reading %s failed: %s" % (server, _first_line(e))) from None
            check(meta, self.schema, str(server))
            self.view = PostgresView(conn, str(server), self.schema, meta)
        except BaseException:
            conn.close()
            raise
        self.conn = conn
        self.reader = self.view.reader

    def document_number(self, fieldname: str, value) -> int | None:
        """The first live document whose `fieldname` is `value`, within this view; None if none. The id and the
        official code are columns of their own (a unique and a plain index); any other identifier field (the
        official identifier) is looked up by its term's postings, as whoosh's document_number does."""
        if fieldname not in ("id", "moncode"):
            if fieldname not in self.view.cat.postings:
                raise ValueError("documents are found by an indexed field, not %r" % fieldname)
            ids, _ = self.view.term_postings(fieldname, value)
            return int(ids.min()) if len(ids) else None
        value = storable(value)
        if value is None:
            return None
        row = self.view._query("SELECT min(docnum) FROM parlsearch_documents WHERE live AND %s = %%s AND docnum < %%s"
                               % fieldname, (value, self.view.doc_count)).fetchone()
        return None if row[0] is None else int(row[0])

    def up_to_date(self) -> bool:
        """Whether the database is still at this view's generation (False too when the server is gone: the
        caller opens a new source, on a server that answers)."""
        psycopg = driver()
        try:
            rows = dict(self.conn.execute("SELECT key, value FROM parlsearch_meta WHERE key IN ('generation', "
                                          "'epoch')").fetchall())
        except psycopg.Error:
            return False
        return rows.get("generation") == self.view.generation and rows.get("epoch", "0") == self.view.epoch

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:  # noqa: BLE001  a connection already broken
            pass
