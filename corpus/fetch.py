"""Keep a local cache of the Parliament's Weblex index and question pages in step with the site.

    summary = fetch("~/.cache/parlsearch", legislatures=["2024-2029"], lang="both")
    print(summary)      # new, changed, unchanged, up to date, failed

Cache layout (everything a re-index needs, readable offline by ``corpus.reader.read_paths(CACHE)``, which
makes one document per index row, merged with the page of the same question; see PageStore):

    CACHE/index/dos_qu_legis_24-29.json     the official index of a legislature, as served
    CACHE/pages/<base>-<moncode>.fr.html    the French page of a question as served (in UTF-8), with the
                                            question section of its Dutch page added before </body>
    CACHE/pages/<base>-<moncode>.nl.html    the Dutch page, for a question with no French text/page
    CACHE/.notext/<base>-<moncode>.*.html   pages without question text (hidden from the reader)
    CACHE/.state/pages.jsonl                what was fetched when, and what it held (hidden from the reader)
    CACHE/.state/lock                       one fetch at a time per cache

Every file is written to a hidden temporary file in the same directory, then renamed over the target
(``os.replace``), so a fetch interrupted at any point (Ctrl-C, SIGKILL, power cut) leaves either the old or
the new file, never half of one; leftover temporary files are removed by the next run. The state journal is
append-only (one JSON line per page, a torn last line is ignored) and compacted at the end of a run.

What gets (re-)downloaded: pages not in the cache; pages whose index row changed since they were fetched
(new report link, corrected title…); pages without an answer yet, once they are older than
``recheck_days`` (to pick up answers); everything with ``refresh=True``. Answered pages are not requested
again.

Politeness: one request at a time, ``delay`` seconds (default 0.5) between the end of a request and the
start of the next, a descriptive User-Agent, retries with exponential backoff on network errors, timeouts,
truncated bodies, 429 and 5xx answers, and a clear stop after ``max_failures`` pages in a row failed.

Run as a program: ``python -m corpus.fetch --cache DIR [--base-url URL] …`` (see ``--help``).
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import http.client
import json
import os
import re
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .model import parse_date
from .text import DecodeError, PageError, decode_bytes
from .weblex_index import IndexRow, RowError, is_index, iter_rows

try:  # the package version, for the User-Agent
    from importlib.metadata import version as _version

    __version__ = _version("parlsearch")
except Exception:  # not installed (running from a checkout)
    __version__ = "0.1"

DEFAULT_BASE_URL = "https://www.parlement.brussels"
DEFAULT_LEGISLATURE = "2024-2029"
DEFAULT_DELAY = 0.5
#: Whatever the options say, never faster than this against the Parliament's own site.
MIN_OFFICIAL_DELAY = 0.5
OFFICIAL_HOSTS = ("www.parlement.brussels", "parlement.brussels", "www.parlament.brussels", "parlament.brussels")
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 4
DEFAULT_BACKOFF = 2.0
MAX_BACKOFF = 120.0
DEFAULT_MAX_FAILURES = 5
DEFAULT_RECHECK_DAYS = 1.0
USER_AGENT = ("parlsearch/%s (local full-text search over Brussels Parliament questions; one request at a "
              "time; Python-urllib)" % __version__)

INDEX_PATH = "/prb_includes/weblex/data/dos_qu_legis_%s.json"
MAX_INDEX_BYTES = 256 * 1024 * 1024
MAX_PAGE_BYTES = 16 * 1024 * 1024

LANGS = ("fr", "nl")
TYPE_CHOICES = ("written", "oral", "all")

# Page statuses kept in the state journal.
ANSWERED = "answered"      # question and answer text
UNANSWERED = "unanswered"  # question text, no answer yet
NOTEXT = "notext"          # a question page without text (answered in the printed report, or not yet)

_END_HTML = re.compile(rb"</html\s*>", re.IGNORECASE)


# ----------------------------------------------------------------------------------------------- errors


class FetchError(Exception):
    """A download that failed (after its retries)."""

    def __init__(self, url: str, reason: str, transient: bool = True):
        super().__init__("%s: %s" % (url, reason))
        self.url = url
        self.reason = reason
        self.transient = transient


class FetchAborted(Exception):
    """The fetch stopped before the end (index unavailable, too many failures in a row, cache locked)."""


class _Transient(Exception):
    """Worth retrying: a network error, a timeout, a truncated body, 429 or a 5xx answer."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class _Permanent(Exception):
    """Not worth retrying now (404, a page without the expected section…)."""


# ----------------------------------------------------------------------------------------------- paths


