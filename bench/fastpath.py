"""Prototypes measured by bench/benchmark.py (not used by the product): the engine's bare-word queries
through search.scoring.FastScorer with search.snippets, and a positionless catch-all field.

fast_search(engine, text) answers like Engine.search for queries whose clauses are all bare words (an AND
of words, each an OR over the weighted fields): FastScorer scores and counts them exactly; when no
document has every word, documents are ranked by IDF-weighted coverage (the rule issue 12 asks for);
snippets come from search.snippets.best_snippet. Fuzzy and prefix words are expanded once per query
(index.expansion.expand_query, at most MAX_EXPANSIONS words each). Anything else (phrases, ranges,
negations) returns None, and the benchmark then uses Engine.search.

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


#: Bound on the words one fuzzy or prefix term expands to.
MAX_EXPANSIONS = 50


def _clause_terms(engine, text, filters=None):
    """The query's clauses as weighted terms, one word per clause (fuzzy and prefix terms expanded
    once); date clauses (date:2024) are moved to `filters` when a list is given. None when some clause
    is not terms only (phrases, negations, a word the parser split into an AND of parts)."""
    from whoosh import query as wq
    from parlsearch.index.expansion import expand_query
    clauses, _ = engine.parse(text)
    terms = []
    reader = engine.searcher.reader()
    words = 0
    for node, q in clauses:
        if filters is not None and isinstance(q, wq.NumericRange):
            filters.append(q)
            continue
        q = expand_query(q, reader, MAX_EXPANSIONS)
        wt = word_terms(q, words)
        if wt is None:
            return None
        terms.extend(wt)
        words += 1
    return terms if terms else None


def rank(scorer, terms, k=10, allowed=None):
    """AND of the words when some document has them all, else by IDF-weighted coverage (at least half
    of the query's IDF), then score. One OR pass: the documents with every word are those whose mask is
    full, with the AND's scores. Returns (top [(score, docnum)], total)."""
    scored = scorer.score(terms, allowed=allowed)
    total = scored.count(min_coverage=1.0)
    if total:
        return scored.top(k, min_coverage=1.0), total
    return scored.top(k, min_coverage=0.5, by="coverage"), scored.count(min_coverage=0.5)


class _AllOf:
    def __init__(self, containers):
        self.containers = containers

    def __contains__(self, docnum):
        return all(docnum in c for c in self.containers)


def _container(searcher, q):
    """A filter query as a container of docnums: date ranges read the sortable column (RangeFilter),
    anything else its matching documents."""
    from parlsearch.search.scoring import range_filter
    flt = range_filter(searcher, q)
    return flt if flt is not None else frozenset(searcher.docs_for_query(q))


def fast_search(engine, text, limit=10, filters=None, scorer=None):
    """(total, [(score, Document, snippets)]) or None when the query is not only bare words."""
    filters = list(filters or [])
    try:
        terms = _clause_terms(engine, text, filters)
    except Exception:
        return None
    if terms is None:
        return None
    scorer = scorer or FastScorer(engine.searcher)
    allowed = None
    if filters:
        allowed = _AllOf([_container(engine.searcher, f) for f in filters])
    top, total = rank(scorer, terms, limit + 50, allowed)
    # the engine's order: score rounded to 1e-6, then newest first
    top = sorted(top, key=lambda sd: (-round(sd[0], 6), -engine._date_key(sd[1])))[:limit]
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
        from whoosh.system import pack_uint
        boost = self.format.field_boost
        for term, poslist in LANGUAGES[self.language].positions(value).items():
            yield term.encode("utf-8"), len(poslist), boost * len(poslist), pack_uint(len(poslist))


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


def compare_catch_all(engine, catch_all, queries, cases=None, repeat=3):
    """Top 10 of the current OR over five positional fields against the catch-all schema, both scored by
    FastScorer with the same rule (rank()); and judged passes when `cases` are given.

    Returns counts and CPU p50 of both (ms)."""
    import statistics
    import time

    base_scorer = FastScorer(engine.searcher)
    ids = catch_all.ids()
    out = {"queries": 0, "skipped": 0, "identical_top10": 0, "same_top10_set": 0, "same_top1": 0,
           "overlap_at_10": [], "differences": []}
    timings = {"or_of_fields": [], "catch_all": []}
    for text in queries:
        terms = _clause_terms(engine, text)
        if terms is None:
            out["skipped"] += 1
            continue
        ca_terms = catch_all.terms_for(terms)
        base_top, _ = rank(base_scorer, terms)
        ca_top, _ = rank(catch_all.scorer, ca_terms)
        for _ in range(repeat):
            c = time.process_time()
            rank(base_scorer, terms)
            timings["or_of_fields"].append((time.process_time() - c) * 1000)
            c = time.process_time()
            rank(catch_all.scorer, ca_terms)
            timings["catch_all"].append((time.process_time() - c) * 1000)
        a = engine_ids(engine, [d for _, d in base_top])
        b = [ids[d] for _, d in ca_top]
        out["queries"] += 1
        out["identical_top10"] += a == b
        out["same_top10_set"] += set(a) == set(b)
        out["same_top1"] += a[:1] == b[:1]
        out["overlap_at_10"].append(len(set(a) & set(b)) / max(1, len(a), len(b)) if (a or b) else 1.0)
        if a[:3] != b[:3]:
            out["differences"].append({"q": text, "or_of_fields": a[:3], "catch_all": b[:3]})
    out["mean_overlap_at_10"] = statistics.fmean(out.pop("overlap_at_10") or [1.0])
    for name, ts in timings.items():
        out[name + "_cpu_p50_ms"] = statistics.median(ts) if ts else float("nan")
    if cases:
        passes = {"or_of_fields": 0, "catch_all": 0, "cases": 0}
        for case in cases:
            terms = _clause_terms(engine, case["q"])
            if terms is None or case.get("expect") is None:
                continue
            passes["cases"] += 1
            want = set(case["expect"])
            max_rank = int(case.get("max_rank", 3))
            a = engine_ids(engine, [d for _, d in rank(base_scorer, terms)[0]])
            b = [ids[d] for _, d in rank(catch_all.scorer, catch_all.terms_for(terms))[0]]
            passes["or_of_fields"] += any(x in want for x in a[:max_rank])
            passes["catch_all"] += any(x in want for x in b[:max_rank])
        out["judged"] = passes
    return out


def fast_similar(engine, doc_id, limit=10, scorer=None):
    """Engine.similar's query (key terms of the subject and question, each in both fields) scored by
    FastScorer, the document itself excluded. Returns [(score, docnum)]."""
    doc = engine.get(doc_id)
    if doc is None:
        raise KeyError(doc_id)
    searcher = engine.searcher
    terms = []
    for fieldname, text, n, boost in (("subject", doc.subject, 8, 3.0), ("question", doc.question, 20, 1.0)):
        for term, weight in searcher.key_terms_from_text(fieldname, text, numterms=n):
            other = "subject" if fieldname == "question" else "question"
            terms.append(WeightedTerm(fieldname, term, boost * weight, len(terms)))
            terms.append(WeightedTerm(other, term, 0.5 * boost * weight, len(terms) - 1))
    if not terms:
        return []
    own = searcher.document_number(id=doc.id)
    scored = (scorer or FastScorer(searcher)).score(terms)
    scored.scores.pop(own, None)
    return scored.top(limit)
