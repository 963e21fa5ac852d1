"""A stand-in for the Parliament's site, on 127.0.0.1, for the fetch tests (never the real site).

    site = FakeSite()                     # serves the recorded index sample + the two recorded pages
    with site.running() as base_url:      # http://127.0.0.1:<port>
        ...
    site.script("1-167852.fr", [Reply(status=500), Reply(status=500)])   # then the normal page
    site.requests                         # [(monotonic time, path, user agent), …]

Pages that were not recorded are generated from the index row in the layout of the official page (French
and Dutch): written questions get a question text (and an answer when `site.answers` has one), other
types get a page without text, like the site's oral questions.
"""
from __future__ import annotations

import contextlib
import html
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
INDEX_SAMPLE = ROOT / "tests" / "data" / "index-sample-24-29.json"
PAGES = ROOT / "corpus" / "data" / "pages"
CORPUS = ROOT / "corpus" / "data" / "brussels-written-questions-2024-2029.json"
RECORDED = ("167744", "170294")


@dataclass
class Reply:
    """One scripted answer to one request (consumed in order, then the normal page is served)."""

    status: int = 200
    body: bytes | None = None          # None: the normal page
    content_type: str = "text/html; charset=UTF-8"
    sleep: float = 0.0                 # before answering (a timeout when longer than the client's)
    truncate: int | None = None        # send only this many bytes, announcing the full length, then close
    no_length: bool = False            # no Content-Length header (the end of the body is the close)
    headers: tuple = ()
    reason: str | None = None          # the status line's reason phrase (None: the standard one)
    drip: str | None = None            # "body" or "headers": one byte per drip_step seconds (see FakeSite)


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def index_rows() -> list[list[str]]:
    """The recorded index sample, plus rows for the two recorded pages (from the bundled corpus)."""
    rows = json.loads(INDEX_SAMPLE.read_text(encoding="utf-8"))["data"]
    records = {r["moncode"]: r for r in json.loads(CORPUS.read_text(encoding="utf-8"))["questions"]}
    extra = []
    for moncode in RECORDED:
        r = records[moncode]
        d = r["date_reception"]
        extra.append(row(moncode, title=r["titre"], title_nl=r.get("titre_nl") or "", author=r["auteur"],
                         recipient=r["destinataire"], date="%s/%s/%s" % (d[8:10], d[5:7], d[0:4])))
    return extra + rows


def row(moncode: str, *, base: int = 1, title: str, title_nl: str = "", author: str = "Jane Doe",
        recipient: str = "John Roe - Ministre", date: str = "01/09/2026", type_fr: str = "question écrite",
        type_nl: str = "schriftelijke vraag", code: str = "1", report: str = "") -> list[str]:
    """An index row in the site's escaped positional form."""
    link = '<a href="/weblex-quest-det/?moncode=%s&montitre=&base=%d">fiche</a>' % (moncode, base)
    link_nl = '<a href="/weblex-quest-det/?moncode=%s&montitre=&base=%d&lang=nl">fiche</a>' % (moncode, base)
    rep = '<a target=_blank href="%s">B.I.Q. 1 (25/26) p. 1</a>' % report if report else ""
    e = lambda s: html.escape(s).replace("&#x27;", "&#39;")  # noqa: E731
    return ["PRB", "BHP", link, link_nl, "24/29", date, e(type_fr), e(type_nl), e(title), e(title_nl), e(author),
            e(recipient), e(recipient), rep, rep.replace("images.pdf", "images-n.pdf"), code]


_LABELS = {
    "fr": dict(html_lang="fr-FR", by="de", to="&agrave;", received="Date de r&eacute;ception",
               published="Date de publication", legislature="L&eacute;gislature", session="Session",
               answered="Date de r&eacute;ponse", question="Question", answer="R&eacute;ponse"),
    "nl": dict(html_lang="nl-NL", by="van", to="aan", received="Datum ontvangst", published="Datum publicatie",
               legislature="Zittingsperiode", session="Zitting", answered="Datum antwoord", question="Vraag",
               answer="Antwoord"),
}


