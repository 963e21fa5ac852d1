"""The SQLite FTS5 side of bench/benchmark.py: the database it builds, how a parlsearch query becomes an FTS5
MATCH expression, and the SQL of each measured operation.

Layout — the one sqlite-utils' `enable-fts` makes and Datasette searches, so that the same file serves the
in-process queries, the cold start and `datasette serve`:

* `questions`: one row a document (rowid = insertion order): the text parlsearch indexes (subject, title_nl,
  question, answer, body_nl = Dutch question + answer, portfolio, author, minister) and the values it
  filters, sorts and counts on (status, date as ISO text or NULL, year, type, legislature, id, moncode);
* `docs`: fts5(subject, title_nl, question, answer, body_nl, portfolio, author, minister, status, date,
  id UNINDEXED, moncode UNINDEXED, content="questions", tokenize='unicode61 remove_diacritics 2'), an
  external-content index over that table, whose `rank` is configured once as bm25 with parlsearch's default
  field weights (subject 4, title_nl 2.5, question 1.6, answer 1, body_nl 0.8; the other columns only
  filter), so that `ORDER BY rank LIMIT 10` is FTS5's optimised top-k (snippets computed for the 10 rows
  returned only).

The measured operations (each one SQL statement as a SQLite user would write it):

* search: the top 10 by rank with a snippet (FTS5 picks the column), plus `count(*)` of the matches;
* sort newest first: the 10 newest matches by `questions.date DESC` (no date last, as in parlsearch), then
  their snippets, plus the count;
* facets: one statement, a MATERIALIZED common table expression of the matching rowids (the MATCH runs
  once) and a `GROUP BY` of `questions` per facet over it (UNION ALL), plus the count.

The translation of a query (to_fts5): bare words are AND-ed after dropping French stopwords, elided articles
(l', d'…), question words and the pronoun of an inversion (faut-il → faut), since FTS5 has no stopword list,
and searched in {subject title_nl question answer body_nl} like parlsearch's bare words; a word with inner
- . & is the FTS5 phrase of its parts; "phrases" stay phrases; field:value becomes a column filter (auteur →
author, ministre → minister, statut → status with repondu → answered, date → date, where a year matches the
year token of the ISO date, titre → subject, question, reponse → answer, titel → title_nl); a trailing * is
a prefix query; OR is kept. FTS5 has no relaxation: a question with one word absent from the corpus finds
nothing; and no fuzzy matching (`word~` is searched as `word`).

`python bench/fts5.py build JSONL DB [--append]` is the indexing process the benchmark times: it reads the
file with parlsearch's corpus reader (so both sides include reading and de-duplicating the JSONL) and
inserts every document in one transaction; --append adds the documents to an existing database (the
increment's identifiers are new). It prints the number of documents read.
"""
from __future__ import annotations

import argparse
import re
import sqlite3
import sys
import unicodedata
from pathlib import Path
from types import SimpleNamespace

from parlsearch.search.engine.query import QueryError

#: The columns of `questions` that the FTS5 index covers, in its column order.
FTS_COLUMNS = ("subject", "title_nl", "question", "answer", "body_nl", "portfolio", "author", "minister",
               "status", "date")
#: The columns of `questions`: the short values first and the long texts last, since SQLite reads a row's
#: columns in order and a long text spills into overflow pages that reading a later column must walk (with
#: the texts first, counting 1,000 matches by facet took 54 ms at 5,000 documents instead of ~5).
QUESTION_COLUMNS = ("id", "moncode", "status", "date", "year", "type", "legislature", "author", "minister",
                    "portfolio", "subject", "title_nl", "question", "answer", "body_nl")
