"""Targeted speed-ups of whoosh internals, applied once on import of the index package.

whoosh reads a document's field length from the on-disk length column with one seek and read per call;
its segment writer calls this once per posting, and BM25F once per scored document. Materialising each
length column once per reader (one byte per document) removes that per-call I/O. Results are identical.
"""
from __future__ import annotations

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3PerDocReader, _lenfield
from whoosh.util.numeric import byte_to_length

_LENGTHS = "_parlsearch_lengths"


def _doc_field_length(self, docnum, fieldname, default=0):
    cache = self.__dict__.get(_LENGTHS)
    if cache is None:
        cache = self.__dict__[_LENGTHS] = {}
    lengths = cache.get(fieldname)
    if lengths is None:
        reader = self._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        lengths = cache[fieldname] = bytes(reader) if reader is not None else b""
    if docnum >= len(lengths):
        if docnum > self._doccount:
            raise IndexError("Asked for docnum %r of %d" % (docnum, self._doccount))
        return default
    lbyte = lengths[docnum]
    return byte_to_length(lbyte) if lbyte else default


def apply() -> None:
    if getattr(W3PerDocReader, "_parlsearch_patched", False):
        return
    W3PerDocReader.doc_field_length = _doc_field_length
    W3PerDocReader._parlsearch_patched = True


apply()