def make_page(*, lang: str, title: str, author: str, recipient: str, date: str, question: str = "",
              answer: str = "", number: int = 1, moncode: str = "1", base: int = 1) -> str:
    """A page in the layout of the official Weblex question page (see corpus/data/pages)."""
    lab = _LABELS[lang]
    name, _, portfolio = recipient.partition(" - ")
    body = ""
    if question:
        body = ('&nbsp;<table width="100%%">\n\t\t\t<tr>\n\t\t\t\t\t<td style="padding-right: 20px;vertical-align: '
                'top;"><b>%s &nbsp;&nbsp;</b>\n\t\t\t\t\t<td valign="top"><p>%s</p>\n</td>\n\t\t\t</tr>'
                % (lab["question"], _esc(question)))
        if answer:
            body += ('\n\t\t<tr><td></td><td style="border-bottom: 1px solid;">&nbsp;</td></tr>\n\t\t<tr><td '
                     'colspan=2>&nbsp;</td></tr>\n\t\t<tr>\n\t\t\t<td style="padding-right: 20px;vertical-align: '
                     'top;"><b>%s &nbsp;&nbsp;</b>\n\t\t\t<td valign="top"><SPAN STYLE= "" >%s</SPAN></td>\n\t\t\t</tr>'
                     % (lab["answer"], _esc(answer)))
        body += "</table>"
    return """<!-- 10.80.42.56 --><!DOCTYPE html>
<html lang="%(html_lang)s" class="page-template-default page page-id-11936">
<head>
\t<meta charset="UTF-8">
    <title>Weblex</title>
\t<link rel="alternate" hreflang="fr" href="https://www.parlement.brussels/weblex-quest-det/?moncode=%(moncode)s&#038;base=%(base)d" />
<link rel="alternate" hreflang="nl" href="https://www.parlement.brussels/weblex-quest-det/?lang=nl&#038;moncode=%(moncode)s&#038;base=%(base)d" />
</head>
<body   >
\t<div id="main">
<section id="weblex-quest-det-%(lang)s" class="sectionFlexibleBlocks  sectionNoShadow ">
   <div class="contentSectionFlexibleBlocks">
<div class="blockOneColumn appear  width-70">
            <div class="high"><div>

<!-- %(LANG)s -->

<h3>%(title)s</h3>

<dl>
<dt>%(by)s </dt><b><dd>%(author)s</dd></b><dt>%(to)s</dt><dd><b>%(name)s</b>, %(portfolio)s (question n&deg;%(number)d)</dd><br/>
</dl>

&nbsp;

<table width="100%%" border=0>
\t<tr>
\t\t<td width="40%%" colspan="2">
\t\t\t<b>%(received)s:</b> %(date)s\t\t</td>
\t\t<td width="30%%">
\t\t\t<b>%(published)s:</b> \t\t</td>
\t\t<td width="30%%">
\t\t\t\t\t</td>
\t</tr>
\t<tr>
\t\t<td width="20%%"><b>%(legislature)s:</b> 24/29</td>
\t\t<td width="20%%"><b>%(session)s:</b> 25/26</td>
\t\t<td width="30%%">
\t\t\t<b>%(answered)s:</b> \t\t</td>
\t\t<td width="30%%">
\t\t\t\t\t</td>
\t</tr>
</table>

%(body)s</div>
</div>
</div>
    </div>
</section>
\t</div>
</body>
</html>
""" % dict(lab, lang=lang, LANG=lang.upper(), title=_esc(title), author=_esc(author), name=_esc(name),
           portfolio=_esc(portfolio), number=number, date=date, body=body, moncode=moncode, base=base)