#: Bare words and phrases are searched in the columns parlsearch searches them in.
FTS_TEXT = "{subject title_nl question answer body_nl}"
#: bm25 column weights: parlsearch's default field weights; the other columns only filter.
FTS_RANK = "bm25(4.0, 2.5, 1.6, 1.0, 0.8, 0.0, 0.0, 0.0, 0.0, 0.0)"
#: The facets of `stats QUERY` (search/engine/collect.py FACETS) and of the web page (search/web/facets.py), as
#: columns of `questions`.
STATS_FACETS = ("status", "year", "minister", "author", "type", "legislature")
WEB_FACETS = ("minister", "author", "year", "status")

FTS_FIELDS = {"auteur": "author", "author": "author", "ministre": "minister", "minister": "minister",
              "statut": "status", "status": "status", "date": "date", "titre": "subject", "title": "subject",
              "titel": "title_nl", "portefeuille": "portfolio", "portfolio": "portfolio",
              "sujet": "subject", "question": "question", "reponse": "answer", "answer": "answer"}
FTS_STATUS = {"repondu": "answered", "repondue": "answered", "answered": "answered",
              "non-repondu": "unanswered", "sans-reponse": "unanswered", "unanswered": "unanswered",
              "en-attente": "unanswered"}
FTS_ELISIONS = {"l", "d", "qu", "j", "n", "s", "c", "t", "m", "jusqu", "lorsqu", "puisqu", "quoiqu"}
FTS_QUESTION_WORDS = {"combien", "comment", "pourquoi", "quand", "quoi", "quel", "quelle", "quels",
                      "quelles", "lequel", "laquelle", "faut", "peut", "peuvent", "doit", "doivent", "est",
                      "sont", "ont", "il", "ils", "elle", "elles", "t", "ce", "cela", "ca", "y", "a", "les"}
#: Pronouns of an interrogative inversion ("faut-il", "consacre-t-elle"), dropped from the end of a word.
FTS_INVERSIONS = {"t", "il", "ils", "elle", "elles", "on", "je", "tu", "nous", "vous", "ce"}
OPERATORS = ("OR", "AND", "NOT")


# -- the translation ---------------------------------------------------------------------------------

def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c))


_STOPS: set | None = None


def _stopwords() -> set:
    global _STOPS
    if _STOPS is None:
        try:
            from whoosh.lang.stopwords import stoplists
            base = {_fold(w) for w in stoplists["fr"]}
        except Exception:
            base = set()
        _STOPS = base | FTS_QUESTION_WORDS
    return _STOPS


def _fts_word(word: str) -> str | None:
    """One typed word → an FTS5 string/phrase, or None when it carries nothing (stopword, elision)."""
    word = word.replace("’", "'")
    prefix = word.endswith("*")
    word = re.sub(r"~\d*$", "", word).rstrip("*?!.,;:")
    pieces = word.split("'")
    if len(pieces) > 1 and _fold(pieces[0]) in FTS_ELISIONS:
        pieces = pieces[1:]
    parts = re.findall(r"\w+", " ".join(pieces))
    while len(parts) > 1 and "-" in word and _fold(parts[-1]) in FTS_INVERSIONS:
        parts.pop()
    if not parts:
        return None
    if len(parts) == 1 and _fold(parts[0]) in _stopwords() and not prefix:
        return None
    text = '"%s"' % " ".join(parts)
    return text + "*" if prefix else text


def to_fts5(query: str) -> str:
    """A parlsearch query as an FTS5 MATCH expression (see the module doc); "" when nothing is left."""
    clauses = []
    for field, fvalue, phrase, word in re.findall(r'(\w+):("[^"]*"|\S+)|"([^"]*)"|(\S+)', query):
        if field:
            column = FTS_FIELDS.get(_fold(field))
            value = fvalue.strip('"')
            if column == "status":
                value = FTS_STATUS.get(_fold(value), value)
            parts = re.findall(r"\w+", value)
            if column is None or not parts:
                continue
            clauses.append('%s : "%s"' % (column, " ".join(parts)))
        elif phrase:
            parts = re.findall(r"\w+", phrase.replace("'", " "))
            if parts:
                clauses.append('%s : "%s"' % (FTS_TEXT, " ".join(parts)))
        elif word in OPERATORS:
            clauses.append(word)
        else:
            text = _fts_word(word)
            if text:
                clauses.append("%s : %s" % (FTS_TEXT, text))
    out = []
    for c in clauses:  # AND between operands, operators kept where typed
        if out and c not in OPERATORS and out[-1] not in OPERATORS:
            out.append("AND")
        out.append(c)
    while out and out[-1] in OPERATORS:
        out.pop()
    while out and out[0] in ("OR", "AND"):
        out.pop(0)
    return " ".join(out)


