"""Term-at-a-time BM25F over whole posting blocks: exact totals, per-word coverage, top-k by heapq.

Why: whoosh scores a bare-word query as a tree of union/intersection matchers that walk every matching
posting one Python call at a time (~4 µs a posting with the scorer, measured at 100k documents), so a
common word costs hundreds of milliseconds just to count its matches exactly. Scoring one term at a time
over its decoded blocks (index/postings.py) into one accumulator costs ~0.3 µs a posting and gives the
same numbers: the same BM25F formula, the same statistics (idf and average field length from the top
searcher, the one-byte field length of each segment's documents), checked against whoosh's own
Searcher.search in tests/test_scoring.py (scores within 1e-9 relative, same order).

    scorer = FastScorer(searcher)                    # any whoosh Searcher (weighting: BM25F B, K1)
    terms = [WeightedTerm("subject", "velo", 4.0, word=0), WeightedTerm("question", "velo", 1.6, word=0),
             WeightedTerm("subject", "stationn", 4.0, word=1), ...]
    scored = scorer.score(terms, require_all=False, allowed=None)
    scored.total                                     # exact number of matching documents
    scored.top(10)                                   # [(score, docnum)], best first, ties by docnum
    scored.top(10, min_coverage=0.6, by="coverage")  # IDF-weighted coordination first, then score
    scored.coverage(docnum), scored.mask(docnum)     # sum of IDF of the words it matched; their bitmask

A "word" is what the user typed once (one bit of the mask), which the query spreads over several fields
(and forms: stem, exact form, name field…): one WeightedTerm each, with its own weight (field weight ×
any boost). Scores add over every term a document matches, as whoosh's Or of Term queries does.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Iterable

from ..index.postings import LENGTH_OF_BYTE, iter_blocks, length_bytes

#: whoosh's BM25F defaults, which the Engine uses too.
DEFAULT_B, DEFAULT_K1 = 0.75, 1.2


@dataclass(frozen=True)
class WeightedTerm:
    """One term of a query: field, text (str as indexed, or bytes), weight (boost), and the index of the
    query word it stands for (0-based; words share one coverage bit)."""

    field: str
    text: str | bytes
    weight: float = 1.0
    word: int = 0
    #: Terms of one word sharing a group (>= 0) count only together: a document scores them when it has
    #: all of them (whoosh's And inside a word's Or, e.g. the Dutch field's "l' AND air" for "l'air").
    group: int = -1
    #: A phrase's word (offset >= 0): its group matches only where the words stand at their offsets'
    #: gaps, up to `slop` positions later (search.query.GapPhrase: whoosh's _GapMatcher, same rule).
    offset: int = -1
    slop: int = 1


@dataclass
class ScoredDocs:
    """Every document a query matched, with its score and the words it matched.

    scores is keyed by the searcher's global document numbers. total is exact (total_relation "eq":
    term-at-a-time visits every posting, so counting is free). The per-document word masks are built
    on first use from the documents of each word (word_docs)."""

    scores: dict
    word_docs: list
    word_idf: list
    postings_visited: int
    total_relation: str = "eq"

    @property
    def total(self) -> int:
        return len(self.scores)

    @property
    def masks(self) -> dict:
        """{docnum: bitmask of the query words it matched}."""
        masks = self.__dict__.get("_masks")
        if masks is None:
            masks = {}
            scores = self.scores
            for w, docs in enumerate(self.word_docs):
                bit = 1 << w
                get = masks.get
                for d in docs:
                    if d in scores:
                        masks[d] = get(d, 0) | bit
            self.__dict__["_masks"] = masks
        return masks

    def _all_words(self) -> set:
        """Documents that matched every word (a C-level intersection, no masks needed)."""
        if not self.word_docs:
            return set()
        return set.intersection(*self.word_docs) & self.scores.keys()

    @property
    def full_mask(self) -> int:
        return (1 << len(self.word_idf)) - 1

    def mask(self, docnum: int) -> int:
        """Bit i set when the document matched query word i."""
        return self.masks.get(docnum, 0)

    def coverage(self, docnum: int) -> float:
        """Sum of the IDF of the query words the document matched (IDF-weighted coordination)."""
        return self._mask_coverage(self.masks.get(docnum, 0))

    def coverage_share(self, docnum: int) -> float:
        """coverage() as a share of the IDF of all the query's words (1.0: every word matched)."""
        whole = sum(self.word_idf)
        return self.coverage(docnum) / whole if whole else 0.0

    def _mask_coverage(self, mask: int) -> float:
        total = 0.0
        i = 0
        while mask:
            if mask & 1:
                total += self.word_idf[i]
            mask >>= 1
            i += 1
        return total

    def _by_mask(self) -> dict:
        groups = getattr(self, "_groups", None)
        if groups is None:
            groups = {}
            for d, m in self.masks.items():
                groups.setdefault(m, []).append(d)
            self._groups = groups
        return groups

    def count(self, min_coverage: float = 0.0) -> int:
        """Documents whose coverage share is at least min_coverage (exact)."""
        if min_coverage <= 0:
            return self.total
        if min_coverage >= 1.0:
            return len(self._all_words())
        whole = sum(self.word_idf) or 1.0
        return sum(len(ds) for m, ds in self._by_mask().items()
                   if self._mask_coverage(m) / whole >= min_coverage - 1e-12)

    def top(self, k: int, *, min_coverage: float = 0.0, by: str = "score") -> list:
        """The k best (score, docnum), best first; equal scores by ascending docnum (whoosh's order).

        min_coverage: keep only documents covering at least this share of the query's IDF.
        by="coverage": rank by coverage share first (rounded to 1e-9), then score — quality's
        "partial matches ranked by the information they cover"."""
        if k <= 0:
            return []
        if by not in ("score", "coverage"):
            raise ValueError("by must be 'score' or 'coverage'")
        scores = self.scores
        if min_coverage <= 0 and by == "score":
            return _top(((s, d) for d, s in scores.items()), k)
        if min_coverage >= 1.0:  # every word: the same order by either key
            return _top(((scores[d], d) for d in self._all_words()), k)
        whole = sum(self.word_idf) or 1.0
        tiers = {}
        for m, ds in self._by_mask().items():
            share = self._mask_coverage(m) / whole
            if share >= min_coverage - 1e-12:
                tiers.setdefault(round(share, 9), []).extend(ds)
        if by == "score":
            return _top(((scores[d], d) for ds in tiers.values() for d in ds), k)
        out = []
        for share in sorted(tiers, reverse=True):
            out.extend(_top(((scores[d], d) for d in tiers[share]), k - len(out)))
            if len(out) >= k:
                break
        return out


