"""The fast term-at-a-time scorer against whoosh's own BM25F Searcher.search (scores, order, totals),
on the bundled corpus (one and several segments, with deletions) and on generated documents."""
import random

import pytest
from hypothesis import given, settings, strategies as st
from whoosh import fields, query as wq
from whoosh.filedb.filestore import RamStorage
from whoosh.scoring import BM25F

from parlsearch.index.analysis import LANGUAGES
from parlsearch.index.schema import DEFAULT_FIELD_WEIGHTS, build_schema, index_fields
from parlsearch.search.scoring import FastScorer, WeightedTerm, from_query

REL = 1e-9


def _docs():
    from parlsearch.corpus.reader import read_paths
    return read_paths(None).documents


@pytest.fixture(scope="module")
def multi_segment_index():
    """The bundled corpus written in three segments (no merging), a few documents deleted."""
    schema = build_schema()
    ix = RamStorage().create_index(schema)
    docs = _docs()
    thirds = [docs[i::3] for i in range(3)]
    for part in thirds:
        with ix.writer() as w:
            w.merge = False
            for d in part:
                w.add_document(**index_fields(d))
    with ix.writer() as w:
        w.merge = False
        for d in thirds[1][:4]:
            w.delete_by_term("id", d.id)
    assert len(ix._segments()) >= 3
    return ix


@pytest.fixture(scope="module")
def one_segment_index():
    ix = RamStorage().create_index(build_schema())
    with ix.writer() as w:
        for d in _docs():
            w.add_document(**index_fields(d))
    return ix


def _word_query(schema, word):
    """A bare word as the engine's parser spreads it: an Or of the word's term in each weighted field."""
    qs = []
    for field, weight in DEFAULT_FIELD_WEIGHTS.items():
        terms = [t for ts, _, _, _ in LANGUAGES[schema[field].language].tokens(word, index=False) for t in ts]
        qs += [wq.Term(field, t, boost=weight) for t in terms]
    return wq.Or(qs) if qs else None


def assert_equivalent(searcher, q, k=10):
    """Same scores for every matching document, same total, and the same top-k order (documents whose
    scores differ by rounding only may swap)."""
    expected = searcher.search(q, limit=None)
    terms, require_all = from_query(q)
    scored = FastScorer(searcher).score(terms, require_all=require_all)
    assert scored.total == len(expected)
    whoosh_scores = {d: s for s, d in expected.top_n}
    assert set(scored.scores) == set(whoosh_scores)
    for d, s in whoosh_scores.items():
        assert scored.scores[d] == pytest.approx(s, rel=REL)
    ours = scored.top(k)
    theirs = sorted(expected.top_n, key=lambda sd: (-sd[0], sd[1]))[:k]
    assert len(ours) == len(theirs)
    for (s1, d1), (s2, d2) in zip(ours, theirs):
        assert s1 == pytest.approx(s2, rel=REL)
        if d1 != d2:  # only a tie may swap
            assert whoosh_scores[d1] == pytest.approx(whoosh_scores[d2], rel=REL)
    return scored


QUERIES = [["stationnement"], ["velo"], ["logement", "social"], ["securite", "routiere"],
           ["pollution", "air", "ecoles"], ["stib", "metro"], ["cpas"], ["energie", "renovation", "primes"],
           ["bruxelles"], ["la", "de"], ["vélo", "inexistantmot"]]


@pytest.mark.parametrize("fixture", ["one_segment_index", "multi_segment_index"])
@pytest.mark.parametrize("words", QUERIES, ids=" ".join)
@pytest.mark.parametrize("combine", [wq.And, wq.Or])
def test_same_scores_and_order_as_whoosh_bm25f(request, fixture, words, combine):
    ix = request.getfixturevalue(fixture)
    with ix.searcher(weighting=BM25F(B=0.75, K1=1.2)) as s:
        parts = [p for p in (_word_query(s.schema, w) for w in words) if p is not None]
        if combine is wq.And:
            q = wq.And(parts) if len(parts) > 1 else parts[0]
        else:  # OR of words: one word (one coverage bit) per part, scored as whoosh's Or of Ors
            q = wq.Or(parts)
            expected = s.search(q, limit=None)
            terms = [WeightedTerm(t.field, t.text, t.weight, i)
                     for i, p in enumerate(parts) for t in from_query(p)[0]]
            scored = FastScorer(s).score(terms)
            assert scored.total == len(expected)
            for sc, d in expected.top_n:
                assert scored.scores[d] == pytest.approx(sc, rel=REL)
            return
        assert_equivalent(s, q)


