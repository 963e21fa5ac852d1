"""Read files and directories of any supported form into documents, reporting every problem.

    result = read_paths(["corpus/data"])
    result.documents   # deduplicated, one per id
    result.problems    # Problem(path, record, reason) for everything that could not be read

Size (~410 lines): one file's path from its bytes to its items — sniffing, the size bounds, gzip, JSON,
JSON Lines, pages — and the deduplication of readings, kept in one place because every form shares the
same problem reporting; the formats themselves live in records.py, jsonstream.py, weblex.py, plaintext.py.
"""
from __future__ import annotations

import gzip
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Union

from ..wording import plural
from . import inputs
from .model import Document, merge
from .jsonstream import INDEX_KEY, RECORD_KEYS, JsonStreamError, iter_json_values
from .records import RecordError, document_from_record, iter_jsonl_lines
from .text import DecodeError, PageError, Utf8Decoder, Utf16Decoder, decode_report

#: JSON and JSON Lines files larger than this are refused. Both are read one record at a time and indexed in
#: batches, so this bounds time (a file that grows while read stops here), not memory: 100,000 questions
#: are ~575 MB of JSON Lines, a whole archive of several assemblies a few GB. HTML and text pages are read
#: whole, up to MAX_PAGE_BYTES.
MAX_FILE_BYTES = 16 * 1024 ** 3
MAX_PAGE_BYTES = 16 * 1024 * 1024

_JSONL_SUFFIXES = {".jsonl", ".ndjson"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}


@dataclass(frozen=True)
class Problem:
    """Something that could not be read, or was read only in part."""

    path: str
    record: int | None
    reason: str
    rejected: bool = True  # False: a warning, the document was still read

    def __str__(self):
        where = self.path if self.record is None else "%s, record %d" % (self.path, self.record)
        return "%s: %s" % (where, self.reason)


@dataclass
class ReadResult:
    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    duplicates: int = 0  # readings merged into another of the same id

    @property
    def rejected(self) -> list[Problem]:
        return [p for p in self.problems if p.rejected]


Item = Union[Document, Problem]


def bundled_corpus() -> Path:
    """The real corpus shipped inside the package: the Brussels Parliament's questions, what the first search
    indexes."""
    return Path(__file__).resolve().parent / "data"


def bundled_datasets() -> dict[str, Path]:
    """What ships with parlsearch, by the name `index --bundled NAME` takes: the Brussels corpus (the default
    one) and the Chamber's 6,059 written questions of 2020 (added on request: they make the first build of
    the index 20 times longer, README "The Chamber's questions")."""
    from .chamber import dataset_path
    return {"brussels": bundled_corpus(), "chamber": dataset_path()}


def describe_source(source: str | None) -> str | None:
    """Where a document was read from, for people: the path when the file is still there; "bundled corpus
    (<file>)" for the corpus shipped with parlsearch, wherever the installation that indexed it was (a
    path inside an old virtual environment means nothing to the reader); otherwise the path, said to be
    gone (a relative one: relative to where `index` ran). None when the document does not say."""
    if not source:
        return None
    path, root, inside = Path(source), bundled_corpus().parent, None
    if path.is_absolute() and path.is_relative_to(root):
        inside = path.relative_to(root)
    else:  # …/parlsearch/corpus/data/<file>: the bundled corpus of another installation
        parts = path.parts
        for i in range(len(parts) - 3):
            if parts[i:i + 2] == ("parlsearch", "corpus") and parts[i + 2] in _BUNDLED_DIRS:
                inside = Path(*parts[i + 2:])
    if inside is not None and inside.parts[0] in _BUNDLED_DIRS and (root / inside).is_file():
        return "%s (%s)" % (_BUNDLED_DIRS[inside.parts[0]], Path(*inside.parts[1:]).as_posix())
    try:
        if path.is_file():
            return source
    except OSError:  # a path the system refuses to look at (too long…)
        pass
    if not path.is_absolute():  # as given to `parlsearch index`: it may exist from the directory it ran in
        return "%s (relative to where it was indexed)" % source
    return "%s (no longer there)" % source


#: The package's data directories, and how `show` names a file read from them.
_BUNDLED_DIRS = {"data": "bundled corpus", "datasets": "bundled dataset"}


def iter_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path | Problem]:
    """Every regular file under the given paths; what cannot be read as one is a Problem (corpus.inputs)."""
    for item in inputs.iter_files(paths):
        yield Problem(item[0], None, item[1]) if isinstance(item, tuple) else item


def _sniff(path: Path, head: bytes) -> str:
    suffix = path.suffix.lower()
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    lowered = head[:4096].lower()
    if suffix in _JSONL_SUFFIXES:
        return "jsonl"
    if suffix in _HTML_SUFFIXES or b"<html" in lowered or b"<!doctype html" in lowered:
        return "html"
    if suffix == ".json" or stripped[:1] in (b"{", b"["):
        return "json"
    return "text"