def _top(pairs, k: int) -> list:
    # nlargest on (score, -docnum): best score first, then the smallest docnum, as whoosh's collector.
    return [(s, -nd) for s, nd in heapq.nlargest(k, ((s, -d) for s, d in pairs))]


class FastScorer:
    """BM25F scoring of flat term lists over a whoosh searcher, term at a time.

    Equivalent to searcher.search(Or/And of Or([Term(field, text, boost=weight)…]), limit=None) with
    whoosh's BM25F(B, K1) — see tests/test_scoring.py. Cheap to create; caches per-field length tables
    for the life of the searcher."""

    def __init__(self, searcher, B: float | None = None, K1: float | None = None, field_B: dict | None = None,
                 blocks=None):
        self.searcher = searcher
        #: (segreader, field, btext) → (ids, weights) blocks; a caller may share a cache (search/engine.py)
        self.blocks = blocks or iter_blocks
        weighting = getattr(searcher, "weighting", None)
        self.B = B if B is not None else getattr(weighting, "B", DEFAULT_B)
        self.K1 = K1 if K1 is not None else getattr(weighting, "K1", DEFAULT_K1)
        self.field_B = dict(field_B if field_B is not None else getattr(weighting, "_field_B", {}) or {})
        self.schema = searcher.schema
        self.reader = searcher.reader()
        self.leaves = list(self.reader.leaf_readers())
        self._lengths = {}  # (leaf index, field) → bytes
        self._norms = {}  # field → 256 precomputed K1·((1-B) + B·fl/avgfl)

    # -- statistics ---------------------------------------------------------------------------------

    def _btext(self, term: WeightedTerm) -> bytes:
        return term.text if isinstance(term.text, bytes) else self.schema[term.field].to_bytes(term.text)

    def _norm_table(self, fieldname: str):
        table = self._norms.get(fieldname)
        if table is None:
            B = self.field_B.get(fieldname, self.B)
            avgfl = self.searcher.avg_field_length(fieldname) or 1
            K1 = self.K1
            # whoosh's BM25F reads a missing length (byte 0) as 1: doc_field_length(docid, field, 1)
            table = self._norms[fieldname] = [K1 * ((1 - B) + B * (LENGTH_OF_BYTE[b] if b else 1) / avgfl)
                                              for b in range(256)]
        return table

    def _segment_lengths(self, i: int, fieldname: str) -> bytes:
        key = (i, fieldname)
        lengths = self._lengths.get(key)
        if lengths is None:
            lengths = self._lengths[key] = length_bytes(self.leaves[i][0], fieldname)
        return lengths

    def idf(self, fieldname: str, btext: bytes) -> float:
        if not self.searcher.doc_count_all():  # an empty index: whoosh's log(0 / (df + 1)) fails, no posting to score
            return 0.0
        return self.searcher.idf(fieldname, btext)

    def word_idf(self, doc_frequency: int) -> float:
        """IDF of a word from the number of documents it matched, with whoosh's formula
        (log(N / (df + 1)) + 1), so word and term IDFs are on one scale."""
        n = self.searcher.doc_count_all()
        return math.log(n / (doc_frequency + 1)) + 1 if n else 0.0  # (an empty index: nothing to weigh)

    # -- scoring ------------------------------------------------------------------------------------

    def _accumulate(self, t: WeightedTerm, scores: dict, docs: set, candidates, allowed, seen: set,
                    budget=None) -> int:
        """Add one term's BM25F contribution to `scores` and its documents to `docs`, over every
        segment's posting blocks; only documents in `candidates` and `allowed` (when given); every
        document of the term, filtered or not, to `seen` (either None: not collected). Returns the
        number of postings read. `budget` (search/budget.py) is checked at every block (up to 128
        postings, ~40 µs of work against ~0.3 µs a check)."""
        if t.field not in self.schema:
            return 0
        field = self.schema[t.field]
        btext = self._btext(t)
        scorable = field.scorable
        if scorable:
            norm = self._norm_table(t.field)
            c = self.idf(t.field, btext) * t.weight * (self.K1 + 1)
        visited = 0
        for i, (segreader, offset) in enumerate(self.leaves):
            if scorable:
                lengths = self._segment_lengths(i, t.field)
            for ids, weights in self.blocks(segreader, t.field, btext):
                if budget is not None:
                    budget.check()
                visited += len(ids)
                if offset:
                    ids = [d + offset for d in ids]
                if seen is not None:
                    seen.update(ids)
                if candidates is not None or allowed is not None:
                    keep = [j for j, d in enumerate(ids)
                            if (candidates is None or d in candidates) and (allowed is None or d in allowed)]
                    if len(keep) != len(ids):
                        ids = [ids[j] for j in keep]
                        weights = [weights[j] for j in keep]
                        if not ids:
                            continue
                if docs is not None:
                    docs.update(ids)
                get = scores.get
                if scorable:
                    if offset:
                        for d, tf in zip(ids, weights):
                            scores[d] = get(d, 0.0) + c * tf / (tf + norm[lengths[d - offset]])
                    else:
                        for d, tf in zip(ids, weights):
                            scores[d] = get(d, 0.0) + c * tf / (tf + norm[lengths[d]])
                else:
                    for d, tf in zip(ids, weights):
                        scores[d] = get(d, 0.0) + tf * t.weight
        return visited

    def _phrase_docs(self, members: list, docs: set) -> set:
        """The documents of `docs` (each holding every word of the phrase) where the words stand in
        order at their gaps: the positions of the phrase's words are read for those documents only
        (index.postings.term_positions). Same rule as search.query._GapMatcher: the next word's
        position is within [end + gap, end + gap + slop - 1] of a span's end."""
        from bisect import bisect_right
        from ..index.postings import term_positions
        field_name = members[0].field
        field = self.schema[field_name]
        btexts = [self._btext(t) for t in members]
        gaps = [b.offset - a.offset for a, b in zip(members, members[1:])]
        slop = max(1, members[0].slop)
        found = set()
        starts = [offset for _, offset in self.leaves]
        wanted = {}
        for d in docs:
            i = bisect_right(starts, d) - 1
            wanted.setdefault(i, []).append(d - starts[i])
        for i, local in wanted.items():
            segreader, offset = self.leaves[i]
            # word by word, each word's positions read only for the documents still in the running
            alive = {d: set(p) for d, p in term_positions(segreader, field_name, btexts[0], local,
                                                           field.format).items()}
            for gap, btext in zip(gaps, btexts[1:]):
                if not alive:
                    break
                following = term_positions(segreader, field_name, btext, list(alive), field.format)
                survivors = {}
                for d, ends in alive.items():
                    nxt = following.get(d)
                    if nxt:
                        new = {q for q in nxt for a in ends if a + gap <= q <= a + gap + slop - 1}
                        if new:
                            survivors[d] = new
                alive = survivors
            found.update(d + offset for d in alive)
        return found

    def score(self, terms: Iterable[WeightedTerm], *, require_all: bool = False, allowed=None,
              word_idf: list | None = None, words: bool = True, budget=None) -> ScoredDocs:
        """Score every document matching the terms.

        require_all: a document must match every word (AND of words; OR of each word's terms).
        allowed: None, a whoosh query (a filter: its documents only, unscored, as
        Searcher.search(filter=…)), or any container of global docnums (a set, a RangeFilter).
        word_idf: the IDF of each word; by default from the number of documents of the index the word
        matches (any of its terms; filters and require_all do not change it).
        words=False: scores and total only (what a ranked page needs); the documents of each word are
        not collected, so word masks, coverage and word IDFs are unavailable (word_idf is empty): two
        set updates a posting fewer. budget: a search.budget.Budget checked at every posting block."""
        terms = list(terms)
        nwords = max((t.word for t in terms), default=-1) + 1
        if allowed is not None and hasattr(allowed, "matcher") and hasattr(allowed, "docs"):  # a whoosh query
            allowed = frozenset(self.searcher.docs_for_query(allowed))
        by_word = [[] for _ in range(nwords)]
        for t in terms:
            by_word[t.word].append(t)
        word_docs = [set() for _ in range(nwords)]  # documents matching each word, within the filters
        word_seen = [set() for _ in range(nwords)]  # every document matching each word (for its IDF)
        scores: dict = {}
        visited = 0
        order = range(nwords)
        candidates = None
        if require_all:
            # Rarest word first: every later word only adds to documents already in the running.
            dfs = [sum(self.reader.doc_frequency(t.field, self._btext(t)) for t in ws if t.field in self.schema)
                   for ws in by_word]
            order = sorted(range(nwords), key=lambda w: dfs[w])
            if any(df == 0 for df in dfs):
                return ScoredDocs({}, [set() for _ in range(nwords)], [self.word_idf(0)] * nwords, 0)
        read = set()
        for w in order:
            read.add(w)
            docs_w = word_docs[w]
            seen_w = word_seen[w]
            groups: dict = {}
            for t in by_word[w]:
                if t.group >= 0:
                    groups.setdefault(t.group, []).append(t)
                else:
                    visited += self._accumulate(t, scores, docs_w if words or require_all else None, candidates,
                                                allowed, seen_w if words else None, budget)
            for members in groups.values():
                partial: dict = {}
                together = seen_together = None
                for t in members:
                    docs_t: set = set()
                    seen_t: set = set()
                    visited += self._accumulate(t, partial, docs_t, candidates, allowed, seen_t, budget)
                    together = docs_t if together is None else together & docs_t
                    seen_together = seen_t if seen_together is None else seen_together & seen_t
                if members[0].offset >= 0 and seen_together:
                    seen_together = self._phrase_docs(members, seen_together)
                    together = together & seen_together
                seen_w.update(seen_together or ())
                get = scores.get
                for d in together or ():
                    scores[d] = get(d, 0.0) + partial[d]
                docs_w.update(together or ())
            if require_all:
                candidates = docs_w if candidates is None else candidates & docs_w
                if not candidates:
                    break
        if require_all:
            keep = candidates or set()
            scores = {d: s for d, s in scores.items() if d in keep}
        if not words:
            word_idf = []
        elif word_idf is None:
            # Read in full even under require_all (only a word found in no document stops early, and
            # its IDF is then the highest anyway): the number of documents each word matches, in the
            # whole index, whatever the filters.
            # A word left unread after require_all found no candidate: the largest document frequency
            # of its terms (a lower bound of the word's).
            word_idf = [self.word_idf(len(word_seen[w]) if w in read else max(
                (self.reader.doc_frequency(t.field, self._btext(t)) for t in by_word[w] if t.field in self.schema),
                default=0)) for w in range(nwords)]
        return ScoredDocs(scores, word_docs, list(word_idf), visited)


