"""The bare words of a query, read for the coverage rule: each measured, an unknown one corrected,
decompounded or kept as typed (search/engine/spelling.py, with the lexicon of index/lexicon.py), two adjacent words
also met as the one word the index holds, a hyphenated word also as the text may write it; and the "Did you
mean" offered for a query that finds nothing. Functions of an Engine (search/engine/core.py), kept apart so that
the engine holds planning and running only.
"""
from __future__ import annotations

import re

from ...index.analysis import analyze, fold
from ...index.schema import EXACT_FIELD
from ..engine import plan as P
from ..engine.budget import UNBOUNDED, QueryTooCostly
from ..engine.coverage import Word, measure, weigh
from ..engine.errors import QueryError
from ..engine.spelling import MAX_CORRECTED_WORDS

#: Punctuation around a typed word ("festivals," "«tram»" "(gratuits)"): not part of the word the user meant.
_AROUND_WORD = re.compile(r"^[\W_]+|[\W_]+$")


def _as_typed(text: str) -> str:
    """A typed word without the punctuation around it, for notes and spelling correction; itself when
    nothing else is left ("--")."""
    return _AROUND_WORD.sub("", text) or text


def _apply(text: str, corrections: dict[str, str]) -> str:
    """The query text with each corrected word replaced where it stands as a whole word."""
    for typed, replacement in corrections.items():
        text = re.sub(r"(?<![\w-])%s(?![\w-])" % re.escape(typed), lambda m: replacement, text)
    return text


def read_words(engine, clauses, exact: bool, executor, budget=UNBOUNDED):
    """Bare-word clauses as measured coverage Words, unknown words corrected or decompounded (unless
    `exact`; at most MAX_CORRECTED_WORDS of them); returns (words, corrections as {typed: replacement},
    how many unknown words were left uncorrected for that limit)."""
    words, corrections, seen = [], {}, set()
    suggestions = {}
    tries = skipped = 0
    typed_words = [engine._word_text(node) for node, _ in clauses]
    nodes = [engine.node_of(q) for _, q in clauses]
    for i in range(len(clauses) - 1):  # two typed words that the index holds as one ("fiets netwerk")
        whole = engine.vocabulary.joined(typed_words[i], typed_words[i + 1])
        if whole:
            terms = tuple(P.Term(f, t, engine.weights.get(f, 1.0)) for f, t in whole)
            nodes[i] = P.Or((nodes[i],) + terms)
            nodes[i + 1] = P.Or((nodes[i + 1],) + terms)
    for i, typed in enumerate(typed_words):  # "Bruxelles-Propreté" also meets "Bruxelles Propreté" (issue 21)
        spaced = spaced_form(engine, _as_typed(typed))
        if spaced is not None:
            nodes[i] = P.Or((nodes[i], spaced))
    for typed, node in zip(map(_as_typed, typed_words), nodes):
        word = Word(typed, node)
        measure(word, executor)
        replacement = [word]
        if not word.df and not exact:
            tries += 1
            if tries > MAX_CORRECTED_WORDS:
                skipped += 1
                fix = None
            else:
                budget.check()
                from ...index.lexicon import lexicon  # loaded only for a word the index lacks
                fix = engine.vocabulary.correct(typed, lexicon())
                word.real = lexicon().is_word(fold(typed))
            if fix is not None and fix.suggestion:  # a real word: searched as typed, the index's offered
                suggestions[typed] = fix.suggestion
                fix = None
            if fix is not None:
                replacement = []
                for text in fix.words:
                    wnode = engine.word_node(text)
                    heads = fix.heads.get(text)
                    if heads:  # a compound head also meets the compounds it begins
                        wnode = P.Or((wnode,) + tuple(P.Term(f, t, engine.weights.get(f, 1.0)) for f, t in heads))
                    w = Word(text, wnode, typed=typed)
                    measure(w, executor)
                    replacement.append(w)
                if fix.reported:
                    corrections[typed] = " ".join(fix.words)
        for w in replacement:
            key = repr(w.node)
            if key not in seen:  # a pasted paragraph repeats its words: each counts once
                seen.add(key)
                words.append(w)
    weigh(words, engine.doc_count)
    return words, corrections, skipped, suggestions


def spaced_form(engine, word: str) -> P.Node | None:
    """A hyphenated word as the text may write it: its parts as a phrase, or joined, in the exact field
    (None for a word without a hyphen between letters)."""
    if "-" not in word.strip("-"):
        return None
    parts = [t for p in word.split("-") for t in analyze(p, "exact")]
    if len(parts) < 2 or not all(p.isalnum() for p in parts):
        return None
    weight = engine.weights.get(EXACT_FIELD, 1.0)
    return P.Or((P.Phrase(EXACT_FIELD, tuple(parts), tuple(range(len(parts))), 1, weight),
                 P.Term(EXACT_FIELD, "".join(parts), weight)))


def offer(engine, text: str, plan, filters, budget) -> str | None:
    """"Did you mean": the query with its real words that the index lacks (searched as typed) replaced
    by the nearest index words, offered when that finds something."""
    if not plan.suggestions:
        return None
    candidate = _apply(text, plan.suggestions)
    try:
        _, mask = engine.matches(candidate, filters, budget=budget)
    except QueryTooCostly:
        raise
    except QueryError:
        return None
    return candidate if mask.any() else None


def suggest(engine, text: str, budget=None) -> str | None:
    """With --exact: the query with its unknown words replaced by the index's closest spellings (the
    first MAX_CORRECTED_WORDS unknown words), offered only if that query finds something ("did you
    mean")."""
    budget = budget or UNBOUNDED
    changed = False
    tries = 0

    def fix(m):
        nonlocal changed, tries
        word = m.group()
        if tries >= MAX_CORRECTED_WORDS or engine.vocabulary.known(fold(word)):
            return word
        tries += 1
        budget.check()
        candidate = engine.vocabulary.closest(fold(word))
        if not candidate:
            return word
        changed = True
        return candidate

    suggestion = re.sub(r"(?<![\w:])[^\W\d_]+(?![\w:])", fix, text)
    if not changed:
        return None
    try:
        plan, mask = engine.matches(suggestion, exact=True, budget=budget)
    except QueryTooCostly:
        raise
    except QueryError:
        return None
    return suggestion if mask.any() else None
