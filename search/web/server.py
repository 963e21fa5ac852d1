"""Serving the web page: waitress, a production WSGI server in pure Python, bounded everywhere, and the
checks made before a request reaches the application.

Why waitress (issue 19): werkzeug's development server started one thread per connection and had no
read timeout, so 300 half-open connections held 301 threads, whose requests later ran as full searches.
waitress reads each request whole on its asynchronous channel (one `select`/`poll` loop, no thread per
connection) and only then hands it to a fixed pool of WORKERS threads; everything it holds is bounded by
the constants below. It is one pure-Python package with no dependency of its own.

Security headers on every response, also the ones the server writes itself: waitress answers malformed
requests (400, 413 body too large, 431 header section too large, 501 unknown transfer coding) with its own
error task, which `_ErrorTask` extends with SECURITY_HEADERS; the same task answers the refusals added
here (414 request target too long, 505 HTTP version), and `guard` the Host check's (421) with the same
headers. Their text is English and plain: it is protocol-level, for whoever wrote the client.

Host validation (DNS rebinding): a page of another site whose name an attacker points at 127.0.0.1 would
otherwise read this server through the visitor's browser. A request is answered only when its Host names
the address served: 127.0.0.1, localhost, [::1], the --host value, a name given with --allow-host, and
when listening on every address (0.0.0.0, ::) any IP address literal (a rebinding attack needs a name).
"""
from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import create_server
from waitress.task import ErrorTask
from waitress.utilities import Error

#: Worker threads, and so engines open at once (engines.py). CPU-bound Python shares one
#: core's worth of GIL, so more workers add no throughput, only the chance for a short request to start at
#: once beside long ones (a keyword page needs 20–40 ms of CPU, a costly query at most its 5-s budget);
#: each keeps an Engine whose caches grow with the index (18 MB each at 20,000 documents, after pages with
#: facets). 4 (waitress's default): a keyword page still starts beside three costly requests.
WORKERS = 4
#: Open connections at once; the server stops accepting past it (the kernel's backlog queues the rest).
#: A connection costs a socket and a buffer, no thread; a browser opens at most 6 to one host.
CONNECTION_LIMIT = 100
#: Seconds a connection may stay idle (between keep-alive requests, or mid-request) before it is closed.
IDLE_SECONDS = 30
#: Seconds a request may take to arrive whole once its first byte came (request line, headers): a client
#: that sends a byte every few seconds (slow loris) is not kept by the idle timeout alone.
REQUEST_READ_SECONDS = 10
#: Request line + headers: the longest request target is a 6,000-character draft question percent-encoded
#: (at most 9 bytes a character: 54,000 bytes), plus a browser's few kilobytes of headers. Past it: 431.
MAX_HEADER_BYTES = 64 * 1024
#: Longest request target (path and query string), the same draft plus the other parameters. Past it: 414.
MAX_TARGET_BYTES = 56 * 1024
#: Request bodies: no route reads one (GET only). Past it: 413.
MAX_BODY_BYTES = 1024
#: How often (seconds) waitress looks for idle connections to close.
CLEANUP_SECONDS = 2

CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                           "base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
#: Host names always served (the loopback address's own names).
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def _host_name(host: str) -> str:
    return host.strip().strip("[]").lower().rstrip(".")


class HostCheck:
    """Which Host headers name this server: see the module's docstring."""

    def __init__(self, host: str, allow_hosts=(), port: int | None = None):
        self.names = {_host_name(h) for h in (*LOOPBACK_NAMES, host, *allow_hosts) if h}
        self.any_address = _host_name(host) in ("0.0.0.0", "::", "")
        self.port = port

    def allows(self, header: str | None) -> bool:
        if not header:
            return False
        value = header.strip().lower()
        if value.startswith("["):  # [::1]:8765
            name, _, rest = value[1:].partition("]")
            port = rest[1:] if rest.startswith(":") else (None if not rest else "bad")
        elif value.count(":") == 1:
            name, port = value.split(":")
        elif ":" in value:  # a bare IPv6 address is not a valid Host
            return False
        else:
            name, port = value, None
        if port is not None and not (port.isdigit() and self.port is not None and int(port) == self.port):
            return False
        name = name.rstrip(".")
        if name in self.names:
            return True
        if self.any_address:
            try:
                ipaddress.ip_address(name)
                return True
            except ValueError:
                return False
        return False


def _plain(start_response, status: str, text: str):
    body = (text + "\n").encode("utf-8")
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
                            *SECURITY_HEADERS.items()])
    return [body]