class RangeFilter:
    """Documents whose numeric or date column value lies in [start, end] (either may be None), as a
    container of global docnums for FastScorer.score(allowed=…), and as the set `docs`.

    whoosh's DateRange reads the postings of its tiered range terms for every query (8 ms at 1,000
    documents for one year). This sorts each segment's sortable column once per reader (index.postings.
    sorted_column) and takes the documents in range as one slice of it: a set built in C, so testing a
    posting is one set lookup. Same documents as Searcher.docs_for_query(DateRange/NumericRange(field,
    start, end)) (tests/test_scoring.py)."""

    def __init__(self, searcher, fieldname: str, start=None, end=None, raw: bool = False):
        from bisect import bisect_left, bisect_right
        from ..index.postings import sorted_column
        field = searcher.schema[fieldname]
        convert = (lambda v: v) if raw else field.to_column_value
        self.low = convert(start) if start is not None else None
        self.high = convert(end) if end is not None else None
        docs = set()
        for segreader, offset in searcher.reader().leaf_readers():
            if not segreader.doc_count_all():  # an index without segments (EmptyReader): no column, no document
                continue
            column = sorted_column(segreader, fieldname)
            if column is None:
                raise ValueError("%s has no numeric column" % fieldname)
            values, docnums = column
            i = bisect_left(values, self.low) if self.low is not None else 0
            j = bisect_right(values, self.high) if self.high is not None else len(values)
            if i < j:
                docs.update(docnums[i:j] if not offset else [d + offset for d in docnums[i:j]])
        self.docs = frozenset(docs)

    def __contains__(self, docnum: int) -> bool:
        return docnum in self.docs


