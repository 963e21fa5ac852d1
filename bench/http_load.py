"""Warm web-server latency and throughput for bench/benchmark.py: `parlsearch serve` against Datasette serving
the benchmark's FTS5 database, on the same machine, in the same run, with the same load.

The servers are run as their users run them and spoken to only over HTTP, so the figures hold whatever WSGI
server `parlsearch serve` uses:

* `parlsearch serve --index DIR --port 0`, whose URL is the first URL it prints on stdout; measured on
  `/api/search?q=QUERY` (the top 10 with snippets and the total, the JSON of `search --json`);
* `datasette serve -i DB --host 127.0.0.1 --port P --setting sql_time_limit_ms 60000` (immutable: the
  read-only database Datasette is at its fastest with; its default 1 s limit would skip the count of a broad
  query rather than return it, less work than parlsearch's total), measured on its table full-text search
  `/DB/questions.json?_search=EXPR&_searchmode=raw&_size=10&_col=id&_col=moncode&_col=subject&_col=author
  &_col=minister&_col=date&_col=status&_nofacet=1&_nosuggest=1`: the same MATCH expression as the
  in-process FTS5 figures (bench/fts5.py to_fts5), 10 rows and the count of the matches, no facet
  suggestions (parlsearch's API computes no facets either). Datasette's table search returns matches in
  rowid order, not by relevance, and no snippets: less work than parlsearch does, so the comparison errs in
  Datasette's favour.

The load: each client is a separate process (`python bench/http_load.py client`; several processes, not
threads sharing one interpreter lock, so the generator is not the bottleneck) holding one kept-alive
http.client connection and sending the URLs one after another, each client starting at a different URL of
the list. Every URL is requested once before any timing (the servers keep their searchers and caches warm).
All clients connect, say they are ready, and start together when told; each runs for the same number of
seconds. Reported per server and per number of clients: latency p50/p95 (wall ms, request sent → response
read), throughput (responses / the window from the first client's start to the last client's end), the
server's CPU milliseconds per response (from /proc/PID/stat: the stable figure on a shared machine), the
clients' CPU share of the window (cores: well under the machine's cores, or the generator was the limit),
and errors (non-200 responses or broken connections). Every loop is bounded by its duration and a request
count; every connection by a timeout.
"""
from __future__ import annotations

import http.client
import json
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from measure import percentile

#: A client's upper bound on requests in one run, whatever its duration.
MAX_REQUESTS = 200_000
#: Seconds a request may take, and a server may take to start answering.
REQUEST_TIMEOUT = 60.0
START_TIMEOUT = 120.0
DATASETTE_COLUMNS = ("id", "moncode", "subject", "author", "minister", "date", "status")


# -- the servers -------------------------------------------------------------------------------------

