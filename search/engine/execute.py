"""The plan executor: a query plan (plan.py) evaluated over a view's arrays (index/segments.py) with
numpy, into every matching document and its score, in one pass over the postings.

Why dense arrays: a view has N documents (100,000 for one assembly's archive); a node's result is a boolean
mask and a float64 score array of length N. Adding a term is `scores[ids] += c·tf / (tf + norm[len[ids]])`
over its whole posting list at once (~5 ns a posting, against ~300 ns a posting for Python over whoosh's
blocks), and AND, OR and NOT are elementwise operations on masks (~50 µs at N = 100,000). Totals are exact
(`mask.sum()`): every posting is visited, as before.

The scores are whoosh's (plan.py states the rules; tests/test_plan.py compares them with whoosh's own
matchers, within 1e-9, on the bundled corpus and on a generated index whose common terms span many
segments). Nothing here reads whoosh's query classes or files: postings, lengths and columns come from the
view, statistics from it too.
"""
from __future__ import annotations

import numpy as np

from . import plan as P

#: whoosh's BM25F defaults, which the engine uses.
DEFAULT_B, DEFAULT_K1 = 0.75, 1.2


class Result:
    """Every document a node matched (`mask`, bool[N]) and its score (`scores`, float64[N], 0 elsewhere)."""

    __slots__ = ("mask", "scores")

    def __init__(self, mask, scores):
        self.mask = mask
        self.scores = scores

    @property
    def total(self) -> int:
        return int(np.count_nonzero(self.mask))

    def ids(self) -> np.ndarray:
        return np.flatnonzero(self.mask)


