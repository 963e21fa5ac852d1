"""`parlsearch serve`'s server layer (issue 19): a real server on a free loopback port, spoken to with raw
sockets where only a real server sees the difference — half-open connections, slow requests, malformed
requests and their error pages, the Host header — and the engines behind it: requests run side by side
(no lock around another's whole search), each under a CPU budget.

No timed assertions: the threads of a test meet on events; a wait has a generous bound only so that a
server that never answers fails the test instead of hanging it."""
import json
import signal
import socket
import subprocess
import threading

import pytest

pytest.importorskip("flask")

from parlsearch.search.web import app as web  # noqa: E402

from helpers import parlsearch_argv  # noqa: E402
from web_helpers import get, raw_http  # noqa: E402

#: Upper bound of a wait that only a broken server reaches (never a measure of speed).
GUARD = 60


@pytest.fixture
def serving(bundled_index):
    """Start a server over the bundled index; yields a function (options → port) and stops them all after."""
    running = []

    def start(**options):
        app = web.create_app(bundled_index)
        server = web.make_server(app, "127.0.0.1", 0, **options)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        running.append((app, server, thread))
        return server.server_port

    yield start
    for app, server, thread in running:
        server.shutdown()
        thread.join(GUARD)
        server.server_close()
        app.extensions["parlsearch"].close()


def request(port: int, target: str = "/api/stats", host: str | None = None, extra: bytes = b"") -> bytes:
    host = "127.0.0.1:%d" % port if host is None else host
    return (b"GET %s HTTP/1.1\r\nHost: %s\r\n%sConnection: close\r\n\r\n"
            % (target.encode(), host.encode("latin-1"), extra))


# -- connections --------------------------------------------------------------------------------------

