"""Read-side helpers over whoosh's segments: whole posting blocks and whole length columns.

whoosh's matchers hand out one posting per Python call (id(), weight(), next()), ~1 µs each with the
scorer; a query word spread over five fields of a 100k-document index visits tens of thousands of them.
A segment of parlsearch's codec (index/codec.py) holds each posting list as arrays: it is read as one block
straight from its record. whoosh's W3 codec stores postings in blocks of up to 128 (ids delta-encoded,
weights as a float array); reading a block as a whole and looping over it in one comprehension costs ~0.2 µs
a posting. Everything else falls back to the public matcher API (inlined postings, other codecs, wrapped
matchers).

(The engine's numpy executor reads parlsearch's codec through index/segments.py; this module serves the
scorer it replaces, search/scoring.py, until then.)
"""
from __future__ import annotations

import io as _io
import struct
import zlib as _zlib
from array import array
from pickle import load as _pickle_load, loads as _loads
from itertools import accumulate

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching.wrappers import FilterMatcher
from whoosh.util.numeric import byte_to_length, length_to_byte

from .whoosh_speedups import _column_bytes

#: byte → field length, as whoosh decodes the one-byte length of a document field.
LENGTH_OF_BYTE = tuple(byte_to_length(b) for b in range(256))


def _array_record(segreader, fieldname: str, btext: bytes):
    """(ids, weights, positions or None) of a term of a segment of parlsearch's codec, read from its record
    (index/codec.py); None for another codec (the caller reads whoosh's blocks)."""
    from .codec import ArrayTermsReader
    terms = getattr(segreader, "_terms", None)
    if type(terms) is not ArrayTermsReader or getattr(terms, "buffer", None) is None:
        return None
    return terms.record(terms.term_info(fieldname, btext))


def iter_blocks(segreader, fieldname: str, btext: bytes):
    """Yield (ids, weights) sequences of one term's live postings in one segment, in docnum order.

    ids are segment-local document numbers. Deleted documents are left out, as whoosh's
    SegmentReader.postings() leaves them out. Yields nothing when the term is absent."""
    if (fieldname, btext) not in segreader:
        return
    record = _array_record(segreader, fieldname, btext)
    if record is not None:
        ids, weights, _ = record
        if segreader.has_deletions():
            deleted = segreader.is_deleted
            keep = [i for i, d in enumerate(ids) if not deleted(d)]
            ids, weights = [ids[i] for i in keep], [weights[i] for i in keep]
        if len(ids):
            yield ids, weights
        return
    m = segreader.postings(fieldname, btext)
    deleted = None
    if isinstance(m, FilterMatcher) and getattr(m, "_exclude", False):
        deleted, m = m._ids, m.child
    if isinstance(m, W3LeafMatcher):
        blocks = _leaf_blocks(m)
    else:
        blocks = _generic_blocks(m)
    if deleted:
        for ids, weights in blocks:
            keep = [i for i, d in enumerate(ids) if d not in deleted]
            if len(keep) != len(ids):
                ids = [ids[i] for i in keep]
                weights = [weights[i] for i in keep]
            if ids:
                yield ids, weights
    else:
        yield from blocks


def _decode_ids(m) -> None:
    """The current block's document ids of a whoosh3 leaf matcher, decoded once (the codec's delta_decode, as
    one C-level accumulate instead of a generator)."""
    if m._ids is None:
        if m._data is None:
            m._read_data()
        ids = m._data[0]
        m._ids = ids if m._byteids else tuple(accumulate(ids))


def _leaf_blocks(m):
    """Whole blocks of a whoosh3 leaf matcher (the codec's own block decoding, one block at a time)."""
    while m.is_active():
        if m._ids is None and m._data is None and not m._byteids:
            head = _ids_and_weights(m)
            if head is not None:
                m._ids, m._weights = head
        _decode_ids(m)
        if m._weights is None:
            m._read_weights()
        ids, weights = m._ids, m._weights
        start = m._i
        if start:
            ids, weights = ids[start:], weights[start:]
        yield ids, weights
        _next_block(m)


#: The header of a block: its signed length, then its pickled info tuple (well under this many bytes).
_BLOCK_HEAD = struct.Struct("!i")
_MAX_HEAD = 96


def _next_block(m) -> None:
    """whoosh3 W3LeafMatcher._next_block, the block's header read in one slice: whoosh's _goto reads
    the info tuple with pickle.load on its file object, a dozen small read() calls a block (a fifth of
    a keyword query's time at 20,000 documents). The same attributes set to the same values; whoosh's
    own _goto for a header that does not fit the slice."""
    if m._atend or m._lastblock:
        m._next_block()
        return
    position = m._nextoffset
    head = m._postfile.get(position, _MAX_HEAD)
    try:
        length = _BLOCK_HEAD.unpack_from(head)[0]
        f = _io.BytesIO(head)
        f.seek(_BLOCK_HEAD.size)
        info = _pickle_load(f)
        blocklength, maxid, maxweight, compression, mnlen, mxlen = info
    except Exception:
        m._goto(position)
        return
    m._data = m._ids = m._weights = m._values = None
    m._i = 0
    if length < 0:
        m._lastblock = True
        length = -length
    m._nextoffset = position + _BLOCK_HEAD.size + length
    m._dataoffset = position + f.tell()
    m._blocklength, m._maxid, m._maxweight, m._compression = blocklength, maxid, maxweight, compression
    m._minlength = byte_to_length(mnlen)
    m._maxlength = byte_to_length(mxlen)