def range_filter(searcher, q) -> "RangeFilter | None":
    """The RangeFilter of a whoosh DateRange or NumericRange query (as the query parser builds for
    date:2024), or None for any other query."""
    from whoosh import query as wq
    if isinstance(q, wq.DateRange):
        return RangeFilter(searcher, q.fieldname, q.startdate, q.enddate)
    if type(q) is wq.NumericRange:
        start = q.start + 1 if q.start is not None and q.startexcl else q.start
        end = q.end - 1 if q.end is not None and q.endexcl else q.end
        return RangeFilter(searcher, q.fieldname, start, end, raw=True)
    return None


def _phrase_terms(q, word: int, boost: float, groups: list) -> list | None:
    """The terms of a GapPhrase (search/query.py) as one group of phrase words: whoosh scores a phrase
    as the sum of its words' BM25F in the field (an intersection of term matchers), times its boost."""
    from .query import GapPhrase
    if type(q) is not GapPhrase or len(q.words) != len(q.offsets) or len(q.words) < 2:
        return None
    group = groups[0]
    groups[0] += 1
    return [WeightedTerm(q.fieldname, w, boost * q.boost, word, group, offset=o, slop=q.slop)
            for w, o in zip(q.words, q.offsets)]


def word_terms(q, word: int = 0, boost: float = 1.0, _groups=None) -> list | None:
    """The WeightedTerms of one query word: a whoosh Term, or an Or of Terms (the multifield parser's
    bare word, with field boosts), nested Ors multiplied through, an And of Terms inside it as one
    group. None for any other shape (phrases, ranges, unexpanded fuzzy or prefix terms), which the
    caller leaves to whoosh."""
    from whoosh import query as wq
    groups = _groups if _groups is not None else [0]
    if type(q) is wq.Term:
        return [WeightedTerm(q.fieldname, q.text, boost * q.boost, word)]
    phrase = _phrase_terms(q, word, boost, groups)
    if phrase is not None:
        return phrase
    if type(q) is wq.Or and getattr(q, "minmatch", 0) in (0, None, 1) and getattr(q, "scale", None) is None:
        out = []
        for child in q.subqueries:
            if child is wq.NullQuery or isinstance(child, wq.qcore._NullQuery):
                continue  # e.g. a fuzzy word with no expansion in one field
            if type(child) is wq.And and all(type(c) is wq.Term for c in child.subqueries):
                group = groups[0]
                groups[0] += 1
                out.extend(WeightedTerm(c.fieldname, c.text, boost * q.boost * child.boost * c.boost, word, group)
                           for c in child.subqueries)
                continue
            sub = word_terms(child, word, boost * q.boost, groups)
            if sub is None:
                return None
            out.extend(sub)
        return out
    return None


def from_query(q) -> tuple | None:
    """(terms, require_all) for a query the fast scorer computes exactly as whoosh would: an And whose
    children are each one word (word_terms), or a single word. None for any other shape."""
    from whoosh import query as wq
    if type(q) is wq.And and q.boost == 1.0:
        terms = []
        for i, child in enumerate(q.subqueries):
            sub = word_terms(child, i)
            if sub is None:
                return None
            terms.extend(sub)
        return terms, True
    sub = word_terms(q, 0)
    return (sub, False) if sub is not None else None
