"""The bulk writer (issue 20, indexing): parlsearch's codec written from arrays, each text analysed once for its
own field and the exact field, segments bounded in memory and merged so that a bulk build leaves at most four.
The index content is what whoosh's own SegmentWriter writes through the same codec."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from whoosh.filedb.filestore import RamStorage
from whoosh.writing import SegmentWriter

from parlsearch.index import fastwriter, inversion, mergepolicy, store, whoosh_compat
from parlsearch.index import update as update_module
from parlsearch.index.codec import ParlCodec
from parlsearch.index.fastwriter import FastSegmentWriter
from parlsearch.index.parallel import ParallelWriter
from parlsearch.index.schema import EXACT_FIELD, build_schema, exact_text, index_fields
from parlsearch.index.store import open_index
from parlsearch.index.update import update_index
from parlsearch.search.engine.core import Engine

from helpers import differences, generated_corpus


def _write(cls, docs, name, **kwargs):
    ix = RamStorage().create_index(build_schema(), indexname=name)
    writer = cls(ix, codec=ParlCodec(), **kwargs)
    for fields in docs:
        writer.add_document(**fields)
    writer.commit()
    return ix


_WORDS = ["l'accessibilité", "d’Ursel", "aujourd'hui", "flexi-jobs", "hub.brussels", "13.622.302", "1,5", "vélo",
          "vélos", "het", "de", "fietspad", "gemeentewoningen", "STIB-MIVB", "Œuvre", "ﬁnances", "la", "tram55",
          "qu'en", "faut-il", "'t", "Brussel", "Bruxelles", "x" * 70, "e\u0301cole", "titres-services", "et"]
_TEXT = st.lists(st.one_of(st.sampled_from(_WORDS), st.text(max_size=5)), max_size=25).map(" ".join)
_DOC = st.fixed_dictionaries({"subject": _TEXT, "title_nl": _TEXT, "question": _TEXT, "answer": _TEXT,
                              "body_nl": _TEXT, "author": _TEXT, "portfolio": _TEXT},
                             optional={"minister": _TEXT})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=st.lists(st.tuples(_DOC, st.sampled_from(["derived", "own", "none"])), min_size=1, max_size=6))
def test_documents_are_indexed_as_whoosh_indexes_them(docs):
    """Random documents (empty texts, separators, apostrophes of every kind, the exact field made of the
    source texts or not, or absent): the lean writer's index is whoosh's SegmentWriter's, term statistics and
    positions included."""
    whoosh_compat.apply_patches()
    batch = []
    for n, (fields, exact) in enumerate(docs):
        fields = {k: v for k, v in fields.items() if v}
        fields["id"] = "D-%d" % n
        if exact == "derived" and exact_text(fields):
            fields[EXACT_FIELD] = exact_text(fields)
        elif exact == "own":
            fields[EXACT_FIELD] = fields.get("question", "") + " vélo"
        batch.append(fields)
    a, b = _write(SegmentWriter, batch, "A"), _write(FastSegmentWriter, batch, "B")
    with a.reader() as ra, b.reader() as rb:
        assert differences(ra, rb) == []
        assert whoosh_compat.index_content(ra) == whoosh_compat.index_content(rb)


def test_each_source_text_is_tokenised_once(monkeypatch, corpus_fields):
    """The exact field is derived from its source texts: a document's texts go through the tokenizer once each
    (not once more inside the exact field)."""
    calls = []
    original = inversion.raw_tokens
    monkeypatch.setattr(inversion, "raw_tokens", lambda text: calls.append(text) or original(text))
    _write(FastSegmentWriter, corpus_fields, "ONCE")
    direct = [name for name in fastwriter.inversion_plan(build_schema())[0] if name != EXACT_FIELD]
    assert len(calls) == sum(1 for f in corpus_fields for name in direct if f.get(name) is not None)


@pytest.fixture(scope="module")
def corpus_fields():
    from parlsearch.corpus.reader import read_paths
    return [index_fields(doc) for doc in read_paths(None).documents]


# -- segments: bounded memory, few of them -------------------------------------------------------------------------

@pytest.fixture
def tiny_segments(monkeypatch):
    """Writers that write a segment every few documents (~40 KB of held postings between them); records, for
    each batch a writer analyses, the bytes it held before and after."""
    monkeypatch.setattr(fastwriter, "ANALYSIS_BATCH_DOCS", 4)
    monkeypatch.setattr(fastwriter, "MIN_HELD_BYTES", 0)
    monkeypatch.setattr(store, "WRITER_MEMORY_MB", 0.04 / fastwriter.HELD_SHARE)
    batches = []
    original = inversion.SegmentPostings.add_batch

    def add_batch(self, docs):
        before = self.nbytes()
        lengths = original(self, docs)
        batches.append((before, self.nbytes()))
        return lengths
    monkeypatch.setattr(inversion.SegmentPostings, "add_batch", add_batch)
    return batches


@pytest.mark.parametrize("jobs", [1, 2], ids=["writer", "parallel-writer"])
def test_a_bulk_build_leaves_at_most_four_segments_in_bounded_memory(tmp_path, monkeypatch, tiny_segments, jobs):
    """A build that writes many segments (a tiny memory limit) leaves MAX_BULK_SEGMENTS at most and answers
    as one written in one go; a writer never starts a batch holding more than its limit (so it holds at most
    its limit and one batch of documents)."""
    monkeypatch.setattr(update_module, "PARALLEL_MIN_DOCS", 10)
    monkeypatch.setattr(ParallelWriter, "BATCH_DOCS", 10)
    rollovers = []
    original = FastSegmentWriter._rollover
    monkeypatch.setattr(FastSegmentWriter, "_rollover", lambda self: rollovers.append(1) or original(self))
    summary = update_index(None, tmp_path / "index", jobs=jobs)
    ix = open_index(tmp_path / "index")
    assert summary.documents == ix.doc_count() == 107
    assert 1 <= len(ix._segments()) <= mergepolicy.MAX_BULK_SEGMENTS
    if jobs == 1:  # the workers write in their own processes, where these are counted
        limit = 0.04 * 1024 * 1024
        assert len(rollovers) >= 8
        assert all(before < limit for before, _ in tiny_segments)
        assert max(after for _, after in tiny_segments) > limit  # the limit was reached: it bounded something
    reference = tmp_path / "reference"
    monkeypatch.setattr(store, "WRITER_MEMORY_MB", 600)
    update_index(None, reference)
    with Engine.open(tmp_path / "index") as engine, Engine.open(reference) as expected:
        for query in ("tram", "stationnement vélo", '"garantie jeunesse"', "Brussel", "auteur:maison"):
            got, want = engine.search(query, limit=500), expected.search(query, limit=500)
            assert got.total == want.total > 0
            assert {h.doc.id: round(h.score, 4) for h in got.hits} == {h.doc.id: round(h.score, 4) for h in want.hits}


def test_the_memory_estimate_of_a_term_covers_what_it_holds(corpus_fields):
    """inversion.BYTES_PER_TERM against what a vocabulary really holds per term (the str, its dict and list
    slots), on the bundled corpus's vocabulary."""
    import sys
    held = inversion.SegmentPostings(build_schema(), *fastwriter.inversion_plan(build_schema()))
    held.add_batch([(n, f) for n, f in enumerate(corpus_fields)])
    for vocab in held.vocabularies.values():
        real = sum(sys.getsizeof(t) for t in vocab.terms) + sys.getsizeof(vocab.ids) + sys.getsizeof(vocab.terms)
        assert real <= inversion.BYTES_PER_TERM * len(vocab), (real / len(vocab))


