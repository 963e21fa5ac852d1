"""parlsearch on a PostgreSQL database (`--backend`) beside the local index, on the same generated documents,
in one run: `python bench/benchmark.py --sizes 100000 --backend PRIMARY_DSN [--backend STANDBY_DSN]`.

What is measured, for each size (the database's tables are replaced: give a DSN of a schema of its own,
e.g. `postgresql://u@h/db?options=-csearch_path%3Dbench`):

* export: `parlsearch index --jobs J --rebuild --backend PRIMARY FILE` as a subprocess (wall, its CPU, peak memory),
  the database server's CPU meanwhile (when it runs on this machine: the postmaster's and its children's
  CPU from /proc, server_cpu()), the tables' size; the local build `parlsearch index --jobs J --rebuild
  --index DIR FILE` beside it; `--from-index DIR` (the local index copied across); then +1,000 documents
  (the next records) both ways, and how long the new generation took to reach the standby.
* queries, one client: each kind of the local table (keyword, long, phrase, field, fuzzy, similar,
  --sort -date, facet counts) timed in this process as benchmark.py does (measure.time_calls: CPU and wall
  p50/p95 after a warm-up), on the local index and through the database (the primary). For the database,
  wall time is the figure (the client's CPU leaves out the server's).
* queries, concurrent clients: 1 and --clients processes, each with its own engine, cycling through the 42
  queries of benchmark.py (every kind) for --serve-seconds after a warm-up pass, started together: latency
  p50/p95 by kind and overall (wall), queries/s, the clients' CPU and the servers' CPU per query. Three
  set-ups: the local index, the primary alone, and (with a second --backend) the primary and the standby,
  client i reading from server i mod 2.

Capacity (for sizing): a query costs the parlsearch process (a `serve` worker) its client CPU and the
database its server CPU, both per query from the concurrent runs: one core of parlsearch serves
1000 / client_ms queries/s, one core of a replica 1000 / server_ms.
"""
from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

from measure import percentile, run_child, time_calls, parlsearch_argv

#: Cycled through by the concurrent clients: (kind, query) of benchmark.py's 42 queries.
def _mix():
    import benchmark as B
    kinds = [("keyword", B.KEYWORD_QUERIES), ("phrase", B.PHRASE_QUERIES), ("field", B.FIELD_QUERIES),
             ("long", B.LONG_QUERIES)]
    return [(k, q) for k, qs in kinds for q in qs]


