"""Test helpers shared by the test files: plain functions and classes (the fixtures are in conftest.py).

A test file imports from here, never from another test file (tests/test_suite_layout.py checks it): a helper
that two concerns need lives once, here, and a test file can be run, moved or deleted on its own.

- the real command: `parlsearch_argv`, `command_env`, `cli`, `cli_start`, `on_a_pty`, `file_size_limit`;
- its contract: `one_error_line`, `assert_one_line_error`, `assert_inert_on_terminal`;
- input: `BUNDLED_QUESTIONS`, `corpus_records`, `new_records`, `write_jsonl`;
- indexing: `set_batch_docs`;
- an index's last commit: `index_state`;
- child processes: `wait_stopped`, `reaped`;
- generated corpora and comparing two indexes: `generated_corpus`, `differences`;
- the Chamber's records: `CHAMBER_KEYS`, `CHAMBER_SUBSET`, `chamber_lines`;
- the PostgreSQL cluster of tests/pg_cluster.py: `pg_skip_reason`, `PgSchema`, `pg_dsn`, `pg_lock`, `pg_wait_replayed`;
- the backend against the local index: `assert_same_answer`, `assert_same_tokens`.
"""
from __future__ import annotations

import contextlib
import heapq
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import click
import numpy as np
import pytest

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
    Returns (exit status, everything written to the terminal, read until EOF, whether a prompt showed).
    The terminal is a terminal: TERM is set (xterm-256color) when `env` has none, as every terminal emulator
    sets it (without it less warns "terminal is not fully functional" and waits for RETURN)."""
    env = dict(env)
    if not env.get("TERM"):
        env["TERM"] = "xterm-256color"
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


# -- PostgreSQL: the cluster of tests/pg_cluster.py --------------------------------------------------------------

PG_PRIMARY_VAR, PG_STANDBY_VAR, PG_CLUSTER_VAR = ("PARLSEARCH_TEST_PG_PRIMARY", "PARLSEARCH_TEST_PG_STANDBY",
                                                  "PARLSEARCH_TEST_PG_CLUSTER")


def pg_skip_reason() -> str | None:
    """Why the backend tests cannot run here (None: they can): the cluster's variables, set by
    `eval "$(python3 tests/pg_cluster.py start DIR)"` (which `.ci/run` does), and the driver."""
    if not os.environ.get(PG_PRIMARY_VAR) or not os.environ.get(PG_STANDBY_VAR):
        import glob
        import shutil
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or ([shutil.which("initdb")]
                                                                           if shutil.which("initdb") else [])
        return ("no PostgreSQL cluster to test against (%s is not set; PostgreSQL binaries %s): start one with "
                'eval "$(python3 tests/pg_cluster.py start /tmp/pgc)"'
                % (PG_PRIMARY_VAR, "found: " + found[-1] if found else "not found"))
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[postgres]')"
    return None


class PgSchema:
    """One PostgreSQL schema of the test cluster, as DSNs of the primary and the standby that use it."""

    def __init__(self, name: str):
        self.name = name
        self.primary = pg_dsn(os.environ[PG_PRIMARY_VAR], name)
        self.standby = pg_dsn(os.environ[PG_STANDBY_VAR], name)

    def servers(self, *, standby: bool = False):
        from parlsearch.index.postgres.connect import Servers
        return Servers.parse([self.primary] + ([self.standby] if standby else []))

    def database(self, *, standby_only: bool = False):
        from parlsearch.search.targets import Database
        from parlsearch.index.postgres.connect import Servers
        return Database(Servers.parse([self.standby] if standby_only else [self.primary]))

    def create(self):
        import psycopg
        with psycopg.connect(os.environ[PG_PRIMARY_VAR], autocommit=True) as c:
            c.execute("CREATE SCHEMA %s" % self.name)  # (a name made by the fixture: t_ and hex digits)
        return self

    def drop(self):
        import psycopg
        try:
            with psycopg.connect(os.environ[PG_PRIMARY_VAR], autocommit=True) as c:
                c.execute("DROP SCHEMA IF EXISTS %s CASCADE" % self.name)
        except psycopg.OperationalError:  # the primary stopped by the test: its schema goes with the cluster
            pass


def pg_dsn(dsn: str, schema: str) -> str:
    """`dsn` reading and writing the tables of PostgreSQL schema `schema` (the test's own)."""
    from psycopg import conninfo
    return conninfo.make_conninfo(dsn, options="-c search_path=%s" % schema)


def pg_lock(exclusive: bool):
    """A lock shared by the tests that use the cluster, taken exclusively by those that stop a server (other
    test processes, under pytest-xdist, must not meet a stopped server)."""
    import contextlib
    import fcntl

    @contextlib.contextmanager
    def held():
        path = Path(os.environ[PG_CLUSTER_VAR]) / "tests.lock" if os.environ.get(PG_CLUSTER_VAR) else None
        if path is None:
            yield
            return
        with open(path, "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
    return held()


def pg_wait_replayed(primary: str, standby: str, timeout: float = 60.0) -> None:
    """Return once the standby has replayed everything the primary has committed so far (an event, polled:
    the standby's replay position reaching the primary's WAL position)."""
    import time
    import psycopg
    with psycopg.connect(primary, autocommit=True) as p:
        lsn = p.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]  # (written or not yet)
    deadline = time.monotonic() + timeout
    with psycopg.connect(standby, autocommit=True) as s:
        while True:
            done = s.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (str(lsn),)).fetchone()[0]
            if done:
                return
            assert time.monotonic() < deadline, "the standby did not replay %s within %.0f s" % (lsn, timeout)
            time.sleep(0.02)


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
    from parlsearch.index import fastwriter, update as update_module
    from parlsearch.index.parallel import ParallelWriter
    monkeypatch.setattr(update_module, "BATCH_DOCS", docs)
    monkeypatch.setattr(update_module, "PARALLEL_MIN_DOCS", docs)
    monkeypatch.setattr(ParallelWriter, "BATCH_DOCS", docs)
    monkeypatch.setattr(fastwriter, "ANALYSIS_BATCH_DOCS", docs)


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