def default_cache_dir() -> Path:
    """$PARLSEARCH_CACHE, else $XDG_CACHE_HOME/parlsearch, else ~/.cache/parlsearch."""
    explicit = os.environ.get("PARLSEARCH_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return root / "parlsearch"


def legislature_slug(value: str) -> str:
    """"2024-2029", "24-29", "24/29", "2024/29" → "24-29" (the part of the index file name)."""
    m = re.fullmatch(r"\s*(\d{2}|\d{4})\s*[-/]\s*(\d{2}|\d{4})\s*", str(value))
    if not m:
        raise ValueError("not a legislature: %r (expected e.g. 2024-2029)" % value)
    a, b = (int(x) % 100 for x in m.groups())
    if (a + 5) % 100 != b:
        raise ValueError("not a legislature: %r (a legislature spans five years, e.g. 2024-2029)" % value)
    return "%02d-%02d" % (a, b)


def index_url(base_url: str, slug: str) -> str:
    return base_url.rstrip("/") + INDEX_PATH % slug


def index_file(cache: Path, slug: str) -> Path:
    return cache / "index" / ("dos_qu_legis_%s.json" % slug)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers (and a later run) see the old or the new file, never a part.

    The temporary file is hidden (a dot name, skipped by the corpus reader) and in the same directory, so
    the final rename is atomic.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(".%s.%d.tmp" % (path.name, os.getpid()))
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def remove_leftovers(cache: Path) -> int:
    """Delete temporary files left by an interrupted run. Returns how many."""
    removed = 0
    for sub in ("index", "pages", ".notext", ".state"):
        folder = cache / sub
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if entry.name.startswith(".") and entry.name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    entry.unlink()
                    removed += 1
    return removed


# ----------------------------------------------------------------------------------------------- HTTP


@dataclass
class Response:
    url: str
    status: int
    body: bytes
    content_type: str = ""
    charset: str | None = None


class PoliteClient:
    """Sequential HTTP GETs with a delay between requests, retries and exponential backoff.

    `delay`: seconds between the end of one request and the start of the next (retries included).
    `retries`: extra attempts after the first on transient failures; the wait before attempt n is
    ``backoff * 2**(n-1)`` seconds (at least `delay`, at most MAX_BACKOFF; a Retry-After header is honoured
    within that bound).
    """

    def __init__(self, *, user_agent: str = USER_AGENT, delay: float = DEFAULT_DELAY,
                 timeout: float = DEFAULT_TIMEOUT, retries: int = DEFAULT_RETRIES, backoff: float = DEFAULT_BACKOFF,
                 max_backoff: float = MAX_BACKOFF, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, on_retry: Callable[..., None] | None = None):
        self.user_agent = user_agent
        self.delay = max(0.0, delay)
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = max(0.0, backoff)
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.clock = clock
        self.on_retry = on_retry
        self.requests = 0
        self.bytes = 0
        self._last_end: float | None = None
        # No proxies from the environment, no redirects to other hosts: the base URL's host is the only
        # one ever contacted.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _SameHostRedirects())

    def _wait(self, at_least: float = 0.0) -> None:
        wait = at_least
        if self._last_end is not None:
            wait = max(wait, self.delay - (self.clock() - self._last_end))
        if wait > 0:
            self.sleep(wait)

    def get(self, url: str, *, max_bytes: int = MAX_PAGE_BYTES,
            check: Callable[[Response], object] | None = None) -> tuple[Response, object]:
        """GET `url`, retrying transient failures; `check(response)` may raise _Transient/_Permanent.

        Returns (response, check result). Raises FetchError when the download finally fails.
        """
        attempt = 0
        backoff_wait = 0.0
        while True:
            self._wait(backoff_wait)
            try:
                response = self._get_once(url, max_bytes)
                result = check(response) if check else None
                return response, result
            except _Permanent as e:
                raise FetchError(url, str(e), transient=False) from None
            except _Transient as e:
                attempt += 1
                if attempt > self.retries:
                    raise FetchError(url, "%s (gave up after %d attempts)" % (e, attempt)) from None
                backoff_wait = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
                if e.retry_after is not None:
                    backoff_wait = min(self.max_backoff, max(backoff_wait, e.retry_after))
                if self.on_retry:
                    self.on_retry(url=url, reason=str(e), attempt=attempt, wait=backoff_wait)

    def _get_once(self, url: str, max_bytes: int) -> Response:
        request = urllib.request.Request(url, headers={
            "User-Agent": self.user_agent,
            "Accept": "text/html,application/json;q=0.9,*/*;q=0.5",
            "Accept-Encoding": "identity",
        })
        self.requests += 1
        start = self.clock()
        try:
            with self._opener.open(request, timeout=self.timeout) as resp:
                body = self._read_body(resp, url, max_bytes, start)
                return Response(url=resp.geturl(), status=resp.status, body=body,
                                content_type=resp.headers.get_content_type(),
                                charset=resp.headers.get_content_charset())
        except urllib.error.HTTPError as e:
            with contextlib.suppress(Exception):
                e.close()
            if e.code >= 500 or e.code in (408, 429):
                raise _Transient("HTTP %d %s" % (e.code, e.reason), _retry_after(e.headers)) from None
            raise _Permanent("HTTP %d %s" % (e.code, e.reason)) from None
        except (_Transient, _Permanent):
            raise
        except (socket.timeout, TimeoutError):
            raise _Transient("timed out after %gs" % self.timeout) from None
        except urllib.error.URLError as e:
            reason = e.reason
            if isinstance(reason, (socket.timeout, TimeoutError)):
                raise _Transient("timed out after %gs" % self.timeout) from None
            raise _Transient("network error: %s" % (getattr(reason, "strerror", None) or reason)) from None
        except http.client.IncompleteRead as e:
            raise _Transient("truncated body (%d bytes read)" % len(e.partial)) from None
        except (http.client.HTTPException, ConnectionError, OSError) as e:
            raise _Transient("network error: %s" % (type(e).__name__ if not str(e) else e)) from None
        finally:
            self._last_end = self.clock()

    def _read_body(self, resp, url: str, max_bytes: int, start: float) -> bytes:
        expected = resp.headers.get("Content-Length")
        expected = int(expected) if expected and expected.strip().isdigit() else None
        if expected is not None and expected > max_bytes:
            raise _Permanent("body too large (%d bytes)" % expected)
        chunks, total = [], 0
        deadline = start + max(60.0, 4 * self.timeout)  # a server trickling bytes must not hold us forever
        while True:
            chunk = resp.read(64 * 1024)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise _Permanent("body too large (over %d bytes)" % max_bytes)
            if self.clock() > deadline:
                raise _Transient("download too slow (over %ds)" % (deadline - start))
        self.bytes += total
        if expected is not None and total < expected:
            raise _Transient("truncated body (%d of %d bytes)" % (total, expected))
        return b"".join(chunks)


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        target = urllib.parse.urlsplit(urllib.parse.urljoin(req.full_url, newurl))
        if target.hostname != urllib.parse.urlsplit(req.full_url).hostname:
            raise _Permanent("redirected to another site (%s), not followed" % target.hostname)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _retry_after(headers) -> float | None:
    value = headers.get("Retry-After") if headers else None
    if value and value.strip().isdigit():
        return float(value.strip())
    return None


# ----------------------------------------------------------------------------------------------- pages


def _decode_page(response: Response) -> str:
    """Page bytes → text, using the declared charset, else UTF-8, else cp1252 (corpus.text.decode_bytes)."""
    charset = (response.charset or "").lower()
    if charset and charset not in ("utf-8", "utf8"):
        try:
            return response.body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return decode_bytes(response.body)
    except DecodeError as e:
        raise _Permanent(str(e)) from None


def _parse_page(text: str, source: str, lang: str):
    """corpus.weblex.parse_page(text, source, lang=…); None when that reader is not available."""
    try:
        from .weblex import parse_page
    except ImportError:
        return None
    return parse_page(text, source, lang=lang)


def page_status(text: str, source: str, lang: str) -> str:
    """answered / unanswered / notext for a page (or a lone section) holding a Weblex question section."""
    span = find_section(text, lang)
    if span is None:
        return NOTEXT
    try:
        doc = _parse_page(text, source, span[2])
    except PageError:
        return NOTEXT
    except Exception:  # a reader bug must not stop the fetch: the page is kept, and re-checked later
        return NOTEXT
    if doc is None:  # no page reader: keep it, re-check it later
        return UNANSWERED
    if doc.answer or doc.answer_nl:
        return ANSWERED
    return UNANSWERED if (doc.question or doc.question_nl) else NOTEXT


def check_page(response: Response, source: str, lang: str) -> tuple[str, str]:
    """Validate a downloaded page; returns (its text, status).

    A body cut short (no closing ``</html>``) is transient (retried); a page without the Weblex question
    section (an error or maintenance page served as 200) is a failure, not cached, retried on the next run.
    """
    if not _END_HTML.search(response.body[-4096:]):
        raise _Transient("truncated page (no closing </html>)")
    text = _decode_page(response)
    if find_section(text) is None:
        raise _Permanent("not a question page (no Weblex question section)")
    return text, page_status(text, source, lang)


# ----------------------------------------------------------------------------------------------- page store

#: Linear on hostile pages: a tag stops at the next "<" ([^<>], not [^>]) and no two \s* touch.
_SECTION_OPEN = re.compile(r"""<section\b[^<>]*?\bid\s*=\s*(?:["']\s*)?weblex-quest-det-(fr|nl)\b[^<>]*>""",
                           re.IGNORECASE)
_SECTION_TAG = re.compile(r"<(/?)section\b[^<>]*>", re.IGNORECASE)
_BODY_END = re.compile(r"</body\s*>|</html\s*>", re.IGNORECASE)
NL_BLOCK_START = "\n<!-- parlsearch: the question section of the Dutch page -->\n"
NL_BLOCK_END = "\n<!-- /parlsearch -->\n"
_KEY_FILE = re.compile(r"^(\d+-\d+)\.(fr|nl)\.html$")


def find_section(text: str, lang: str | None = None) -> tuple[int, int, str] | None:
    """(start, end, lang) of the Weblex question section: `lang`'s when the text has one, else the first."""
    first = None
    for m in _SECTION_OPEN.finditer(text):
        if first is None:
            first = m
        if lang is None or m.group(1).lower() == lang:
            first = m
            break
    if first is None:
        return None
    depth, end = 1, len(text)
    for tag in _SECTION_TAG.finditer(text, first.end()):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            end = tag.end()
            break
    return first.start(), end, first.group(1).lower()


def section_of(text: str, lang: str) -> str:
    """The question section of a page, as a Dutch section when `lang` is "nl" ("" when there is none)."""
    span = find_section(text, lang)
    if span is None:
        return ""
    section = text[span[0]:span[1]]
    if lang == "nl" and span[2] != "nl":  # a Dutch page whose section says "fr": say what it is
        section = re.sub(r"weblex-quest-det-fr", "weblex-quest-det-nl", section, count=1, flags=re.IGNORECASE)
    return section


def with_nl_section(fr_page: str, nl_section: str) -> str:
    """The French page with the Dutch page's question section added before its end (see PageStore)."""
    ends = list(_BODY_END.finditer(fr_page))
    at = ends[0].start() if ends else len(fr_page)
    return fr_page[:at] + NL_BLOCK_START + nl_section + NL_BLOCK_END + fr_page[at:]


def split_nl_section(text: str) -> tuple[str, str | None]:
    """Inverse of with_nl_section: (the French page exactly as served, the Dutch section or None)."""
    i = text.find(NL_BLOCK_START)
    if i < 0:
        return text, None
    j = text.find(NL_BLOCK_END, i + len(NL_BLOCK_START))
    if j < 0:
        return text, None
    return text[:i] + text[j + len(NL_BLOCK_END):], text[i + len(NL_BLOCK_START):j]


@dataclass
class Part:
    """One language of a question page."""

    lang: str
    html: str           # the whole page as served (as UTF-8 text), or only its question section
    status: str         # answered / unanswered / notext
    whole: bool = True  # False: the Dutch section kept inside the French page's file

    @property
    def has_text(self) -> bool:
        return self.status != NOTEXT

    def section(self) -> str:
        return section_of(self.html, self.lang) if self.whole else self.html


class PageStore:
    """The question pages in the cache, so that the corpus reader makes one document per question.

    The reader merges readings of the same id by keeping the richer one, and a Dutch page read on its own
    fills the main fields (title, question, answer) with Dutch text: two page files per question would
    compete. So each question has one file, read as one document whose Dutch text is question_nl/answer_nl
    (the page reader puts a second, Dutch section there):

        pages/<key>.fr.html    the French page as served, with the Dutch page's question section added
                               between two "parlsearch" comments before </body> (split_nl_section undoes it)
        pages/<key>.nl.html    the Dutch page as served, when there is no French text (or no French page)
        .notext/<key>.*.html   pages without question text (oral questions answered in the printed report…):
                               hidden from the reader, which would only report them; the index row is
                               their document

    Files are replaced atomically, the new one before the old one is removed: a kill in between leaves two
    files of one question, which the next fetch folds back into one (`tidy`).
    """

    def __init__(self, cache: Path):
        self.pages = cache / "pages"
        self.notext = cache / ".notext"

    def files(self, key: str) -> list[Path]:
        return [d / ("%s.%s.html" % (key, lang)) for d in (self.pages, self.notext) for lang in LANGS
                if (d / ("%s.%s.html" % (key, lang))).exists()]

    def inventory(self) -> dict[str, list[Path]]:
        found: dict[str, list[Path]] = {}
        for folder in (self.pages, self.notext):
            if folder.is_dir():
                for entry in folder.iterdir():
                    m = _KEY_FILE.match(entry.name)
                    if m:
                        found.setdefault(m.group(1), []).append(entry)
        return found

    def load(self, key: str) -> dict[str, Part]:
        """The languages of a question; from two files (a killed run), the newer file's text wins."""
        parts: dict[str, Part] = {}
        for path in sorted(self.files(key), key=lambda p: p.stat().st_mtime_ns):
            text = path.read_bytes().decode("utf-8", "replace")
            if path.name.endswith(".fr.html"):
                fr, nl = split_nl_section(text)
                parts["fr"] = Part("fr", fr, page_status(fr, str(path), "fr"))
                if nl is not None:
                    parts["nl"] = Part("nl", nl, page_status(nl, str(path), "nl"), whole=False)
            else:
                parts["nl"] = Part("nl", text, page_status(text, str(path), "nl"))
        return parts

    def save(self, key: str, parts: dict[str, Part]) -> None:
        fr, nl = parts.get("fr"), parts.get("nl")
        writes: dict[Path, str] = {}
        if fr is not None and (fr.has_text or nl is None or not nl.has_text):
            folder = self.pages if fr.has_text else self.notext
            writes[folder / ("%s.fr.html" % key)] = with_nl_section(fr.html, nl.section()) if nl else fr.html
        elif nl is not None:
            folder = self.pages if nl.has_text else self.notext
            if nl.whole:
                writes[folder / ("%s.nl.html" % key)] = nl.html
            else:  # only the Dutch section was kept: put it in the French page, in place of the French one
                s, e, _ = find_section(fr.html, "fr")
                writes[folder / ("%s.nl.html" % key)] = fr.html[:s] + nl.html + fr.html[e:]
            if fr is not None:
                writes[self.notext / ("%s.fr.html" % key)] = fr.html
        for path, text in writes.items():
            atomic_write(path, text.encode("utf-8", "surrogatepass"))
        for path in self.files(key):
            if path not in writes:
                with contextlib.suppress(OSError):
                    path.unlink()

    def tidy(self, inventory: dict[str, list[Path]]) -> int:
        """Fold the files of questions a killed run left in two places back into one. Returns how many."""
        count = 0
        for key, paths in inventory.items():
            places = sorted((p.parent == self.pages, p.name.endswith(".fr.html")) for p in paths)
            if len(paths) > 1 and places != [(False, True), (True, False)]:  # the one legitimate pair
                self.save(key, self.load(key))
                inventory[key] = self.files(key)
                count += 1
        return count


def check_index(response: Response) -> tuple[dict, list]:
    """Validate a downloaded index: JSON (a cut body is transient) holding index rows."""
    try:
        obj = json.loads(decode_bytes(response.body))
    except (ValueError, DecodeError) as e:
        raise _Transient("invalid or truncated index JSON: %s" % str(e)[:100]) from None
    if not is_index(obj):
        raise _Permanent("not a Weblex index (no {\"data\": [rows]})")
    return obj, list(iter_rows(obj))


# ----------------------------------------------------------------------------------------------- state


@dataclass
class PageState:
    page: str          # "<base>-<moncode>.<lang>"
    sha256: str        # of the question section (the rest of a page changes with no news)
    status: str        # answered / unanswered / notext
    row: str           # signature of the index row when the page was fetched ("" if unknown)
    fetched: float     # Unix time
    type: str = ""

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, separators=(",", ":"))


