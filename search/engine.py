"""Ranked search over the index: parsing, relaxation of over-constrained queries, sorting, snippets.

    with Engine.open(index_dir) as engine:
        result = engine.search("stationnement vélo", limit=10)
        for hit in result.hits: print(hit.rank, hit.doc.subject, hit.snippet)

Size (~800 lines, over the project's 600: its rewrite into a query plan and collectors is the next step):
`Engine` is the one place where a query's plan (parsing, spelling correction, the coverage rule) meets its
execution (the fast scorer or whoosh, sorting, snippets, `similar`); the pieces it drives live in their own
modules (query, limits, budget, spelling, coverage, scoring, snippets, expansion). Every query path takes a
`budget` (search/budget.py) and checks it where its work accumulates.
"""
from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_right
import re
import time
from dataclasses import dataclass, field

from whoosh import highlight
from whoosh import query as wq
from whoosh.qparser import syntax
from whoosh.scoring import BM25F
from whoosh.searching import Hit as WhooshHit

from ..corpus.model import Document
from ..index.analysis import LANGUAGES, analyze, fold, normalize
from ..index.schema import DEFAULT_FIELD_WEIGHTS, document_from_payload
from ..index.store import damaged_index, open_index

from .coverage import (MIN_SHARED_WORDS, MIN_SIMILAR_COVERAGE, Word, answers, coverage, familiarity, measure,
                       weigh)
from .budget import UNBOUNDED, QueryTooCostly, budget_collector, checked
from .limits import ExpansionCounter, check_multiterm_words, check_size, expanded_terms, fuzzy_note
from .query import QueryError, check_balanced, check_terms, error_text, make_parser, rewrite, validate
from .spelling import MAX_CORRECTED_WORDS, Vocabulary

SORTS = ("relevance", "date", "-date", "answered", "-answered")
#: Fields whose text snippets are drawn from, in order of preference.
SNIPPET_FIELDS = ("question", "answer")
MARK_START, MARK_END = "\x02", "\x03"
#: Documents listed by --closest when no document answers.
CLOSEST = 3
#: `similar` compares on this many of the text's most informative words (a question's subject and first
#: paragraphs carry its topic; more words add noise and cost one postings walk each).
KEY_WORDS = 25
#: Characters of a free text read by `similar --text` (a long draft's topic is in its first pages).
MAX_SIMILAR_TEXT = 20_000
#: The last day a datetime can hold: a larger stored value is no date (whoosh raises OverflowError).
_MAX_ORDINAL = dt.date.max.toordinal()
_WORD = re.compile(r"[^\W_](?:[\w'-]*[^\W_])?")


@dataclass
class Hit:
    rank: int
    score: float | None  # None when sorted by date (whoosh's score is then the sort key, not a relevance)
    doc: Document
    snippets: list[str] = field(default_factory=list)  # with MARK_START/MARK_END around matched words

    @property
    def snippet(self) -> str:
        """Plain-text snippet (markers removed)."""
        return " … ".join(s.replace(MARK_START, "").replace(MARK_END, "") for s in self.snippets)


@dataclass
class SearchResult:
    query: str
    total: int
    hits: list[Hit]
    dropped: list[str] = field(default_factory=list)  # words relaxed away, as typed (without punctuation)
    suggestion: str | None = None  # "did you mean" on zero results (with exact=True)
    note: str | None = None  # e.g. "the query has no searchable word"
    corrected: str | None = None  # the query as searched after spelling correction (the whole text)
    #: each word spelling correction changed, as typed (without punctuation), and what it searched instead
    corrections: list[tuple[str, str]] = field(default_factory=list)
    closest: list[Hit] = field(default_factory=list)  # with closest=True and no answer: the nearest


@dataclass
class Plan:
    """What a query runs as: the whoosh query (None: no answer), the documents allowed by the coverage
    rule and their coverage (None: no rule applies), and what to tell the user."""
    query: object
    dropped: list[str] = field(default_factory=list)
    note: str | None = None
    corrected: str | None = None
    corrections: list = field(default_factory=list)  # [(typed, searched)]
    docs: set | None = None
    coverage: dict | None = None
    closest: list = field(default_factory=list)  # [(docnum, coverage)] when nothing answers


def _flatten(group):
    """The clauses of an AND, with parenthesised ANDs inside it opened up ("a (b c)" is "a b c"): a pasted
    paragraph's "(1 euro ou …)" holds words, not a constraint."""
    for node in group:
        if isinstance(node, syntax.AndGroup) and not getattr(node, "fieldname", None) and node.boost == 1.0:
            yield from _flatten(node)
        else:
            yield node


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


