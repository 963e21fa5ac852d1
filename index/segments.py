"""The adapter between whoosh's segments and the engine: the only read-side module that knows their layout.

Everything the engine scores, filters, counts and sorts with is read here as numpy arrays, once per view
(a whoosh searcher's set of segments):

* posting lists — document numbers and weights (term frequencies), positions for phrases — read in place
  from the memory-mapped records of parlsearch's codec (index/codec.py): no decoding, no copy;
* one-byte field lengths (BM25's document length), whoosh's length columns read whole;
* date columns as day ordinals, value columns (author, minister, status) as integer codes;
* which documents are deleted, the term dictionary (for expansions and spelling), stored documents.

Global document numbers are whoosh's: a segment's local number plus its offset in the view. Arrays that
span the view (lengths, dates, codes, the live mask) are the concatenation of the segments', built once
per view on first use.

**Checked, with a fallback.** When a view is opened, each segment is checked: written by parlsearch's
codec, its record buffer reachable, its length and value columns in the layout read here (whoosh 2.7's).
A segment that fails is read through whoosh's public API instead (its matchers and column readers: the same
arrays, built posting by posting, slower), and one warning says so once per process. Tests simulate the
failure and check the answers are the same.

Size: one module past 400 lines because it is the adapter: the only read-side module that knows whoosh's
segment layout, its check (_check, _probe) and its public-API fallback (_PublicSegment) must stay together,
so that a whoosh change is met in one file.
"""
from __future__ import annotations

import datetime as dt
import math
import sys

import numpy as np

from .codec import FLOAT_WEIGHTS, HAS_POSITIONS, WIDE_POSITIONS, ArrayTermsReader, DamagedRecord, record_sections

#: whoosh stores a DATETIME as microseconds since datetime.min (util.times.datetime_to_long).
_US_PER_DAY = 86_400_000_000
_MAX_ORDINAL = dt.date.max.toordinal()
#: byte → field length, as whoosh decodes the one-byte length of a document field.
_LENGTH_OF_BYTE = None


def length_of_byte() -> np.ndarray:
    """The 256 field lengths a length byte stands for (whoosh.util.numeric.byte_to_length)."""
    global _LENGTH_OF_BYTE
    if _LENGTH_OF_BYTE is None:
        from whoosh.util.numeric import byte_to_length
        _LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
    return _LENGTH_OF_BYTE


class Postings:
    """One term's postings in one segment: `ids` (segment-local, ascending, live documents only) and
    `weights`; for positional fields read with positions, each posting's positions."""

    __slots__ = ("ids", "weights", "_flat", "_starts", "_index")

    def __init__(self, ids, weights, flat=None, starts=None, index=None):
        self.ids = ids
        self.weights = weights
        self._flat = flat  # every posting's positions, one after the other (deleted documents' included)
        self._starts = starts  # start of each posting's positions in _flat, and the end of the last one
        self._index = index  # the record's posting number of each kept posting (None: the same)

    @property
    def has_positions(self) -> bool:
        return self._flat is not None

    def positions_of(self, i: int):
        """The positions (an array) of posting `i` (an index into self.ids)."""
        j = i if self._index is None else self._index[i]
        return self._flat[self._starts[j]:self._starts[j + 1]]


