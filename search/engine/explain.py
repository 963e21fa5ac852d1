"""Why a document ranks where it does: each part of its score, read from the same executor runs that scored it.

Lucene and tantivy answer "explain" by re-walking the scorer for one document; here every plan node's score
array is computed by the executor that ranked the page (execute.py) and read at the document, so the
parts add up to the hit's score exactly (tests/test_explain.py checks it on every judged query).

The score of a hit is the plan's score times its coverage share (coverage.py) when the coverage rule
applies. The plan's score is a sum over its clauses; a bare word's score is a sum over the fields it was
found in, each BM25 of one term in one field (whoosh's "BM25F" is per-field BM25 summed with field weights,
not Robertson's BM25F over pooled field frequencies: parlsearch names it as it is). The `exact` field is
the unstemmed form of the word: its part is the bonus for matching the word as typed rather than only its
stem.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import plan as P


@dataclass
class Part:
    """One node's share of a score: what it is, its score in the document, and its parts."""
    label: str
    score: float
    parts: list["Part"] = field(default_factory=list)
    detail: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = {"label": self.label, "score": self.score}
        if self.detail:
            out.update(self.detail)
        if self.parts:
            out["parts"] = [p.to_dict() for p in self.parts]
        return out


@dataclass
class Explanation:
    docnum: int
    score: float  # as ranked: relevance × coverage
    relevance: float  # the plan's score (the sum of `parts`)
    coverage: float | None  # the share of the query's information the document covers (None: no rule)
    parts: list[Part]
    words: list[dict] = field(default_factory=list)  # coverage: each bare word's information and share here

    def to_dict(self) -> dict:
        return {"score": self.score, "relevance": self.relevance, "coverage": self.coverage,
                "words": self.words, "parts": [p.to_dict() for p in self.parts]}


def _label(node: P.Node) -> str:
    if isinstance(node, P.Term):
        text = node.text.decode("utf-8", "replace") if isinstance(node.text, bytes) else node.text
        return "%s:%s" % (node.field, text)
    if isinstance(node, P.Phrase):
        return '%s:"%s"' % (node.field, " ".join(node.words))
    if isinstance(node, P.Expansion):
        return "%s:%s (%s)" % (node.field, node.text, node.kind)
    if isinstance(node, P.Range):
        return "%s in range" % node.field
    return type(node).__name__.upper()


def explain_node(executor, node: P.Node, docnum: int, words: dict | None = None) -> Part:
    """The part of `node` in document `docnum`, with its children's parts (those that matched)."""
    result = executor.run(node)
    score = float(result.scores[docnum]) if result.mask[docnum] else 0.0
    label = (words or {}).get(id(node)) or _label(node)
    part = Part(label, score)
    if isinstance(node, P.Term):
        ids, weights = executor.term_postings(node.field, node.text)
        i = np.searchsorted(ids, docnum)
        if i < len(ids) and ids[i] == docnum:
            part.detail = {"field": node.field, "weight": node.boost, "tf": float(weights[i])}
            if executor.schema[node.field].scorable:
                btext = executor._btext(node.field, node.text)
                part.detail["idf"] = executor.view.idf(node.field, btext)
                part.detail["norm"] = float(executor._norm(node.field)[docnum])
        return part
    if isinstance(node, P.Expansion):
        for text in executor.expand(node):
            sub = explain_node(executor, P.Term(node.field, text, node.boost), docnum)
            if sub.score:
                part.parts.append(sub)
        return part
    for child in node.children():
        if isinstance(node, (P.AndNot,)) and child is node.negative:
            continue
        sub = explain_node(executor, child, docnum, words)
        if sub.score or isinstance(child, (P.Range, P.Every)):
            part.parts.append(sub)
    return part


def explain(engine, plan, docnum: int) -> Explanation:
    """The explanation of `docnum`'s score under `plan` (Engine.plan), with `plan.executor`'s postings."""
    executor = plan.executor or engine.executor()
    labels = {id(w.node): 'word "%s"' % w.text for w in (plan.words or [])}
    top = explain_node(executor, plan.node, docnum, labels)
    coverage = float(plan.coverage[docnum]) if plan.coverage is not None else None
    relevance = top.score
    words = [{"word": w.text, "information": w.info, "share": float(w.share[docnum]),
              "found": bool(w.has[docnum])} for w in (plan.words or []) if w.has is not None]
    return Explanation(docnum, relevance * (coverage if coverage is not None else 1.0), relevance, coverage,
                       [top], words)
