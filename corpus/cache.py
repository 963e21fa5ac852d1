"""The fetch cache on disk: the page store, atomic writes, the state journal and the one-fetch-at-a-time lock.

Layout (everything a re-index needs, readable offline by ``corpus.reader.read_paths(CACHE)``, which makes
one document per listing row, merged with the page of the same question; see PageStore):

    CACHE/index/<listing file>              the official listing of a legislature, as served
    CACHE/pages/<key>.fr.html               the French page of a question as served (in UTF-8), with the
                                            question section of its Dutch page added before </body>
    CACHE/pages/<key>.nl.html               the Dutch page, for a question with no French text/page
    CACHE/.notext/<key>.*.html              pages without question text (hidden from the reader)
    CACHE/.state/pages.jsonl                what was fetched when, and what it held (hidden from the reader)
    CACHE/.state/lock                       one fetch at a time per cache

Every file is written to a hidden temporary file in the same directory, then renamed over the target
(``os.replace``), so a fetch interrupted at any point (Ctrl-C, SIGKILL, power cut) leaves either the old or
the new file, never half of one; leftover temporary files are removed by the next run. The state journal is
append-only (one JSON line per page, a torn last line is ignored) and compacted at the end of a run.

What a page's question section is comes from the assembly (corpus.assembly.Assembly.section_span and
page_status); the store itself only knows files.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .atomic import atomic_write  # noqa: F401  (re-exported: the cache writes through it)


class CacheLocked(Exception):
    """Another fetch holds the cache."""


def default_cache_dir() -> Path:
    """$PARLSEARCH_CACHE, else $XDG_CACHE_HOME/parlsearch, else ~/.cache/parlsearch."""
    explicit = os.environ.get("PARLSEARCH_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return root / "parlsearch"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


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
                raise CacheLocked("another fetch is running on %s" % cache) from None
        yield
    finally:
        f.close()


# ----------------------------------------------------------------------------------------------- pages

NL_BLOCK_START = "\n<!-- parlsearch: the question section of the Dutch page -->\n"
NL_BLOCK_END = "\n<!-- /parlsearch -->\n"
_BODY_END = re.compile(r"</body\s*>|</html\s*>", re.IGNORECASE)
_KEY_FILE = re.compile(r"^(\d+-\d+)\.(fr|nl)\.html$")
LANGS = ("fr", "nl")


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


@dataclass(frozen=True)
class Part:
    """One language of a question page (made by PageStore.part)."""

    lang: str
    html: str           # the whole page as served (as UTF-8 text), or only its question section
    status: str         # answered / unanswered / notext
    section: str        # its question section ("" when there is none): what a change is judged on
    whole: bool = True  # False: the Dutch section kept inside the French page's file

    @property
    def has_text(self) -> bool:
        return self.status != "notext"


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
                               hidden from the reader, which would only report them; the listing row is
                               their document

    Files are replaced atomically, the new one before the old one is removed: a kill in between leaves two
    files of one question, which the next fetch folds back into one (`tidy`).
    """

    def __init__(self, cache: Path, assembly):
        self.pages = cache / "pages"
        self.notext = cache / ".notext"
        self.assembly = assembly

    def part(self, lang: str, html: str, *, status: str | None = None, source: str = "",
             whole: bool = True) -> Part:
        """A page (or, not `whole`, a lone Dutch section) as a Part, its status and section worked out."""
        if status is None:
            status = self.assembly.page_status(html, source, lang)
        if not whole:
            return Part(lang, html, status, html, whole=False)
        return Part(lang, html, status, self.assembly.section_text(html, lang))

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
                parts["fr"] = self.part("fr", fr, source=str(path))
                if nl is not None:
                    parts["nl"] = self.part("nl", nl, source=str(path), whole=False)
            else:
                parts["nl"] = self.part("nl", text, source=str(path))
        return parts

    def save(self, key: str, parts: dict[str, Part]) -> None:
        fr, nl = parts.get("fr"), parts.get("nl")
        writes: dict[Path, str] = {}
        if fr is not None and (fr.has_text or nl is None or not nl.has_text):
            folder = self.pages if fr.has_text else self.notext
            writes[folder / ("%s.fr.html" % key)] = with_nl_section(fr.html, nl.section) if nl else fr.html
        elif nl is not None:
            folder = self.pages if nl.has_text else self.notext
            if nl.whole:
                writes[folder / ("%s.nl.html" % key)] = nl.html
            else:  # only the Dutch section was kept: put it in the French page, in place of the French one
                s, e, _ = self.assembly.section_span(fr.html, "fr")
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


# ----------------------------------------------------------------------------------------------- state


@dataclass
class PageState:
    page: str          # "<key>.<lang>"
    sha256: str        # of the question section (the rest of a page changes with no news)
    status: str        # answered / unanswered / notext
    row: str           # signature of the listing row when the page was fetched ("" if unknown)
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
