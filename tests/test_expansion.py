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
