"""The tables bench/benchmark.py prints: for each size, parlsearch beside SQLite FTS5 (in process) and Datasette
(over HTTP) with issue 20's target and a verdict; then how every figure grows from size to size.

Issue 20's targets are stated at 100,000 documents (the cold start at 20,000), on CPU, in the same run as
FTS5. In-process query figures are compared as CPU milliseconds (time.process_time: the figure that stays put
when other work shares the machine); server figures as wall milliseconds and responses per second seen by the
clients; indexing as wall and CPU seconds. A verdict is `met`, or `missed ×N` where N is how far the figure is
from its bound (value / bound for an upper bound, bound / value for a lower one). Every size's table carries
the verdict of that size, so small runs tell how far a figure is from the target, not whether it is met.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

INCREMENT = 1000


def table(header, rows) -> list[str]:
    """Rows of cells under a header, the first column left-aligned, the others right-aligned."""
    rows = [list(map(str, r)) for r in rows]
    widths = [max(len(x) for x in col) for col in zip(header, *rows)]

    def line(cells):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]


def _ok(x) -> bool:
    return isinstance(x, (int, float)) and not math.isnan(x)


def verdict(value, op: str, bound) -> str:
    """`met` or `missed ×N` (see the module doc); `–` when either side is unknown."""
    if not (_ok(value) and _ok(bound)):
        return "–"
    if op == "<=":
        if value <= bound:
            return "met"
        return "missed ×%.1f" % (value / bound) if bound > 0 else "missed"
    if value >= bound:
        return "met"
    return "missed ×%.1f" % (bound / value) if value > 0 else "missed"


def short_size(n: int) -> str:
    """1000 → 1k, 20000 → 20k, 1500 → 1.5k, 300 → 300."""
    return "%gk" % (n / 1000) if n >= 1000 else str(n)


# -- reading a size's results ------------------------------------------------------------------------

def q(side: dict, name: str, key: str = "cpu_p50_ms"):
    """A query figure of one side (parlsearch or fts5): queries[name][key], None when not measured."""
    return (side.get("queries") or {}).get(name, {}).get(key)


def served(side: dict, run: str, key: str):
    """A web-server figure of one side in one load run ("1": one client, "many": --clients clients), None
    when not measured."""
    return ((side.get("serve") or {}).get(run) or {}).get(key)


def cold_ratio(r: dict):
    """parlsearch's cold search process over python + FTS5's, the larger of the wall and CPU ratios."""
    p, f = r["parlsearch"].get("cold_start"), r["fts5"].get("cold_start")
    if not (p and f and f["median_ms"] and f["cpu_median_ms"]):
        return None
    return max(p["median_ms"] / f["median_ms"], p["cpu_median_ms"] / f["cpu_median_ms"])


@dataclass(frozen=True)
class Target:
    text: str
    op: str  # "<=" or ">="
    bound: Callable[[dict], float | None]  # of one size's results
    value: Callable[[dict], float | None]
    at: int = 100_000


def _p(name, key="cpu_p50_ms"):
    return lambda r: q(r["parlsearch"], name, key)


#: Issue 20's targets (see the module doc).
TARGETS = {
    "keyword_p50": Target("≤ 15 ms and ≤ FTS5's p50", "<=",
                          lambda r: min(15.0, q(r["fts5"], "keyword") or math.inf), _p("keyword")),
    "keyword_p95": Target("≤ 50 ms", "<=", lambda r: 50.0, _p("keyword", "cpu_p95_ms")),
    "long_p50": Target("≤ 30 ms", "<=", lambda r: 30.0, _p("long")),
    "phrase_p50": Target("≤ 30 ms", "<=", lambda r: 30.0, _p("phrase")),
    "fuzzy_p50": Target("≤ 150 ms", "<=", lambda r: 150.0, _p("fuzzy")),
    "similar_p50": Target("≤ 50 ms", "<=", lambda r: 50.0, _p("similar")),
    "facets_p50": Target("≤ 30 ms", "<=", lambda r: 30.0, _p("facets_stats")),
    "sort_date_p50": Target("≤ 20 ms", "<=", lambda r: 20.0, _p("sort_date")),
    "serve_1_p50": Target("≤ 10 ms", "<=", lambda r: 10.0, lambda r: served(r["parlsearch"], "1", "p50_ms")),
    "serve_8_qps": Target("≥ Datasette's", ">=", lambda r: served(r["fts5"], "many", "queries_per_s"),
                          lambda r: served(r["parlsearch"], "many", "queries_per_s")),
    "cold_ratio": Target("≤ 2.5× FTS5", "<=", lambda r: 2.5, cold_ratio, at=20_000),
    "index_docs_s": Target("≥ 1,000", ">=", lambda r: 1000.0, lambda r: r["parlsearch"].get("docs_per_s")),
    "index_docs_cpu_s": Target("≥ 600", ">=", lambda r: 600.0, lambda r: r["parlsearch"].get("docs_per_cpu_s")),
    "index_memory": Target("≤ 1,024 MB", "<=", lambda r: 1024.0, lambda r: r["parlsearch"].get("index_tree_rss_mb")),
    "update_wall": Target("≤ 3 s", "<=", lambda r: 3.0, lambda r: r["parlsearch"].get("update_wall_s")),
}


def target_cells(key: str | None, r: dict) -> list[str]:
    """[target text, verdict at this size] for a row (blank cells for a row without a target)."""
    if key is None:
        return ["", ""]
    t = TARGETS[key]
    return ["%s (%s)" % (t.text, short_size(t.at)), verdict(t.value(r), t.op, t.bound(r))]


# -- one size --------------------------------------------------------------------------------------

def _num(x, fmt="%.2f"):
    return fmt % x if _ok(x) else "–"


def _ratio(a, b, fmt="%.2f"):
    return fmt % (a / b) if _ok(a) and _ok(b) and b else ""


def format_size(r: dict) -> list[str]:
    p, f = r["parlsearch"], r["fts5"]
    lines = ["", "%d documents (%.1f MB JSONL, %s); parlsearch index --jobs %d (subprocess) vs FTS5 "
             "(subprocess, one transaction)" % (r["documents"], r["corpus_mb"], r["corpus"], r["jobs"])]
    rows = []

    def add(label, pv, fv, ratio="", target=None):
        rows.append([label, pv, fv, ratio] + target_cells(target, r))

    def query(label, name, target=None, pct="p50", fts=True):
        pv, fv = q(p, name, "cpu_%s_ms" % pct), q(f, name, "cpu_%s_ms" % pct) if fts else None
        if pv is None:
            return
        add(label, "%s / %s" % (_num(pv), _num(q(p, name, "wall_%s_ms" % pct))),
            "%s / %s" % (_num(fv), _num(q(f, name, "wall_%s_ms" % pct))) if fv is not None else "–",
            _ratio(pv, fv, "%.1f"), target)

    add("indexing docs/s (wall)", _num(p["docs_per_s"], "%.0f"), _num(f["docs_per_s"], "%.0f"),
        _ratio(p["docs_per_s"], f["docs_per_s"]), "index_docs_s")
    add("indexing docs per CPU-s", _num(p["docs_per_cpu_s"], "%.0f"), _num(f["docs_per_cpu_s"], "%.0f"),
        _ratio(p["docs_per_cpu_s"], f["docs_per_cpu_s"]), "index_docs_cpu_s")
    add("indexing MB/s (wall)", _num(p["mb_per_s"]), _num(f["mb_per_s"]), _ratio(p["mb_per_s"], f["mb_per_s"]))
    add("indexing wall s / CPU s", "%.1f / %.1f" % (p["index_wall_s"], p["index_cpu_s"]),
        "%.1f / %.1f" % (f["index_wall_s"], f["index_cpu_s"]), _ratio(p["index_wall_s"], f["index_wall_s"]))
    add("indexing peak memory MB, all processes (PSS)", _num(p["index_tree_rss_mb"], "%.0f"),
        _num(f["index_tree_rss_mb"], "%.0f"), _ratio(p["index_tree_rss_mb"], f["index_tree_rss_mb"]),
        "index_memory")
    add("indexing peak RSS MB, largest process", _num(p["index_peak_rss_mb"], "%.0f"),
        _num(f["index_peak_rss_mb"], "%.0f"), _ratio(p["index_peak_rss_mb"], f["index_peak_rss_mb"]))
    add("index size MB", _num(p["index_size_mb"], "%.1f"), _num(f["index_size_mb"], "%.1f"),
        _ratio(p["index_size_mb"], f["index_size_mb"]))
    add("segments after the bulk build", str(p.get("segments", "–")), "", "")
    add("update +%d docs wall s / CPU s" % INCREMENT, "%.2f / %.2f" % (p["update_wall_s"], p["update_cpu_s"]),
        "%.2f / %.2f" % (f["update_wall_s"], f["update_cpu_s"]), _ratio(p["update_wall_s"], f["update_wall_s"]),
        "update_wall")
    add("update peak memory MB, all processes / largest", "%s / %s" % (_num(p["update_tree_rss_mb"], "%.0f"),
                                                                    _num(p["update_peak_rss_mb"], "%.0f")),
        "%s / %s" % (_num(f["update_tree_rss_mb"], "%.0f"), _num(f["update_peak_rss_mb"], "%.0f")), "")
    nq = len((p["queries"].get("all") or {}).get("totals", {}))
    query("all %d queries p50 ms CPU / wall" % nq, "all")
    query("all %d queries p95" % nq, "all", pct="p95")
    query("keyword p50", "keyword", "keyword_p50")
    query("keyword p95", "keyword", "keyword_p95", pct="p95")
    query("long questions p50", "long", "long_p50")
    query("phrases p50", "phrase", "phrase_p50")
    query("field queries p50", "field")
    for name in ("date", "author"):
        base, with_ = q(p, "keyword"), q(p, "keyword+" + name)
        fb, fw = q(f, "keyword"), q(f, "keyword+" + name)
        if _ok(base) and _ok(with_):
            add("%s filter adds (CPU p50)" % name, "%+.2f" % (with_ - base),
                "%+.2f" % (fw - fb) if _ok(fb) and _ok(fw) else "–", "")
    query("fuzzy p50", "fuzzy", "fuzzy_p50", fts=False)
    query("similar p50", "similar", "similar_p50", fts=False)
    query("--sort -date p50 (keyword queries)", "sort_date", "sort_date_p50")
    query("--sort -date p95", "sort_date", pct="p95")
    query("counting by `stats` facets p50 (%d queries)" % len((p["queries"].get("counting") or {}).get("totals", {})),
          "counting")
    fq = r.get("facet_query")
    if fq:
        query("facets of %s, `stats QUERY` p50" % _quoted(fq["query"]), "facets_stats", "facets_p50")
        query("facets of %s, web page p50" % _quoted(fq["query"]), "facets_web")
        for key, label in (("page_without_timeline", "results page without timeline"),
                           ("page_with_timeline", "results page with timeline")):
            if key in p["queries"]:
                add("%s, CPU p50 ms" % label, _num(p["queries"][key]["cpu_p50_ms"]), "", "")
        share = (p["queries"].get("timeline_overhead") or {}).get("share")
        if share is not None:
            add("timeline's share of the results page (target ≤ 10%)", "%.1f%%" % (100 * share), "", "")
    zero_p, zero_f = (p["queries"].get("all") or {}).get("zero_result_queries"), \
        (f["queries"].get("all") or {}).get("zero_result_queries")
    if zero_p is not None:
        add("queries with no result", "%d/%d" % (zero_p, nq), "%s/%d" % (zero_f, nq), "")
    ps, fs = p.get("serve") or {}, f.get("serve") or {}
    if ps.get("1"):
        add("serve /api/search, 1 client p50 / p95 ms", "%s / %s" % (_num(served(p, "1", "p50_ms")),
                                                                    _num(served(p, "1", "p95_ms"))),
            "%s / %s" % (_num(served(f, "1", "p50_ms")), _num(served(f, "1", "p95_ms"))) if fs.get("1") else "–",
            _ratio(served(p, "1", "p50_ms"), served(f, "1", "p50_ms"), "%.1f"), "serve_1_p50")
        n = ps.get("many", {}).get("clients", 0)
        add("serve, %d clients queries/s" % n, _num(served(p, "many", "queries_per_s"), "%.1f"),
            _num(served(f, "many", "queries_per_s"), "%.1f"),
            _ratio(served(p, "many", "queries_per_s"), served(f, "many", "queries_per_s")), "serve_8_qps")
        add("serve, %d clients p50 / p95 ms" % n, "%s / %s" % (_num(served(p, "many", "p50_ms"), "%.1f"),
                                                             _num(served(p, "many", "p95_ms"), "%.1f")),
            "%s / %s" % (_num(served(f, "many", "p50_ms"), "%.1f"), _num(served(f, "many", "p95_ms"), "%.1f")), "")
        add("serve, server CPU ms per response (1 / %d clients)" % n,
            "%s / %s" % (_num(served(p, "1", "server_cpu_ms_per_response")),
                         _num(served(p, "many", "server_cpu_ms_per_response"))),
            "%s / %s" % (_num(served(f, "1", "server_cpu_ms_per_response")),
                         _num(served(f, "many", "server_cpu_ms_per_response"))), "")
    pc, fc = p.get("cold_start"), f.get("cold_start")
    if pc and fc:
        add("cold search process ms CPU / wall", "%.0f / %.0f" % (pc["cpu_median_ms"], pc["median_ms"]),
            "%.0f / %.0f" % (fc["cpu_median_ms"], fc["median_ms"]),
            "%.1f / %.1f" % (pc["cpu_median_ms"] / fc["cpu_median_ms"], pc["median_ms"] / fc["median_ms"]),
            "cold_ratio")
        add("search process peak RSS MB", "%.0f" % pc["maxrss_mb"], "%.0f" % fc["maxrss_mb"],
            _ratio(pc["maxrss_mb"], fc["maxrss_mb"]))
    lines += table(("measure", "parlsearch", "FTS5", "parlsearch/FTS5", "issue 20 target", "at this size"), rows)
    if fq:
        lines.append("facets query: %s, %d matches (%.1f%% of the index; FTS5: %s), of the %d FACET_CANDIDATES "
                     "the one whose count is nearest 10%% of the index" % (
                         _quoted(fq["query"]), fq["parlsearch_total"],
                         100 * fq["parlsearch_total"] / max(1, r["documents"]), fq.get("fts5_total"),
                         len(fq["candidates"])))
    for side, name in ((ps, "parlsearch serve"), (fs, "Datasette")):
        if side.get("error"):
            lines.append("%s: not measured: %s" % (name, side["error"]))
        elif side.get("many"):
            lines.append("%s: load clients used %.2f cores at 1 client, %.2f at %d (%d CPUs); %d and %d errors; "
                         "%.0f s a run" % (name, side["1"]["client_cpu_cores"], side["many"]["client_cpu_cores"],
                                           side["many"]["clients"], r.get("nproc", 0), side["1"]["errors"],
                                           side["many"]["errors"], side["many"]["seconds"]))
    return lines


def _quoted(text: str) -> str:
    return '"%s"' % text if '"' not in text else "'%s'" % text


# -- growth ----------------------------------------------------------------------------------------

def _side(name, fn):
    return lambda r: fn(r[name])


#: (label, value of one size's results) for the growth table.
GROWTH = [
    ("indexing docs/s (wall)", _side("parlsearch", lambda s: s.get("docs_per_s"))),
    ("  FTS5", _side("fts5", lambda s: s.get("docs_per_s"))),
    ("indexing docs per CPU-s", _side("parlsearch", lambda s: s.get("docs_per_cpu_s"))),
    ("indexing peak memory MB (all processes)", _side("parlsearch", lambda s: s.get("index_tree_rss_mb"))),
    ("index size MB", _side("parlsearch", lambda s: s.get("index_size_mb"))),
    ("  FTS5", _side("fts5", lambda s: s.get("index_size_mb"))),
    ("update +%d docs wall s" % INCREMENT, _side("parlsearch", lambda s: s.get("update_wall_s"))),
    ("  FTS5", _side("fts5", lambda s: s.get("update_wall_s"))),
    ("keyword p50 ms CPU", _side("parlsearch", lambda s: q(s, "keyword"))),
    ("  FTS5", _side("fts5", lambda s: q(s, "keyword"))),
    ("keyword p95 ms CPU", _side("parlsearch", lambda s: q(s, "keyword", "cpu_p95_ms"))),
    ("  FTS5", _side("fts5", lambda s: q(s, "keyword", "cpu_p95_ms"))),
    ("long questions p50 ms CPU", _side("parlsearch", lambda s: q(s, "long"))),
    ("  FTS5", _side("fts5", lambda s: q(s, "long"))),
    ("phrases p50 ms CPU", _side("parlsearch", lambda s: q(s, "phrase"))),
    ("  FTS5", _side("fts5", lambda s: q(s, "phrase"))),
    ("fuzzy p50 ms CPU", _side("parlsearch", lambda s: q(s, "fuzzy"))),
    ("similar p50 ms CPU", _side("parlsearch", lambda s: q(s, "similar"))),
    ("facets of the ~10% query (stats) p50 ms CPU", _side("parlsearch", lambda s: q(s, "facets_stats"))),
    ("  FTS5", _side("fts5", lambda s: q(s, "facets_stats"))),
    ("--sort -date p50 ms CPU", _side("parlsearch", lambda s: q(s, "sort_date"))),
    ("  FTS5", _side("fts5", lambda s: q(s, "sort_date"))),
    ("serve 1 client p50 ms", _side("parlsearch", lambda s: served(s, "1", "p50_ms"))),
    ("  Datasette", _side("fts5", lambda s: served(s, "1", "p50_ms"))),
    ("serve, {clients} clients, queries/s", _side("parlsearch", lambda s: served(s, "many", "queries_per_s"))),
    ("  Datasette", _side("fts5", lambda s: served(s, "many", "queries_per_s"))),
    ("cold search process ms wall", _side("parlsearch", lambda s: (s.get("cold_start") or {}).get("median_ms"))),
    ("  python + FTS5", _side("fts5", lambda s: (s.get("cold_start") or {}).get("median_ms"))),
]


def _figure(x) -> str:
    if not _ok(x):
        return "–"
    return "%.0f" % x if abs(x) >= 100 else "%.1f" % x if abs(x) >= 10 else "%.2f" % x


def format_growth(results: list[dict]) -> list[str]:
    """Each figure at each size, and its growth factor from one size to the next."""
    results = sorted(results, key=lambda r: r["size"])
    if len(results) < 2:
        return []
    sizes = [r["size"] for r in results]
    steps = list(zip(sizes, sizes[1:]))
    header = ["figure"] + [short_size(n) for n in sizes] + \
             ["×%s→%s (×%g)" % (short_size(a), short_size(b), b / a) for a, b in steps]
    clients = next((served(r["parlsearch"], "many", "clients") for r in results
                    if served(r["parlsearch"], "many", "clients")), "--clients")
    rows = []
    for label, get in GROWTH:
        label = label.format(clients=clients)
        values = [get(r) for r in results]
        if not any(_ok(v) for v in values):
            continue
        growth = [("×%.2f" % (b / a)) if _ok(a) and _ok(b) and a else "–" for a, b in zip(values, values[1:])]
        rows.append([label] + [_figure(v) for v in values] + growth)
    return ["", "Growth with the number of documents (each figure, then its factor from one size to the next; "
            "the document count's factor in the header)"] + table(header, rows)


# -- all of it ---------------------------------------------------------------------------------------

def format_speed(results: list[dict], machine: dict) -> str:
    lines = ["Machine: %d CPUs, %s; Python %s, SQLite %s, whoosh %s; load average at start %s" % (
        machine["nproc"], machine["cpu"], machine["python"], machine["sqlite"], machine["whoosh"],
        " ".join("%.2f" % x for x in machine["loadavg_start"]))]
    if "loadavg_end" in machine:
        lines[0] += ", at end %s" % " ".join("%.2f" % x for x in machine["loadavg_end"])
    for r in results:
        lines += format_size(dict(r, nproc=machine["nproc"]))
    lines += format_growth(results)
    runs = (results[0]["parlsearch"]["queries"].get("keyword") or {}).get("runs", 0) if results else 0
    lines += ["", "Query figures are CPU ms (time.process_time) / wall ms per query in the benchmark's process, "
              "p50 or p95 over %d runs of the 20 keyword queries (other sets alike) after a warm-up pass; "
              "parlsearch/FTS5 compares CPU. Serve figures are wall ms and responses/s seen by separate "
              "client processes (bench/http_load.py); FTS5's column there is Datasette. Cold start: "
              "`parlsearch search --index DIR vélo` vs a `python -c` sqlite3 top-10 query, CPU from wait4, "
              "ratios CPU / wall. Targets: issue 20's, stated at 100,000 documents (the cold start at 20,000); "
              "each size's verdict says how far that size is from them." % runs]
    return "\n".join(lines)
