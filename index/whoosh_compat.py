"""whoosh compatibility: the one place that decides which of parlsearch's whoosh patches and fast paths are used.

parlsearch relies on private whoosh internals in three places:

* `whoosh_fixes`: replacements of three matchers' ``skip_to_quality`` (a search hang in whoosh 2.7.4);
* `whoosh_speedups`: field lengths read once per column instead of one seek per document ("column reads"),
  and mapped segment slices read in place instead of copied ("buffer-file reads");
* `fastwriter`: the bulk segment writer, which writes parlsearch's codec (index/codec.py, whoosh's W3 with
  array postings) from arrays ("lean writer"), reading ParlText fields straight from the analyzer ("direct
  positions"); `merge`: merges of those segments term by term ("array merges").

None of this happens on ``import parlsearch.index``: `apply_patches()` is called when parlsearch opens or creates
an index (index/store.py), and `writer_classes()` when it writes one. Each patch and fast path is checked
against the running whoosh before it is used, the lean writer by writing a small sample with it and with
whoosh's own SegmentWriter through the same codec, the array merge by merging two segments of that sample
(one with a deleted document) and comparing with whoosh's own merge; both compared as a whoosh reader reads
them back (postings, positions, term statistics, lengths, stored fields, columns; ~150 ms on a loaded 2-core
machine, once per writing process). A path that fails its check is not used: whoosh's own code runs instead
(same results, slower: whoosh's SegmentWriter through parlsearch's codec, whoosh's merge through
add_reader), and one warning line says so on stderr (logging, once per process and path).

The dependency range in pyproject.toml (`SUPPORTED_WHOOSH`) is the range these checks were run against; the
whoosh version that wrote an index is recorded in its metadata (store.write_meta).
"""
from __future__ import annotations

import itertools
import logging
import os
import secrets
import threading

#: The whoosh versions this module was tested with, as in pyproject.toml's dependency ("whoosh>=2.7.4,<2.8").
SUPPORTED_WHOOSH = ((2, 7, 4), (2, 8))

log = logging.getLogger("parlsearch.whoosh")
_lock = threading.Lock()
_check_lock = threading.Lock()  # held while a check runs (a failing check warns, which takes _lock)
_warned: set[str] = set()
#: path name → (in use?, reason when not); filled as paths are checked.
_status: dict[str, tuple[bool, str]] = {}
_applied = False
_writers = None


def whoosh_version() -> str:
    import whoosh
    return ".".join(str(n) for n in whoosh.__version__)


def version_supported() -> bool:
    import whoosh
    low, high = SUPPORTED_WHOOSH
    return low <= tuple(whoosh.__version__[:3]) < high


def warn_once(key: str, message: str) -> None:
    """One line on stderr (through logging: Python's last-resort handler prints bare messages), once per key."""
    with _lock:
        if key in _warned:
            return
        _warned.add(key)
    log.warning("parlsearch: warning: %s", message)


def _fallback(path: str, reason: str, consequence: str) -> None:
    _status[path] = (False, reason)
    note = "" if version_supported() else " (whoosh %s is outside the tested range %s to %s)" % (
        whoosh_version(), ".".join(map(str, SUPPORTED_WHOOSH[0])), ".".join(map(str, SUPPORTED_WHOOSH[1])))
    warn_once(path, "%s%s: %s; %s" % (reason, note, path.replace("_", " ") + " not used", consequence))


def fast_paths() -> dict[str, bool]:
    """Which patches and fast paths are in use ({} entries appear once checked)."""
    return {name: ok for name, (ok, _) in sorted(_status.items())}


# -- patches (search fix, read speed-ups) ------------------------------------------------------------------------

def apply_patches() -> None:
    """Apply the matcher fix and the read speed-ups that pass their checks (once per process)."""
    global _applied
    if _applied:
        return
    with _lock:
        if _applied:
            return
        _applied = True
    _apply_matcher_fix()
    _apply_column_reads()
    _apply_buffer_reads()