class _Segment:
    """A segment read through parlsearch's codec records (memory-mapped arrays)."""

    fast = True

    def __init__(self, leaf, offset: int):
        self.leaf = leaf
        self.offset = offset
        self.doc_count = leaf.doc_count_all()
        self._terms: ArrayTermsReader = leaf._terms
        self._buffer = self._terms.buffer
        deleted = sorted(leaf.segment().deleted_docs()) if leaf.has_deletions() else []
        self.deleted = np.array(deleted, dtype=np.int64)
        if deleted:
            live = np.ones(self.doc_count, dtype=bool)
            live[self.deleted] = False
            self.live = live
        else:
            self.live = None

    # -- postings ------------------------------------------------------------------------------------------

    def _info(self, fieldname: str, btext: bytes):
        terms = self._terms
        key = terms._keycoder(fieldname, btext)
        raw = terms._tindex.get(key)
        if raw is None:
            return None
        from .codec import ArrayTermInfo
        return ArrayTermInfo.from_bytes(raw)

    def postings(self, fieldname: str, btext: bytes, positions: bool = False) -> Postings | None:
        info = self._info(fieldname, btext)
        if info is None or not info._df:
            return None
        df = info._df
        (i0, ilen), (w0, wlen, wcode), p0 = record_sections(info.layout, df)
        start = info.record_offset
        buf = self._buffer
        try:
            ids = np.frombuffer(buf, dtype="<u4", count=df, offset=start + i0)
            weights = np.frombuffer(buf, dtype="<f4" if wcode == "f" else "<u2", count=df, offset=start + w0)
            flat = None
            if positions and p0 is not None:
                total = int(weights.sum(dtype=np.int64))
                flat = np.frombuffer(buf, dtype="<u4" if info.layout & WIDE_POSITIONS else "<u2", count=total,
                                     offset=start + p0)
        except (ValueError, OverflowError) as e:  # a record that does not fit in its file
            raise DamagedRecord("the posting record of %s:%r is out of its file (%s)" % (fieldname, btext, e)) \
                from None
        if int(ids.max()) >= self.doc_count:  # every later index is guarded: a damaged record need not be
            # sorted, so its last id is not always its largest (flipped bits met a search of 107 documents
            # with id 16,515,157 in the middle of a list); the max costs ~0.3 ns an id
            raise DamagedRecord("the posting record of %s:%r names a document the segment does not have"
                                % (fieldname, btext))
        starts = None
        if flat is not None:
            starts = np.zeros(df + 1, dtype=np.int64)
            np.cumsum(weights, out=starts[1:])
        if self.live is not None:
            keep = self.live[ids]
            if not keep.all():
                idx = np.flatnonzero(keep)
                return Postings(ids[idx], weights[idx], flat, starts, idx)
        return Postings(ids, weights, flat, starts)

    def doc_frequency(self, fieldname: str, btext: bytes) -> int:
        return self.leaf.doc_frequency(fieldname, btext)

    def has_term(self, fieldname: str, btext: bytes) -> bool:
        return (fieldname, btext) in self.leaf

    # -- per-document arrays -------------------------------------------------------------------------------

    def length_bytes(self, fieldname: str) -> np.ndarray:
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
        perdoc = self.leaf._perdoc
        reader = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        out = np.zeros(self.doc_count, dtype=np.uint8)
        if reader is None:
            return out
        raw = reader._dbfile.get(reader._basepos, min(reader._count, self.doc_count))
        out[:len(raw)] = np.frombuffer(raw, dtype=np.uint8)
        return out

    def numeric_column(self, fieldname: str):
        """(values as int64, missing-value default) of a sortable numeric column; None without one."""
        if not self.leaf.has_column(fieldname):
            return None
        reader = self.leaf.column_reader(fieldname, translate=False)
        code = getattr(reader, "_typecode", None)
        dtype = np.dtype(">" + code) if code else None
        values = np.full(self.doc_count, reader._default, dtype=np.int64 if code != "Q" else np.uint64)
        count = min(reader._count, self.doc_count)
        if count:
            raw = reader._dbfile.get(reader._basepos, count * dtype.itemsize)
            values[:count] = np.frombuffer(raw, dtype=dtype)
        return values, reader._default

    def bytes_column(self, fieldname: str):
        """(codes per document, the distinct values) of a RefBytes column; None without one."""
        if not self.leaf.has_column(fieldname):
            return np.zeros(self.doc_count, dtype=np.int64), [b""]
        reader = self.leaf.column_reader(fieldname, translate=False)
        from whoosh import columns as wcolumns
        if isinstance(reader, wcolumns.EmptyColumnReader):
            return np.zeros(self.doc_count, dtype=np.int64), [reader[0] if self.doc_count else b""]
        raw = reader._dbfile.get(reader._basepos, reader._doccount * np.dtype(reader._typecode).itemsize)
        refs = np.frombuffer(raw, dtype=">" + reader._typecode).astype(np.int64)
        codes = np.zeros(self.doc_count, dtype=np.int64)
        codes[:len(refs)] = refs[:self.doc_count]
        uniques = list(reader._uniques)
        if len(codes) and (codes.max() >= len(uniques) or codes.min() < 0):
            raise DamagedRecord("the %s column names a value it does not hold" % fieldname)
        return codes, uniques

    def stored(self, local: int) -> dict:
        return self.leaf.stored_fields(local)


