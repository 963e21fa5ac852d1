"""bench/benchmark.py's real-corpus section: the Chamber's 6,059 written questions of 2020 — real texts, each
in French and in Dutch, not sentences recombined — indexed and searched by parlsearch and by SQLite FTS5 on
the same file, in the same run.

    python bench/benchmark.py --sizes '' --real corpus/datasets/chamber-written-questions-2020.jsonl.gz

What is measured (bench/measure.py's processes and timings, as for the generated sizes):

* indexing: `parlsearch index --jobs J --rebuild --index DIR FILE` of the file as it ships (the .jsonl.gz:
  reading includes decompressing it) beside `python bench/fts5.py build FILE DB` (parlsearch's reader, then one
  transaction): wall and CPU seconds, documents a second (wall and per CPU second), MB of the file a
  second, peak memory of the largest process and of the whole process tree, index size, segments left;
* queries: the known-item queries written over this data (REAL_QUERIES: tests/data/chamber-judged.jsonl, 27
  questions looked for in French and in Dutch, two phrases across sentence joins, six negatives), --repeat
  timed runs after a warm-up pass, CPU and wall ms p50/p95: parlsearch's Engine.search (top 10 with
  snippets and the exact total) against FTS5's top 10 by bm25 rank with a snippet and a count, over all of
  them and over the French and the Dutch ones apart;
* the quality of those same answers (search/evaluate.py on both: passes and MRR), since a fast wrong answer
  is no comparison: FTS5 ANDs every word and has no stemming, so a query with one word the question lacks
  finds nothing.

FTS5 indexes the text parlsearch indexes (bench/fts5.py: the Dutch text in body_nl; a title derived from
the first sentence is left out, as parlsearch leaves it out).
"""
from __future__ import annotations

import shutil
from pathlib import Path

from fts5 import Fts5Searcher
from measure import FTS5_BUILD, REPO, dir_size, parlsearch_argv, run_child, time_calls
from report import table

#: The file the section indexes by default: the Chamber's data set as parlsearch ships it.
REAL_FILE = REPO / "corpus" / "datasets" / "chamber-written-questions-2020.jsonl.gz"
#: The queries timed and judged: the project's own known-item set over this data.
REAL_QUERIES = REPO / "tests" / "data" / "chamber-judged.jsonl"


def _build(path: Path, ix_dir: Path, db: Path, jobs: int, log) -> tuple[dict, dict, int]:
    log("real corpus %s: parlsearch index --jobs %d …" % (path.name, jobs))
    p = run_child(parlsearch_argv() + ["index", "--jobs", str(jobs), "--rebuild", "--quiet", "--index",
                                       str(ix_dir), str(path)])
    if p["returncode"] != 0:
        raise SystemExit("benchmark: parlsearch index of %s failed:\n%s" % (path, p["stderr"][-2000:]))
    p["size"] = dir_size(ix_dir)
    log("  fts5 index …")
    f = run_child(FTS5_BUILD + [str(path), str(db)])
    if f["returncode"] != 0:
        raise SystemExit("benchmark: fts5 build of %s failed:\n%s" % (path, f["stderr"][-2000:]))
    f["size"] = dir_size(db)
    return p, f, int(f["stdout"].strip() or 0)


def _queries(engine, cases: list[dict], repeat: int) -> dict:
    """Timings of `engine.search` (parlsearch's Engine or an Fts5Searcher) over every case and by language."""
    sets = {"all": [c["q"] for c in cases],
            "french": [c["q"] for c in cases if c["kind"].startswith("fr")],
            "dutch": [c["q"] for c in cases if c["kind"].startswith("nl")]}

    def search(q):
        return engine.search(q, limit=10).total
    return {name: time_calls(search, qs, repeat) for name, qs in sets.items() if qs}