#: Pickle opcodes of a block's layout: MARK, TUPLE, NONE, BINFLOAT; the end of the ids: TUPLE, BINPUT 0.
_MARK, _TUPLE, _NONE, _BINFLOAT = 0x28, 0x74, 0x4E, 0x47
_IDS_END = b"tq\x00"


def _ids_and_weights(m):
    """(ids, weights) of the current block of a whoosh3 leaf matcher without unpickling its values.

    A block's data is pickle protocol 2 of (delta ids, weights, values), written by whoosh's
    W3PostingsWriter._write_block (and index/fastwriter.py, byte for byte the same). The values of a
    positional field are one `_codecs.encode(str, "latin1")` call each on unpickling: two thirds of a
    block's decoding, which scoring never reads. The ids are a tuple of BININT opcodes memoised as
    object 0 (TUPLE, BINPUT 0: bytes no integer argument can hold before the weights begin), the
    weights None, one BINFLOAT or a tuple of one BINFLOAT per posting: only that prefix is inflated
    and unpickled, closed as a 2-tuple, and both lengths are checked against the block's count.
    None when the bytes are not laid out so: the caller then decodes the whole block as whoosh does.
    Checked against whoosh's own decoding of every term of an index in tests/test_scoring.py."""
    n = m._blocklength
    raw = m._postfile.get(m._dataoffset, m._nextoffset - m._dataoffset)
    # At most 5 bytes an id (BININT) and 9 a weight (BINFLOAT), plus the opcodes around them.
    bound = 14 * n + 16
    b = _zlib.decompressobj().decompress(raw, bound) if m._compression else raw[:bound]
    if len(b) < 4 or b[0] != 0x80 or b[2] != _MARK:
        return None
    i = b.find(_IDS_END, 3)
    if i < 0:
        return None
    i += len(_IDS_END)
    if i >= len(b):
        return None
    kind = b[i]
    if kind == _NONE:
        end = i + 1
    elif kind == _BINFLOAT:
        end = i + 9
    elif kind == _MARK:
        end = i + 1 + 9 * n
        if end >= len(b) or b[end] != _TUPLE:
            return None
        end += 1
    else:
        return None
    try:
        deltas, weights = _loads(b[:end] + b"\x86.")  # TUPLE2, STOP
    except Exception:
        return None
    if type(deltas) is not tuple or len(deltas) != n:
        return None
    if weights is None:
        weights = array("f", (1.0,)) * n
    elif isinstance(weights, float):
        weights = array("f", (weights,)) * n
    elif type(weights) is not tuple or len(weights) != n:
        return None
    return tuple(accumulate(deltas)), weights


def _generic_blocks(m, size: int = 128):
    """Any matcher through its public API, in chunks."""
    ids, weights = [], []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
        if len(ids) == size:
            yield ids, weights
            ids, weights = [], []
    if ids:
        yield ids, weights


def length_bytes(segreader, fieldname: str) -> bytes:
    """The one-byte encoded length of `fieldname` for every document of one segment (b"\\0" = none).

    One read of whoosh's length column (cached by the reader), instead of one seek per document."""
    perdoc = getattr(segreader, "_perdoc", None)
    doccount = segreader.doc_count_all()
    cached_reader = getattr(perdoc, "_cached_reader", None)
    if cached_reader is not None:
        cache = perdoc.__dict__.setdefault("_parlsearch_lengths", {})
        lengths = cache.get(fieldname)
        if lengths is None:
            reader = cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            lengths = cache[fieldname] = _column_bytes(reader, doccount) if reader is not None else b""
        if len(lengths) < doccount:
            lengths = bytes(lengths) + bytes(doccount - len(lengths))
        return lengths
    return bytes(length_to_byte(segreader.doc_field_length(d, fieldname, 0)) for d in range(doccount))


