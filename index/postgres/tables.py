"""The database layout (versioned) and what a database must agree on with this parlsearch before it is read
or written.

Tables, in the connection's current schema (the first of its search_path; `options=-csearch_path=NAME` in
the DSN keeps several archives apart in one database), all named parlsearch_*:

* parlsearch_meta (key, value): LAYOUT_VERSION, the analyzer and index schema versions of the tokens, the
  field catalogue (which fields have postings, lengths, columns), the generation (one more per committed
  write: what a reader compares to know it is out of date) and the document count (the length of every
  per-document array: documents are numbered 0…count−1 in the order they were written).
* parlsearch_documents: one row per document number — id, official code, content hash, live (false once
  replaced), one length byte per scored field (whoosh's quantised length, what BM25 reads), the
  exact lengths, raw numeric column values (dates), label column values (author, minister, status facets)
  and the stored document (JSON).
* parlsearch_postings (field, term, segment): one row per term of a field per segment, the term's postings
  packed (blobs.py); the primary key's btree serves exact lookups and term ranges (prefix, fuzzy and
  spelling walks over the sorted vocabulary), `df` in its INCLUDE so document frequencies are index-only.
  Blobs are stored uncompressed (STORAGE EXTERNAL): document numbers barely compress and reading them is the
  engine's inner loop.
* parlsearch_segments: what each write added (first document number, count, postings).
* parlsearch_fields: each scored field's total length (BM25's average field length).

Replaced documents keep their row (live = false) and postings, and are counted in the statistics (document
count, document frequencies, average lengths) as whoosh counts deleted documents until its segments merge;
`--rebuild` writes everything afresh.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass

from .connect import BackendProblem

#: Bump when the tables change: a database of another version is refused with what to do.
LAYOUT_VERSION = 1
PREFIX = "parlsearch_"
TABLES = ("meta", "documents", "postings", "segments", "fields")

DDL = [
    "CREATE TABLE parlsearch_meta (key text PRIMARY KEY, value text NOT NULL)",
    """CREATE TABLE parlsearch_documents (
        docnum integer PRIMARY KEY,
        id text NOT NULL,
        moncode text,
        content_hash text NOT NULL,
        live boolean NOT NULL,
        lengths bytea NOT NULL,
        field_lengths integer[] NOT NULL,
        numbers bigint[] NOT NULL,
        labels bytea[] NOT NULL,
        payload text NOT NULL)""",
    "CREATE UNIQUE INDEX parlsearch_documents_live_id ON parlsearch_documents (id) WHERE live",
    "CREATE INDEX parlsearch_documents_live_moncode ON parlsearch_documents (moncode) WHERE live",
    """CREATE TABLE parlsearch_postings (
        field text NOT NULL,
        term text COLLATE "C" NOT NULL,
        segment integer NOT NULL,
        df integer NOT NULL,
        layout smallint NOT NULL,
        ids bytea NOT NULL,
        weights bytea NOT NULL,
        positions bytea,
        PRIMARY KEY (field, term, segment) INCLUDE (df))""",
    "ALTER TABLE parlsearch_postings ALTER ids SET STORAGE EXTERNAL, ALTER weights SET STORAGE EXTERNAL, "
    "ALTER positions SET STORAGE EXTERNAL",
    """CREATE TABLE parlsearch_segments (
        segment integer PRIMARY KEY,
        first_docnum integer NOT NULL,
        doc_count integer NOT NULL,
        postings bigint NOT NULL)""",
    "CREATE TABLE parlsearch_fields (field text PRIMARY KEY, total_length bigint NOT NULL)",
]


@dataclass(frozen=True)
class Catalogue:
    """Which fields of the index schema the database holds, and how (from the schema, never a copy of it:
    a field added to index/schema.py is stored by the next `--rebuild`)."""
    postings: tuple  # fields whose terms have postings (indexed, not numeric)
    positional: tuple  # … of which with positions (phrases)
    scored: tuple  # fields with lengths (BM25F), one byte each in documents.lengths, in this order
    numbers: tuple  # numeric column fields (dates): raw values in documents.numbers, in this order
    labels: tuple  # other column fields (facets): values in documents.labels, in this order

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Catalogue":
        data = json.loads(text)
        return cls(**{k: tuple(v) for k, v in data.items()})


#: Longest term stored as it is (UTF-8 bytes): a btree entry holds at most 2,704 bytes, and the analyzer keeps
#: any run of letters as one token (a pasted base64 blob is one 5,000-letter "word").
MAX_TERM_BYTES = 1000
#: What stands between a long term's first letters and its digest: not a letter, so no analysed term has it.
_LONG_TERM_MARK = "\uffff"


def stored_term(term: str) -> str:
    """The term as the database stores and looks it up: itself, or for a term over MAX_TERM_BYTES its first
    200 characters, a mark and a SHA-256 digest (the same term always maps to the same key)."""
    if len(term) * 4 <= MAX_TERM_BYTES or len(term.encode("utf-8")) <= MAX_TERM_BYTES:
        return term
    import hashlib
    return term[:200] + _LONG_TERM_MARK + hashlib.sha256(term.encode("utf-8")).hexdigest()


#: Column fields kept in columns of their own (documents.id, .content_hash), not among the labels.
OWN_COLUMNS = ("id", "content_hash")


def catalogue(schema) -> Catalogue:
    from whoosh import fields
    postings, positional, scored, numbers, labels = [], [], [], [], []
    for name in sorted(schema.names()):
        field = schema[name]
        numeric = isinstance(field, fields.NUMERIC)
        if field.indexed and field.format is not None and not numeric:
            postings.append(name)
            if field.format.supports("positions"):
                positional.append(name)
            if field.scorable:
                scored.append(name)
        if field.column_type is not None and name not in OWN_COLUMNS:
            (numbers if numeric else labels).append(name)
    return Catalogue(tuple(postings), tuple(positional), tuple(scored), tuple(numbers), tuple(labels))


def expected_meta(schema) -> dict[str, str]:
    """What this parlsearch writes and reads: the meta a compatible database has."""
    from ..analysis import ANALYZER_VERSION
    from ..schema import SCHEMA_VERSION
    return {"layout_version": str(LAYOUT_VERSION), "analyzer_version": str(ANALYZER_VERSION),
            "schema_version": str(SCHEMA_VERSION), "catalogue": catalogue(schema).to_json()}


def existing_tables(conn) -> set[str]:
    """The parlsearch_* tables of the connection's current schema."""
    rows = conn.execute("SELECT c.relname FROM pg_class c WHERE c.relnamespace = "
                        "(SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND c.relkind IN "
                        "('r', 'p', 'v', 'm', 'f') AND c.relname LIKE 'parlsearch\\_%'").fetchall()
    return {r[0] for r in rows}