class StateJournal:
    """Append-only JSON Lines journal of fetched pages; the last line per page wins."""

    def __init__(self, cache: Path):
        self.folder = cache / ".state"
        self.path = self.folder / "pages.jsonl"
        self.pages: dict[str, PageState] = {}
        self._stream = None

    def load(self) -> None:
        self.pages = {}
        if not self.path.exists():
            return
        with open(self.path, "rb") as f:
            for line in f:
                try:
                    entry = json.loads(line.decode("utf-8"))
                    state = PageState(**{k: entry[k] for k in ("page", "sha256", "status", "row", "fetched")},
                                      type=entry.get("type", ""))
                except (ValueError, KeyError, TypeError, UnicodeDecodeError):
                    continue  # a line torn by a kill, or garbage: that page is simply re-checked
                self.pages[state.page] = state

    def record(self, state: PageState) -> None:
        self.pages[state.page] = state
        if self._stream is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._stream = open(self.path, "ab")
            # A previous run killed mid-line left no newline: start on a fresh line.
            if self._stream.tell() > 0:
                with open(self.path, "rb") as f:
                    f.seek(-1, os.SEEK_END)
                    if f.read(1) != b"\n":
                        self._stream.write(b"\n")
        self._stream.write(state.to_json().encode("utf-8") + b"\n")
        self._stream.flush()

    def compact(self) -> None:
        """Rewrite the journal with one line per page (atomically)."""
        self.close()
        lines = "".join(self.pages[k].to_json() + "\n" for k in sorted(self.pages))
        atomic_write(self.path, lines.encode("utf-8"))

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