# -- the database ------------------------------------------------------------------------------------

def load_documents(paths):
    """The documents of `paths` as parlsearch reads them (records merged, broken ones left out)."""
    from parlsearch.corpus.reader import Deduplicator, Problem, iter_read
    dedup = Deduplicator()
    for item in iter_read([str(p) for p in paths]):
        if not isinstance(item, Problem):
            dedup.add(item)
    return dedup.documents()


def row_of(doc) -> tuple:
    """A document as a `questions` row (QUESTION_COLUMNS)."""
    date = doc.date_received.isoformat() if doc.date_received else None
    values = {"id": doc.id, "moncode": doc.moncode or "", "status": doc.status or "", "date": date,
              "year": date[:4] if date else None, "type": doc.type or None, "legislature": doc.legislature or None,
              "author": doc.author or "", "minister": doc.minister or "", "portfolio": doc.portfolio or "",
              "subject": "" if doc.title_derived else doc.subject or "",  # parlsearch leaves a title derived
              "title_nl": "" if doc.title_derived else doc.title_nl or "",  # from the text out (index/schema.py)
              "question": doc.question or "",
              "answer": doc.answer or "", "body_nl": "\n".join(t for t in (doc.question_nl, doc.answer_nl) if t)}
    return tuple(values[c] for c in QUESTION_COLUMNS)


def build_fts5(paths, db_path, append: bool = False) -> int:
    """Index the documents of `paths` into the database (a new one, or appended to with `append`), in one
    transaction; returns the number of documents."""
    docs = load_documents(paths)
    db_path = Path(db_path)
    if not append:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
    con = sqlite3.connect(str(db_path))
    columns = QUESTION_COLUMNS
    with con:
        if not append:
            con.execute("CREATE TABLE questions (%s)" % ", ".join(columns))
            con.execute('CREATE VIRTUAL TABLE docs USING fts5(%s, id UNINDEXED, moncode UNINDEXED, '
                        'content="questions", tokenize = \'unicode61 remove_diacritics 2\')'
                        % ", ".join(FTS_COLUMNS))
            con.execute("INSERT INTO docs(docs, rank) VALUES ('rank', ?)", (FTS_RANK,))
        first = con.execute("SELECT coalesce(max(rowid), 0) FROM questions").fetchone()[0]
        con.executemany("INSERT INTO questions VALUES (%s)" % ", ".join("?" * len(columns)),
                        (row_of(d) for d in docs))
        names = ", ".join(FTS_COLUMNS + ("id", "moncode"))
        con.execute("INSERT INTO docs(rowid, %s) SELECT rowid, %s FROM questions WHERE rowid > ?"
                    % (names, names), (first,))
    con.close()
    return len(docs)


class QueryFailed(QueryError):
    """FTS5 refused a translated expression (a QueryError, so that search/evaluate.py counts it as one)."""


