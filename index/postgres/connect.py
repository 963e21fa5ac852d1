"""The servers `--backend` names, and connections to them: writes to the primary only, reads spread over
every server that answers and is recent enough.

`--backend` takes a libpq connection string (`postgresql://user@host:5432/db` or `host=… dbname=…`), several
times or as one multi-host string (`postgresql://h1:5432,h2:5432/db`, split here into one server per host):
the first server is the primary, the others its read replicas (streaming hot standbys). Each process picks
the server it reads from once (a CLI command) or per engine (`serve` opens one per worker), starting at a
random server so that many processes spread their reads over all of them; the primary takes reads too (it
is one more copy of the same data). A server that cannot be reached is skipped with one warning naming it
and the reason; a replica whose replay is more than `max_lag` seconds behind its primary is skipped with
one warning giving the lag. When every server that answers lags, the least behind is read with a warning.

Timeouts: a connection attempt gives up after CONNECT_TIMEOUT seconds (unless the DSN sets
connect_timeout), a read statement after READ_STATEMENT_TIMEOUT (one posting fetch takes milliseconds).
Messages name a server as user@host:port/dbname, never with its password.
"""
from __future__ import annotations

import random
import sys
from dataclasses import dataclass

from ..store import IndexProblem

#: Seconds a connection attempt may take (libpq's connect_timeout), unless the DSN says otherwise.
CONNECT_TIMEOUT = 5
#: Milliseconds a read statement may run: the longest, a 1.5-million-document term's rows, takes ~100 ms.
READ_STATEMENT_TIMEOUT_MS = 30_000
#: Seconds a replica may be behind its primary before reads avoid it (`--max-lag`).
DEFAULT_MAX_LAG = 30.0
INSTALL_HINT = "pip install '.[postgres]' in parlsearch's source directory (or: pip install 'psycopg[binary]')"

_warned: set = set()


class BackendProblem(IndexProblem):
    """A database that cannot be used as asked (unreachable, read-only, another layout): one line for the
    user, exit status 2 (the CLI reports every IndexProblem so)."""


def driver():
    """The psycopg module, or BackendProblem saying how to install it."""
    try:
        import psycopg
    except ImportError:
        raise BackendProblem("--backend needs the PostgreSQL driver psycopg: %s" % INSTALL_HINT) from None
    return psycopg


def warn_once(key, message: str) -> None:
    """One `parlsearch: warning: …` line per key and process."""
    if key in _warned:
        return
    _warned.add(key)
    print("parlsearch: warning: %s" % " ".join(message.split()), file=sys.stderr)


@dataclass(frozen=True)
class Server:
    conninfo: str  # the whole connection string (with any password): never printed
    label: str  # user@host:port/dbname, for messages

    def __str__(self) -> str:
        return self.label


def _label(params: dict) -> str:
    host = params.get("host") or params.get("hostaddr") or "localhost"
    if host.startswith("/"):
        host = "socket " + host
    port = params.get("port") or "5432"
    user = params.get("user")
    return "%s%s:%s/%s" % (user + "@" if user else "", host, port, params.get("dbname") or user or "")


def _split(dsn: str) -> list[Server]:
    """One Server per host of a (possibly multi-host) libpq connection string."""
    psycopg = driver()
    from psycopg import conninfo as ci
    try:
        params = ci.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as e:
        raise BackendProblem("--backend: not a PostgreSQL connection string (%s)" % _first_line(e)) from None
    hosts = (params.get("host") or "").split(",")
    addrs = (params.get("hostaddr") or "").split(",")
    ports = (params.get("port") or "").split(",")
    count = max(len(hosts), len(addrs))
    if len(ports) not in (1, count) or len(hosts) not in (1, count) or len(addrs) not in (1, count):
        raise BackendProblem("--backend: the hosts and ports of %s do not pair up" % _label(params))
    for port in ports:
        if port and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
            raise BackendProblem("--backend: %r is not a port number (in %s)" % (port, _label(params)))
    servers = []
    for i in range(count):
        one = {k: v for k, v in params.items() if v is not None}
        for key, values in (("host", hosts), ("hostaddr", addrs), ("port", ports)):
            value = values[i] if len(values) > 1 else values[0]
            if value:
                one[key] = value
            else:
                one.pop(key, None)
        one.pop("target_session_attrs", None)  # each server is addressed alone
        servers.append(Server(ci.make_conninfo(**{k: str(v) for k, v in one.items()}), _label(one)))
    return servers


