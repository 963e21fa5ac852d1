"""Per-document values read from whoosh's columns and postings, never from stored documents.

Unpickling a stored payload costs ~50 µs a document (a JSON document of several kB); a column value is an
array lookup. Counting, answer delays and saved searches read only what they need from here, so they stay
fast over all the matches of a broad query at 100k documents.
"""
from __future__ import annotations

import datetime as dt
import struct
import sys
from array import array
from bisect import bisect_right

from whoosh import columns as wcolumns

#: whoosh stores a DATETIME as microseconds since datetime.min; a day is this many of them.
_US_PER_DAY = 86_400_000_000
_MAX_ORDINAL = dt.date.max.toordinal()
#: A segment's whole column is decoded at once (one read, one array) when at least this share of its
#: documents is wanted: below it, per-document lookups read less. At 20k documents a whole-column read of a
#: bytes column costs about as much as 1/10 of its per-document lookups.
BULK_SHARE = 1 / 16


def _array_of(dbfile, position: int, typecode: str, count: int):
    """`count` big-endian numbers of `typecode` at `position` (how whoosh writes column arrays)."""
    values = array(typecode)
    if values.itemsize != struct.calcsize("!" + typecode):
        return None
    values.frombytes(dbfile.get(position, count * values.itemsize))
    if sys.byteorder == "little":
        values.byteswap()
    return values


def whole_column(creader, doccount: int) -> list | None:
    """Every raw value of one segment's column in one read, for whoosh's RefBytes and Numeric columns
    (the ones our schema uses); None for any other reader, which is then read document by document.

    This reads whoosh 2.7's documented on-disk layout through the readers' attributes; tests check it equals
    reading every document with the public reader[docnum]."""
    try:
        if isinstance(creader, wcolumns.RefBytesColumn.Reader):
            refs = _array_of(creader._dbfile, creader._basepos, creader._typecode, creader._doccount)
            if refs is None:
                return None
            uniques = creader._uniques
            return [uniques[r] for r in refs]
        if isinstance(creader, wcolumns.NumericColumn.Reader) and not creader._reverse:
            count = min(creader._count, creader._doccount)
            values = _array_of(creader._dbfile, creader._basepos, creader._typecode, count)
            if values is None:
                return None
            return values.tolist() + [creader._default] * (creader._doccount - count)
        if isinstance(creader, wcolumns.EmptyColumnReader):
            return [creader[0]] * doccount if doccount else []
    except (AttributeError, TypeError, struct.error):
        return None
    return None


def day_of(raw) -> dt.date | None:
    """The date of a raw DATETIME column value, or None for whoosh's missing-value sentinel (2**63 - 1)."""
    if raw is None or raw < 0:
        return None
    ordinal = raw // _US_PER_DAY + 1
    return dt.date.fromordinal(ordinal) if ordinal <= _MAX_ORDINAL else None


class ColumnValues:
    """Raw values of one column for absolute document numbers of a reader, segment by segment.

    whoosh's MultiReader.column_reader skips segments that hold no value for a field without shifting
    the offsets (see index/stats.py); reading each leaf with its own offset avoids that.
    """

    def __init__(self, reader, fieldname: str):
        # An index without any segment (a first build interrupted before its first commit) reads as whoosh's
        # EmptyReader, which has no columns at all: it holds no document to read a value for.
        leaves = [(leaf, offset) for leaf, offset in reader.leaf_readers() if leaf.doc_count_all()]
        self._offsets = [offset for _, offset in leaves]
        self._readers = [leaf.column_reader(fieldname, translate=False) for leaf, _ in leaves]
        self._sizes = [leaf.doc_count_all() for leaf, _ in leaves]

    def __getitem__(self, docnum: int):
        i = bisect_right(self._offsets, docnum) - 1
        return self._readers[i][docnum - self._offsets[i]]

    def many(self, docnums) -> list:
        """Values for `docnums` (sorted ascending, as a matcher yields them), in that order."""
        out = []
        offsets, readers = self._offsets, self._readers
        bounds = offsets[1:] + [None]
        start = 0
        for i, creader in enumerate(readers):
            end = len(docnums) if bounds[i] is None else bisect_right(docnums, bounds[i] - 1, lo=start)
            wanted = docnums[start:end]
            start = end
            if not wanted:
                continue
            base = offsets[i]
            size = self._sizes[i]
            whole = whole_column(creader, size) if len(wanted) >= size * BULK_SHARE else None
            if whole is not None and len(whole) > wanted[-1] - base:
                out.extend(whole[d - base] for d in wanted)
            else:
                out.extend(creader[d - base] for d in wanted)
        return out


def text_values(reader, fieldname: str, docnums, missing: str) -> list[str]:
    """Bytes columns (author_facet, minister_facet, status_facet, id) decoded, empty ones as `missing`."""
    cache = {}
    out = []
    for raw in ColumnValues(reader, fieldname).many(docnums):
        value = cache.get(raw)
        if value is None:
            value = cache[raw] = (raw or b"").decode("utf-8", "replace") or missing
        out.append(value)
    return out


def date_values(reader, fieldname: str, docnums) -> list[dt.date | None]:
    """A DATETIME column as dates (None when the document has no such date)."""
    cache = {}
    out = []
    for raw in ColumnValues(reader, fieldname).many(docnums):
        if raw not in cache:
            cache[raw] = day_of(raw)
        out.append(cache[raw])
    return out


def posting_ids(matcher) -> list[int]:
    """Every document number of a term's postings: a block at a time for whoosh 2.7's on-disk postings
    (W3LeafMatcher, whose ids are one array per block), else through the public all_ids().
    Tests check both ways agree."""
    from whoosh.codec.whoosh3 import W3LeafMatcher
    if type(matcher) is not W3LeafMatcher or not hasattr(matcher, "_read_ids"):
        return list(matcher.all_ids())
    out = []
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        out.extend(matcher._ids[matcher._i:matcher._blocklength])
        matcher._next_block()
    return out


def term_values(reader, fieldname: str, docnums, missing: str) -> list[str]:
    """For an untokenised field with few distinct values and no column (type, legislature): each document's
    term, from the postings of each term (a handful of terms, one pass over their postings, segment by
    segment; deleted documents are never among `docnums`)."""
    owner = {}
    for leaf, offset in reader.leaf_readers():
        if fieldname not in leaf.indexed_field_names():
            continue
        for term in leaf.lexicon(fieldname):
            name = term.decode("utf-8", "replace") if isinstance(term, bytes) else term
            for docnum in posting_ids(leaf.postings(fieldname, term)):
                owner[docnum + offset] = name
    return [owner.get(d, missing) for d in docnums]
