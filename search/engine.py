"""Ranked search over the index: parsing, relaxation of over-constrained queries, sorting, snippets.

    with Engine.open(index_dir) as engine:
        result = engine.search("stationnement vélo", limit=10)
        for hit in result.hits: print(hit.rank, hit.doc.subject, hit.snippet)
"""
from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field

from whoosh import highlight
from whoosh import query as wq
from whoosh.qparser import syntax
from whoosh.scoring import BM25F
from whoosh.searching import Hit as WhooshHit

from ..corpus.model import Document
from ..index.analysis import LANGUAGES, fold
from ..index.schema import DEFAULT_FIELD_WEIGHTS, document_from_payload
from ..index.store import damaged_index, open_index

from .query import QueryError, check_balanced, expanded_terms, fuzzy_note, make_parser, rewrite, validate

SORTS = ("relevance", "date", "-date")
#: Fields whose text snippets are drawn from, in order of preference.
SNIPPET_FIELDS = ("question", "answer")
#: A bare-word query keeps its words absent from the whole corpus out of the AND only when they are at most
#: this share of its words (a long natural question with one unknown verb); otherwise the query is about
#: something the corpus does not hold, and the honest answer is no result.
MAX_ABSENT_SHARE = 1 / 3
MARK_START, MARK_END = "\x02", "\x03"
#: From this many words on, a query that no document matches entirely asks for half of its words instead
#: of dropping them one by one.
MIN_WORDS_FOR_QUORUM = 4


@dataclass
class Hit:
    rank: int
    score: float
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
    dropped: list[str] = field(default_factory=list)  # words relaxed away, as typed
    suggestion: str | None = None  # "did you mean" on zero results
    note: str | None = None  # e.g. "the query has no searchable word"


def _parse_error(e: Exception) -> QueryError:
    """whoosh's own exception, as the one-line explanation the user sees."""
    return QueryError("cannot parse the query: %s" % (str(e).splitlines() or [type(e).__name__])[0])


class _Marker(highlight.Formatter):
    """Wraps matched words in control markers that the output layer turns into colour or nothing."""

    between = " … "

    def format_token(self, text, token, replace=False):
        return MARK_START + highlight.get_text(text, token, replace) + MARK_END