def _apply_matcher_fix() -> None:
    try:
        from whoosh.matching import binary, mcore
        from . import whoosh_fixes
        for cls in (binary.UnionMatcher, binary.DisjunctionMaxMatcher, binary.AndMaybeMatcher):
            if not callable(getattr(cls, "skip_to_quality", None)):
                raise AttributeError("%s.skip_to_quality" % cls.__name__)
        if not callable(getattr(binary.AndNotMatcher, "_find_next", None)):
            raise AttributeError("AndNotMatcher._find_next")
        mcore.ReadTooFar  # noqa: B018  (used by the fix)
    except (ImportError, AttributeError) as e:
        _fallback("matcher_fix", "whoosh's matchers changed (%s)" % e,
                  "whoosh's own block skipping runs (whoosh 2.7.4 could hang on some OR queries)")
        return
    whoosh_fixes.apply()
    _status["matcher_fix"] = (True, "")


def _apply_column_reads() -> None:
    try:
        from whoosh.codec.whoosh3 import W3PerDocReader
        from . import whoosh_speedups
        for name in ("_cached_reader", "doc_field_length"):
            if not callable(getattr(W3PerDocReader, name, None)):
                raise AttributeError("W3PerDocReader.%s" % name)
    except (ImportError, AttributeError) as e:
        _fallback("column_reads", "whoosh's per-document reader changed (%s)" % e,
                  "field lengths are read one document at a time (slower scoring and writing)")
        return
    whoosh_speedups.apply_column_reads()
    _status["column_reads"] = (True, "")


_SAMPLE_BYTES = b"first line\nsecond line\nthird"


def _buffer_file_probe(cls) -> tuple:
    """What a BufferFile over a sample shows: its attributes and what reads return."""
    f = cls(_SAMPLE_BYTES, name="probe")
    seen = (sorted(vars(f)), f.read(3), f.readline(), f.tell(), f.get(6, 4), f.is_real, f.is_closed)
    f.seek(0)
    return seen + (f.read(), f.subset(0, 5).read())


def _apply_buffer_reads() -> None:
    try:
        from whoosh.filedb import structfile
        from . import whoosh_speedups
        original = structfile.BufferFile.__init__
        expected = _buffer_file_probe(structfile.BufferFile)
    except Exception as e:  # noqa: BLE001  any failure of the probe means: do not patch
        _fallback("buffer_reads", "whoosh's BufferFile changed (%s: %s)" % (type(e).__name__, e),
                  "segment slices are copied into memory when opened (more memory per search process)")
        return
    whoosh_speedups.apply_buffer_reads()
    try:
        got = _buffer_file_probe(structfile.BufferFile)
    except Exception as e:  # noqa: BLE001
        got = e
    if got != expected:
        structfile.BufferFile.__init__ = original
        _fallback("buffer_reads", "whoosh's BufferFile reads differ from parlsearch's in-place reader",
                  "segment slices are copied into memory when opened (more memory per search process)")
        return
    _status["buffer_reads"] = (True, "")


# -- the lean writer -----------------------------------------------------------------------------------------------

def writer_classes():
    """(single-process writer class, parallel writer class or None) for the running whoosh.

    The lean writers when their self-check passes, else whoosh's SegmentWriter for every --jobs."""
    global _writers
    if _writers is None:
        apply_patches()
        _writers = _choose_writers()
    return _writers


def _choose_writers():
    from whoosh.writing import SegmentWriter
    try:
        from . import fastwriter, parallel
        problem = _lean_writer_problem(fastwriter)
    except Exception as e:  # noqa: BLE001  (ImportError: a private name gone; anything else: changed internals)
        problem = _describe(e)
    if problem:
        _fallback("lean_writer", "whoosh %s: the lean segment writer does not write what whoosh's writer writes "
                  "(%s)" % (whoosh_version(), problem), "indexing uses whoosh's own writer (5-10x slower)")
        return SegmentWriter, None
    _status["lean_writer"] = (True, "")
    array_merge_status()  # checked now, before any worker process is forked (each would check it again)
    return fastwriter.FastSegmentWriter, parallel.ParallelWriter


