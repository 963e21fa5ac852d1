"""parlsearch's posting format: whoosh's W3 codec with every posting list stored as raw little-endian arrays.

Why: whoosh's W3 codec stores postings as zlib-compressed pickles of 128-posting blocks; decoding them costs
more than scoring them (issue 20: over 180,800 postings, numpy over raw arrays scored in 2.6–3.0 ms where
Python over the pickled blocks took 43–50 ms). This codec is whoosh's own extension point (a `Codec`), so
whoosh's reader, searcher, merges and every public API still work over the same files; only the posting
lists are laid out differently. Stored fields, length columns, value columns, deletions and the TOC are
W3's own (this class subclasses W3Codec and replaces only the field writer and the terms reader).

Layout of one term's record in the segment's ``.arp`` file (every section padded to 4 bytes, so that the
arrays read in place from a memory map are aligned):

    ids        df × uint32 LE        segment-local document numbers, ascending (deleted ones included,
                                     as in W3: the segment's deletion set says which are gone)
    weights    df × uint16 LE        the posting weights (whoosh: boost × frequency) when every one is an
               (or df × float32 LE)  integer in 0..65535 (always so for parlsearch's fields), else float32
    positions  Σtf × uint16/uint32   for positional fields: each posting's positions, ascending, postings
                                     one after the other (posting i's positions start at the sum of the
                                     frequencies before it); uint16 when every position of the term is
                                     below 65,536 (a field of fewer words), else uint32

The vocabulary (``.voc``): for each positional field, its name, a newline, then its terms (UTF-8, in
order) separated by newlines; fields separated by a NUL byte. Terms of these fields never hold either.

The term index (``.trm``) is W3's on-disk ordered hash, key = field number + term bytes; its value begins
with W3's term statistics (total weight, document frequency, min/max length, max weight, min/max id: the
same struct, so whoosh's statistics readers work unchanged) followed by this codec's extent: the record's
offset (uint64) and its layout flags (one byte).

`CODEC_VERSION` is part of the index's metadata (index/store.py): a change of layout forces a rebuild.
The only module that reads these records for search is index/segments.py (the adapter).

Size: one module past 400 lines because the codec's writer (ArrayFieldWriter), reader (ArrayTermsReader)
and record layout (encode_record, record_sections) are one format; split, each half would restate it.
"""
from __future__ import annotations

import struct
import sys
from array import array

from whoosh.codec import base
from whoosh.codec.whoosh3 import W3Codec, W3Segment, W3TermInfo, W3TermsReader
from whoosh.filedb import filetables
from whoosh.matching import ListMatcher
from whoosh.reading import TermInfo, TermNotFound
from whoosh.system import pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

#: Bump when the record layout changes (stored in the index metadata: another version means a rebuild).
CODEC_VERSION = 1
#: Extension of the array postings file of a segment (named after the segment: whoosh's clean-up of
#: unreferenced segment files removes it with the segment).
POSTINGS_EXT = ".arp"
#: Extension of the segment's vocabulary file: the sorted terms of each positional field, one blob each,
#: read in one go for fuzzy words, prefixes and spelling (walking whoosh's on-disk term index costs ~17
#: key reads per lookup: 0.5 s of a fuzzy query at 20,000 documents; a sorted list and bisect, ~1 µs).
VOCABULARY_EXT = ".voc"

#: Layout flags of a record.
FLOAT_WEIGHTS = 0x1  # weights stored as float32 (else uint16)
HAS_POSITIONS = 0x2  # a positions section follows the weights
WIDE_POSITIONS = 0x4  # positions stored as uint32 (else uint16)

class DamagedRecord(ValueError):
    """A posting record that cannot be what the writer wrote (out of its file, or naming documents the segment
    does not have): the segment's file was damaged after it was written."""


_STATS = W3TermInfo._struct  # !BfIBBfII: flags (0), weight, df, min length, max length, max weight, min/max id
_EXTENT = struct.Struct("<QB")
_LITTLE = sys.byteorder == "little"


def _pad(n: int) -> int:
    return (-n) % 4


def _le(values: array) -> bytes:
    """The bytes of an array in little-endian order."""
    if not _LITTLE:
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


