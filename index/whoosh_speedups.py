"""Targeted speed-ups of whoosh internals, applied by whoosh_compat once they pass its checks (never on import).

whoosh reads a document's field length from the on-disk length column with one seek and read per call;
its segment writer calls this once per posting, and BM25F once per scored document. Materialising each
length column once per reader (one byte per document) removes that per-call I/O. Results are identical.

A segment is one compound file that whoosh memory-maps; each file opened inside it (postings, term index,
columns) becomes a BufferFile, which wraps its slice in io.BytesIO, and BytesIO copies it: opening an index
of 20,000 documents copied ~350 MB into memory before the first search. _ViewFile reads the mapped slice in
place instead (the same bytes, read the same way), so a search process holds only what it touches.
"""
from __future__ import annotations

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3PerDocReader, _lenfield
from whoosh.filedb import structfile
from whoosh.util.numeric import byte_to_length

_LENGTHS = "_parlsearch_lengths"


def _column_bytes(reader, doccount: int) -> bytes:
    """All values of a one-byte length column: one read of the stored bytes (zero-padded like whoosh's
    default), instead of one read per document."""
    raw = None
    if getattr(reader, "_typecode", None) == "B" and getattr(reader, "_default", None) == 0:
        try:
            raw = reader._dbfile.get(reader._basepos, reader._count)
        except (AttributeError, OSError, ValueError):
            raw = None
    if raw is None or len(raw) != getattr(reader, "_count", -1):
        if raw is None:
            from .whoosh_compat import warn_once
            warn_once("column_reads_layout", "whoosh's length column layout is not the one parlsearch reads in "
                      "one go; field lengths are read value by value (same results, slower)")
        return bytes(reader)
    return bytes(raw[:doccount]) + bytes(max(0, doccount - len(raw)))


def _doc_field_length(self, docnum, fieldname, default=0):
    cache = self.__dict__.get(_LENGTHS)
    if cache is None:
        cache = self.__dict__[_LENGTHS] = {}
    lengths = cache.get(fieldname)
    if lengths is None:
        reader = self._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        lengths = cache[fieldname] = _column_bytes(reader, self._doccount) if reader is not None else b""
    if docnum >= len(lengths):
        if docnum > self._doccount:
            raise IndexError("Asked for docnum %r of %d" % (docnum, self._doccount))
        return default
    lbyte = lengths[docnum]
    return byte_to_length(lbyte) if lbyte else default


class _ViewFile:
    """A read-only file over a buffer (a memoryview of the mapped segment), without copying it."""

    __slots__ = ("_view", "_pos", "_size", "closed")

    def __init__(self, buf):
        self._view = memoryview(buf).cast("B") if not isinstance(buf, bytes) else memoryview(buf)
        self._pos = 0
        self._size = len(self._view)
        self.closed = False

    def read(self, size=-1):
        start = self._pos
        if start >= self._size:
            return b""
        end = self._size if size is None or size < 0 else min(start + size, self._size)
        self._pos = end
        return self._view[start:end].tobytes()

    def readinto(self, b):
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)

    def readline(self, size=-1):
        start = self._pos
        if start >= self._size:
            return b""
        end = self._size if size is None or size < 0 else min(start + size, self._size)
        view = self._view[start:end]
        # memoryview has no find(): look for the newline in bounded chunks
        step = 256
        for offset in range(0, len(view), step):
            i = view[offset:offset + step].tobytes().find(b"\n")
            if i >= 0:
                end = start + offset + i + 1
                break
        self._pos = end
        return self._view[start:end].tobytes()

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def seek(self, pos, whence=0):
        if whence == 1:
            pos += self._pos
        elif whence == 2:
            pos += self._size
        if pos < 0:
            raise ValueError("negative seek position %d" % pos)
        self._pos = pos
        return pos

    def tell(self):
        return self._pos

    def readable(self):
        return True

    def seekable(self):
        return True

    def writable(self):
        return False

    def flush(self):
        pass

    def close(self):
        self.closed = True
        self._view = memoryview(b"")
        self._size = 0


def _buffer_file_init(self, buf, name=None, onclose=None):
    self._buf = buf
    self._name = name
    self.file = _ViewFile(buf)
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


def apply_column_reads() -> None:
    W3PerDocReader.doc_field_length = _doc_field_length


def apply_buffer_reads() -> None:
    structfile.BufferFile.__init__ = _buffer_file_init
