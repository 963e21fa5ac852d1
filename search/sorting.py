"""The answer-date sort orders, as a whoosh `sortedby` facet.

`answered` / `-answered` sort by the answer date the Parliament publishes, oldest / newest first; questions
without an answer date come last in both directions (whoosh's own reversed column sort would put them first
with `-answered`, since a missing date is stored as the largest number).
"""
from __future__ import annotations

from whoosh import sorting

from .columns import day_of

#: Key of a document without the date: after every real date (ordinals are below 3.7 million).
_LAST = 1 << 62


class _DateMissingLast(sorting.FacetType):
    """Sort key ±day ordinal from a DATETIME column, read raw per segment; a missing date sorts last.

    One number, not a tuple: whoosh reports the sort key as the hit's score."""

    def __init__(self, fieldname: str, reverse: bool):
        self.fieldname = fieldname
        self.reverse = reverse
        self.maptype = None

    def categorizer(self, global_searcher):
        return _DateCategorizer(self.fieldname, self.reverse)


class _DateCategorizer(sorting.Categorizer):
    def __init__(self, fieldname: str, reverse: bool):
        self.fieldname = fieldname
        self.sign = -1 if reverse else 1
        self.column = None

    def set_searcher(self, segment_searcher, docoffset):
        self.column = segment_searcher.reader().column_reader(self.fieldname, translate=False)

    def key_for(self, matcher, segment_docnum):
        day = day_of(self.column[segment_docnum])
        return _LAST if day is None else self.sign * day.toordinal()


def answer_date_facet(newest_first: bool):
    """The `sortedby` facet of `--sort answered` (oldest answers first) or `-answered` (newest first)."""
    return _DateMissingLast("date_answered", newest_first)
