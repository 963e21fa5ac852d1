"""`similar`: the questions closest to a document or a free text (a draft question), scored by the share of the
text's key words they cover (coverage.py) — apart from core.py, which keeps the query path.

A text's key words are its KEY_WORDS most informative words (occurrences × idf of the exact form); a text
mostly unknown to the index (gibberish, another language) is judged on all its words, its coverage scaled
down (coverage.familiarity); a document is never its own neighbour.
"""
from __future__ import annotations

import math
import re

import numpy as np

from ...index.analysis import analyze, normalize
from . import plan as P
from .budget import UNBOUNDED
from .collect import rank
from .coverage import MIN_SHARED_WORDS, MIN_SIMILAR_COVERAGE, Word, coverage, familiarity, measure, shared_words, \
    weigh

#: `similar` compares on this many of the text's most informative words (a question's subject and first
#: paragraphs carry its topic; more words add noise and cost one postings walk each).
KEY_WORDS = 25
#: Characters of a free text read by `similar --text` (a long draft's topic is in its first pages).
MAX_SIMILAR_TEXT = 20_000
_WORD = re.compile(r"[^\W_](?:[\w'-]*[^\W_])?")


def similar_text(engine, text: str, limit: int = 10, exclude: str | None = None, budget=None) -> list:
    """Existing questions closest to a free text, best first (engine.Hit, score: the coverage); none under
    MIN_SIMILAR_COVERAGE; `exclude`: a document id left out. `budget` as for Engine.search()."""
    budget = budget or UNBOUNDED
    executor = engine.executor(budget)
    terms = text_terms(engine, text, budget)
    # A text mostly unknown to the index (gibberish, another language) is judged on all its words, not on
    # the few the index knows: its coverage is scaled down (coverage.py, familiarity).
    scale = familiarity(sum(c for _, c, df in terms if df), sum(c for _, c, df in terms if not df))
    if scale < MIN_SIMILAR_COVERAGE:
        return []
    # Excluding a document of the index: its own words (df 1) can meet no other document.
    words = key_words(engine, terms, executor, min_df=2 if exclude else 1)
    if not words:
        return []
    cov = coverage(words) * scale
    close = (cov >= MIN_SIMILAR_COVERAGE) & (shared_words(words) >= MIN_SHARED_WORDS)
    if exclude is not None:
        own = engine.source.document_number("id", exclude)
        if own is not None:
            close[own] = False
    order = rank(close, np.round(cov, 6), engine.view.days("date_received"), limit)
    engine._prefetch_stored(order)
    hits = [engine._stored_hit(i, d, round(float(cov[d]), 4)) for i, d in enumerate(order, 1)]
    if hits:  # each with the passage of its question (else answer) densest in the text's key words
        snippet_terms = engine.snippet_terms(P.Or(tuple(w.node for w in words)))
        for hit in hits:
            hit.snippets = engine._window_snippets(hit.doc, snippet_terms, top=1)
    return hits


def text_terms(engine, text: str, budget=UNBOUNDED) -> list[tuple[str, int, int]]:
    """(word, occurrences, documents holding it) of each distinct word of a free text that may be a key
    word: one term of the exact form, no stopword (a document frequency of 0: unknown to the index).
    Spellings of one exact form are one word, their occurrences added up ("l'accompagnatrice" and
    "accompagnatrice": the elided form was a second key word, the same word counted twice)."""
    text = normalize(text or "")[:MAX_SIMILAR_TEXT]
    counts: dict[str, int] = {}
    for m in _WORD.finditer(text):
        word = m.group().lower()
        counts[word] = counts.get(word, 0) + 1
    by_term: dict[str, list] = {}
    for i, (word, count) in enumerate(counts.items()):
        if not i % 64:
            budget.check()
        terms = analyze(word, "exact")
        if len(terms) == 1 and not engine._is_stop_text(word):
            known = by_term.get(terms[0])
            if known is None:
                by_term[terms[0]] = [word, count, engine.vocabulary.frequency(terms[0])]
            else:
                known[1] += count
    return [tuple(entry) for entry in by_term.values()]


def key_words(engine, terms, executor, min_df: int = 1) -> list[Word]:
    """The KEY_WORDS most informative words of a text (occurrences × idf of the exact form), as measured
    Words; `terms` is the text's text_terms (or the text itself). Their postings are read in one go from a
    view that reads them from afar (a database: Engine.prefetch)."""
    if isinstance(terms, str):
        terms = text_terms(engine, terms)
    n = engine.doc_count
    ranked = []
    for word, count, df in terms:
        if df >= min_df:  # a word in every document ranks last (log 1 = 0) but still counts
            ranked.append((-count * math.log(n / df), word))
    words = []
    chosen = [word for _, word in sorted(ranked)[:KEY_WORDS]]
    engine.prefetch([engine.word_node(word) for word in chosen])
    for word in chosen:
        w = Word(word, engine.word_node(word))
        measure(w, executor)
        if w.df:
            words.append(w)
    weigh(words, n)
    return words
