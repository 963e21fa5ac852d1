"""Issue 22: hostile queries and documents through the PostgreSQL backend — quotes, backslashes, SQL
fragments, NUL, control characters, huge queries and words: answered exactly as the local index answers them
(the same hits, or the same one-line error), no SQL error text, nothing injected (every value reaches SQL as
a bound parameter). Needs the test cluster (tests/pg_cluster.py)."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from helpers import parlsearch_argv

HOSTILE_QUERIES = [
    "'; DROP TABLE parlsearch_documents; --", "\"'; DROP TABLE parlsearch_postings; --\"",
    "titre:\"'); DELETE FROM parlsearch_meta; --\"", "id:'); DROP TABLE parlsearch_segments; --",
    "tram' OR '1'='1", "code:170312' OR 1=1 --", "date:2026'--", "cyclab*' --", "$$; DROP TABLE x; $$",
    "tram\\", "\\\\", "back\\slash", "auteur:\\\"maison", "E'\\x00'", "U&'\\0000'", "$1", "%s", "%(x)s", "{0}",
    "tram\x00bus", "id:PRB-1-170312\x00", "\x00", "titre:\x00", "\"\x00\"",
    "\x1b[31mtram\x1b[0m", "tram\u202ebus", "\r\n tram \t", "\u200b", "tram\x7f",
    "a" * 5000, "tram " * 3000, "(" * 200 + "tram" + ")" * 200, "x" * 1500 + "*", "y" * 1200 + "~",
    "id:*", "*:*", "statut:'", "ministre:\"", "\"", "(", "date:\x00",
]

HOSTILE_RECORDS = [
    {"moncode": 990101, "titre": "Question écrite concernant '; DROP TABLE parlsearch_documents; --",
     "question": "Texte avec \\backslash\\ et 'apostrophes' \"guillemets\" et $$dollars$$ et %s et {0}.",
     "auteur": "O'Brien \\ Robert'); DELETE FROM parlsearch_meta; --", "date_depot": "2026-02-02"},
    {"moncode": 990102, "titre": "Question écrite concernant le caractère nul", "date_depot": "2026-02-03",
     "question": "Un texte avec un caractère nul \u0000 au milieu, et \u001b[31mdes couleurs\u001b[0m.",
     "auteur": "Nul\u0000Auteur", "ministre": "Ministre\u202eInversé"},
    {"moncode": 990103, "titre": "Question écrite concernant un mot immense", "date_depot": "2026-02-04",
     "question": "Un mot de " + "z" * 4000 + " lettres, et un autre: " + "é" * 1500 + " fin.",
     "auteur": "Auteur Long"},
]


def _answer(engine, text, **kw):
    from parlsearch.search.engine.query import QueryError
    try:
        r = engine.search(text, limit=20, **kw)
    except QueryError as e:
        return ("error", str(e))
    return (r.total, [(h.doc.id, round(h.score, 9)) for h in r.hits], r.note, r.corrected, r.dropped,
            [h.snippets for h in r.hits])


@pytest.mark.parametrize("text", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
def test_hostile_queries_answer_as_the_local_index(engine, pg_engine, text):
    assert _answer(engine, text) == _answer(pg_engine, text)
    assert _answer(engine, text, exact=True, closest=True) == _answer(pg_engine, text, exact=True, closest=True)


def _tables_intact(dsn) -> tuple:
    import psycopg
    with psycopg.connect(dsn, autocommit=True) as c:
        tables = c.execute("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE "
                           "'parlsearch%'").fetchone()[0]
        return tables, c.execute("SELECT count(*) FROM parlsearch_documents").fetchone()[0], \
            c.execute("SELECT count(*) FROM parlsearch_meta").fetchone()[0]


def _cli(*args):
    env = {k: v for k, v in os.environ.items() if k not in ("PARLSEARCH_BACKEND", "PARLSEARCH_INDEX")}
    return subprocess.run(parlsearch_argv() + list(args), capture_output=True, env=env, timeout=600)


SQL_WORDS = (b"syntax error", b"psycopg", b"relation ", b"ERROR:", b"LINE ", b"SQL", b"Traceback")


def test_hostile_queries_on_the_command_line_print_what_the_local_index_prints(bundled_index, pg_bundled):
    before = _tables_intact(pg_bundled.primary)
    for text in [q for q in HOSTILE_QUERIES if "\x00" not in q][:24] + ["a" * 5000, "tram " * 3000]:
        local = _cli("search", "--index", str(bundled_index), "--format", "line", "--", text)
        pg = _cli("search", "--backend", pg_bundled.primary, "--format", "line", "--", text)
        assert (pg.returncode, pg.stdout, pg.stderr) == (local.returncode, local.stdout, local.stderr), text
        assert not any(w in pg.stderr for w in SQL_WORDS), pg.stderr
        assert len(pg.stderr.splitlines()) <= 2
    assert _tables_intact(pg_bundled.primary) == before


def test_hostile_documents_are_stored_and_found_as_in_a_local_index(pg_schema, tmp_path):
    from parlsearch.index.postgres.export import export
    from parlsearch.index.update import update_index
    from parlsearch.search.engine.counting import index_stats
    from parlsearch.search.engine.core import Engine
    path = tmp_path / "hostile.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in HOSTILE_RECORDS), encoding="utf-8")
    exported = export([path], pg_schema.servers())
    local = update_index([path], tmp_path / "ix")
    assert (exported.new, exported.documents) == (local.new, local.documents) == (3, 3)
    with Engine.connect(pg_schema.servers()) as pg, Engine.open(tmp_path / "ix") as ix:
        for record in HOSTILE_RECORDS:
            doc_id = "PRB-1-%d" % record["moncode"]
            assert pg.get(doc_id) == ix.get(doc_id)
        for text in ("DROP TABLE", "backslash", "apostrophes", "caractère nul", "couleurs", "O'Brien",
                     "z" * 4000, "é" * 1500, "z" * 3999 + "~", "zzz*", "auteur:robert", "ministre:inversé"):
            assert _answer(pg, text) == _answer(ix, text), text
        assert index_stats(pg) == index_stats(ix)
    assert _tables_intact(pg_schema.primary) == (5, 3, len(_meta_keys(pg_schema.primary)))
    shown = _cli("show", "--json", "990101", "--backend", pg_schema.primary)
    assert shown.returncode == 0 and json.loads(shown.stdout)["author"].startswith("O'Brien \\ Robert')")


def _meta_keys(dsn):
    import psycopg
    with psycopg.connect(dsn, autocommit=True) as c:
        return [r[0] for r in c.execute("SELECT key FROM parlsearch_meta")]
