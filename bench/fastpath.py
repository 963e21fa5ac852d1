"""Prototypes measured by bench/benchmark.py (not used by the product): the engine's bare-word queries
through search.scoring.FastScorer with search.snippets, and a positionless catch-all field.

fast_search(engine, text) answers like Engine.search for queries whose clauses are all bare words (an AND
of words, each an OR over the weighted fields): FastScorer scores and counts them exactly; when no
document has every word, documents are ranked by IDF-weighted coverage (the rule issue 12 asks for);
snippets come from search.snippets.best_snippet. Anything else (phrases, fields, fuzzy) returns None,
and the benchmark then uses Engine.search.

CatchAll builds a sidecar index of the same documents with the schema the speed issue proposes:
  subject   positionless French text (the subject, kept separate to boost it)
  title_nl  positionless Dutch text
  all       positionless French text: subject, question, answer, portfolio
  all_nl    positionless Dutch text: title_nl, question_nl, answer_nl
and scores a query with FastScorer over those four fields, to compare its top 10 with the current
OR over five positional fields.
"""
from __future__ import annotations

from whoosh import fields

from parlsearch.index.analysis import LANGUAGES, ParlAnalyzer
from parlsearch.index.schema import document_from_payload
from parlsearch.search.scoring import FastScorer, WeightedTerm, word_terms
from parlsearch.search.snippets import best_snippet

SNIPPET_FIELDS = ("question", "answer")
#: Catch-all weights: subject and title_nl as today, the catch-alls at the question's weight and
#: body_nl's (the text fields they mostly hold).
CATCH_ALL_WEIGHTS = {"subject": 4.0, "title_nl": 2.5, "all": 1.6, "all_nl": 0.8}


def _clause_terms(engine, text):
    clauses, _ = engine.parse(text)
    terms = []
    for i, (node, q) in enumerate(clauses):
        if not engine._is_bare_word(node):
            return None
        wt = word_terms(q, i)
        if wt is None:
            return None
        terms.extend(wt)
    return terms if clauses else None


def rank(scorer, terms, k=10):
    """AND of the words when some document has them all, else by IDF-weighted coverage (at least half
    of the query's IDF), then score. Returns (top [(score, docnum)], total)."""
    scored = scorer.score(terms, require_all=True)
    if scored.total:
        return scored.top(k), scored.total
    scored = scorer.score(terms)
    return scored.top(k, min_coverage=0.5, by="coverage"), scored.count(min_coverage=0.5)


def fast_search(engine, text, limit=10, filters=None, scorer=None):
    """(total, [(score, Document, snippets)]) or None when the query is not only bare words."""
    try:
        terms = _clause_terms(engine, text)
    except Exception:
        return None
    if terms is None:
        return None
    scorer = scorer or FastScorer(engine.searcher)
    allowed = None
    if filters:
        from whoosh import query as wq
        allowed = frozenset(engine.searcher.docs_for_query(wq.And(filters) if len(filters) > 1 else filters[0]))
        scored = scorer.score(terms, require_all=True, allowed=allowed)
        top, total = scored.top(limit), scored.total
    else:
        top, total = rank(scorer, terms, limit)
    by_field = {f: {t.text for t in terms if t.field == f} for f in SNIPPET_FIELDS}
    hits = []
    for score, docnum in top:
        doc = document_from_payload(engine.searcher.stored_fields(docnum)["payload"])
        snippets = [s for s in (best_snippet(getattr(doc, f), "fr", by_field[f]) for f in SNIPPET_FIELDS) if s]
        hits.append((score, doc, snippets))
    return total, hits


class PositionlessText(fields.TEXT):
    """The project's analyzer, term frequencies only (no positions): what a catch-all field needs."""

    def __init__(self, language):
        super().__init__(analyzer=ParlAnalyzer(language), phrase=False)
        self.language = language

    def index(self, value, **kwargs):
        encode = self.format.encode
        boost = self.format.field_boost
        for term, poslist in LANGUAGES[self.language].positions(value).items():
            yield term.encode("utf-8"), len(poslist), boost * len(poslist), encode(len(poslist))


def catch_all_schema():
    return fields.Schema(id=fields.ID(stored=True, unique=True), moncode=fields.STORED,
                         subject=PositionlessText("fr"), title_nl=PositionlessText("nl"),
                         all=PositionlessText("fr"), all_nl=PositionlessText("nl"))


def catch_all_fields(doc) -> dict:
    join = "\n".join
    values = {"id": doc.id, "moncode": doc.moncode, "subject": doc.subject, "title_nl": doc.title_nl,
              "all": join(t for t in (doc.subject, doc.question, doc.answer, doc.portfolio) if t),
              "all_nl": join(t for t in (doc.title_nl, doc.question_nl, doc.answer_nl) if t)}
    return {k: v for k, v in values.items() if v}


class CatchAll:
    def __init__(self, docs, path):
        from whoosh import index
        path.mkdir(parents=True, exist_ok=True)
        self.ix = index.create_in(str(path), catch_all_schema())
        with self.ix.writer(limitmb=256) as w:
            for d in docs:
                w.add_document(**catch_all_fields(d))
        self.searcher = self.ix.searcher()
        self.scorer = FastScorer(self.searcher)
        self._ids = None

    def terms_for(self, engine_terms):
        """The catch-all translation of the engine's per-field terms (the same analyzers: French terms of
        subject are those of question and answer, Dutch ones of title_nl those of body_nl)."""
        out = set()
        for t in engine_terms:
            if t.field == "subject":
                out |= {WeightedTerm("subject", t.text, CATCH_ALL_WEIGHTS["subject"], t.word),
                        WeightedTerm("all", t.text, CATCH_ALL_WEIGHTS["all"], t.word)}
            elif t.field == "title_nl":
                out |= {WeightedTerm("title_nl", t.text, CATCH_ALL_WEIGHTS["title_nl"], t.word),
                        WeightedTerm("all_nl", t.text, CATCH_ALL_WEIGHTS["all_nl"], t.word)}
        return sorted(out, key=lambda t: (t.word, t.field, t.text))

    def ids(self):
        if self._ids is None:
            self._ids = {d: f.get("moncode") or f["id"] for d, f in
                         ((d, self.searcher.stored_fields(d)) for d in range(self.searcher.doc_count_all()))}
        return self._ids

    def close(self):
        self.searcher.close()
        self.ix.close()


def engine_ids(engine, docnums):
    out = []
    for d in docnums:
        doc = document_from_payload(engine.searcher.stored_fields(d)["payload"])
        out.append(doc.moncode or doc.id)
    return out