# -- generated corpora and the comparison of two indexes (the writer's tests) ------------------------------

_GENERATED: dict[tuple[int, int], Path] = {}


def _sentences(text: str | None) -> list[str]:
    return [s for s in re.split(r"(?<=[.?!])\s+|\n", text or "") if len(s) > 20]


def generated_corpus(n: int, seed: int = 1) -> Path:
    """A JSON Lines file of `n` questions recombined from the bundled corpus's real sentences, subjects, Dutch
    titles and names (the same idea as the benchmarks' make_corpus tool, written here so that the tests need
    nothing outside the repository): term frequencies and lengths like the real ones, so common words have
    posting lists of thousands of documents. The same n and seed give the same bytes; made once per process."""
    import random
    key = (n, seed)
    if key in _GENERATED:
        return _GENERATED[key]
    rng = random.Random(seed)
    real = json.loads(BUNDLED_QUESTIONS.read_text("utf-8"))["questions"]
    questions = [s for r in real for s in _sentences(r.get("question"))]
    answers = [s for r in real for s in _sentences(r.get("reponse"))]
    subjects = [(r.get("titre") or "").split("concernant", 1)[-1].strip() for r in real]
    subjects_nl = [(r.get("titre_nl") or "").split("betreffende", 1)[-1].strip() for r in real]
    authors = sorted({r["auteur"] for r in real if r.get("auteur")})
    ministers = sorted({r["destinataire"] for r in real if r.get("destinataire")})
    tmp = Path(tempfile.mkdtemp(prefix="parlsearch-generated-"))
    path = tmp / ("generated-%d-%d.jsonl" % key)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            start = rng.choice((2004, 2009, 2014, 2019, 2024))
            year = start + rng.randrange(5)
            received = "%d-%02d-%02d" % (year, rng.randint(1, 12), rng.randint(1, 28))
            answered = rng.random() < 0.85
            k = rng.randrange(len(subjects))
            words = subjects[k].split()
            rng.shuffle(words)
            code = str(300000 + i)
            record = {
                "moncode": code, "base": 1, "legislature": "%d-%d" % (start, start + 5),
                "session": "%02d/%02d" % (year % 100, (year + 1) % 100), "type": "question_ecrite",
                "numero": rng.randint(1, 400), "langue": "fr",
                "titre": "Question écrite concernant " + " ".join(words),
                "titre_nl": "Schriftelijke vraag betreffende " + subjects_nl[k],
                "auteur": rng.choice(authors), "destinataire": rng.choice(ministers),
                "date_reception": received, "date_reponse": received if answered else None,
                "question": "\n".join(rng.sample(questions, rng.randint(4, 12))),
                "reponse": "\n".join(rng.sample(answers, rng.randint(3, 12))) if answered else None,
            }
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    _GENERATED[key] = path
    return path