class FakeSite:
    """The index and question pages, with scripted misbehaviour per page."""

    def __init__(self, rows: list[list[str]] | None = None):
        self.rows = rows if rows is not None else index_rows()
        self.answers: dict[str, str] = {}      # "<moncode>" → answer text to put on its generated page
        self.overrides: dict[str, bytes] = {}  # "<base>-<moncode>.<lang>" → page bytes
        self.scripts: dict[str, list[Reply]] = {}
        self.slow: float = 0.0                 # seconds before every page answer
        self.trickle: float = 0.0              # seconds between the two halves of every page body
        self.mid_body = threading.Event()      # set when a trickled page is half sent (its pause begins)
        self.requests: list[tuple[float, str, str]] = []
        self.connections = 0                   # TCP connections accepted
        # A dripping reply sends one byte per drip_step seconds until it is done (drip_done is then set) or
        # until stop_drip is set (the test sets it once the client gave up): bounded at drip_bytes bytes.
        self.drip_step = 0.005
        self.drip_bytes = 3000
        self.drip_started = threading.Event()
        self.drip_done = threading.Event()
        self.stop_drip = threading.Event()
        self.lock = threading.Lock()
        self._server = None

    # -- content

    def script(self, page: str, replies: list[Reply]) -> None:
        """Scripted replies for "<base>-<moncode>.<lang>" or "index"."""
        self.scripts[page] = list(replies)

    def index_bytes(self) -> bytes:
        return json.dumps({"data": self.rows}, ensure_ascii=False).encode("utf-8")

    def page_bytes(self, base: int, moncode: str, lang: str) -> bytes | None:
        key = "%d-%s.%s" % (base, moncode, lang)
        if key in self.overrides:
            return self.overrides[key]
        if lang == "fr" and moncode in RECORDED and moncode not in self.answers:
            return (PAGES / ("weblex-quest-det-%s.html" % moncode)).read_bytes()
        for r in self.rows:
            if 'moncode=%s&' % moncode in r[2] and 'base=%d"' % base in r[2]:
                return self._generated(r, lang).encode("utf-8")
        return None

    def _generated(self, r: list[str], lang: str) -> str:
        u = html.unescape
        moncode = r[2].split("moncode=")[1].split("&")[0]
        base = int(r[2].split("base=")[1].split('"')[0])
        written = r[15] == "1"
        title = u(r[8] if lang == "fr" else r[9])
        if lang == "fr":
            question = "Texte de la question %s sur %s." % (moncode, u(r[8])[27:]) if written else ""
            answer = self.answers.get(moncode, "")
        else:
            question = "Tekst van vraag %s over %s." % (moncode, u(r[9])[37:]) if written else ""
            answer = ("Antwoord: " + self.answers[moncode]) if moncode in self.answers else ""
        return make_page(lang=lang, title=title, author=u(r[10]), recipient=u(r[11] if lang == "fr" else r[12]),
                         date=r[5], question=question, answer=answer, number=int(moncode) % 1000,
                         moncode=moncode, base=base)

    # -- server

    @contextlib.contextmanager
    def running(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                with site.lock:
                    site.connections += 1

            def do_GET(self):
                try:
                    site._handle(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        self._server = server
        try:
            yield "http://127.0.0.1:%d" % server.server_address[1]
        finally:
            server.shutdown()
            server.server_close()

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.requests.append((time.monotonic(), h.path, h.headers.get("User-Agent", "")))
        url = urlsplit(h.path)
        body, key, ctype = None, None, "text/html; charset=UTF-8"
        if url.path.startswith("/prb_includes/weblex/data/dos_qu_legis_24-29.json"):
            key, body, ctype = "index", self.index_bytes(), "application/json"
        elif url.path.rstrip("/") == "/weblex-quest-det":
            q = parse_qs(url.query)
            moncode, base = q.get("moncode", [""])[0], int(q.get("base", ["1"])[0])
            lang = q.get("lang", ["fr"])[0]
            key = "%d-%s.%s" % (base, moncode, lang)
            body = self.page_bytes(base, moncode, lang)
            if self.slow:
                time.sleep(self.slow)
        with self.lock:
            replies = self.scripts.get(key) if key else None
            reply = replies.pop(0) if replies else Reply()
        if reply.sleep:
            time.sleep(reply.sleep)
        if reply.body is not None:
            body = reply.body
        if body is None or reply.status == 404:
            return self._send(h, 404, b"<html><body>Not found</body></html>", "text/html", reason=reply.reason)
        if reply.drip:
            return self._drip(h, body, reply.drip)
        if reply.status != 200:
            return self._send(h, reply.status, b"<html><body>Server error</body></html>", "text/html",
                              reply.headers, reason=reply.reason)
        self._send(h, 200, body, reply.content_type if reply.body is not None else ctype, reply.headers,
                   truncate=reply.truncate, no_length=reply.no_length, trickle=self.trickle if key != "index" else 0,
                   mid_body=self.mid_body)

    def _drip(self, h, body: bytes, where: str) -> None:
        """Headers then body, or the headers themselves, one byte at a time (a server that never ends)."""
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Length: %d\r\n\r\n" % (
            self.drip_bytes)
        if where == "body":
            h.wfile.write(head)
            data = (body * (self.drip_bytes // len(body) + 1))[:self.drip_bytes]
        else:
            data = b"HTTP/1.1 200 OK\r\nX-Padding: " + b"x" * self.drip_bytes  # headers that never end
        h.close_connection = True
        self.drip_started.set()
        for i in range(len(data)):
            if self.stop_drip.wait(self.drip_step):
                return
            try:
                h.wfile.write(data[i:i + 1])
                h.wfile.flush()
            except OSError:  # the client hung up
                return
        self.drip_done.set()

    @staticmethod
    def _send(h, status, body, ctype, headers=(), truncate=None, no_length=False, trickle=0.0, reason=None,
              mid_body=None):
        h.send_response(status, reason)
        h.send_header("Content-Type", ctype)
        if no_length:
            h.send_header("Connection", "close")
            h.close_connection = True
        else:
            h.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            h.send_header(name, value)
        h.end_headers()
        if truncate is not None:
            h.wfile.write(body[:truncate])
            h.wfile.flush()
            h.close_connection = True
            return
        if trickle:
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            if mid_body is not None:
                mid_body.set()
            time.sleep(trickle)  # (the server's pace, not a synchronisation)
            h.wfile.write(body[len(body) // 2:])
        else:
            h.wfile.write(body)
