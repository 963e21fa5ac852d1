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

Everything is computed over whole arrays (one per word: which documents hold it, and how much of it each
covers), from the same posting lists the ranking then scores (execute.py caches them per query).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ...index.schema import TOPIC_FIELDS
from . import plan as P

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
#: Weighted occurrences in the running text at which a word counts as half covered.
BODY_SATURATION = 1.0
#: Information is idf to this power (√idf): with idf itself, a single rare word carried up to half of a
#: four-word query, and typed questions lost their document to one unusual verb.
INFO_POWER = 0.5


@dataclass
class Word:
    """One bare query word: as typed (or as corrected), its plan node over the fields, and once measured,
    which documents hold it (`has`) and the share of it each covers (`share`, 0 where absent)."""
    text: str
    node: P.Node
    has: np.ndarray | None = None
    share: np.ndarray | None = None
    info: float = 0.0
    typed: str | None = None  # a corrected word: the word as the user typed it (what notes show)
    real: bool = True  # a word the index lacks: whether the lexicon knows it (index/lexicon.py)

    @property
    def df(self) -> int:
        return int(np.count_nonzero(self.has)) if self.has is not None else 0

    def __bool__(self) -> bool:
        return True


def _field_of(node: P.Node) -> str | None:
    for n in node.walk():
        name = getattr(n, "field", None)
        if name:
            return name
    return None


def measure(word: Word, executor) -> None:
    """Fill word.has and word.share from the postings of the word's node: every child of its Or (a term in
    one field, a group of terms, a phrase) marks the documents it matches; a child in a topic field covers
    them fully, one in running text by tf/(tf + BODY_SATURATION) of its largest occurrence count."""
    n = executor.N
    has = np.zeros(n, dtype=bool)
    tf = np.zeros(n, dtype=np.float64)
    topic = np.zeros(n, dtype=bool)
    items = word.node.items if isinstance(word.node, P.Or) else (word.node,)
    for child in items:
        in_topic = _field_of(child) in TOPIC_FIELDS
        if isinstance(child, P.Term):
            lists = [executor.term_postings(child.field, child.text)]
        elif isinstance(child, P.Expansion):
            lists = [executor.term_postings(child.field, text) for text in executor.expand(child)]
        else:  # a group of terms ("l' AND air"), a phrase: occurrences as its weight sum (counted if needed)
            lists = [(executor.run(child).ids(), None)]
        for ids, weights in lists:
            if not len(ids):
                continue
            has[ids] = True
            if in_topic:
                topic[ids] = True
            else:
                _maximum(tf, ids, weights if weights is not None else _occurrences(executor, child, ids))
    share = tf / (tf + BODY_SATURATION)
    share[topic] = 1.0
    share[~has] = 0.0
    word.has, word.share = has, share


def _maximum(acc: np.ndarray, ids: np.ndarray, values: np.ndarray) -> None:
    """acc[ids] = max(acc[ids], values) (ids unique within one posting list)."""
    acc[ids] = np.maximum(acc[ids], values)


def _occurrences(executor, node: P.Node, ids: np.ndarray) -> np.ndarray:
    """The summed posting weights of a group's terms in the documents `ids` (what whoosh's intersection
    matcher reports as its weight)."""
    out = np.zeros(len(ids), dtype=np.float64)
    for n in node.walk():
        if isinstance(n, P.Term):
            tids, weights = executor.term_postings(n.field, n.text)
            pos = np.searchsorted(tids, ids)
            ok = pos < len(tids)
            ok[ok] = tids[pos[ok]] == ids[ok]
            out[ok] += weights[pos[ok]]
    return out


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
    """Each word's information: BM25's idf of its document frequency to INFO_POWER. A real word found
    nowhere is counted as informative as the query's most informative known word (the index cannot say how
    rare it is, and a topic the corpus lacks must stay absent: "primes pour panneaux solaires"); a word that
    neither the index nor the lexicon knows (a slip no correction reached, a name the corpus lacks) as the
    least informative: it cannot tell the question apart, and must not sink the words that can."""
    for w in words:
        df = w.df
        w.info = math.log(1.0 + (doc_count - df + 0.5) / (df + 0.5)) ** INFO_POWER if df else 0.0
    known = [w.info for w in words if w.df]
    for w in words:
        if not w.df:
            w.info = (max(known) if w.real else min(known)) if known else 1.0


def coverage(words: list[Word]) -> np.ndarray:
    """Every document's share of the query's information (0..1), as one float array."""
    total = sum(w.info for w in words) or 1.0
    acc = np.zeros(len(words[0].share) if words else 0, dtype=np.float64)
    for w in words:
        acc += w.info * w.share
    return acc / total


def shared_words(words: list[Word]) -> np.ndarray:
    """How many of the query's words each document holds."""
    count = np.zeros(len(words[0].has) if words else 0, dtype=np.int16)
    for w in words:
        count += w.has
    return count


def answers(words: list[Word], allowed: np.ndarray | None = None, minimum: float = MIN_COVERAGE):
    """(answers: bool mask, coverage: float array) under the rule above. Coverage is returned for every
    candidate (a document holding some word, within `allowed`), so the closest can be listed when none
    answers; `allowed` restricts the candidates (documents matching the query's other clauses and
    filters)."""
    candidates = np.zeros(len(words[0].has), dtype=bool)
    complete = np.ones(len(words[0].has), dtype=bool)
    for w in words:
        candidates |= w.has
        complete &= w.has
    if allowed is not None:
        candidates &= allowed
    complete &= candidates
    cov = coverage(words)
    cov[~candidates] = 0.0
    if complete.any():
        return complete, cov
    partial = candidates & (cov >= minimum) & (shared_words(words) >= MIN_SHARED_WORDS)
    if not partial.any():
        partial = candidates & named_entity(words)
    return partial, cov


#: At most this many documents may hold, in their subject, Dutch title or names, every query word the index
#: knows for them to answer a query whose other words the corpus lacks (a question is often asked twice, to
#: two ministers).
MAX_ENTITY_DOCS = 2


def named_entity(words: list[Word]) -> np.ndarray:
    """The documents that answer when the query's words the index knows name them and the other words are
    found nowhere: "geestelijke gezondheid MIVB-medewerkers" (the only title with MIVB-medewerkers, the
    corpus has neither other word), "flexi-jobs des aînés". Each known word must be in the document's
    subject, Dutch title or names (a passing mention in the text is no name: "forêt de Soignes" stays
    empty), and together they must be found in at most MAX_ENTITY_DOCS documents anywhere ("prolifération
    des rats dans les parcs": parks are in 11 documents, two of them by their subject). A query of one known word
    and one unknown word is judged that way too; one whose known words are common ("stationnement des
    motos": 19 documents) is not."""
    known = [w for w in words if w.df]
    n = len(words[0].has) if words else 0
    if not known or len(known) == len(words):
        return np.zeros(n, dtype=bool)
    holding = np.ones(n, dtype=bool)
    named = np.ones(n, dtype=bool)
    for w in known:
        holding &= w.has
        named &= w.share >= 1.0
    if np.count_nonzero(holding) > MAX_ENTITY_DOCS:  # "parcs" is in 11 documents: a topic, not a name
        return np.zeros(n, dtype=bool)
    return named & holding
