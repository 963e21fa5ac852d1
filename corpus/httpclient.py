"""A polite HTTP client for one site: one kept-alive connection, a total deadline per request, retries.

    client = PoliteClient("https://www.parlement.brussels", delay=0.5, timeout=30)
    response, checked = client.get("https://www.parlement.brussels/weblex-quest-det/?moncode=1&base=1")

Why not urllib.request: it sends ``Connection: close``, so every request opens a new TCP (and TLS)
connection — about 14,000 of them for the first fetch of one legislature (7,000 questions, two languages).
This client keeps one ``http.client`` connection open and reuses it (HTTP/1.1 keep-alive), reconnecting when
the server closes it. The standard library is enough here; urllib3 would add a dependency for what ~100
lines do (one origin, one request at a time, no pool).

Bounds, whatever the server does:

- **a total deadline per request** (``timeout`` seconds for connecting, headers and the whole body): a
  watchdog shuts the socket down when it passes, so a server that drips one byte a second, in its headers or
  in its body, cannot hold a request longer than ``timeout`` (a socket timeout alone restarts at every byte);
- **a size limit** per body (``max_bytes``);
- **one origin**: only URLs with the configured scheme, host *and* port are requested, and redirects are
  followed only within that origin (at most MAX_REDIRECTS); no proxy from the environment;
- **politeness**: ``delay`` seconds between the end of a request and the start of the next (retries
  included); retries of transient failures (network errors, timeouts, truncated bodies, 408/429/5xx) with
  exponential backoff ``backoff * 2**(n-1)`` capped at ``max_backoff``; a ``Retry-After`` header — in
  seconds or as an HTTP date — is honoured within that cap.
"""
from __future__ import annotations

import contextlib
import email.utils
import http.client
import socket
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import Callable

from .. import __version__
from ..wording import plural

DEFAULT_DELAY = 0.5
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 4
DEFAULT_BACKOFF = 2.0
MAX_BACKOFF = 120.0
MAX_REDIRECTS = 5
#: Longest server reason phrase kept in a message (the rest is the server's prose, not ours to print).
_MAX_REASON = 80
_CHUNK = 64 * 1024

USER_AGENT = ("parlsearch/%s (local full-text search over parliamentary questions; one request at a "
              "time)" % __version__)


class FetchError(Exception):
    """A download that failed (after its retries). `reason` may hold the server's words: sanitise to print."""

    def __init__(self, url: str, reason: str, transient: bool = True):
        super().__init__("%s: %s" % (url, reason))
        self.url = url
        self.reason = reason
        self.transient = transient


class Transient(Exception):
    """Worth retrying: a network error, a timeout, a truncated body, 408, 429 or a 5xx answer."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class Permanent(Exception):
    """Not worth retrying now (404, another site, a page without the expected content…)."""


@dataclass
class Response:
    url: str
    status: int
    body: bytes
    content_type: str = ""
    charset: str | None = None


@dataclass(frozen=True)
class Origin:
    """scheme://host:port, the only place a client talks to."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> "Origin":
        parts = urllib.parse.urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("base URL must be http(s)://host[:port]: %r" % url)
        try:
            port = parts.port
        except ValueError:
            raise ValueError("base URL has an invalid port: %r" % url) from None
        return cls(scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80))

    def __str__(self) -> str:
        return "%s://%s:%d" % (self.scheme, self.host, self.port)


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After value: delay-seconds ("120") or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value[:9])
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # HTTP dates are GMT
        import datetime as dt
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, when.timestamp() - now)


def _short(reason: str) -> str:
    reason = " ".join(str(reason).split())
    return reason[:_MAX_REASON] + ("…" if len(reason) > _MAX_REASON else "")


class _Watchdog:
    """Shuts a socket down when the request's deadline passes, ending any blocked read or connect."""

    def __init__(self, seconds: float):
        self.fired = False
        self._sock = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, seconds), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock) -> None:
        with self._lock:
            self._sock = sock
            if self.fired:
                self._shutdown()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


