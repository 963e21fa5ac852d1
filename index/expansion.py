"""Fuzzy and prefix expansion of a query word, segment by segment, with a bound on the expansions.

whoosh's MultiReader (an index of several segments) has no terms_within of its own: it falls back to
IndexReader.terms_within, which runs Damerau-Levenshtein in Python over the merged vocabulary of every
segment (2.1 s for `stationement~` at 100k documents, issue 13). Each SegmentReader has a DFA-based
terms_within that skips through its own sorted term list; the union over segments is the same set of
words (tests/test_expansion.py checks it against MultiReader.terms_within) at a fraction of the cost
(0.87 s measured on the same index; less with a prefix). Prefix expansion likewise walks each segment's
own term list instead of merging all of them through a heap.

`limit` bounds how many terms a word may expand to (each expansion is one more posting list to read):
the most frequent (summed document frequency over segments), then alphabetical, are kept. `stop_after`
instead stops the walk as soon as that many words are found (search/engine/limits.py counts a query's expansions
against its clause limit: one past the limit is enough to refuse it), and `budget` (search/engine/budget.py) is
checked every CHECK_EVERY words found.
"""
from __future__ import annotations

from functools import lru_cache
from heapq import nsmallest

#: Words found between two checks of a budget (a check costs ~0.3 µs, a word found ~2-20 µs).
CHECK_EVERY = 64


@lru_cache(maxsize=128)
def _damerau_dfa(text: str, maxdist: int, prefix: int):
    """An automaton accepting the words within `maxdist` edits of `text`, a transposition of two
    adjacent letters counting as one edit (the optimal-string-alignment distance that whoosh's
    distance() computes), the first `prefix` letters fixed.

    whoosh's levenshtein_automaton counts plain edits only (a transposition costs 2); each transposition
    is added to it as two transitions through an intermediate state. Cached: building the DFA is most
    of the cost, and fields sharing an analyzer ask for the same one."""
    from whoosh.automata import lev
    nfa = lev.levenshtein_automaton(text, maxdist, prefix)
    for i in range(prefix, len(text) - 1):
        a, b = text[i], text[i + 1]
        if a == b:
            continue
        for e in range(maxdist):
            middle = ("transposed", i, e)
            nfa.add_transition((i, e), b, middle)
            nfa.add_transition(middle, a, (i + 2, e + 1))
    return nfa.to_dfa()


def _leaves(reader):
    return [r for r, _ in reader.leaf_readers()]


def _bound(reader, fieldname: str, words, limit: int | None) -> list[str]:
    words = sorted(words)
    if limit is None or len(words) <= limit:
        return words
    to_bytes = reader.schema[fieldname].to_bytes
    return sorted(w for _, w in nsmallest(limit, ((-reader.doc_frequency(fieldname, to_bytes(w)), w)
                                                  for w in words)))


def _collect(words: set, found, stop_after: int | None, budget) -> bool:
    """Add the words of `found` to `words`, stopping once `stop_after` are held (False then)."""
    for i, word in enumerate(found):
        words.add(word)
        if budget is not None and not i % CHECK_EVERY:
            budget.check()
        if stop_after is not None and len(words) >= stop_after:
            return False
    return True


def terms_within(reader, fieldname: str, text: str, maxdist: int, prefix: int = 0,
                 limit: int | None = None, stop_after: int | None = None, budget=None) -> list[str]:
    """Words of `fieldname` within `maxdist` Damerau-Levenshtein edits of `text` (sharing its first
    `prefix` characters): the same set as whoosh's MultiReader.terms_within, from each segment's own
    sorted term list walked by one automaton (_damerau_dfa), each word confirmed with whoosh's own
    distance().

    Sorted; at most `limit` words (the most frequent) when limit is given; the first `stop_after` words
    the walk meets (in no useful order: for counting) when that is given."""
    from whoosh.codec.base import Automata
    from whoosh.support.levenshtein import distance

    if fieldname not in reader.schema or maxdist < 0:
        return []
    prefix = min(prefix, len(text))  # whoosh's automaton fails on a prefix longer than the word
    spellfield = reader.schema[fieldname].spelling_fieldname(fieldname)
    dfa = _damerau_dfa(text, maxdist, prefix)
    from .segments import ListCursor, vocabulary
    def cursor(leaf):
        terms = vocabulary(leaf, fieldname)
        return ListCursor(terms) if terms is not None else leaf.cursor(spellfield)
    words = set()
    confirmed = (w for leaf in _leaves(reader) if fieldname in leaf.indexed_field_names()
                 for w in Automata.find_matches(dfa, cursor(leaf))
                 if distance(w, text, limit=maxdist) <= maxdist)
    _collect(words, confirmed, stop_after, budget)
    return _bound(reader, fieldname, words, limit)


