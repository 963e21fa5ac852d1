"""A query as understood, planned: understand.py's reading of the typed text combined with the
engine's plan of what is left (Engine.plan) — the identifiers' documents first, the filters read in the
words AND-ed with the others, type words that name a type the index holds as a filter.

Engine.search, Engine.matches and Engine.explain call `plan_query`; `exact=True` skips the reading (the
query is planned as typed, as before issue 21).
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from ...index.analysis import analyze
from ..engine import plan as P
from ..engine.filters import date_filter
from .identify import named_documents
from .understand import Reading, Understanding, understand


def _subject_mentions(engine, words: tuple) -> P.Node:
    """The date's words in a document's subject or Dutch title ("2025", "juin 2026")."""
    items = []
    for field, lang in (("subject", "fr"), ("title_nl", "nl")):
        terms = [t for w in words for t in analyze(w, lang)]
        if len(terms) == 1:
            items.append(P.Term(field, terms[0]))
        elif terms:
            items.append(P.Phrase(field, tuple(terms), tuple(range(len(terms)))))
    return P.Or(tuple(items)) if len(items) > 1 else items[0]


def _type_filters(engine, u: Understanding) -> list:
    """The types the query names, as filters on the types the index holds; a type it does not hold is only
    dropped from the words (the reading says so): every document of the bundled corpus is a written question,
    so "interpellation sur …" still finds the written questions on the topic."""
    reader = engine.source.reader
    out, kept = [], []
    for type_ in dict.fromkeys(u.types):
        if reader.doc_frequency("type", type_):
            out.append(P.Term("type", type_))
            kept.append(type_)
    readings = []
    for r in u.readings:
        if r.kind == "type":
            type_ = r.meaning.split(" ", 1)[1]
            r = Reading(r.typed, "type %s" % type_.replace("_", " ") if type_ in kept
                        else "ignored (no %s in the index)" % type_.replace("_", " "), "type")
        readings.append(r)
    u.readings = readings
    return out


def plan_query(engine, text: str, filters: list | None, exact: bool, budget, today: dt.date | None = None):
    """(Plan, Understanding or None): the plan of `text` under the reading of understand.py.
    The plan's `named` mask holds the documents its identifiers name (ranked first by Engine.search)."""
    filters = [engine.node_of(f) for f in (filters or []) if f is not None]
    u = None if exact or not (text or "").strip() else understand(text, today)
    if not u:
        return engine.plan(text, filters, exact, budget), None
    extra = [engine.node_of(q) for q in u.filters.queries()] + _type_filters(engine, u)
    in_time = None
    if u.received_or_subject:
        first, last, words = u.received_or_subject
        received = engine.node_of(date_filter(first, last))
        in_time = P.Or((received, _subject_mentions(engine, words)))
        extra.append(in_time)
    all_filters = filters + extra
    executor = engine.executor(budget)
    named = None
    topic = u.text
    if u.ids:
        allowed = executor.run(P.And(tuple(all_filters))).mask if all_filters else None
        named = named_documents(executor, u.ids, allowed)
        if not named.any() and not u.keep_number:  # names no document: its words are searched as words
            topic = " ".join([u.text] + [ref.typed for ref in u.ids if ref.kind != "id"]).strip()
            u.readings = [r for r in u.readings if r.kind != "id"] + \
                [Reading(ref.value, "no such question", "id") for ref in u.ids if ref.kind == "id"]
            u.ids, named = [], None
    topic = topic if topic.strip() else (text if u.keep_number else "")
    if topic.strip():
        plan = engine.plan(topic, all_filters, exact, budget)
        if in_time is not None and not _answers(plan):
            plan = _date_as_words(engine, u, topic, [f for f in all_filters if f is not in_time], plan, budget)
    elif named is not None:
        from ..engine.core import Plan
        plan = Plan(None, executor=executor)
    elif all_filters:
        from ..engine.core import Plan
        plan = Plan(P.And(tuple(all_filters)) if len(all_filters) > 1 else all_filters[0], executor=executor)
    else:  # nothing but words that name every document ("question écrite"): searched as typed
        return engine.plan(text, filters, exact, budget), None
    plan.named = named
    return plan, u


def _answers(plan) -> bool:
    """Whether `plan` answers anything (the coverage rule's answers when it applies)."""
    if plan.node is None:
        return False
    mask = plan.executor.run(plan.node).mask
    return bool((mask & plan.docs).any() if plan.docs is not None else mask.any())


def _date_as_words(engine, u: Understanding, topic: str, filters: list, plan, budget):
    """"en 2019" read as "received in 2019 (or 2019 in the subject)" left no answer: the date may say when
    the topic happened rather than when the question was asked ("armes à feu saisies en 2019", a question of
    2020): the year is then required as a word of the text, with the topic's words, and the reading says so.
    A question of another year that names the year answers; one that does not is no more found than before,
    so a negative stays a negative. `plan` is kept when this finds nothing either."""
    first, last, words = u.received_or_subject
    years = [engine.word_node(w) for w in words if w.isdigit()]
    if not years:
        return plan
    # The year must be in the text: required like a filter, never the word the coverage rule drops ("Villo en
    # 1995" would otherwise find the Villo question, which says nothing of 1995).
    loose = engine.plan(topic, filters + years, False, budget)
    if not _answers(loose):
        return plan
    label = " ".join(words)
    u.readings = [Reading(r.typed, "searched as words (nothing received in %s matches)" % label, "date")
                  if r.kind == "date" and r.meaning.startswith("received ") and r.meaning.endswith("in the subject)")
                  else r for r in u.readings]
    u.received_or_subject = None
    return loose


def rank_named_first(scores: np.ndarray, topic: np.ndarray, named: np.ndarray) -> np.ndarray:
    """Scores that put the named documents above every other match: those also matching the topic words
    first, then the others (ties: newest first, collect.rank's order)."""
    scores = scores.copy()
    top = float(scores[topic].max()) if topic.any() else 0.0
    scores[named] = top + 1.0 + topic[named].astype(np.float64)
    return scores