class _HTTPConnection(http.client.HTTPConnection):
    """Calls `on_socket(sock)` as soon as the TCP connection exists, so the watchdog can end what follows."""

    on_socket = None

    def connect(self):
        super().connect()
        if self.on_socket is not None:
            self.on_socket(self.sock)


class _HTTPSConnection(_HTTPConnection):
    """HTTPS with certificate and host name checks; the watchdog sees the socket before the TLS handshake."""

    default_port = http.client.HTTPS_PORT

    def __init__(self, host, port=None, *, timeout=None):
        super().__init__(host, port, timeout=timeout)
        self.tls = ssl.create_default_context()

    def connect(self):
        super().connect()
        self.sock = self.tls.wrap_socket(self.sock, server_hostname=self.host)


class PoliteClient:
    """Sequential GETs to one origin over one kept-alive connection (see the module docstring)."""

    def __init__(self, base_url: str, *, user_agent: str = USER_AGENT, delay: float = DEFAULT_DELAY,
                 timeout: float = DEFAULT_TIMEOUT, retries: int = DEFAULT_RETRIES, backoff: float = DEFAULT_BACKOFF,
                 max_backoff: float = MAX_BACKOFF, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, now: Callable[[], float] = time.time,
                 on_retry: Callable[..., None] | None = None):
        self.origin = Origin.of(base_url)
        self.user_agent = user_agent
        self.delay = max(0.0, delay)
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = max(0.0, backoff)
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.clock = clock
        self.now = now
        self.on_retry = on_retry
        self.requests = 0
        self.connections = 0
        self.bytes = 0
        self._last_end: float | None = None
        self._conn: http.client.HTTPConnection | None = None

    # -- connection

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            o = self.origin
            if o.scheme == "https":
                self._conn = _HTTPSConnection(o.host, o.port, timeout=self.timeout)
            else:
                self._conn = _HTTPConnection(o.host, o.port, timeout=self.timeout)
            self.connections += 1
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- requests

    def _wait(self, at_least: float = 0.0) -> None:
        wait = at_least
        if self._last_end is not None:
            wait = max(wait, self.delay - (self.clock() - self._last_end))
        if wait > 0:
            self.sleep(wait)

    def get(self, url: str, *, max_bytes: int,
            check: Callable[[Response], object] | None = None) -> tuple[Response, object]:
        """GET `url` (a body of at most `max_bytes`), retrying transient failures; `check(response)` may raise
        Transient/Permanent.

        Returns (response, check result). Raises FetchError when the download finally fails.
        """
        attempt = 0
        backoff_wait = 0.0
        while True:
            self._wait(backoff_wait)
            try:
                response = self._follow(url, max_bytes)
                result = check(response) if check else None
                return response, result
            except Permanent as e:
                raise FetchError(url, str(e), transient=False) from None
            except Transient as e:
                attempt += 1
                if attempt > self.retries:
                    raise FetchError(url, "%s (gave up after %s)" % (e, plural(attempt, "attempt"))) from None
                backoff_wait = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
                if e.retry_after is not None:
                    backoff_wait = min(self.max_backoff, max(backoff_wait, e.retry_after))
                if self.on_retry:
                    self.on_retry(url=url, reason=str(e), attempt=attempt, wait=backoff_wait)

    def _target(self, url: str) -> str:
        """The request target (path?query) of `url`, which must be on the client's origin."""
        try:
            origin = Origin.of(url)
        except ValueError:
            origin = None
        if origin != self.origin:
            raise Permanent("redirected to another site (%s), not followed" % (origin or "an invalid URL"))
        parts = urllib.parse.urlsplit(url)
        return (parts.path or "/") + ("?" + parts.query if parts.query else "")

    def _follow(self, url: str, max_bytes: int) -> Response:
        target = self._target(url)
        for _ in range(MAX_REDIRECTS + 1):
            status, headers, body = self._once(target, max_bytes)
            if status in (301, 302, 303, 307, 308) and headers.get("Location"):
                url = urllib.parse.urljoin(str(self.origin) + target, headers.get("Location").strip())
                target = self._target(url)
                continue
            if status >= 500 or status in (408, 429):
                raise Transient("HTTP %d %s" % (status, _short(headers.reason)),
                                retry_after(headers.get("Retry-After"), self.now()))
            if status >= 400:
                raise Permanent("HTTP %d %s" % (status, _short(headers.reason)))
            if status != 200:
                raise Permanent("unexpected HTTP %d %s" % (status, _short(headers.reason)))
            return Response(url=str(self.origin) + target, status=status, body=body,
                            content_type=headers.get_content_type(), charset=headers.get_content_charset())
        raise Permanent("more than %d redirects" % MAX_REDIRECTS)

    def _once(self, target: str, max_bytes: int):
        """One request on the kept-alive connection; (status, headers with .reason, body)."""
        self.requests += 1
        start = self.clock()
        deadline = start + self.timeout
        dog = _Watchdog(self.timeout)
        fresh = self._conn is None
        try:
            for retry_stale in (True, False):
                conn = self._connection()
                try:
                    if conn.sock is None:
                        conn.on_socket = dog.watch  # watched from the TCP connect on, TLS handshake included
                        conn.connect()
                        fresh = True
                    dog.watch(conn.sock)
                    conn.request("GET", target, headers={
                        "User-Agent": self.user_agent,
                        "Accept": "text/html,application/json;q=0.9,*/*;q=0.5",
                        "Accept-Encoding": "identity",
                    })
                    resp = conn.getresponse()
                    break
                except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                    # A kept-alive connection the server closed while idle: once more on a new one.
                    self.close()
                    if fresh or not retry_stale or dog.fired:
                        raise
                    fresh = True
            resp.msg.reason = resp.reason  # (kept with the headers for messages)
            body = self._read_body(resp, max_bytes, deadline, dog)
            resp.close()  # the response only: the connection stays open for the next request
            if resp.will_close:
                self.close()
            return resp.status, resp.msg, body
        except (Transient, Permanent):
            self.close()
            raise
        except Exception as e:
            self.close()
            if dog.fired or isinstance(e, (socket.timeout, TimeoutError)):
                raise Transient("timed out after %gs" % self.timeout) from None
            if isinstance(e, http.client.IncompleteRead):
                raise Transient("truncated body (%s read)" % plural(len(e.partial), "byte")) from None
            if isinstance(e, ssl.SSLCertVerificationError):
                raise Permanent("TLS certificate not valid: %s" % _short(e.verify_message or e)) from None
            if isinstance(e, (http.client.HTTPException, OSError)):
                raise Transient("network error: %s" % _short(getattr(e, "strerror", None) or str(e)
                                                             or type(e).__name__)) from None
            raise
        finally:
            dog.cancel()
            self._last_end = self.clock()

    def _read_body(self, resp, max_bytes: int, deadline: float, dog: _Watchdog) -> bytes:
        expected = resp.length if resp.chunked is False else None
        if expected is not None and expected > max_bytes:
            raise Permanent("body too large (%d bytes)" % expected)
        chunks, total = [], 0
        while True:
            # read1: at most one read from the socket, so the deadline is checked between the server's
            # writes, however small they are (read(n) would wait for n bytes).
            chunk = resp.read1(_CHUNK)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise Permanent("body too large (over %d bytes)" % max_bytes)
            if dog.fired or self.clock() > deadline:
                raise Transient("timed out after %gs (the body was still coming)" % self.timeout)
        if dog.fired:
            raise Transient("timed out after %gs" % self.timeout)
        self.bytes += total
        if expected is not None and total < expected:
            raise Transient("truncated body (%d of %s)" % (total, plural(expected, "byte")))
        return b"".join(chunks)
