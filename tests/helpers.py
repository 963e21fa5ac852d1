"""Test helpers shared by the test files: plain functions (the fixtures are in conftest.py).

A test file imports from here, never from another test file: `parlsearch_argv` (the real command),
`on_a_pty` (the real command on a pseudo-terminal). (The same functions, verbatim, as the test-suite
restructuring of issue 19 puts here with more: on a merge, its tests/helpers.py is the one to keep.)
"""
from __future__ import annotations

import os
import sys
from pathlib import Path


# -- the real command in a subprocess ------------------------------------------------------------------------------

def parlsearch_argv() -> list[str]:
    """How to run the real command in a subprocess (the installed script, else the module)."""
    script = Path(sys.executable).parent / "parlsearch"
    return [str(script)] if script.exists() else [sys.executable, "-m", "parlsearch"]


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