def current_schema(conn) -> str:
    name = conn.execute("SELECT current_schema()").fetchone()[0]
    if name is None:
        raise BackendProblem("the connection has no schema to hold parlsearch's tables (its search_path names "
                             "none that exists): create one, or set options=-csearch_path=NAME in the DSN")
    return name


def read_meta(conn) -> dict[str, str] | None:
    """The meta of the database's tables; None when there are no parlsearch tables at all. Refuses tables
    named like ours that parlsearch did not create."""
    tables = existing_tables(conn)
    if not tables:
        return None
    if PREFIX + "meta" not in tables or not {PREFIX + t for t in TABLES} <= tables:
        raise BackendProblem("schema %s has tables named parlsearch_* that are not a parlsearch database (%s); "
                             "parlsearch leaves them alone: use another schema (options=-csearch_path=NAME)"
                             % (current_schema(conn), ", ".join(sorted(tables))))
    return dict(conn.execute("SELECT key, value FROM parlsearch_meta").fetchall())


def check(meta: dict | None, schema, where: str, writing: bool = False) -> None:
    """BackendProblem unless `meta` (read_meta) is a database this parlsearch reads as it writes."""
    if meta is None:
        if writing:
            return
        raise BackendProblem("%s holds no parlsearch index yet: run parlsearch index --backend … first" % where)
    try:
        version = int(meta.get("layout_version", "0"))
    except ValueError:
        version = 0
    if version > LAYOUT_VERSION:
        raise BackendProblem("%s was written by a newer parlsearch (database layout %d; this one reads %d): "
                             "upgrade parlsearch" % (where, version, LAYOUT_VERSION))
    if version < LAYOUT_VERSION:
        raise BackendProblem("%s has an older database layout (%d; this parlsearch reads %d): run parlsearch "
                             "index --backend … --rebuild [PATHS] (or --from-index DIR)" % (where, version,
                                                                                         LAYOUT_VERSION))
    if writing:
        return  # a write of another analyzer or schema version must be a --rebuild: export.py says so
    expected = expected_meta(schema)
    for key, what in (("analyzer_version", "analyzer"), ("schema_version", "index schema"),
                      ("catalogue", "fields")):
        if meta.get(key) != expected[key]:
            raise BackendProblem("%s was written with another %s than this parlsearch's: run parlsearch index "
                                 "--backend … --rebuild [PATHS] (or --from-index DIR)" % (where, what))


def create(conn, schema, drop: bool = False) -> None:
    """Create the tables (in the current transaction), first dropping ours when `drop`."""
    current_schema(conn)
    if drop:
        for table in TABLES:
            conn.execute("DROP TABLE IF EXISTS parlsearch_%s" % table)  # (names from TABLES, never input)
    for statement in DDL:
        conn.execute(statement)
    meta = expected_meta(schema)
    import uuid
    # instance: this set of tables, whatever its name or server (process-wide caches are keyed on it)
    meta.update(generation="0", epoch="0", doc_count="0", instance=uuid.uuid4().hex,
                created=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO parlsearch_meta (key, value) VALUES (%s, %s)", list(meta.items()))


def compatible_for_update(meta: dict, schema) -> bool:
    """Whether a database's tokens and fields are this parlsearch's (else only --rebuild may write it)."""
    expected = expected_meta(schema)
    return all(meta.get(k) == expected[k] for k in expected)
