"""The query plan: what a query asks of the index, in parlsearch's own terms, independent of any engine.

The query language (query.py) is parsed by whoosh's parser; its tree is translated once, here, into
these nodes, which every consumer reads: the array executor (execute.py), the snippets, the
explanation of a ranking, and any other backend (a SQL translation reads the same nodes). Nothing below
the plan knows whoosh's query classes.

Scoring semantics (whoosh 2.7's, which the executor reproduces and tests/test_plan.py checks against
whoosh's own matchers):

* ``Term``: BM25F of the term in its field (whoosh's formula: idf = ln(N / (df + 1)) + 1 over every
  document, the field's average length, one-byte document lengths), times the boost. A field that keeps
  no lengths (identifiers, keywords) scores the posting's weight times the boost.
* ``And``: the sum of its children's scores, for documents matching every child.
* ``Or``: the sum of the scores of the children a document matches.
* ``AndNot``: the positive side's score, for documents not matching the negative side.
* ``AndMaybe``: the required side's score, plus the optional side's where it matches.
* (whoosh's ``Require``, `a REQUIRE b`: the documents matching both, scored by `a` alone, as whoosh
  documents it — its 2.7.4 matcher runs an AndNot instead — is planned as ``AndNot(a, Not(b))``.)
* ``Not`` (alone): every other live document, score 1.0.
* ``Phrase``: the words' term scores summed, for documents where the words stand at their offsets (up
  to `slop` positions of slack), times the boost.
* ``Expansion`` (prefix*, wildcards, fuzzy~, term ranges): the words of the index it stands for, each
  scored as a Term, summed, times the boost. (whoosh scored raw term frequencies when a word stood for
  several index words, and ignored the boost when it stood for one: parlsearch scores them like typed
  words, so `stationement~` ranks like `stationnement`.)
* ``Range`` (dates, numbers): documents whose column value is in [low, high]; constant score = boost.
* ``Every``: every live document (or every document with a term in `field`); constant score = boost.

Every node's `boost` multiplies its score.
"""
from __future__ import annotations

from dataclasses import dataclass


class Node:
    """A plan node; `boost` multiplies its score."""

    boost: float = 1.0

    def children(self) -> tuple:
        return ()

    def walk(self):
        """This node and every node below it, depth first."""
        yield self
        for child in self.children():
            yield from child.walk()


@dataclass(frozen=True)
class Term(Node):
    field: str
    text: str | bytes  # the indexed term (text as the analyzer made it; bytes for numeric terms)
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase(Node):
    field: str
    words: tuple
    offsets: tuple  # each word's position relative to the first (stopwords leave gaps)
    slop: int = 1
    boost: float = 1.0


@dataclass(frozen=True)
class Expansion(Node):
    """A word standing for several index words of one field, resolved against each view once."""
    field: str
    kind: str  # "prefix", "wildcard", "fuzzy", "range" (term range), "every" (field:*)
    text: str = ""
    maxdist: int = 0
    prefixlength: int = 0
    high: str | None = None  # term ranges: the upper bound (text is the lower); None = open
    include_low: bool = True
    include_high: bool = True
    boost: float = 1.0


@dataclass(frozen=True)
class Range(Node):
    """Documents whose sortable column value lies in [low, high] (raw column values; None = open)."""
    field: str
    low: int | None
    high: int | None
    boost: float = 1.0


@dataclass(frozen=True)
class Every(Node):
    boost: float = 1.0


@dataclass(frozen=True)
class Nothing(Node):
    boost: float = 1.0


@dataclass(frozen=True)
class And(Node):
    items: tuple
    boost: float = 1.0

    def children(self):
        return self.items


@dataclass(frozen=True)
class Or(Node):
    items: tuple
    boost: float = 1.0

    def children(self):
        return self.items


@dataclass(frozen=True)
class AndNot(Node):
    positive: Node
    negative: Node
    boost: float = 1.0

    def children(self):
        return (self.positive, self.negative)


@dataclass(frozen=True)
class AndMaybe(Node):
    required: Node
    optional: Node
    boost: float = 1.0

    def children(self):
        return (self.required, self.optional)


@dataclass(frozen=True)
class Not(Node):
    item: Node
    boost: float = 1.0

    def children(self):
        return (self.item,)


class Unsupported(ValueError):
    """A whoosh query class the plan has no node for (a bug: the parser produced something new)."""