class Fts5Searcher:
    """The measured operations over one database (see the module doc)."""

    SNIPPET = "snippet(docs, -1, '[', ']', '…', 12)"
    TOP = "SELECT id, moncode, subject, %s FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT ?" % SNIPPET
    COUNT = "SELECT count(*) FROM docs WHERE docs MATCH ?"
    #: The ten newest rowids from `questions` (a date read from the FTS5 table would fetch each match's
    #: whole row, texts included: 2-8× slower at 5,000 documents), then their snippets. SQLite orders
    #: NULL below any text, so documents without a date come last, as in parlsearch.
    NEWEST = ("WITH top AS (SELECT q.rowid FROM questions q WHERE q.rowid IN "
              "(SELECT rowid FROM docs WHERE docs MATCH ?1) ORDER BY q.date DESC LIMIT ?2) "
              "SELECT id, moncode, subject, %s FROM docs WHERE docs MATCH ?1 AND rowid IN top "
              "ORDER BY date DESC" % SNIPPET)

    def __init__(self, db_path):
        self.con = sqlite3.connect(str(db_path))

    def _run(self, sql, params):
        try:
            return self.con.execute(sql, params).fetchall()
        except sqlite3.OperationalError as e:
            raise QueryFailed("fts5: %s (%s)" % (e, params[0] if params else sql)) from None

    @staticmethod
    def _result(total, rows):
        hits = [SimpleNamespace(doc=SimpleNamespace(id=r[0], moncode=r[1] or None), subject=r[2], snippet=r[3])
                for r in rows]
        return SimpleNamespace(total=total, hits=hits)

    def search(self, query: str, limit: int = 10):
        """The top `limit` by rank with snippets, and the count: an object with `total` and `hits`
        (hit.doc.id, hit.doc.moncode, hit.snippet) like parlsearch's SearchResult, for search/evaluate.py."""
        expr = to_fts5(query)
        if not expr:
            return SimpleNamespace(total=0, hits=[])
        rows = self._run(self.TOP, (expr, limit))
        return self._result(self._run(self.COUNT, (expr,))[0][0], rows)

    def search_expr(self, expr: str, limit: int = 10) -> int:
        """Top `limit` and the count for a raw FTS5 expression; returns the count."""
        self._run(self.TOP, (expr, limit))
        return self._run(self.COUNT, (expr,))[0][0]

    def newest(self, query: str, limit: int = 10):
        """The `limit` newest matches (reception date, none last) with snippets, and the count (as search)."""
        expr = to_fts5(query)
        if not expr:
            return SimpleNamespace(total=0, hits=[])
        rows = self._run(self.NEWEST, (expr, limit))
        return self._result(self._run(self.COUNT, (expr,))[0][0], rows)

    def facets(self, query: str, facets=STATS_FACETS) -> tuple[int, dict[str, dict[str, int]]]:
        """(number of matches, {facet: {value: count}}) over every match (every document for an empty
        query), in one statement."""
        expr = to_fts5(query)
        if not expr and query.strip():
            return 0, {f: {} for f in facets}
        parts = ["SELECT '', '', count(*) FROM m"]
        parts += ["SELECT '%s', q.%s, count(*) FROM questions q WHERE q.rowid IN m GROUP BY q.%s" % (f, f, f)
                  for f in facets]
        # No query at all: every document (as `parlsearch stats` counts the whole index).
        matches = "SELECT rowid FROM docs WHERE docs MATCH ?1" if expr else "SELECT rowid FROM questions"
        sql = "WITH m AS MATERIALIZED (%s) %s" % (matches, " UNION ALL ".join(parts))
        total, out = 0, {f: {} for f in facets}
        for facet, value, count in self._run(sql, (expr,) if expr else ()):
            if facet == "":
                total = count
            else:
                out[facet][value if value not in (None, "") else "(unknown)"] = count
        return total, out

    def close(self):
        self.con.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Index a corpus file into the benchmark's FTS5 database.")
    sub = ap.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="read JSONL with the corpus reader and index it into DB")
    build.add_argument("jsonl")
    build.add_argument("db")
    build.add_argument("--append", action="store_true", help="add to an existing database")
    args = ap.parse_args(argv)
    print(build_fts5([args.jsonl], args.db, append=args.append))
    return 0


if __name__ == "__main__":
    sys.exit(main())