# -- comparing two indexes ---------------------------------------------------------------------------------------

def _leaf_terms(leaf, fieldname: str, index: int):
    for btext in leaf.lexicon(fieldname):
        yield btext, index


def _term_records(reader, fieldname: str):
    """(term, global docnums, weights, positions per posting or None) of one field, term after term, read from
    the records of parlsearch's codec segment by segment (deleted documents left out)."""
    leaves = reader.leaf_readers()
    streams = [_leaf_terms(leaf, fieldname, i) for i, (leaf, _) in enumerate(leaves)
               if fieldname in leaf.indexed_field_names()]
    current, parts = None, []

    def emit():
        ids = np.concatenate([p[0] for p in parts])
        weights = np.concatenate([p[1] for p in parts])
        positions = None if parts[0][2] is None else [pl for p in parts for pl in p[2]]
        return current, ids, weights, positions

    for btext, i in heapq.merge(*streams):
        if btext != current and parts:
            yield emit()
            parts = []
        current = btext
        leaf, offset = leaves[i]
        info = leaf._terms.term_info(fieldname, btext)
        ids, weights, flat = leaf._terms.record(info)
        ids = np.array(ids, dtype=np.int64)
        weights = np.array(weights, dtype=np.float64)
        keep = np.array([not leaf.is_deleted(d) for d in ids.tolist()], dtype=bool) if leaf.has_deletions() \
            else np.ones(len(ids), dtype=bool)
        positions = None
        if flat is not None:
            starts = np.concatenate([[0], np.cumsum(weights.astype(np.int64))])
            flat = np.array(flat, dtype=np.int64)
            positions = [flat[starts[j]:starts[j + 1]] for j in np.flatnonzero(keep)]
        parts.append((ids[keep] + offset, weights[keep], positions))
    if parts:
        yield emit()