def _describe(e: Exception) -> str:
    return "%s: %s" % (type(e).__name__, str(e).splitlines()[0][:200] if str(e) else "")


def array_merge_status() -> bool:
    """Whether index/merge.py's array merges are used (checked once per process against whoosh's merge)."""
    known = _status.get("array_merges")
    if known is not None:
        return known[0]
    with _check_lock:
        known = _status.get("array_merges")
        if known is not None:
            return known[0]
        try:
            problem = _array_merge_problem()
        except Exception as e:  # noqa: BLE001  changed internals
            problem = _describe(e)
        if problem:
            _fallback("array_merges", "whoosh %s: parlsearch's segment merge does not write what whoosh's merge "
                      "writes (%s)" % (whoosh_version(), problem), "segments are merged through whoosh's own "
                      "merge policy (slower; more segments after large builds)")
        else:
            _status["array_merges"] = (True, "")
    return _status["array_merges"][0]


#: Documents of the self-check: every kind of field of the schema, repeated terms (several positions), a
#: document without some fields, and terms in more documents than whoosh's inline limit (posting blocks).
def _sample_documents() -> list[dict]:
    """Every kind of field of the schema, repeated terms (several positions), documents without some fields,
    terms in every document, an exact field made of its source texts (read once for both) and one that is
    not, and a document with a field boost (whoosh's own index() path)."""
    import datetime as dt
    from .fastwriter import _SAMPLE
    from .schema import exact_text
    docs = []
    for n in range(4):
        fields = {
            "id": "S-%d" % n, "moncode": "%d" % (1000 + n), "number": "%d" % n, "legislature": "2024-2029",
            "status": "answered" if n % 2 else "pending", "content_hash": "h%d" % n,
            "date_received": dt.datetime(2024, 1 + n, 2),
            "author_facet": ("Auteur %d" % n).encode(), "status_facet": b"answered",
            "payload": '{"n": %d}' % n, "subject": "Vélos, trams et vélos %d" % n,
            "question": _SAMPLE if n == 0 else "Combien de vélos ? " * n, "title_nl": "Het fietspad %d" % n,
            "body_nl": "Hoeveel fietsen? D'Ursel zegt: fietsen, fietsen.", "author": "Dilliès Œuvre",
        }
        fields["exact"] = exact_text(fields) if n != 2 else "Vélos et trams %d" % n
        if n == 3:
            fields["_question_boost"] = 1.0
        docs.append(fields)
    return docs


_samples = itertools.count()


def _write_sample(cls, docs, **kwargs):
    """An index in memory holding `docs`, written by `cls` through parlsearch's codec."""
    from whoosh.filedb.filestore import RamStorage
    from whoosh.writing import NO_MERGE
    from .codec import ParlCodec
    from .schema import build_schema
    # A name of its own, in this process and among processes: whoosh's writers share (and remove at commit) a
    # temporary directory named after it in the system's temporary directory (RamStorage.temp_storage), so two
    # processes checking at once under one name removed each other's files ("CHECK0.tmp": the check failed
    # and indexing fell back to whoosh's writer).
    ix = RamStorage().create_index(build_schema(), indexname="CHECK%d_%d_%s" % (
        os.getpid(), next(_samples), secrets.token_hex(4)))
    writer = cls(ix, codec=ParlCodec(), **kwargs)
    for fields in docs:
        writer.add_document(**fields)
    writer.commit(mergetype=NO_MERGE)  # one segment: no merge policy (nor its check) is involved
    return ix


def _difference(a: dict, b: dict) -> str:
    if a == b:
        return ""
    return "different %s" % ", ".join(sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k)))