def _parse_error(e: Exception) -> QueryError:
    """whoosh's own exception while parsing, as the one-line explanation the user sees: a bad date as every
    bad date is; anything else is a shape of the query the parser does not handle (search/query.py handles
    every one known; tests/test_search.py's property tests look for more), reported without whoosh's
    internal message ("list index out of range")."""
    text = error_text(e)
    if text.startswith("bad date"):
        return QueryError(text)
    return QueryError("cannot parse the query: check its operators (AND, OR, NOT, +, -), parentheses and "
                      "field names")


class _Marker(highlight.Formatter):
    """Wraps matched words in control markers that the output layer turns into colour or nothing."""

    between = " … "

    def format_token(self, text, token, replace=False):
        return MARK_START + highlight.get_text(text, token, replace) + MARK_END


def _all_of(containers: list):
    """One container for several: their intersection when every one is a set (search.scoring.RangeFilter
    holds its documents as one), else an _AllOf that asks each."""
    sets = [c.docs if hasattr(c, "docs") else c for c in containers]
    if all(isinstance(c, (set, frozenset)) for c in sets):
        sets.sort(key=len)
        return set(sets[0]).intersection(*sets[1:])
    return _AllOf(containers)


class _AllOf:
    """Documents in every one of several containers (sets of docnums, search.scoring.RangeFilter)."""

    def __init__(self, containers):
        self.containers = containers

    def __contains__(self, docnum) -> bool:
        return all(docnum in c for c in self.containers)


