"""Fuzzy and prefix expansion of a query word, segment by segment, with a bound on the expansions.

whoosh's MultiReader (an index of several segments) has no terms_within of its own: it falls back to
IndexReader.terms_within, which runs Damerau-Levenshtein in Python over the merged vocabulary of every
segment (2.1 s for `stationement~` at 100k documents, issue 13). Each SegmentReader has a DFA-based
terms_within that skips through its own sorted term list; the union over segments is the same set of
words (tests/test_expansion.py checks it against MultiReader.terms_within) at a fraction of the cost
(0.87 s measured on the same index; less with a prefix). Prefix expansion likewise walks each segment's
own term list instead of merging all of them through a heap.

`limit` bounds how many terms a word may expand to (each expansion is one more posting list to read):
the most frequent (summed document frequency over segments), then alphabetical, are kept.
"""
from __future__ import annotations

from heapq import nsmallest


def _leaves(reader):
    return [r for r, _ in reader.leaf_readers()]


def _bound(reader, fieldname: str, words, limit: int | None) -> list[str]:
    words = sorted(words)
    if limit is None or len(words) <= limit:
        return words
    to_bytes = reader.schema[fieldname].to_bytes
    return sorted(w for _, w in nsmallest(limit, ((-reader.doc_frequency(fieldname, to_bytes(w)), w)
                                                  for w in words)))


def _transposed(text: str, start: int, count: int):
    """`text` with `count` disjoint adjacent transpositions at positions >= start (distinct results)."""
    if count == 0:
        yield text
        return
    for i in range(start, len(text) - 1):
        if text[i] != text[i + 1]:
            swapped = text[:i] + text[i + 1] + text[i] + text[i + 2:]
            yield from _transposed(swapped, i + 2, count - 1)


def terms_within(reader, fieldname: str, text: str, maxdist: int, prefix: int = 0,
                 limit: int | None = None) -> list[str]:
    """Words of `fieldname` within `maxdist` Damerau-Levenshtein edits of `text` (sharing its first
    `prefix` characters): the same set as whoosh's MultiReader.terms_within, from each segment's own
    term list.

    whoosh's segment automaton counts plain Levenshtein edits (a transposition costs 2), while the
    multi-segment fallback counts a transposition as 1. So the automaton of the word finds every word
    within maxdist plain edits, and the automata of its transposed variants (t transpositions, then
    maxdist - t plain edits) find the rest, each such candidate confirmed with whoosh's own distance().
    Each automaton is built once and run over every segment's sorted terms.

    Sorted; at most `limit` words (the most frequent) when limit is given."""
    from whoosh.automata import lev
    from whoosh.codec.base import Automata
    from whoosh.support.levenshtein import distance

    if fieldname not in reader.schema or maxdist < 0:
        return []
    prefix = min(prefix, len(text))  # whoosh's automaton fails on a prefix longer than the word
    leaves = [leaf for leaf in _leaves(reader) if fieldname in leaf.indexed_field_names()]
    spellfield = reader.schema[fieldname].spelling_fieldname(fieldname)
    to_bytes = reader.schema[fieldname].to_bytes
    words, extra = set(), set()
    for t in range(0, maxdist + 1):
        found = words if t == 0 else extra
        variants = set(_transposed(text, prefix, t))
        for variant in variants:
            rest = maxdist - t
            if rest == 0:
                btext = to_bytes(variant)
                if any((spellfield, btext) in leaf for leaf in leaves):
                    found.add(variant)
                continue
            dfa = lev.levenshtein_automaton(variant, rest, prefix).to_dfa()
            for leaf in leaves:
                found.update(Automata.find_matches(dfa, leaf.cursor(spellfield)))
    words.update(w for w in extra - words if distance(w, text, limit=maxdist) <= maxdist)
    return _bound(reader, fieldname, words, limit)


def expand_prefix(reader, fieldname: str, prefix: str, limit: int | None = None) -> list[str]:
    """Words of `fieldname` starting with `prefix`, per segment; at most `limit` (the most frequent)."""
    if fieldname not in reader.schema:
        return []
    from_bytes = reader.schema[fieldname].from_bytes
    words = set()
    for leaf in _leaves(reader):
        if fieldname in leaf.indexed_field_names():
            words.update(from_bytes(b) for b in leaf.expand_prefix(fieldname, prefix))
    return _bound(reader, fieldname, words, limit)


def fuzzy_query_class(limit: int | None = None):
    """A whoosh FuzzyTerm whose expansion is per segment and bounded: pass to the parser's
    FuzzyTermPlugin, or build queries with it directly."""
    from whoosh.query import FuzzyTerm

    class SegmentFuzzyTerm(FuzzyTerm):
        max_expansions = limit

        def _btexts(self, ixreader):
            to_bytes = ixreader.schema[self.fieldname].to_bytes
            return [to_bytes(w) for w in terms_within(ixreader, self.fieldname, self.text, self.maxdist,
                                                      self.prefixlength, self.max_expansions)]

    return SegmentFuzzyTerm


def prefix_query_class(limit: int | None = None):
    """A whoosh Prefix whose expansion is per segment and bounded."""
    from whoosh.query import Prefix

    class SegmentPrefix(Prefix):
        max_expansions = limit

        def _btexts(self, ixreader):
            to_bytes = ixreader.schema[self.fieldname].to_bytes
            return [to_bytes(w) for w in expand_prefix(ixreader, self.fieldname, self.text, self.max_expansions)]

    return SegmentPrefix
