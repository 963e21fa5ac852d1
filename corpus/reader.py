"""Read files and directories of any supported form into documents, reporting every problem.

    result = read_paths(["corpus/data"])
    result.documents   # deduplicated, one per id
    result.problems    # Problem(path, record, reason) for everything that could not be read
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Union

from .model import Document, merge
from .records import RecordError, document_from_record, iter_jsonl_lines, records_in_json
from .text import DecodeError, PageError, decode_bytes

#: Whole-file formats (JSON, HTML, text) larger than this are refused; JSON Lines is streamed instead.
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_PAGE_BYTES = 16 * 1024 * 1024

_JSONL_SUFFIXES = {".jsonl", ".ndjson"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_SKIPPED_NAMES = {".DS_Store", "Thumbs.db"}


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
    """The real corpus shipped inside the package."""
    return Path(__file__).resolve().parent / "data"


def iter_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path | Problem]:
    """Every file under the given paths (directories walked recursively, in sorted order)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path, onerror=None):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.startswith(".") or name in _SKIPPED_NAMES:
                        continue
                    yield Path(root) / name
        elif path.exists():
            yield path
        else:
            yield Problem(str(path), None, "no such file or directory")


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


def read_file(path: Path) -> Iterator[Item]:
    """Documents and problems from one file, detected by extension and content."""
    spath = str(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8192)
            if not head.strip():
                yield Problem(spath, None, "empty file")
                return
            kind = _sniff(path, head)
            if kind == "jsonl":
                f.seek(0)
                yield from _read_jsonl(f, spath)
                return
            limit = MAX_FILE_BYTES if kind == "json" else MAX_PAGE_BYTES
            if size > limit:
                yield Problem(spath, None, "file too large (%d MB, limit %d MB)" % (size // 2**20, limit // 2**20))
                return
            f.seek(0)
            data = f.read()
    except OSError as e:
        yield Problem(spath, None, "cannot read: %s" % (e.strerror or e))
        return
    try:
        text = decode_bytes(data)
    except DecodeError as e:
        yield Problem(spath, None, str(e))
        return
    if kind == "json":
        yield from _read_json(text, spath)
    elif kind == "html":
        yield from _read_page(text, spath)
    else:
        yield from _read_text(text, spath)


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
    for lineno, value in iter_jsonl_lines(stream):
        if isinstance(value, Exception):
            yield Problem(source, lineno, str(value))
        else:
            yield from _record_items(value, source, lineno)


def _read_json(text: str, source: str) -> Iterator[Item]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        if e.msg == "Extra data" and text.lstrip().startswith("{"):
            # Several objects, one per line: JSON Lines under a .json name.
            import io
            yield from _read_jsonl(io.BytesIO(text.encode("utf-8")), source)
            return
        yield Problem(source, None, "invalid JSON: %s" % e)
        return
    except RecursionError:
        yield Problem(source, None, "invalid JSON: nested too deeply")
        return
    from . import weblex_index
    if weblex_index.is_index(obj):
        yield from weblex_index.read_index(obj, source)
        return
    try:
        records = records_in_json(obj)
    except RecordError as e:
        yield Problem(source, None, str(e))
        return
    for number, record in enumerate(records, 1):
        yield from _record_items(record, source, number)


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
    for item in iter_files(paths):
        if isinstance(item, Problem):
            yield item
            continue
        try:
            yield from read_file(item)
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


def read_paths(paths: Iterable[str | os.PathLike] | None = None, progress=None) -> ReadResult:
    """Read everything under `paths` (default: the bundled corpus), deduplicated by id.

    `progress(1)` is called for each document read."""
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
            if progress:
                progress(1)
    result.documents = dedup.documents()
    result.duplicates = dedup.duplicates
    result.files = len(sources)
    return result