def test_deleted_documents_never_match(multi_segment_index):
    with multi_segment_index.searcher() as s:
        scored = FastScorer(s).score(from_query(_word_query(s.schema, "bruxelles"))[0])
        assert scored.total
        assert all(not s.reader().is_deleted(d) for d in scored.scores)


def test_filter_restricts_like_whoosh_filter(one_segment_index):
    with one_segment_index.searcher() as s:
        q = _word_query(s.schema, "logement")
        flt = wq.Term("status", "answered")
        expected = s.search(q, limit=None, filter=flt)
        terms, _ = from_query(q)
        scored = FastScorer(s).score(terms, allowed=flt)
        assert scored.total == len(expected) > 0
        for sc, d in expected.top_n:
            assert scored.scores[d] == pytest.approx(sc, rel=REL)
        allowed = set(s.docs_for_query(flt))
        assert FastScorer(s).score(terms, allowed=allowed).scores == scored.scores


def test_coverage_and_masks(one_segment_index):
    with one_segment_index.searcher() as s:
        words = ["logement", "social", "inexistantmot"]
        terms = [WeightedTerm(t.field, t.text, t.weight, i)
                 for i, w in enumerate(words) for t in from_query(_word_query(s.schema, w))[0]]
        scored = FastScorer(s).score(terms)
        logement = set(s.docs_for_query(_word_query(s.schema, "logement")))
        social = set(s.docs_for_query(_word_query(s.schema, "social")))
        assert set(scored.scores) == logement | social
        for d in scored.scores:
            assert scored.mask(d) == (d in logement) | (d in social) << 1
        idf = scored.word_idf
        assert idf[2] > idf[0] and idf[2] > idf[1]  # the absent word is the most informative
        both = logement & social
        d = next(iter(both))
        assert scored.coverage(d) == pytest.approx(idf[0] + idf[1])
        assert scored.coverage_share(d) == pytest.approx((idf[0] + idf[1]) / sum(idf))
        # coverage first: every document matching both words ranks above those matching one
        top = scored.top(len(both) + 3, by="coverage")
        assert {d for _, d in top[:len(both)]} == both
        share = (idf[0] + idf[1]) / sum(idf)
        assert scored.count(min_coverage=share) == len(both)
        assert {d for _, d in scored.top(1000, min_coverage=share)} == both


def test_require_all_visits_fewer_postings_than_any(one_segment_index):
    """Counting work, not time: AND reads every posting of each word once, as OR does."""
    with one_segment_index.searcher() as s:
        q = wq.And([_word_query(s.schema, "logement"), _word_query(s.schema, "social")])
        terms, _ = from_query(q)
        anded = FastScorer(s).score(terms, require_all=True)
        ored = FastScorer(s).score(terms)
        postings = sum(s.reader().doc_frequency(t.field, s.schema[t.field].to_bytes(t.text)) for t in terms)
        assert anded.postings_visited == ored.postings_visited == postings
        assert anded.total < ored.total


def test_other_shapes_are_left_to_whoosh():
    assert from_query(wq.Phrase("subject", ["a", "b"])) is None
    assert from_query(wq.FuzzyTerm("subject", "velo")) is None
    assert from_query(wq.And([wq.Term("subject", "a"), wq.Prefix("subject", "b")])) is None
    assert from_query(wq.Or([wq.Term("subject", "a")], minmatch=2)) is None


# -- generated documents: plain whoosh TEXT fields, several segments ------------------------------

VOCAB = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta", "iota", "kappa", "lam", "mu"]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), words=st.lists(st.sampled_from(VOCAB), min_size=1, max_size=4, unique=True),
       conj=st.booleans())
