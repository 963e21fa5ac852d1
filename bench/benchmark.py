#!/usr/bin/env python3
"""parlsearch against SQLite FTS5 on the same documents: indexing speed, index size, query latency,
cold start, memory; and (--quality) search quality on judged queries against FTS5 and stock whoosh.

    python bench/benchmark.py                               # sizes 1000 and 20000
    python bench/benchmark.py --sizes 1000                  # quick (under a minute)
    python bench/benchmark.py --sizes 1000,20000 --with-100k --jobs 2
    python bench/benchmark.py --quality tests/data/dev.jsonl
    python bench/benchmark.py --sizes 1000 --json           # machine-readable
    python bench/benchmark.py --catch-all 1000              # the catch-all schema experiment only

Corpora come from the shared make_corpus tool (default ../shared/tools/make_corpus.py from the repo root,
or --make-corpus PATH), which recombines sentences of the bundled real corpus; generated corpora are
cached in bench/out/ (keyed by size, seed and a hash of the bundled corpus file).

What is measured, for each size, on the same documents:

* indexing: parlsearch as a subprocess, `parlsearch index --jobs J --rebuild --index DIR FILE`; FTS5 as a
  subprocess of this script that reads the file with the same corpus reader (so both include reading and
  de-duplicating the JSONL) and inserts every document in one transaction into
  fts5(subject, title_nl, question, answer, body_nl, portfolio, author, minister, status, date,
  id UNINDEXED, moncode UNINDEXED, tokenize='unicode61 remove_diacritics 2') (the text parlsearch
  indexes; bm25 with parlsearch's default field weights). docs/s and MB/s are over wall time; CPU seconds (user+sys,
  the process and its workers) are shown too, as wall time depends on what else the machine is running.
* index size: the bytes of the index directory / the database file.
* query latency: in this process, over a fixed mix of QUERIES (bare words, phrases, field queries, French
  questions), each run --repeat times after one warm-up pass; parlsearch through search.engine.Engine
  (top 10 with snippets and the total count), FTS5 as the top 10 by bm25 with a snippet plus a count(*)
  of the matches. p50/p95 over all runs, as CPU time (time.process_time: the stable figure when other
  work shares the machine) and wall time. Timed separately, as issue 13's targets name them: keyword
  queries (the 20 first), long natural questions, phrases, field queries, the keyword queries with a date
  filter and with an author filter (the overhead is the difference of the p50s; FTS5 gets the same
  conditions as column filters), fuzzy words (FUZZY_QUERIES), and `similar` on SIMILAR_DOCS documents.
  "[fast path]" rows run the same queries through bench/fastpath.py: search.scoring.FastScorer
  (term-at-a-time BM25F, exact totals), index.expansion (fuzzy words expanded once, per segment) and
  search.snippets (bounded windows), as the engine will once it calls them; same totals as the engine.
* segments: how many segments the bulk build leaves.
* incremental update: `parlsearch index --jobs J` of INCREMENT (1,000) new documents onto the built index (the
  next records of the same generated corpus), wall, CPU and peak memory; FTS5 inserts the same rows.
* counting: `search.counting.count_matches` over every match of COUNT_QUERIES (what `stats QUERY` and the
  web page's facets do), p50/p95 like the query latency.
* cold start: wall time of a fresh `parlsearch search --index DIR vélo` process against a fresh
  `python -c` process that opens the database and runs the same top-10 FTS5 query (median of --cold-runs,
  after one discarded run; bytecode caching on, as for an installed package: see _cold).
* peak memory: ru_maxrss of each child process (indexing, and the cold-start search) from wait4(), the
  largest process of its tree (a --jobs worker counts the pages it shares with its parent); and for indexing
  the peak of the memory of the whole process tree, sampled every 0.5 s from /proc (Linux): the sum of
  each process's proportional set size (pages shared by a forked worker and its parent counted once).
  Reading smaps costs the sampler CPU (~18% of a core at every 50 ms while 600 MB are mapped), hence 0.5 s.

The FTS5 translation of a query (to_fts5): bare words are AND-ed after dropping French stopwords, elided
articles (l', d'…), question words and the pronoun of an inversion (faut-il → faut), since FTS5 has no
stopword list, and searched in {subject title_nl question answer body_nl} like parlsearch's bare words;
a word with inner - . & is the FTS5 phrase of its parts; "phrases" stay phrases;
field:value becomes a column filter (auteur → author, ministre → minister, statut → status with
repondu → answered, date → date, where a year matches the year token of the ISO date, titre → subject,
question, reponse → answer, titel → title_nl); a trailing * is a prefix query; OR is kept. FTS5 has no relaxation: a
question with one word absent from the corpus finds nothing.

--catch-all [SIZES] measures whether one positionless catch-all field can replace the OR over five
positional fields for bare words: a sidecar index (bench/fastpath.py: subject, title_nl, all, all_nl without
positions) scored by FastScorer against the current fields scored the same way, on the judged sets of
tests/data/ over the bundled corpus and on the keyword and long queries at each generated size: identical
top 10s, same top-10 sets, same first hit, mean overlap of the top 10s, judged passes, CPU p50.

--quality JUDGMENTS.jsonl builds three indexes of the bundled corpus (corpus/data): parlsearch (its numbers
come from search.engine.Engine and search.evaluate), whoosh with its stock StemmingAnalyzer on the same
text fields searched by a plain MultifieldParser (AND of the words), and FTS5 as above; it runs the judged
queries ({"id", "kind", "q", "expect": [moncode or id] or null, "max_rank"}) on each and prints the passes
per kind side by side, and the MRR.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
BUNDLED_JSON = REPO / "corpus" / "data" / "brussels-written-questions-2024-2029.json"
DEFAULT_TOOL = REPO.parent / "shared" / "tools" / "make_corpus.py"

#: Queries whose every match is counted by facet (`parlsearch stats QUERY`): the whole index, broad and
#: narrow topics, a filter.
COUNT_QUERIES = ["", "logement", "STIB", "vélo", "statut:repondu", "auteur:maison", '"permis d\'urbanisme"']
#: The fixed query mix for latency (42 queries).
QUERIES = [
    # bare words
    "vélo", "logement", "stationnement", "propreté", "pollution", "subsides", "CPAS", "STIB", "énergie",
    "emploi", "sécurité", "crèches",
    # several words, compounds
    "stationnement vélo", "logement social", "sécurité routière", "qualité de l'air", "emploi des jeunes",
    "quartier européen", "titres-services", "hub.brussels",
    # phrases
    '"garantie jeunesse"', '"intelligence artificielle"', '"logement social"', '"zones de basses émissions"',
    '"parc du Cinquantenaire"', '"plan Good Move"',
    # field queries
    "auteur:maison", "statut:repondu", "statut:non-repondu", "date:2026", "date:2024 logement",
    "auteur:maison vélo", "question:subsides", "titre:mobilité",
    # natural-language questions
    "Combien de temps faut-il pour instruire un permis d'urbanisme ?",
    "Combien de Bruxellois roulent avec des plaques étrangères ?",
    "Quel budget la Cité des métiers consacre-t-elle à sa communication ?",
    "Quelles mesures pour la sécurité des cyclistes ?",
    "Combien de logements sociaux ont été construits ?",
    "Comment lutter contre la pollution de l'air dans les écoles ?",
    "Quel est le coût du métro 3 ?",
    "Pourquoi les trams sont-ils en retard ?",
]
COLD_WORD = "vélo"

#: The fields parlsearch indexes as text, then those it filters on.
FTS_COLUMNS = ("subject", "title_nl", "question", "answer", "body_nl", "portfolio", "author", "minister",
               "status", "date")
#: Bare words and phrases are searched in the columns parlsearch searches them in.
FTS_TEXT = "{subject title_nl question answer body_nl}"
#: bm25 column weights: parlsearch's default field weights (subject 4, title_nl 2.5, question 1.6,
#: answer 1, body_nl 0.8); the other columns only filter.
FTS_BM25 = "bm25(docs, 4.0, 2.5, 1.6, 1.0, 0.8, 0.0, 0.0, 0.0, 0.0, 0.0)"
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


# -- helpers -----------------------------------------------------------------------------------------

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
    word = word.rstrip("*?!.,;:")
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
        elif word in ("OR", "AND", "NOT"):
            clauses.append(word)
        else:
            text = _fts_word(word)
            if text:
                clauses.append("%s : %s" % (FTS_TEXT, text))
    out = []
    for c in clauses:  # AND between operands, operators kept where typed
        if out and c not in ("OR", "AND", "NOT") and out[-1] not in ("OR", "AND", "NOT"):
            out.append("AND")
        out.append(c)
    while out and out[-1] in ("OR", "AND", "NOT"):
        out.pop()
    while out and out[0] in ("OR", "AND"):
        out.pop(0)
    return " ".join(out)


def _load_documents(paths):
    from parlsearch.corpus.reader import Deduplicator, Problem, iter_read
    dedup = Deduplicator()
    for item in iter_read([str(p) for p in paths]):
        if not isinstance(item, Problem):
            dedup.add(item)
    return dedup.documents()


def _fts_row(doc) -> tuple:
    body_nl = "\n".join(t for t in (doc.question_nl, doc.answer_nl) if t)
    return (doc.subject or "", doc.title_nl or "", doc.question or "", doc.answer or "", body_nl,
            doc.portfolio or "", doc.author or "", doc.minister or "", doc.status or "",
            doc.date_received.isoformat() if doc.date_received else "", doc.id, doc.moncode or "")


def build_fts5(paths, db_path, append: bool = False) -> int:
    """Read `paths` with the corpus reader and index them in an FTS5 table (one transaction); with
    append, insert them into the existing table (the increment's identifiers are new)."""
    docs = _load_documents(paths)
    db_path = Path(db_path)
    if not append:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
    con = sqlite3.connect(str(db_path))
    if not append:
        con.execute("CREATE VIRTUAL TABLE docs USING fts5(%s, id UNINDEXED, moncode UNINDEXED, "
                    "tokenize = 'unicode61 remove_diacritics 2')" % ", ".join(FTS_COLUMNS))
    with con:
        con.executemany("INSERT INTO docs VALUES (%s)" % ", ".join("?" * (len(FTS_COLUMNS) + 2)),
                        (_fts_row(d) for d in docs))
    con.close()
    return len(docs)


class Fts5Searcher:
    TOP = ("SELECT id, moncode, subject, snippet(docs, 1, '[', ']', '…', 12) FROM docs WHERE docs MATCH ? "
           "ORDER BY %s LIMIT ?" % FTS_BM25)
    COUNT = "SELECT count(*) FROM docs WHERE docs MATCH ?"

    def __init__(self, db_path):
        self.con = sqlite3.connect(str(db_path))

    def search(self, query: str, limit: int = 10):
        expr = to_fts5(query)
        if not expr:
            return SimpleNamespace(total=0, hits=[])
        try:
            rows = self.con.execute(self.TOP, (expr, limit)).fetchall()
            total = self.con.execute(self.COUNT, (expr,)).fetchone()[0]
        except sqlite3.OperationalError as e:
            from parlsearch.search.query import QueryError
            raise QueryError("fts5: %s (%s)" % (e, expr)) from None
        hits = [SimpleNamespace(doc=SimpleNamespace(id=r[0], moncode=r[1] or None)) for r in rows]
        return SimpleNamespace(total=total, hits=hits)

    def search_expr(self, expr: str, limit: int = 10) -> int:
        """Top `limit` and the count for a raw FTS5 expression; returns the count."""
        self.con.execute(self.TOP, (expr, limit)).fetchall()
        return self.con.execute(self.COUNT, (expr,)).fetchone()[0]

    def close(self):
        self.con.close()


def _dir_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


#: Runs argv[2:] and writes its wall time and wait4() usage as JSON to argv[1]. A child's peak RSS starts at
#: its parent's RSS (the kernel keeps it across fork and exec), so processes are started from this small
#: launcher rather than from the benchmark process, which holds the query engine in memory.
_LAUNCHER = """
import json, os, sys, threading, time

def memory_kb(p):
    # Proportional set size (shared pages split between their processes: forked workers share their parent's
    # pages), else the resident set size.
    for name, key in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            with open("/proc/%d/%s" % (p, name)) as f:
                return next(int(line.split()[1]) for line in f if line.startswith(key))
        except (OSError, StopIteration, ValueError):
            continue
    return 0

def tree_rss_kb(pid):
    # Memory of a process and all its descendants now (Linux /proc; 0 elsewhere).
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += memory_kb(p)
            for task in os.listdir("/proc/%d/task" % p):
                with open("/proc/%d/task/%s/children" % (p, task)) as f:
                    todo.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            pass
    return total

start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
peak = [0]
done = threading.Event()

def sample():
    while not done.wait(0.5):
        peak[0] = max(peak[0], tree_rss_kb(pid))

threading.Thread(target=sample, daemon=True).start()
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
done.set()
with open(sys.argv[1], "w") as f:
    json.dump({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kb": usage.ru_maxrss,
               "tree_rss_kb": peak[0], "returncode": os.waitstatus_to_exitcode(status)}, f)
"""


def _run_child(argv, env=None) -> dict:
    """Run a process to completion: wall seconds, CPU seconds (with its waited-for children), peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".json") as result:
        subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, result.name] + list(argv), stdout=out,
                       stderr=err, stdin=subprocess.DEVNULL, check=False, env=env)
        usage = json.load(open(result.name))
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    return {"wall": usage["wall"], "cpu": usage["cpu"], "maxrss_mb": usage["maxrss_kb"] / 1024,
            "tree_rss_mb": usage["tree_rss_kb"] / 1024,
            "returncode": usage["returncode"], "stdout": stdout.decode("utf-8", "replace"),
            "stderr": stderr.decode("utf-8", "replace")}


def _parlsearch_argv() -> list[str]:
    exe = Path(sys.executable).with_name("parlsearch")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "parlsearch"]


def _percentile(values, q) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def machine_info() -> dict:
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import whoosh
        whoosh_version = ".".join(map(str, whoosh.__version__))
    except Exception:
        whoosh_version = "?"
    try:
        ncpu = len(os.sched_getaffinity(0))
    except AttributeError:
        ncpu = os.cpu_count()
    return {"nproc": ncpu, "cpu": model, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "whoosh": whoosh_version, "platform": platform.platform(),
            "loadavg_start": os.getloadavg()}


# -- corpora -----------------------------------------------------------------------------------------

def corpus_file(n: int, tool: Path, seed: int = 0, out: Path = OUT) -> Path:
    """bench/out/corpus-N-sSEED-HASH.jsonl, generated once with the make_corpus tool."""
    digest = hashlib.sha256(BUNDLED_JSON.read_bytes()).hexdigest()[:10]
    path = out / ("corpus-%d-s%d-%s.jsonl" % (n, seed, digest))
    if path.exists() and path.stat().st_size > 0:
        return path
    tool = Path(tool)
    if not tool.exists():
        raise SystemExit("benchmark: make_corpus tool not found at %s (pass --make-corpus PATH)" % tool)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="parlsearch-mc-") as tmp:
        # The tool reads ../corpus/*.json next to itself: give it a layout with only the real corpus.
        (Path(tmp) / "tools").mkdir()
        (Path(tmp) / "corpus").mkdir()
        shutil.copy(tool, Path(tmp) / "tools" / "make_corpus.py")
        shutil.copy(BUNDLED_JSON, Path(tmp) / "corpus" / BUNDLED_JSON.name)
        partial = path.with_suffix(".tmp")
        with open(partial, "wb") as f:
            subprocess.run([sys.executable, str(Path(tmp) / "tools" / "make_corpus.py"), str(n),
                            "--seed", str(seed)], stdout=f, check=True)
        os.replace(partial, path)
    return path


# -- the speed benchmark -----------------------------------------------------------------------------

#: The query sets of issue 13's targets, each timed on its own.
KEYWORD_QUERIES = QUERIES[:20]
PHRASE_QUERIES = QUERIES[20:26]
FIELD_QUERIES = QUERIES[26:34]
LONG_QUERIES = QUERIES[34:]
FUZZY_QUERIES = ["stationement~", "velos~", "logment~", "mobilitee~", "polution~2"]
#: Filters added to the keyword queries (their overhead is the difference of the p50s).
FILTER_YEAR = 2026
FILTER_AUTHOR = "maison"
SIMILAR_DOCS = 5
#: Documents added onto a built index for the incremental-update figure.
INCREMENT = 1000


def _time_calls(call, items, repeat: int) -> dict:
    """CPU (time.process_time: the stable figure on a shared machine) and wall per call, in ms."""
    results = [call(x) for x in items]  # warm-up pass (caches, lazily loaded columns), and the results
    cpu, wall = [], []
    for _ in range(repeat):
        for x in items:
            c, t = time.process_time(), time.perf_counter()
            call(x)
            cpu.append((time.process_time() - c) * 1000)
            wall.append((time.perf_counter() - t) * 1000)
    return {"cpu_p50_ms": _percentile(cpu, 0.5), "cpu_p95_ms": _percentile(cpu, 0.95),
            "wall_p50_ms": _percentile(wall, 0.5), "wall_p95_ms": _percentile(wall, 0.95),
            "p50_ms": _percentile(wall, 0.5), "p95_ms": _percentile(wall, 0.95),
            "mean_ms": statistics.fmean(wall), "runs": len(wall),
            "zero_result_queries": sum(1 for t in results if t == 0), "totals": dict(zip(map(str, items), results))}


def _cold(argv, runs: int) -> dict:
    """Median of `runs` fresh processes after one discarded run. Bytecode caching is on for them, as for
    any installed package (pip compiles it at install): with PYTHONDONTWRITEBYTECODE set (as on this
    project's machine) an editable install would compile parlsearch's modules in every process (~0.2 s
    CPU), which no user of an installed parlsearch pays; the standard library FTS5 uses is precompiled."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    _run_child(argv, env)
    results = [_run_child(argv, env) for _ in range(runs)]
    bad = [r for r in results if r["returncode"] not in (0, 1)]
    if bad:
        raise SystemExit("benchmark: %s failed: %s" % (" ".join(argv[:3]), bad[0]["stderr"][-500:]))
    return {"median_ms": statistics.median(r["wall"] for r in results) * 1000,
            "cpu_median_ms": statistics.median(r["cpu"] for r in results) * 1000,
            "maxrss_mb": max(r["maxrss_mb"] for r in results), "runs": runs}


def _split_corpus(n: int, tool: Path) -> tuple[Path, Path]:
    """The first n records of the generated corpus of n + INCREMENT (the corpus of size n: the tool's
    records do not depend on n), and the INCREMENT records after them (new identifiers)."""
    full = corpus_file(n + INCREMENT, tool)
    base, extra = OUT / ("base-%d-%s" % (n, full.name)), OUT / ("extra-%d-%s" % (n, full.name))
    if not (base.exists() and extra.exists()):
        with open(full, "rb") as src, open(base, "wb") as b, open(extra, "wb") as e:
            for i, line in enumerate(src):
                (b if i < n else e).write(line)
    return base, extra


def _segments(ix_dir: Path) -> int:
    from whoosh import index
    ix = index.open_dir(str(ix_dir))
    try:
        with ix.reader() as r:
            return len(list(r.leaf_readers()))
    finally:
        ix.close()


def _filters():
    import datetime as dt
    from whoosh.query import And, DateRange, Term
    from parlsearch.index.analysis import analyze
    year = DateRange("date_received", dt.datetime(FILTER_YEAR, 1, 1), dt.datetime(FILTER_YEAR, 12, 31, 23, 59))
    author = And([Term("author", t) for t in analyze(FILTER_AUTHOR, "names", index=True)])
    return {"date": [year], "author": [author]}


def _fts_filter_search(fts, column_clause):
    def search(q):
        expr = to_fts5(q)
        return fts.search_expr("(%s) AND %s" % (expr, column_clause)) if expr else 0
    return search


def bench_size(n: int, tool: Path, jobs: int, repeat: int, cold_runs: int, work: Path, log) -> dict:
    from parlsearch.search.counting import count_matches
    from parlsearch.search.engine import Engine
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from fastpath import fast_search, fast_similar
    corpus, extra = _split_corpus(n, tool)
    size_mb = corpus.stat().st_size / 1e6
    log("size %d: corpus %s (%.1f MB)" % (n, corpus.name, size_mb))
    ix_dir = work / ("parlsearch-%d" % n)
    db = work / ("fts5-%d.db" % n)
    shutil.rmtree(ix_dir, ignore_errors=True)

    log("  parlsearch index --jobs %d …" % jobs)
    p = _run_child(_parlsearch_argv() + ["index", "--jobs", str(jobs), "--rebuild", "--quiet", "--index",
                                         str(ix_dir), str(corpus)])
    if p["returncode"] != 0:
        raise SystemExit("benchmark: parlsearch index failed:\n%s" % p["stderr"][-2000:])
    segments = _segments(ix_dir)
    ix_size = _dir_size(ix_dir)  # before the incremental update adds to it
    log("  fts5 index …")
    f = _run_child([sys.executable, str(Path(__file__).resolve()), "--_fts5-build", str(corpus), str(db)])
    if f["returncode"] != 0:
        raise SystemExit("benchmark: fts5 build failed:\n%s" % f["stderr"][-2000:])
    db_size = _dir_size(db)
    ndocs = int(f["stdout"].strip() or 0)

    log("  queries …")
    engine = Engine.open(ix_dir)
    filters = _filters()
    pq, sets = {}, {}
    try:
        search = lambda q: engine.search(q, limit=10).total  # noqa: E731
        pq["all"] = _time_calls(search, QUERIES, repeat)
        for name, qs in (("keyword", KEYWORD_QUERIES), ("long", LONG_QUERIES), ("phrase", PHRASE_QUERIES),
                         ("field", FIELD_QUERIES)):
            pq[name] = _time_calls(search, qs, repeat)
        for name, flt in filters.items():
            pq["keyword+" + name] = _time_calls(lambda q: engine.search(q, limit=10, filters=flt).total,
                                                KEYWORD_QUERIES, repeat)
        pq["fuzzy"] = _time_calls(search, FUZZY_QUERIES, max(1, repeat // 2))
        ids = [engine.searcher.stored_fields(d)["id"] for d in range(min(SIMILAR_DOCS, engine.searcher.doc_count()))]
        pq["similar"] = _time_calls(lambda i: len(engine.similar(i)), ids, max(1, repeat // 2))

        def fast(q, flt=None):
            r = fast_search(engine, q, filters=flt)
            return r[0] if r is not None else engine.search(q, limit=10, filters=flt).total
        for name, qs in (("keyword", KEYWORD_QUERIES), ("long", LONG_QUERIES), ("fuzzy", FUZZY_QUERIES)):
            pq["fast:" + name] = _time_calls(fast, qs, repeat)
        for name, flt in filters.items():
            pq["fast:keyword+" + name] = _time_calls(lambda q: fast(q, flt), KEYWORD_QUERIES, repeat)
        pq["counting"] = _time_calls(lambda q: count_matches(engine, q).total, COUNT_QUERIES, repeat)
        pq["fast:similar"] = _time_calls(lambda i: len(fast_similar(engine, i)), ids, max(1, repeat // 2))
        ndocs_p = engine.searcher.doc_count()
    finally:
        engine.close()
    fts = Fts5Searcher(db)
    fq = {}
    try:
        fsearch = lambda q: fts.search(q, limit=10).total  # noqa: E731
        fq["all"] = _time_calls(fsearch, QUERIES, repeat)
        for name, qs in (("keyword", KEYWORD_QUERIES), ("long", LONG_QUERIES), ("phrase", PHRASE_QUERIES),
                         ("field", FIELD_QUERIES)):
            fq[name] = _time_calls(fsearch, qs, repeat)
        fq["keyword+date"] = _time_calls(_fts_filter_search(fts, 'date : "%d"' % FILTER_YEAR), KEYWORD_QUERIES,
                                         repeat)
        fq["keyword+author"] = _time_calls(_fts_filter_search(fts, 'author : "%s"' % FILTER_AUTHOR),
                                           KEYWORD_QUERIES, repeat)
    finally:
        fts.close()

    log("  cold starts …")
    pc = _cold(_parlsearch_argv() + ["search", "--index", str(ix_dir), COLD_WORD], cold_runs)
    code = ("import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
            "print(c.execute(sys.argv[2], (sys.argv[3], 10)).fetchall())")
    fc = _cold([sys.executable, "-c", code, str(db), Fts5Searcher.TOP, to_fts5(COLD_WORD)], cold_runs)

    log("  incremental update of %d documents …" % INCREMENT)
    pu = _run_child(_parlsearch_argv() + ["index", "--jobs", str(jobs), "--quiet", "--index", str(ix_dir),
                                         str(extra)])
    if pu["returncode"] != 0:
        raise SystemExit("benchmark: parlsearch index (update) failed:\n%s" % pu["stderr"][-2000:])
    fu = _run_child([sys.executable, str(Path(__file__).resolve()), "--_fts5-build", str(extra), str(db),
                     "--_append"])

    def side(ix, q, c, size, upd):
        return {"index_wall_s": ix["wall"], "index_cpu_s": ix["cpu"], "docs_per_s": n / ix["wall"],
                "docs_per_cpu_s": n / ix["cpu"] if ix["cpu"] else float("nan"),
                "mb_per_s": size_mb / ix["wall"], "index_peak_rss_mb": ix["maxrss_mb"],
                "index_tree_rss_mb": ix["tree_rss_mb"],
                "index_size_mb": size / 1e6, "query": q["all"], "queries": q, "cold_start": c,
                "update_wall_s": upd["wall"], "update_cpu_s": upd["cpu"], "update_peak_rss_mb": upd["maxrss_mb"]}

    ps, fs = side(p, pq, pc, ix_size, pu), side(f, fq, fc, db_size, fu)
    ps["segments"] = segments
    ratios = {
        "index_time": ps["index_wall_s"] / fs["index_wall_s"],
        "index_cpu": ps["index_cpu_s"] / fs["index_cpu_s"],
        "index_size": ps["index_size_mb"] / fs["index_size_mb"],
        "query_p50": pq["all"]["p50_ms"] / fq["all"]["p50_ms"],
        "query_p95": pq["all"]["p95_ms"] / fq["all"]["p95_ms"],
        "cold_start": pc["median_ms"] / fc["median_ms"],
        "cold_start_cpu": pc["cpu_median_ms"] / fc["cpu_median_ms"],
        "index_peak_rss": ps["index_peak_rss_mb"] / fs["index_peak_rss_mb"],
        "search_peak_rss": pc["maxrss_mb"] / fc["maxrss_mb"],
    }
    return {"size": n, "documents": ndocs, "documents_in_parlsearch": ndocs_p, "corpus_mb": size_mb,
            "corpus": corpus.name, "jobs": jobs, "parlsearch": ps, "fts5": fs, "ratio_parlsearch_over_fts5": ratios}


#: Issue 13's targets at 100k documents (CPU ms), for the "target" column.
TARGETS = {"keyword": (30, 100), "long": (60, None), "phrase": (60, None), "fuzzy": (300, None),
           "similar": (100, None)}


def format_speed(results: list[dict], machine: dict) -> str:
    lines = ["Machine: %d CPUs, %s; Python %s, SQLite %s, whoosh %s; load average at start %s" % (
        machine["nproc"], machine["cpu"], machine["python"], machine["sqlite"], machine["whoosh"],
        " ".join("%.2f" % x for x in machine["loadavg_start"]))]
    if "loadavg_end" in machine:
        lines[0] += ", at end %s" % " ".join("%.2f" % x for x in machine["loadavg_end"])
    for r in results:
        p, f, q = r["parlsearch"], r["fts5"], r["ratio_parlsearch_over_fts5"]
        pq, fq = p["queries"], f["queries"]
        lines += ["", "%d documents (%.1f MB JSONL, %s); parlsearch index --jobs %d (subprocess) vs FTS5 "
                  "(subprocess, one transaction)" % (r["documents"], r["corpus_mb"], r["corpus"], r["jobs"])]
        rows = [
            ("indexing docs/s (wall)", "%.0f" % p["docs_per_s"], "%.0f" % f["docs_per_s"], "%.2f" % (1 / q["index_time"])),
            ("indexing docs per CPU-s", "%.0f" % p["docs_per_cpu_s"], "%.0f" % f["docs_per_cpu_s"],
             "%.2f" % (1 / q["index_cpu"])),
            ("indexing MB/s", "%.2f" % p["mb_per_s"], "%.2f" % f["mb_per_s"], "%.2f" % (1 / q["index_time"])),
            ("indexing wall s", "%.1f" % p["index_wall_s"], "%.1f" % f["index_wall_s"], "%.2f" % q["index_time"]),
            ("indexing CPU s", "%.1f" % p["index_cpu_s"], "%.1f" % f["index_cpu_s"], "%.2f" % q["index_cpu"]),
            ("index size MB", "%.1f" % p["index_size_mb"], "%.1f" % f["index_size_mb"], "%.2f" % q["index_size"]),
            ("segments after the bulk build", "%d" % p["segments"], "", ""),
            ("update +%d docs wall s / CPU s" % INCREMENT, "%.2f / %.2f" % (p["update_wall_s"], p["update_cpu_s"]),
             "%.2f / %.2f" % (f["update_wall_s"], f["update_cpu_s"]), ""),
            ("update peak RSS MB", "%.0f" % p["update_peak_rss_mb"], "%.0f" % f["update_peak_rss_mb"], ""),
        ]

        def qrow(label, name, pct="p50", fast=False):
            key = "cpu_%s_ms" % pct
            pv = pq.get(("fast:" if fast else "") + name)
            fv = fq.get(name)
            if pv is None:
                return None
            return (label, "%.2f / %.2f" % (pv[key], pv["wall_%s_ms" % pct]),
                    "%.2f / %.2f" % (fv[key], fv["wall_%s_ms" % pct]) if fv else "–",
                    "%.1f" % (pv[key] / fv[key]) if fv and fv[key] else "")

        def overhead(name, fast=False):
            pre = "fast:" if fast else ""
            base, with_ = pq.get(pre + "keyword"), pq.get(pre + "keyword+" + name)
            fb, fw = fq.get("keyword"), fq.get("keyword+" + name)
            if not (base and with_):
                return None
            return ("%s filter adds (CPU p50)%s" % (name, " [fast path]" if fast else ""),
                    "%+.2f" % (with_["cpu_p50_ms"] - base["cpu_p50_ms"]),
                    "%+.2f" % (fw["cpu_p50_ms"] - fb["cpu_p50_ms"]) if fb and fw else "–", "")

        rows += [x for x in [
            qrow("all %d queries p50 ms CPU / wall" % len(QUERIES), "all"),
            qrow("all %d queries p95 ms CPU / wall" % len(QUERIES), "all", "p95"),
            qrow("keyword p50 ms CPU / wall", "keyword"), qrow("keyword p95", "keyword", "p95"),
            qrow("long questions p50", "long"), qrow("phrases p50", "phrase"), qrow("field queries p50", "field"),
            overhead("date"), overhead("author"),
            qrow("fuzzy p50", "fuzzy"), qrow("similar p50", "similar"),
            qrow("keyword p50 [fast path]", "keyword", fast=True),
            qrow("keyword p95 [fast path]", "keyword", "p95", fast=True),
            qrow("long questions p50 [fast path]", "long", fast=True),
            qrow("fuzzy p50 [fast path]", "fuzzy", fast=True),
            qrow("similar p50 [fast path]", "similar", fast=True),
            overhead("date", fast=True), overhead("author", fast=True),
            ("queries with no result", "%d/%d" % (pq["all"]["zero_result_queries"], len(QUERIES)),
             "%d/%d" % (fq["all"]["zero_result_queries"], len(QUERIES)), ""),
            ("cold search process ms CPU / wall", "%.0f / %.0f" % (p["cold_start"]["cpu_median_ms"],
                                                                   p["cold_start"]["median_ms"]),
             "%.0f / %.0f" % (f["cold_start"]["cpu_median_ms"], f["cold_start"]["median_ms"]),
             "%.1f" % q["cold_start_cpu"]),
            ("indexing peak RSS MB, largest process", "%.0f" % p["index_peak_rss_mb"],
             "%.0f" % f["index_peak_rss_mb"], "%.1f" % q["index_peak_rss"]),
            ("indexing peak memory MB, all processes (PSS)", "%.0f" % p.get("index_tree_rss_mb", float("nan")),
             "%.0f" % f.get("index_tree_rss_mb", float("nan")), ""),
            ("search process peak RSS MB", "%.0f" % p["cold_start"]["maxrss_mb"], "%.0f" % f["cold_start"]["maxrss_mb"],
             "%.1f" % q["search_peak_rss"]),
        ] if x is not None]
        lines += _table(("measure", "parlsearch", "FTS5", "parlsearch/FTS5"), rows)
        c = p["query"].get("counting")
        if c:
            lines.append("counting every match by status, year, minister, author, type and legislature "
                         "(`stats QUERY`, %d queries, %.0f matches on average): CPU p50 %.1f ms, p95 %.1f ms"
                         % (len(COUNT_QUERIES), statistics.fmean(c["totals"].values()), c["cpu_p50_ms"],
                            c["cpu_p95_ms"]))
    lines += ["", "Query figures are CPU ms (time.process_time) / wall ms per query in this process, p50 or p95 "
              "over %s runs of each after a warm-up. [fast path]: the same queries through the prototype of "
              "bench/fastpath.py (search.scoring.FastScorer + search.snippets), falling back to Engine.search "
              "for other shapes. Cold start: `parlsearch search --index DIR %s` vs a `python -c` sqlite3 "
              "top-10 query (CPU from wait4). FTS5 update: the same %d documents inserted into its table."
              % (results[0]["parlsearch"]["query"]["runs"] // len(QUERIES) if results else "?", COLD_WORD,
                 INCREMENT)]
    return "\n".join(lines)


def _table(header, rows) -> list[str]:
    rows = [list(map(str, r)) for r in rows]
    widths = [max(len(x) for x in col) for col in zip(header, *rows)]

    def line(cells):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]


# -- the quality comparison --------------------------------------------------------------------------

class StockWhoosh:
    """whoosh out of the box: StemmingAnalyzer on the text fields, MultifieldParser (AND of words), BM25F."""

    TEXT = ("subject", "title_nl", "question", "answer", "body_nl", "portfolio", "author", "minister")

    def __init__(self, docs, path: Path):
        from whoosh import fields, index
        from whoosh.analysis import StemmingAnalyzer
        from whoosh.qparser import MultifieldParser
        schema = fields.Schema(id=fields.ID(stored=True, unique=True), moncode=fields.ID(stored=True),
                               **{name: fields.TEXT(analyzer=StemmingAnalyzer()) for name in self.TEXT})
        path.mkdir(parents=True, exist_ok=True)
        self.ix = index.create_in(str(path), schema)
        with self.ix.writer() as w:
            for d in docs:
                body_nl = "\n".join(t for t in (d.question_nl, d.answer_nl) if t)
                values = {"id": d.id, "moncode": d.moncode or "", "subject": d.subject, "title_nl": d.title_nl,
                          "question": d.question, "answer": d.answer, "body_nl": body_nl,
                          "portfolio": d.portfolio, "author": d.author, "minister": d.minister}
                w.add_document(**{k: v for k, v in values.items() if v})
        self.parser = MultifieldParser(list(self.TEXT), schema)
        self.searcher = self.ix.searcher()

    def search(self, query: str, limit: int = 10):
        from parlsearch.search.query import QueryError
        try:
            q = self.parser.parse(query)
            results = self.searcher.search(q, limit=limit)
        except Exception as e:
            raise QueryError("whoosh: %s" % e) from None
        hits = [SimpleNamespace(doc=SimpleNamespace(id=h["id"], moncode=h.get("moncode") or None))
                for h in results]
        return SimpleNamespace(total=len(results), hits=hits)

    def close(self):
        self.searcher.close()
        self.ix.close()


def bench_quality(judgments: Path, work: Path, log) -> dict:
    from parlsearch.corpus.reader import bundled_corpus
    from parlsearch.index.update import update_index
    from parlsearch.search.engine import Engine
    from parlsearch.search.evaluate import evaluate, load_judgments
    cases = load_judgments(judgments)
    docs = _load_documents([bundled_corpus()])
    log("quality: %d judged queries on the bundled corpus (%d documents)" % (len(cases), len(docs)))
    ix_dir = work / "quality-parlsearch"
    shutil.rmtree(ix_dir, ignore_errors=True)
    update_index(None, ix_dir, rebuild=True)
    db = work / "quality-fts5.db"
    build_fts5([bundled_corpus()], db)
    shutil.rmtree(work / "quality-whoosh", ignore_errors=True)
    engines = {}
    engines["parlsearch"] = Engine.open(ix_dir)
    engines["whoosh-stock"] = StockWhoosh(docs, work / "quality-whoosh")
    engines["fts5"] = Fts5Searcher(db)
    reports = {}
    try:
        for name, engine in engines.items():
            reports[name] = evaluate(engine, cases)
    finally:
        for engine in engines.values():
            engine.close()
    return {"judgments": str(judgments), "documents": len(docs), "cases": len(cases),
            "engines": {name: r.to_dict() for name, r in reports.items()}}


def format_quality(q: dict) -> str:
    names = list(q["engines"])
    kinds = sorted({k for e in q["engines"].values() for k in e["by_kind"]})
    rows = []
    for kind in kinds:
        total = next(e["by_kind"][kind]["total"] for e in q["engines"].values() if kind in e["by_kind"])
        rows.append([kind, str(total)] + ["%d" % q["engines"][n]["by_kind"].get(kind, {"passed": 0})["passed"]
                                          for n in names])
    rows.append(["all", str(q["cases"])] + ["%d" % q["engines"][n]["passed"] for n in names])
    rows.append(["MRR", ""] + ["%.3f" % q["engines"][n]["mrr"] for n in names])
    lines = ["", "Quality: %s (%d judged queries) on the bundled corpus (%d documents); passes per kind"
             % (q["judgments"], q["cases"], q["documents"])]
    lines += _table(["kind", "queries"] + names, rows)
    return "\n".join(lines)


# -- the catch-all experiment -----------------------------------------------------------------------

JUDGED_SETS = (REPO / "tests" / "data" / "judged.jsonl", REPO / "tests" / "data" / "dev.jsonl")


def bench_catch_all(sizes, tool: Path, work: Path, log) -> list[dict]:
    """The positionless catch-all schema of bench/fastpath.py against the current fields."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from fastpath import CatchAll, compare_catch_all
    from parlsearch.corpus.reader import bundled_corpus
    from parlsearch.index.update import update_index
    from parlsearch.search.engine import Engine
    from parlsearch.search.evaluate import load_judgments
    cases = [c for p in JUDGED_SETS if p.exists() for c in load_judgments(p)]
    runs = [("bundled", [bundled_corpus()], None)] + [(str(n), [_split_corpus(n, tool)[0]], n) for n in sizes]
    out = []
    for label, paths, n in runs:
        log("catch-all: %s …" % label)
        ix_dir = work / ("catchall-main-%s" % label)
        if n is None or not ix_dir.exists():
            shutil.rmtree(ix_dir, ignore_errors=True)
            update_index([str(p) for p in paths], ix_dir, rebuild=True)
        docs = _load_documents(paths)
        shutil.rmtree(work / ("catchall-%s" % label), ignore_errors=True)
        ca = CatchAll(docs, work / ("catchall-%s" % label))
        engine = Engine.open(ix_dir)
        try:
            queries = [c["q"] for c in cases] if n is None else KEYWORD_QUERIES + LONG_QUERIES
            result = compare_catch_all(engine, ca, queries, cases if n is None else None)
        finally:
            engine.close()
            ca.close()
        result.update(label=label, documents=len(docs), catch_all_size_mb=_dir_size(work / ("catchall-%s" % label)) / 1e6,
                      main_size_mb=_dir_size(ix_dir) / 1e6)
        out.append(result)
    return out


def format_catch_all(results: list[dict]) -> str:
    lines = ["", "Catch-all experiment: FastScorer over subject + title_nl + positionless all/all_nl "
             "(bench/fastpath.py) against the current OR over five positional fields, same ranking rule"]
    rows = []
    for r in results:
        judged = r.get("judged")
        rows.append([r["label"], str(r["documents"]), str(r["queries"]), str(r["identical_top10"]),
                     str(r["same_top10_set"]), str(r["same_top1"]), "%.3f" % r["mean_overlap_at_10"],
                     "%d/%d vs %d/%d" % (judged["or_of_fields"], judged["cases"], judged["catch_all"], judged["cases"])
                     if judged else "", "%.2f / %.2f" % (r["or_of_fields_cpu_p50_ms"], r["catch_all_cpu_p50_ms"])])
    lines += _table(["corpus", "docs", "queries", "same top10", "same set", "same top1", "overlap@10",
                     "judged fields vs all", "CPU p50 ms fields / all"], rows)
    return "\n".join(lines)


# -- main --------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--sizes", help="corpus sizes, comma-separated (default 1000,20000; none with --quality)")
    ap.add_argument("--with-100k", action="store_true", help="also run 100000 documents")
    ap.add_argument("--make-corpus", type=Path, default=DEFAULT_TOOL, metavar="PATH",
                    help="the make_corpus.py tool (default: %(default)s)")
    ap.add_argument("--jobs", type=int, default=2, help="parlsearch index --jobs (default 2)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each query (default 3)")
    ap.add_argument("--cold-runs", type=int, default=5, help="cold-start processes per engine (default 5)")
    ap.add_argument("--quality", type=Path, metavar="JUDGMENTS.jsonl",
                    help="compare search quality on judged queries (only this, unless --sizes is given too)")
    ap.add_argument("--catch-all", nargs="?", const="", metavar="SIZES",
                    help="compare a positionless catch-all schema with the current fields (top 10, judged "
                         "passes on tests/data/*.jsonl, speed) on the bundled corpus and these generated "
                         "sizes (comma-separated, optional); only this, unless --sizes is given too")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--keep", action="store_true", help="keep the built indexes in bench/out/work")
    ap.add_argument("--_fts5-build", nargs=2, metavar=("JSONL", "DB"), dest="fts5_build", help=argparse.SUPPRESS)
    ap.add_argument("--_append", action="store_true", dest="fts5_append", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.fts5_build:  # child process of the speed benchmark
        print(build_fts5([args.fts5_build[0]], args.fts5_build[1], append=args.fts5_append))
        return 0

    if args.sizes is None:
        args.sizes = "" if args.quality or args.catch_all is not None else "1000,20000"
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.with_100k and 100000 not in sizes:
        sizes.append(100000)

    def log(message):
        print(message, file=sys.stderr, flush=True)

    machine = machine_info()
    work = OUT / "work"
    work.mkdir(parents=True, exist_ok=True)
    output = {"machine": machine, "speed": [], "quality": None}
    try:
        for n in sizes:
            output["speed"].append(bench_size(n, args.make_corpus, args.jobs, args.repeat, args.cold_runs,
                                              work, log))
        if args.quality:
            output["quality"] = bench_quality(args.quality, work, log)
        if args.catch_all is not None:
            output["catch_all"] = bench_catch_all([int(x) for x in args.catch_all.split(",") if x.strip()],
                                                  args.make_corpus, work, log)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    machine["loadavg_end"] = os.getloadavg()
    if args.json:
        print(json.dumps(output, indent=2, ensure_ascii=False))
    else:
        text = []
        if output["speed"]:
            text.append(format_speed(output["speed"], machine))
        else:
            text.append("Machine: %d CPUs, %s; Python %s, SQLite %s, whoosh %s" % (
                machine["nproc"], machine["cpu"], machine["python"], machine["sqlite"], machine["whoosh"]))
        if output["quality"]:
            text.append(format_quality(output["quality"]))
        if output.get("catch_all"):
            text.append(format_catch_all(output["catch_all"]))
        print("\n".join(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