class _PublicSegment(_Segment):
    """A segment read through whoosh's public reader API: the same arrays, built posting by posting."""

    fast = False

    def __init__(self, leaf, offset: int):
        self.leaf = leaf
        self.offset = offset
        self.doc_count = leaf.doc_count_all()
        deleted = sorted(leaf.segment().deleted_docs()) if leaf.has_deletions() else []
        self.deleted = np.array(deleted, dtype=np.int64)
        self.live = None  # whoosh's public matchers already leave deleted documents out
        if deleted:
            self._live = np.ones(self.doc_count, dtype=bool)
            self._live[self.deleted] = False

    def postings(self, fieldname: str, btext: bytes, positions: bool = False) -> Postings | None:
        if (fieldname, btext) not in self.leaf:
            return None
        m = self.leaf.postings(fieldname, btext)
        ids, weights, plists = [], [], []
        want = positions and m.supports("positions")
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            if want:
                plists.append(m.value_as("positions"))
            m.next()
        if not ids:
            return None
        flat = starts = None
        if want:
            flat = np.array([p for pl in plists for p in pl], dtype=np.uint32)
            starts = np.zeros(len(plists) + 1, dtype=np.int64)
            np.cumsum([len(pl) for pl in plists], out=starts[1:])
        return Postings(np.array(ids, dtype=np.uint32), np.array(weights, dtype=np.float32), flat, starts)

    def length_bytes(self, fieldname: str) -> np.ndarray:
        from whoosh.util.numeric import length_to_byte
        return np.array([length_to_byte(self.leaf.doc_field_length(d, fieldname, 0))
                         for d in range(self.doc_count)], dtype=np.uint8)

    def numeric_column(self, fieldname: str):
        if not self.leaf.has_column(fieldname):
            return None
        reader = self.leaf.column_reader(fieldname, translate=False)
        default = getattr(reader, "_default", None)
        values = [reader[d] for d in range(self.doc_count)]
        if default is None:
            default = 2 ** 63 - 1
        wide = max(values + [default]) >= 2 ** 63
        return np.array(values, dtype=np.uint64 if wide else np.int64), default

    def bytes_column(self, fieldname: str):
        if not self.leaf.has_column(fieldname):
            return np.zeros(self.doc_count, dtype=np.int64), [b""]
        reader = self.leaf.column_reader(fieldname, translate=False)
        uniques: dict = {}
        codes = np.array([uniques.setdefault(reader[d] or b"", len(uniques)) for d in range(self.doc_count)],
                         dtype=np.int64)
        return codes, list(uniques)


def _check(leaf) -> str:
    """'' when the segment can be read through the codec's arrays and whoosh's column layout as this module
    reads them; else why not. The layouts are compared with whoosh's public API on a sample of the first
    segment checked in each process (one term's postings, one length column, one value column)."""
    global _probed
    terms = getattr(leaf, "_terms", None)
    if not isinstance(terms, ArrayTermsReader) or getattr(terms, "buffer", None) is None:
        return "a segment not written by parlsearch's codec"
    if not hasattr(getattr(leaf, "_perdoc", None), "_cached_reader"):
        return "whoosh's per-document reader has another layout"
    if _probed is None:
        try:
            _probed = _probe(leaf)
        except Exception as e:  # an attribute or layout this module does not know
            _probed = "%s: %s" % (type(e).__name__, e)
    return _probed