class Engine:
    """`fast=False` runs every query through whoosh's matchers and highlighter (the reference the fast
    path is checked against in tests/test_search.py)."""

    def __init__(self, ix, weights: dict[str, float] | None = None, fast: bool = True):
        self.ix = ix
        self.fast = fast
        self._scorer = None
        # Posting blocks decoded once per query, for the coverage rule and the scorer (cleared after it).
        from ..index.postings import BlockCache
        self._blocks = BlockCache() if fast else None
        self.weights = dict(weights or DEFAULT_FIELD_WEIGHTS)
        self.searcher = ix.searcher(weighting=BM25F(B=0.75, K1=1.2))
        # The schema of this view, read once: ix.schema reads the newest TOC file at every use, which a
        # commit in another process may delete in between.
        self.schema = self.searcher.schema
        self.parser = make_parser(self.schema, self.weights)
        self.vocabulary = Vocabulary(self.searcher.reader())
        self._date_column = None
        self._date_table_cache = None

    @classmethod
    def open(cls, index_dir, weights=None, fast: bool = True) -> "Engine":
        for attempt in range(20):
            ix = open_index(index_dir)
            try:
                return cls(ix, weights, fast=fast)
            except FileNotFoundError:  # a commit in another process just removed the files of this view
                if attempt == 19:
                    raise
                time.sleep(0.05)
            except Exception as e:  # truncated or corrupted segment files
                raise damaged_index(index_dir, e) from None

    def close(self):
        self.searcher.close()
        self.ix.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- parsing -----------------------------------------------------------------------------------

    def parse(self, text: str):
        """Parse `text` into (list of (syntax node, whoosh query)) of the top-level AND, and whether the
        top level is a plain AND of clauses (the only shape that may be relaxed)."""
        if not text or not text.strip():
            raise QueryError("empty query")
        check_size(text)  # before whoosh sees the text (search/limits.py)
        check_balanced(text)
        try:
            tree = self.parser.process(rewrite(text))
        except RecursionError:
            raise QueryError("query nested too deeply") from None
        except Exception as e:  # whoosh raises assorted errors on odd syntax
            raise _parse_error(e) from None
        if isinstance(tree, syntax.AndNotGroup) and len(tree) == 2 and isinstance(tree[0], syntax.GroupNode) \
                and len(tree[0]) == 0:
            # Only negative words ("-tram"): every document but those.
            negative = self._query_of(tree[1])
            validate(negative, self.schema)
            return [(tree, wq.AndNot(wq.Every(), negative.normalize()))], False
        relaxable = isinstance(tree, syntax.AndGroup) or not isinstance(tree, syntax.GroupNode)
        nodes = list(_flatten(tree)) if isinstance(tree, syntax.AndGroup) else \
            list(tree) if isinstance(tree, syntax.GroupNode) else [tree]
        clauses = []
        for node in nodes:
            q = self._query_of(node)
            if q is None or self._is_stopword(node):
                continue
            validate(q, self.schema)
            q = q.normalize()
            check_terms(q, self.schema)
            if q is wq.NullQuery or isinstance(q, wq.qcore._NullQuery):
                continue
            clauses.append((node, q))
        if not isinstance(tree, syntax.AndGroup) and isinstance(tree, syntax.GroupNode) and clauses:
            q = self._query_of(tree)
            validate(q, self.schema)
            return [(tree, q.normalize())], False
        return clauses, relaxable

    def _query_of(self, node):
        """The whoosh query of a syntax node; whoosh's own errors (a bad date inside a range…) as QueryError."""
        try:
            return node.query(self.parser)
        except Exception as e:  # whoosh raises assorted errors on odd syntax
            raise _parse_error(e) from None

    def _is_bare_word(self, node) -> bool:
        """A word typed without a field (which the multifield parser spread over the default fields)."""
        if isinstance(node, syntax.WordNode):
            return node.fieldname is None
        return (isinstance(node, syntax.OrGroup) and len(node) > 0
                and all(isinstance(n, syntax.WordNode) and n.fieldname in self.weights for n in node)
                and len({n.text for n in node}) == 1)

    def _is_stopword(self, node) -> bool:
        """A bare word that some default field's language ignores (French "pour", Dutch "het") is not
        required anywhere: it would otherwise only match by accident in the other language's fields."""
        if not self._is_bare_word(node):
            return False
        text = self._word_text(node)
        languages = {getattr(self.schema[f], "language", None) for f in self.weights} - {None}
        return any(not any(True for _ in LANGUAGES[lang].tokens(text, index=False)) for lang in languages)

    @staticmethod
    def _word_text(node) -> str:
        return node.text if isinstance(node, syntax.WordNode) else node[0].text

    # -- searching ---------------------------------------------------------------------------------

    def _exists(self, q) -> bool:
        """Does any document match? (Stops at the first match instead of counting them all.)"""
        return bool(q) and q.matcher(self.searcher).is_active()

    def _word_query(self, word: str):
        """The query of one plain word over the default fields (as the parser builds it for a bare word)."""
        q = self.parser.parse(word)
        return q.normalize() if q is not None else wq.NullQuery

    def _read_words(self, clauses, exact: bool, budget=UNBOUNDED):
        """Bare-word clauses as coverage Words, unknown words corrected or decompounded (unless `exact`; at
        most MAX_CORRECTED_WORDS of them); returns (words, corrections as {typed: replacement}, how many
        unknown words were left uncorrected for that limit)."""
        words, corrections, seen = [], {}, set()
        tries = skipped = 0
        typed_words = [self._word_text(node) for node, _ in clauses]
        queries = [q for _, q in clauses]
        for i in range(len(clauses) - 1):  # two typed words that the index holds as one ("fiets netwerk")
            whole = self.vocabulary.joined(typed_words[i], typed_words[i + 1])
            if whole:
                terms = [wq.Term(f, t, boost=self.weights.get(f, 1.0)) for f, t in whole]
                queries[i] = wq.Or([queries[i]] + terms)
                queries[i + 1] = wq.Or([queries[i + 1]] + terms)
        lone = len(clauses) == 1
        for typed, q in zip(map(_as_typed, typed_words), queries):
            word = Word(typed, q)
            if lone and self._has_postings(q):
                # One word found in the index: no coverage rule applies to it (plan() needs two words),
                # so its postings are only read once, by the scorer.
                words.append(word)
                continue
            measure(word, self.searcher, self._blocks, budget)
            replacement = [word]
            if not word.cover and not exact:
                tries += 1
                if tries > MAX_CORRECTED_WORDS:
                    skipped += 1
                    fix = None
                else:
                    budget.check()
                    fix = self.vocabulary.correct(typed)
                if fix is not None:
                    replacement = []
                    for text in fix.words:
                        wq_ = self._word_query(text)
                        heads = fix.heads.get(text)
                        if heads:  # a compound head also meets the compounds it begins
                            wq_ = wq.Or([wq_] + [wq.Term(f, t, boost=self.weights.get(f, 1.0)) for f, t in heads])
                        w = Word(text, wq_, typed=typed)
                        measure(w, self.searcher, self._blocks, budget)
                        replacement.append(w)
                    if fix.reported:
                        corrections[typed] = " ".join(fix.words)
            for w in replacement:
                key = repr(w.query)
                if key not in seen:  # a pasted paragraph repeats its words: each counts once
                    seen.add(key)
                    words.append(w)
        weigh(words, self.searcher.doc_count_all())
        return words, corrections, skipped

    def _has_postings(self, q) -> bool:
        """Does some plain term of a word's query (a Term, or an Or of them) have a live posting? The
        first block of each term is read through the query's block cache (the scorer reads it next).
        False when it cannot tell cheaply (other shapes): the caller then measures the word."""
        from whoosh.fields import BOOLEAN, NUMERIC
        from ..index.postings import iter_blocks
        read = self._blocks or iter_blocks
        for sub in q.subqueries if isinstance(q, wq.Or) else [q]:
            if type(sub) is not wq.Term or sub.fieldname not in self.schema:
                continue
            field = self.schema[sub.fieldname]
            if isinstance(field, (NUMERIC, BOOLEAN)):
                continue
            btext = sub.text if isinstance(sub.text, bytes) else field.to_bytes(sub.text)
            for segreader, _ in self.searcher.reader().leaf_readers():
                if next(read(segreader, sub.fieldname, btext), None) is not None:
                    return True
        return False

    def _pin_expansions(self, queries, budget=UNBOUNDED) -> None:
        """Expand every fuzzy and prefix word of `queries` once, from each segment's own vocabulary
        (index/expansion.py), and pin the words on the query node: whoosh would expand it again at
        every use (the coverage pass, counting, scoring of each segment, each hit's snippets) — 18
        expansions for one `stationement~` search of ten hits. The clamp of the edit distance
        (bound_fuzzy) has been applied. The words are counted across the query as they are found: an
        expansion stops one word past what the clause limit leaves (search/limits.py), whatever the
        index's size."""
        from ..index.expansion import expand_prefix, terms_within
        from .query import iter_nodes
        reader = self.searcher.reader()
        counter = ExpansionCounter()
        for q in queries:
            for node in iter_nodes(q):
                if isinstance(node, wq.FuzzyTerm):
                    words = terms_within(reader, node.fieldname, node.text, node.maxdist, node.prefixlength,
                                         stop_after=counter.room(), budget=budget)
                elif type(node) is wq.Prefix and node.text:
                    words = expand_prefix(reader, node.fieldname, node.text, stop_after=counter.room(),
                                          budget=budget)
                else:
                    continue
                counter.add(len(words))
                node._btexts = lambda _reader, words=tuple(words): list(words)

    def plan(self, text: str, filters: list | None = None, exact: bool = False, *, budget=None) -> "Plan":
        """What to run for `text`: the query, and for two or more bare words the documents that answer
        under the coverage rule (search/coverage.py), with their coverage. `budget` (search/budget.py):
        the CPU time it may take, checked as its work accumulates (QueryTooCostly); None: unbounded."""
        budget = budget or UNBOUNDED
        if self._blocks is not None:
            self._blocks.clear()
        filters = [f for f in (filters or []) if f is not None]
        if filters and not (text or "").strip():  # only --author/--since…: everything they allow
            return Plan(wq.And(filters).normalize() if len(filters) > 1 else filters[0])
        clauses, relaxable = self.parse(text)
        check_multiterm_words([q for _, q in clauses], self.schema)  # before any expansion
        budget.check()
        if self.fast:  # before counting: the count then reads the pinned words, not whoosh's expansion
            self._pin_expansions([q for _, q in clauses], budget)
        expanded_terms([q for _, q in clauses], self.searcher.reader(), budget=budget)  # QueryError past the limit
        if not clauses:
            if filters:
                return Plan(wq.And(filters))
            return Plan(None, note="the query has no searchable word (only stopwords or punctuation)")

        def combine(qs):
            # `*` beside other clauses or filters adds nothing, and whoosh's normalize() would turn
            # And([Every(), author:x]) into Every(), dropping the filters (`search '*' --author x`).
            qs = [q for q in list(qs) + filters if not (type(q) is wq.Every and not q.fieldname)] or [wq.Every()]
            return wq.And(qs).normalize() if len(qs) > 1 else qs[0]

        if not relaxable:
            return Plan(combine(q for _, q in clauses))
        fixed = [q for n, q in clauses if not self._is_bare_word(n)]
        words, corrections, uncorrected = self._read_words(
            [(n, q) for n, q in clauses if self._is_bare_word(n)], exact, budget)
        corrected = _apply(text, corrections) if corrections else None
        changed = list(corrections.items())
        note = None
        if uncorrected:
            note = "spelling correction stopped after %d unknown words (%d more searched as typed)" \
                % (MAX_CORRECTED_WORDS, uncorrected)
        if len(words) < 2:
            return Plan(combine(fixed + [w.query for w in words]), corrected=corrected, corrections=changed,
                        note=note)
        allowed = None
        if fixed or filters:
            allowed = self._allowed(fixed + filters, budget)
        docs, cov = answers(words, allowed, budget=budget)
        anyword = wq.Or([w.query for w in words])
        q = combine(fixed + [anyword])
        if not docs:
            closest = sorted(cov, key=lambda d: -cov[d])[:CLOSEST]
            return Plan(None, corrected=corrected, corrections=changed, closest=[(d, cov[d]) for d in closest],
                        note=note)
        dropped = []
        best = max(docs, key=lambda d: cov[d])
        if not all(best in w.cover for w in words):
            # as typed (a corrected word as the user typed it), each once
            dropped = list(dict.fromkeys(w.typed or w.text for w in words if best not in w.cover))
        return Plan(q, dropped=dropped, corrected=corrected, corrections=changed, docs=docs, coverage=cov,
                    note=note)

    def _allowed(self, queries: list, budget=UNBOUNDED) -> set:
        """The documents matching every one of `queries` (the clauses beside a query's bare words, and
        the filters): a date or number range from its sorted column (search.scoring.RangeFilter, one
        slice), anything else by whoosh."""
        from .scoring import range_filter
        sets = []
        for q in queries:
            flt = range_filter(self.searcher, q) if self.fast else None
            sets.append(flt.docs if flt is not None else set(checked(self.searcher.docs_for_query(q), budget)))
        sets.sort(key=len)
        return set(sets[0]).intersection(*sets[1:])

    def search(self, text: str, *, limit: int = 10, offset: int = 0, sort: str = "relevance",
               filters: list | None = None, snippets: bool = True, exact: bool = False,
               closest: bool = False, budget=None) -> SearchResult:
        """Ranked hits for `text`. `exact` turns spelling correction off; `closest` lists the nearest
        documents when the coverage rule leaves no answer. `budget` (search/budget.py): the CPU time the
        search may take (QueryTooCostly past it); None: unbounded."""
        try:
            return self._search(text, limit=limit, offset=offset, sort=sort, filters=filters,
                                snippets=snippets, exact=exact, closest=closest, budget=budget or UNBOUNDED)
        finally:
            if self._blocks is not None:
                self._blocks.clear()

    def _search(self, text, *, limit, offset, sort, filters, snippets, exact, closest, budget) -> SearchResult:
        if sort not in SORTS:
            raise QueryError("unknown sort %r (%s)" % (sort, ", ".join(SORTS)))
        plan = self.plan(text, filters, exact, budget=budget)
        note = plan.note or fuzzy_note(text)
        if plan.query is None:
            near = []
            if closest and plan.closest:
                near = [self._stored_hit(i, docnum, cov) for i, (docnum, cov) in enumerate(plan.closest, 1)]
            suggestion = self.suggest(text, budget) if exact else None
            return SearchResult(text, 0, [], note=note, corrected=plan.corrected, corrections=plan.corrections,
                                closest=near, suggestion=suggestion)
        want = offset + limit
        if sort == "relevance":
            # Every match scored (no block skipping): whoosh's skipping top-k path miscounts some queries
            # on multi-segment indexes, and counting its total afterwards costs a second pass anyway.
            cov = plan.coverage or {}
            scores = self._fast_scores(plan.query, plan.docs, budget)
            if scores is not None:
                return self._fast_result(text, plan, note, scores, cov, offset, want, snippets, exact, budget)
            results = self._whoosh_search(plan.query, budget, limit=None, filter=plan.docs)
            window = sorted(results.top_n, key=lambda sd: (-round(sd[0] * cov.get(sd[1], 1.0), 6),
                                                           -self._date_key(sd[1])))[:want]
            ranked = [WhooshHit(results, docnum, pos, score * cov.get(docnum, 1.0))
                      for pos, (score, docnum) in enumerate(window)]
        elif sort in ("answered", "-answered"):  # by answer date, undated last (search/sorting.py)
            from .sorting import answer_date_facet
            results = self._whoosh_search(plan.query, budget, limit=want, filter=plan.docs,
                                          sortedby=answer_date_facet(sort == "-answered"))
            ranked = list(results)
        elif sort == "date":  # oldest first; whoosh's missing-date sentinel (2**64 - 1) sorts dateless last
            results = self._whoosh_search(plan.query, budget, limit=want, sortedby="date_received", filter=plan.docs)
            ranked = list(results)
        else:  # newest first, dateless still last (reversed, the sentinel would put them first)
            results = self._whoosh_search(plan.query, budget, limit=None, sortedby="date_received", reverse=True,
                                          filter=plan.docs)
            keyed = sorted(results.top_n, key=lambda kd: self._date_key(kd[1]) == 0)  # stable: date order kept
            ranked = [WhooshHit(results, docnum, pos, key) for pos, (key, docnum) in enumerate(keyed[:want])]
        total = len(results)
        hits = []
        if not self.fast:
            results.fragmenter = highlight.ContextFragmenter(maxchars=220, surround=70)
            results.formatter = _Marker()
        terms = self._snippet_terms(plan.query) if snippets and self.fast else None
        for i, h in enumerate(ranked[offset:want], start=offset + 1):
            doc = document_from_payload(h["payload"])
            score = float(h.score or 0.0) if sort == "relevance" else None
            if not snippets:
                found = []
            elif self.fast:
                found = self._window_snippets(doc, terms)
            else:
                found = self._snippets(h, doc)
            hits.append(Hit(i, score, doc, found))
        suggestion = self.suggest(text, budget) if total == 0 and exact else None
        return SearchResult(text, total, hits, dropped=plan.dropped, suggestion=suggestion, note=note,
                            corrected=plan.corrected, corrections=plan.corrections)

    def _whoosh_search(self, q, budget, **kwargs):
        """whoosh's Searcher.search (same keywords), checking `budget` before and as documents are collected."""
        budget.check()
        collector = budget_collector(self.searcher.collector(**kwargs), budget)
        self.searcher.search_with_collector(q, collector)
        return collector.results()

    def _fast_scores(self, q, allowed, budget=UNBOUNDED) -> dict | None:
        """{docnum: BM25F score} of every document matching `q` within `allowed`, by the term-at-a-time
        scorer (search/scoring.py: the same scores as whoosh's, ~10× cheaper a posting), for the shapes
        it computes exactly: a word, an OR of words' terms, an AND of such words, phrases (positions read
        only for the documents holding every word of one). None for any other shape (negations, ranges
        inside words, unexpanded fuzzy or prefix words), which whoosh then runs."""
        if not self.fast or q is None:
            return None
        from .scoring import FastScorer, from_query, range_filter
        ranges = []
        if type(q) is wq.And and q.boost == 1.0:  # date ranges (date:2024, --since) as filters
            ranges = [c for c in q.subqueries if isinstance(c, wq.NumericRange) and c.constantscore
                      and c.boost == 1.0]
            rest = [c for c in q.subqueries if not any(c is r for r in ranges)]
            if ranges and rest:
                q = rest[0] if len(rest) == 1 else wq.And(rest)
            else:
                ranges = []
        shape = from_query(q)
        if shape is None:
            return None
        terms, require_all = shape
        from whoosh.fields import BOOLEAN, NUMERIC
        if any(t.field not in self.schema or isinstance(self.schema[t.field], (NUMERIC, BOOLEAN))
               for t in terms):  # a term typed on a date or number field: whoosh's own conversion
            return None
        if any(t.offset >= 0 and not self.schema[t.field].format.supports("positions") for t in terms):
            return None  # a phrase on a field without positions: whoosh says why
        if ranges:
            containers = [range_filter(self.searcher, r) for r in ranges]
            if any(c is None for c in containers):
                return None
            allowed = _all_of(containers + ([allowed] if allowed is not None else []))
        if self._scorer is None:
            self._scorer = FastScorer(self.searcher, blocks=self._blocks)
        scores = self._scorer.score(terms, require_all=require_all, allowed=allowed, words=False,
                                    budget=budget).scores
        if ranges:  # whoosh scores a constant-score range 1.0 (its boost) in every document it matches
            extra = float(len(ranges))
            scores = {d: s + extra for d, s in scores.items()}
        return scores

    def _fast_result(self, text, plan, note, scores: dict, cov: dict, offset: int, want: int,
                     snippets: bool, exact: bool, budget) -> SearchResult:
        """The relevance-sorted page from the fast scorer's scores, in the whoosh path's order (score ×
        coverage rounded to 1e-6, then newest first). Only the documents tied with the page's last
        score read their date, not every match."""
        import heapq
        if cov:
            get = cov.get
            ranked = {d: s * get(d, 1.0) for d, s in scores.items()}
        else:
            ranked = scores
        best = []
        if ranked and want > 0:
            # The page's last key, rounded as the order rounds it; then only the documents that may round
            # to it or above (the raw value at most 1e-6 below) are rounded and sorted, not every match.
            cutoff = round(min(heapq.nlargest(want, ranked.values())), 6)
            low = cutoff - 1e-6
            best = [(k, d) for k, d in ((round(v, 6), d) for d, v in ranked.items() if v >= low) if k >= cutoff]
        window = sorted(best, key=lambda kd: (-kd[0], -self._date_key(kd[1])))[:want]
        terms = self._snippet_terms(plan.query) if snippets else None
        hits = []
        for i, (_, docnum) in enumerate(window[offset:want], start=offset + 1):
            doc = document_from_payload(self.searcher.stored_fields(docnum)["payload"])
            score = float(scores[docnum] * cov.get(docnum, 1.0))
            hits.append(Hit(i, score, doc, self._window_snippets(doc, terms) if snippets else []))
        total = len(scores)
        suggestion = self.suggest(text, budget) if total == 0 and exact else None
        return SearchResult(text, total, hits, dropped=plan.dropped, suggestion=suggestion, note=note,
                            corrected=plan.corrected, corrections=plan.corrections)

    def _snippet_terms(self, q) -> dict:
        """{field: the indexed terms the query asks for there}, fuzzy and prefix words as the index words
        they stand for: computed once per query, for every hit's snippets."""
        from .snippets import query_terms
        return query_terms(q, SNIPPET_FIELDS, self.searcher.reader())

    def _window_snippets(self, doc: Document, terms: dict, top: int = 2) -> list[str]:
        """Snippets from the densest window of query words of each field (search/snippets.py: one pass
        over at most MAX_SCAN characters, instead of whoosh's re-analysis and fragment scoring)."""
        from .snippets import best_snippet
        out = []
        for name in SNIPPET_FIELDS:
            if len(out) >= top or not terms.get(name):
                continue
            snippet = best_snippet(getattr(doc, name), self.schema[name].language, terms[name])
            if snippet:
                out.append(snippet)
        if not out:
            lead = " ".join((doc.question or "").split())
            out.append(lead[:200] + ("…" if len(lead) > 200 else ""))
        return out

    def _stored_hit(self, rank: int, docnum: int, score: float) -> Hit:
        """A hit without snippets, from a document number."""
        return Hit(rank, score, document_from_payload(self.searcher.stored_fields(docnum)["payload"]), [])

    def _date_key(self, docnum: int) -> int:
        """Ordinal of the reception date, to break score ties newest first."""
        if self.fast:
            table = self._date_table()
            if table is not None:
                offsets, columns = table
                i = bisect_right(offsets, docnum) - 1
                values, default = columns[i]
                local = docnum - offsets[i]
                if local >= len(values) or values[local] == default:
                    return 0
                # whoosh stores microseconds since datetime.min (util.times.long_to_datetime)
                ordinal = 1 + values[local] // 86_400_000_000
                return ordinal if 1 <= ordinal <= _MAX_ORDINAL else 0
        if self._date_column is None:
            from ..index.stats import column_reader
            self._date_column = column_reader(self.searcher.reader(), "date_received")
        try:
            value = self._date_column[docnum]
        except (OverflowError, ValueError):  # no date: whoosh's missing-value sentinel is no datetime
            return 0
        return value.toordinal() if isinstance(value, dt.datetime) else 0

    def _date_table(self):
        """(segment offsets, each segment's raw date column) read once (index.postings.numeric_column):
        a tie of thousands of documents (a keyword field query: every match scores the same) reads
        their dates from arrays, not through whoosh's column readers (~14 µs a document). None when a
        segment has no such column: _date_key then reads whoosh's."""
        if self._date_table_cache is None:
            from ..index.postings import numeric_column
            offsets, columns = [], []
            for segreader, offset in self.searcher.reader().leaf_readers():
                column = numeric_column(segreader, "date_received")
                if column is None:
                    self._date_table_cache = False
                    return None
                offsets.append(offset)
                columns.append(column)
            self._date_table_cache = (offsets, columns)
        return self._date_table_cache or None

    def _snippets(self, hit, doc: Document, top: int = 2) -> list[str]:
        out = []
        for name in SNIPPET_FIELDS:
            text = getattr(doc, name)
            if not text or len(out) >= top:
                continue
            text = text.replace(MARK_START, "").replace(MARK_END, "")  # the document's own, not ours
            fragment = hit.highlights(name, text=text, top=top - len(out))
            if fragment:
                out.append(" ".join(fragment.split()))
        if not out:
            lead = " ".join((doc.question or "").split())
            out.append(lead[:200] + ("…" if len(lead) > 200 else ""))
        return out

    def suggest(self, text: str, budget=None) -> str | None:
        """With --exact: the query with its unknown words replaced by the index's closest spellings (the
        first MAX_CORRECTED_WORDS unknown words), offered only if that query finds something ("did you
        mean")."""
        budget = budget or UNBOUNDED
        changed = False
        tries = 0

        def fix(m):
            nonlocal changed, tries
            word = m.group()
            if tries >= MAX_CORRECTED_WORDS or self.vocabulary.known(fold(word)):
                return word
            tries += 1
            budget.check()
            candidate = self.vocabulary.closest(fold(word))
            if not candidate:
                return word
            changed = True
            return candidate

        suggestion = re.sub(r"(?<![\w:])[^\W\d_]+(?![\w:])", fix, text)
        if not changed:
            return None
        try:
            plan = self.plan(suggestion, exact=True, budget=budget)
        except QueryTooCostly:
            raise
        except QueryError:
            return None
        return suggestion if plan.query is not None and self._exists(plan.query) else None

    # -- documents ---------------------------------------------------------------------------------

    def get(self, doc_id: str) -> Document | None:
        """A document by id, or by official code (moncode)."""
        stored = self.searcher.document(id=doc_id) or self.searcher.document(moncode=doc_id)
        return document_from_payload(stored["payload"]) if stored else None

    def similar(self, doc_id: str, limit: int = 10, budget=None) -> list[Hit]:
        """Questions most like this one ("has this been asked before?"), excluding itself; only those
        close enough (the threshold of similar_text). `budget` as for search()."""
        doc = self.get(doc_id)
        if doc is None:
            raise KeyError(doc_id)
        # The subject names the topic: its words count three times among the question's.
        text = "\n".join(t for t in (doc.subject, doc.subject, doc.subject, doc.question) if t)
        return self.similar_text(text, limit=limit, exclude=doc.id, budget=budget)

    def similar_text(self, text: str, limit: int = 10, exclude: str | None = None, budget=None) -> list[Hit]:
        """Existing questions closest to a free text (a draft question), best first, scored by the share
        of the text's key words they cover (search/coverage.py); none under MIN_SIMILAR_COVERAGE.
        `budget` as for search()."""
        budget = budget or UNBOUNDED
        terms = self._text_terms(text, budget)
        # A text mostly unknown to the index (gibberish, another language) is judged on all its words, not on
        # the few the index knows: its coverage is scaled down (search/coverage.py, familiarity).
        scale = familiarity(sum(c for _, c, df in terms if df), sum(c for _, c, df in terms if not df))
        if scale < MIN_SIMILAR_COVERAGE:
            return []
        # Excluding a document of the index: its own words (df 1) can meet no other document.
        words = self._key_words(text, min_df=2 if exclude else 1, budget=budget, terms=terms)
        if not words:
            return []
        # Only a document holding one of the "essential" words can be close: the least informative words
        # together carry less than MIN_SIMILAR_COVERAGE (over the scale) of the text's information
        # (MaxScore's split), so a document holding none but those cannot reach it. The common words'
        # thousands of documents are then never candidates (exactly the same answers; tests/test_search.py).
        need = MIN_SIMILAR_COVERAGE / scale * sum(w.info for w in words) * (1 - 1e-9)
        carried, low = 0.0, set()
        for i, w in sorted(enumerate(words), key=lambda iw: iw[1].info):
            if carried + w.info >= need:
                break
            carried += w.info
            low.add(i)
        candidates = set()
        for i, w in enumerate(words):
            if i not in low:
                candidates.update(w.cover.keys())
        if exclude is not None:
            own = self.searcher.document_number(id=exclude)
            candidates.discard(own)
        cov = coverage(words, candidates, budget)
        if scale < 1.0:
            cov = {d: c * scale for d, c in cov.items()}
        close = sorted((d for d in cov if cov[d] >= MIN_SIMILAR_COVERAGE
                        and sum(d in w.cover for w in words) >= MIN_SHARED_WORDS),
                       key=lambda d: (-round(cov[d], 6), -self._date_key(d)))[:limit]
        hits = [self._stored_hit(i, d, round(cov[d], 4)) for i, d in enumerate(close, 1)]
        if hits:  # each with the passage of its question (else answer) densest in the text's key words
            terms = self._snippet_terms(wq.Or([w.query for w in words]))
            for hit in hits:
                hit.snippets = self._window_snippets(hit.doc, terms, top=1)
        return hits

    def _text_terms(self, text: str, budget=UNBOUNDED) -> list[tuple[str, int, int]]:
        """(word, occurrences, documents holding it) of each distinct word of a free text that may be a key
        word: one term of the exact form, no stopword (a document frequency of 0: unknown to the index)."""
        text = normalize(text or "")[:MAX_SIMILAR_TEXT]
        counts: dict[str, int] = {}
        for m in _WORD.finditer(text):
            word = m.group().lower()
            counts[word] = counts.get(word, 0) + 1
        out = []
        for word, count in checked(counts.items(), budget):
            terms = analyze(word, "exact")
            if len(terms) == 1 and not self._is_stop_text(word):
                out.append((word, count, self.vocabulary.frequency(terms[0])))
        return out

    def _key_words(self, text: str, min_df: int = 1, budget=UNBOUNDED, terms=None) -> list[Word]:
        """The KEY_WORDS most informative words of a text (occurrences × idf of the exact form), as Words
        (`terms`: the text's _text_terms, when already read)."""
        n = self.searcher.doc_count_all()
        ranked = []
        for word, count, df in self._text_terms(text, budget) if terms is None else terms:
            if df >= min_df:  # a word in every document ranks last (log 1 = 0) but still counts
                ranked.append((-count * math.log(n / df), word))
        words = []
        for _, word in sorted(ranked)[:KEY_WORDS]:
            w = Word(word, self._word_query(word))
            measure(w, self.searcher, self._blocks, budget)
            if w.cover:
                words.append(w)
        weigh(words, n)
        return words

    def _is_stop_text(self, word: str) -> bool:
        """A word that some default field's language ignores (see _is_stopword)."""
        languages = {getattr(self.schema[f], "language", None) for f in self.weights} - {None}
        return any(not analyze(word, lang) for lang in languages)
