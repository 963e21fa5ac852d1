"""What a query may cost, decided before it runs: its size and nesting, its fuzzy, prefix and wildcard words,
and how many index words they stand for. Each limit is checked before the work it bounds (parsing, expanding
a word over the index's vocabulary), and breaking one is a QueryError: one line saying what to change.
What cannot be foreseen (a legal query that meets huge posting lists) is bounded by the CPU budget
(budget.py) instead.

Why each number (measured on a 20,000-document index generated from the bundled corpus, 2-core machine):

* Nesting and operators. whoosh's BinaryGroup.query (the node of `-(…)` inside parentheses, `+a b`, ANDNOT,
  ANDMAYBE, REQUIRE) built the query of each side twice, so each level doubled the work: `-(-(…))` 14 deep
  made 32,767 node.query() calls (0.4 s), 20 deep 22 s, 300 deep never ended. query.py's
  TidyTreePlugin builds each side once (linear); the bounds below keep the tree shallow enough for Python's
  recursion in whoosh's parser, normalize() and matchers (a few frames a level, 1,000 frames in all):
  MAX_NESTING = 20 levels of parentheses (Elasticsearch's indices.query.bool.max_nested_depth) and
  MAX_OPERATORS = 50 (AND, OR, NOT, ANDNOT, ANDMAYBE, REQUIRE, and + or - before a word): a chain of 50
  ANDNOT is 50 levels deep. A pasted paragraph has none of them, a hand-written query a handful.
* Fuzzy words: the allowed edits depend on the word's length (max_fuzzy_edits, Elasticsearch's
  `fuzziness: AUTO`): none up to 2 letters, one for 3–5, two from 6. A short word at distance 2 stands for a
  large share of the vocabulary: `ab~2` matched 643 words over the nine default fields (6.5 s of CPU to
  search, each word one posting list), `ab~1` 15; `bus~2` 198 words against 16 for `bus~1`, `tram~2` 78
  against 12 (0.9 s against 0.16 s); from 6 letters distance 2 stays narrow (`projet~2` 40 words,
  `logement~2` 4). The length is that of the word as indexed (a stem may be shorter than the typed word).
* MAX_MULTITERM_WORDS = 10 fuzzy, prefix, wildcard or range words in one query, counted on the parsed query
  before any of them is expanded: each is expanded in each of the nine default fields (a vocabulary walk)
  and scored over the posting lists of its words; a hand-written query has one or two. `ab~2` repeated 100
  times was expanded 900 times (20 s of CPU) before the clause limit refused it.
* MAX_FUZZY_LENGTH = 40 characters: the automaton walk grows with the word (0.43 s a field for 400
  letters); the longest French and Dutch words are under 40 (arbeidsongeschiktheidsverzekering: 33).
* A wildcard may not start a word (`*bus`, `?us`): it would test every word of every field, as Lucene's
  query parser refuses by default (allowLeadingWildcard false). `*` alone means every document.
* MAX_EXPANDED_TERMS = 1024 index words for all the expanded words together (Lucene's default clause
  limit), counted while expanding: the expansion stops one word past it, whatever the index's size.
"""
from __future__ import annotations

import re

from whoosh import query as wq

from .query import QueryError, iter_nodes

#: Characters of a query (a pasted paragraph fits; the web page's form allows 2,000).
MAX_QUERY_CHARS = 4000
#: Levels of parentheses.
MAX_NESTING = 20
#: Boolean operators, + and - included.
MAX_OPERATORS = 50
#: Largest edit distance of a fuzzy word ("tram~8" is searched as "tram~2"): Lucene's maximum. The cost
#: of whoosh's Levenshtein automaton grows exponentially with it: "stationnement~8" took 107 s and 1.1 GB
#: on 107 documents.
MAX_EDIT_DISTANCE = 2
#: Most index words that the prefixes, wildcards, fuzzy words and ranges of one query may stand for
#: (Lucene's default clause limit). Each is one posting list to merge: "a*" at 20k documents was
#: thousands of words and 7-21 s. Past it, the query is refused with a message (exit 2).
MAX_EXPANDED_TERMS = 1024
#: Fuzzy, prefix, wildcard and range words in one query.
MAX_MULTITERM_WORDS = 10
#: Characters of a fuzzy word.
MAX_FUZZY_LENGTH = 40

_QUOTED = re.compile(r'"[^"]*"')
_OPERATOR = re.compile(r"(?:^|(?<=[\s(]))[-+](?=\S)|(?<![^\s()])(?:AND|OR|NOT|ANDNOT|ANDMAYBE|REQUIRE)(?![^\s()])")
_FUZZY_TYPED = re.compile(r'(?<![^\s(])[-+]?([^\s"()~:+-][^\s"()~:]*:)?([^\s"()~]+)~([0-9]*)')
_WILDCARDS = "*?"