class ReadTracker:
    """How far reading has got, in bytes of input files, for progress displays (`position`)."""

    def __init__(self):
        self.done = 0  # bytes of the files finished
        self._file = None

    def start(self, f) -> None:
        self._file = f

    def finish(self, size: int) -> None:
        self.done += size
        self._file = None

    @property
    def position(self) -> int:
        try:
            return self.done + (self._file.tell() if self._file is not None else 0)
        except (OSError, ValueError):  # closed or unseekable
            return self.done


def read_file(path: Path, tracker: ReadTracker | None = None) -> Iterator[Item]:
    """Documents and problems from one file, detected by extension and content.

    Memory stays bounded whatever the file (README, "Inputs"): JSON Lines and JSON are read one record at
    a time (JSON through corpus.jsonstream), HTML and text pages whole up to MAX_PAGE_BYTES; no read goes
    past the size limits even if the file grows while it is read."""
    spath = str(path)
    try:
        f, size = inputs.open_regular(path)
    except inputs.NotRegular as e:
        yield Problem(spath, None, "%s, not read" % e)
        return
    except OSError as e:
        yield Problem(spath, None, "cannot read: %s" % (e.strerror or e))
        return
    if tracker is not None:
        tracker.start(f)
    try:
        yield from _read_open_file(path, spath, f, size)  # which closes f
    finally:
        if tracker is not None:
            tracker.finish(size)


#: A gzip file starts with these bytes, whatever its name: it is read through the decompressor (README,
#: "Inputs": the Chamber's dataset ships as .jsonl.gz), the limits applying to what it decompresses to.
GZIP_MAGIC = b"\x1f\x8b"


def _read_open_file(path: Path, spath: str, f, size: int) -> Iterator[Item]:
    with f:
        try:
            head = f.read(8192)
            if head.startswith(GZIP_MAGIC):
                yield from _read_gzip(path, spath, f)
            else:
                yield from _read_stream(path, spath, f, head, size)
        except OSError as e:
            yield Problem(spath, None, "cannot read: %s" % (e.strerror or e))


def _read_gzip(path: Path, spath: str, f) -> Iterator[Item]:
    """A gzip-compressed file, decompressed as it is read (one record at a time, as any file: memory stays
    bounded) and sniffed as the file it holds (`questions.jsonl.gz` is JSON Lines). What it decompresses to
    is bounded like a file of that kind; a damaged or truncated stream keeps the records read before it."""
    f.seek(0)
    stream = gzip.GzipFile(fileobj=f, mode="rb")
    inner = path.with_suffix("") if path.suffix.lower() in (".gz", ".gzip") else path
    read = 0
    try:
        head = stream.read(8192)
        for item in _read_stream(inner, spath, stream, head, None):
            read += not isinstance(item, Problem)
            yield item
    except (gzip.BadGzipFile, EOFError, zlib.error) as e:
        why = "cut short" if isinstance(e, EOFError) else "damaged (%s)" % (str(e) or type(e).__name__)
        yield Problem(spath, None, "the compressed data is %s after %s: the rest is not read"
                      % (why, plural(read, "document")))


