"""The segment adapter (index/segments.py) reads what whoosh's public API reads: every term's postings
(ids, weights, positions), field lengths, date and value columns, deleted documents — on an index of
several segments with updated and deleted documents."""
import numpy as np

from parlsearch.index import segments as S
from parlsearch.search.engine.core import Engine


def test_arrays_equal_whooshs_public_reads(segmented_index):
    with Engine.open(segmented_index) as engine:
        reader = engine.searcher.reader()
        assert len(engine.view.segments) > 1 and engine.view.fast
        checked = 0
        for seg in engine.view.segments:
            public = S._PublicSegment(seg.leaf, seg.offset)
            for fieldname in sorted(seg.leaf.indexed_field_names()):
                field = engine.schema[fieldname]
                if field.scorable:
                    assert np.array_equal(seg.length_bytes(fieldname), public.length_bytes(fieldname)), fieldname
                for btext in list(seg.leaf.lexicon(fieldname))[:300]:
                    a = seg.postings(fieldname, btext, positions=True)
                    b = public.postings(fieldname, btext, positions=True)
                    if b is None:
                        assert a is None or not len(a.ids)
                        continue
                    assert np.array_equal(a.ids, b.ids) and np.array_equal(a.weights, b.weights), (fieldname, btext)
                    if b.has_positions:
                        assert all(np.array_equal(a.positions_of(i), b.positions_of(i)) for i in range(len(b.ids)))
                    checked += 1
            for fieldname in ("date_received", "date_answered"):
                fa, fb = seg.numeric_column(fieldname), public.numeric_column(fieldname)
                assert np.array_equal(fa[0], fb[0]) and fa[1] == fb[1]
            for fieldname in ("minister_facet", "author_facet", "status_facet"):
                (ca, va), (cb, vb) = seg.bytes_column(fieldname), public.bytes_column(fieldname)
                assert [va[c] for c in ca] == [vb[c] for c in cb]
        assert checked > 1000
        live = engine.view.live()
        assert live is not None and not live.all()
        assert set(np.flatnonzero(live)) == set(reader.all_doc_ids())
        days = engine.view.days("date_received")
        from whoosh.util.times import long_to_datetime
        for d in reader.all_doc_ids():
            raw = engine.view.raw_column("date_received")
            if raw[1][d]:
                assert days[d] == long_to_datetime(int(raw[0][d])).date().toordinal()
            else:
                assert days[d] == 0


def test_each_segments_vocabulary_is_its_lexicon(segmented_index):
    """The codec's vocabulary file (index/codec.py) holds, for every positional field, exactly the terms
    whoosh's lexicon lists, in order; other fields have none (their terms are read from the term index)."""
    with Engine.open(segmented_index) as engine:
        for seg in engine.view.segments:
            for fieldname in seg.leaf.indexed_field_names():
                terms = S.vocabulary(seg.leaf, fieldname)
                if engine.schema[fieldname].format.supports("positions"):
                    lexicon = [b.decode("utf-8") for b in seg.leaf.lexicon(fieldname)]
                    assert terms == lexicon and terms == sorted(terms), fieldname
                else:
                    assert terms is None, fieldname
