"""The reference the engine is checked against: whoosh's own matchers, run on the same plans.

`to_whoosh(node, engine)` turns a plan node back into a whoosh query (expansions as the Or of the index words
they stand for, each scored as a typed word: search/engine/plan.py's rule), and `whoosh_scores` runs it through
whoosh's Searcher with its BM25F: every matching document and its score. `whoosh_cover` measures a
coverage Word through whoosh's matchers, posting by posting (the implementation the array version
replaced). `reference_search` ranks with both, in the order search/engine/collect.py documents.
"""
from __future__ import annotations

import numpy as np
from whoosh import query as wq

from parlsearch.index.schema import TOPIC_FIELDS
from parlsearch.search.engine import plan as P
from parlsearch.search.engine.coverage import BODY_SATURATION


def to_whoosh(node, engine):
    def conv(n):
        if isinstance(n, P.Term):
            return wq.Term(n.field, n.text, boost=n.boost)
        if isinstance(n, P.Phrase):
            from parlsearch.search.engine.query import GapPhrase
            return GapPhrase(n.field, list(n.words), slop=n.slop, boost=n.boost, offsets=list(n.offsets))
        if isinstance(n, P.Expansion):
            words = engine.expand(n)
            if not words:
                return wq.NullQuery
            if len(words) == 1:
                return wq.Term(n.field, words[0], boost=n.boost)
            return wq.Or([wq.Term(n.field, w) for w in words], boost=n.boost)
        if isinstance(n, P.Range):
            return _RangeQuery(n)
        if isinstance(n, P.Every):
            return wq.Every(boost=n.boost)
        if isinstance(n, P.Nothing):
            return wq.NullQuery
        if isinstance(n, P.And):
            return wq.And([conv(c) for c in n.items], boost=n.boost)
        if isinstance(n, P.Or):
            return wq.Or([conv(c) for c in n.items], boost=n.boost)
        if isinstance(n, P.AndNot):
            return _AndNotQuery(conv(n.positive), conv(n.negative))
        if isinstance(n, P.AndMaybe):
            return _AndMaybeQuery(conv(n.required), conv(n.optional))
        if isinstance(n, P.Not):
            return wq.Not(conv(n.item))
        raise TypeError(n)
    return conv(node)


class _RangeQuery(wq.Query):
    """A column range as whoosh matches it: documents whose raw column value is in [low, high], constant
    score = boost (whoosh's NumericRange/DateRange, read here from the column through whoosh's public
    column reader, not from the array view)."""

    def __init__(self, node):
        self.node = node
        self.boost = node.boost

    def is_leaf(self):
        return True

    def estimate_size(self, ixreader):
        return ixreader.doc_count_all()

    def estimate_min_size(self, ixreader):
        return 0

    def matcher(self, searcher, context=None):
        from whoosh.matching import ListMatcher
        n = self.node
        ids = []
        reader = searcher.reader()
        if not reader.has_column(n.field):
            return ListMatcher([])
        col = reader.column_reader(n.field, translate=False)
        default = getattr(col, "_default", None)
        for d in reader.all_doc_ids():
            v = col[d]
            if v is None or v == default:
                continue
            if (n.low is None or v >= n.low) and (n.high is None or v <= n.high):
                ids.append(d)
        return ListMatcher(ids, all_weights=self.boost)

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)


class _AndNotQuery(wq.Query):
    """a ANDNOT b from whoosh's matchers of each side. whoosh's AndNotMatcher itself misses documents of b
    when b is a union over several fields (`logement -(social OR public)` kept a document whose question
    says "public"): the sides are matched separately and subtracted here."""

    def __init__(self, a, b):
        self.a, self.b = a, b
        self.boost = 1.0

    def is_leaf(self):
        return True

    def estimate_size(self, ixreader):
        return ixreader.doc_count_all()

    def estimate_min_size(self, ixreader):
        return 0

    def matcher(self, searcher, context=None):
        from whoosh.matching import ListMatcher
        excluded = set()
        if self.b is not wq.NullQuery:
            m = self.b.matcher(searcher, searcher.boolean_context())
            while m.is_active():
                excluded.add(m.id())
                m.next()
        ids, scores = [], []
        if self.a is not wq.NullQuery:
            m = self.a.matcher(searcher, context)
            while m.is_active():
                if m.id() not in excluded:
                    ids.append(m.id())
                    scores.append(m.score())
                m.next()
        return ListMatcher(ids, scores)

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)


