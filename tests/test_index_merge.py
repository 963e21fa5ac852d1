"""Merging segments of parlsearch's codec (index/merge.py, issue 20): the merged segment holds what the merged
ones held (what a segment written in one go holds), deleted documents dropped; whoosh's own merge still works
over the same segments (the fallback); the merge policy leaves few segments after a bulk build and does not let
updates pile up small ones, nor rewrite a large segment for a small update."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st
from whoosh.filedb.filestore import RamStorage
from whoosh.writing import OPTIMIZE, SegmentWriter

from parlsearch.corpus.reader import read_paths
from parlsearch.index import whoosh_compat
from parlsearch.index.codec import ParlCodec
from parlsearch.index.schema import build_schema, index_fields


@pytest.fixture(scope="module")
def corpus_fields() -> list[dict]:
    return [index_fields(doc) for doc in read_paths(None).documents]


def _index_in_segments(fields: list[dict], sizes: list[int], name: str = "M"):
    """An index in memory whose documents are written by whoosh's SegmentWriter, `sizes[i]` to segment i."""
    ix = RamStorage().create_index(build_schema(), indexname=name)
    at = 0
    for size in sizes:
        writer = SegmentWriter(ix, codec=ParlCodec())
        for f in fields[at:at + size]:
            writer.add_document(**f)
        writer.commit(merge=False)
        at += size
    return ix


def test_whooshs_own_merge_works_over_parlsearch_segments(corpus_fields):
    """whoosh's merge (SegmentWriter.add_reader, posting by posting) is the fallback: it reads the postings of
    parlsearch's codec through whoosh's matchers, the values of fields without positions included."""
    whoosh_compat.apply_patches()
    ix = _index_in_segments(corpus_fields, [25, 15])
    writer = SegmentWriter(ix, codec=ParlCodec())
    writer.commit(mergetype=OPTIMIZE)
    with ix.reader() as reader:
        assert len(reader.leaf_readers()) == 1 and reader.doc_count() == 40
        merged = whoosh_compat.index_content(reader)
    one = _index_in_segments(corpus_fields, [40], "ONE")
    with one.reader() as reader:
        assert merged == whoosh_compat.index_content(reader)


def _lean_in_segments(fields, per_segment: int, name: str):
    """The lean writer writing `per_segment` documents a segment (each batch of analysis overflows the held
    postings' limit), committed with parlsearch's merge policy."""
    from parlsearch.index import fastwriter
    from parlsearch.index.fastwriter import FastSegmentWriter
    ix = RamStorage().create_index(build_schema(), indexname=name)
    saved = fastwriter.ANALYSIS_BATCH_DOCS, fastwriter.MIN_HELD_BYTES
    fastwriter.ANALYSIS_BATCH_DOCS, fastwriter.MIN_HELD_BYTES = per_segment, 0
    try:
        writer = FastSegmentWriter(ix, codec=ParlCodec(), limitmb=1e-6)
        for f in fields:
            writer.add_document(**f)
        writer.commit()
    finally:
        fastwriter.ANALYSIS_BATCH_DOCS, fastwriter.MIN_HELD_BYTES = saved
    return ix


def test_a_merged_index_holds_what_one_written_in_one_go_holds(corpus_fields, monkeypatch):
    """The bundled corpus written in eleven segments merged into one, and in one segment: the same index,
    document order, term statistics and total field lengths (BM25's average length) included."""
    from parlsearch.index import merge, mergepolicy
    whoosh_compat.array_merge_status()  # its check merges a sample: done before merges are counted
    monkeypatch.setattr(mergepolicy, "MAX_BULK_SEGMENTS", 1)
    merges = []
    original = merge.merge_segments
    monkeypatch.setattr(merge, "merge_segments", lambda *a: merges.append(len(a[3])) or original(*a))
    whoosh_compat.apply_patches()
    merged = _lean_in_segments(corpus_fields, 10, "MERGED")
    one = _index_in_segments(corpus_fields, [107], "ONE")
    assert sum(merges) == 11
    with merged.reader() as a, one.reader() as b:
        assert len(a.leaf_readers()) == 1
        assert whoosh_compat.index_content(a) == whoosh_compat.index_content(b)
        for name in build_schema().scorable_names():
            assert a.field_length(name) == b.field_length(name), name