@contextlib.contextmanager
def cache_lock(cache: Path):
    """Exclusive lock on the cache for the duration of a fetch (released by the OS if the process dies)."""
    folder = cache / ".state"
    folder.mkdir(parents=True, exist_ok=True)
    f = open(folder / "lock", "a+")
    try:
        try:
            import fcntl
        except ImportError:  # not Unix: no lock
            fcntl = None
        if fcntl is not None:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise FetchAborted("another fetch is running on %s" % cache) from None
        yield
    finally:
        f.close()


# ----------------------------------------------------------------------------------------------- fetch


@dataclass
class FetchSummary:
    legislatures: list = field(default_factory=list)
    index_rows: int = 0
    bad_rows: int = 0
    selected: int = 0      # pages matching the filters
    due: int = 0           # pages to download this run
    new: int = 0           # downloaded, not in the cache before
    changed: int = 0       # downloaded again, different from the cached copy
    unchanged: int = 0     # downloaded again, same as the cached copy
    up_to_date: int = 0    # cached and not due for a re-check: not requested
    failed: int = 0
    requests: int = 0
    bytes: int = 0
    failures: list = field(default_factory=list)  # (url, reason)
    aborted: str | None = None
    interrupted: bool = False
    elapsed: float = 0.0
    cache: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed and not self.aborted and not self.interrupted

    def __str__(self) -> str:
        text = ("%d new, %d changed, %d unchanged, %d up to date, %d failed (%d index rows, %d requests, "
                "%.1fs)" % (self.new, self.changed, self.unchanged, self.up_to_date, self.failed,
                            self.index_rows, self.requests, self.elapsed))
        if self.interrupted:
            text += " — interrupted; run again to continue"
        if self.aborted:
            text += " — stopped: %s" % self.aborted
        return text


