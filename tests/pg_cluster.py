#!/usr/bin/env python3
"""A real PostgreSQL primary and one streaming hot standby on loopback ports, for the backend tests and the
benchmark: the one script `.ci/run` and a developer use alike.

    eval "$(python3 tests/pg_cluster.py start /tmp/pgc)"   # prints the export lines of the DSNs
    python3 tests/pg_cluster.py stop /tmp/pgc               # stops both servers, removes the directory
    python3 tests/pg_cluster.py stop-node /tmp/pgc standby  # the replica tests stop and start one server
    python3 tests/pg_cluster.py start-node /tmp/pgc standby

`start` runs initdb into DIR/primary (trust authentication, loopback only: a throw-away test cluster),
starts it on a free port, makes the standby with `pg_basebackup -R` (streaming, through a replication slot
so that a stopped standby catches up) into DIR/standby and starts it on another free port, then prints
`export PARLSEARCH_TEST_PG_PRIMARY=…`, `…_STANDBY=…` and `PARLSEARCH_TEST_PG_CLUSTER=DIR` for the shell. As
root, the servers run as the unprivileged user `nobody` (PostgreSQL refuses to run as root), DIR owned by
it. The binaries are looked up in $PG_BINDIR, then /usr/lib/postgresql/<version>/bin (newest first), then
the PATH.

The tests read those variables (tests/helpers.py `pg_skip_reason`): unset, every backend test is skipped with
the reason.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

PRIMARY_VAR = "PARLSEARCH_TEST_PG_PRIMARY"
STANDBY_VAR = "PARLSEARCH_TEST_PG_STANDBY"
CLUSTER_VAR = "PARLSEARCH_TEST_PG_CLUSTER"
NODES = ("primary", "standby")
SUPERUSER = "postgres"
#: How long a server may take to start or stop, and a new row to reach the standby (seconds).
STARTUP_TIMEOUT = 60


def bindir() -> Path | None:
    """The directory of initdb, pg_ctl and pg_basebackup, or None when PostgreSQL is not installed."""
    candidates = [os.environ.get("PG_BINDIR", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: _version(p), reverse=True)
    for c in candidates:
        if c and (Path(c) / "initdb").is_file() and (Path(c) / "pg_ctl").is_file():
            return Path(c)
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def _version(path: str) -> int:
    try:
        return int(Path(path).parent.name)
    except ValueError:
        return 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(argv: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--"] + argv if owner else argv


def _owner() -> str | None:
    """The user the servers run as: `nobody` as root, else the current user (None)."""
    return "nobody" if os.geteuid() == 0 else None


def _run(argv, owner, **kw):
    return subprocess.run(_as_owner([str(a) for a in argv], owner), check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, **kw)


def dsn(port: int) -> str:
    return "postgresql://%s@127.0.0.1:%d/postgres" % (SUPERUSER, port)


def _port_file(root: Path, node: str) -> Path:
    return root / (node + ".port")


def port_of(root: Path, node: str) -> int:
    return int(_port_file(root, node).read_text())


def start(root: Path) -> dict:
    """Create and start the cluster under `root` (which must not exist, or be empty); returns the env."""
    bins = bindir()
    if bins is None:
        raise SystemExit("pg_cluster: no PostgreSQL binaries (initdb, pg_ctl) found: install postgresql-15, "
                         "or set PG_BINDIR")
    owner = _owner()
    root.mkdir(parents=True, exist_ok=True)
    if any(root.iterdir()):
        raise SystemExit("pg_cluster: %s is not empty" % root)
    if owner:
        pw = pwd.getpwnam(owner)
        os.chown(root, pw.pw_uid, pw.pw_gid)
    os.chmod(root, 0o700 if not owner else 0o755)
    primary = root / "primary"
    _run([bins / "initdb", "-D", primary, "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8",
          "--no-sync"], owner)
    port = _free_port()
    with open(primary / "postgresql.conf", "a") as f:
        f.write("\n# pg_cluster.py: a loopback test cluster\n"
                "listen_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n"
                "wal_level = replica\nmax_wal_senders = 5\nmax_replication_slots = 5\nhot_standby = on\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 60\nshared_buffers = 128MB\nwal_keep_size = 256MB\n"
                "log_min_messages = warning\nlogging_collector = off\n" % root)
    _port_file(root, "primary").write_text(str(port))
    start_node(root, "primary")
    standby = root / "standby"
    _run([bins / "pg_basebackup", "-h", "127.0.0.1", "-p", port, "-U", SUPERUSER, "-D", standby, "-R",
          "-X", "stream", "-C", "-S", "standby1", "--no-sync"], owner)
    _port_file(root, "standby").write_text(str(_free_port()))
    start_node(root, "standby")
    return env_of(root)


def env_of(root: Path) -> dict:
    return {PRIMARY_VAR: dsn(port_of(root, "primary")), STANDBY_VAR: dsn(port_of(root, "standby")),
            CLUSTER_VAR: str(root)}


def start_node(root: Path, node: str) -> None:
    """Start one server (already created) and wait until it accepts connections."""
    bins, owner = bindir(), _owner()
    data = root / node
    port = port_of(root, node)
    _run([bins / "pg_ctl", "-D", data, "-l", root / (node + ".log"), "-w", "-t", STARTUP_TIMEOUT,
          "-o", "-p %d -k %s" % (port, root), "start"], owner)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:  # pg_ctl -w waits for the postmaster; also wait for connections
        r = subprocess.run([str(bins / "pg_isready"), "-h", "127.0.0.1", "-p", str(port), "-U", SUPERUSER, "-d",
                            "postgres"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode == 0:
            return
        time.sleep(0.1)
    raise SystemExit("pg_cluster: the %s did not accept connections in %d s" % (node, STARTUP_TIMEOUT))


def stop_node(root: Path, node: str, mode: str = "fast") -> None:
    """Stop one server (no error when it is not running)."""
    bins, owner = bindir(), _owner()
    data = root / node
    if not (data / "postmaster.pid").exists():
        return
    subprocess.run(_as_owner([str(bins / "pg_ctl"), "-D", str(data), "-m", mode, "-w", "-t", str(STARTUP_TIMEOUT),
                              "stop"], owner), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(root: Path) -> None:
    """Stop both servers and remove the directory."""
    if not root.exists():
        return
    for node in reversed(NODES):
        try:
            stop_node(root, node, "immediate")
        except Exception as e:  # keep going: the other server must stop too
            print("pg_cluster: stopping the %s: %s" % (node, e), file=sys.stderr)
    shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str]) -> int:
    usage = "usage: pg_cluster.py start DIR | stop DIR | stop-node DIR NODE | start-node DIR NODE | env DIR"
    if len(argv) < 2:
        print(usage, file=sys.stderr)
        return 2
    command, root = argv[0], Path(argv[1]).resolve()
    try:
        if command == "start":
            env = start(root)
        elif command == "env":
            env = env_of(root)
        elif command == "stop":
            stop(root)
            return 0
        elif command in ("stop-node", "start-node") and len(argv) == 3 and argv[2] in NODES:
            (stop_node if command == "stop-node" else start_node)(root, argv[2])
            return 0
        else:
            print(usage, file=sys.stderr)
            return 2
    except subprocess.CalledProcessError as e:
        print("pg_cluster: %s failed:\n%s" % (" ".join(map(str, e.cmd)), e.stdout), file=sys.stderr)
        return 1
    for key, value in env.items():
        print("export %s=%s" % (key, value))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