def test_generated_corpus_equivalence(seed, words, conj):
    rng = random.Random(seed)
    schema = fields.Schema(a=fields.TEXT, b=fields.TEXT, c=fields.KEYWORD(scorable=True))
    ix = RamStorage().create_index(schema)
    for _ in range(rng.randint(1, 3)):
        with ix.writer() as w:
            w.merge = False
            for _ in range(rng.randint(1, 60)):
                w.add_document(**{f: " ".join(rng.choice(VOCAB) for _ in range(rng.randint(0, 30)))
                                  for f in "abc"})
    weights = {"a": 3.0, "b": 1.0, "c": 0.5}
    parts = [wq.Or([wq.Term(f, w, boost=b) for f, b in weights.items()]) for w in words]
    q = wq.And(parts) if conj and len(parts) > 1 else (parts[0] if len(parts) == 1 else None)
    with ix.searcher() as s:
        if q is not None:
            assert_equivalent(s, q)
        else:
            q = wq.Or(parts)
            expected = s.search(q, limit=None)
            terms = [WeightedTerm(f, w, b, i) for i, w in enumerate(words) for f, b in weights.items()]
            scored = FastScorer(s).score(terms)
            assert scored.total == len(expected)
            for sc, d in expected.top_n:
                assert scored.scores[d] == pytest.approx(sc, rel=REL)


def test_unknown_fields_and_absent_words(one_segment_index):
    with one_segment_index.searcher() as s:
        terms = [WeightedTerm("nofield", "velo", 1.0, 0), WeightedTerm("subject", "velo", 4.0, 0)]
        assert FastScorer(s).score(terms, require_all=True).total == FastScorer(s).score(terms).total > 0
        terms.append(WeightedTerm("subject", "zzzabsent", 4.0, 1))
        assert FastScorer(s).score(terms, require_all=True).total == 0
        assert FastScorer(s).score([]).total == 0


@pytest.mark.parametrize("fixture", ["one_segment_index", "multi_segment_index"])
def test_range_filter_same_documents_as_date_range(request, fixture):
    import datetime as dt
    from parlsearch.search.scoring import RangeFilter
    ix = request.getfixturevalue(fixture)
    with ix.searcher() as s:
        n = s.doc_count_all()
        for start, end in [(dt.datetime(2025, 1, 1), dt.datetime(2025, 12, 31, 23, 59, 59)),
                           (None, dt.datetime(2025, 6, 30)), (dt.datetime(2026, 3, 1), None),
                           (dt.datetime(2026, 6, 22), dt.datetime(2026, 6, 22))]:
            expected = set(s.docs_for_query(wq.DateRange("date_received", start, end)))
            flt = RangeFilter(s, "date_received", start, end)
            assert {d for d in range(n) if d in flt and not s.reader().is_deleted(d)} == expected
            assert expected  # the ranges are chosen to hold documents
            terms, _ = from_query(_word_query(s.schema, "bruxelles"))
            by_query = FastScorer(s).score(terms, allowed=wq.DateRange("date_received", start, end)).scores
            assert FastScorer(s).score(terms, allowed=flt).scores == by_query


def test_range_filter_of_parsed_date_queries(engine):
    """date:2026 as the query parser builds it (a NumericRange of raw column values)."""
    from parlsearch.search.scoring import range_filter
    s = engine.searcher
    for text in ["date:2026", "date:2025-06", "date:>=2026-06-20"]:
        q = engine.plan(text).query
        flt = range_filter(s, q)
        assert flt is not None
        expected = set(s.docs_for_query(q))
        assert expected and {d for d in range(s.doc_count_all()) if d in flt} == expected
    assert range_filter(s, wq.Term("status", "answered")) is None


@pytest.mark.parametrize("text", ["qualité de l'air", "pollution de l'air dans les écoles", "permis d'urbanisme",
                                  "stationnement vélo", "titres-services", "l'emploi"])
