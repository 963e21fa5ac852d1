"""Partial matches: how much of a query's information a document covers, and when that is an answer.

The rule, for every query of two or more bare words (from two-word searches to pasted paragraphs):

* each query word carries information √idf, with BM25's idf = ln(1 + (N − df + ½) / (df + ½)): a word in
  every document carries almost nothing, a rare one the most; the square root keeps one rare word (often
  a verb of a typed question: "instruire") from outweighing all the others. A word found nowhere counts
  as much as the query's most informative known word (the index cannot tell how rare it is);
* a document covers a word fully when the word is in its subject, Dutch title or names, and by
  tf / (tf + 1) when only its running text holds it, so a word said once in a long answer covers half
  of itself;
* documents holding every word answer, as an AND would; when there are none, a document answers when
  it covers at least MIN_COVERAGE of the query's information through at least two of its words. Answers
  are ranked by BM25F times their coverage.

So a pasted paragraph finds its document although a few of its words are absent, while a near miss that
shares a single word, or only incidental mentions ("fusion des zones de police" against a text that names
the police once), returns nothing.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from whoosh import query as wq

from ..index.schema import TOPIC_FIELDS
from .budget import CHECK_EVERY

#: Share of the query's information a partial answer must cover. Measured on the four judged sets (156
#: cases): the expected documents that lack some query word cover 0.507–0.78 (one outlier at 0.42), the
#: best near misses of the negative cases at most 0.495 through two words or more.
MIN_COVERAGE = 0.5
#: Query words a partial answer must hold: one shared word is never an answer.
MIN_SHARED_WORDS = 2
#: `similar`: a question covering less of a text's 25 key words than this is not close. Measured on the
#: bundled corpus: questions on the same subject cover 0.27–0.76 of each other's key words (the two
#: Cinquantenaire questions 0.275), the best unrelated question 0.15–0.25; an off-topic draft finds
#: nothing.
MIN_SIMILAR_COVERAGE = 0.26


#: `similar --text`: share of a text's word occurrences that may be unknown to the index before its
#: similarity is scaled down (familiarity). Measured on the bundled index (107 documents): real French
#: questions of another parliament (300 of the Chamber's 2020 questions) have 1–53% of their word occurrences
#: unknown (median 19%, 90th percentile 30%); base64 and hex gibberish 83–100% (median 98%), whose few known
#: pieces ("o", "e", "4") made it "similar" to ten questions; Dutch texts against the mostly French index
#: 38–89% (median 74%), their "similar" questions French ones met through numbers only.
TOLERATED_UNKNOWN = 0.25


#: coverage() works a word's shares out document by document (Cover.add_to, ~0.4 µs each) when the
#: word has at least this many times more documents than are asked for; otherwise it builds the whole
#: cover at once (~0.1 µs a document) and looks each one up.
LAZY_RATIO = 4
#: Weighted occurrences in the running text at which a word counts as half covered.
BODY_SATURATION = 1.0
#: Information is idf to this power (√idf): with idf itself, a single rare word carried up to half of a
#: four-word query, and typed questions lost their document to one unusual verb.
INFO_POWER = 0.5


@dataclass
class Word:
    """One bare query word: as typed (or as corrected), its query over the fields, and its coverage."""
    text: str
    query: wq.Query
    cover: Mapping = field(default_factory=dict)  # docnum → share of this word covered (a Cover once measured)
    info: float = 0.0
    typed: str | None = None  # a corrected word: the word as the user typed it (what notes show)


def _fieldname(q) -> str | None:
    stack = [q]
    while stack:
        node = stack.pop()
        name = getattr(node, "fieldname", None)
        if name:
            return name
        if not node.is_leaf():
            stack.extend(node.children())
    return None


def _term_blocks(sub, searcher, read_blocks=None):
    """(docnums, occurrences) blocks of a plain term's postings over every segment, read whole
    (index/postings.py: ~0.2 µs a posting against ~1 µs through a matcher); None for any other query."""
    from whoosh.fields import BOOLEAN, NUMERIC
    from ..index.postings import iter_blocks
    if type(sub) is not wq.Term or sub.fieldname not in searcher.schema:
        return None
    field = searcher.schema[sub.fieldname]
    if isinstance(field, (NUMERIC, BOOLEAN)):
        return None
    btext = sub.text if isinstance(sub.text, bytes) else field.to_bytes(sub.text)

    def blocks():
        for segreader, offset in searcher.reader().leaf_readers():
            for ids, weights in (read_blocks or iter_blocks)(segreader, sub.fieldname, btext):
                yield ([d + offset for d in ids] if offset else ids), weights
    return blocks()


class Cover(Mapping):
    """docnum → share of one word covered, built from posting blocks with set and dict operations only.

    Every document of the word is known at once (the keys: its document frequency, the AND of a query's
    words); a document's share is worked out when asked for (1.0 in a topic field, else tf / (tf + 1) of
    its largest occurrence count in the running text), so a query whose words meet in a few hundred
    documents computes a few hundred shares, not one per posting of each word (~150 ns a posting in
    Python: 40% of a two-word query's time at 20,000 documents). Equal, key for key and value for value,
    to the dict the previous implementation built (tests/test_search.py)."""

    def __init__(self):
        self._docs = set()
        self._topic = set()
        self._body = []  # {docnum: occurrences} of each running-text term
        self._shares = {}  # shares worked out by walking a matcher (shapes other than plain terms)
        self._full = None

    def add_topic(self, ids) -> None:
        self._topic.update(ids)
        self._docs.update(ids)
        self._full = None

    def add_body(self, occurrences: dict) -> None:
        if occurrences:
            self._body.append(occurrences)
            self._docs.update(occurrences)
            self._full = None

    def add_share(self, docnum: int, share: float) -> None:
        if share > self._shares.get(docnum, 0.0):
            self._shares[docnum] = share
        self._docs.add(docnum)
        self._full = None

    def __getitem__(self, docnum):
        if docnum in self._topic:
            return 1.0
        if docnum not in self._docs:
            raise KeyError(docnum)
        tf = 0.0
        for occurrences in self._body:
            t = occurrences.get(docnum)
            if t is not None and t > tf:
                tf = t
        share = tf / (tf + BODY_SATURATION) if tf else 0.0
        other = self._shares.get(docnum)
        return other if other is not None and other > share else share

    def add_to(self, acc: dict, info: float) -> None:
        """acc[d] += info × share of d, for every document of acc (coverage(): one call a word, not
        one lookup a document)."""
        topic, body, shares, docs = self._topic, self._body, self._shares, self._docs
        for d in acc:
            if d in topic:
                acc[d] += info * 1.0
            elif d in docs:
                tf = 0.0
                for occurrences in body:
                    t = occurrences.get(d)
                    if t is not None and t > tf:
                        tf = t
                share = tf / (tf + BODY_SATURATION) if tf else 0.0
                other = shares.get(d)
                acc[d] += info * (other if other is not None and other > share else share)
            else:
                acc[d] += info * 0.0

    def get(self, docnum, default=None):
        return self[docnum] if docnum in self._docs else default

    def __contains__(self, docnum) -> bool:
        return docnum in self._docs

    def __iter__(self):
        return iter(self._docs)

    def __len__(self) -> int:
        return len(self._docs)

    def keys(self):
        return self._docs

    def items(self):
        return self.full().items()

    def full(self) -> dict:
        """The whole cover as a dict (built once)."""
        if self._full is None:  # every share at once: one comprehension a term, no call a document
            tf = {}
            for occurrences in self._body:
                get = tf.get
                tf.update({d: t for d, t in occurrences.items() if t > get(d, 0.0)})
            full = {d: t / (t + BODY_SATURATION) for d, t in tf.items() if t}
            for d, share in self._shares.items():
                if share > full.get(d, 0.0):
                    full[d] = share
            full.update(dict.fromkeys(self._topic, 1.0))
            missing = self._docs.difference(full)  # running text matched with no weight
            if missing:
                full.update(dict.fromkeys(missing, 0.0))
            self._full = full
        return self._full

    def __bool__(self) -> bool:
        return bool(self._docs)


def measure(word: Word, searcher, read_blocks=None, budget=None) -> None:
    """Fill word.cover (a Cover): one pass over the postings of the word's field queries (read_blocks:
    a shared reader of posting blocks, index.postings.iter_blocks by default), checking `budget`
    (search/budget.py) at every block of up to 128 postings, or every CHECK_EVERY postings of a matcher."""
    subqueries = word.query.subqueries if isinstance(word.query, wq.Or) else [word.query]
    cover = Cover()
    check = budget.check if budget is not None else (lambda: None)
    for sub in subqueries:
        topic = _fieldname(sub) in TOPIC_FIELDS
        blocks = _term_blocks(sub, searcher, read_blocks)
        if blocks is not None:
            if topic:
                for ids, _ in blocks:
                    check()
                    cover.add_topic(ids)
            else:
                occurrences = {}
                for ids, weights in blocks:
                    check()
                    occurrences.update(zip(ids, weights))
                cover.add_body(occurrences)
            continue
        boost = sub.boost or 1.0  # the matcher's weight carries the field's weight: taken back out
        m = sub.matcher(searcher)
        seen = 0
        while m.is_active():
            seen += 1
            if not seen % CHECK_EVERY:
                check()
            docnum = m.id()
            if topic:
                cover.add_topic((docnum,))
            else:
                tf = m.weight() / boost  # occurrences in the field
                cover.add_share(docnum, tf / (tf + BODY_SATURATION))
            m.next()
    word.cover = cover


def familiarity(known: int, unknown: int) -> float:
    """The factor a free text's coverage is multiplied by, from its word occurrences known and unknown to the
    index: 1 while at most TOLERATED_UNKNOWN are unknown, then the known share over 1 - TOLERATED_UNKNOWN.

    Why: the key words are chosen among the words the index knows (an unknown word has no document to
    cover), so a text made mostly of unknown words was judged by its few known ones alone: gibberish whose
    pieces "o", "e" and "4" happen to be indexed was "similar" to ten questions. Counting the unknown words
    in the text's whole, a text 96% unknown can be covered at most 0.04 / 0.75 ≈ 5% (nothing reaches
    MIN_SIMILAR_COVERAGE); a draft with a few unknown names or typos (up to a quarter of its words) is
    judged exactly as before, and one half unknown (a draft with a pasted attachment) keeps two thirds of
    its coverage."""
    total = known + unknown
    if not total:
        return 1.0
    return min(1.0, known / total / (1.0 - TOLERATED_UNKNOWN))


def weigh(words: list[Word], doc_count: int) -> None:
    """Each word's information: BM25's idf of its document frequency. A word found nowhere is counted as
    informative as the query's most informative known word (the index cannot say how rare it is)."""
    for w in words:
        df = len(w.cover)
        w.info = math.log(1.0 + (doc_count - df + 0.5) / (df + 0.5)) ** INFO_POWER if df else 0.0
    known = max((w.info for w in words if w.cover), default=0.0)
    for w in words:
        if not w.cover:
            w.info = known or 1.0