# -- generated corpora (slow) -----------------------------------------------------------------------------------

def _generated_docs(n: int):
    from parlsearch.corpus.reader import read_paths
    return [index_fields(doc) for doc in read_paths([generated_corpus(n)]).documents]


@pytest.mark.slow  # ~6 min: whoosh's SegmentWriter on 20,000 documents, then two indexes compared term by term
def test_a_generated_corpus_in_several_segments_holds_what_whoosh_writes(monkeypatch, tmp_path):
    """20,000 generated questions (posting lists of up to 20,000 postings), written by the lean writer in many
    segments (a small memory limit) merged into one, and by whoosh's SegmentWriter in one go: the same index,
    document order and term statistics included."""
    docs = _generated_docs(20_000)
    monkeypatch.setattr(mergepolicy, "MAX_BULK_SEGMENTS", 1)
    lean = _write(FastSegmentWriter, docs, "LEAN", limitmb=40)
    whoosh_made = _write(SegmentWriter, docs, "WHOOSH")
    with lean.reader() as a, whoosh_made.reader() as b:
        assert a.doc_count() == 20_000 and len(a.leaf_readers()) == 1
        assert max(a.doc_frequency("question", t) for t in a.lexicon("question")) > 10_000
        assert differences(a, b) == []
        for name in ("question", "answer", EXACT_FIELD, "subject"):
            assert a.field_length(name) == b.field_length(name)


@pytest.mark.slow  # ~3 min
def test_a_parallel_build_of_a_generated_corpus_holds_what_one_writer_writes(tmp_path, monkeypatch):
    """`--jobs 2` over 5,000 generated questions with small memory limits (each worker writes several segments
    and merges them): the same documents, postings and field lengths as one writer in one segment."""
    path = generated_corpus(5_000)
    monkeypatch.setattr(store, "WRITER_MEMORY_MB", 60)
    update_index([path], tmp_path / "two", jobs=2)
    monkeypatch.setattr(store, "WRITER_MEMORY_MB", 600)
    update_index([path], tmp_path / "one", jobs=1)
    two, one = open_index(tmp_path / "two"), open_index(tmp_path / "one")
    assert len(one._segments()) == 1 and 2 <= len(two._segments()) <= mergepolicy.MAX_BULK_SEGMENTS
    with two.reader() as a, one.reader() as b:
        assert differences(a, b, by_id=True) == []


@pytest.mark.parametrize("words", [3_000, pytest.param(70_000, marks=pytest.mark.slow)])
def test_long_fields_large_vocabularies_and_chunked_writes_hold_what_whoosh_writes(monkeypatch, corpus_fields,
                                                                                   words):
    """A document of many distinct words (70,000 in the slow run: term ids and positions past 2 bytes, the held
    arrays widen; whoosh's own writer takes ~20 s over it), and fields written a few hundred occurrences at a
    time (recordwriter's chunks): still whoosh's index."""
    from parlsearch.index import recordwriter
    monkeypatch.setattr(recordwriter, "CHUNK_OCCURRENCES", 700)
    whoosh_compat.apply_patches()
    long_text = " ".join("mot%d" % i for i in range(words))
    docs = corpus_fields[:20] + [dict(corpus_fields[20], question=long_text)] + corpus_fields[21:30]
    docs[20][EXACT_FIELD] = exact_text(docs[20])
    a, b = _write(SegmentWriter, docs, "A"), _write(FastSegmentWriter, docs, "B")
    with a.reader() as ra, b.reader() as rb:
        assert differences(ra, rb) == []
        assert rb.doc_frequency("question", b"mot%d" % (words - 1)) == 1