def expand_prefix(reader, fieldname: str, prefix: str, limit: int | None = None, stop_after: int | None = None,
                  budget=None) -> list[str]:
    """Words of `fieldname` starting with `prefix`, per segment; at most `limit` (the most frequent), or
    the first `stop_after` found (see terms_within)."""
    if fieldname not in reader.schema:
        return []
    from .segments import vocabulary
    from_bytes = reader.schema[fieldname].from_bytes
    def found(leaf):
        terms = vocabulary(leaf, fieldname)
        if terms is not None:
            return _prefixed(terms, prefix)
        return (from_bytes(b) for b in leaf.expand_prefix(fieldname, prefix))
    words = set()
    _collect(words, (w for leaf in _leaves(reader) if fieldname in leaf.indexed_field_names() for w in found(leaf)),
             stop_after, budget)
    return _bound(reader, fieldname, words, limit)


def _prefixed(terms: list[str], prefix: str):
    """The terms of a sorted list that start with `prefix` (one bisect, then a scan of those only)."""
    import bisect
    i = bisect.bisect_left(terms, prefix)
    while i < len(terms) and terms[i].startswith(prefix):
        yield terms[i]
        i += 1


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


def expand_query(q, reader, limit: int | None = None):
    """`q` with every fuzzy and prefix term replaced by the Or of the words it expands to (at most
    `limit` each), computed once from the reader's segments.

    whoosh expands such a term again at every use (existence check, counting, scoring, and once per hit
    for highlighting: 18 expansions for one `stationement~` search of ten hits), and on the top reader
    of a multi-segment index each expansion is the slow merged-vocabulary scan. Expanded once, the query
    is plain terms, which search.scoring.FastScorer can score. Each expanded word scores as a typed word
    (BM25F) at the fuzzy term's boost; whoosh's own constant-score mode scored raw term frequencies."""
    from whoosh import query as wq
    if isinstance(q, wq.FuzzyTerm):
        words = terms_within(reader, q.fieldname, q.text, q.maxdist, q.prefixlength, limit)
    elif type(q) is wq.Prefix:
        words = expand_prefix(reader, q.fieldname, q.text, limit)
    elif q.is_leaf() or not list(q.children()):
        return q
    else:
        return q.apply(lambda child: expand_query(child, reader, limit))
    if not words:
        return wq.NullQuery
    terms = [wq.Term(q.fieldname, w) for w in words]
    return wq.Term(q.fieldname, words[0], boost=q.boost) if len(terms) == 1 else wq.Or(terms, boost=q.boost)


def expand_wildcard(reader, fieldname: str, pattern: str, limit: int | None = None, stop_after: int | None = None,
                    budget=None) -> list[str]:
    """Words of `fieldname` matching a wildcard pattern (`*` any run of characters, `?` one character), as
    whoosh's Wildcard reads it: the words sharing the pattern's literal prefix, tested with one regex."""
    import re
    if fieldname not in reader.schema:
        return []
    cut = min([i for i in (pattern.find("*"), pattern.find("?")) if i >= 0], default=len(pattern))
    prefix = pattern[:cut]
    regex = re.compile(_wildcard_regex(pattern))
    words = set()
    found = (w for w in expand_prefix(reader, fieldname, prefix, budget=budget) if regex.fullmatch(w))
    _collect(words, found, stop_after, budget)
    return _bound(reader, fieldname, words, limit)


def _wildcard_regex(pattern: str) -> str:
    import re
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)


def expand_range(reader, fieldname: str, low: str, high: str | None, include_low: bool = True,
                 include_high: bool = True, limit: int | None = None, stop_after: int | None = None,
                 budget=None) -> list[str]:
    """Words of `fieldname` between `low` and `high` (a term range, `field:[a TO b]`; None: open)."""
    if fieldname not in reader.schema:
        return []
    field = reader.schema[fieldname]
    blow = field.to_bytes(low) if low else b""
    bhigh = field.to_bytes(high) if high else None
    def found(leaf):
        for fname, btext in leaf.terms_from(fieldname, blow):
            if fname != fieldname:
                return
            if bhigh is not None and (btext > bhigh or (btext == bhigh and not include_high)):
                return
            if btext == blow and not include_low:
                continue
            yield field.from_bytes(btext)
    words = set()
    _collect(words, (w for leaf in _leaves(reader) if fieldname in leaf.indexed_field_names() for w in found(leaf)),
             stop_after, budget)
    return _bound(reader, fieldname, words, limit)
