"""Correctness fixes to whoosh internals, applied by whoosh_compat when parlsearch opens an index (never on import).

whoosh's top-k optimisation asks union and "and maybe" matchers to skip blocks that cannot reach the
current minimum score (skip_to_quality). Their loops wait for a sub-matcher's block quality to change; when
a sub-matcher cannot skip (it returns 0 and stays on the same block), the loop never ends and the search
hangs (seen on a 20,000-document index with the query "13.622.302"). IntersectionMatcher already guards
against this by advancing; these versions stop skipping instead. Skipping is only an optimisation: the
collector still visits every remaining candidate, so results are unchanged.

AndNotMatcher.skip_to ("a -b" inside a larger AND) skips its positive side and then looks for the next
document the negative side does not exclude, without checking that the positive side is still active: when
the skip runs past its last document, whoosh raises IndexError from the exhausted posting list (seen with
`vélo -bus date:2026` and an answer-date filter on the bundled corpus). This version stops there instead.
"""
from __future__ import annotations

from whoosh.matching import binary, mcore


def _stalled(m, quality_before, skipped) -> bool:
    return not skipped and m.is_active() and m.block_quality() == quality_before


def _skip_pair(a, b, minquality) -> int:
    """Skip blocks of two additive sub-matchers until together they can reach `minquality`."""
    skipped = 0
    aq, bq = a.block_quality(), b.block_quality()
    while a.is_active() and b.is_active() and aq + bq <= minquality:
        m, before = (a, aq) if aq < bq else (b, bq)
        sk = m.skip_to_quality(minquality - (bq if m is a else aq))
        skipped += sk
        if _stalled(m, before, sk):
            break
        aq = a.block_quality() if a.is_active() else aq
        bq = b.block_quality() if b.is_active() else bq
    return skipped


def _union_skip_to_quality(self, minquality):
    self._id = None
    a, b = self.a, self.b
    if not (a.is_active() or b.is_active()):
        raise mcore.ReadTooFar
    if not a.is_active():
        return b.skip_to_quality(minquality)
    if not b.is_active():
        return a.skip_to_quality(minquality)
    return _skip_pair(a, b, minquality)


def _disjunction_max_skip_to_quality(self, minquality):
    a, b = self.a, self.b
    if not a.is_active():
        return b.skip_to_quality(minquality)
    if not b.is_active():
        return a.skip_to_quality(minquality)
    skipped = 0
    aq, bq = a.block_quality(), b.block_quality()
    while a.is_active() and b.is_active() and max(aq, bq) <= minquality:
        progress = False
        for m, q in ((a, aq), (b, bq)):
            if q <= minquality and m.is_active():
                sk = m.skip_to_quality(minquality)
                skipped += sk
                progress = progress or not _stalled(m, q, sk)
        if not progress:
            break
        aq = a.block_quality() if a.is_active() else aq
        bq = b.block_quality() if b.is_active() else bq
    return skipped


def _and_maybe_skip_to_quality(self, minquality):
    a, b = self.a, self.b
    if not a.is_active():
        raise mcore.ReadTooFar
    if not b.is_active():
        return a.skip_to_quality(minquality)
    return _skip_pair(a, b, minquality)


def _and_not_skip_to(self, id):
    if not self.a.is_active():
        raise mcore.ReadTooFar
    if id < self.a.id():
        return
    self.a.skip_to(id)
    if self.a.is_active() and self.b.is_active():
        self.b.skip_to(id)
        self._find_next()


def apply() -> None:
    if getattr(binary, "_parlsearch_fixed", False):
        return
    binary.UnionMatcher.skip_to_quality = _union_skip_to_quality
    binary.DisjunctionMaxMatcher.skip_to_quality = _disjunction_max_skip_to_quality
    binary.AndMaybeMatcher.skip_to_quality = _and_maybe_skip_to_quality
    binary.AndNotMatcher.skip_to = _and_not_skip_to
    binary._parlsearch_fixed = True