@dataclass(frozen=True)
class Servers:
    """The primary (writes, and reads) and its replicas (reads)."""
    primary: Server
    replicas: tuple

    @classmethod
    def parse(cls, values) -> "Servers":
        """From the `--backend` values (or PARLSEARCH_BACKEND split on whitespace), in order."""
        if isinstance(values, str):
            values = values.split()
        servers: list[Server] = []
        for value in values:
            if not value or not value.strip():
                raise BackendProblem("--backend: empty connection string")
            servers += _split(value.strip())
        if not servers:
            raise BackendProblem("--backend: no server given")
        return cls(servers[0], tuple(servers[1:]))

    @property
    def all(self) -> tuple:
        return (self.primary,) + self.replicas

    def __str__(self) -> str:
        return ", ".join(s.label for s in self.all)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    line = text[0] if text else type(error).__name__
    # libpq: 'connection to server at "127.0.0.1", port 5433 failed: Connection refused' — the server is named
    # by the caller; keep the reason.
    if " failed: " in line:
        line = line.rsplit(" failed: ", 1)[1]
    return line.strip() or type(error).__name__


def connect(server: Server, *, read_only: bool):
    """An autocommit connection to one server (BackendProblem when it cannot be reached)."""
    psycopg = driver()
    from psycopg import conninfo as ci
    params = ci.conninfo_to_dict(server.conninfo)
    extra = {"application_name": "parlsearch"} if "application_name" not in params else {}
    if "connect_timeout" not in params:
        extra["connect_timeout"] = CONNECT_TIMEOUT
    try:
        conn = psycopg.connect(server.conninfo, autocommit=True, **extra)
    except psycopg.Error as e:
        raise BackendProblem("cannot reach %s: %s" % (server, _first_line(e))) from None
    try:
        if read_only:
            conn.execute("SELECT set_config('statement_timeout', %s, false), "
                         "set_config('default_transaction_read_only', 'on', false)",
                         (str(READ_STATEMENT_TIMEOUT_MS),))
    except psycopg.Error as e:
        conn.close()
        raise BackendProblem("cannot use %s: %s" % (server, _first_line(e))) from None
    return conn


def lag_seconds(conn) -> float:
    """How far a server's replay is behind its primary, in seconds (0 for a primary, or a replica that has
    replayed everything it received)."""
    row = conn.execute(
        "SELECT CASE WHEN pg_is_in_recovery() AND pg_last_wal_receive_lsn() IS DISTINCT FROM "
        "pg_last_wal_replay_lsn() THEN coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) "
        "ELSE 0 END").fetchone()
    return max(0.0, float(row[0] or 0))


def is_replica(conn) -> bool:
    return bool(conn.execute("SELECT pg_is_in_recovery()").fetchone()[0])


def open_for_reading(servers: Servers, max_lag: float | None = DEFAULT_MAX_LAG, start: int | None = None):
    """(connection, server) to read from: the first server, from a random one on (`start` to choose), that
    answers and is no more than `max_lag` seconds behind (None: any lag). Warns once per server skipped."""
    psycopg = driver()
    order = list(servers.all)
    first = random.randrange(len(order)) if start is None else start % len(order)
    order = order[first:] + order[:first]
    lagging, failures = [], []
    for server in order:
        try:
            conn = connect(server, read_only=True)
        except BackendProblem as e:
            failures.append(str(e))
            continue
        try:
            lag = lag_seconds(conn) if max_lag is not None else 0.0
        except psycopg.Error as e:
            conn.close()
            failures.append("cannot use %s: %s" % (server, _first_line(e)))
            continue
        if max_lag is not None and lag > max_lag:
            lagging.append((lag, server, conn))
            continue
        _report_skipped(failures, lagging, server, max_lag)
        for _, _, other in lagging:
            other.close()
        return conn, server
    if lagging:
        lagging.sort(key=lambda item: item[0])
        lag, server, conn = lagging[0]
        for _, _, other in lagging[1:]:
            other.close()
        _report_skipped(failures, [], server, max_lag)
        warn_once(("lag", server.label), "every server that answers is behind its primary: reading from %s, "
                  "%.1f s behind (--max-lag %g)" % (server, lag, max_lag))
        return conn, server
    raise BackendProblem("no database server answers: %s" % "; ".join(failures))


def _report_skipped(failures, lagging, chosen: Server, max_lag) -> None:
    for reason in failures:
        warn_once(("down", reason.split(":")[0]), "%s; reading from %s" % (reason, chosen))
    for lag, server, _ in lagging:
        warn_once(("lag", server.label), "%s is %.1f s behind its primary (--max-lag %g); reading from %s"
                  % (server, lag, max_lag, chosen))


def open_for_writing(servers: Servers):
    """A connection to the primary for one write transaction; BackendProblem when it is unreachable or is
    in fact a read-only replica."""
    psycopg = driver()
    try:
        conn = connect(servers.primary, read_only=False)
    except BackendProblem as e:
        raise BackendProblem("cannot write: %s (writes go to the primary, the first --backend server)" % e) \
            from None
    try:
        if is_replica(conn):
            conn.close()
            raise BackendProblem("cannot write to %s: it is a read-only replica (writes go to the primary, the "
                                 "first --backend server)" % servers.primary)
    except psycopg.Error as e:
        conn.close()
        raise BackendProblem("cannot write to %s: %s" % (servers.primary, _first_line(e))) from None
    return conn