def guard(app, hosts: HostCheck):
    """The WSGI application `app` behind the Host check: a request for another name is refused with 421
    Misdirected Request (a plain English line, the security headers)."""

    def checked(environ, start_response):
        host = environ.get("HTTP_HOST")
        if host is None and environ.get("SERVER_PROTOCOL") == "HTTP/1.0":
            pass  # HTTP/1.0 may omit Host; no browser does, so no rebinding goes through it
        elif not hosts.allows(host):
            return _plain(start_response, "421 Misdirected Request",
                          "this server does not serve the host %r; to serve a public name, start it with "
                          "parlsearch serve --allow-host NAME" % (host or "")[:100])
        return app(environ, start_response)

    return checked


def _listen(host: str, port: int) -> socket.socket:
    """One listening socket on the first address `host` resolves to (as werkzeug's server bound: with
    `--port 0`, one free port, whatever the name resolves to)."""
    family, socktype, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, socktype, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    return sock


def _waitress_classes(read_seconds: float):
    """waitress's channel, extended: requests in an HTTP version other than 1.0 and 1.1 (505) or with a
    request target over MAX_TARGET_BYTES (414) refused as its own malformed requests are; the security
    headers on every response waitress writes itself; the request-read deadline."""
    class VersionNotSupported(Error):
        code, reason = 505, "HTTP Version Not Supported"

    class TargetTooLong(Error):
        code, reason = 414, "URI Too Long"

    class _Parser(HTTPRequestParser):
        def received(self, data):
            consumed = super().received(data)
            if self.completed and self.error is None and not self.empty:
                if self.version not in ("1.0", "1.1"):
                    self.error = VersionNotSupported("HTTP/1.0 and HTTP/1.1 only")
                elif len(self.request_uri) > MAX_TARGET_BYTES:
                    self.error = TargetTooLong("request target longer than %d bytes" % MAX_TARGET_BYTES)
            return consumed

    class _ErrorTask(ErrorTask):
        def execute(self):
            self.response_headers.extend(SECURITY_HEADERS.items())
            super().execute()

    class _Channel(HTTPChannel):
        parser_class = _Parser
        error_task_class = _ErrorTask
        reading_since = None

        def received(self, data):
            if self.request is None and data:
                self.reading_since = time.monotonic()
            return super().received(data)

        def readable(self):
            if self.request is not None and self.reading_since is not None \
                    and time.monotonic() - self.reading_since > read_seconds:
                self.will_close = True  # half a request after read_seconds: close (waitress then writes, closes)
            return super().readable()

    return _Channel


class WebServer:
    """A waitress server already bound and listening when constructed (port 0: a free port, read back from
    `server_port`): serve_forever() answers until shutdown() (from another thread) or Ctrl-C;
    server_close() then stops the workers and closes the sockets."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 8765, allow_hosts=(),
                 threads: int = WORKERS, read_seconds: float = REQUEST_READ_SECONDS):
        # Requests are not logged (their URLs carry queries and ids that are not ours to print); waitress's
        # queue-depth notes would be one line per busy moment.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        self._map: dict = {}
        self.hosts = HostCheck(host, allow_hosts)
        self._server = create_server(
            guard(app, self.hosts), map=self._map, sockets=[_listen(host, port)], threads=threads,
            connection_limit=CONNECTION_LIMIT, channel_timeout=IDLE_SECONDS, cleanup_interval=CLEANUP_SECONDS,
            max_request_header_size=MAX_HEADER_BYTES, max_request_body_size=MAX_BODY_BYTES,
            ident="parlsearch", expose_tracebacks=False)
        self._server.channel_class = _waitress_classes(read_seconds)  # before any connection is accepted
        self.server_port = int(self._server.effective_port)
        self.hosts.port = self.server_port
        self._stop = threading.Event()
        self._stopped = threading.Event()
        self._stopped.set()  # not serving yet: shutdown() before serve_forever() returns at once

    def serve_forever(self) -> None:
        self._stopped.clear()
        try:
            while not self._stop.is_set():
                wasyncore.loop(timeout=1.0, use_poll=True, map=self._map, count=1)
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop serve_forever() (running in another thread) and wait until it has returned."""
        self._stop.set()
        self._server.pull_trigger()  # wake the loop now rather than at its next timeout
        self._stopped.wait()

    def server_close(self) -> None:
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        wasyncore.close_all(self._map)


def make_server(app, host: str = "127.0.0.1", port: int = 8765, allow_hosts=(), **options) -> WebServer:
    """A WebServer for `app` listening on (host, port); see WebServer."""
    return WebServer(app, host, port, allow_hosts, **options)
