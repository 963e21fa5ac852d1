"""Per-document values read from whoosh's columns and postings, never from stored documents.

Unpickling a stored payload costs ~50 µs a document (a JSON document of several kB); a column value is an
array lookup. Counting, answer delays and saved searches read only what they need from here, so they stay
fast over all the matches of a broad query at 100k documents.
"""
from __future__ import annotations

import datetime as dt
from bisect import bisect_right

#: whoosh stores a DATETIME as microseconds since datetime.min; a day is this many of them.
_US_PER_DAY = 86_400_000_000
_MAX_ORDINAL = dt.date.max.toordinal()


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
        leaves = reader.leaf_readers()
        self._offsets = [offset for _, offset in leaves]
        self._readers = [leaf.column_reader(fieldname, translate=False) for leaf, _ in leaves]

    def __getitem__(self, docnum: int):
        i = bisect_right(self._offsets, docnum) - 1
        return self._readers[i][docnum - self._offsets[i]]

    def many(self, docnums) -> list:
        """Values for `docnums` (sorted ascending, as a matcher yields them), in that order."""
        out = []
        offsets, readers = self._offsets, self._readers
        i, n = 0, len(offsets)
        for docnum in docnums:
            while i + 1 < n and docnum >= offsets[i + 1]:
                i += 1
            out.append(readers[i][docnum - offsets[i]])
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


def term_values(reader, fieldname: str, docnums, missing: str) -> list[str]:
    """For an untokenised field with few distinct values and no column (type, legislature): each document's
    term, from the postings of each term (a handful of terms, one pass over their postings)."""
    wanted = set(docnums)
    owner = {}
    for term in reader.lexicon(fieldname):
        name = term.decode("utf-8", "replace") if isinstance(term, bytes) else term
        for docnum in reader.postings(fieldname, term).all_ids():
            if docnum in wanted:
                owner[docnum] = name
    return [owner.get(d, missing) for d in docnums]