class _AndMaybeQuery(_AndNotQuery):
    """a ANDMAYBE b from whoosh's matchers of each side: a's documents, b's score added where b matches.
    whoosh's AndMaybeMatcher.skip_to moves b to the id asked for, not to where a landed, so under an And
    (a date filter) b's score is lost for documents a jumped to (`vélo ANDMAYBE tram` since 2026 on 20,000
    generated documents: 9.86 for a document matching both words, 18.43 with tram's score)."""

    def matcher(self, searcher, context=None):
        from whoosh.matching import ListMatcher
        optional = {}
        if self.b is not wq.NullQuery:
            m = self.b.matcher(searcher, context)
            while m.is_active():
                optional[m.id()] = m.score()
                m.next()
        ids, scores = [], []
        if self.a is not wq.NullQuery:
            m = self.a.matcher(searcher, context)
            while m.is_active():
                ids.append(m.id())
                scores.append(m.score() + optional.get(m.id(), 0.0))
                m.next()
        return ListMatcher(ids, scores)


def whoosh_scores(engine, node) -> dict:
    """{docnum: score} of every document whoosh's matchers find for the plan `node`."""
    q = to_whoosh(node, engine)
    if q is wq.NullQuery:
        return {}
    results = engine.searcher.search(q, limit=None)
    return {hit.docnum: hit.score for hit in results}


def whoosh_cover(engine, word) -> dict:
    """{docnum: share} of one coverage Word, measured posting by posting through whoosh's matchers."""
    out = {}
    items = word.node.items if isinstance(word.node, P.Or) else (word.node,)
    for child in items:
        name = next((getattr(n, "field", None) for n in child.walk() if getattr(n, "field", None)), None)
        topic = name in TOPIC_FIELDS
        # occurrences, not field weights: a group's terms ("l' AND air") count their raw frequencies
        q = to_whoosh(_unboosted(child) if isinstance(child, P.And) else child, engine)
        if q is wq.NullQuery:
            continue
        from whoosh.searching import SearchContext
        m = q.matcher(engine.searcher, SearchContext(weighting=None))
        while m.is_active():
            d = m.id()
            if topic:
                out[d] = 1.0
            else:
                tf = m.weight() / (q.boost or 1.0)  # a boosted matcher's weight carries its boost
                out[d] = max(out.get(d, 0.0), tf / (tf + BODY_SATURATION))
            m.next()
    return out


def _unboosted(node):
    import dataclasses
    if isinstance(node, P.Term):
        return dataclasses.replace(node, boost=1.0)
    if isinstance(node, (P.And, P.Or)):
        return dataclasses.replace(node, items=tuple(_unboosted(c) for c in node.items))
    return node


def reference_page(engine, text, filters=None, limit=10):
    """(total, [(docnum, score)]) of `text` ranked by whoosh's scores × the engine's coverage, in
    search/engine/collect.py's order (score rounded to 1e-6 highest first, newest, lowest docnum)."""
    plan = engine.plan(text, filters)
    if plan.node is None:
        return 0, []
    scores = whoosh_scores(engine, plan.node)
    if plan.docs is not None:
        scores = {d: s * plan.coverage[d] for d, s in scores.items() if plan.docs[d]}
    days = engine.view.days("date_received")
    order = sorted(scores, key=lambda d: (-round(scores[d], 6), -int(days[d]), d))
    return len(scores), [(d, scores[d]) for d in order[:limit]]


def same_scores(mine: dict, theirs: dict, tolerance: float = 1e-9) -> bool:
    return mine.keys() == theirs.keys() and all(
        abs(mine[d] - theirs[d]) <= tolerance * max(1.0, abs(theirs[d])) for d in theirs)


def executor_scores(engine, node) -> dict:
    r = engine.executor().run(node)
    return {int(d): float(r.scores[d]) for d in np.flatnonzero(r.mask)}
