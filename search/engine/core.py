"""Ranked search over the index: a query is parsed once into a plan (plan.py), the plan is run over
the index's arrays (execute.py, index/segments.py), and collectors turn the matches into what was
asked: a ranked page, a date-sorted page, counts, the closest documents, an explanation.

    with Engine.open(index_dir) as engine:
        result = engine.search("stationnement vélo", limit=10)
        for hit in result.hits: print(hit.rank, hit.doc.subject, hit.snippet)

Reading of a query (`plan`): the parser's clauses; bare words read by the spelling rules (spelling.py) and
measured for the coverage rule (coverage.py); fuzzy and prefix words expanded once, bounded; filters as plan
nodes; `similar` and `similar_text` in similar.py. Execution (`_search`): one executor per query, which reads each term's
postings once for the coverage rule and the ranking alike.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from whoosh import highlight
from whoosh import query as wq
from whoosh.qparser import syntax

from ...corpus.model import Document
from ...index.analysis import LANGUAGES
from ...index.schema import DEFAULT_FIELD_WEIGHTS, document_from_payload
from ...index.store import damaged_index, open_index

from . import plan as P
from .budget import UNBOUNDED
from .collect import rank, sort_by_date
from .coverage import answers
from .execute import Executor
from .limits import ExpansionCounter, check_multiterm_words, check_size, fuzzy_note
from .query import QueryError, check_balanced, check_terms, error_text, make_parser, rewrite, validate
from .spelling import MAX_CORRECTED_WORDS, Vocabulary
from ..understanding.understood import plan_query, rank_named_first
from ..understanding.bare_words import _apply, offer, read_words, suggest

SORTS = ("relevance", "date", "-date", "answered", "-answered")
#: Where snippets are drawn from, in order of preference: (document text, the index field that holds it).
#: The Dutch texts come last: a Dutch query meets a bilingual question (the Chamber's) in its Dutch text.
SNIPPET_SOURCES = (("question", "question"), ("answer", "answer"), ("question_nl", "body_nl"),
                   ("answer_nl", "body_nl"))
#: The index fields of those texts.
SNIPPET_FIELDS = tuple(dict.fromkeys(field for _, field in SNIPPET_SOURCES))
MARK_START, MARK_END = "\x02", "\x03"
#: Documents listed by --closest when no document answers.
CLOSEST = 3


@dataclass
class Hit:
    rank: int
    score: float | None  # None when sorted by date
    doc: Document
    snippets: list[str] = field(default_factory=list)  # with MARK_START/MARK_END around matched words
    docnum: int | None = None  # the index's document number (valid for the engine's view only)
    explanation: object = None  # search(explain=True): search.explain.Explanation of the score

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
    #: how the query's words were read besides its topic (search/understanding/understand.py: identifiers, dates, statuses,
    #: type words), as understand.Reading; empty with exact=True
    understood: list = field(default_factory=list)


@dataclass
class Plan:
    """What a query runs as: its plan node (None: no answer), the documents allowed by the coverage rule
    and their coverage (None: no rule applies), and what to tell the user."""
    node: P.Node | None
    dropped: list[str] = field(default_factory=list)
    note: str | None = None
    corrected: str | None = None
    corrections: list = field(default_factory=list)  # [(typed, searched)]
    docs: np.ndarray | None = None  # bool mask of the coverage rule's answers
    coverage: np.ndarray | None = None  # float share of the query's information, per document
    closest: list = field(default_factory=list)  # [(docnum, coverage)] when nothing answers
    executor: Executor | None = None  # the executor that measured the words (its postings cache)
    words: list = field(default_factory=list)  # the bare words under the coverage rule (coverage.Word)
    named: np.ndarray | None = None  # documents the query's identifiers name (search/understanding/understood.py): first
    suggestions: dict = field(default_factory=dict)  # {typed: index word} for real words searched as typed

    @property
    def query(self):
        """The plan node (kept under the name callers used for the whoosh query)."""
        return self.node


def _flatten(group):
    """The clauses of an AND, with parenthesised ANDs inside it opened up ("a (b c)" is "a b c"): a pasted
    paragraph's "(1 euro ou …)" holds words, not a constraint."""
    for node in group:
        if isinstance(node, syntax.AndGroup) and not getattr(node, "fieldname", None) and node.boost == 1.0:
            yield from _flatten(node)
        else:
            yield node