def bench_real(path: Path, args, work: Path, log) -> dict:
    from parlsearch.search.engine.core import Engine
    from parlsearch.search.evaluate import evaluate, load_judgments
    path = Path(path)
    ix_dir, db = work / "parlsearch-real", work / "fts5_real.db"
    shutil.rmtree(ix_dir, ignore_errors=True)
    p, f, ndocs = _build(path, ix_dir, db, args.jobs, log)
    cases = load_judgments(REAL_QUERIES)
    log("  %d queries …" % len(cases))
    with Engine.open(ix_dir) as engine:
        segments = len(list(engine.searcher.reader().leaf_readers()))
        documents = engine.doc_count
        pq = _queries(engine, cases, args.repeat)
        pquality = evaluate(engine, cases)
    fts = Fts5Searcher(db)
    try:
        fq = _queries(fts, cases, args.repeat)
        fquality = evaluate(fts, cases)
    finally:
        fts.close()
    mb = path.stat().st_size / 1e6

    def side(ix, queries, quality):
        return {"index_wall_s": ix["wall"], "index_cpu_s": ix["cpu"], "docs_per_s": ndocs / ix["wall"],
                "docs_per_cpu_s": ndocs / ix["cpu"] if ix["cpu"] else float("nan"), "mb_per_s": mb / ix["wall"],
                "index_peak_rss_mb": ix["maxrss_mb"], "index_tree_rss_mb": ix["tree_rss_mb"],
                "index_size_mb": ix["size"] / 1e6, "queries": queries,
                "quality": {"passed": quality.passed, "total": len(quality.cases), "mrr": quality.mrr,
                            "by_kind": quality.by_kind()}}

    out = {"file": path.name, "file_mb": mb, "documents": ndocs, "documents_in_parlsearch": documents,
           "jobs": args.jobs, "parlsearch": side(p, pq, pquality), "fts5": side(f, fq, fquality)}
    out["parlsearch"]["segments"] = segments
    return out


def _n(x, fmt="%.1f") -> str:
    return "–" if x is None or x != x else fmt % x


def format_real(r: dict) -> list[str]:
    """The section's table: each figure for parlsearch and FTS5, and their ratio."""
    p, f = r["parlsearch"], r["fts5"]

    def row(label, key, fmt="%.1f"):
        a, b = p.get(key), f.get(key)
        return [label, _n(a, fmt), _n(b, fmt), _n(a / b if a is not None and b else None, "%.2f×")]

    def qrow(label, name, key):
        a = (p["queries"].get(name) or {}).get(key)
        b = (f["queries"].get(name) or {}).get(key)
        return [label, _n(a), _n(b), _n(a / b if a is not None and b else None, "%.1f×")]

    rows = [row("indexing wall s", "index_wall_s"), row("indexing CPU s", "index_cpu_s"),
            row("documents/s (wall)", "docs_per_s", "%.0f"), row("documents per CPU s", "docs_per_cpu_s", "%.0f"),
            row("file MB/s (wall)", "mb_per_s", "%.2f"),
            row("indexing peak MB, largest process", "index_peak_rss_mb", "%.0f"),
            row("indexing peak MB, process tree (PSS)", "index_tree_rss_mb", "%.0f"),
            row("index size MB", "index_size_mb")]
    for name, label in (("all", "all"), ("french", "French"), ("dutch", "Dutch")):
        if name in p["queries"]:
            n = len(p["queries"][name]["totals"])
            rows.append(qrow("%s queries (%d) p50 CPU ms" % (label, n), name, "cpu_p50_ms"))
            rows.append(qrow("%s queries (%d) p95 CPU ms" % (label, n), name, "cpu_p95_ms"))
    rows.append(qrow("all queries p50 wall ms", "all", "wall_p50_ms"))
    pj, fj = p["quality"], f["quality"]
    rows.append(["judged queries passed", "%d/%d" % (pj["passed"], pj["total"]), "%d/%d" % (fj["passed"], fj["total"]),
                 ""])
    rows.append(["judged queries MRR", "%.3f" % pj["mrr"], "%.3f" % fj["mrr"], ""])
    kinds = ["  %s: %s" % (name, ", ".join("%s %d/%d" % (k, a, b) for k, (a, b) in sorted(q["by_kind"].items())))
             for name, q in (("parlsearch", pj), ("FTS5", fj))]
    head = ("Real corpus: %s (%.1f MB), %d documents (%d in parlsearch), the Chamber's written questions in "
            "French and Dutch; parlsearch index --jobs %d; %d segment(s)"
            % (r["file"], r["file_mb"], r["documents"], r["documents_in_parlsearch"], r["jobs"],
               p.get("segments", 0)))
    return ["", head] + table(["measure", "parlsearch", "FTS5", "parlsearch/FTS5"], rows) + \
        ["Judged queries by kind (%s):" % REAL_QUERIES.name] + kinds