def _read_stream(path: Path, spath: str, f, head: bytes, size: int | None) -> Iterator[Item]:
    """A file's content as the kind its name and `head` (its first bytes) say; `f` is rewound. `size` is
    None when it is not known beforehand (a decompressed stream): the bound is then checked as it is read."""
    if not head.strip():
        yield Problem(spath, None, "empty file")
        return
    kind = _sniff(path, head)
    limit = MAX_FILE_BYTES if kind in ("json", "jsonl") else MAX_PAGE_BYTES
    if size is not None and size > limit:
        yield Problem(spath, None, "file too large (%d MB, limit %d MB)" % (size // 2**20, limit // 2**20))
        return
    f.seek(0)
    bounded = inputs.Bounded(f, limit)
    if kind == "jsonl":
        yield from _read_jsonl(bounded, spath)
    elif kind == "json":
        utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
        yield from _read_json(bounded, spath, Utf16Decoder() if utf16 else Utf8Decoder())
    else:
        data = bounded.read()
        try:
            text, warning = decode_report(data)
        except DecodeError as e:
            yield Problem(spath, None, str(e))
            return
        if warning:
            yield Problem(spath, None, warning, rejected=False)
        yield from (_read_page if kind == "html" else _read_text)(text, spath)
    if bounded.exceeded:
        yield Problem(spath, None, "%s past the size limit while read (%d MB): the rest is not read"
                      % ("file grew" if size is not None else "decompressed", limit // 2**20))


def _record_items(record, source: str, number: int) -> Iterator[Item]:
    warnings: list[str] = []
    try:
        doc = document_from_record(record, source, warnings)
    except RecordError as e:
        yield Problem(source, number, str(e))
        return
    for w in warnings:
        yield Problem(source, number, w, rejected=False)
    yield doc


def _read_jsonl(stream, source: str) -> Iterator[Item]:
    decoder = Utf8Decoder()
    for lineno, value in iter_jsonl_lines(stream, decoder):
        if isinstance(value, Exception):
            yield Problem(source, lineno, str(value))
        else:
            yield from _record_items(value, source, lineno)
    if decoder.warning():
        yield Problem(source, None, decoder.warning(), rejected=False)


#: Fields of a top-level object kept to read it as a single record; a record has about 20.
_MAX_SINGLE_FIELDS = 200


def _read_json(stream, source: str, decoder=None) -> Iterator[Item]:
    """A JSON corpus file, one record at a time (corpus.jsonstream): a list of records, an object holding
    one (``{"questions": [...]}``), a Weblex index (``{"data": [[row], …]}``), one record, or several
    objects one after the other (JSON Lines under a .json name)."""
    from . import weblex_index
    decoder = decoder or Utf8Decoder()
    fields: dict = {}       # plain fields of a top-level object (a single record, or the index's "note")
    lists: set = set()      # kinds of record lists met ("list", "questions"…, "data")
    record_list = None      # the record list read (the first met, as json.loads + records_in_json did)
    index_head: list = []   # the first rows of "data", held to decide whether it is a Weblex index
    index = None            # None until decided
    single = None           # None until the first top-level object is complete; then whether it was a record

    def index_items(rows):
        for number, row in rows:
            yield from weblex_index.row_items(row, source, number)

    def decide_index():
        nonlocal index
        index = weblex_index.is_index({INDEX_KEY: [r for _, r in index_head]})
        head = list(index_head)
        index_head.clear()
        return index_items(head) if index else iter(())

    def finish_single():
        nonlocal single
        single = not lists and any(k in fields for k in ("question", "titre", "title"))
        return _record_items(dict(fields), source, 1) if single else iter(())

    try:
        for kind, number, value in iter_json_values(stream, decoder):
            if kind == "begin":
                lists.add(value)
                if value in RECORD_KEYS and record_list is None:
                    record_list = value
            elif kind == "field":
                if len(fields) < _MAX_SINGLE_FIELDS:
                    fields[value[0]] = value[1]
            elif kind == INDEX_KEY:
                if index is None:
                    index_head.append((number, value))
                    if len(index_head) >= _INDEX_SNIFF_ROWS:
                        yield from decide_index()
                elif index:
                    yield from index_items([(number, value)])
            elif kind == "extra":
                if single is None:
                    yield from finish_single()
                yield from _record_items(value, source, number)
            elif kind in ("list", "single") or kind == record_list:
                yield from _record_items(value, source, number)
        if index_head:
            yield from decide_index()
        if single is None:
            yield from finish_single()
    except JsonStreamError as e:
        if index_head:
            yield from decide_index()
        yield Problem(source, e.number, str(e))
        return
    except DecodeError as e:
        yield Problem(source, None, str(e))
        return
    if decoder.warning():
        yield Problem(source, None, decoder.warning(), rejected=False)
    empty_index = lists == {INDEX_KEY} and index is None and set(fields) <= {"note"}
    if not (lists - {INDEX_KEY} or index or single or empty_index):
        yield Problem(source, None, "JSON has no list of questions")


#: Rows of "data" looked at to decide whether a file is a Weblex index (weblex_index.is_index).
_INDEX_SNIFF_ROWS = 20


def _read_page(text: str, source: str) -> Iterator[Item]:
    from .weblex import parse_page
    try:
        yield parse_page(text, source)
    except PageError as e:
        yield Problem(source, None, str(e))


def _read_text(text: str, source: str) -> Iterator[Item]:
    from .plaintext import parse_text_page
    try:
        yield parse_text_page(text, source)
    except PageError as e:
        yield Problem(source, None, str(e))


def iter_read(paths: Iterable[str | os.PathLike]) -> Iterator[Item]:
    """Stream documents and problems from files and directories, without deduplication."""
    return read_listed(iter_files(paths))


def read_listed(files: Iterable[Path | Problem], tracker: ReadTracker | None = None) -> Iterator[Item]:
    """Stream documents and problems from the items of iter_files (files to read, problems to pass on)."""
    for item in files:
        if isinstance(item, Problem):
            yield item
            continue
        try:
            yield from read_file(item, tracker)
        except Exception as e:  # a reader bug must not lose the other files
            yield Problem(str(item), None, "unexpected error: %s: %s" % (type(e).__name__, e))


class Deduplicator:
    """Merges readings of the same question (page + record) into one document per id."""

    def __init__(self):
        self.by_id: dict[str, Document] = {}
        self.duplicates = 0

    def add(self, doc: Document) -> None:
        known = self.by_id.get(doc.id)
        if known is None:
            self.by_id[doc.id] = doc
        else:
            self.duplicates += 1
            self.by_id[doc.id] = merge(known, doc)

    def documents(self) -> list[Document]:
        return list(self.by_id.values())


def read_paths(paths: Iterable[str | os.PathLike] | None = None) -> ReadResult:
    """Read everything under `paths` (default: the bundled corpus), deduplicated by id, all in memory (indexing
    streams instead: index.update)."""
    paths = [bundled_corpus()] if not paths else list(paths)
    result = ReadResult()
    dedup = Deduplicator()
    sources = set()
    for item in iter_read(paths):
        if isinstance(item, Problem):
            result.problems.append(item)
            sources.add(item.path)
        else:
            dedup.add(item)
            sources.add(item.source)
    result.documents = dedup.documents()
    result.duplicates = dedup.duplicates
    result.files = len(sources)
    return result