@dataclass
class Server:
    name: str
    proc: subprocess.Popen | None  # None: a server this process does not own (tests)
    host: str
    port: int
    stderr: object  # the temporary file its stderr goes to
    paths: dict[str, str] = field(default_factory=dict)  # query → URL path

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the server process (all its threads) so far; nan off Linux."""
        if self.proc is None:
            return float("nan")
        try:
            with open("/proc/%d/stat" % self.proc.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return float("nan")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)
        self.stderr.close()

    def error_text(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")[-2000:]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(host: str, port: int, path: str, timeout: float = REQUEST_TIMEOUT) -> tuple[int, bytes]:
    con = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        con.request("GET", path)
        response = con.getresponse()
        return response.status, response.read()
    finally:
        con.close()


def start_parlsearch(parlsearch_argv: list[str], index_dir: Path, queries) -> Server:
    """`parlsearch serve --port 0` on the index, once it has printed its URL."""
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen(list(parlsearch_argv) + ["serve", "--index", str(index_dir), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in iter(proc.stdout.readline, b"")] + [lines.put(b"")],
                     daemon=True).start()
    server = Server("parlsearch serve", proc, "127.0.0.1", 0, err)
    deadline, url, printed = time.monotonic() + START_TIMEOUT, None, []
    while url is None:  # the first line that is a URL (a server may print other lines before it)
        try:
            raw = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raw = b""
        if not raw:  # end of output, or out of time
            text = server.error_text()
            server.stop()
            raise RuntimeError("parlsearch serve printed no URL: %r\n%s" % (printed[-3:], text))
        line = raw.decode("utf-8", "replace").strip()
        printed.append(line)
        split = urllib.parse.urlsplit(line)
        if split.scheme == "http" and split.port:
            url = split
    server.host, server.port = url.hostname, url.port
    server.paths = {q: "/api/search?" + urllib.parse.urlencode({"q": q}) for q in queries}
    return server


def datasette_argv() -> list[str] | None:
    """The `datasette` command of this environment (the `bench` extra), or None."""
    exe = Path(sys.executable).with_name("datasette")
    if exe.exists():
        return [str(exe)]
    try:
        import datasette  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-m", "datasette"]


def start_datasette(db: Path, expressions: dict[str, str]) -> Server:
    """`datasette serve -i DB` on a free port, once it answers; `expressions`: query → FTS5 expression."""
    argv = datasette_argv()
    if argv is None:
        raise RuntimeError("datasette is not installed (pip install -e '.[bench]')")
    port = _free_port()
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen(argv + ["serve", "-i", str(db), "--host", "127.0.0.1", "--port", str(port),
                                    "--setting", "sql_time_limit_ms", str(int(REQUEST_TIMEOUT * 1000))],
                            stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
    server = Server("Datasette + FTS5", proc, "127.0.0.1", port, err)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if _get(server.host, port, "/-/versions.json", timeout=5)[0] == 200:
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            text = server.error_text()
            server.stop()
            raise RuntimeError("datasette did not start:\n%s" % text)
        time.sleep(0.1)
    table = "/%s/questions.json?" % urllib.parse.quote(Path(db).stem)
    fixed = [("_searchmode", "raw"), ("_size", "10")] + [("_col", c) for c in DATASETTE_COLUMNS] + \
            [("_nofacet", "1"), ("_nosuggest", "1")]
    server.paths = {q: table + urllib.parse.urlencode([("_search", e)] + fixed)
                    for q, e in expressions.items() if e}
    return server


def warm(server: Server) -> dict[str, int]:
    """Request every URL once; the number of matches each reports. Raises on an error response."""
    totals = {}
    for q, path in server.paths.items():
        status, body = _get(server.host, server.port, path)
        if status != 200:
            raise RuntimeError("%s: %s → HTTP %d: %s" % (server.name, path, status, body[:300]))
        data = json.loads(body)
        totals[q] = data.get("total", data.get("filtered_table_rows_count"))
    return totals


# -- the load ----------------------------------------------------------------------------------------

def load(server: Server, clients: int, seconds: float) -> dict:
    """`clients` client processes against the server for `seconds` (see the module doc)."""
    paths = list(server.paths.values())
    procs = []
    for i in range(clients):
        spec = {"host": server.host, "port": server.port, "paths": paths[i % len(paths):] + paths[:i % len(paths)],
                "seconds": seconds}
        procs.append(subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "client", json.dumps(spec)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    try:
        for p in procs:  # each client has connected and sent one request
            if p.stdout.readline().strip() != b"ready":
                raise RuntimeError("load client failed to start: %s" % p.stderr.read()[-1000:].decode())
        cpu0 = server.cpu_seconds()
        for p in procs:
            p.stdin.write(b"go\n")
            p.stdin.flush()
        outs = []
        for p in procs:
            out, err = p.communicate(timeout=seconds + REQUEST_TIMEOUT + 30)
            if p.returncode != 0:
                raise RuntimeError("load client failed: %s" % err[-1000:].decode())
            outs.append(json.loads(out))
        cpu1 = server.cpu_seconds()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    latencies = [x for o in outs for x in o["latencies_ms"]]
    window = max(o["end"] for o in outs) - min(o["start"] for o in outs)
    done = len(latencies)
    return {"clients": clients, "seconds": window, "responses": done, "errors": sum(o["errors"] for o in outs),
            "p50_ms": percentile(latencies, 0.5), "p95_ms": percentile(latencies, 0.95),
            "queries_per_s": done / window if window > 0 else float("nan"),
            "server_cpu_ms_per_response": (cpu1 - cpu0) * 1000 / done if done else float("nan"),
            "client_cpu_cores": sum(o["cpu"] for o in outs) / window if window > 0 else float("nan")}


def run_client(spec: dict, stdin=sys.stdin, stdout=sys.stdout) -> dict:
    """One client: connect, one request, say `ready`, wait for `go`, then request the paths in turn for
    spec["seconds"]; the latencies (ms), errors, CPU seconds and start/end (time.time())."""
    host, port, paths, seconds = spec["host"], spec["port"], spec["paths"], spec["seconds"]
    con = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT)

    def request(path) -> bool:
        nonlocal con
        try:
            con.request("GET", path)
            response = con.getresponse()
            response.read()
            return response.status == 200
        except (OSError, http.client.HTTPException):
            con.close()
            con = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT)
            return False

    request(paths[0])
    stdout.write("ready\n")
    stdout.flush()
    if stdin.readline().strip() != "go":
        return {}
    latencies, errors = [], 0
    cpu0, start = time.process_time(), time.time()
    deadline = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < deadline and i < MAX_REQUESTS:
        t = time.perf_counter()
        ok = request(paths[i % len(paths)])
        if ok:
            latencies.append((time.perf_counter() - t) * 1000)
        else:
            errors += 1
        i += 1
    end = time.time()
    con.close()
    return {"latencies_ms": latencies, "errors": errors, "cpu": time.process_time() - cpu0, "start": start,
            "end": end}


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "client":
        raise SystemExit("usage: http_load.py client SPEC_JSON (started by bench/benchmark.py)")
    result = run_client(json.loads(sys.argv[2]))
    print(json.dumps(result))