def test_half_open_connections_hold_no_thread(serving):
    """300 half-open connections made the development server start 301 threads; now a connection that has
    not sent a whole request costs no thread, and the server still answers."""
    port = serving()
    threads_before = threading.active_count()
    socks = []
    try:
        for _ in range(50):
            sock = socket.create_connection(("127.0.0.1", port), timeout=GUARD)
            sock.sendall(b"GET /?q=tram HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
            socks.append(sock)
        # Accepted in order: once this request is answered, the 50 before it were accepted too.
        status, _, body = raw_http(port, request(port))
        assert status == 200 and json.loads(body)["documents"] == 107
        assert threading.active_count() == threads_before
    finally:
        for sock in socks:
            sock.close()


def test_a_request_that_never_ends_is_closed(serving):
    """A client that sends its headers a byte at a time (slow loris) is cut off REQUEST_READ_SECONDS after
    its first byte, although it is never idle."""
    port = serving(read_seconds=0.5)
    with socket.create_connection(("127.0.0.1", port), timeout=GUARD) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        sock.settimeout(0.2)
        closed = False
        for _ in range(int(GUARD / 0.2)):
            try:
                sock.sendall(b"X")
                data = sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:  # reset by the server
                closed = True
                break
            if not data:
                closed = True
                break
        assert closed


@pytest.mark.parametrize("status, data", [
    (400, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad header line\r\n\r\n"),
    (413, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000\r\n\r\n"),
    (414, b"GET /?q=" + b"a" * (60 * 1024) + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
    (431, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * (70 * 1024) + b"\r\n\r\n"),
    (501, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
    (505, b"GET / HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n"),
    (505, b"GET /\r\n\r\n"),  # HTTP/0.9
], ids=["400", "413", "414", "431", "501", "505", "0.9"])
def test_server_error_pages_carry_the_security_headers(serving, status, data):
    port = serving()
    got, headers, body = raw_http(port, data)
    assert got == status, body[:200]
    assert headers["content-security-policy"] == web.CONTENT_SECURITY_POLICY
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-type"].startswith("text/plain")


def test_limits_are_coherent():
    """The longest page URL the forms allow (a whole draft question, every character percent-encoded as
    three UTF-8 bytes) fits the request-target limit, which fits the header limit."""
    from parlsearch.search.web import server as web_server
    draft = len("/similar?text=") + 9 * web.MAX_DRAFT_CHARS
    assert draft < web_server.MAX_TARGET_BYTES < web_server.MAX_HEADER_BYTES


def test_head_and_options_are_refused(bundled_index):
    """Read-only means GET only: HEAD and OPTIONS (which Flask would answer by itself) get 405 too."""
    app = web.create_app(bundled_index)
    client = app.test_client()
    try:
        for method in (client.head, client.options, client.post, client.delete):
            for path in ("/", "/api/search", "/static/style.css", "/nowhere"):
                response = method(path)
                assert response.status_code == 405, (method, path)
                assert response.headers["Allow"] == "GET"
                assert response.headers["Content-Security-Policy"] == web.CONTENT_SECURITY_POLICY
    finally:
        app.extensions["parlsearch"].close()


# -- Host ---------------------------------------------------------------------------------------------

def test_host_header_must_name_the_served_address(serving):
    """DNS rebinding: a request naming another host is refused (421, with the security headers); the
    served address's own forms are answered."""
    port = serving()
    for host in ("127.0.0.1:%d" % port, "localhost:%d" % port, "[::1]:%d" % port, "LOCALHOST:%d" % port,
                 "localhost"):
        status, _, _ = raw_http(port, request(port, host=host))
        assert status == 200, host
    for host in ("evil.example:%d" % port, "evil.example", "127.0.0.1:%d" % (port + 1),
                 "127.0.0.1.evil.example:%d" % port, "", "localhost:%d:1" % port):
        status, headers, body = raw_http(port, request(port, host=host))
        assert status == 421, host
        assert headers["content-security-policy"] == web.CONTENT_SECURITY_POLICY
        assert b"--allow-host" in body


def test_allow_host_adds_a_name(serving):
    port = serving(allow_hosts=["parl.example.org"])
    assert raw_http(port, request(port, host="parl.example.org"))[0] == 200
    assert raw_http(port, request(port, host="Parl.Example.Org:%d" % port))[0] == 200
    assert raw_http(port, request(port, host="other.example.org"))[0] == 421


def test_host_forms():
    from parlsearch.search.web.server import HostCheck
    check = HostCheck("127.0.0.1", port=8765)
    assert all(check.allows(h) for h in ("127.0.0.1:8765", "localhost:8765", "[::1]:8765", "localhost.:8765",
                                         "127.0.0.1", "[::1]"))
    assert not any(check.allows(h) for h in (None, "", "::1", "::1:8765", "[::1]x", "localhost:80", "localhost:",
                                             "10.0.0.1:8765", "example.org:8765", "localhost:8765x"))
    everywhere = HostCheck("0.0.0.0", port=8765)  # any address: an IP literal cannot be a rebound name
    assert everywhere.allows("192.168.1.20:8765") and everywhere.allows("[fe80::1]:8765")
    assert not everywhere.allows("attacker.example:8765")


def test_api_stats_does_not_show_where_the_index_is(bundled_index):
    app = web.create_app(bundled_index)
    try:
        body = get(app.test_client(), "/api/stats").get_data(as_text=True)
        assert str(bundled_index) not in body and bundled_index.name not in json.loads(body)
        assert "index" not in json.loads(body)
    finally:
        app.extensions["parlsearch"].close()


# -- engines: side by side, budgeted ------------------------------------------------------------------

def test_a_request_does_not_wait_for_another_ones_search(bundled_index, monkeypatch):
    """One engine behind one lock made every request wait for the whole search before it: while one
    request is inside the engine, another one is answered."""
    from parlsearch.search.engine.core import Engine
    original = Engine.search
    inside, release = threading.Event(), threading.Event()

    def search(self, text, **kwargs):
        if text == "blocking":
            inside.set()
            release.wait(GUARD)
        return original(self, text, **kwargs)

    monkeypatch.setattr(Engine, "search", search)
    app = web.create_app(bundled_index)
    answers = {}

    def fetch(name, q):
        answers[name] = app.test_client().get("/api/search?q=" + q).status_code

    slow = threading.Thread(target=fetch, args=("slow", "blocking"))
    slow.start()
    try:
        assert inside.wait(GUARD)
        quick = threading.Thread(target=fetch, args=("quick", "tram"))
        quick.start()
        quick.join(GUARD)
        assert answers.get("quick") == 200 and "slow" not in answers
    finally:
        release.set()
        slow.join(GUARD)
        app.extensions["parlsearch"].close()
    assert answers["slow"] == 200


def test_engines_are_bounded_and_each_picks_up_a_new_commit(index_copy, tmp_path):
    from parlsearch.index.update import update_index
    from parlsearch.search.web.engines import EnginePool
    pool = EnginePool(index_copy, size=2)
    holding, release, third_in = threading.Event(), threading.Event(), threading.Event()

    def hold():
        with pool.use():
            holding.set()
            release.wait(GUARD)

    first = threading.Thread(target=hold)
    first.start()
    assert holding.wait(GUARD)
    with pool.use() as engine:  # the second engine
        assert engine.search("zeppelinodrome").total == 0

        def third():
            with pool.use():
                third_in.set()

        waiting = threading.Thread(target=third)
        waiting.start()
        assert not third_in.is_set() and pool.opened == 2
    waiting.join(GUARD)  # it got the engine this block gave back
    assert third_in.is_set() and pool.opened == 2
    release.set()
    first.join(GUARD)

    record = tmp_path / "new.jsonl"
    record.write_text(json.dumps({"moncode": "999001", "titre": "Question écrite concernant le zeppelinodrome",
                                  "question": "Un zeppelinodrome ?", "date_reception": "2026-01-02"}) + "\n")
    update_index([record], index_copy)
    for _ in range(2):  # both engines, one after the other
        with pool.use() as a, pool.use() as b:
            assert a.search("zeppelinodrome").total == 1 and b.search("zeppelinodrome").total == 1
    assert pool.reopened == 2 and pool.opened == 2
    pool.close()


def test_each_request_has_a_cpu_budget(bundled_index, monkeypatch):
    """A request's engine calls get a Budget of the configured CPU seconds; when it is spent, the query is
    refused like a malformed one (400, one line), and the next request is answered."""
    from parlsearch.search.engine.budget import DEFAULT_WEB_SECONDS, Budget
    from parlsearch.search.engine.core import Engine
    original, seen = Engine.search, []

    def search(self, text, *, budget=None, **kwargs):
        seen.append(budget)
        if text == "costly":
            while True:  # burns CPU until its budget stops it
                budget.check()
        return original(self, text, **kwargs)

    monkeypatch.setattr(Engine, "search", search)
    app = web.create_app(bundled_index, budget_seconds=0.05)
    client = app.test_client()
    try:
        error = json.loads(get(client, "/api/search", 400, q="costly").data)
        assert error["code"] == "query_too_costly" and error["parameter"] == "q"
        assert "\n" not in error["error"]
        page = get(client, "/", 400, q="costly").get_data(as_text=True)
        assert "Recherche trop coûteuse" in page and 'value="costly"' in page
        assert get(client, "/api/search", q="tram").status_code == 200
        assert all(isinstance(b, Budget) and b.seconds == 0.05 for b in seen)
        assert len({id(b) for b in seen}) == len(seen)  # one budget per request
    finally:
        app.extensions["parlsearch"].close()
    default = web.create_app(bundled_index)
    try:
        get(default.test_client(), "/api/search", q="tram")
        assert seen[-1].seconds == DEFAULT_WEB_SECONDS
    finally:
        default.extensions["parlsearch"].close()


# -- the command --------------------------------------------------------------------------------------

def test_serve_stops_cleanly_on_ctrl_c(bundled_index, cli_env):
    proc = subprocess.Popen(parlsearch_argv() + ["serve", "--index", str(bundled_index), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env)
    try:
        url = proc.stdout.readline().strip()
        port = int(url.rsplit(":", 1)[1].strip("/"))
        assert raw_http(port, request(port))[0] == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=GUARD)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert err.startswith("parlsearch: serving ") and "Traceback" not in err and len(err.splitlines()) == 1