def test_engine_parsed_queries_with_and_inside_a_word(engine, text):
    """The engine's own parse: a Dutch field splits "l'air" into "l AND air" inside the word's Or."""
    clauses, _ = engine.parse(text)
    q = wq.And([q for _, q in clauses]) if len(clauses) > 1 else clauses[0][1]
    assert from_query(q) is not None
    if any(t.group >= 0 for t in from_query(q)[0]):
        assert "AND" in str(q)
    assert_equivalent(engine.searcher, q)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_generated_and_group_inside_a_word(seed):
    rng = random.Random(seed)
    ix = RamStorage().create_index(fields.Schema(a=fields.TEXT, b=fields.TEXT))
    for _ in range(2):
        with ix.writer() as w:
            w.merge = False
            for _ in range(40):
                w.add_document(a=" ".join(rng.choice(VOCAB[:5]) for _ in range(rng.randint(0, 12))),
                               b=" ".join(rng.choice(VOCAB[:5]) for _ in range(rng.randint(0, 12))))
    word1 = wq.Or([wq.Term("a", "alpha", boost=2.0), wq.And([wq.Term("b", "beta"), wq.Term("b", "gamma")], boost=1.5)])
    word2 = wq.Or([wq.Term("a", "delta"), wq.Term("b", "delta", boost=0.5)])
    with ix.searcher() as s:
        terms, _ = from_query(wq.And([word1, word2]))
        assert {t.group for t in terms} == {-1, 0}
        assert_equivalent(s, wq.And([word1, word2]))
        assert_equivalent(s, word1)


def test_word_idf_does_not_depend_on_filters_or_and(one_segment_index):
    with one_segment_index.searcher() as s:
        words = ["logement", "social", "bruxelles"]
        terms = [WeightedTerm(t.field, t.text, t.weight, i)
                 for i, w in enumerate(words) for t in from_query(_word_query(s.schema, w))[0]]
        plain = FastScorer(s).score(terms).word_idf
        assert FastScorer(s).score(terms, require_all=True).word_idf == plain
        assert FastScorer(s).score(terms, allowed=wq.Term("status", "answered")).word_idf == plain
        dfs = [len(set(s.docs_for_query(_word_query(s.schema, w)))) for w in words]
        assert plain == [pytest.approx(FastScorer(s).word_idf(df)) for df in dfs]


def test_block_cache_gives_the_blocks_and_holds_at_most_its_bound(engine):
    """The engine's per-query cache of decoded posting blocks: the same blocks as iter_blocks, read
    once while under its bound, never held past it."""
    from parlsearch.index.postings import BlockCache, iter_blocks
    segreader, _ = list(engine.searcher.reader().leaf_readers())[0]
    btext = b"bruxel"
    direct = [(list(i), list(w)) for i, w in iter_blocks(segreader, "question", btext)]
    assert direct
    cache = BlockCache()
    assert [(list(i), list(w)) for i, w in cache(segreader, "question", btext)] == direct
    assert [(list(i), list(w)) for i, w in cache(segreader, "question", btext)] == direct
    assert cache._held == sum(len(i) for i, _ in direct)
    small = BlockCache(max_postings=1)
    assert [(list(i), list(w)) for i, w in small(segreader, "question", btext)] == direct
    assert small._held == 0 and not small._blocks
    cache.clear()
    assert cache._held == 0 and not cache._blocks


# -- phrases: positions read for the candidate documents only ------------------------------------

@pytest.mark.parametrize("fixture", ["one_segment_index", "multi_segment_index"])
@pytest.mark.parametrize("text", ['"logement social"', '"qualité de l\'air"', '"zones de basses émissions"',
                                  '"sécurité routière" vélo', '"permis d\'urbanisme"~3', '"Région bruxelloise"'])
