"""Merging segments of parlsearch's codec (index/merge.py, issue 20): the merged segment holds what the merged
ones held (what a segment written in one go holds), deleted documents dropped; whoosh's own merge still works
over the same segments (the fallback); the merge policy leaves few segments after a bulk build and does not let
updates pile up small ones, nor rewrite a large segment for a small update."""
from __future__ import annotations

import pytest
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
