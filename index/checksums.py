"""A CRC-32 of every file of a segment, kept in the index's table of contents, checked when something fails.

Why: whoosh keeps no checksums, and parlsearch's posting records are raw arrays (index/codec.py), so a flipped
bit on disk is not caught by a decompression error any more: it gives a wrong number, and the wrong number may
surface anywhere (an index out of range, a document that does not exist). Checking every file at every open
would read the whole index (~1 GB at 100,000 questions) for each query. Instead the writer records each new
segment's checksums (one extra read of files it has just written, in the page cache: ~1 s at 100,000
questions, against minutes of indexing), and a command that fails unexpectedly checks them: a damaged index
is then reported as damaged (with the rebuild command), and only an intact index lets the error stand as a bug.

The checksums travel with the segment object, which whoosh pickles into the table of contents: they are
committed with the segment, atomically, and a segment carried into a later commit keeps them.
"""
from __future__ import annotations

import zlib

#: The attribute of a whoosh segment object that holds {file name: CRC-32}.
ATTRIBUTE = "_parlsearch_crc32"
_CHUNK = 1 << 20


def _crc(storage, name: str) -> int:
    f = storage.open_file(name)
    try:
        crc = 0
        while True:
            chunk = f.read(_CHUNK)
            if not chunk:
                return crc
            crc = zlib.crc32(chunk, crc)
    finally:
        f.close()


def seal(segment, storage) -> None:
    """Record the CRC-32 of each of the segment's files (once: a sealed segment is left as it is)."""
    if getattr(segment, ATTRIBUTE, None):
        return
    setattr(segment, ATTRIBUTE, {name: _crc(storage, name) for name in sorted(segment.list_files(storage))})


def segment_damaged_files(segment, storage) -> list[str]:
    """The files of one segment whose content no longer has the checksum recorded when they were written, or
    that are missing (a segment written without checksums is not checked)."""
    out = []
    for name, crc in (getattr(segment, ATTRIBUTE, None) or {}).items():
        try:
            if _crc(storage, name) != crc:
                out.append(name)
        except OSError:
            out.append(name)
    return out


def damaged_files(ix) -> list[str]:
    """The files of the index's current segments whose content no longer has the checksum recorded when they
    were written, or that are missing (segments written without checksums are not checked)."""
    return [name for segment in ix._segments() for name in segment_damaged_files(segment, ix.storage)]