class Executor:
    """Runs plans over one view. Caches per-field statistics and each term's postings for its lifetime
    (one query, or a few queries sharing a view: the coverage rule, then the ranking)."""

    def __init__(self, view, B: float = DEFAULT_B, K1: float = DEFAULT_K1, budget=None, expand=None):
        self.view = view
        self.schema = view.schema
        self.N = view.doc_count
        self.B, self.K1 = B, K1
        self.budget = budget
        #: expand(node: plan.Expansion) -> [term text]: the index words an expansion stands for (the engine
        #: resolves them once per query, bounded; core.py).
        self.expand = expand
        self._norms: dict = {}
        self._postings: dict = {}
        self._live = view.live()
        self.postings_read = 0  # for tests that count work

    # -- leaves --------------------------------------------------------------------------------------------

    def _btext(self, fieldname: str, text) -> bytes | None:
        field = self.schema[fieldname] if fieldname in self.schema else None
        if field is None:
            return None
        if isinstance(text, bytes):
            return text
        try:
            return field.to_bytes(text)
        except Exception:
            return None

    def term_postings(self, fieldname: str, text):
        """(global ids int64, weights float64) of a term, cached for the executor's life."""
        key = (fieldname, text)
        got = self._postings.get(key)
        if got is None:
            btext = self._btext(fieldname, text)
            if btext is None:
                got = (np.zeros(0, np.int64), np.zeros(0, np.float64))
            else:
                got = self.view.term_postings(fieldname, btext)
                self.postings_read += len(got[0])
                if self.budget is not None:
                    self.budget.check()
            self._postings[key] = got
        return got

    def _norm(self, fieldname: str) -> np.ndarray:
        """norm[d] = K1·((1 − B) + B·length(d)/avgfl) for every document (a missing length reads as 1, as
        whoosh's BM25F reads doc_field_length(…, default=1)); computed once per view."""
        norm = self._norms.get(fieldname)
        if norm is None:
            def build():
                from ...index.segments import length_of_byte
                avgfl = self.view.avg_field_length(fieldname) or 1
                lengths = length_of_byte().copy()
                lengths[0] = 1
                table = self.K1 * ((1 - self.B) + self.B * lengths / avgfl)
                return table[self.view.lengths(fieldname)]
            norm = self._norms[fieldname] = self.view._cached(("norm", fieldname, self.B, self.K1), build)
        return norm

    def term_scores(self, fieldname: str, text, boost: float):
        """(ids, scores) of one term: whoosh's BM25F × boost (a field without lengths: weight × boost)."""
        ids, weights = self.term_postings(fieldname, text)
        if not len(ids):
            return ids, weights
        field = self.schema[fieldname]
        if not field.scorable:
            return ids, weights * boost
        btext = self._btext(fieldname, text)
        c = self.view.idf(fieldname, btext) * boost * (self.K1 + 1)
        return ids, c * weights / (weights + self._norm(fieldname)[ids])

    # -- nodes ---------------------------------------------------------------------------------------------

    def run(self, node: P.Node) -> Result:
        """Every live document `node` matches, with its score."""
        add = getattr(self, "_add_" + type(node).__name__, None)
        if add is not None:  # a sum of terms: accumulated in place
            mask = np.zeros(self.N, dtype=bool)
            scores = np.zeros(self.N, dtype=np.float64)
            add(node, mask, scores, 1.0)
            return Result(mask, scores)
        return getattr(self, "_run_" + type(node).__name__)(node)

    def _add(self, node, mask, scores, factor: float) -> None:
        """mask |= node's matches; scores += factor × node's scores."""
        add = getattr(self, "_add_" + type(node).__name__, None)
        if add is not None:
            add(node, mask, scores, factor)
            return
        r = self.run(node)
        mask |= r.mask
        if factor == 1.0:
            scores += r.scores
        else:
            scores += factor * r.scores

    def _add_Term(self, node: P.Term, mask, scores, factor: float) -> None:
        ids, s = self.term_scores(node.field, node.text, node.boost * factor)
        if len(ids):
            mask[ids] = True
            scores[ids] += s

    def _add_Or(self, node: P.Or, mask, scores, factor: float) -> None:
        # whoosh applies a compound's boost only when it has several children (CompoundQuery.matcher)
        inner = factor * node.boost if len(node.items) > 1 else factor
        for child in node.items:
            self._add(child, mask, scores, inner)

    def _add_Expansion(self, node: P.Expansion, mask, scores, factor: float) -> None:
        for text in self.expand(node):
            self._add_Term(P.Term(node.field, text), mask, scores, factor * node.boost)

    def _run_Nothing(self, node) -> Result:
        return Result(np.zeros(self.N, dtype=bool), np.zeros(self.N, dtype=np.float64))

    def _run_Every(self, node: P.Every) -> Result:
        mask = np.ones(self.N, dtype=bool) if self._live is None else self._live.copy()
        return Result(mask, np.where(mask, float(node.boost), 0.0))

    def _run_Range(self, node: P.Range) -> Result:
        values, present = self.view.raw_column(node.field)
        mask = present.copy()
        if node.low is not None:
            mask &= values >= _as(values, node.low)
        if node.high is not None:
            mask &= values <= _as(values, node.high)
        if self._live is not None:
            mask &= self._live
        return Result(mask, np.where(mask, float(node.boost), 0.0))

    def _run_And(self, node: P.And) -> Result:
        if len(node.items) == 1:
            return self.run(node.items[0])
        results = []
        mask = None
        for child in node.items:
            r = self.run(child)
            mask = r.mask.copy() if mask is None else mask & r.mask
            results.append(r)
            if not mask.any():
                return self._run_Nothing(node)
        scores = np.zeros(self.N, dtype=np.float64)
        for r in results:
            scores += r.scores
        scores[~mask] = 0.0
        if node.boost != 1.0:
            scores *= node.boost
        return Result(mask, scores)

    def _run_AndNot(self, node: P.AndNot) -> Result:
        pos = self.run(node.positive)
        if not pos.mask.any():
            return pos
        neg = self.run(node.negative)
        keep = pos.mask & ~neg.mask
        scores = np.where(keep, pos.scores, 0.0)
        return Result(keep, scores)

    def _run_AndMaybe(self, node: P.AndMaybe) -> Result:
        req = self.run(node.required)
        opt = self.run(node.optional)
        scores = np.where(req.mask, req.scores + np.where(opt.mask, opt.scores, 0.0), 0.0)
        return Result(req.mask, scores)

    def _run_Not(self, node: P.Not) -> Result:
        inner = self.run(node.item)
        mask = ~inner.mask
        if self._live is not None:
            mask &= self._live
        return Result(mask, np.where(mask, 1.0, 0.0))

    def _run_Phrase(self, node: P.Phrase) -> Result:
        """Documents holding every word, then those where the words stand at their gaps (positions read for
        those documents only); score = the words' term scores summed × boost (whoosh's intersection under
        its span matcher)."""
        empty = self._run_Nothing(node)
        fieldname = node.field
        if fieldname not in self.schema or not self.schema[fieldname].format.supports("positions"):
            return empty
        scored = [self.term_scores(fieldname, w, 1.0) for w in node.words]
        if any(not len(ids) for ids, _ in scored):
            return empty
        candidates = scored[0][0]
        for ids, _ in scored[1:]:
            candidates = np.intersect1d(candidates, ids, assume_unique=True)
            if not len(candidates):
                return empty
        found = self._phrase_docs(node, candidates)
        if not len(found):
            return empty
        mask = np.zeros(self.N, dtype=bool)
        mask[found] = True
        scores = np.zeros(self.N, dtype=np.float64)
        for ids, s in scored:
            keep = mask[ids]
            scores[ids[keep]] += s[keep]
        if node.boost != 1.0:
            scores *= node.boost
        return Result(mask, scores)

    def _phrase_docs(self, node: P.Phrase, candidates: np.ndarray) -> np.ndarray:
        """The candidates (global ids, sorted) where word i+1 stands within [end + gap, end + gap + slop − 1]
        of a position reached by the words before it (search.query._GapMatcher's rule), vectorised: each
        word's (document, position) pairs as one int64 key, matched with np.isin."""
        gaps = [b - a for a, b in zip(node.offsets, node.offsets[1:])]
        slop = max(1, node.slop)
        ends = self._position_keys(node.field, node.words[0], candidates)
        for word, gap in zip(node.words[1:], gaps):
            if not len(ends):
                break
            keys = self._position_keys(node.field, word, np.unique(ends >> 32))
            hit = np.zeros(len(keys), dtype=bool)
            for k in range(slop):
                hit |= np.isin(keys, ends + gap + k, assume_unique=False)
            ends = keys[hit]
            if self.budget is not None:
                self.budget.check()
        return np.unique(ends >> 32)

    def _position_keys(self, fieldname: str, word: str, docs: np.ndarray) -> np.ndarray:
        """(global doc << 32 | position) of every position of `word` in the documents `docs` (sorted)."""
        btext = self._btext(fieldname, word)
        out = []
        for segment, postings in self.view.postings(fieldname, btext, positions=True):
            lo, hi = segment.offset, segment.offset + segment.doc_count
            local = docs[(docs >= lo) & (docs < hi)] - lo
            if not len(local) or not postings.has_positions:
                continue
            idx = np.searchsorted(postings.ids, local)
            ok = idx < len(postings.ids)
            ok[ok] = postings.ids[idx[ok]] == local[ok]
            idx = idx[ok]
            if not len(idx):
                continue
            record = idx if postings._index is None else postings._index[idx]
            begins = postings._starts[record]
            counts = postings._starts[record + 1] - begins
            total = int(counts.sum())
            if not total:
                continue
            # positions of every chosen posting, one after the other (a repeat/arange gather)
            shift = np.repeat(begins - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
            flat = postings._flat[np.arange(total) + shift].astype(np.int64)
            doc = np.repeat(postings.ids[idx].astype(np.int64) + lo, counts)
            out.append((doc << 32) | flat)
        if not out:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(out)


def _as(values: np.ndarray, bound):
    """A column bound in the column's dtype (uint64 columns compare with a uint64)."""
    return np.uint64(bound) if values.dtype == np.uint64 else np.int64(bound)