class ArrayTermInfo(W3TermInfo):
    """W3's term statistics plus the position and layout of the term's record in the ``.arp`` file."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.record_offset = 0
        self.layout = 0

    def is_inlined(self):
        return False

    def to_bytes(self) -> bytes:
        minlength = 0 if self._minlength is None else length_to_byte(self._minlength)
        minid = 0xffffffff if self._minid is None else self._minid
        maxid = 0xffffffff if self._maxid is None else self._maxid
        return _STATS.pack(0, self._weight, self._df, minlength, length_to_byte(self._maxlength),
                           self._maxweight, minid, maxid) + _EXTENT.pack(self.record_offset, self.layout)

    @classmethod
    def from_bytes(cls, s):
        vals = _STATS.unpack(s[:_STATS.size])
        info = cls()
        info._weight, info._df = vals[1], vals[2]
        info._minlength = byte_to_length(vals[3])
        info._maxlength = byte_to_length(vals[4])
        info._maxweight = vals[5]
        info._minid = None if vals[6] == 0xffffffff else vals[6]
        info._maxid = None if vals[7] == 0xffffffff else vals[7]
        info.record_offset, info.layout = _EXTENT.unpack_from(s, _STATS.size)
        return info


def encode_record(ids, weights, positions=None) -> tuple[bytes, int]:
    """(record bytes, layout flags) of one term: `ids` and `weights` sequences of one length, `positions`
    None or one sequence of positions per posting (its length is the posting's frequency)."""
    n = len(ids)
    parts = [_le(array("I", ids))]
    layout = 0
    if all(0 <= w <= 65535 and w == int(w) for w in weights):
        wbytes = _le(array("H", (int(w) for w in weights)))
    else:
        layout |= FLOAT_WEIGHTS
        wbytes = _le(array("f", weights))
    parts.append(wbytes + bytes(_pad(len(wbytes))))
    if positions is not None:
        layout |= HAS_POSITIONS
        if any(len(plist) != w for plist, w in zip(positions, weights)):
            raise ValueError("a positional posting's weight must be its number of positions (no field boosts)")
        flat = [p for plist in positions for p in plist]
        if flat and max(flat) > 65535:
            layout |= WIDE_POSITIONS
            pbytes = _le(array("I", flat))
        else:
            pbytes = _le(array("H", flat))
        parts.append(pbytes + bytes(_pad(len(pbytes))))
    assert len(parts[0]) == 4 * n
    return b"".join(parts), layout


def record_sections(layout: int, df: int, freqs_total: int | None = None):
    """Byte offsets and lengths inside a record: ((ids start, n bytes), (weights start, n bytes, typecode),
    positions start or None). The positions section's length needs the sum of the frequencies."""
    ids_len = 4 * df
    wsize = 4 if layout & FLOAT_WEIGHTS else 2
    wcode = "f" if layout & FLOAT_WEIGHTS else "H"
    w_start = ids_len
    w_len = wsize * df
    p_start = w_start + w_len + _pad(w_len) if layout & HAS_POSITIONS else None
    return (0, ids_len), (w_start, w_len, wcode), p_start


class ArrayFieldWriter(base.FieldWriter):
    """Writes the term index and the array postings of one segment.

    whoosh's writers call start_field/start_term/add/finish_term posting by posting (its own SegmentWriter,
    merges); parlsearch's bulk writer calls add_term() with a whole posting list at once."""

    def __init__(self, codec, storage, segment):
        self._codec = codec
        self._segment = segment
        self._tindex = filetables.OrderedHashWriter(segment.create_file(storage, W3Codec.TERMS_EXT))
        self._fieldmap = self._tindex.extras["fieldmap"] = {}
        self._postfile = segment.create_file(storage, POSTINGS_EXT)
        self._offset = 0
        self._fieldid = None
        self._fieldobj = None
        self._positional = False
        self._btext = None
        self._pending = None
        self._vocabulary: dict[str, list[bytes]] = {}
        self._fieldname = None
        self._storage = storage
        self.is_closed = False

    # -- whoosh's posting-by-posting API ------------------------------------------------------------------

    def start_field(self, fieldname, fieldobj):
        self._fieldid = self._fieldmap.setdefault(fieldname, len(self._fieldmap))
        self._fieldobj = fieldobj
        self._fieldname = fieldname
        self._positional = fieldobj.format.supports("positions")
        if self._positional:
            self._vocabulary.setdefault(fieldname, [])

    def start_term(self, btext):
        self._btext = btext
        self._pending = ([], [], [] if self._positional else None, [])

    def add(self, docnum, weight, vbytes, length):
        ids, weights, positions, lengths = self._pending
        ids.append(docnum)
        weights.append(weight)
        lengths.append(length)
        if positions is not None:
            positions.append(self._fieldobj.format.decode_positions(vbytes) if vbytes else [])

    def finish_term(self):
        ids, weights, positions, lengths = self._pending
        self._pending = None
        lengths = [length_to_byte(x) if x else 0 for x in lengths]
        self.add_term(self._btext, ids, weights, positions, bytes(lengths))

    def finish_field(self):
        self._fieldobj = None

    def close(self):
        self._tindex.close()
        self._postfile.close()
        f = self._segment.create_file(self._storage, VOCABULARY_EXT)
        f.write(b"\0".join(name.encode("utf-8") + b"\n" + b"\n".join(terms)
                           for name, terms in sorted(self._vocabulary.items())))
        f.close()
        self.is_closed = True

    # -- bulk API ------------------------------------------------------------------------------------------

    def add_term(self, btext: bytes, ids, weights, positions, length_bytes: bytes,
                 record: tuple[bytes, int] | None = None) -> None:
        """One whole posting list of the current field: ids ascending, weights, positions (None for a
        field without positions), the one-byte field length of each posting's document (0: none), and
        optionally the record already encoded (encode_record or an equivalent vectorised encoder)."""
        data, layout = record if record is not None else encode_record(ids, weights, positions)
        info = ArrayTermInfo()
        info._weight = float(sum(weights))
        info._df = len(ids)
        present = length_bytes.replace(b"\x00", b"") if length_bytes else b""
        info._minlength = byte_to_length(min(present)) if present else None
        info._maxlength = byte_to_length(max(present)) if present else 0
        info._maxweight = max(max(weights), 0) if len(weights) else 0
        info._minid = ids[0] if len(ids) else None
        info._maxid = ids[-1] if len(ids) else None
        self.add_encoded(btext, info, data, layout)

    def add_encoded(self, btext: bytes, info: ArrayTermInfo, data: bytes, layout: int) -> None:
        """A term whose statistics and record are computed by the caller (the vectorised bulk writer)."""
        info.record_offset = self._offset
        info.layout = layout
        if self._positional:
            self._vocabulary[self._fieldname].append(btext)
        self._postfile.write(data)
        self._offset += len(data)
        self._tindex.add(pack_ushort(self._fieldid) + btext, info.to_bytes())


class ArrayTermsReader(W3TermsReader):
    """W3's term index over ArrayTermInfo values, whose matchers read the array records.

    `buffer` is the ``.arp`` file's bytes (a memory map's view when the storage maps files): arrays are
    read from it in place (index/segments.py), and whoosh's matchers decode them into lists."""

    def __init__(self, codec, dbfile, length, postfile, vocabulary=None):
        super().__init__(codec, dbfile, length, postfile)
        self.buffer = _buffer_of(postfile)
        self._vocabulary_file = vocabulary
        self._vocabularies = None

    def vocabulary(self, fieldname: str) -> list[str] | None:
        """The sorted terms of a positional field (None for other fields), read once."""
        if self._vocabularies is None:
            out = {}
            f = self._vocabulary_file
            if f is not None:
                raw = bytes(_buffer_of(f))
                for blob in raw.split(b"\0") if raw else ():
                    name, _, terms = blob.partition(b"\n")
                    out[name.decode("utf-8")] = terms.decode("utf-8").split("\n") if terms else []
            self._vocabularies = out
        return self._vocabularies.get(fieldname)

    def term_info(self, fieldname, tbytes):
        key = self._keycoder(fieldname, tbytes)
        try:
            return ArrayTermInfo.from_bytes(self._tindex[key])
        except KeyError:
            raise TermNotFound("No term %s:%r" % (fieldname, tbytes))

    def items(self):
        decode, keydecoder = ArrayTermInfo.from_bytes, self._keydecoder
        return ((keydecoder(k), decode(v)) for k, v in self._tindex.items())

    def items_from(self, fieldname, prefix):
        decode, keydecoder = ArrayTermInfo.from_bytes, self._keydecoder
        return ((keydecoder(k), decode(v)) for k, v in self._tindex.items_from(self._keycoder(fieldname, prefix)))

    def record(self, info: ArrayTermInfo):
        """(ids, weights, positions or None) of a term as Python arrays (array.array), decoded from the
        record; positions as one flat array (see the module doc)."""
        df = info._df
        (i0, ilen), (w0, wlen, wcode), p0 = record_sections(info.layout, df)
        base_ = info.record_offset
        buf = self.buffer
        ids = _from_le("I", buf[base_ + i0:base_ + i0 + ilen])
        weights = _from_le(wcode, buf[base_ + w0:base_ + w0 + wlen])
        positions = None
        if p0 is not None:
            total = int(sum(weights)) if not info.layout & FLOAT_WEIGHTS else None
            if total is None:
                raise ValueError("positions with non-integer weights")
            pcode = "I" if info.layout & WIDE_POSITIONS else "H"
            size = array(pcode).itemsize
            positions = _from_le(pcode, buf[base_ + p0:base_ + p0 + size * total])
        return ids, weights, positions

    def matcher(self, fieldname, tbytes, format_, scorer=None):
        info = self.term_info(fieldname, tbytes)
        ids, weights, positions = self.record(info)
        if positions is not None and format_.supports("positions"):
            values = _PositionValues(format_, weights, positions)
        else:  # whoosh's merge (PostingPool.add) wants a bytes value per posting; ListMatcher's default is ""
            values = _NoValues(len(ids))
        return ListMatcher(list(ids), [float(w) for w in weights], values, format_, scorer=scorer,
                           term=(fieldname, tbytes), terminfo=info)

    def close(self):
        self.buffer = None
        if self._vocabulary_file is not None:
            self._vocabulary_file.close()
        super().close()


class _PositionValues:
    """The values whoosh's matchers ask of a positional posting (its format's encoding of the positions),
    made on demand from the flat positions array."""

    def __init__(self, format_, weights, positions):
        self._format = format_
        self._starts = [0]
        for w in weights:
            self._starts.append(self._starts[-1] + int(w))
        self._positions = positions

    def __len__(self):
        return len(self._starts) - 1

    def __bool__(self):
        return len(self) > 0

    def __getitem__(self, i):
        return self._format.encode(list(self._positions[self._starts[i]:self._starts[i + 1]]))

    def __setitem__(self, i, value):  # ListMatcher caches combined values; ours are never lists
        pass


class _NoValues:
    """The value of each posting of a field without positions: b"" (whoosh's Existence format), as W3's
    matchers give it."""

    def __init__(self, n):
        self._n = n

    def __len__(self):
        return self._n

    def __bool__(self):
        return self._n > 0

    def __getitem__(self, i):
        return b""

    def __setitem__(self, i, value):
        pass


def _from_le(typecode: str, raw) -> array:
    values = array(typecode)
    values.frombytes(bytes(raw))
    if not _LITTLE:
        values.byteswap()
    return values


def _buffer_of(dbfile):
    """The whole ``.arp`` file as a buffer, without copying where the storage maps it: a compound segment's
    slice of its memory map (whoosh's BufferFile), a memory map of a plain file, else its bytes read once."""
    buf = getattr(dbfile, "_buf", None)
    if buf is not None:
        return memoryview(buf).cast("B") if not isinstance(buf, (bytes, bytearray)) else memoryview(buf)
    f = getattr(dbfile, "file", None)
    fileno = getattr(f, "fileno", None)
    if fileno is not None:
        try:
            import mmap
            dbfile.seek(0, 2)
            if dbfile.tell() == 0:
                return memoryview(b"")
            return memoryview(mmap.mmap(fileno(), 0, access=mmap.ACCESS_READ))
        except (OSError, ValueError):
            pass
    dbfile.seek(0)
    return memoryview(dbfile.read())


class ParlCodec(W3Codec):
    """W3Codec with array postings (see the module doc). Segments written with it carry it in the TOC, so
    any whoosh reader of the index reads them through it."""

    def field_writer(self, storage, segment):
        return ArrayFieldWriter(self, storage, segment)

    def terms_reader(self, storage, segment):
        tiname = segment.make_filename(self.TERMS_EXT)
        tilen = storage.file_length(tiname)
        tifile = storage.open_file(tiname)
        postfile = segment.open_file(storage, POSTINGS_EXT)
        try:
            vocabulary = segment.open_file(storage, VOCABULARY_EXT)
        except Exception:  # a segment written before the vocabulary file existed: walk the term index
            vocabulary = None
        return ArrayTermsReader(self, tifile, tilen, postfile, vocabulary)

    def new_segment(self, storage, indexname):
        return W3Segment(self, indexname)


__all__ = ["DamagedRecord", "ParlCodec", "ArrayTermInfo", "ArrayTermsReader", "ArrayFieldWriter", "CODEC_VERSION",
           "POSTINGS_EXT", "VOCABULARY_EXT", "encode_record", "record_sections", "TermInfo"]