def _parse_error(e: Exception) -> QueryError:
    """whoosh's own exception while parsing, as the one-line explanation the user sees: a bad date as every
    bad date is; anything else is a shape of the query the parser does not handle (query.py handles
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


def _combine(nodes: list) -> P.Node:
    return nodes[0] if len(nodes) == 1 else P.And(tuple(nodes))


class Engine:
    """One view of an index (a whoosh searcher) and what runs queries over it."""

    def __init__(self, ix=None, weights: dict[str, float] | None = None, *, source=None):
        """Over a whoosh index (`ix`), or any other source (index/source.py: a database's)."""
        if source is None:
            from ...index.source import LocalSource
            source = LocalSource(ix)
        self.source = source
        self.ix = getattr(source, "ix", None)  # a local index's whoosh objects (None for a database)
        self.searcher = getattr(source, "searcher", None)
        self.weights = dict(weights or DEFAULT_FIELD_WEIGHTS)
        self.schema = source.schema
        self.parser = make_parser(self.schema, self.weights)
        self.view = source.view
        self.vocabulary = Vocabulary(source.reader)
        self._expansions: dict = {}
        self._word_nodes: dict = {}

    @classmethod
    def open(cls, index_dir, weights=None) -> "Engine":
        for attempt in range(20):
            ix = open_index(index_dir)
            try:
                return cls(ix, weights)
            except FileNotFoundError as e:  # a commit in another process just removed the files of this view
                if attempt == 19:  # still missing a second later: the table of contents names files not there
                    raise damaged_index(index_dir, e) from None
                time.sleep(0.05)
            except Exception as e:  # truncated or corrupted segment files
                raise damaged_index(index_dir, e) from None

    @classmethod
    def connect(cls, servers, weights=None, max_lag: float | None = None) -> "Engine":
        """An engine over a database (index/postgres): `servers` a postgres.connect.Servers (primary first,
        then replicas; reads go to one that answers and is no more than `max_lag` seconds behind)."""
        from ...index.postgres.source import PostgresSource
        return cls(weights=weights, source=PostgresSource(servers, max_lag))

    @property
    def location(self) -> str:
        """What the engine reads, for messages: the index directory, or the database server."""
        return self.source.location

    def up_to_date(self) -> bool:
        """Whether the engine still reads the newest commit."""
        return self.source.up_to_date()

    def close(self):
        self.source.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def doc_count(self) -> int:
        return self.view.doc_count

    def executor(self, budget=None) -> Executor:
        return Executor(self.view, budget=budget if budget is not UNBOUNDED else None, expand=self.expand)

    # -- parsing -----------------------------------------------------------------------------------

    def parse(self, text: str):
        """Parse `text` into (list of (syntax node, whoosh query)) of the top-level AND, and whether the
        top level is a plain AND of clauses (the only shape that may be relaxed)."""
        if not text or not text.strip():
            raise QueryError("empty query")
        check_size(text)  # before whoosh sees the text (limits.py)
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
        return self._is_stop_text(text)

    def _is_stop_text(self, word: str) -> bool:
        languages = {getattr(self.schema[f], "language", None) for f in self.weights} - {None}
        return any(not any(True for _ in LANGUAGES[lang].tokens(word, index=False)) for lang in languages)

    @staticmethod
    def _word_text(node) -> str:
        return node.text if isinstance(node, syntax.WordNode) else node[0].text

    def node_of(self, q) -> P.Node:
        """The plan node of a parsed whoosh query (or of a plan node: itself)."""
        return q if isinstance(q, P.Node) else P.from_whoosh(q, self.schema)

    def word_node(self, word: str) -> P.Node:
        """The plan of one plain word over the default fields, as the parser builds a bare word (each
        field's analyzer in query mode; several terms in one field are AND-ed; a field where the word is a
        stopword is left out), without running the parser: `similar` builds 25 of these per call.
        tests/test_plan.py checks it equals the parser's plan for every word of the bundled corpus."""
        node = self._word_nodes.get(word)
        if node is None:
            items = []
            for fieldname, weight in self.weights.items():
                lang = LANGUAGES[self.schema[fieldname].language]
                terms = [t for ts, _, _, _ in lang.tokens(word, index=False) for t in ts]
                if len(terms) == 1:
                    items.append(P.Term(fieldname, terms[0], weight))
                elif terms:
                    items.append(P.And(tuple(P.Term(fieldname, t, weight) for t in terms)))
            node = P.Nothing() if not items else items[0] if len(items) == 1 else P.Or(tuple(items))
            if len(self._word_nodes) > 10_000:
                self._word_nodes.clear()
            self._word_nodes[word] = node
        return node

    def parsed_word_node(self, word: str) -> P.Node:
        """word_node through the parser (the reference word_node is checked against)."""
        q = self.parser.parse(word)
        q = q.normalize() if q is not None else wq.NullQuery
        return self.node_of(q)

    # -- expansions ----------------------------------------------------------------------------------

    def expand(self, node: P.Expansion, counter: ExpansionCounter | None = None, budget=None) -> list:
        """The index words an expansion stands for in this view, computed once per engine and cached.
        With a `counter` (limits.py), the words are counted against the query's clause limit as
        they are found: a walk stops one word past what the limit leaves and the counter raises QueryError,
        so a cut list is never cached."""
        words = self._expansions.get(node)
        hint = (ExpansionCounter.FIELD_HINT % node.field) if node.kind == "every" else None
        if words is None:
            from ...index import expansion as X
            reader = self.source.reader
            stop = counter.room() if counter is not None else None
            budget = budget if budget is not UNBOUNDED else None
            if node.kind == "fuzzy":
                words = X.terms_within(reader, node.field, node.text, node.maxdist, node.prefixlength,
                                       stop_after=stop, budget=budget)
            elif node.kind == "prefix":
                words = X.expand_prefix(reader, node.field, node.text, stop_after=stop, budget=budget)
            elif node.kind == "wildcard":
                words = X.expand_wildcard(reader, node.field, node.text, stop_after=stop, budget=budget)
            elif node.kind == "range":
                words = X.expand_range(reader, node.field, node.text, node.high, node.include_low,
                                       node.include_high, stop_after=stop, budget=budget)
            else:  # "every": every word of the field
                words = X.expand_prefix(reader, node.field, "", stop_after=stop, budget=budget)
            if counter is not None:
                counter.add(len(words), hint)
            if len(self._expansions) > 1000:
                self._expansions.clear()
            self._expansions[node] = words
        elif counter is not None:
            counter.add(len(words), hint)
        return words

    def check_expansions(self, nodes, budget=None) -> int:
        """Expand every fuzzy, prefix, wildcard and range word of `nodes` once, counting the index words
        they stand for: QueryError past MAX_EXPANDED_TERMS (limits.py)."""
        counter = ExpansionCounter()
        for node in nodes:
            for x in P.expansions_in(node) if node is not None else ():
                self.expand(x, counter, budget)
        return counter.total

    def prefetch(self, nodes) -> None:
        """Tell a view that reads postings from afar (a database: index/postgres/view.py) every term `nodes`
        name, read in one round trip; a local view reads them where they lie (no-op)."""
        prefetch = getattr(self.view, "prefetch", None)
        if prefetch is not None:
            prefetch(P.terms_named([n for n in nodes if n is not None], self.expand))

    # -- planning ------------------------------------------------------------------------------------

    def plan(self, text: str, filters: list | None = None, exact: bool = False, budget=None) -> Plan:
        """What to run for `text`: its plan node, and for two or more bare words the documents that answer
        under the coverage rule (coverage.py), with their coverage. `budget` (budget.py): the
        CPU time it may take, checked as its work accumulates (QueryTooCostly); None: unbounded."""
        budget = budget or UNBOUNDED
        executor = self.executor(budget)
        filters = [self.node_of(f) for f in (filters or []) if f is not None]
        if filters and not (text or "").strip():  # only --author/--since…: everything they allow
            return Plan(_combine(filters), executor=executor)
        clauses, relaxable = self.parse(text)
        check_multiterm_words([q for _, q in clauses], self.schema)  # before any expansion
        budget.check()
        self.check_expansions([self.node_of(q) for _, q in clauses], budget)  # QueryError past the limit
        self.prefetch([self.node_of(q) for _, q in clauses] + filters)
        if not clauses:
            if filters:
                return Plan(_combine(filters), executor=executor)
            return Plan(None, note="the query has no searchable word (only stopwords or punctuation)",
                        executor=executor)
        if not relaxable:
            return Plan(_combine([self.node_of(q) for _, q in clauses] + filters), executor=executor)
        fixed = [self.node_of(q) for n, q in clauses if not self._is_bare_word(n)]
        bare = [(n, q) for n, q in clauses if self._is_bare_word(n)]
        words, corrections, uncorrected, suggestions = read_words(self, bare, exact, executor, budget)
        corrected = _apply(text, corrections) if corrections else None
        changed = list(corrections.items())
        note = None
        if uncorrected:
            note = "spelling correction stopped after %d unknown words (%d more searched as typed)" \
                % (MAX_CORRECTED_WORDS, uncorrected)
        if len(words) < 2:
            return Plan(_combine(fixed + [w.node for w in words] + filters), corrected=corrected,
                        corrections=changed, note=note, executor=executor, suggestions=suggestions)
        allowed = None
        if fixed or filters:
            allowed = executor.run(_combine(fixed + filters)).mask
        docs, cov = answers(words, allowed)
        node = _combine(fixed + [P.Or(tuple(w.node for w in words))] + filters)
        if not docs.any():
            candidates = np.flatnonzero(cov > 0) if len(cov) else cov
            order = np.lexsort((candidates, -cov[candidates]))[:CLOSEST] if len(candidates) else []
            closest = [(int(candidates[i]), float(cov[candidates[i]])) for i in order]
            return Plan(None, corrected=corrected, corrections=changed, closest=closest, note=note,
                        executor=executor, suggestions=suggestions)
        best = int(np.flatnonzero(docs)[np.argmax(cov[docs])])
        # as typed (a corrected word as the user typed it), each once
        dropped = list(dict.fromkeys(w.typed or w.text for w in words if not w.has[best]))
        return Plan(node, dropped=dropped, corrected=corrected, corrections=changed, docs=docs, coverage=cov,
                    note=note, executor=executor, words=words, suggestions=suggestions)

    # -- searching -----------------------------------------------------------------------------------

    def matches(self, text: str, filters: list | None = None, exact: bool = False, budget=None, today=None):
        """(plan, bool mask of every document `search` would count for `text` and `filters`)."""
        if not (text or "").strip() and not filters:
            plan = Plan(P.Every(), executor=self.executor(budget))
        else:
            plan, _ = plan_query(self, text or "", filters, exact, budget, today)
        mask = np.zeros(self.doc_count, dtype=bool)
        if plan.node is not None:
            result = plan.executor.run(plan.node)
            mask = result.mask if plan.docs is None else result.mask & plan.docs
        if plan.named is not None:
            mask = mask | plan.named
        return plan, mask

    def search(self, text: str, *, limit: int = 10, offset: int = 0, sort: str = "relevance",
               filters: list | None = None, snippets: bool = True, exact: bool = False,
               closest: bool = False, budget=None, explain: bool = False, today=None) -> SearchResult:
        """Ranked hits for `text`. `exact` reads the query as typed: no spelling correction, and none of
        search/understanding/understand.py's readings (identifiers, dates and statuses in words, type words); `closest`
        lists the nearest documents when the coverage rule leaves no answer; `explain` attaches to each hit
        the parts of its score (explain.py); `today`: the date relative dates in words resolve
        against (default: search.understand.today())."""
        if sort not in SORTS:
            raise QueryError("unknown sort %r (%s)" % (sort, ", ".join(SORTS)))
        plan, understood = plan_query(self, text, filters, exact, budget, today)
        readings = list(understood.readings) if understood else []
        note = plan.note or fuzzy_note(text)
        named = plan.named if plan.named is not None and plan.named.any() else None
        if plan.node is None and named is None:
            near = []
            if closest and plan.closest:
                near = [self._stored_hit(i, docnum, cov) for i, (docnum, cov) in enumerate(plan.closest, 1)]
            suggestion = suggest(self, text, budget) if exact else offer(self, text, plan, filters, budget)
            return SearchResult(text, 0, [], note=note, corrected=plan.corrected, corrections=plan.corrections,
                                closest=near, suggestion=suggestion, understood=readings)
        if plan.node is not None:
            result = plan.executor.run(plan.node)
            mask = result.mask if plan.docs is None else result.mask & plan.docs
            scores = result.scores if plan.coverage is None else result.scores * plan.coverage
        else:
            mask = np.zeros(self.doc_count, dtype=bool)
            scores = np.zeros(self.doc_count, dtype=np.float64)
        if named is not None:
            scores = rank_named_first(scores, mask, named)
            mask = mask | named
        total = int(np.count_nonzero(mask))
        want = offset + limit
        days = self.view.days("date_received")
        if sort == "relevance":
            page = rank(mask, scores, days, want)[offset:want]
            scored = [(d, float(scores[d])) for d in page]
        else:
            column = days if sort in ("date", "-date") else self.view.days("date_answered")
            page = sort_by_date(mask, column, newest_first=sort.startswith("-"), want=want)[offset:want]
            scored = [(d, None) for d in page]
        terms = self.snippet_terms(plan.node) if snippets and plan.node is not None else {}
        self._prefetch_stored([d for d, _ in scored])
        hits = []
        for i, (docnum, score) in enumerate(scored, start=offset + 1):
            doc = self.document(docnum)
            hits.append(Hit(i, score, doc, self._window_snippets(doc, terms) if snippets else [], docnum))
        if explain and sort == "relevance" and plan.node is not None:
            from .explain import explain as explain_hit
            for hit in hits:
                hit.explanation = explain_hit(self, plan, hit.docnum)
        suggestion = None if total else suggest(self, text, budget) if exact else offer(self, text, plan, filters, budget)
        return SearchResult(text, total, hits, dropped=plan.dropped, suggestion=suggestion, note=note,
                            corrected=plan.corrected, corrections=plan.corrections, understood=readings)

    def snippet_terms(self, node: P.Node, fieldnames=SNIPPET_FIELDS) -> dict:
        """{field: the indexed terms the plan asks for there}, expansions as the index words they stand
        for: computed once per query, for every hit's snippets."""
        out = P.terms_in(node, fieldnames)
        for x in P.expansions_in(node):
            if x.field in out:
                out[x.field].update(self.expand(x))
        return out

    def _window_snippets(self, doc: Document, terms: dict, top: int = 2) -> list[str]:
        """Snippets from the densest window of query words of each field (snippets.py)."""
        from .snippets import best_snippet
        out = []
        for name, field in SNIPPET_SOURCES:
            if len(out) >= top or not terms.get(field):
                continue
            snippet = best_snippet(getattr(doc, name), self.schema[field].language, terms[field])
            if snippet:
                out.append(snippet)
        if not out:
            lead = " ".join((doc.question or doc.question_nl or "").split())
            out.append(lead[:200] + ("…" if len(lead) > 200 else ""))
        return out

    def _prefetch_stored(self, docnums) -> None:
        """A page's stored documents in one round trip, from a view that reads them from afar."""
        prefetch = getattr(self.view, "prefetch_stored", None)
        if prefetch is not None and len(docnums):
            prefetch(docnums)

    def document(self, docnum: int) -> Document:
        return document_from_payload(self.view.stored(docnum)["payload"])

    def _stored_hit(self, rank_: int, docnum: int, score: float) -> Hit:
        """A hit without snippets, from a document number."""
        return Hit(rank_, score, self.document(docnum), [], docnum)

    def _date_key(self, docnum: int) -> int:
        """Ordinal of the reception date (0: none), to break score ties newest first."""
        return int(self.view.days("date_received")[docnum])

    def explain(self, text: str, doc_id: str, filters: list | None = None, exact: bool = False, budget=None):
        """Why the document `doc_id` (id or official code) scores what it scores for `text`
        (search.explain.Explanation), or None when it does not match."""
        from .explain import explain as explain_hit
        plan, mask = self.matches(text, filters, exact, budget)
        docnum = self.docnum_of(doc_id)
        if plan.node is None or docnum is None or not mask[docnum]:
            return None
        return explain_hit(self, plan, docnum)

    #: The fields that name one document: its id, its official code (Weblex's moncode), its official
    #: identifier (the Chamber's URI).
    KEY_FIELDS = ("id", "moncode", "official_id")

    def docnum_of(self, doc_id: str) -> int | None:
        """The document number of an id, official code or official identifier in this view, or of the document
        another official reference names (the Chamber's key alone: corpus.assembly.document_id_of); None."""
        for fieldname in self.KEY_FIELDS:
            docnum = self.source.document_number(fieldname, doc_id)
            if docnum is not None:
                return docnum
        from ...corpus.assembly import document_id_of
        named = document_id_of(doc_id)
        return self.source.document_number("id", named) if named and named != doc_id else None

    # -- documents ---------------------------------------------------------------------------------

    def get(self, doc_id: str) -> Document | None:
        """A document by id, official code (moncode), official identifier or another official reference."""
        docnum = self.docnum_of(doc_id) if doc_id else None
        return self.document(docnum) if docnum is not None else None

    def similar(self, doc_id: str, limit: int = 10, budget=None) -> list[Hit]:
        """Questions most like this one ("has this been asked before?"), excluding itself; only those
        close enough (the threshold of similar_text)."""
        doc = self.get(doc_id)
        if doc is None:
            raise KeyError(doc_id)
        # The subject names the topic: its words count three times among the question's — unless it is only
        # the question's first sentence (a derived title), which the question holds already.
        subject = () if doc.title_derived else (doc.subject,) * 3
        text = "\n".join(t for t in (*subject, doc.question or doc.question_nl) if t)
        return self.similar_text(text, limit=limit, exclude=doc.id, budget=budget)

    def similar_text(self, text: str, limit: int = 10, exclude: str | None = None, budget=None) -> list[Hit]:
        """Existing questions closest to a free text (a draft question), best first, scored by the share of
        the text's key words they cover (similar.py). `budget` as for search()."""
        from .similar import similar_text
        return similar_text(self, text, limit=limit, exclude=exclude, budget=budget)

    def _text_terms(self, text: str, budget=UNBOUNDED) -> list[tuple[str, int, int]]:
        from .similar import text_terms
        return text_terms(self, text, budget)