def differences(reader_a, reader_b, by_id: bool = False, limit: int = 10) -> list[str]:
    """What differs between two indexes of parlsearch's codec, streamed term by term (memory: one posting list):
    postings (documents, weights, positions), term statistics (document frequency, weight, min/max length and
    weight), field lengths, stored fields and columns, document counts. With `by_id`, documents are matched
    by their stored id (the order of documents may differ: parallel writers) and term statistics other than
    the document frequency and total weight are not compared (they are per segment); otherwise by docnum."""
    out: list[str] = []
    schema = reader_a.schema

    def note(text):
        if len(out) < limit:
            out.append(text)

    if reader_a.doc_count() != reader_b.doc_count():
        note("doc_count %d != %d" % (reader_a.doc_count(), reader_b.doc_count()))
        return out
    keys = []
    for reader in (reader_a, reader_b):
        docnums = list(reader.all_doc_ids())
        if by_id:
            ids = [reader.stored_fields(d)["id"] for d in docnums]
            order = {doc_id: rank for rank, doc_id in enumerate(sorted(ids))}
            key = np.full(reader.doc_count_all(), -1, dtype=np.int64)
            key[np.array(docnums, dtype=np.int64)] = [order[i] for i in ids]
        else:
            key = np.full(reader.doc_count_all(), -1, dtype=np.int64)
            key[np.array(docnums, dtype=np.int64)] = np.arange(len(docnums))
        keys.append((key, docnums))
    for fieldname in sorted(set(reader_a.indexed_field_names()) | set(reader_b.indexed_field_names())):
        a_terms = _term_records(reader_a, fieldname)
        b_terms = _term_records(reader_b, fieldname)
        for a, b in zip(a_terms, b_terms):
            if a[0] != b[0]:
                note("%s: term %r != %r" % (fieldname, a[0], b[0]))
                break
            rows = []
            for (term, ids, weights, positions), (key, _) in zip((a, b), keys):
                k = key[ids]
                order = np.argsort(k, kind="stable")
                rows.append((k[order].tolist(), np.round(weights[order], 5).tolist(),
                             None if positions is None else [positions[j].tolist() for j in order]))
            if rows[0] != rows[1]:
                note("%s:%r postings differ" % (fieldname, a[0]))
                continue
            ia, ib = reader_a.term_info(fieldname, a[0]), reader_b.term_info(fieldname, a[0])
            sa = (ia.doc_frequency(), round(ia.weight(), 3))
            sb = (ib.doc_frequency(), round(ib.weight(), 3))
            if not by_id:
                sa += (ia.min_length(), ia.max_length(), round(ia.max_weight(), 5), ia.min_id(), ia.max_id())
                sb += (ib.min_length(), ib.max_length(), round(ib.max_weight(), 5), ib.min_id(), ib.max_id())
            if sa != sb:
                note("%s:%r statistics %r != %r" % (fieldname, a[0], sa, sb))
        for rest, side in ((a_terms, "first"), (b_terms, "second")):
            extra = next(rest, None)
            if extra is not None:
                note("%s: term %r only in the %s index" % (fieldname, extra[0], side))
    (key_a, docs_a), (key_b, docs_b) = keys
    b_of_rank = {int(key_b[d]): d for d in docs_b}
    pairs = [(d, b_of_rank[int(key_a[d])]) for d in docs_a]
    for name in sorted(schema.names()):
        field = schema[name]
        if field.scorable:
            for da, db in pairs:
                la, lb = reader_a.doc_field_length(da, name), reader_b.doc_field_length(db, name)
                if la != lb:
                    note("length of %s in document %d: %r != %r" % (name, da, la, lb))
                    break
        if field.column_type is not None:
            ca = reader_a.column_reader(name, translate=False) if reader_a.has_column(name) else None
            cb = reader_b.column_reader(name, translate=False) if reader_b.has_column(name) else None
            if (ca is None) != (cb is None):
                note("column %s only in one index" % name)
            elif ca is not None and any(ca[da] != cb[db] for da, db in pairs):
                note("column %s differs" % name)
    if any(reader_a.stored_fields(da) != reader_b.stored_fields(db) for da, db in pairs):
        note("stored fields differ")
    return out


# -- the Chamber's data set ----------------------------------------------------------------------------------------

#: Chamber records every test of both assemblies can count on (besides the first ones of the data set): the
#: question on night and shift work, its near neighbour, a question put to three ministers, one without a
#: bulletin, the bodycams question.
CHAMBER_KEYS = ("55-B034-2-0136-2020202107205", "55-B030-5-0024-2020202105463", "55-B032-6-0151-2020202106194",
                "55-B025-6-0812-2019202003197", "55-B018-5-0502-2019202003197", "55--3-0158-2020202107112",
                "55-B031-13-0035-2020202105680")
#: Records of the Chamber's data set in the small index: enough for facets, filters and ranking to mean
#: something, few enough to index in a second or two.
CHAMBER_SUBSET = 300


