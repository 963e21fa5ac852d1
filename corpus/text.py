"""Decoding and whitespace normalisation shared by every reader."""
from __future__ import annotations

import codecs
import re
import threading
import unicodedata

from ..wording import noun

#: Horizontal spaces that pages use in place of a plain space (NBSP, narrow NBSP, thin spaces, tabs…).
_HSPACE = re.compile(r"[\t\x0b\x0c\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r" {2,}")
_BLANK_LINES = re.compile(r"\n{3,}")


class DecodeError(ValueError):
    """The bytes are not text (binary data)."""


_FALLBACK = threading.local()


def _cp1252_fallback(error: UnicodeDecodeError):
    """Codec error handler: bytes that are not UTF-8 are read as cp1252 (latin-1 for its 5 holes), and
    their offsets are noted so that the reader can report the lines concerned."""
    bad = error.object[error.start:error.end]
    getattr(_FALLBACK, "offsets", []).append(error.start)
    return "".join(b.to_bytes(1, "big").decode("cp1252", errors="ignore") or chr(b) for b in bad), error.end


#: The handler's name is unique to this module object: a second import of this file under another name
#: (a test importing ``corpus`` from the source tree) registers its own, with its own offsets.
_HANDLER = "parlsearch-cp1252-%x" % id(_FALLBACK)
codecs.register_error(_HANDLER, _cp1252_fallback)

#: Lines named in a decoding warning; beyond, only their count.
MAX_REPORTED_LINES = 5


class Utf8Decoder:
    """Incremental UTF-8 decoding in which a stray non-UTF-8 byte (a cp1252 "é" pasted into a UTF-8
    file) is read as cp1252 *for that byte only*: the UTF-8 text around it stays intact, where decoding
    the whole file as cp1252 would turn every accent of it into mojibake ("Ã©"). Lines that needed the
    fallback are counted (`fallback_lines`, the first MAX_REPORTED_LINES of them kept in `lines`)."""

    def __init__(self):
        self._pending = b""
        self.line = 1  # line number at the start of the next chunk (a line reader may set it)
        self.lines: list[int] = []
        self.fallback_lines = 0
        self._last_line = 0
        self.utf8_seen = False

    def decode(self, chunk: bytes, final: bool = False) -> str:
        data = self._pending + chunk if self._pending else chunk
        _FALLBACK.offsets = offsets = []
        try:
            text, used = codecs.utf_8_decode(data, _HANDLER, final)
        finally:
            _FALLBACK.offsets = []
        line, start = self.line, 0
        for offset in offsets:
            line += data.count(b"\n", start, offset)
            start = offset
            if line != self._last_line:
                self._last_line = line
                self.fallback_lines += 1
                if len(self.lines) < MAX_REPORTED_LINES:
                    self.lines.append(line)
        if not self.utf8_seen and len(text) - len(offsets) > 0:
            # Non-ASCII characters beyond those of the fallback: the file really holds UTF-8.
            non_ascii = len(text) - len(text.encode("ascii", "ignore"))
            self.utf8_seen = non_ascii > len(offsets)
        self.line += data.count(b"\n", 0, used)
        self._pending = data[used:]
        return text

    def warning(self) -> str | None:
        """One line for the reader's problems, or None when everything was UTF-8, or everything cp1252 (a
        file with no UTF-8 sequence at all is a cp1252 file, read right without a warning)."""
        if not self.fallback_lines or not self.utf8_seen:
            return None
        more = self.fallback_lines - len(self.lines)
        return "not valid UTF-8 on %s %s%s: read as cp1252 there, the rest as UTF-8" % (
            noun(self.fallback_lines, "line"), ", ".join(map(str, self.lines)),
            " and %d more" % more if more > 0 else "")


class Utf16Decoder:
    """Incremental UTF-16 decoding (a file that starts with a UTF-16 byte order mark), for the streaming
    JSON reader; same interface as Utf8Decoder. Invalid UTF-16 raises DecodeError."""

    def __init__(self):
        self._decoder = codecs.getincrementaldecoder("utf-16")()

    def decode(self, chunk: bytes, final: bool = False) -> str:
        try:
            return self._decoder.decode(chunk, final)
        except UnicodeDecodeError:
            raise DecodeError("invalid UTF-16 text") from None

    def warning(self) -> str | None:
        return None


def check_not_binary(text: str) -> None:
    """DecodeError when text decoded from bytes is evidently binary (mostly control characters)."""
    sample = text[:65536]
    if sample:
        controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\n\r\x0c")
        if controls > max(8, len(sample) // 100):
            raise DecodeError("binary content (control characters)")


def decode_report(data: bytes) -> tuple[str, str | None]:
    """Decode file content: UTF-8 (with or without BOM), UTF-16 with BOM; bytes that are not UTF-8 are
    read as cp1252, one byte at a time (a cp1252 file thus reads right, and a UTF-8 file with one stray
    cp1252 byte keeps its UTF-8 text). Returns (text, warning naming the lines read as cp1252, or None).

    Raises DecodeError for binary data (NUL bytes or mostly control characters).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            raise DecodeError("invalid UTF-16 text") from None
    if b"\x00" in data[:65536]:
        raise DecodeError("binary content (NUL bytes)")
    decoder = Utf8Decoder()
    text = decoder.decode(data, final=True)
    check_not_binary(text)
    return text, decoder.warning()


def decode_bytes(data: bytes) -> str:
    """decode_report without the warning (for callers that have nowhere to report it)."""
    return decode_report(data)[0]


def normalize_newlines(text: str) -> str:
    """CRLF, CR CR LF and lone CR all become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def clean_text(text: str | None) -> str:
    """NFC, unified newlines, exotic spaces as spaces, trimmed lines, at most one blank line in a row.

    Each substitution runs only where it can match (a substring test costs well under 1 ns a character, a
    regular expression's scan 3-8): 26 → 16 ns a character on generated questions, the largest cost of
    reading a JSON record."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", normalize_newlines(text))
    ascii_only = text.isascii()
    if not ascii_only:  # zero-width characters are all outside ASCII
        text = _ZERO_WIDTH.sub("", text)
    if not ascii_only or "\t" in text or "\x0b" in text or "\x0c" in text:
        text = _HSPACE.sub(" ", text)
    if "  " in text:
        text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def clean_line(text: str | None) -> str:
    """Like clean_text, but folded onto one line (titles, names)."""
    return " ".join(clean_text(text).split())


class PageError(ValueError):
    """A page (HTML or plain text) that does not hold a readable question."""