_probed: str | None = None


def _refuse_if_damaged(leaf) -> None:
    """A segment the arrays cannot read because its files were damaged after they were written is damage,
    not another layout: DamagedRecord (reported as a damaged index with the rebuild command) rather than a
    warning and whoosh's public API over wrong bytes. Files are compared with the checksums recorded in the
    table of contents (index/checksums.py); a segment written without them is left to the fallback."""
    from .checksums import segment_damaged_files
    segment, storage = getattr(leaf, "_segment", None), getattr(leaf, "_storage", None)
    if segment is None or storage is None:
        return
    damaged = segment_damaged_files(segment, storage)
    if damaged:
        raise DamagedRecord("segment file %s does not have the checksum it was written with" % damaged[0])


def _probe(leaf) -> str:
    """Compare, on the first PROBE_DOCS documents of one segment, what this module reads raw with what
    whoosh's public API reads: a length column, one term's postings with positions, a date column and a
    bytes column (a few hundred public reads: ~1 ms, once per process)."""
    from whoosh.util.numeric import length_to_byte
    fast = _Segment(leaf, 0)
    n = min(fast.doc_count, PROBE_DOCS)
    for fieldname in leaf.indexed_field_names():
        if not leaf.schema[fieldname].scorable:
            continue
        public = [length_to_byte(leaf.doc_field_length(d, fieldname, 0)) for d in range(n)]
        if fast.length_bytes(fieldname)[:n].tolist() != public:
            return "the length column layout differs"
        for btext in leaf.lexicon(fieldname):
            a = fast.postings(fieldname, btext, positions=True)
            m = leaf.postings(fieldname, btext)
            for i in range(min(len(a.ids) if a is not None else 0, PROBE_DOCS)):
                if not m.is_active() or m.id() != a.ids[i] or m.weight() != a.weights[i] \
                        or list(m.value_as("positions")) != a.positions_of(i).tolist():
                    return "the posting records differ from what whoosh reads"
                m.next()
            break
        break
    for fieldname in ("date_received", "status_facet"):
        if not leaf.has_column(fieldname):
            continue
        reader = leaf.column_reader(fieldname, translate=False)
        public = [reader[d] for d in range(n)]
        if fieldname.startswith("date"):
            values = fast.numeric_column(fieldname)[0][:n].tolist()
        else:
            codes, uniques = fast.bytes_column(fieldname)
            values = [uniques[c] for c in codes[:n]]
        if values != public:
            return "the %s column layout differs" % fieldname
    return ""


#: Documents of the first segment compared by the layout probe.
PROBE_DOCS = 64


def vocabulary(leaf, fieldname: str) -> list[str] | None:
    """The sorted terms of a positional field of one segment (the codec's vocabulary file), or None when
    the segment has none (another codec: then walk whoosh's term index)."""
    own = getattr(leaf, "sorted_terms", None)  # a source that keeps its vocabulary elsewhere (a database)
    if own is not None:
        return own(fieldname)
    terms = getattr(leaf, "_terms", None)
    if FORCE_PUBLIC or not isinstance(terms, ArrayTermsReader):
        return None
    try:
        return terms.vocabulary(fieldname)
    except (OSError, ValueError, UnicodeDecodeError):
        return None


class ListCursor:
    """whoosh's field cursor interface (text, find, next, first) over a sorted list of terms, for
    whoosh.codec.base.Automata.find_matches: a find is one bisect instead of a binary search of the
    on-disk term index."""

    def __init__(self, terms: list[str]):
        self.terms = terms
        self.i = 0

    def first(self):
        self.i = 0
        return self.text()

    def text(self):
        return self.terms[self.i] if self.i < len(self.terms) else None

    def find(self, term):
        import bisect
        self.i = bisect.bisect_left(self.terms, term)
        return self.text()

    def next(self):
        self.i += 1
        return self.text()


#: Set by tests to simulate a whoosh whose segment layout the adapter does not know.
FORCE_PUBLIC = False