def chamber_lines(count: int | None = None) -> list[bytes]:
    """The Chamber's records as published (JSON Lines, byte for byte): the first `count` and the CHAMBER_KEYS
    ones (all when count is None)."""
    import gzip
    from parlsearch.corpus.chamber import dataset_path
    with gzip.open(dataset_path(), "rb") as f:
        lines = f.read().splitlines()
    if count is None:
        return lines
    keys = [("/" + k + '"').encode() for k in CHAMBER_KEYS]
    return lines[:count] + [line for line in lines[count:] if any(k in line for k in keys)]


# -- charts ------------------------------------------------------------------------------------------------------

SVG_NS = "{http://www.w3.org/2000/svg}"


def timeline_bars(svg: str) -> list[dict]:
    """The bars of a timeline (search/timeline_svg.py), read through its stated contract: each period with
    matches is an element of class "tl-period" (data-period, data-since, data-until, href on the page, a
    <title>), holding one <rect class="tl-bar …" data-status data-count> per status. Returns, per period, its
    attributes, title, and rects as (status, count, y, height). Parsing is also the well-formedness check."""
    import xml.etree.ElementTree as ET
    root = ET.fromstring(svg)
    assert "timeline-chart" in (root.get("class") or "").split(), root.attrib
    bars = []
    for period in root.iter():
        if "tl-period" not in (period.get("class") or "").split():
            continue
        title = period.find(SVG_NS + "title")
        rects = [(r.get("data-status"), int(r.get("data-count")), float(r.get("y")), float(r.get("height")))
                 for r in period.iter(SVG_NS + "rect") if "tl-bar" in (r.get("class") or "").split()]
        bars.append(dict(period.attrib, tag=period.tag.split("}")[-1], title=title.text if title is not None else None,
                         rects=rects))
    return bars


def timeline_values(svg: str) -> dict[str, dict[str, int]]:
    """What a timeline shows: {status: {period: count}} (counts > 0), checking on the way that the drawing
    agrees with the numbers — every rect's height is its count × one scale shared by all bars, and a
    period's rects are stacked without gap or overlap."""
    out: dict[str, dict[str, int]] = {}
    rects = []
    for bar in timeline_bars(svg):
        bottom = None
        for status, count, y, height in bar["rects"]:
            assert count > 0
            rects.append((count, height))
            if bottom is not None:
                assert abs(y + height - bottom) < 0.02, bar
            bottom = y
            out.setdefault(status, {})[bar["data-period"]] = count
    if rects:  # coordinates are written to 0.01 px
        most, tallest = max(rects)
        assert all(abs(height - count * tallest / most) < 0.02 for count, height in rects), "heights ≠ counts"
    return out


def chart_values(svg: str) -> dict[str, dict[str, float]]:
    """What a pygal chart (search/charts.py) shows: {series name: {bar label: value}}, read from the SVG
    itself (each bar's <desc class="value"> and <desc class="x_label">, the legend's names). Parsing it as
    XML is also the check that the chart is well-formed."""
    import xml.etree.ElementTree as ET
    root = ET.fromstring(svg)
    names = [t.text for g in root.iter(SVG_NS + "g") if "legend" in (g.get("class") or "").split()
             for t in g.iter(SVG_NS + "text")]
    out: dict[str, dict[str, float]] = {}
    for plot in root.iter(SVG_NS + "g"):
        if (plot.get("class") or "").split() != ["plot"]:
            continue
        for series in plot.iter(SVG_NS + "g"):
            classes = (series.get("class") or "").split()
            if "series" not in classes:
                continue
            index = int(next(c for c in classes if c.startswith("serie-"))[6:])
            values = out.setdefault(names[index] if index < len(names) else str(index), {})
            for bar in series.iter(SVG_NS + "g"):
                if "bar" not in (bar.get("class") or "").split():
                    continue
                descs = {d.get("class"): d.text for d in bar.iter(SVG_NS + "desc")}
                if descs.get("value") is not None:
                    values[descs["x_label"]] = float(descs["value"].split()[0])
    return out


