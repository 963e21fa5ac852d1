"""Read the records of a JSON corpus file one at a time, in bounded memory.

``json.loads`` of a whole file holds the file's text and every parsed record at once: 1M tiny records in a
62 MB file took 3.1 GB. Here the file is decoded in chunks and each element of the top-level list (or of
the ``"questions"``/``"records"``/``"documents"``/``"items"``/``"data"`` list of a top-level object) is
parsed on its own with ``json.JSONDecoder.raw_decode`` over a sliding window: memory holds the window
(CHUNK_CHARS, grown up to MAX_VALUE_CHARS for one large record) and one record, whatever the file's size.

    for kind, number, value in iter_json_values(stream, decoder):
        ...   # kind: "list" (element of a top-level list), a record key ("questions"…, "data"),
              # "field" (another key of a top-level object), "extra" (JSON Lines under .json)

A syntax error ends the file with JsonStreamError (the records before it were already yielded); one
value over MAX_VALUE_CHARS does too (no safe way to resume inside it).
"""
from __future__ import annotations

import json
import re
from typing import Iterator

from .text import Utf8Decoder, check_not_binary

#: Characters decoded per read. 1 Mi characters: few reads for a large file, little memory for a small one.
CHUNK_CHARS = 1 << 20
#: Largest single value (one record, one index row, one top-level field) accepted: 16 Mi characters, the
#: JSON Lines line limit (records.MAX_LINE_BYTES). The biggest real record is under 100 KB.
MAX_VALUE_CHARS = 16 << 20
#: Keys of a top-level object whose list holds the records (in this order of preference, as before).
RECORD_KEYS = ("questions", "records", "documents", "items")
#: Key of the Weblex index's list of rows.
INDEX_KEY = "data"

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class JsonStreamError(ValueError):
    """The file stops being valid JSON (or holds a value over MAX_VALUE_CHARS) at `number` (or None)."""

    def __init__(self, reason: str, number: int | None = None):
        super().__init__(reason)
        self.number = number


class _Window:
    """A sliding window of decoded text over a binary stream."""

    def __init__(self, stream, decoder: Utf8Decoder, chunk_bytes: int = CHUNK_CHARS):
        self.stream, self.decoder, self.chunk_bytes = stream, decoder, chunk_bytes
        self.text, self.pos, self.eof = "", 0, False
        self.max_buffered = 0  # most characters held at once (for tests and the memory budget)
        self.checked = False

    def fill(self, at_least: int = 0) -> bool:
        """Read at least one more chunk (or `at_least` bytes); False at end of file."""
        if self.eof:
            return False
        data = self.stream.read(max(self.chunk_bytes, at_least))
        if not data:
            self.eof = True
            tail = self.decoder.decode(b"", final=True)
        else:
            tail = self.decoder.decode(data)
        if not self.checked and tail:
            if "\x00" in tail:
                raise JsonStreamError("binary content (NUL bytes)")
            check_not_binary(tail)  # DecodeError for binary content
            self.checked = True
        self.text = self.text[self.pos:] + tail
        self.pos = 0
        self.max_buffered = max(self.max_buffered, len(self.text))
        return True

    def peek(self) -> str:
        """The next non-blank character ("" at end of file), without consuming it."""
        while True:
            self.pos = _WS.match(self.text, self.pos).end()
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.fill():
                return ""

    def take(self, char: str, number: int | None) -> None:
        found = self.peek()
        if found != char:
            raise JsonStreamError("invalid JSON: expected %r, found %s" % (
                char, repr(found) if found else "the end of the file"), number)
        self.pos += 1

    def value(self, number: int | None):
        """Parse the next JSON value, reading more of the file until it is complete."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as e:
                error = "invalid JSON: %s" % e.msg
                end = None
            except RecursionError:
                raise JsonStreamError("invalid JSON: nested too deeply", None) from None  # the file's shape
            else:
                if end - self.pos > MAX_VALUE_CHARS:
                    break
                # A number at the very end of the window may continue in the next chunk.
                if end < len(self.text) or self.eof:
                    self.pos = end
                    return value
            pending = len(self.text) - self.pos
            if pending > MAX_VALUE_CHARS:
                break
            # Doubling (linear time for a long value), never past the limit by more than one chunk.
            if not self.fill(at_least=min(pending, MAX_VALUE_CHARS - pending)):
                raise JsonStreamError(error if end is None else "invalid JSON", number)
        raise JsonStreamError("record longer than %d MB" % (MAX_VALUE_CHARS >> 20), number)


def iter_json_values(stream, decoder: Utf8Decoder | None = None, window: _Window | None = None
                     ) -> Iterator[tuple[str, int, object]]:
    """(kind, number from 1, value) for every record-like value of a JSON file (see the module docstring).

    Values of a top-level object that are not a record list are yielded once as ("field", 0, (key, value)),
    so that the caller can tell a single record or an empty index from a file without records; a list of
    records is announced by ("begin", 0, kind) before its first element (also when it is empty)."""
    w = window or _Window(stream, decoder or Utf8Decoder())
    if w.peek() == "\ufeff":
        w.pos += 1
    first = w.peek()
    if first == "[":
        yield from _elements(w, "list")
    elif first == "{":
        yield from _object(w)
    else:
        w.value(None)  # a bare string or number: no records (the caller reports it)
    number = 1
    while w.peek():
        if first != "{":
            raise JsonStreamError("invalid JSON: extra data after the top-level value")
        number += 1  # several objects, one after the other: JSON Lines under a .json name
        yield "extra", number, w.value(number)


def _elements(w: _Window, kind: str) -> Iterator[tuple[str, int, object]]:
    w.take("[", None)
    yield "begin", 0, kind
    number = 0
    if w.peek() == "]":
        w.pos += 1
        return
    while True:
        number += 1
        yield kind, number, w.value(number)
        if w.peek() == ",":
            w.pos += 1
            continue
        w.take("]", None)  # a list never closed is the file's problem, not its last (complete) record's
        return


def _object(w: _Window) -> Iterator[tuple[str, int, object]]:
    w.take("{", None)
    if w.peek() == "}":
        w.pos += 1
        return
    while True:
        key = w.value(None)
        if not isinstance(key, str):
            raise JsonStreamError("invalid JSON: object key is not a string")
        w.take(":", None)
        if w.peek() == "[" and (key in RECORD_KEYS or key == INDEX_KEY):
            yield from _elements(w, key)
        else:
            yield "field", 0, (key, w.value(None))
        if w.peek() == ",":
            w.pos += 1
            continue
        w.take("}", None)
        return
