"""Per-segment fuzzy and prefix expansion against whoosh's MultiReader on a multi-segment index."""
import random

import pytest
from hypothesis import given, settings, strategies as st
from whoosh import fields, query as wq
from whoosh.filedb.filestore import RamStorage
from whoosh.reading import IndexReader

from parlsearch.index.expansion import expand_prefix, fuzzy_query_class, prefix_query_class, terms_within

LETTERS = "abcdeé"


@pytest.fixture(scope="module")
def multi_segment_index():
    rng = random.Random(7)
    ix = RamStorage().create_index(fields.Schema(t=fields.TEXT, k=fields.KEYWORD))
    for seg in range(4):
        with ix.writer() as w:
            w.merge = False
            for _ in range(40):
                words = ["".join(rng.choice(LETTERS) for _ in range(rng.randint(2, 7))) for _ in range(12)]
                w.add_document(t=" ".join(words), k=" ".join(words[:3]))
    with ix.reader() as r:
        assert len(r.leaf_readers()) == 4
    return ix


def _whoosh_terms_within(reader, field, text, maxdist, prefix):
    """whoosh's own expansion over the merged vocabulary (what MultiReader.terms_within runs)."""
    return sorted(set(IndexReader.terms_within(reader, field, text, maxdist, prefix=prefix)))


@settings(max_examples=60, deadline=None)
@given(text=st.text(LETTERS, min_size=1, max_size=8), maxdist=st.integers(0, 2), prefix=st.integers(0, 2))
def test_fuzzy_same_terms_as_whoosh(multi_segment_index, text, maxdist, prefix):
    with multi_segment_index.reader() as r:
        for field in ("t", "k"):
            assert terms_within(r, field, text, maxdist, prefix) == _whoosh_terms_within(r, field, text, maxdist,
                                                                                         prefix)


@settings(max_examples=40, deadline=None)
@given(prefix=st.text(LETTERS, min_size=0, max_size=3))
def test_prefix_same_terms_as_whoosh(multi_segment_index, prefix):
    with multi_segment_index.reader() as r:
        expected = sorted(r.schema["t"].from_bytes(b) for b in r.expand_prefix("t", prefix))
        assert expand_prefix(r, "t", prefix) == expected


def test_limit_keeps_the_most_frequent(multi_segment_index):
    with multi_segment_index.reader() as r:
        words = terms_within(r, "t", "abc", 2)
        assert len(words) > 5
        kept = terms_within(r, "t", "abc", 2, limit=5)
        assert len(kept) == 5 and set(kept) <= set(words)
        df = {w: r.doc_frequency("t", w) for w in words}
        assert min(df[w] for w in kept) >= max(df[w] for w in words if w not in kept)
        assert len(expand_prefix(r, "t", "a", limit=3)) == 3


def test_query_classes_match_whoosh_queries(multi_segment_index):
    with multi_segment_index.searcher() as s:
        # whoosh's FuzzyTerm expands per segment when searched (plain Levenshtein) but over the merged
        # vocabulary when matched on the top reader (Damerau); ours is the latter, everywhere.
        fuzzy = fuzzy_query_class()("t", "abcd", maxdist=1)
        words = _whoosh_terms_within(s.reader(), "t", "abcd", 1, 1)
        assert sorted(s.docs_for_query(fuzzy)) == sorted(s.docs_for_query(wq.Or([wq.Term("t", w) for w in words])))
        assert sorted(fuzzy.matcher(s).all_ids()) == sorted(s.docs_for_query(fuzzy))
        prefix = prefix_query_class()("t", "ab")
        assert sorted(s.docs_for_query(prefix)) == sorted(s.docs_for_query(wq.Prefix("t", "ab")))
        bounded = fuzzy_query_class(limit=2)("t", "abcd", maxdist=2)
        assert len(list(bounded.expanded_terms(s.reader()))) <= 2


def test_unknown_field_expands_to_nothing(multi_segment_index):
    with multi_segment_index.reader() as r:
        assert terms_within(r, "nope", "abc", 1) == [] and expand_prefix(r, "nope", "a") == []


def test_expand_query_replaces_fuzzy_and_prefix_once(multi_segment_index):
    from parlsearch.index.expansion import expand_query
    with multi_segment_index.searcher() as s:
        r = s.reader()
        q = wq.And([wq.FuzzyTerm("t", "abcd", maxdist=1, boost=2.0), wq.Or([wq.Prefix("k", "ab"), wq.Term("t", "x")])])
        expanded = expand_query(q, r)
        kinds = {type(n).__name__ for n in expanded.leaves()}
        assert kinds == {"Term"}
        fuzzy_words = terms_within(r, "t", "abcd", 1, 1)
        assert {n.text for n in expanded.leaves() if n.fieldname == "t"} == set(fuzzy_words) | {"x"}
        reference = wq.And([wq.Or([wq.Term("t", w) for w in fuzzy_words], boost=2.0),
                            wq.Or([wq.Or([wq.Term("k", w) for w in expand_prefix(r, "k", "ab")]), wq.Term("t", "x")])])
        assert sorted(s.docs_for_query(expanded)) == sorted(s.docs_for_query(reference))
        assert expand_query(wq.FuzzyTerm("t", "zzzzzz", maxdist=1), r) is wq.NullQuery
        assert len(list(expand_query(wq.FuzzyTerm("t", "abc", maxdist=2), r, limit=3).leaves())) <= 3


def test_expanded_fuzzy_scores_as_whoosh_scored_fuzzy(bundled_index):
    """On one segment, where whoosh's FuzzyTerm (not constant-score) expands with the same words, the
    expanded query gives whoosh's scores."""
    from whoosh import index
    from whoosh.scoring import BM25F
    from parlsearch.index.expansion import expand_query
    ix = index.open_dir(str(bundled_index))
    checked = 0
    with ix.searcher(weighting=BM25F()) as s:
        for word in ("stationement", "logment", "mobilte", "logemen", "securit", "energi"):
            q = wq.FuzzyTerm("question", word, maxdist=1, prefixlength=1, constantscore=False, boost=1.5)
            seg_words = set()
            for leaf, _ in s.reader().leaf_readers():
                seg_words |= set(leaf.terms_within("question", word, 1, prefix=1))
            if seg_words != set(terms_within(s.reader(), "question", word, 1, 1)) or len(seg_words) < 2:
                continue
            expected = {d: sc for sc, d in s.search(q, limit=None).top_n}
            got = {d: sc for sc, d in s.search(expand_query(q, s.reader()), limit=None).top_n}
            assert got.keys() == expected.keys()
            for d in got:
                assert got[d] == pytest.approx(expected[d], rel=1e-9)
            checked += 1
    assert checked


def test_a_transposition_counts_as_one_edit():
    """whoosh's segment automaton alone misses "ba" for "ab" at distance 1; the merged scan finds it."""
    ix = RamStorage().create_index(fields.Schema(t=fields.TEXT))
    for part in (["ba tram"], ["stationnement", "sattionnement"]):
        with ix.writer() as w:
            w.merge = False
            for text in part:
                w.add_document(t=text)
    with ix.reader() as r:
        assert terms_within(r, "t", "ab", 1) == _whoosh_terms_within(r, "t", "ab", 1, 0) == ["ba"]
        assert "sattionnement" in terms_within(r, "t", "stationnement", 1)
