"""Server-side time of `parlsearch serve` requests, measured in-process with Flask's test client (no network):
what the server spends between receiving a request and having the response ready.

    python bench/web_latency.py INDEX_DIR [--repeat 7]

For each keyword query: the JSON API (search + one page of 10 hits with snippets), the HTML page (the same, plus facet
counts over all matches and the template), and the facet counting alone; p50 and max over the repeats,
after one warm-up request (the server keeps its searcher open, so only the first request is cold). Each time
is given as wall-clock and as this thread's CPU time (the latter unaffected by other processes on the CPU).
"""
from __future__ import annotations

import argparse
import statistics
import time
import urllib.parse

QUERIES = ("logement", "stationnement vélo", "tram", "mobilité partagée", "propreté publique", "CPAS",
           "zone de basses émissions", "Villo")


def main(argv=None) -> int:
    from parlsearch.search.web import create_app
    from parlsearch.search.web_facets import facet_counts
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("index")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)
    app = create_app(args.index)
    client = app.test_client()
    warm = app.extensions["parlsearch"]
    kinds = ("api", "page", "facets")
    rows = {k: ([], []) for k in kinds}  # wall, cpu
    print("%-26s %8s %18s %18s %18s" % ("query", "matches", "api ms wall/cpu", "page ms wall/cpu",
                                         "facets ms wall/cpu"))

    def timed(kind, times, fn):
        wall, cpu = time.perf_counter(), time.thread_time()
        out = fn()
        times[kind][0].append(time.perf_counter() - wall)
        times[kind][1].append(time.thread_time() - cpu)
        return out

    def cells(times, agg):
        return " ".join("%8.1f/%-8.1f" % (1000 * agg(times[k][0]), 1000 * agg(times[k][1])) for k in kinds)

    for q in QUERIES:
        qs = urllib.parse.urlencode({"q": q})
        client.get("/api/search?" + qs)  # warm-up
        client.get("/?" + qs)
        times = {k: ([], []) for k in kinds}
        for _ in range(args.repeat):
            r = timed("api", times, lambda: client.get("/api/search?" + qs))
            assert r.status_code == 200
            assert timed("page", times, lambda: client.get("/?" + qs)).status_code == 200
            with warm.use() as engine:
                timed("facets", times, lambda: facet_counts(engine, q, []))
        for k in kinds:
            rows[k][0].extend(times[k][0])
            rows[k][1].extend(times[k][1])
        print("%-26s %8d %s" % (q, r.get_json()["total"], cells(times, statistics.median)))
    print("%-26s %8s %s" % ("p50 over all", "", cells(rows, statistics.median)))
    print("%-26s %8s %s" % ("max", "", cells(rows, max)))
    warm.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
