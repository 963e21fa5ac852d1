"""`parlsearch serve` latency: the server's own time per request, and what clients see under load.

    python bench/web_latency.py INDEX_DIR [--repeat 7]                      # server-side time, in-process
    python bench/web_latency.py INDEX_DIR --load [--clients 1,30] [--rounds 3] [--python PY]

Server-side time (the default): each keyword query through Flask's test client (no network, no server):
the JSON API (search + one page of 10 hits with snippets), the HTML page (the same, plus facet counts over
all matches and the template), and the facet counting alone; p50 and max over the repeats, after one
warm-up request. Each time is given as wall-clock and as this thread's CPU time (the latter unaffected by
other processes on the CPU).

Load (`--load`): a real `parlsearch serve --port 0` in a child process (`--python` picks the interpreter,
so that another checkout's server can be measured with the same clients), and client threads in this
process, each with its own keep-alive connection, each sending the HTML page of QUERIES one after another
(a closed loop: a client sends its next request when the last answer arrived). For each number of
clients: p50, p95 and max of the latency clients see, requests per second, and the server process's CPU time per request (user + system, from
/proc: the figure that does not depend on what else the machine runs). Then the mixed load: one
client repeats `--costly` (a legal query that takes long) while another sends the keyword queries: the
latency of the keyword queries shows whether a request waits behind another's whole search.

The server is CPU-bound Python in one process: with N clients keeping it busy, each request's latency is
about N times its own work whatever the server's design (the GIL runs one thread at a time, 2 cores or
not). What the design decides is who waits for whom: the mixed load shows it.
"""
from __future__ import annotations

import argparse
import http.client
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

QUERIES = ("logement", "stationnement vélo", "tram", "mobilité partagée", "propreté publique", "CPAS",
           "zone de basses émissions", "Villo")
#: A legal query that costs the server ~1 s of CPU on the bundled corpus (nested negations: whoosh's
#: grouping code is exponential in their depth; see issue 19): the "one costly request" of the mixed load.
COSTLY = "tram " + "-(" * 13 + "bus" + ")" * 13


def server_time(args) -> int:
    from parlsearch.search.web.app import create_app
    from parlsearch.search.web.facets import facet_counts
    app = create_app(args.index)
    client = app.test_client()
    pool = app.extensions["parlsearch"]
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
            with pool.use() as engine:
                timed("facets", times, lambda: facet_counts(engine, q, []))
        for k in kinds:
            rows[k][0].extend(times[k][0])
            rows[k][1].extend(times[k][1])
        print("%-26s %8d %s" % (q, r.get_json()["total"], cells(times, statistics.median)))
    print("%-26s %8s %s" % ("p50 over all", "", cells(rows, statistics.median)))
    print("%-26s %8s %s" % ("max", "", cells(rows, max)))
    pool.close()
    return 0


# -- load over HTTP -----------------------------------------------------------------------------------

def start_server(python: str, index: str) -> tuple[subprocess.Popen, str, int]:
    proc = subprocess.Popen([python, "-m", "parlsearch", "serve", "--index", index, "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = proc.stdout.readline().strip()  # printed once the socket listens
    if not url.startswith("http://"):
        proc.kill()
        raise SystemExit("the server did not start (%r)" % url)
    parts = urllib.parse.urlsplit(url)
    return proc, parts.hostname, parts.port


def fetch(conn: http.client.HTTPConnection, path: str) -> tuple[float, int]:
    start = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return time.perf_counter() - start, response.status


def clients_run(host, port, n_clients: int, rounds: int, paths: list[str]) -> tuple[list[float], float, int]:
    """`n_clients` threads, each sending every path `rounds` times; (latencies, wall seconds, errors)."""
    latencies, errors = [], []
    barrier = threading.Barrier(n_clients + 1)

    def client(k):
        conn = http.client.HTTPConnection(host, port, timeout=600)
        mine = paths[k % len(paths):] + paths[:k % len(paths)]  # clients start on different queries
        barrier.wait()
        for _ in range(rounds):
            for path in mine:
                seconds, status = fetch(conn, path)
                latencies.append(seconds)
                if status != 200:
                    errors.append(status)
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(n_clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - start, len(errors)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its finished threads (Linux /proc)."""
    import os
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def row(label: str, latencies: list[float], wall: float, errors: int, cpu: float) -> str:
    return "%-34s %6d %9.0f %9.0f %9.0f %8.1f %9.1f %6d" % (
        label, len(latencies), 1000 * percentile(latencies, 50), 1000 * percentile(latencies, 95),
        1000 * max(latencies), len(latencies) / wall, 1000 * cpu / len(latencies), errors)


def load(args) -> int:
    proc, host, port = start_server(args.python, args.index)
    paths = ["/?" + urllib.parse.urlencode({"q": q}) for q in QUERIES]
    try:
        clients_run(host, port, 8, 1, paths)  # warm-up: every worker thread opens its engine
        print("%-34s %6s %9s %9s %9s %8s %9s %6s" % ("clients", "reqs", "p50 ms", "p95 ms", "max ms", "req/s",
                                                     "cpu ms/req", "errors"))
        for n in args.clients:
            cpu = cpu_seconds(proc.pid)
            latencies, wall, errors = clients_run(host, port, n, args.rounds, paths)
            cpu = cpu_seconds(proc.pid) - cpu
            print(row("%d client%s, keyword pages" % (n, "s" if n > 1 else ""), latencies, wall, errors, cpu))
        # Mixed: one client repeats the costly query while one client sends keyword pages.
        costly_path = "/?" + urllib.parse.urlencode({"q": args.costly})
        conn = http.client.HTTPConnection(host, port, timeout=600)
        costly_seconds, costly_status = fetch(conn, costly_path)
        stop = threading.Event()
        costly_times = []

        def costly_client():
            c = http.client.HTTPConnection(host, port, timeout=600)
            while not stop.is_set():
                costly_times.append(fetch(c, costly_path)[0])
            c.close()

        thread = threading.Thread(target=costly_client)
        thread.start()
        cpu = cpu_seconds(proc.pid)
        latencies, wall, errors = clients_run(host, port, 1, args.rounds, paths)
        cpu = cpu_seconds(proc.pid) - cpu
        stop.set()
        thread.join()
        print(row("1 client beside a costly one", latencies, wall, errors, cpu))
        print("costly query alone: %.0f ms (status %d); beside the keyword client: p50 %.0f ms over %d" % (
            1000 * costly_seconds, costly_status, 1000 * statistics.median(costly_times), len(costly_times)))
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("index")
    ap.add_argument("--repeat", type=int, default=7, help="server-side time: runs per query")
    ap.add_argument("--load", action="store_true", help="measure clients over HTTP against a real server")
    ap.add_argument("--clients", default="1,30", help="load: numbers of concurrent clients (default 1,30)")
    ap.add_argument("--rounds", type=int, default=3, help="load: passes over the queries per client")
    ap.add_argument("--python", default=sys.executable, help="load: interpreter that runs the server")
    ap.add_argument("--costly", default=COSTLY, help="load: the costly query of the mixed load")
    args = ap.parse_args(argv)
    if args.load:
        args.clients = [int(n) for n in args.clients.split(",")]
        return load(args)
    return server_time(args)


if __name__ == "__main__":
    raise SystemExit(main())