def _lean_writer_problem(fastwriter) -> str:
    """'' when the lean writer writes the sample as whoosh's own SegmentWriter does through parlsearch's codec;
    else what differs."""
    from whoosh.writing import SegmentWriter
    from .schema import ParlText, build_schema
    docs = _sample_documents()
    contents = []
    for cls in (SegmentWriter, fastwriter.FastSegmentWriter):
        with _write_sample(cls, docs).reader() as reader:
            contents.append(index_content(reader))
    problem = _difference(*contents)
    if problem:
        return problem
    schema = build_schema()
    direct, sources = fastwriter.inversion_plan(schema)
    slow = [name for name, field in schema.items() if isinstance(field, ParlText) and name not in direct]
    if slow or not sources:
        _fallback("direct_positions", "whoosh %s: parlsearch's analyzer does not give what %s index() gives"
                  % (whoosh_version(), ", ".join(slow) or "the exact field's"),
                  "those fields are indexed through whoosh's Field.index (more CPU to index, same index)")
    else:
        _status["direct_positions"] = (True, "")
    return ""


def _array_merge_problem() -> str:
    """'' when index/merge.py merges two segments of the sample (one document deleted) as whoosh's own merge
    through SegmentWriter.add_reader does; else what differs."""
    from whoosh.writing import OPTIMIZE, SegmentWriter
    from . import merge
    from .codec import ParlCodec
    docs = _sample_documents()
    contents = []
    for how in ("whoosh", "arrays"):
        ix = _write_sample(SegmentWriter, docs[:2])
        writer = SegmentWriter(ix, codec=ParlCodec())
        for fields in docs[2:]:
            writer.add_document(**fields)
        writer.commit(merge=False)
        writer = SegmentWriter(ix, codec=ParlCodec())
        writer.delete_document(1)
        if how == "whoosh":
            writer.commit(mergetype=OPTIMIZE)
        else:
            merged = merge.merge_segments(writer.storage, writer.schema, writer.indexname, list(writer.segments))
            writer._commit_toc([merged])
            writer._finish()
        with ix.reader() as reader:
            found = index_content(reader)
            found["segments"] = len(reader.leaf_readers())
            contents.append(found)
    return _difference(*contents)


def index_content(reader) -> dict:
    """What an index holds, as whoosh's reader reads it: per field, every term's postings (document number,
    weight, decoded value: positions for positional fields), field lengths per document, stored fields and
    column values. Two indexes with equal contents answer every query the same way."""
    schema = reader.schema
    postings: dict[str, list] = {}
    for fieldname in sorted(reader.indexed_field_names()):
        field = schema[fieldname]
        rows = []
        for tbytes in reader.lexicon(fieldname):
            m = reader.postings(fieldname, tbytes)
            plist = []
            while m.is_active():
                value = m.value_as("positions") if field.format.supports("positions") else m.value()
                plist.append((m.id(), round(m.weight(), 5), value))
                m.next()
            info = reader.term_info(fieldname, tbytes)
            rows.append((tbytes, plist, (info.doc_frequency(), round(info.weight(), 3), info.min_length(),
                                         info.max_length(), round(info.max_weight(), 5), info.min_id(),
                                         info.max_id())))
        postings[fieldname] = rows
    docnums = list(reader.all_doc_ids())
    lengths = {name: [reader.doc_field_length(n, name) for n in docnums]
               for name in sorted(schema.names()) if schema[name].scorable}
    stored = [reader.stored_fields(n) for n in docnums]
    columns = {}
    for name in sorted(schema.names()):
        if schema[name].column_type is not None and reader.has_column(name):
            col = reader.column_reader(name, translate=False)  # raw values: a missing date is a sentinel
            columns[name] = [col[n] for n in docnums]
    return {"postings": postings, "lengths": lengths, "stored": stored, "columns": columns,
            "doc_count": reader.doc_count_all()}


def _reset_for_tests() -> None:
    """Forget every check (tests that simulate another whoosh call this before and after)."""
    global _applied, _writers
    _applied = False
    _writers = None
    _status.clear()
    _warned.clear()