def test_phrases_score_as_whoosh_gap_phrase(request, engine, fixture, text):
    """A parsed phrase (an Or of search.query.GapPhrase over the fields, stopword gaps kept) and a phrase
    AND-ed with a word: the same documents and scores as whoosh's matchers (_GapMatcher's spans)."""
    ix = request.getfixturevalue(fixture)
    clauses, _ = engine.parse(text)
    q = wq.And([q for _, q in clauses]) if len(clauses) > 1 else clauses[0][1]
    terms, _ = from_query(q)
    assert any(t.offset >= 0 for t in terms)
    with ix.searcher(weighting=BM25F(B=0.75, K1=1.2)) as s:
        scored = assert_equivalent(s, q)
    assert scored.total > 0


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), length=st.integers(2, 3), slop=st.integers(1, 3))
def test_generated_phrases_with_gaps_and_slop(seed, length, slop):
    """Random documents over a small vocabulary (so words repeat and phrases half-match), several
    segments, random gaps between the phrase's words and a random slop: the same documents and scores
    as whoosh's GapPhrase matcher."""
    from parlsearch.search.query import GapPhrase
    rng = random.Random(seed)
    ix = RamStorage().create_index(fields.Schema(a=fields.TEXT, b=fields.TEXT))
    for _ in range(rng.randint(1, 3)):
        with ix.writer() as w:
            w.merge = False
            for _ in range(rng.randint(1, 50)):
                w.add_document(**{f: " ".join(rng.choice(VOCAB[:4]) for _ in range(rng.randint(0, 25)))
                                  for f in "ab"})
    words = [rng.choice(VOCAB[:4]) for _ in range(length)]
    offsets = [0]
    for _ in words[1:]:
        offsets.append(offsets[-1] + rng.randint(1, 2))
    q = wq.Or([GapPhrase("a", words, slop=slop, boost=2.0, offsets=offsets),
               GapPhrase("b", words, slop=slop, offsets=offsets)])
    with ix.searcher() as s:
        assert_equivalent(s, q)


@pytest.mark.parametrize("fixture", ["one_segment_index", "multi_segment_index"])
def test_block_decoding_without_values_is_whooshs(request, fixture, monkeypatch):
    """index.postings reads a block's ids and weights without unpickling its positions: for every
    term of every field, the same live postings and weights as whoosh's matcher API, and the short
    path taken for every block of more than 3 postings (shorter ones are whoosh's decoding)."""
    from parlsearch.index import postings
    ix = request.getfixturevalue(fixture)
    taken = {True: 0, False: 0}
    short = postings._ids_and_weights

    def counted(m):
        head = short(m)
        if m._blocklength > 3:  # pickle writes tuples of 1 to 3 ids without the MARK the short path reads
            taken[head is not None] += 1
        return head
    monkeypatch.setattr(postings, "_ids_and_weights", counted)
    with ix.searcher() as s:
        for segreader, _ in s.reader().leaf_readers():
            for fieldname in s.schema.scorable_names():
                for btext in segreader.lexicon(fieldname):
                    got = list(postings.iter_blocks(segreader, fieldname, btext))
                    m = segreader.postings(fieldname, btext)
                    ids, weights = [], []
                    while m.is_active():
                        ids.append(m.id())
                        weights.append(m.weight())
                        m.next()
                    assert [d for i, _ in got for d in i] == ids, (fieldname, btext)
                    assert [w for _, ws in got for w in ws] == weights, (fieldname, btext)
    assert taken[True] > 100 and taken[False] == 0, taken


@pytest.mark.parametrize("words", QUERIES[:6], ids=" ".join)
def test_scores_without_word_tracking_are_the_same(multi_segment_index, words):
    """words=False (the engine's ranked page) skips collecting each word's documents: the same scores,
    total and postings read, with and without require_all and a filter."""
    with multi_segment_index.searcher(weighting=BM25F(B=0.75, K1=1.2)) as s:
        parts = [p for p in (_word_query(s.schema, w) for w in words) if p is not None]
        terms = [WeightedTerm(t.field, t.text, t.weight, i) for i, p in enumerate(parts) for t in from_query(p)[0]]
        allowed = set(range(0, s.doc_count_all(), 2))
        for require_all in (False, True):
            for flt in (None, allowed):
                full = FastScorer(s).score(terms, require_all=require_all, allowed=flt)
                bare = FastScorer(s).score(terms, require_all=require_all, allowed=flt, words=False)
                assert bare.scores == full.scores and bare.postings_visited == full.postings_visited
                assert bare.word_idf == []
                if not require_all:  # an AND needs each word's documents to intersect them
                    assert not any(bare.word_docs)