def check_size(text: str) -> None:
    """Refuse a query too long, too deeply nested or with too many operators, before anything parses it.
    Parentheses and operators inside a "phrase" are words, not syntax."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError("query too long (over %d characters)" % MAX_QUERY_CHARS)
    outside = _QUOTED.sub(" ", text)
    depth = deepest = 0
    for ch in outside:
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth = max(0, depth - 1)
    if deepest > MAX_NESTING:
        raise QueryError("query nested too deeply (%d levels of parentheses; at most %d)" % (deepest, MAX_NESTING))
    operators = len(_OPERATOR.findall(outside))
    if operators > MAX_OPERATORS:
        raise QueryError("too many operators (%d AND, OR, NOT, + or -; at most %d): search fewer alternatives"
                         % (operators, MAX_OPERATORS))


def max_fuzzy_edits(length: int) -> int:
    """Edits a fuzzy word of `length` characters may have (Elasticsearch's AUTO): 0 up to 2, 1 up to 5, then
    MAX_EDIT_DISTANCE."""
    return 0 if length <= 2 else 1 if length <= 5 else MAX_EDIT_DISTANCE


def fuzzy_note(text: str) -> str | None:
    """The note shown when a typed edit distance is more than the word allows (the first such word)."""
    for m in _FUZZY_TYPED.finditer(text or ""):
        field, word, digits = m.group(1) or "", m.group(2), m.group(3)
        asked = int(digits[:9]) if digits else 1
        allowed = max_fuzzy_edits(len(word))
        if asked > allowed:
            typed = "%s%s~%s" % (field, word, digits)
            searched = "%s%s" % (field, word) + ("~%d" % allowed if allowed else "")
            if allowed == MAX_EDIT_DISTANCE:
                return "edit distance limited to %d (%s searched as %s)" % (allowed, typed, searched)
            return "edit distance limited to %d for a word of %d letters (%s searched as %s; 3-5 letters allow " \
                   "one edit, 6 or more two)" % (allowed, len(word), typed, searched)
    return None


def bound_fuzzy(q) -> None:
    """Clamp every fuzzy word of a parsed query to what its length allows (max_fuzzy_edits of the word as
    indexed), and its prefix to the word's length ("tram~1/5" and "tram~/9" made whoosh raise IndexError)."""
    for node in iter_nodes(q):
        if isinstance(node, wq.FuzzyTerm):
            node.maxdist = max(0, min(node.maxdist, max_fuzzy_edits(len(node.text))))
            node.prefixlength = max(0, min(node.prefixlength, len(node.text)))


def _is_multiterm(node, schema) -> bool:
    if isinstance(node, wq.Every):
        return node.fieldname not in (None, "", "*")
    return isinstance(node, wq.MultiTerm) and node.field() in schema


def check_multiterm_words(queries, schema) -> None:
    """Before any expansion: at most MAX_MULTITERM_WORDS fuzzy, prefix, wildcard or range words (a word the
    parser spread over several fields counts once), no wildcard first in a word, no fuzzy word longer
    than MAX_FUZZY_LENGTH."""
    words = set()
    for q in queries:
        for node in iter_nodes(q):
            if not _is_multiterm(node, schema):
                continue
            start = getattr(node, "startchar", None)  # the fields' copies of one typed word share it
            words.add(("node", id(node)) if start is None else start)
            text = getattr(node, "text", None)
            if isinstance(node, wq.Wildcard) and isinstance(text, str) and text[:1] in _WILDCARDS:
                raise QueryError("a word cannot start with * or ? (%s): type letters before it" % text)
            if isinstance(node, wq.FuzzyTerm) and len(node.text) > MAX_FUZZY_LENGTH:
                raise QueryError("a fuzzy word may have at most %d letters (%s…~)"
                                 % (MAX_FUZZY_LENGTH, node.text[:MAX_FUZZY_LENGTH]))
    if len(words) > MAX_MULTITERM_WORDS:
        raise QueryError("too many fuzzy, prefix or wildcard words (%d; at most %d): type some words whole"
                         % (len(words), MAX_MULTITERM_WORDS))


class ExpansionCounter:
    """The index words a query's fuzzy, prefix, wildcard and range words stand for, counted across the
    whole query as they are expanded; add() raises QueryError as soon as the count passes the limit, and
    room() tells an expansion how many words it may stop after (one past what is left)."""

    FIELD_HINT = "%s:* stands for every word of that field; search words, or * for every document"
    WORD_HINT = "type more letters before the * or ?, or a smaller ~ distance"

    def __init__(self, limit: int | None = None):
        self.limit = MAX_EXPANDED_TERMS if limit is None else limit
        self.total = 0

    def room(self) -> int:
        return max(0, self.limit - self.total) + 1

    def add(self, count: int, hint: str | None = None) -> None:
        self.total += count
        if self.total > self.limit:
            raise QueryError("the query's prefixes, wildcards or fuzzy words stand for more than %d words of "
                             "the index (%s)" % (self.limit, hint or self.WORD_HINT))


def expanded_terms(queries, reader, limit: int | None = None, budget=None) -> int:
    """How many index words the multi-word parts of `queries` stand for, counting at most `limit` + 1
    (so that the count itself stays cheap). Raises QueryError past `limit` (default MAX_EXPANDED_TERMS),
    and QueryTooCostly when `budget` (budget.py) is spent while counting."""
    counter = ExpansionCounter(limit)
    for q in queries:
        for node in iter_nodes(q):
            if not _is_multiterm(node, reader.schema):
                continue
            if isinstance(node, wq.Every):
                texts = reader.lexicon(node.fieldname) if node.fieldname in reader.schema else ()
                hint = counter.FIELD_HINT % node.fieldname
            else:
                texts = node._btexts(reader)
                hint = counter.WORD_HINT
            for _ in texts:
                counter.add(1, hint)
                if budget is not None and not counter.total % 64:
                    budget.check()
    return counter.total
