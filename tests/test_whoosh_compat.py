"""whoosh compatibility (issue 10, item 2): patches applied explicitly, fast paths checked with a warning and a
correct fallback, the lean writer equivalent to whoosh's own, the whoosh version recorded and range declared."""
from __future__ import annotations

import json
import logging
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import whoosh
from whoosh import formats
import whoosh.codec.base
from whoosh.filedb.filestore import RamStorage
from whoosh.writing import SegmentWriter

from parlsearch.corpus.reader import read_paths
from parlsearch.index import whoosh_compat
from parlsearch.index.codec import ParlCodec
from parlsearch.index.fastwriter import FastSegmentWriter
from parlsearch.index.schema import build_schema, index_fields
from parlsearch.index.store import META_FILE
from parlsearch.index.update import update_index
from parlsearch.search.engine.core import Engine

REPO = Path(__file__).resolve().parent.parent
QUERIES = ("tram", "stationnement vélo", "garantie jeunesse", "\"titres-services\"", "fietspad", "logement social",
           "Brussel", "STIB")


@pytest.fixture
def fresh_checks():
    """Forget whoosh_compat's checks before and after (a test simulating another whoosh must not leak)."""
    whoosh_compat._reset_for_tests()
    yield
    whoosh_compat._reset_for_tests()


def warnings_of(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "parlsearch.whoosh" and r.levelno == logging.WARNING]


def results(index_dir) -> dict:
    with Engine.open(index_dir) as engine:
        return {q: [(h.doc.id, round(h.score, 6)) for h in engine.search(q, limit=20).hits] +
                [engine.search(q).total] for q in QUERIES}


# -- patches are explicit ----------------------------------------------------------------------------------------

_PATCHED = """
import sys
from whoosh.filedb import structfile
from whoosh.codec.whoosh3 import W3PerDocReader
from whoosh.matching import binary
{setup}
print(structfile.BufferFile.__init__.__module__, W3PerDocReader.doc_field_length.__module__,
      binary.UnionMatcher.skip_to_quality.__module__)
"""