def from_whoosh(q, schema) -> Node:
    """The plan of a parsed (and normalized) whoosh query."""
    from whoosh import query as wq
    from .query import GapPhrase

    def convert(q) -> Node:
        boost = float(getattr(q, "boost", 1.0) or 1.0)
        if q is wq.NullQuery or isinstance(q, wq.qcore._NullQuery):
            return Nothing()
        t = type(q)
        if t is wq.Term:
            return Term(q.fieldname, q.text, boost)
        if isinstance(q, wq.Phrase):
            words = tuple(q.words)
            offsets = tuple(getattr(q, "offsets", None) or range(len(words)))
            if not words:
                return Nothing()
            if len(words) == 1:
                return Term(q.fieldname, words[0], boost)
            return Phrase(q.fieldname, words, offsets, max(1, int(q.slop)), boost)
        if isinstance(q, wq.FuzzyTerm):
            return Expansion(q.fieldname, "fuzzy", q.text, int(q.maxdist), int(q.prefixlength), boost=boost)
        if isinstance(q, wq.Prefix):
            return Expansion(q.fieldname, "prefix", q.text, boost=boost)
        if isinstance(q, wq.Wildcard):
            return Expansion(q.fieldname, "wildcard", q.text, boost=boost)
        if isinstance(q, (wq.NumericRange, wq.DateRange)):
            return _numeric_range(q, schema, boost)
        if isinstance(q, wq.TermRange):
            return Expansion(q.fieldname, "range", q.start or "", high=q.end, include_low=not q.startexcl,
                             include_high=not q.endexcl, boost=boost)
        if isinstance(q, wq.Every):
            if q.fieldname in (None, "", "*"):
                return Every(boost)
            return Expansion(q.fieldname, "every", boost=boost)
        if t is wq.And:
            return And(tuple(convert(c) for c in q.subqueries), boost)
        if t is wq.Or or isinstance(q, wq.Or):
            return Or(tuple(convert(c) for c in q.subqueries), boost)
        if isinstance(q, wq.AndNot):
            return AndNot(convert(q.a), convert(q.b), boost)
        if isinstance(q, wq.AndMaybe):
            return AndMaybe(convert(q.a), convert(q.b), boost)
        if isinstance(q, wq.Require):  # a REQUIRE b: both, scored by a alone (whoosh's Require)
            return AndNot(convert(q.a), Not(convert(q.b)), boost)
        if isinstance(q, wq.Not):
            return Not(convert(q.query), boost)
        if isinstance(q, wq.ConstantScoreQuery):
            return And((convert(q.child),), boost)
        raise Unsupported("no plan node for %s" % t.__name__)

    return convert(q)


def _numeric_range(q, schema, boost: float) -> Range:
    """A date or number range as raw column values (what the sortable column stores), both ends included."""
    from whoosh import query as wq
    field = schema[q.fieldname]
    if isinstance(q, wq.DateRange):
        low = field.to_column_value(q.startdate) if q.startdate is not None else None
        high = field.to_column_value(q.enddate) if q.enddate is not None else None
        return Range(q.fieldname, low, high, boost)
    low = q.start + 1 if q.start is not None and q.startexcl else q.start
    high = q.end - 1 if q.end is not None and q.endexcl else q.end
    return Range(q.fieldname, low, high, boost)


def terms_in(node: Node, fieldnames) -> dict:
    """{field: set of terms} that `node` asks for in the given fields, words under a Not or the negative
    side of an AndNot left out (no hit holds them); expansions are left to the caller (they depend on the
    index)."""
    out = {f: set() for f in fieldnames}
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Not):
            continue
        if isinstance(n, AndNot):
            stack.append(n.positive)
            continue
        if isinstance(n, Term) and n.field in out:
            out[n.field].add(n.text.decode("utf-8") if isinstance(n.text, bytes) else n.text)
        elif isinstance(n, Phrase) and n.field in out:
            out[n.field].update(n.words)
        else:
            stack.extend(n.children())
    return out


def expansions_in(node: Node) -> list:
    """Every Expansion of a plan, except under a negation."""
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Not):
            continue
        if isinstance(n, AndNot):
            stack.append(n.positive)
            continue
        if isinstance(n, Expansion):
            out.append(n)
        stack.extend(n.children())
    return out


def terms_named(nodes, expand) -> list[tuple]:
    """Every (field, term) the plans `nodes` may read postings of — terms, phrase words, and the index words
    of expansions (`expand(node)`) — for a view that reads them in one go (a database)."""
    out = []
    for node in nodes:
        for n in node.walk():
            if isinstance(n, Term):
                out.append((n.field, n.text))
            elif isinstance(n, Phrase):
                out += [(n.field, w) for w in n.words]
            elif isinstance(n, Expansion):
                out += [(n.field, w) for w in expand(n)]
    return out