def numeric_column(segreader, fieldname: str):
    """The raw values of a sortable numeric column (DATETIME, NUMERIC) for every document of one
    segment, as an array (whoosh's missing-value default where a document has none); None when the
    column is not a fixed-width numeric one. One read of the stored bytes, cached by the reader."""
    import sys
    from array import array
    cache = segreader.__dict__.setdefault("_parlsearch_columns", {})
    if fieldname in cache:
        return cache[fieldname]
    values = None
    if segreader.has_column(fieldname):
        reader = segreader.column_reader(fieldname, translate=False)
        typecode = getattr(reader, "_typecode", None)
        fixed = getattr(reader, "_fixedlen", None)
        if typecode and fixed == array(typecode).itemsize and hasattr(reader, "_dbfile"):
            raw = reader._dbfile.get(reader._basepos, reader._count * fixed)
            values = array(typecode, raw)
            if sys.byteorder == "little":
                values.byteswap()  # whoosh stores them big-endian ("!" + typecode)
            doccount = segreader.doc_count_all()
            if len(values) < doccount:
                values.extend([reader._default] * (doccount - len(values)))
            default = reader._default
            values = (values, default)
    cache[fieldname] = values
    return values


def sorted_column(segreader, fieldname: str):
    """(values, docnums) of one segment's sortable numeric column, ordered by value, documents without
    a value left out (whoosh's missing-value default): a range of values is then one bisect and one
    slice. Computed once per reader (a C-level sort of the document numbers by their value)."""
    from array import array as _array
    cache = segreader.__dict__.setdefault("_parlsearch_sorted_columns", {})
    if fieldname in cache:
        return cache[fieldname]
    column = numeric_column(segreader, fieldname)
    result = None
    if column is not None:
        values, default = column
        order = sorted((d for d in range(len(values)) if values[d] != default), key=values.__getitem__)
        result = (_array(values.typecode, (values[d] for d in order)), _array("q", order))
    cache[fieldname] = result
    return result


class BlockCache:
    """iter_blocks() remembered for a while: a search reads each query word's postings twice (the
    coverage rule's pass, then the scorer's), and decoding them (unpickle, decompress) is a third of a
    keyword query's time. Bounded by `max_postings` decoded postings (~60 bytes each: 30 MB); the
    caller clears it after each query."""

    def __init__(self, max_postings: int = 500_000):
        self.max_postings = max_postings
        self._held = 0
        self._blocks = {}

    def clear(self) -> None:
        self._blocks.clear()
        self._held = 0

    def __call__(self, segreader, fieldname: str, btext: bytes):
        key = (id(segreader), fieldname, btext)
        blocks = self._blocks.get(key)
        if blocks is None:
            blocks = list(iter_blocks(segreader, fieldname, btext))
            size = sum(len(ids) for ids, _ in blocks)
            if self._held + size <= self.max_postings:
                self._blocks[key] = blocks
                self._held += size
        return iter(blocks)


def term_positions(segreader, fieldname: str, btext: bytes, docs, field_format) -> dict:
    """{docnum: [positions]} of one term in one segment, for the segment-local `docs` only.

    A phrase needs the positions of its words in the documents that hold them all, not in every
    document of each word: blocks whose last id is below the next wanted document are skipped on
    their header alone (whoosh's own skipping), and only the blocks that hold a wanted document are
    decoded. Positions are decoded by the field's own format (whoosh's decode_positions)."""
    out = {}
    if not docs or (fieldname, btext) not in segreader:
        return out
    record = _array_record(segreader, fieldname, btext)
    if record is not None and record[2] is not None:
        from bisect import bisect_left
        ids, weights, flat = record
        starts = [0]
        for w in weights:
            starts.append(starts[-1] + int(w))
        for d in docs:
            i = bisect_left(ids, d)
            if i < len(ids) and ids[i] == d:
                out[d] = list(flat[starts[i]:starts[i + 1]])
        return out
    m = segreader.postings(fieldname, btext)
    if isinstance(m, FilterMatcher) and getattr(m, "_exclude", False):
        m = m.child  # deleted documents are never asked for: the wanted ones come from live postings
    wanted = sorted(docs)
    decode = _positions_decoder(field_format)
    if isinstance(m, W3LeafMatcher):
        from bisect import bisect_right
        i = 0
        while i < len(wanted) and m.is_active():
            if m._maxid < wanted[i]:
                m._next_block()
                continue
            _decode_ids(m)
            if m._values is None:
                m._read_values()
            end = bisect_right(wanted, m._maxid)
            block = set(wanted[i:end])
            for d, v in zip(m._ids, m._values):
                if d in block:
                    out[d] = decode(v)
            i = end
            m._next_block()
        return out
    for d in wanted:  # any other matcher (inlined postings): its public API
        if m.is_active() and m.id() < d:
            m.skip_to(d)
        if not m.is_active():
            break
        if m.id() == d:
            out[d] = m.value_as("positions")
    return out


def _positions_decoder(field_format):
    """whoosh's Positions.decode_positions without its per-value Python loop (the same bytes: a
    4-byte count, then a pickled list of deltas whose final STOP opcode the encoder may leave out);
    any other format decodes through its own method."""
    from whoosh import formats
    from whoosh.system import _INT_SIZE
    if type(field_format) is not formats.Positions:
        return field_format.decode_positions
    from pickle import loads

    def decode(value: bytes) -> list:
        if not value.endswith(b"."):
            value += b"."
        return list(accumulate(loads(value[_INT_SIZE:])))
    return decode
