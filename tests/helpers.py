"""Test helpers shared by the test files: plain functions and classes (the fixtures are in conftest.py).

A test file imports from here, never from another test file (tests/test_suite_layout.py checks it): a helper
that two concerns need lives once, here, and a test file can be run, moved or deleted on its own.

- the real command: `parlsearch_argv`, `command_env`, `cli`, `cli_start`, `on_a_pty`, `file_size_limit`;
- its contract: `one_error_line`, `assert_one_line_error`, `assert_inert_on_terminal`;
- input: `BUNDLED_QUESTIONS`, `corpus_records`, `new_records`, `write_jsonl`;
- indexing: `set_batch_docs`;
- an index's last commit: `index_state`;
- child processes: `wait_stopped`, `reaped`.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import click

from parlsearch.corpus.reader import bundled_corpus

REPO = Path(__file__).resolve().parent.parent
#: The tests' own data (judged queries, a sample of the official index).
DATA = Path(__file__).resolve().parent / "data"
#: The bundled corpus's JSON file of written questions (the pages and plain text beside it add the rest).
BUNDLED_QUESTIONS = bundled_corpus() / "brussels-written-questions-2024-2029.json"

#: Variables of the test environment that would change what the real command does.
_COMMAND_VARIABLES = ("PARLSEARCH_INDEX", "NO_COLOR", "PARLSEARCH_TEST_KILL_AT", "PARLSEARCH_TEST_STOP_AT")


# -- the real command in a subprocess ------------------------------------------------------------------------------

def parlsearch_argv() -> list[str]:
    """How to run the real command in a subprocess (the installed script, else the module)."""
    script = Path(sys.executable).parent / "parlsearch"
    return [str(script)] if script.exists() else [sys.executable, "-m", "parlsearch"]


def command_env(**extra) -> dict:
    """The environment of a real `parlsearch` run: this one, less the variables that would change what it does
    (a default index, NO_COLOR, the test hooks of index/update.py), plus `extra`. The `cli_env` fixture adds a
    private XDG_DATA_HOME (for runs that use the default index)."""
    env = {k: v for k, v in os.environ.items() if k not in _COMMAND_VARIABLES}
    env.update(extra)
    return env


def cli(*args, env: dict | None = None, timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    """Run the real `parlsearch` command to its end (stdin empty unless `input` is given). The timeout is a
    bound against a hang, not a measure."""
    if "input" not in kw:
        kw.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(parlsearch_argv() + [str(a) for a in args], capture_output=True, text=True,
                          env=command_env() if env is None else env, timeout=timeout, **kw)


def cli_start(*args, env: dict | None = None, **kw) -> subprocess.Popen:
    """Start the real `parlsearch` command (use it inside `reaped`)."""
    return subprocess.Popen(parlsearch_argv() + [str(a) for a in args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=command_env() if env is None else env, **kw)


def file_size_limit(max_bytes: int):
    """A `preexec_fn` that limits the size of any file the child writes (RLIMIT_FSIZE): writes past it fail
    with EFBIG ("File too large") instead of killing the child with SIGXFSZ."""
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))
    return limit


def on_a_pty(argv, env, rows, columns, keys_at_prompt=b""):
    """Run argv on a pseudo-terminal of rows x columns; when the pager's prompt shows, type keys_at_prompt.
    Returns (exit status, everything written to the terminal, read until EOF, whether a prompt showed)."""
    import fcntl
    import pty
    import select
    import struct
    import termios
    pid, fd = pty.fork()
    if pid == 0:
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    out, prompted = b"", False
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], 120)  # a bound against a hang, not a synchronisation
            assert ready, "no output for 120 s: %r" % out[-500:]
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child has closed the terminal
                break
            if not chunk:
                break
            out += chunk
            if not prompted and out.endswith((b"\n:\x1b[K", b"\n:", b"\x08:\x1b[K")):  # less prompts, waits for a key
                prompted = True
                os.write(fd, keys_at_prompt)
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out, prompted


# -- the command's contract ----------------------------------------------------------------------------------------

def one_error_line(stderr: str) -> str:
    """stderr is one line "parlsearch: error: …" (no traceback, no usage text); returns it."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("parlsearch: error: "), stderr
    return lines[0]