@dataclass(frozen=True)
class _Task:
    row: IndexRow
    lang: str
    reason: str  # new / row-changed / recheck / refresh


class Fetcher:
    """Downloads the index of each legislature, then the pages that are missing or may have changed."""

    def __init__(self, cache: str | os.PathLike | None = None, *, base_url: str = DEFAULT_BASE_URL,
                 delay: float = DEFAULT_DELAY, timeout: float = DEFAULT_TIMEOUT, retries: int = DEFAULT_RETRIES,
                 backoff: float = DEFAULT_BACKOFF, max_failures: int = DEFAULT_MAX_FAILURES,
                 recheck_days: float = DEFAULT_RECHECK_DAYS, user_agent: str = USER_AGENT,
                 progress: Callable[..., None] | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, now: Callable[[], float] = time.time):
        self.cache = Path(cache).expanduser() if cache else default_cache_dir()
        self.base_url = base_url.rstrip("/")
        if urllib.parse.urlsplit(self.base_url).hostname in OFFICIAL_HOSTS:
            delay = max(delay, MIN_OFFICIAL_DELAY)
        self.max_failures = max(1, max_failures)
        self.recheck_seconds = max(0.0, recheck_days) * 86400
        self.progress = progress or (lambda event, **info: None)
        self.now = now
        self.client = PoliteClient(user_agent=user_agent, delay=delay, timeout=timeout, retries=retries,
                                   backoff=backoff, sleep=sleep, clock=clock,
                                   on_retry=lambda **info: self.progress("retry", **info))
        self.state = StateJournal(self.cache)
        self.store = PageStore(self.cache)
        self.inventory: dict[str, list[Path]] = {}

    # -- selection

    def _plan(self, rows: Iterable[IndexRow], *, types: str, since: dt.date | None, langs: tuple[str, ...],
              refresh: bool, limit: int | None, summary: FetchSummary) -> list[_Task]:
        due: list[_Task] = []
        now = self.now()
        for row in rows:
            if types == "written" and row.type != "written_question":
                continue
            if types == "oral" and row.type == "written_question":
                continue
            if since is not None and (not row.date_received or row.date_received < since.isoformat()):
                continue
            for lang in langs:
                summary.selected += 1
                reason = self._reason(row, lang, now, refresh)
                if reason:
                    due.append(_Task(row, lang, reason))
                else:
                    summary.up_to_date += 1
        # Missing pages first, then re-checks; the most recent questions first within each.
        due.sort(key=lambda t: (t.reason != "new", _neg_date(t.row.date_received),
                                -int(t.row.moncode), t.lang))
        if limit is not None:
            keys, kept = set(), []
            for task in due:
                if task.row.key not in keys and len(keys) >= limit:
                    continue
                keys.add(task.row.key)
                kept.append(task)
            due = kept
        return due

    def _reason(self, row: IndexRow, lang: str, now: float, refresh: bool) -> str | None:
        if not self.inventory.get(row.key):
            return "new"
        state = self.state.pages.get("%s.%s" % (row.key, lang))
        if state is None:
            state = self._adopt(row, lang)
            if state is None:
                return "new"
        if refresh:
            return "refresh"
        if state.row and state.row != row.signature:
            return "row-changed"
        if state.status == ANSWERED:
            return None
        if state.status == NOTEXT and row.type != "written_question":
            return None  # oral questions etc.: answered in the printed report; re-checked when the row changes
        if now - state.fetched >= self.recheck_seconds:
            return "recheck"
        return None

    def _adopt(self, row: IndexRow, lang: str) -> PageState | None:
        """A cached page without a journal line (a kill between rename and journal write): take it as is."""
        try:
            part = self.store.load(row.key).get(lang)
            mtime = max(p.stat().st_mtime for p in self.inventory[row.key])
        except (OSError, ValueError):
            return None
        if part is None:
            return None
        state = PageState(page="%s.%s" % (row.key, lang), sha256=_sha(part.section()), status=part.status,
                          row=row.signature, fetched=mtime, type=row.type)
        self.state.record(state)
        return state

    # -- downloads

    def _fetch_index(self, slug: str) -> list:
        url = index_url(self.base_url, slug)
        try:
            response, (obj, rows) = self.client.get(url, max_bytes=MAX_INDEX_BYTES, check=check_index)
        except FetchError as e:
            raise FetchAborted("index %s unavailable: %s" % (slug, e.reason)) from None
        target = index_file(self.cache, slug)
        if not target.exists() or target.read_bytes() != response.body:
            atomic_write(target, response.body)
        return rows

    def _fetch_page(self, task: _Task) -> str:
        row, lang = task.row, task.lang
        url = self.base_url + row.page_path(lang)
        source = str(self.store.pages / ("%s.%s.html" % (row.key, lang)))
        response, (text, status) = self.client.get(url, check=lambda r: check_page(r, source, lang))
        parts = self.store.load(row.key) if self.inventory.get(row.key) else {}
        new = Part(lang, text, status)
        old = parts.get(lang)
        if old is None:
            outcome = "new"
        elif old.section() == new.section():
            outcome = "unchanged"  # the rest of the page (menus, the server's address…) may differ: kept as is
        else:
            outcome = "changed"
        if outcome != "unchanged":
            parts[lang] = new
            self.store.save(row.key, parts)
            self.inventory[row.key] = self.store.files(row.key)
        self.state.record(PageState(page="%s.%s" % (row.key, lang), sha256=_sha(new.section()), status=status,
                                    row=row.signature, fetched=self.now(), type=row.type))
        return outcome

    def run(self, legislatures: Iterable[str] = (DEFAULT_LEGISLATURE,), *, types: str = "all",
            since=None, limit: int | None = None, lang: str = "both", refresh: bool = False) -> FetchSummary:
        """Fetch; returns the summary (``interrupted=True`` after Ctrl-C, ``aborted`` set after a stop).

        Raises ValueError for bad arguments and FetchAborted when the cache is locked by another fetch.
        """
        if types not in TYPE_CHOICES:
            raise ValueError("type must be one of %s" % ", ".join(TYPE_CHOICES))
        langs = LANGS if lang == "both" else (lang,)
        if any(x not in LANGS for x in langs):
            raise ValueError("lang must be fr, nl or both")
        since_date = parse_date(since) if since not in (None, "") else None
        slugs = list(dict.fromkeys(legislature_slug(x) for x in legislatures))
        if limit is not None and limit < 0:
            raise ValueError("limit must be positive")
        if not re.match(r"https?://[^/]+", self.base_url):
            raise ValueError("base URL must be http(s)://host[:port]: %r" % self.base_url)
        summary = FetchSummary(legislatures=slugs, cache=str(self.cache))
        started = time.monotonic()
        self.cache.mkdir(parents=True, exist_ok=True)
        with cache_lock(self.cache):
            remove_leftovers(self.cache)
            self.state.load()
            self.inventory = self.store.inventory()
            self.store.tidy(self.inventory)
            try:
                self._run(slugs, types, since_date, langs, refresh, limit, summary)
            except KeyboardInterrupt:
                summary.interrupted = True
            except FetchAborted as e:
                summary.aborted = str(e)
            finally:
                summary.requests = self.client.requests
                summary.bytes = self.client.bytes
                summary.elapsed = time.monotonic() - started
                with contextlib.suppress(OSError):
                    self.state.compact()
        return summary

    def _run(self, slugs, types, since_date, langs, refresh, limit, summary: FetchSummary) -> None:
        rows: dict[str, IndexRow] = {}
        for slug in slugs:
            self.progress("index", legislature=slug, url=index_url(self.base_url, slug))
            count = 0
            for number, item in self._fetch_index(slug):
                if isinstance(item, RowError):
                    summary.bad_rows += 1
                    continue
                count += 1
                rows.setdefault(item.key, item)
            summary.index_rows += count
            self.progress("index-done", legislature=slug, rows=count)
        tasks = self._plan(rows.values(), types=types, since=since_date, langs=langs, refresh=refresh,
                           limit=limit, summary=summary)
        summary.due = len(tasks)
        self.progress("start", total=len(tasks))
        failures_in_a_row = 0
        for task in tasks:
            try:
                outcome = self._fetch_page(task)
            except FetchError as e:
                outcome = "failed"
                summary.failed += 1
                summary.failures.append((e.url, e.reason))
                failures_in_a_row += 1
            else:
                failures_in_a_row = 0
                setattr(summary, outcome, getattr(summary, outcome) + 1)
            self.progress("page", key=task.row.key, lang=task.lang, outcome=outcome, reason=task.reason)
            if failures_in_a_row >= self.max_failures:
                raise FetchAborted("%d pages in a row failed (last: %s); the site may be down or refusing us — "
                                   "the cache is intact, run again later" % (failures_in_a_row,
                                                                              summary.failures[-1][1]))