def coverage(words: list[Word], docnums, budget=None) -> dict[int, float]:
    """docnum → share of the query's information the document covers (0..1); `budget` is checked at each
    word (one pass over the candidates or the word's documents)."""
    total = sum(w.info for w in words) or 1.0
    # Word by word over each word's cover (its postings), not document by document over every word: a
    # pasted paragraph's 25 words meet thousands of candidates. The same sums, in the same word order.
    docnums = docnums if isinstance(docnums, (set, frozenset, dict)) else set(docnums)
    acc = dict.fromkeys(docnums, 0)
    for w in words:
        if budget is not None:
            budget.check()
        info = w.info
        cover = w.cover
        if isinstance(cover, Cover):
            if len(cover) >= LAZY_RATIO * len(acc):  # a few documents of a common word: their shares only
                cover.add_to(acc, info)
                continue
            cover = cover.full()
        if len(cover) < len(acc) // 2:
            for d, c in cover.items():
                if d in acc:
                    acc[d] += info * c
        else:
            get = cover.get
            for d in acc:
                acc[d] += info * get(d, 0.0)
    return {d: a / total for d, a in acc.items()}


def answers(words: list[Word], allowed=None, minimum: float = MIN_COVERAGE, budget=None):
    """(documents that answer, coverage) under the rule above: the coverage of those documents when
    some hold every word, else of every candidate (the closest ones are listed when none answers);
    `allowed` restricts the candidates (documents matching the query's other clauses and filters)."""
    candidates = set()
    for w in words:
        candidates.update(w.cover)
    if allowed is not None:
        candidates &= allowed
    complete = candidates.intersection(*(w.cover.keys() for w in words))
    if complete:  # the answers are those: only their coverage is needed (their rank)
        return complete, coverage(words, complete, budget)
    cov = coverage(words, candidates, budget)
    return {d for d, c in cov.items()
            if c >= minimum and sum(d in w.cover for w in words) >= MIN_SHARED_WORDS}, cov