class ArrayView:
    """What every view of an index as arrays shares (IndexView here, index/postgres/view.PostgresView for a
    database): arrays built once and kept for the view's life, whoosh's idf over `doc_count` and
    `doc_frequency`, and the live document numbers from `live()`."""

    doc_count: int
    _cache: dict

    def _cached(self, key, build):
        value = self._cache.get(key)
        if value is None:
            value = self._cache[key] = build()
        return value

    def idf(self, fieldname: str, btext) -> float:
        """whoosh's idf: log(N / (df + 1)) + 1 over every document, deleted ones included (0 for an empty
        index, which has no posting to score)."""
        if not self.doc_count:
            return 0.0
        return math.log(self.doc_count / (self.doc_frequency(fieldname, btext) + 1)) + 1

    def live_ids(self) -> np.ndarray:
        live = self.live()
        return np.arange(self.doc_count) if live is None else np.flatnonzero(live)


class IndexView(ArrayView):
    """The segments of one whoosh searcher (or reader) as arrays, with whoosh's scoring statistics.

    Cheap to create (each segment is checked, nothing is read); arrays are read on first use and kept
    for the life of the view (a searcher does not change)."""

    def __init__(self, searcher):
        self.searcher = searcher
        reader = searcher.reader()
        self.reader = reader
        self.schema = searcher.schema
        segments = []
        for leaf, offset in reader.leaf_readers():
            if not leaf.doc_count_all():  # an index without a segment yet (whoosh's EmptyReader): no arrays
                continue
            reason = "simulated" if FORCE_PUBLIC else _check(leaf)
            if reason and not FORCE_PUBLIC:
                _refuse_if_damaged(leaf)
            if reason:
                from .whoosh_compat import warn_once
                warn_once("array_reads", "cannot read the index's postings as arrays (%s); reading them through "
                          "whoosh's public API instead (same results, slower)" % reason)
                segments.append(_PublicSegment(leaf, offset))
            else:
                segments.append(_Segment(leaf, offset))
        self.segments = segments
        self.doc_count = reader.doc_count_all()
        self.fast = all(s.fast for s in segments)
        self._cache: dict = {}

    # -- statistics (the top searcher's, as whoosh's BM25F uses them) -------------------------------------

    def doc_frequency(self, fieldname: str, btext: bytes) -> int:
        return self.reader.doc_frequency(fieldname, btext)

    def avg_field_length(self, fieldname: str) -> float:
        return self.searcher.avg_field_length(fieldname)

    # -- arrays over the whole view ------------------------------------------------------------------------

    def live(self) -> np.ndarray | None:
        """Which global document numbers are live (None: every one)."""
        def build():
            if not any(len(s.deleted) for s in self.segments):
                return False
            out = np.ones(self.doc_count, dtype=bool)
            for s in self.segments:
                out[s.deleted + s.offset] = False
            return out
        value = self._cached("live", build)
        return None if value is False else value

    def lengths(self, fieldname: str) -> np.ndarray:
        """The one-byte length of `fieldname` of every document (0: none)."""
        return self._cached(("len", fieldname), lambda: np.concatenate(
            [s.length_bytes(fieldname) for s in self.segments]) if self.segments else np.zeros(0, np.uint8))

    def days(self, fieldname: str) -> np.ndarray:
        """A date column as day ordinals (int64; 0 where a document has no date)."""
        def build():
            parts = []
            for s in self.segments:
                column = s.numeric_column(fieldname)
                if column is None:
                    parts.append(np.zeros(s.doc_count, dtype=np.int64))
                    continue
                values, default = column
                values = values.astype(np.int64, copy=False) if values.dtype != np.uint64 else values
                missing = (values == default) | (values < 0) if values.dtype != np.uint64 else values == default
                ordinal = (values // _US_PER_DAY + 1).astype(np.int64)
                ordinal[missing | (ordinal > _MAX_ORDINAL) | (ordinal < 1)] = 0
                parts.append(ordinal)
            return np.concatenate(parts) if parts else np.zeros(0, np.int64)
        return self._cached(("days", fieldname), build)

    def raw_column(self, fieldname: str):
        """(raw values, present mask) of a sortable numeric column over the view: uint64 or int64 as
        stored; `present` is False where a document has no value (whoosh's missing-value default)."""
        def build():
            parts, present = [], []
            for s in self.segments:
                column = s.numeric_column(fieldname)
                if column is None:
                    parts.append(np.zeros(s.doc_count, dtype=np.int64))
                    present.append(np.zeros(s.doc_count, dtype=bool))
                    continue
                values, default = column
                parts.append(values)
                present.append(values != values.dtype.type(default))
            if not parts:
                return np.zeros(0, np.int64), np.zeros(0, bool)
            kinds = {p.dtype for p in parts}
            dtype = np.uint64 if np.dtype(np.uint64) in kinds else np.int64
            return np.concatenate([p.astype(dtype, copy=False) for p in parts]), np.concatenate(present)
        return self._cached(("raw", fieldname), build)

    def codes(self, fieldname: str):
        """A bytes column (author_facet, minister_facet, status_facet) as (codes, values): values[codes[d]]
        is document d's value, decoded (b"" → "")."""
        def build():
            index: dict[str, int] = {}
            parts = []
            for s in self.segments:
                local, uniques = s.bytes_column(fieldname)
                remap = np.array([index.setdefault((u or b"").decode("utf-8", "replace"), len(index))
                                  for u in uniques] or [0], dtype=np.int64)
                parts.append(remap[local] if len(local) else local)
            values = list(index) or [""]
            return (np.concatenate(parts) if parts else np.zeros(0, np.int64)), values
        return self._cached(("codes", fieldname), build)

    def values(self, fieldname: str, docnums) -> list[str]:
        """The decoded value of a bytes column (ids, hashes, facets) for each of `docnums` ("" for none):
        one read of the segment's column reader a document."""
        import bisect
        docnums = [int(d) for d in docnums]
        out = []
        bounds = [s.offset for s in self.segments]
        readers = {}
        for d in docnums:
            i = bisect.bisect_right(bounds, d) - 1
            s = self.segments[i]
            reader = readers.get(i)
            if reader is None:
                reader = readers[i] = s.leaf.column_reader(fieldname, translate=False) \
                    if s.leaf.has_column(fieldname) else None
            raw = reader[d - s.offset] if reader is not None else b""
            out.append((raw or b"").decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or ""))
        return out

    # -- postings ------------------------------------------------------------------------------------------

    def postings(self, fieldname: str, btext: bytes, positions: bool = False):
        """[(segment, Postings)] of a term over the view's segments that hold it."""
        out = []
        for s in self.segments:
            p = s.postings(fieldname, btext, positions)
            if p is not None and len(p.ids):
                out.append((s, p))
        return out

    def term_postings(self, fieldname: str, btext: bytes):
        """(global ids as int64, weights as float64) of a term over the whole view (live documents)."""
        parts = self.postings(fieldname, btext)
        if not parts:
            return _EMPTY_IDS, _EMPTY_WEIGHTS
        if len(parts) == 1:
            s, p = parts[0]
            ids = p.ids.astype(np.int64)
            if s.offset:
                ids += s.offset
            return ids, p.weights.astype(np.float64)
        ids = np.concatenate([p.ids.astype(np.int64) + s.offset for s, p in parts])
        weights = np.concatenate([p.weights.astype(np.float64) for _, p in parts])
        return ids, weights

    def stored(self, docnum: int) -> dict:
        for s in reversed(self.segments):
            if docnum >= s.offset:
                return s.stored(docnum - s.offset)
        raise IndexError(docnum)


_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_WEIGHTS = np.zeros(0, dtype=np.float64)

assert sys.byteorder in ("little", "big")
__all__ = ["IndexView", "Postings", "length_of_byte", "FLOAT_WEIGHTS", "HAS_POSITIONS"]
