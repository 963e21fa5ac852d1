"""Decoding and whitespace normalisation shared by every reader."""
from __future__ import annotations

import re
import unicodedata

#: Horizontal spaces that pages use in place of a plain space (NBSP, narrow NBSP, thin spaces, tabs…).
_HSPACE = re.compile(r"[\t\x0b\x0c\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r" {2,}")
_BLANK_LINES = re.compile(r"\n{3,}")


class DecodeError(ValueError):
    """The bytes are not text (binary data)."""


def decode_bytes(data: bytes) -> str:
    """Decode file content: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252, else latin-1.

    Raises DecodeError for binary data (NUL bytes or mostly control characters).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise DecodeError("invalid UTF-16 text") from None
    if b"\x00" in data[:65536]:
        raise DecodeError("binary content (NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    sample = text[:65536]
    if sample:
        controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\n\r\x0c")
        if controls > max(8, len(sample) // 100):
            raise DecodeError("binary content (control characters)")
    return text


def normalize_newlines(text: str) -> str:
    """CRLF, CR CR LF and lone CR all become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def clean_text(text: str | None) -> str:
    """NFC, unified newlines, exotic spaces as spaces, trimmed lines, at most one blank line in a row."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", normalize_newlines(text))
    text = _ZERO_WIDTH.sub("", text)
    text = _HSPACE.sub(" ", text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def clean_line(text: str | None) -> str:
    """Like clean_text, but folded onto one line (titles, names)."""
    return " ".join(clean_text(text).split())


class PageError(ValueError):
    """A page (HTML or plain text) that does not hold a readable question."""