def test_importing_parlsearch_changes_nothing_in_whoosh():
    setup = ("import parlsearch.index, parlsearch.index.store, parlsearch.index.update, parlsearch.index.fastwriter, "
             "parlsearch.search.engine.core, parlsearch.search.cli.app")
    out = subprocess.run([sys.executable, "-c", _PATCHED.format(setup=setup)], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["whoosh.filedb.structfile", "whoosh.codec.whoosh3", "whoosh.matching.binary"]


def test_opening_an_index_applies_the_patches(bundled_index):
    setup = "from parlsearch.index.store import open_index\nopen_index(%r).close()" % str(bundled_index)
    out = subprocess.run([sys.executable, "-c", _PATCHED.format(setup=setup)], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["parlsearch.index.whoosh_speedups", "parlsearch.index.whoosh_speedups",
                   "parlsearch.index.whoosh_fixes"]


def test_every_fast_path_is_in_use_with_this_whoosh(fresh_checks, caplog):
    single, parallel = whoosh_compat.writer_classes()
    assert single is FastSegmentWriter and parallel is not None
    assert whoosh_compat.fast_paths() == {"array_merges": True, "buffer_reads": True, "column_reads": True,
                                          "direct_positions": True, "lean_writer": True, "matcher_fix": True}
    assert warnings_of(caplog) == []


# -- the declared range and the recorded version --------------------------------------------------------------

def test_pyproject_declares_the_tested_whoosh_range():
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    spec = next(d for d in deps if d.lower().startswith("whoosh"))
    low, high = whoosh_compat.SUPPORTED_WHOOSH
    assert spec.replace(" ", "") == "whoosh>=%s,<%s" % (".".join(map(str, low)), ".".join(map(str, high)))
    assert whoosh_compat.version_supported()  # the whoosh these tests run with


def test_the_index_metadata_names_the_whoosh_version(bundled_index):
    meta = json.loads((bundled_index / META_FILE).read_text())
    assert meta["whoosh_version"] == whoosh_compat.whoosh_version() == "%d.%d.%d" % whoosh.__version__[:3]


# -- the lean writer writes what whoosh's writer writes -----------------------------------------------------------

@pytest.fixture(scope="module")
def corpus_fields() -> list[dict]:
    return [index_fields(doc) for doc in read_paths(None).documents]


@pytest.mark.parametrize("every", [pytest.param(1, marks=pytest.mark.slow), 3], ids=["whole", "third"])
def test_lean_writer_writes_what_whoosh_writes(corpus_fields, every):
    """The bundled corpus (or every third document of it, in the fast suite: whoosh's writer takes ~4 s on the
    whole of it) written by whoosh's SegmentWriter and by FastSegmentWriter, both through parlsearch's codec:
    the same postings (document numbers, weights, positions), term statistics, field lengths, stored fields
    and columns. (Generated corpora, several segments and --jobs 2: tests/test_index_writer.py.)"""
    whoosh_compat.apply_patches()
    sample = corpus_fields[::every]
    contents = []
    for cls in (SegmentWriter, FastSegmentWriter):
        ix = RamStorage().create_index(build_schema(), indexname="EQ")
        writer = cls(ix, codec=ParlCodec())
        for fields in sample:
            writer.add_document(**fields)
        writer.commit()
        with ix.reader() as reader:
            contents.append(whoosh_compat.index_content(reader))
    whoosh_made, lean_made = contents
    assert whoosh_made["doc_count"] == len(sample) and len(corpus_fields) == 107
    postings = [plist for rows in whoosh_made["postings"].values() for _, plist, _ in rows]
    assert len(postings) > 5000 // every  # a real sample, not a few terms
    assert sum(len(plist) > 16 for plist in postings) > 50 // every  # terms in many documents
    assert any(len(p[2]) > 1 for rows in whoosh_made["postings"].values() for _, plist, _ in rows for p in plist)
    for part in ("postings", "lengths", "stored", "columns"):
        for key in whoosh_made[part] if isinstance(whoosh_made[part], dict) else [None]:
            want = whoosh_made[part][key] if key else whoosh_made[part]
            got = lean_made[part][key] if key else lean_made[part]
            assert got == want, (part, key)
    assert lean_made == whoosh_made


def test_every_segment_of_an_index_is_written_with_parlsearchs_codec(index_copy):
    """parlsearch's writers and whoosh's own (ix.writer(), as a script using whoosh would call it) write
    parlsearch's codec; a merge keeps it."""
    from parlsearch.index.store import open_index
    ix = open_index(index_copy)
    with ix.writer() as writer:
        writer.add_document(id="X-1", question="Un tram de plus")
    ix = open_index(index_copy)
    codecs = {type(segment.codec()).__name__ for segment in ix._segments()}
    assert len(ix._segments()) == 2 and codecs == {"ParlCodec"}


# -- fallbacks when whoosh is not the one the fast paths were written for -----------------------------------------

class _OtherPositions(formats.Positions):
    """Another whoosh's position format: the same encoding under another class (a renamed or reorganised
    Positions). parlsearch's direct path, checked for whoosh's own class, is not used for it."""


_ORIGINAL_ADD_POSTINGS = whoosh.codec.base.FieldWriter.add_postings


def _add_postings_without_lengths(self, schema, lengths, items):
    """Another whoosh's field writer: term statistics made without the documents' field lengths. Its writer
    and reader agree; parlsearch's lean writer, which computes them as whoosh 2.7.4 does, does not."""
    return _ORIGINAL_ADD_POSTINGS(self, schema, None, items)


@pytest.fixture(scope="module")
def reference_results(bundled_index) -> dict:
    return results(bundled_index)


def test_another_position_format_falls_back_with_one_warning(fresh_checks, caplog, monkeypatch, tmp_path,
                                                             reference_results):
    from parlsearch.index import schema as schema_module
    original = schema_module.ParlText.__init__

    def other_format(self, language, **kwargs):
        original(self, language, **kwargs)
        self.format = _OtherPositions(field_boost=self.format.field_boost)

    monkeypatch.setattr(schema_module.ParlText, "__init__", other_format)
    summary = update_index(None, tmp_path / "ix")
    update_index(None, tmp_path / "ix2")  # a second writer in the same process: no second warning
    assert summary.documents == 107
    assert whoosh_compat.fast_paths()["direct_positions"] is False
    assert whoosh_compat.fast_paths()["lean_writer"] is True
    warned = warnings_of(caplog)
    assert len(warned) == 1 and "index()" in warned[0] and warned[0].startswith("parlsearch: warning: ")
    assert results(tmp_path / "ix") == reference_results


def test_incompatible_segment_format_falls_back_to_whoosh_writer(fresh_checks, caplog, monkeypatch, tmp_path,
                                                                reference_results):
    monkeypatch.setattr(whoosh.codec.base.FieldWriter, "add_postings", _add_postings_without_lengths)
    summary = update_index(None, tmp_path / "ix")
    update_index(None, tmp_path / "ix", rebuild=True)
    assert summary.documents == 107
    assert whoosh_compat.fast_paths()["lean_writer"] is False
    assert whoosh_compat.writer_classes() == (SegmentWriter, None)
    from parlsearch.index.store import open_index
    assert {type(s.codec()) for s in open_index(tmp_path / "ix")._segments()} == {ParlCodec}  # whoosh's writer too
    warned = warnings_of(caplog)
    assert len(warned) == 1 and "lean segment writer" in warned[0] and "whoosh's own writer" in warned[0]
    assert results(tmp_path / "ix") == reference_results  # read with the same (simulated) whoosh


def test_a_whoosh_outside_the_tested_range_is_named_in_the_warning(fresh_checks, caplog, monkeypatch):
    monkeypatch.setattr(whoosh, "__version__", (2, 9, 1))
    monkeypatch.setattr(whoosh.codec.base.FieldWriter, "add_postings", _add_postings_without_lengths)
    assert whoosh_compat.writer_classes()[0] is SegmentWriter
    warned = warnings_of(caplog)
    assert len(warned) == 1 and "2.9.1" in warned[0] and "outside the tested range 2.7.4 to 2.8" in warned[0]


def test_a_changed_buffer_file_is_not_patched(fresh_checks, caplog, monkeypatch):
    from whoosh.filedb import structfile
    from parlsearch.index import whoosh_speedups

    original = structfile.BufferFile.__init__

    def other_init(self, buf, name=None, onclose=None):  # another whoosh: one more attribute
        original(self, buf, name, onclose)
        self.extra = True

    monkeypatch.setattr(structfile.BufferFile, "__init__", other_init)
    whoosh_compat.apply_patches()
    assert structfile.BufferFile.__init__ is other_init
    assert whoosh_compat.fast_paths()["buffer_reads"] is False
    assert any("BufferFile" in w for w in warnings_of(caplog))
    assert whoosh_speedups._buffer_file_init is not other_init


def test_the_writer_checks_of_two_processes_never_share_a_temporary_directory(monkeypatch):
    """whoosh's writers keep their temporary files in <system temp>/<index name>.tmp and remove it at commit:
    the checks' sample indexes are named apart in this process and from any other process (a fixed
    "CHECK0" made two processes checking at once remove each other's files, and the lean writer was dropped
    for whoosh's with a warning)."""
    import multiprocessing
    names = []
    original = RamStorage.create_index

    def recording(self, schema, indexname="MAIN"):
        names.append(indexname)
        return original(self, schema, indexname=indexname)

    monkeypatch.setattr(RamStorage, "create_index", recording)
    docs = whoosh_compat._sample_documents()[:1]
    whoosh_compat._write_sample(whoosh.writing.SegmentWriter, docs)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:  # another process, forked with the same counter: it checks while this one does
        child = pool.apply(_sample_name_in_a_child)
    whoosh_compat._write_sample(whoosh.writing.SegmentWriter, docs)
    assert len({*names, child}) == 3, (names, child)


def _sample_name_in_a_child():
    names = []
    original = RamStorage.create_index

    def recording(self, schema, indexname="MAIN"):
        names.append(indexname)
        return original(self, schema, indexname=indexname)

    RamStorage.create_index = recording
    try:
        whoosh_compat._write_sample(whoosh.writing.SegmentWriter, whoosh_compat._sample_documents()[:1])
    finally:
        RamStorage.create_index = original
    return names[0]
