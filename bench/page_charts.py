#!/usr/bin/env python3
"""The charts' cost on built indexes, without the whole benchmark: the results page with and without its
timeline (benchmark.py's `results_page_timeline`, the same function), the timeline's drawing alone, and the
/stats page's work with and without its pygal charts.

    python bench/page_charts.py INDEX [INDEX …] [--repeat 5] [--json]

Queries: the one of benchmark.FACET_CANDIDATES whose total is nearest 10% of the index (as benchmark.py
chooses it), and the first four keyword queries. CPU p50 in ms (time.process_time: the stable figure on a
shared machine).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchmark import FACET_CANDIDATES, KEYWORD_QUERIES, facet_query, results_page_timeline  # noqa: E402
from measure import time_calls, time_pair  # noqa: E402


def timeline_drawing(engine, queries, repeat: int) -> dict:
    """search/timeline_svg.py alone, on each query's timeline (computed once)."""
    from parlsearch.search.timeline_svg import timeline_svg
    from parlsearch.search.web.facets import facets_and_timeline
    lines = {q: facets_and_timeline(engine, q, [])[1] for q in queries}
    out = time_calls(lambda q: len(timeline_svg(lines[q], "t", href=lambda b: "/?since=" + b.since,
                                                page_label="timeline")), queries, repeat)
    out["bars"] = {q: len(line.buckets) for q, line in lines.items()}
    return out


def stats_page(engine, queries, repeat: int) -> dict:
    """The /stats page's engine work (counts by its facets, answer delays), without and with its five pygal
    charts (four count charts and the delays), as search/web/charts.py's stats_page draws them."""
    import datetime as dt

    from parlsearch.search import charts
    from parlsearch.search.engine.counting import count_matches
    from parlsearch.search.engine.delays import answer_delays
    from parlsearch.search.web.charts import CHART_ROWS, STATS_FACETS
    today = dt.date.today()
    facets = tuple(name for name, _ in STATS_FACETS)

    def work(q):
        return count_matches(engine, q, facets=facets), answer_delays(engine, q, as_of=today)

    def with_charts(q):
        counts, delays = work(q)
        for facet, heading in STATS_FACETS:
            values = counts.facets.get(facet, {})
            if values:
                charts.counts_chart(values, heading, href=lambda v: "/?x=" + v, chart_id="stats-" + facet,
                                    top=CHART_ROWS, page_label=facet)
        charts.delays_chart(delays, "Délais", chart_id="stats-delays", page_label="delays")
        return counts.total

    with_charts(queries[0])  # pygal imported, once per server process
    without_times, with_times = time_pair(lambda q: work(q)[0].total, with_charts, queries, repeat)
    out = {"stats_without_charts": without_times, "stats_with_charts": with_times}
    base = out["stats_without_charts"]["cpu_p50_ms"]
    added = out["stats_with_charts"]["cpu_p50_ms"] - base
    out["charts_overhead"] = {"cpu_p50_ms": added, "share": added / base if base else None}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("indexes", nargs="+", type=Path)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    from parlsearch.search.engine.core import Engine
    from parlsearch.search.engine.counting import count_matches
    report = {}
    for path in args.indexes:
        engine = Engine.open(path)
        totals = {q: count_matches(engine, q, facets=()).total for q in FACET_CANDIDATES}
        chosen = facet_query(totals, engine.doc_count)
        keywords = KEYWORD_QUERIES[:4]
        r = {"documents": engine.doc_count, "query": chosen, "query_total": totals[chosen]}
        r["chosen"] = results_page_timeline(engine, [chosen], args.repeat * 5)
        r["keywords"] = results_page_timeline(engine, keywords, args.repeat)
        r["drawing"] = timeline_drawing(engine, [chosen] + keywords, args.repeat)
        r["stats_page"] = stats_page(engine, [chosen], args.repeat)
        report[str(path)] = r
        engine.close()
        if not args.json:
            print("%s: %d documents; %r (%d matches)" % (path, r["documents"], chosen, totals[chosen]))
            for name in ("chosen", "keywords"):
                x = r[name]
                print("  results page, %-8s without %.1f ms, with timeline %.1f ms: +%.2f ms (%+.1f%%) totals %s" % (
                    name, x["page_without_timeline"]["cpu_p50_ms"], x["page_with_timeline"]["cpu_p50_ms"],
                    x["timeline_overhead"]["cpu_p50_ms"], 100 * (x["timeline_overhead"]["share"] or 0),
                    x["page_with_timeline"]["totals"]))
            d = r["drawing"]
            print("  timeline drawing alone: %.2f ms p50 (%.2f p95), bars %s" % (d["cpu_p50_ms"], d["cpu_p95_ms"],
                                                                               d["bars"]))
            s = r["stats_page"]
            print("  /stats work %.1f ms, with its 5 pygal charts %.1f ms: +%.1f ms (%+.0f%%)" % (
                s["stats_without_charts"]["cpu_p50_ms"], s["stats_with_charts"]["cpu_p50_ms"],
                s["charts_overhead"]["cpu_p50_ms"], 100 * (s["charts_overhead"]["share"] or 0)))
    if args.json:
        print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