# -- the PostgreSQL backend against the local index ------------------------------------------------------------

def _ranked(engine, text, limit=20, **kw):
    result = engine.search(text, limit=limit, **kw)
    return result, [(h.doc.id, h.score) for h in result.hits]


def assert_same_answer(local, pg, text, **kw):
    """The same answer from both engines — or the same one-line refusal."""
    from parlsearch.search.engine.query import QueryError
    try:
        a, ranked_a = _ranked(local, text, **kw)
    except QueryError as e:
        with pytest.raises(QueryError) as refused:
            _ranked(pg, text, **kw)
        assert str(refused.value) == str(e)
        return
    b, ranked_b = _ranked(pg, text, **kw)
    assert a.total == b.total, text
    assert [d for d, _ in ranked_a] == [d for d, _ in ranked_b], text
    for (_, sa), (_, sb) in zip(ranked_a, ranked_b):
        assert (sa is None and sb is None) or abs(sa - sb) <= 1e-9 * max(1.0, abs(sa)), text
    assert (a.dropped, a.corrected, a.note, a.suggestion) == (b.dropped, b.corrected, b.note, b.suggestion), text
    assert a.understood == b.understood, text  # the same reading (search/understanding/understand.py)
    assert [h.snippets for h in a.hits] == [h.snippets for h in b.hits], text
    assert [(h.doc.id, s) for h, s in zip(a.closest, [c.score for c in a.closest])] == \
        [(h.doc.id, s) for h, s in zip(b.closest, [c.score for c in b.closest])], text


def _pg_database_tokens(schema_dsn):
    """{(field, term): (ids, weights, positions)} of every postings row, segments joined."""
    import psycopg
    from parlsearch.index.postgres.blobs import concatenate, unpack
    rows: dict = {}
    with psycopg.connect(schema_dsn, autocommit=True) as c:
        for field, term, segment, df, layout, ids, weights, pos in c.execute(
                "SELECT field, term, segment, df, layout, ids, weights, positions FROM parlsearch_postings "
                "ORDER BY field, term, segment"):
            rows.setdefault((field, term), []).append(
                unpack("%s:%s" % (field, term), df, layout, ids, weights, pos, want_positions=pos is not None))
    return {key: concatenate(parts) for key, parts in rows.items()}


def assert_same_tokens(local_engine, schema_dsn, pg_engine):
    """The database's postings are the local index's, term for term (every field, positions included),
    and so are its lengths, statistics and columns."""
    from parlsearch.index.postgres.tables import catalogue
    cat = catalogue(local_engine.schema)
    stored = _pg_database_tokens(schema_dsn)
    view = local_engine.view
    seen = set()
    for field in cat.postings:
        for btext in view.reader.lexicon(field):
            parts = view.postings(field, btext, positions=field in cat.positional)
            if not parts:
                continue
            key = (field, btext.decode("utf-8"))
            seen.add(key)
            ids, weights, flat, starts = stored[key]
            assert np.array_equal(ids, np.concatenate([p.ids.astype(np.int64) + s.offset for s, p in parts])), key
            assert np.array_equal(weights, np.concatenate([p.weights for _, p in parts])), key
            if field in cat.positional:
                local = [p.positions_of(i).tolist() for _, p in parts for i in range(len(p.ids))]
                assert [flat[starts[i]:starts[i + 1]].tolist() for i in range(len(ids))] == local, key
    assert seen == set(stored)
    for field in cat.scored:
        assert np.array_equal(view.lengths(field), pg_engine.view.lengths(field)), field
        assert abs(view.avg_field_length(field) - pg_engine.view.avg_field_length(field)) < 1e-12, field
    for field in cat.numbers:
        assert np.array_equal(view.days(field), pg_engine.view.days(field)), field
    for field in cat.labels:
        codes, values = view.codes(field)
        pcodes, pvalues = pg_engine.view.codes(field)
        assert [values[c] for c in codes] == [pvalues[c] for c in pcodes], field