class Engine:
    def __init__(self, ix, weights: dict[str, float] | None = None):
        self.ix = ix
        self.weights = dict(weights or DEFAULT_FIELD_WEIGHTS)
        self.searcher = ix.searcher(weighting=BM25F(B=0.75, K1=1.2))
        # The schema of this view, read once: ix.schema reads the newest TOC file at every use, which a
        # commit in another process may delete in between.
        self.schema = self.searcher.schema
        self.parser = make_parser(self.schema, self.weights)
        self._date_column = None

    @classmethod
    def open(cls, index_dir, weights=None) -> "Engine":
        for attempt in range(20):
            ix = open_index(index_dir)
            try:
                return cls(ix, weights)
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
        if len(text) > 4000:
            raise QueryError("query too long (over 4000 characters)")
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
            negative = tree[1].query(self.parser)
            validate(negative, self.schema)
            return [(tree, wq.AndNot(wq.Every(), negative.normalize()))], False
        relaxable = isinstance(tree, syntax.AndGroup) or not isinstance(tree, syntax.GroupNode)
        nodes = list(tree) if isinstance(tree, syntax.GroupNode) else [tree]
        clauses = []
        for node in nodes:
            try:
                q = node.query(self.parser)
            except Exception as e:
                raise _parse_error(e) from None
            if q is None or self._is_stopword(node):
                continue
            validate(q, self.schema)
            q = q.normalize()
            if q is wq.NullQuery or isinstance(q, wq.qcore._NullQuery):
                continue
            clauses.append((node, q))
        if not isinstance(tree, syntax.AndGroup) and isinstance(tree, syntax.GroupNode) and clauses:
            q = tree.query(self.parser)
            validate(q, self.schema)
            return [(tree, q.normalize())], False
        return clauses, relaxable

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

    def _matches(self, q) -> int:
        return len(self.searcher.search(q, limit=None, scored=False)) if q else 0

    def build(self, text: str, filters: list | None = None):
        """The final whoosh query for `text`, after relaxation: (query or None, dropped words, note)."""
        filters = [f for f in (filters or []) if f is not None]
        if filters and not (text or "").strip():  # only --author/--since…: everything they allow
            return wq.And(filters).normalize() if len(filters) > 1 else filters[0], [], None
        clauses, relaxable = self.parse(text)
        expanded_terms([q for _, q in clauses], self.searcher.reader())  # QueryError past the limit
        if not clauses:
            if filters:
                return wq.And(filters), [], None
            return None, [], "the query has no searchable word (only stopwords or punctuation)"

        def combine(cs):
            qs = [q for _, q in cs] + filters
            return wq.And(qs).normalize() if len(qs) > 1 else qs[0]

        full = combine(clauses)
        if not relaxable or self._exists(full):
            return full, [], None
        words = [(n, q) for n, q in clauses if self._is_bare_word(n)]
        fixed = [(n, q) for n, q in clauses if not self._is_bare_word(n)]
        if len(words) < 2:
            return full, [], None
        freq = {id(n): self._matches(q) for n, q in words}
        absent = [(n, q) for n, q in words if freq[id(n)] == 0]
        dropped = []
        if absent:
            if len(absent) > len(words) * MAX_ABSENT_SHARE or len(words) - len(absent) < 2:
                return full, [], None  # about something the corpus does not contain
            dropped = [self._word_text(n) for n, _ in absent]
            words = [(n, q) for n, q in words if freq[id(n)] > 0]
        q = combine(fixed + words)
        if self._exists(q):
            return q, dropped, None
        if len(words) >= MIN_WORDS_FOR_QUORUM:
            # A long query, typically a question typed in French: ask for most of its words (any of them),
            # ranked by all of them, so the documents whose titles carry its topic words win over those
            # that happen to share its filler words.
            quorum = max(2, -(-len(words) // 2))
            most = wq.Or([wq_ for _, wq_ in words], minmatch=quorum)
            relaxed = combine(fixed + [(None, most)])
            top = self.searcher.search(relaxed, limit=1)
            if len(top):
                missing = [self._word_text(n) for n, wq_ in words if not self._doc_matches(wq_, top.docnum(0))]
                return relaxed, dropped + missing, None
        while len(words) > 1:
            # Drop one word: of the removals that let something match, the one whose best document scores
            # highest on the words that remain (a removal that keeps the query's strong words); when no
            # single removal helps, the most frequent remaining word (the least informative).
            best = None
            for victim in words:
                rest = [w for w in words if w is not victim]
                top = self.searcher.search(combine(fixed + rest), limit=1)
                if len(top):
                    key = (round(top.score(0), 6), freq[id(victim[0])])
                    if best is None or key > best[0]:
                        best = (key, victim, rest)
            if best is None:
                victim = max(words, key=lambda nq: freq[id(nq[0])])
                words = [w for w in words if w is not victim]
                dropped.append(self._word_text(victim[0]))
                continue
            _, victim, words = best
            dropped.append(self._word_text(victim[0]))
            return combine(fixed + words), dropped, None
        return full, [], None

    def _doc_matches(self, q, docnum: int) -> bool:
        m = q.matcher(self.searcher)
        if m.is_active():
            m.skip_to(docnum)
        return m.is_active() and m.id() == docnum

    def search(self, text: str, *, limit: int = 10, offset: int = 0, sort: str = "relevance",
               filters: list | None = None, snippets: bool = True) -> SearchResult:
        if sort not in SORTS:
            raise QueryError("unknown sort %r (relevance, date, -date)" % sort)
        q, dropped, note = self.build(text, filters)
        note = note or fuzzy_note(text)
        if q is None:
            return SearchResult(text, 0, [], note=note)
        want = offset + limit
        if sort == "relevance":
            # Every match scored (no block skipping): whoosh's skipping top-k path miscounts some queries
            # on multi-segment indexes, and counting its total afterwards costs a second pass anyway.
            results = self.searcher.search(q, limit=None)
            window = sorted(results.top_n[:want + 50], key=lambda sd: (-round(sd[0], 6), -self._date_key(sd[1])))
            ranked = [WhooshHit(results, docnum, pos, score) for pos, (score, docnum) in enumerate(window)]
        else:
            results = self.searcher.search(q, limit=want, sortedby="date_received", reverse=(sort == "-date"))
            ranked = list(results)
        total = len(results)
        hits = []
        results.fragmenter = highlight.ContextFragmenter(maxchars=220, surround=70)
        results.formatter = _Marker()
        for i, h in enumerate(ranked[offset:want], start=offset + 1):
            doc = document_from_payload(h["payload"])
            hits.append(Hit(i, float(h.score or 0.0), doc, self._snippets(h, doc) if snippets else []))
        suggestion = self.suggest(text) if total == 0 else None
        return SearchResult(text, total, hits, dropped=dropped, suggestion=suggestion, note=note)

    def _date_key(self, docnum: int) -> int:
        """Ordinal of the reception date, to break score ties newest first."""
        if self._date_column is None:
            from ..index.stats import column_reader
            self._date_column = column_reader(self.searcher.reader(), "date_received")
        try:
            value = self._date_column[docnum]
        except (OverflowError, ValueError):  # no date: whoosh's missing-value sentinel is no datetime
            return 0
        return value.toordinal() if isinstance(value, dt.datetime) else 0

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

    def suggest(self, text: str) -> str | None:
        """The query with misspelt words replaced by close spellings from the index's title vocabulary,
        offered only if the corrected query finds something."""
        changed = False

        def fix(m):
            nonlocal changed
            word = m.group()
            folded = fold(word)
            if len(folded) < 4 or not folded.isalpha() or self._is_known(word):
                return word
            maxdist = 1 if len(folded) <= 6 else 2
            candidates = self.searcher.corrector("vocab").suggest(folded, limit=1, maxdist=maxdist)
            if not candidates:
                return word
            changed = True
            return candidates[0]

        suggestion = re.sub(r"(?<![\w:])\w+(?![\w:])", fix, text)
        if not changed:
            return None
        try:
            q, _, _ = self.build(suggestion)
        except QueryError:
            return None
        return suggestion if q is not None and self._exists(q) else None

    def _is_known(self, word: str) -> bool:
        """True when the word is a stopword or occurs in some default field."""
        for fieldname in self.weights:
            lang = LANGUAGES[getattr(self.schema[fieldname], "language", "fr")]
            terms = [t for ts, _, _, _ in lang.tokens(word, index=False) for t in ts]
            if not terms:
                return True
            if any(self.searcher.reader().doc_frequency(fieldname, t) for t in terms):
                return True
        return False

    # -- documents ---------------------------------------------------------------------------------

    def get(self, doc_id: str) -> Document | None:
        """A document by id, or by official code (moncode)."""
        stored = self.searcher.document(id=doc_id) or self.searcher.document(moncode=doc_id)
        return document_from_payload(stored["payload"]) if stored else None

    def similar(self, doc_id: str, limit: int = 10) -> list[Hit]:
        """Questions most like this one ("has this been asked before?"), excluding itself."""
        doc = self.get(doc_id)
        if doc is None:
            raise KeyError(doc_id)
        terms = []
        for fieldname, text, n, boost in (("subject", doc.subject, 8, 3.0), ("question", doc.question, 20, 1.0)):
            for term, weight in self.searcher.key_terms_from_text(fieldname, text, numterms=n):
                terms.append(wq.Term(fieldname, term, boost=boost * weight))
                terms.append(wq.Term("subject" if fieldname == "question" else "question", term,
                                     boost=0.5 * boost * weight))
        if not terms:
            return []
        q = wq.AndNot(wq.Or(terms), wq.Term("id", doc.id))
        results = self.searcher.search(q, limit=limit)
        return [Hit(i, float(h.score), document_from_payload(h["payload"]), [])
                for i, h in enumerate(results, 1)]