def test_a_merge_drops_deleted_documents_as_whooshs_merge_does(corpus_fields):
    """Segments with deleted documents (the first and last of a segment, several in a row) merged by
    index/merge.py and by whoosh's merge (add_reader): the same index."""
    from parlsearch.index import merge
    whoosh_compat.apply_patches()
    contents = []
    for how in ("whoosh", "arrays"):
        ix = _index_in_segments(corpus_fields, [30, 40, 37], "DEL" + how)
        writer = SegmentWriter(ix, codec=ParlCodec())
        for docnum in (0, 29, 30, 31, 32, 69, 106):
            writer.delete_document(docnum)
        if how == "whoosh":
            writer.commit(mergetype=OPTIMIZE)
        else:
            segments = list(writer.segments)
            writer._commit_toc([merge.merge_segments(writer.storage, writer.schema, writer.indexname, segments)])
            writer._finish()
        with ix.reader() as reader:
            assert reader.doc_count_all() == reader.doc_count() == 100 and len(reader.leaf_readers()) == 1
            contents.append(whoosh_compat.index_content(reader))
    assert contents[0] == contents[1]


# -- the policy ---------------------------------------------------------------------------------------------------

def _plan(old, new, bulk=False):
    from parlsearch.index.mergepolicy import plan
    return plan(old, new, bulk)


def test_a_bulk_build_keeps_at_most_four_segments_merging_the_smallest():
    from parlsearch.index.mergepolicy import MAX_BULK_SEGMENTS
    assert MAX_BULK_SEGMENTS == 4
    assert _plan([], [25_000] * 4, bulk=True) == []
    assert _plan([], [9_000, 9_000, 9_000, 3_000, 2_000], bulk=True) == [[3, 4]]  # the two smallest
    assert _plan([], [9_000, 9_000, 9_000, 9_000, 3_000, 2_000], bulk=True) == [[0, 4, 5]]
    groups = _plan([], [100] * 12, bulk=True)
    assert sorted(i for g in groups for i in g) == list(range(12)) and len(groups) == 4  # four segments left


def test_a_small_update_never_rewrites_a_large_segment():
    """+1,000 documents onto a 100,000-document index: nothing to merge; the fourth small segment of a tier
    merges the four small ones, never the large ones."""
    assert _plan([25_000] * 4, [1_000]) == []
    assert _plan([25_000] * 4 + [1_000] * 3, [1_000]) == [[4, 5, 6, 7]]
    assert _plan([25_000] * 3 + [2_000] * 3, [10]) == []  # 2,000 is another tier than 10


@settings(max_examples=60, deadline=None)
@given(base=st.integers(0, 200_000), updates=st.lists(st.integers(1, 3_000), min_size=1, max_size=150))
def test_updates_do_not_pile_up_segments(base, updates):
    """Any sequence of updates onto a bulk-built index: the index keeps a bounded number of segments (at most
    three per size tier besides the large ones, so logarithmic in the documents added), every merge's
    segments are of one tier, and no segment larger than LARGE_FACTOR times the update is rewritten."""
    from parlsearch.index.mergepolicy import LARGE_FACTOR, LARGE_FLOOR, TIER_SEGMENTS, _tier
    segments = [base // 4] * 4 if base else []
    for size in updates:
        groups = _plan(segments, [size], bulk=not segments)
        sizes = segments + [size]
        for group in groups:
            assert all(sizes[i] <= max(LARGE_FACTOR * size, LARGE_FLOOR) for i in group)
        merged = {i for g in groups for i in g}
        segments = [s for i, s in enumerate(sizes) if i not in merged] + [sum(sizes[i] for i in g) for g in groups]
        small = [s for s in segments if s <= max(LARGE_FACTOR * size, LARGE_FLOOR)]
        tiers = {}
        for s in small:
            tiers[_tier(s)] = tiers.get(_tier(s), 0) + 1
        assert all(n < TIER_SEGMENTS for n in tiers.values())
    added = sum(updates)
    assert len(segments) <= 4 + 2 * (TIER_SEGMENTS - 1) * (_tier(base + added) + 1) + 4
