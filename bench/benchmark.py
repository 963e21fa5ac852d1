#!/usr/bin/env python3
"""parlsearch against SQLite FTS5 on the same documents, in the same run: indexing, index size, incremental
update, query latency, facets, date sorts, a warm web server against Datasette, cold start, memory; issue 20's
targets with a verdict; how every figure grows with the number of documents; and (--quality) search quality
on judged queries against FTS5 and stock whoosh.

    python bench/benchmark.py                               # sizes 1000, 20000 and 100000
    python bench/benchmark.py --sizes 1000                  # quick (a few minutes)
    python bench/benchmark.py --sizes 1000,20000 --jobs 2
    python bench/benchmark.py --with-300k                   # also 300000 documents
    python bench/benchmark.py --quality tests/data/dev.jsonl
    python bench/benchmark.py --sizes 1000 --json           # machine-readable
    python bench/benchmark.py --sizes 100000 --backend PRIMARY_DSN --backend STANDBY_DSN   # PostgreSQL

Corpora come from the shared make_corpus tool (default ../shared/tools/make_corpus.py from the repo root or
the nearest directory above it that has one, or --make-corpus PATH), which recombines sentences of the
bundled real corpus; generated corpora are cached in bench/out/ (keyed by size, seed and a hash of the
bundled corpus file). The web-server comparison needs Datasette (`pip install -e '.[bench]'`); without it
those rows say so and the rest runs.

The modules: bench/measure.py (processes, timings, corpora), bench/fts5.py (the FTS5 database, the query
translation and the SQL of each operation), bench/http_load.py (servers and HTTP load), bench/report.py (the
tables, issue 20's targets and the verdicts), bench/quality.py (--quality). What is measured, for each size,
on the same documents:

* indexing: parlsearch as a subprocess, `parlsearch index --jobs J --rebuild --index DIR FILE`; FTS5 as a
  subprocess, `python bench/fts5.py build FILE DB`, which reads the file with the same corpus reader (so both
  include reading and de-duplicating the JSONL) and inserts every document in one transaction into the
  layout of bench/fts5.py (a `questions` table and an external-content fts5 index over its text, bm25 with
  parlsearch's default field weights). docs/s and MB/s are over wall time; CPU seconds (user+sys, the
  process and its workers) are shown too, as wall time depends on what else the machine is running.
* memory of a process tree: ru_maxrss of the largest process (wait4), and the peak of the whole tree's
  proportional set size sampled every 0.5 s (bench/measure.py); issue 20's bound is on the latter.
* index size: the bytes of the index directory / the database file, right after the bulk build.
* segments: how many segments the bulk build leaves.
* incremental update: `parlsearch index --jobs J` of INCREMENT (1,000) new documents onto the built index (the
  next records of the same generated corpus), wall, CPU and memory; FTS5 appends the same documents
  (`bench/fts5.py build --append`).
* query latency: in this process, each query set run --repeat times after one warm-up pass (fuzzy words and
  `similar`: half as many), p50/p95 as CPU time (time.process_time: the stable figure when other work shares
  the machine) and wall time. parlsearch through search.engine.Engine (`search`: the top 10 with snippets and
  the total count), FTS5 as the top 10 by rank with a snippet plus a count(*). The sets: all 42 QUERIES;
  the keyword queries (the 20 first: bare words and short multi-word queries); long natural questions;
  phrases; field queries; the keyword queries with a date filter (received in FILTER_YEAR) and with an author
  filter (the overhead is the difference of the p50s; FTS5 gets the same conditions as column filters);
  FUZZY_QUERIES (parlsearch only: FTS5 has no fuzzy matching); `Engine.similar` on SIMILAR_DOCS documents
  (parlsearch only).
* --sort -date: the keyword queries through `Engine.search(q, sort="-date")` (the 10 newest matches with
  snippets, and the total); FTS5: the 10 newest rowids by `questions.date DESC`, their snippets, the count.
* counting: `search.counting.count_matches(engine, q)` over every match of COUNT_QUERIES by `stats`' facets
  (status, year, minister, author, type, legislature); FTS5: one GROUP BY per facet over the matches.
* facets of a large query: issue 20 names a query of 10,000 matches at 100,000 documents. At each size the
  query is the one of FACET_CANDIDATES whose parlsearch total is nearest 10% of the index (the generated
  corpus keeps a word's share of documents at every size), named in the output with its totals. Timed
  (--repeat × 5 runs): `count_matches(engine, q)` with `stats`' facets and with the web page's facets
  (search/web/facets.py FACETS: minister, author, year, status); FTS5 the same GROUP BYs (bench/fts5.py).
* the results page's timeline (issue 23): that query's page work (hits with snippets, facets) without and
  with the timeline (one matching pass for facets and timeline, the SVG and its table), timed alternately
  (measure.time_pair): CPU p50 and the share it adds (target: at most 10% at 100,000 documents).
  bench/page_charts.py runs this part alone on built indexes.
* warm web server (bench/http_load.py): `parlsearch serve --index DIR --port 0` and `datasette serve -i DB`
  started as subprocesses after the in-process queries, every URL requested once, then for --serve-seconds
  each: 1 client, and --clients concurrent clients (separate processes with kept-alive connections), sending
  the keyword queries to parlsearch's `/api/search?q=…` and to Datasette's table search with the same FTS5
  expressions; latency p50/p95 (wall), responses per second, the server's CPU ms per response.
* cold start: wall and CPU time of a fresh `parlsearch search --index DIR vélo` process against a fresh
  `python -c` process that opens the database and runs the same top-10 FTS5 query (median of --cold-runs,
  after one discarded run; bytecode caching on, as for an installed package: see measure.cold).

The FTS5 translation of a query is bench/fts5.py's to_fts5 (stopwords, elisions and question words dropped,
bare words in the text columns, phrases kept, field:value as column filters, OR kept, no relaxation).

After the per-size tables (parlsearch, FTS5 or Datasette, their ratio, issue 20's target and the verdict at
that size: bench/report.py), one table gives each figure at each size and its growth factor from one size to
the next.

--backend DSN (repeatable, the primary first): the local index beside the PostgreSQL backend instead of FTS5
(bench/postgres.py says what is measured).

--quality JUDGMENTS.jsonl: bench/quality.py (parlsearch, stock whoosh and FTS5 on the judged queries over the
bundled corpus; passes per kind and MRR).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
from pathlib import Path

import http_load
from fts5 import STATS_FACETS, WEB_FACETS, Fts5Searcher, to_fts5
from measure import (FTS5_BUILD, OUT, REPO, cold, dir_size, machine_info, parlsearch_argv, run_child,
                     split_corpus, time_calls, time_pair)
from realcorpus import REAL_FILE, bench_real, format_real
from report import INCREMENT, format_speed



def _default_tool() -> Path:
    """../shared/tools/make_corpus.py from the repository's root, or from the nearest directory above it that
    has one (a git worktree under another directory)."""
    for parent in REPO.parents:
        tool = parent / "shared" / "tools" / "make_corpus.py"
        if tool.exists():
            return tool
    return REPO.parent / "shared" / "tools" / "make_corpus.py"


DEFAULT_TOOL = _default_tool()

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
KEYWORD_QUERIES = QUERIES[:20]
PHRASE_QUERIES = QUERIES[20:26]
FIELD_QUERIES = QUERIES[26:34]
LONG_QUERIES = QUERIES[34:]
FUZZY_QUERIES = ["stationement~", "velos~", "logment~", "mobilitee~", "polution~2"]
#: Queries whose every match is counted by facet (`parlsearch stats QUERY`): the whole index, broad and
#: narrow topics, a filter.
COUNT_QUERIES = ["", "logement", "STIB", "vélo", "statut:repondu", "auteur:maison", '"permis d\'urbanisme"']
#: Where the query of ~10% of the index is chosen from: COUNT_QUERIES' queries and topics that hold 5–20% of
#: the generated documents (at 1,000: jeunes 14.5%, pistes cyclables 8.7%, eau 6.6%, CPAS 18.6%).
FACET_CANDIDATES = [q for q in COUNT_QUERIES if q] + ["jeunes", "pistes cyclables", "eau", "CPAS", "subsides"]
#: Filters added to the keyword queries (their overhead is the difference of the p50s).
FILTER_YEAR = 2026
FILTER_AUTHOR = "maison"
SIMILAR_DOCS = 5
COLD_WORD = "vélo"


def _filters() -> dict:
    from parlsearch.search.engine.filters import SearchFilters
    year = SearchFilters(since=dt.date(FILTER_YEAR, 1, 1), until=dt.date(FILTER_YEAR, 12, 31))
    return {"date": year.queries(), "author": SearchFilters(author=FILTER_AUTHOR).queries()}


def facet_query(totals: dict[str, int], documents: int) -> str:
    """The query whose number of matches is nearest 10% of `documents` (the first of equals)."""
    return min(totals, key=lambda q: abs(totals[q] - documents / 10))


# -- one size ----------------------------------------------------------------------------------------

def _index(n, corpus, ix_dir, db, jobs, log) -> tuple[dict, dict, int]:
    log("  parlsearch index --jobs %d …" % jobs)
    p = run_child(parlsearch_argv() + ["index", "--jobs", str(jobs), "--rebuild", "--quiet", "--index",
                                       str(ix_dir), str(corpus)])
    if p["returncode"] != 0:
        raise SystemExit("benchmark: parlsearch index failed:\n%s" % p["stderr"][-2000:])
    p["size"] = dir_size(ix_dir)  # before the incremental update adds to it
    log("  fts5 index …")
    f = run_child(FTS5_BUILD + [str(corpus), str(db)])
    if f["returncode"] != 0:
        raise SystemExit("benchmark: fts5 build failed:\n%s" % f["stderr"][-2000:])
    f["size"] = dir_size(db)
    return p, f, int(f["stdout"].strip() or 0)


def _parlsearch_queries(engine, repeat: int) -> tuple[dict, dict]:
    """The in-process figures of parlsearch, and the query of ~10% of the index with the candidates' totals."""
    from parlsearch.search.engine.counting import FACETS, count_matches
    from parlsearch.search.web.facets import FACETS as PAGE_FACETS
    search = lambda q: engine.search(q, limit=10).total  # noqa: E731
    out = {"all": time_calls(search, QUERIES, repeat)}
    for name, qs in (("keyword", KEYWORD_QUERIES), ("long", LONG_QUERIES), ("phrase", PHRASE_QUERIES),
                     ("field", FIELD_QUERIES)):
        out[name] = time_calls(search, qs, repeat)
    for name, flt in _filters().items():
        out["keyword+" + name] = time_calls(lambda q: engine.search(q, limit=10, filters=flt).total,
                                            KEYWORD_QUERIES, repeat)
    out["fuzzy"] = time_calls(search, FUZZY_QUERIES, max(1, repeat // 2))
    ids = [engine.document(d).id for d in range(min(SIMILAR_DOCS, engine.doc_count))]
    out["similar"] = time_calls(lambda i: len(engine.similar(i)), ids, max(1, repeat // 2))
    out["sort_date"] = time_calls(lambda q: engine.search(q, limit=10, sort="-date").total, KEYWORD_QUERIES, repeat)
    out["counting"] = time_calls(lambda q: count_matches(engine, q, facets=FACETS).total, COUNT_QUERIES, repeat)
    totals = {q: count_matches(engine, q, facets=()).total for q in FACET_CANDIDATES}
    chosen = facet_query(totals, engine.doc_count)
    out["facets_stats"] = time_calls(lambda q: count_matches(engine, q, facets=FACETS).total, [chosen], repeat * 5)
    out["facets_web"] = time_calls(lambda q: count_matches(engine, q, facets=PAGE_FACETS).total, [chosen],
                                   repeat * 5)
    out.update(results_page_timeline(engine, [chosen], repeat * 5))
    return out, {"query": chosen, "parlsearch_total": totals[chosen], "candidates": totals}


def results_page_timeline(engine, queries, repeat: int) -> dict:
    """The results page's engine work without and with its timeline (issue 23: at most +10%): the hits with
    their snippets and the facets (search/web/app.py's run_search before the timeline), against the hits, the
    facets and the timeline from the same matching pass plus the timeline's SVG (search/timeline_svg.py,
    ElementTree) and table."""
    from flask import Flask

    from parlsearch.search.web.charts import timeline_view
    from parlsearch.search.web.facets import facet_counts, facets_and_timeline
    from parlsearch.search.web.form import SearchForm
    app = Flask("bench")
    app.add_url_rule("/", "search_page", lambda: "")

    def without(q):
        result = engine.search(q, limit=10, closest=True)
        facet_counts(engine, q, [])
        return result.total

    def with_timeline(q):
        result = engine.search(q, limit=10, closest=True)
        _, line = facets_and_timeline(engine, q, [])
        timeline_view(SearchForm(q=q), line)
        return result.total

    with app.test_request_context("/"):  # as a page is, in both (the links are built with url_for)
        with_timeline(queries[0])  # the drawing's modules imported: once per server process
        without_times, with_times = time_pair(without, with_timeline, queries, repeat)
    out = {"page_without_timeline": without_times, "page_with_timeline": with_times}
    base = out["page_without_timeline"]["cpu_p50_ms"]
    out["timeline_overhead"] = {"cpu_p50_ms": out["page_with_timeline"]["cpu_p50_ms"] - base,
                                "share": (out["page_with_timeline"]["cpu_p50_ms"] - base) / base if base else None}
    return out


def _fts5_queries(fts: Fts5Searcher, chosen: str, repeat: int) -> dict:
    search = lambda q: fts.search(q, limit=10).total  # noqa: E731
    out = {"all": time_calls(search, QUERIES, repeat)}
    for name, qs in (("keyword", KEYWORD_QUERIES), ("long", LONG_QUERIES), ("phrase", PHRASE_QUERIES),
                     ("field", FIELD_QUERIES)):
        out[name] = time_calls(search, qs, repeat)
    for name, clause in (("date", 'date : "%d"' % FILTER_YEAR), ("author", 'author : "%s"' % FILTER_AUTHOR)):
        out["keyword+" + name] = time_calls(
            lambda q: fts.search_expr("(%s) AND %s" % (to_fts5(q), clause)) if to_fts5(q) else 0,
            KEYWORD_QUERIES, repeat)
    out["sort_date"] = time_calls(lambda q: fts.newest(q).total, KEYWORD_QUERIES, repeat)
    out["counting"] = time_calls(lambda q: fts.facets(q, STATS_FACETS)[0], COUNT_QUERIES, repeat)
    out["facets_stats"] = time_calls(lambda q: fts.facets(q, STATS_FACETS)[0], [chosen], repeat * 5)
    out["facets_web"] = time_calls(lambda q: fts.facets(q, WEB_FACETS)[0], [chosen], repeat * 5)
    return out


def _serve(start, clients: int, seconds: float, log) -> dict:
    """Warm a server, then 1 client and `clients` clients for `seconds` each; {"error": …} when it cannot run."""
    if seconds <= 0:
        return {"error": "--serve-seconds 0"}
    try:
        server = start()
    except RuntimeError as e:
        log("  %s" % e)
        return {"error": str(e).splitlines()[0]}
    try:
        log("  %s: warm-up, 1 client, %d clients, %g s each …" % (server.name, clients, seconds))
        out = {"totals": http_load.warm(server)}
        out["1"] = http_load.load(server, 1, seconds)
        out["many"] = http_load.load(server, clients, seconds)
        return out
    finally:
        server.stop()


def bench_size(n: int, args, work: Path, log) -> dict:
    from parlsearch.search.engine.core import Engine
    corpus, extra = split_corpus(n, INCREMENT, args.make_corpus)
    size_mb = corpus.stat().st_size / 1e6
    log("size %d: corpus %s (%.1f MB)" % (n, corpus.name, size_mb))
    ix_dir, db = work / ("parlsearch-%d" % n), work / ("fts5_%d.db" % n)
    shutil.rmtree(ix_dir, ignore_errors=True)
    p, f, ndocs = _index(n, corpus, ix_dir, db, args.jobs, log)

    log("  queries …")
    with Engine.open(ix_dir) as engine:
        segments = len(list(engine.searcher.reader().leaf_readers()))
        ndocs_p = engine.doc_count
        pq, fquery = _parlsearch_queries(engine, args.repeat)
    fts = Fts5Searcher(db)
    try:
        fq = _fts5_queries(fts, fquery["query"], args.repeat)
    finally:
        fts.close()
    fquery["fts5_total"] = fq["facets_stats"]["totals"][fquery["query"]]

    log("  web servers …")
    ps = _serve(lambda: http_load.start_parlsearch(parlsearch_argv(), ix_dir, KEYWORD_QUERIES),
                args.clients, args.serve_seconds, log)
    fs = _serve(lambda: http_load.start_datasette(db, {q: to_fts5(q) for q in KEYWORD_QUERIES}),
                args.clients, args.serve_seconds, log)

    log("  cold starts …")
    pc = cold(parlsearch_argv() + ["search", "--index", str(ix_dir), COLD_WORD], args.cold_runs)
    code = ("import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
            "print(c.execute(sys.argv[2], (sys.argv[3], 10)).fetchall())")
    fc = cold([sys.executable, "-c", code, str(db), Fts5Searcher.TOP, to_fts5(COLD_WORD)], args.cold_runs)

    log("  incremental update of %d documents …" % INCREMENT)
    pu = run_child(parlsearch_argv() + ["index", "--jobs", str(args.jobs), "--quiet", "--index", str(ix_dir),
                                       str(extra)])
    if pu["returncode"] != 0:
        raise SystemExit("benchmark: parlsearch index (update) failed:\n%s" % pu["stderr"][-2000:])
    fu = run_child(FTS5_BUILD + [str(extra), str(db), "--append"])
    if fu["returncode"] != 0:
        raise SystemExit("benchmark: fts5 update failed:\n%s" % fu["stderr"][-2000:])

    def side(ix, queries, serve, cold_start, update):
        return {"index_wall_s": ix["wall"], "index_cpu_s": ix["cpu"], "docs_per_s": n / ix["wall"],
                "docs_per_cpu_s": n / ix["cpu"] if ix["cpu"] else float("nan"), "mb_per_s": size_mb / ix["wall"],
                "index_peak_rss_mb": ix["maxrss_mb"], "index_tree_rss_mb": ix["tree_rss_mb"],
                "index_size_mb": ix["size"] / 1e6, "queries": queries, "serve": serve, "cold_start": cold_start,
                "update_wall_s": update["wall"], "update_cpu_s": update["cpu"],
                "update_peak_rss_mb": update["maxrss_mb"], "update_tree_rss_mb": update["tree_rss_mb"]}

    ps_, fs_ = side(p, pq, ps, pc, pu), side(f, fq, fs, fc, fu)
    ps_["segments"] = segments
    return {"size": n, "documents": ndocs, "documents_in_parlsearch": ndocs_p, "corpus_mb": size_mb,
            "corpus": corpus.name, "jobs": args.jobs, "facet_query": fquery, "parlsearch": ps_, "fts5": fs_}


# -- main --------------------------------------------------------------------------------------------

def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--sizes", help="corpus sizes, comma-separated (default 1000,20000,100000; none with "
                                    "--quality)")
    ap.add_argument("--with-300k", action="store_true", help="also run 300000 documents")
    ap.add_argument("--make-corpus", type=Path, default=DEFAULT_TOOL, metavar="PATH",
                    help="the make_corpus.py tool (default: %(default)s)")
    ap.add_argument("--jobs", type=int, default=2, help="parlsearch index --jobs (default 2)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each query (default 3)")
    ap.add_argument("--cold-runs", type=int, default=5, help="cold-start processes per engine (default 5)")
    ap.add_argument("--serve-seconds", type=float, default=10.0,
                    help="seconds of load per server and number of clients (default 10; 0: no server figures)")
    ap.add_argument("--clients", type=int, default=8, help="concurrent clients of the throughput run (default 8)")
    ap.add_argument("--real", type=Path, metavar="FILE", default=None,
                    help="the real corpus of the real-corpus section (default: the Chamber's 6,059 questions, %s; "
                         "run with the sizes, not with --quality alone)" % REAL_FILE.relative_to(REPO))
    ap.add_argument("--no-real", action="store_true", help="leave out the real-corpus section")
    ap.add_argument("--quality", type=Path, metavar="JUDGMENTS.jsonl",
                    help="compare search quality on judged queries (only this, unless --sizes is given too)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--keep", action="store_true", help="keep the built indexes in bench/out/work")
    ap.add_argument("--backend", action="append", metavar="DSN",
                    help="instead of FTS5: the local index beside a PostgreSQL database (bench/postgres.py); "
                         "repeat for a standby (primary first). Its parlsearch tables are replaced.")
    args = ap.parse_args(argv)
    if args.real is None and not args.no_real and not (args.quality and args.sizes is None):
        args.real = REAL_FILE
    if args.no_real:
        args.real = None
    if args.sizes is None:
        args.sizes = "" if args.quality else "1000,20000,100000"
    try:
        args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        ap.error("--sizes: comma-separated numbers of documents, e.g. 1000,20000")
    if any(s < 1 for s in args.sizes) or args.repeat < 1 or args.cold_runs < 1 or args.clients < 1:
        ap.error("sizes, --repeat, --cold-runs and --clients must be at least 1")
    if args.with_300k and 300000 not in args.sizes:
        args.sizes.append(300000)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)

    def log(message):
        print(message, file=sys.stderr, flush=True)

    machine = machine_info()
    work = OUT / "work"
    work.mkdir(parents=True, exist_ok=True)
    output = {"machine": machine, "speed": [], "real": None, "quality": None}
    try:
        if args.backend:
            from postgres import bench_backend, format_backend
            results = [bench_backend(n, args, work, log) for n in args.sizes]
            machine["loadavg_end"] = os.getloadavg()
            print(json.dumps({"machine": machine, "backend": results}, indent=2, default=str) if args.json
                  else format_backend(results, machine))
            return 0
        for n in args.sizes:
            output["speed"].append(bench_size(n, args, work, log))
        if args.real:
            output["real"] = bench_real(args.real, args, work, log)
        if args.quality:
            from quality import bench_quality
            output["quality"] = bench_quality(args.quality, work, log)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    machine["loadavg_end"] = os.getloadavg()
    if args.json:
        print(json.dumps(output, indent=2, ensure_ascii=False))
        return 0
    text = []
    if output["speed"]:
        text.append(format_speed(output["speed"], machine))
    else:
        text.append("Machine: %d CPUs, %s; Python %s, SQLite %s, whoosh %s" % (
            machine["nproc"], machine["cpu"], machine["python"], machine["sqlite"], machine["whoosh"]))
    if output["real"]:
        text.append("\n".join(format_real(output["real"])))
    if output["quality"]:
        from quality import format_quality
        text.append(format_quality(output["quality"]))
    print("\n".join(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