def _neg_date(iso: str) -> str:
    """Sort key putting later ISO dates first (and rows without a date last)."""
    if not iso:
        return "~"
    return "".join(chr(ord("9") - ord(c) + ord("0")) if c.isdigit() else c for c in iso)


def fetch(cache: str | os.PathLike | None = None, legislatures: Iterable[str] = (DEFAULT_LEGISLATURE,), *,
          types: str = "all", since=None, limit: int | None = None, lang: str = "both", refresh: bool = False,
          **options) -> FetchSummary:
    """One-call form of Fetcher(cache, **options).run(legislatures, …)."""
    return Fetcher(cache, **options).run(legislatures, types=types, since=since, limit=limit, lang=lang,
                                         refresh=refresh)


# ----------------------------------------------------------------------------------------------- program


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m corpus.fetch", description=__doc__.split("\n\n")[0])
    parser.add_argument("--legislature", action="append", help="e.g. 2024-2029 (repeatable)")
    parser.add_argument("--type", default="all", choices=TYPE_CHOICES)
    parser.add_argument("--since", help="only questions received on or after this date")
    parser.add_argument("--limit", type=int, help="at most N questions downloaded this run")
    parser.add_argument("--lang", default="both", choices=("fr", "nl", "both"))
    parser.add_argument("--cache", help="cache directory (default: %s)" % default_cache_dir())
    parser.add_argument("--base-url", default=DEFAULT_BASE_URL)
    parser.add_argument("--delay", type=float, default=DEFAULT_DELAY)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    parser.add_argument("--retries", type=int, default=DEFAULT_RETRIES)
    parser.add_argument("--backoff", type=float, default=DEFAULT_BACKOFF)
    parser.add_argument("--max-failures", type=int, default=DEFAULT_MAX_FAILURES)
    parser.add_argument("--recheck-days", type=float, default=DEFAULT_RECHECK_DAYS)
    parser.add_argument("--refresh", action="store_true")
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args(argv)

    def progress(event, **info):
        if args.quiet:
            return
        if event == "page":
            print("%s.%s %s" % (info["key"], info["lang"], info["outcome"]), file=sys.stderr, flush=True)
        elif event == "retry":
            print("retry %d in %.1fs: %s (%s)" % (info["attempt"], info["wait"], info["url"], info["reason"]),
                  file=sys.stderr, flush=True)

    try:
        summary = fetch(args.cache, args.legislature or [DEFAULT_LEGISLATURE], types=args.type, since=args.since,
                        limit=args.limit, lang=args.lang, refresh=args.refresh, base_url=args.base_url,
                        delay=args.delay, timeout=args.timeout, retries=args.retries, backoff=args.backoff,
                        max_failures=args.max_failures, recheck_days=args.recheck_days, progress=progress)
    except (ValueError, FetchAborted) as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    print(summary)
    for url, reason in summary.failures:
        print("failed: %s: %s" % (url, reason), file=sys.stderr)
    return 130 if summary.interrupted else 1 if summary.aborted else 0


if __name__ == "__main__":
    sys.exit(main())