def server_cpu(dsn: str) -> float | None:
    """CPU seconds used so far by the PostgreSQL server behind `dsn` (its postmaster, the children it reaped,
    and its live children), when it runs on this machine; None otherwise."""
    import psycopg
    try:
        with psycopg.connect(dsn, autocommit=True) as c:
            pid = c.execute("SELECT pg_backend_pid()").fetchone()[0]
            host = c.info.host
            if host not in ("127.0.0.1", "localhost", "::1") and not str(host).startswith("/"):
                return None
            # read while the connection lives: its backend process exits when it closes
            with open("/proc/%d/stat" % pid) as f:
                postmaster = int(f.read().rsplit(")", 1)[1].split()[1])
    except (psycopg.Error, OSError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == postmaster:
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        elif int(fields[1]) == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def _tables_mb(dsn: str) -> float:
    import psycopg
    with psycopg.connect(dsn, autocommit=True) as c:
        return float(c.execute(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c WHERE c.relnamespace = "
            "(SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND c.relkind = 'r' AND "
            "c.relname LIKE 'parlsearch%'").fetchone()[0]) / 1e6


def _generation(dsn: str) -> str | None:
    import psycopg
    with psycopg.connect(dsn, autocommit=True) as c:
        row = c.execute("SELECT value FROM parlsearch_meta WHERE key = 'generation'").fetchone()
        return row[0] if row else None


def _child(argv, dsns) -> dict:
    before = [server_cpu(d) for d in dsns]
    out = run_child(argv)
    after = [server_cpu(d) for d in dsns]
    if out["returncode"] != 0:
        raise SystemExit("benchmark: %s failed:\n%s" % (" ".join(argv[1:4]), out["stderr"][-2000:]))
    out["server_cpu"] = sum(a - b for a, b in zip(after, before) if a is not None and b is not None) \
        if all(x is not None for x in before + after) else None
    return out


# -- engines, in this process and in client processes ---------------------------------------------------------

def _open(spec, start: int = 0):
    from parlsearch.search.engine.core import Engine
    kind, value = spec
    if kind == "local":
        return Engine.open(value)
    from parlsearch.index.postgres.connect import Servers
    from parlsearch.index.postgres.source import PostgresSource
    return Engine(source=PostgresSource(Servers.parse(list(value)), start=start))


def _client(spec, start, seconds, barrier, queue):
    """One client process: warm up, wait for the others, then query for `seconds`."""
    engine = _open(spec, start)
    mix = _mix()
    for _, q in mix:
        engine.search(q, limit=10)
    barrier.wait()
    latencies: dict = {}
    cpu0, deadline, i = time.process_time(), time.monotonic() + seconds, start * 7
    while time.monotonic() < deadline:
        kind, q = mix[i % len(mix)]
        t = time.perf_counter()
        engine.search(q, limit=10)
        latencies.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
        i += 1
    queue.put({"latencies": latencies, "cpu": time.process_time() - cpu0, "server": engine.location})
    engine.close()


def concurrent(spec, clients: int, seconds: float, dsns=()) -> dict:
    """`clients` processes querying for `seconds`: latency by kind and overall, throughput, CPU per query."""
    ctx = multiprocessing.get_context("fork")
    barrier, queue = ctx.Barrier(clients + 1), ctx.Queue()
    procs = [ctx.Process(target=_client, args=(spec, i, seconds, barrier, queue)) for i in range(clients)]
    for p in procs:
        p.start()
    barrier.wait()
    before = [server_cpu(d) for d in dsns]
    t0 = time.monotonic()
    results = [queue.get(timeout=seconds + 600) for _ in procs]
    elapsed = time.monotonic() - t0
    after = [server_cpu(d) for d in dsns]
    for p in procs:
        p.join()
    every = [x for r in results for xs in r["latencies"].values() for x in xs]
    kinds = {k: [x for r in results for x in r["latencies"].get(k, [])] for k in {k for k, _ in _mix()}}
    n = len(every)
    server = sum(a - b for a, b in zip(after, before)) if dsns and None not in before + after else None
    return {"clients": clients, "queries": n, "qps": n / elapsed,
            "p50_ms": percentile(every, 0.5), "p95_ms": percentile(every, 0.95),
            "by_kind": {k: {"p50_ms": percentile(v, 0.5), "p95_ms": percentile(v, 0.95), "n": len(v)}
                        for k, v in sorted(kinds.items())},
            "client_cpu_ms_per_query": 1000 * sum(r["cpu"] for r in results) / n if n else float("nan"),
            "server_cpu_ms_per_query": 1000 * server / n if n and server is not None else None,
            "servers": sorted({r["server"] for r in results})}


def one_client(engine, repeat: int) -> dict:
    """The local table's kinds, timed in this process (benchmark.py's measure)."""
    import benchmark as B
    from parlsearch.search.engine.counting import FACETS, count_matches
    search = lambda q: engine.search(q, limit=10).total  # noqa: E731
    out = {}
    for name, qs in (("keyword", B.KEYWORD_QUERIES), ("long", B.LONG_QUERIES), ("phrase", B.PHRASE_QUERIES),
                     ("field", B.FIELD_QUERIES)):
        out[name] = time_calls(search, qs, repeat)
    out["fuzzy"] = time_calls(search, B.FUZZY_QUERIES, max(1, repeat // 2))
    ids = [engine.document(d).id for d in range(min(B.SIMILAR_DOCS, engine.doc_count))]
    out["similar"] = time_calls(lambda i: len(engine.similar(i)), ids, max(1, repeat // 2))
    out["sort_date"] = time_calls(lambda q: engine.search(q, limit=10, sort="-date").total, B.KEYWORD_QUERIES,
                                  repeat)
    out["counting"] = time_calls(lambda q: count_matches(engine, q, facets=FACETS).total, B.COUNT_QUERIES, repeat)
    return out


# -- one size -------------------------------------------------------------------------------------------

def bench_backend(n: int, args, work: Path, log) -> dict:
    from measure import split_corpus
    from report import INCREMENT
    corpus, extra = split_corpus(n, INCREMENT, args.make_corpus)
    primary, standby = args.backend[0], (args.backend[1] if len(args.backend) > 1 else None)
    dsns = [primary] + ([standby] if standby else [])
    ix_dir = work / ("parlsearch-%d" % n)
    log("size %d: %s" % (n, corpus.name))
    log("  local index (--jobs %d) …" % args.jobs)
    local = _child(parlsearch_argv() + ["index", "--jobs", str(args.jobs), "--rebuild", "--quiet", "--index",
                                        str(ix_dir), str(corpus)], [])
    log("  export to %s …" % primary.split("@")[-1])
    export = _child(parlsearch_argv() + ["index", "--jobs", str(args.jobs), "--rebuild", "--quiet", "--backend",
                                         primary, str(corpus)], dsns)
    export["tables_mb"] = _tables_mb(primary)
    from measure import dir_size
    local["size_mb"] = dir_size(ix_dir) / 1e6
    log("  queries, one client …")
    with _open(("local", ix_dir)) as engine:
        local_q = one_client(engine, args.repeat)
    with _open(("pg", [primary])) as engine:
        pg_q = one_client(engine, args.repeat)
    setups = [("local", ("local", ix_dir), []), ("primary", ("pg", [primary]), [primary])]
    if standby:
        setups.append(("primary+standby", ("pg", dsns), dsns))
    loads = {}
    for name, spec, servers in setups:
        for clients in (1, args.clients):
            log("  %s, %d client(s), %g s …" % (name, clients, args.serve_seconds))
            loads["%s/%d" % (name, clients)] = concurrent(spec, clients, args.serve_seconds, servers)
    log("  --from-index …")
    copied = _child(parlsearch_argv() + ["index", "--rebuild", "--quiet", "--from-index", str(ix_dir), "--backend",
                                         primary], dsns)
    log("  +%d documents …" % INCREMENT)
    local_up = _child(parlsearch_argv() + ["index", "--jobs", str(args.jobs), "--quiet", "--index", str(ix_dir),
                                           str(extra)], [])
    pg_up = _child(parlsearch_argv() + ["index", "--jobs", str(args.jobs), "--quiet", "--backend", primary,
                                        str(extra)], dsns)
    replicated = None
    if standby:
        target, t0 = _generation(primary), time.monotonic()
        while _generation(standby) != target and time.monotonic() - t0 < 60:
            time.sleep(0.01)
        replicated = time.monotonic() - t0
    return {"size": n, "corpus": corpus.name, "local_index": local, "export": export, "from_index": copied,
            "local_update": local_up, "export_update": pg_up, "replicated_s": replicated,
            "local_queries": local_q, "pg_queries": pg_q, "loads": loads, "jobs": args.jobs,
            "clients": args.clients}


# -- report -------------------------------------------------------------------------------------------

def format_backend(results: list[dict], machine: dict) -> str:
    lines = ["parlsearch: local index and PostgreSQL (--backend), same documents, same run",
             "Machine: %d CPUs, %s; Python %s; load average at start %s" % (
                 machine["nproc"], machine["cpu"], machine["python"],
                 " ".join("%.1f" % x for x in machine.get("loadavg_start", ())))]
    for r in results:
        n = r["size"]
        lines.append("")
        lines.append("## %d documents (%s)" % (n, r["corpus"]))
        e, li, c = r["export"], r["local_index"], r["from_index"]
        lines.append("| measure | local index | PostgreSQL |")
        lines.append("|---|---|---|")
        lines.append("| build, wall s (docs/s) | %.0f (%.0f) | export %.0f (%.0f); --from-index %.0f |" % (
            li["wall"], n / li["wall"], e["wall"], n / e["wall"], c["wall"]))
        lines.append("| build CPU s: parlsearch · database server | %.0f | %.0f · %s; --from-index %.0f · %s |" % (
            li["cpu"], e["cpu"], _num(e["server_cpu"]), c["cpu"], _num(c["server_cpu"])))
        lines.append("| build peak memory MB (largest process) | %.0f | %.0f; --from-index %.0f |" % (
            li["maxrss_mb"], e["maxrss_mb"], c["maxrss_mb"]))
        lines.append("| size MB | %s | %.0f (tables and indexes) |" % (_num(li.get("size_mb")), e["tables_mb"]))
        lines.append("| +1,000 documents, wall s · CPU s | %.1f · %.1f | %.1f · %.1f (+ server %s) |" % (
            r["local_update"]["wall"], r["local_update"]["cpu"], r["export_update"]["wall"],
            r["export_update"]["cpu"], _num(r["export_update"]["server_cpu"], "%.1f")))
        if r["replicated_s"] is not None:
            lines.append("| the update on the standby after its commit, s | – | %.2f |" % r["replicated_s"])
        lines.append("")
        lines.append("One client, in-process, ms p50 / p95 (local: CPU · wall; PostgreSQL: wall, client CPU p50):")
        lines.append("| kind | local | PostgreSQL (primary) |")
        lines.append("|---|---|---|")
        for kind in r["local_queries"]:
            a, b = r["local_queries"][kind], r["pg_queries"][kind]
            lines.append("| %s | %.1f / %.1f · %.1f / %.1f | %.1f / %.1f (%.1f) |" % (
                kind, a["cpu_p50_ms"], a["cpu_p95_ms"], a["wall_p50_ms"], a["wall_p95_ms"], b["wall_p50_ms"],
                b["wall_p95_ms"], b["cpu_p50_ms"]))
        lines.append("")
        lines.append("Concurrent clients (processes, the 42 queries of every kind), wall ms:")
        lines.append("| set-up | clients | p50 | p95 | queries/s | client CPU ms/query | server CPU ms/query | "
                     "p95 by kind |")
        lines.append("|---|---|---|---|---|---|---|---|")
        for name, load in r["loads"].items():
            setup, clients = name.rsplit("/", 1)
            kinds = ", ".join("%s %.0f" % (k, v["p95_ms"]) for k, v in load["by_kind"].items())
            lines.append("| %s | %s | %.1f | %.1f | %.1f | %.1f | %s | %s |" % (
                setup, clients, load["p50_ms"], load["p95_ms"], load["qps"], load["client_cpu_ms_per_query"],
                _num(load["server_cpu_ms_per_query"], "%.2f"), kinds))
        many = r["loads"].get("primary/%d" % r["clients"])
        if many and many["server_cpu_ms_per_query"]:
            lines.append("")
            lines.append("Capacity per core: parlsearch %.0f queries/s (1000 / client CPU ms), a database replica "
                         "%.0f queries/s (1000 / server CPU ms), at %d documents; target p95 ≤ 100 ms with %d "
                         "clients: %s." % (1000 / many["client_cpu_ms_per_query"],
                                           1000 / many["server_cpu_ms_per_query"], n, r["clients"],
                                           "met" if many["p95_ms"] <= 100 else "NOT met (%.0f ms)" % many["p95_ms"]))
    return "\n".join(lines)


def _num(value, fmt="%.0f") -> str:
    return "n/a" if value is None else fmt % value