def assert_one_line_error(proc, *needles) -> str:
    """A finished process failed as every user error must: exit status 2 and one line on stderr
    ("parlsearch: error: …") holding each of `needles`."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    line = one_error_line(proc.stderr)
    for needle in needles:
        assert needle in line, line
    return line


#: What may not reach a terminal except through our own styling: C0 controls but newline (and tab where the
#: format uses it, and the ESC of our SGR codes), DEL, C1, bidi controls.
_UNSAFE_ON_TERMINAL = re.compile("[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_OWN_SGR = re.compile(r"\x1b\[([0-9;]*)m")


def _allowed_sgr() -> set:
    """SGR parameter lists our output may use (click.style for every style in search/output.py)."""
    styles = [dict(fg="yellow", bold=True, reset=False), dict(bold=True), dict(dim=True), dict(fg="green"),
              dict(fg="yellow"), dict(fg="cyan"), dict(bold=True, underline=True)]
    return {m for kw in styles for m in _OWN_SGR.findall(click.style("x", **kw))} | {"0"}


def assert_inert_on_terminal(out: str, tabs: bool = False) -> None:
    """Nothing in `out` can act on a terminal: no control character but newline (and tab when `tabs`, for
    tab-separated output), no escape sequence but our own colours (no title, clipboard, cursor or screen
    codes), no bidi control that would reorder what is shown."""
    out = out.replace("\r\n", "\n")  # a terminal's own line endings
    assert tabs or "\t" not in out, "a tab in %r" % out[max(0, out.index("\t") - 40):out.index("\t") + 40]
    bad = _UNSAFE_ON_TERMINAL.search(out)
    assert not bad, "unsafe character %r in %r" % (bad.group(), out[max(0, bad.start() - 40):bad.end() + 40])
    assert out.count("\x1b") == len(_OWN_SGR.findall(out)), "an escape sequence other than colour"
    assert set(_OWN_SGR.findall(out)) <= _allowed_sgr()


# -- input ---------------------------------------------------------------------------------------------------------

def write_jsonl(path: Path, records) -> Path:
    """Write records as JSON Lines (UTF-8, non-ASCII kept as is); returns the path."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def corpus_records() -> list[dict]:
    """The bundled corpus's written questions, as records (a fresh list of fresh dicts at each call)."""
    return json.loads(BUNDLED_QUESTIONS.read_text("utf-8"))["questions"]


def new_records(start: int, count: int, tag: str = "") -> list[dict]:
    """`count` new questions (copies of real ones under new official codes 700000 + start …)."""
    src = corpus_records()
    out = []
    for i in range(start, start + count):
        r = dict(src[i % len(src)])
        r.pop("id", None)
        r["moncode"] = str(700000 + i)
        r["question"] = "%s Variante %d%s." % (r["question"], i, tag)
        out.append(r)
    return out


# -- indexing ------------------------------------------------------------------------------------------------------

def set_batch_docs(monkeypatch, docs: int) -> None:
    """Batches of `docs` documents, and the parallel writer from `docs` documents on: a few records then
    exercise what a large corpus does (several batches, late readings of a question already written)."""
    from parlsearch.index import update as update_module
    from parlsearch.index.fastwriter import ParallelWriter
    monkeypatch.setattr(update_module, "BATCH_DOCS", docs)
    monkeypatch.setattr(update_module, "PARALLEL_MIN_DOCS", docs)
    monkeypatch.setattr(ParallelWriter, "BATCH_DOCS", docs)


# -- an index's last commit ----------------------------------------------------------------------------------------

def index_state(path) -> dict[str, str]:
    """id → content hash of the live documents of the last commit. Fails when an id is held twice."""
    from parlsearch.index.stats import column_reader
    from parlsearch.index.store import open_index
    ix = open_index(path)
    try:
        with ix.reader() as reader:
            docnums = list(reader.all_doc_ids())
            pairs = []
            if docnums:  # (an index without segments has no columns)
                ids, hashes = column_reader(reader, "id"), column_reader(reader, "content_hash")
                pairs = [(ids[n], hashes[n]) for n in docnums]
            assert reader.doc_count() == len(pairs)
    finally:
        ix.close()
    twice = [i for i, n in Counter(i for i, _ in pairs).items() if n > 1]
    assert not twice, "documents held more than once: %s" % twice[:5]
    return dict(pairs)


# -- child processes -----------------------------------------------------------------------------------------------

def wait_stopped(proc: subprocess.Popen, timeout: float = 120) -> None:
    """Wait until `proc` has stopped itself (SIGSTOP from PARLSEARCH_TEST_STOP_AT)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "exited instead of stopping: %s" % (proc.communicate(),)
        with open("/proc/%d/stat" % proc.pid) as f:
            if f.read().rsplit(")", 1)[1].split()[0] in ("T", "t"):
                return
        time.sleep(0.02)
    raise AssertionError("the process did not reach its stop point")


@contextlib.contextmanager
def reaped(*procs):
    """Never leave a stopped or running child behind, whatever the test outcome."""
    try:
        yield
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
            for stream in (p.stdout, p.stderr):
                if stream:
                    stream.close()
