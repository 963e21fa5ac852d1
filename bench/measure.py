"""How bench/benchmark.py measures: processes (wall, CPU, peak memory), repeated calls (p50/p95 of CPU and
wall time), cold starts, the machine, and the generated corpora.

* run_child: a process run to completion from a small launcher (not from the benchmark process, whose large
  resident set a child would inherit as its starting peak RSS): wall seconds, CPU seconds of the process and
  the children it waited for (wait4), ru_maxrss (the largest process of its tree), and the peak memory of the
  whole tree sampled every 0.5 s from /proc (Linux): the sum of each process's proportional set size, so
  pages that a forked worker shares with its parent count once. Reading smaps costs the sampler CPU (~18% of
  a core at every 50 ms while 600 MB are mapped), hence 0.5 s.
* time_calls: one warm-up pass over the items (caches, lazily mapped arrays), then `repeat` timed passes;
  CPU time (time.process_time: the stable figure on a machine shared with other work) and wall time per call.
* cold: the median of fresh processes after one discarded run, bytecode caching on (see its docstring).
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
BUNDLED_JSON = REPO / "corpus" / "data" / "brussels-written-questions-2024-2029.json"
#: The FTS5 indexing process timed beside `parlsearch index`: `FTS5_BUILD + [FILE, DB]` (bench/fts5.py).
FTS5_BUILD = [sys.executable, str(Path(__file__).resolve().with_name("fts5.py")), "build"]

#: Runs argv[2:] and writes its wall time and wait4() usage as JSON to argv[1].
_LAUNCHER = """
import json, os, sys, threading, time

def memory_kb(p):
    # Proportional set size (shared pages split between their processes), else the resident set size.
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


def run_child(argv, env=None) -> dict:
    """Run a process to completion: wall seconds, CPU seconds (with its waited-for children), peak RSS of
    its largest process and peak PSS of its whole tree (MB), return code, stdout and stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".json") as result:
        subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, result.name] + list(argv), stdout=out,
                       stderr=err, stdin=subprocess.DEVNULL, check=False, env=env)
        with open(result.name) as f:
            usage = json.load(f)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    return {"wall": usage["wall"], "cpu": usage["cpu"], "maxrss_mb": usage["maxrss_kb"] / 1024,
            "tree_rss_mb": usage["tree_rss_kb"] / 1024, "returncode": usage["returncode"],
            "stdout": stdout.decode("utf-8", "replace"), "stderr": stderr.decode("utf-8", "replace")}


def parlsearch_argv() -> list[str]:
    """The installed `parlsearch` command of this interpreter's environment."""
    exe = Path(sys.executable).with_name("parlsearch")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "parlsearch"]


def percentile(values, q) -> float:
    """The q-quantile (0..1) by linear interpolation between closest ranks; nan for no values."""
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def time_calls(call, items, repeat: int) -> dict:
    """CPU and wall time per call of `call(item)`, in ms (see the module doc); `totals`: what each call
    returned (a match count), `zero_result_queries`: how many returned 0."""
    items = list(items)
    results = [call(x) for x in items]
    cpu, wall = [], []
    for _ in range(max(1, repeat)):
        for x in items:
            c, t = time.process_time(), time.perf_counter()
            call(x)
            cpu.append((time.process_time() - c) * 1000)
            wall.append((time.perf_counter() - t) * 1000)
    return {"cpu_p50_ms": percentile(cpu, 0.5), "cpu_p95_ms": percentile(cpu, 0.95),
            "wall_p50_ms": percentile(wall, 0.5), "wall_p95_ms": percentile(wall, 0.95),
            "mean_ms": statistics.fmean(wall), "runs": len(wall),
            "zero_result_queries": sum(1 for t in results if t == 0),
            "totals": dict(zip(map(str, items), results))}


def cold(argv, runs: int) -> dict:
    """Median wall and CPU time of `runs` fresh processes after one discarded run. Bytecode caching is on
    for them, as for any installed package (pip compiles it at install): with PYTHONDONTWRITEBYTECODE set
    (as on this project's machines) an editable install would compile parlsearch's modules in every process
    (~0.2 s CPU), which no user of an installed parlsearch pays; the standard library is precompiled."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    run_child(argv, env)
    results = [run_child(argv, env) for _ in range(runs)]
    bad = [r for r in results if r["returncode"] not in (0, 1)]
    if bad:
        raise SystemExit("benchmark: %s failed: %s" % (" ".join(argv[:3]), bad[0]["stderr"][-500:]))
    return {"median_ms": statistics.median(r["wall"] for r in results) * 1000,
            "cpu_median_ms": statistics.median(r["cpu"] for r in results) * 1000,
            "maxrss_mb": max(r["maxrss_mb"] for r in results), "runs": runs}


def dir_size(path: Path) -> int:
    """Bytes of a file, or of every file under a directory."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def machine_info() -> dict:
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), model)
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


def split_corpus(n: int, increment: int, tool: Path) -> tuple[Path, Path]:
    """The first n records of the generated corpus of n + increment (the corpus of size n: the tool's
    records do not depend on n), and the `increment` records after them (new identifiers)."""
    full = corpus_file(n + increment, tool)
    base, extra = OUT / ("base-%d-%s" % (n, full.name)), OUT / ("extra-%d-%s" % (n, full.name))
    if not (base.exists() and extra.exists()):
        with open(full, "rb") as src, open(base, "wb") as b, open(extra, "wb") as e:
            for i, line in enumerate(src):
                (b if i < n else e).write(line)
    return base, extra
