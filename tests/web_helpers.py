"""Helpers shared by the web page's tests (test_web*.py, test_browser.py): requests through Flask's test
client, a small HTML parser to check structure without regular expressions over HTML, and raw HTTP over a
socket for what only a real server sees."""
import socket
import urllib.parse
from html.parser import HTMLParser


def get(client, path, expect=200, **params):
    url = path + ("?" + urllib.parse.urlencode(params) if params else "")
    response = client.get(url)
    assert response.status_code == expect, (url, response.status_code, response.data[:500])
    return response


def html(response) -> str:
    return response.get_data(as_text=True)


class Page(HTMLParser):
    """Tags, attributes and text of a page, to check structure without regular expressions over HTML."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags, self.text, self._stack = [], [], []
        self.marks = []
        self.title = ""
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass

    def handle_data(self, data):
        self.text.append(data)
        if self._stack and self._stack[-1] == "mark":
            self.marks.append(data)
        if self._stack and self._stack[-1] == "title" and "svg" not in self._stack:  # the page's, not a chart's
            self.title += data

    def find(self, tag, **attrs):
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


def hit_ids(page: Page) -> list[str]:
    return [a["href"].split("?")[0].rsplit("/", 1)[1] for a in page.find("a") if a.get("href", "").startswith("/doc/")
            and "?q=" in a.get("href", "")]


def raw_http(port: int, data: bytes, host: str = "127.0.0.1", timeout: float = 30) -> tuple[int, dict, bytes]:
    """Send `data` as it is to the server and read its answer until it closes or one response is complete:
    (status, headers with lower-case names, body)."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(data)
        received = b""
        while True:
            head, sep, body = received.partition(b"\r\n\r\n")
            if sep:
                lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = headers.get("content-length")
                if length is not None and len(body) >= int(length):
                    return int(lines[0].split()[1]), headers, body[:int(length)]
            chunk = sock.recv(65536)
            if not chunk:
                if not sep:
                    raise ConnectionError("closed without an answer: %r" % received[:200])
                return int(lines[0].split()[1]), headers, body
            received += chunk
