"""Merging segments of parlsearch's codec without re-analysing anything.

**A merge** writes one new segment holding the live documents of several segments, in their order (a
document keeps its place relative to the others; deleted ones are dropped):

* postings, field by field, term by term: each segment's sorted term list is streamed and merged (heapq),
  and a term's posting lists are concatenated with each segment's document offset added to its ids. A term
  found in one segment without deletions keeps its record bytes (ids shifted) and statistics; otherwise
  the parts are read as arrays, deleted documents dropped, and the statistics recomputed with numpy. Memory
  is bounded by the largest posting list, never by the index;
* per-document data, column by column with whoosh's own column writers: stored fields copied as their
  compressed bytes (never unpickled), length and date columns as arrays, other columns value by value. The
  total length of each field is the sum of the segments' (exact, as in a segment written in one go), less
  the lengths of the dropped documents.

The merged segment is what whoosh's own merge (SegmentWriter.add_reader) writes, and what a segment written
in one go holds (tests compare their index content); whoosh_compat checks this on a sample before
parlsearch uses it, and falls back to whoosh's merge when it does not hold (array_merges_usable()).

Which segments a commit merges is index/mergepolicy.py's decision.
"""
from __future__ import annotations

import heapq
import struct

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, STORED_COLUMN, W3Codec, _lenfield
from whoosh.columns import NumericColumn, VarBytesColumn
from whoosh.system import pack_ushort
from whoosh.util.numeric import byte_to_length

from . import mergepolicy
from .codec import FLOAT_WEIGHTS, HAS_POSITIONS, WIDE_POSITIONS, ArrayTermInfo, ParlCodec, record_sections

# -- merging ----------------------------------------------------------------------------------------------------

def array_merges_usable() -> bool:
    """Whether merges go through this module (whoosh_compat checked it against whoosh's own merge)."""
    from .whoosh_compat import array_merge_status
    return array_merge_status()


def merge_for_commit(writer, old: list, new: list, bulk: bool) -> list:
    """The segments to commit: the committed ones (`old`, with this run's deletions) and the run's new ones,
    merged as plan() says. Merged new segments' files are removed at once (they were never committed);
    merged old ones stay until the commit's clean-up, as whoosh's commit leaves them."""
    segments = list(old) + list(new)
    groups = mergepolicy.plan([s.doc_count() for s in old], [s.doc_count() for s in new], bulk)
    if not groups:
        return segments
    total = sum(len(g) for g in groups)
    done = 0
    writer.progress("merging", 0, total, "segments")
    merged_into: dict[int, object] = {}
    for group in groups:
        merged = merge_segments(writer.storage, writer.schema, writer.indexname, [segments[i] for i in group])
        for i in group:
            merged_into[i] = None
        merged_into[group[0]] = merged
        for i in group:
            if i >= len(old):
                _remove_files(writer.storage, segments[i])
        done += len(group)
        writer.progress("merging", done, total, "segments")
    out = []
    for i, segment in enumerate(segments):
        if i not in merged_into:
            out.append(segment)
        elif merged_into[i] is not None:
            out.append(merged_into[i])
    return out


def merge_run(writer, segments: list, at_most: int) -> list:
    """A run's own new segments (no committed one) merged down to `at_most` (a worker process's share of
    mergepolicy.MAX_BULK_SEGMENTS), smallest together, order kept."""
    units = [[i] for i in range(len(segments))]
    while len(units) > at_most:
        # Merge the adjacent pair with the fewest documents: documents keep the order they were written in.
        sizes = [sum(segments[i].doc_count() for i in unit) for unit in units]
        j = min(range(len(units) - 1), key=lambda k: sizes[k] + sizes[k + 1])
        units[j:j + 2] = [units[j] + units[j + 1]]
    out = []
    for unit in units:
        if len(unit) == 1:
            out.append(segments[unit[0]])
            continue
        merged = merge_segments(writer.storage, writer.schema, writer.indexname, [segments[i] for i in unit])
        for i in unit:
            _remove_files(writer.storage, segments[i])
        out.append(merged)
    return out


def _remove_files(storage, segment) -> None:
    for name in segment.list_files(storage):
        try:
            storage.delete_file(name)
        except OSError:
            pass


def merge_segments(storage, schema, indexname: str, segments: list):
    """One new segment (parlsearch's codec, compound like whoosh's) with the live documents of `segments`, in
    order; not committed (the caller lists it in its TOC)."""
    from whoosh.reading import SegmentReader
    codec = ParlCodec()
    merged = codec.new_segment(storage, indexname)
    readers = [SegmentReader(storage, schema, segment) for segment in segments]
    try:
        maps = _DocMaps(readers)
        lengths = _merge_per_document(storage, schema, merged, readers, maps)
        fieldwriter = codec.field_writer(storage, merged)
        try:
            _merge_postings(fieldwriter, schema, readers, maps, lengths)
        finally:
            fieldwriter.close()
        merged.set_doc_count(maps.total)
    finally:
        for reader in readers:
            reader.close()
    if merged.should_assemble():
        merged.create_compound_file(storage)
    return merged


class _DocMaps:
    """Where each segment's live documents go: a base (no deletions) or an array old → new (-1: dropped)."""

    def __init__(self, readers):
        self.bases, self.maps, self.live = [], [], []
        total = 0
        for reader in readers:
            count = reader.doc_count_all()
            self.bases.append(total)
            if reader.has_deletions():
                live = np.ones(count, dtype=bool)
                live[np.fromiter(reader.segment().deleted_docs(), dtype=np.int64)] = False
                new = np.full(count, -1, dtype=np.int64)
                new[live] = np.arange(total, total + int(live.sum()))
                self.maps.append(new)
                self.live.append(live)
                total += int(live.sum())
            else:
                self.maps.append(None)
                self.live.append(None)
                total += count
        self.total = total


# -- per-document data ------------------------------------------------------------------------------------------

def _column_names(schema):
    """(column file name, column type, kind) of every per-document column a segment of `schema` may hold."""
    out = [("_stored", STORED_COLUMN, "stored")]
    for name in sorted(schema.names()):
        field = schema[name]
        if field.scorable:
            out.append((_lenfield(name), LENGTHS_COLUMN, "length"))
        if field.column_type is not None:
            out.append((name, field.column_type, "value"))
    return out


def _numeric_values(reader, column, name, count) -> np.ndarray:
    """A NumericColumn of one segment as an array of every document's value (the default where unset)."""
    dtype = np.dtype(">" + column._typecode)
    values = np.full(count, column._default, dtype=dtype)
    if reader._perdoc.has_column(name):
        colfile, offset, length = reader._perdoc._get_column_file(name)
        n = min(length // dtype.itemsize, count)
        if n:
            values[:n] = np.frombuffer(bytes(colfile.get(offset, n * dtype.itemsize)), dtype=dtype)
        colfile.close()
    return values


def _merge_per_document(storage, schema, merged, readers, maps) -> dict:
    """Write the merged segment's columns; returns {field: length byte of every merged document}."""
    lengths = {}
    fieldlengths: dict[str, int] = {}
    for name, column, kind in _column_names(schema):
        holders = [r for r in readers if r._perdoc.has_column(name)]
        if not holders:
            continue
        f = storage.create_file(W3Codec.column_filename(merged, name))
        if type(column) is NumericColumn:
            parts = []
            for reader, live in zip(readers, maps.live):
                values = _numeric_values(reader, column, name, reader.doc_count_all())
                parts.append(values if live is None else values[live])
            values = np.concatenate(parts) if parts else np.zeros(0, dtype=">" + column._typecode)
            unset = np.array(column._default, dtype=values.dtype)
            set_at = np.flatnonzero(values != unset)
            f.write(values[:int(set_at[-1]) + 1].astype(">" + column._typecode).tobytes() if len(set_at) else b"")
            if kind == "length":
                field = name[1:-len("_len")]
                lengths[field] = values.astype(np.uint8)
        else:
            raw = VarBytesColumn() if kind == "stored" else column  # stored fields: their compressed bytes
            writer = raw.writer(f)
            newdoc = 0
            for reader, live in zip(readers, maps.live):
                count = reader.doc_count_all()
                if reader._perdoc.has_column(name):
                    source = reader._perdoc.column_reader(name, raw)
                    get = source.__getitem__
                    for doc in range(count) if live is None else np.flatnonzero(live).tolist():
                        writer.add(newdoc, get(doc))
                        newdoc += 1
                else:
                    newdoc += count if live is None else int(live.sum())
            writer.finish(maps.total)
        f.close()
    for reader, live in zip(readers, maps.live):
        for field, total in reader.segment()._fieldlengths.items():
            fieldlengths[field] = fieldlengths.get(field, 0) + total
        if live is not None:  # the dropped documents' lengths, as their length bytes say
            for field in list(fieldlengths):
                if reader._perdoc.has_column(_lenfield(field)):
                    dropped = _numeric_values(reader, LENGTHS_COLUMN, _lenfield(field),
                                              reader.doc_count_all())[~live]
                    fieldlengths[field] -= sum(byte_to_length(int(b)) for b in dropped if b)
    merged._fieldlengths = fieldlengths
    return lengths


# -- postings ---------------------------------------------------------------------------------------------------

def _field_terms(reader, fieldname: str, index: int):
    """(term bytes, segment index, raw term info) of one field of one segment, in term order."""
    terms = reader._terms
    fnum = terms._fieldmap.get(fieldname)
    if fnum is None:
        return
    prefix = pack_ushort(fnum)
    for key, value in terms._tindex.items_from(prefix):
        if key[:2] != prefix:
            return
        yield key[2:], index, value


def _merge_postings(fieldwriter, schema, readers, maps, lengths: dict) -> None:
    fields = sorted({name for reader in readers for name in reader._terms._fieldmap if name in schema})
    buffers = [reader._terms.buffer for reader in readers]
    for fieldname in fields:
        fieldobj = schema[fieldname]
        fieldwriter.start_field(fieldname, fieldobj)
        field_lengths = lengths.get(fieldname)
        streams = [_field_terms(reader, fieldname, i) for i, reader in enumerate(readers)]
        current, parts = None, []
        for btext, index, value in heapq.merge(*streams):
            if btext != current:
                if parts:
                    _write_term(fieldwriter, current, parts, buffers, maps, field_lengths)
                current, parts = btext, []
            parts.append((index, ArrayTermInfo.from_bytes(value)))
        if parts:
            _write_term(fieldwriter, current, parts, buffers, maps, field_lengths)
        fieldwriter.finish_field()


def _record(buffer, info):
    """(ids, weights, positions or None) of a record as numpy views of the buffer."""
    (i0, _), (w0, _, wcode), p0 = record_sections(info.layout, info._df)
    start, df = info.record_offset, info._df
    ids = np.frombuffer(buffer, dtype="<u4", count=df, offset=start + i0)
    weights = np.frombuffer(buffer, dtype="<f4" if wcode == "f" else "<u2", count=df, offset=start + w0)
    positions = None
    if p0 is not None:
        total = int(weights.sum(dtype=np.int64))
        positions = np.frombuffer(buffer, dtype="<u4" if info.layout & WIDE_POSITIONS else "<u2", count=total,
                                  offset=start + p0)
    return ids, weights, positions


def _record_size(buffer, info) -> int:
    (i0, ilen), (w0, wlen, _), p0 = record_sections(info.layout, info._df)
    end = w0 + wlen + (-wlen) % 4
    if p0 is not None:
        if info._weight < (1 << 24):  # float32 holds every integer below 2^24 exactly
            total = int(info._weight)
        else:
            total = int(np.frombuffer(buffer, dtype="<u2", count=info._df, offset=info.record_offset + w0).sum())
        size = 4 if info.layout & WIDE_POSITIONS else 2
        end = p0 + size * total + (-(size * total)) % 4
    return end


def _write_term(fieldwriter, btext: bytes, parts, buffers, maps, lengths) -> None:
    if len(parts) == 1 and maps.maps[parts[0][0]] is None:
        index, info = parts[0]
        _write_shifted(fieldwriter, btext, info, buffers[index], maps.bases[index])
        return
    ids_l, weights_l, positions_l = [], [], []
    positional = False
    for index, info in parts:
        ids, weights, positions = _record(buffers[index], info)
        positional = positions is not None
        docmap = maps.maps[index]
        if docmap is None:
            ids = ids.astype(np.int64) + maps.bases[index]
        else:
            new = docmap[ids]
            keep = new >= 0
            if not keep.all():
                if positions is not None:
                    positions = positions[np.repeat(keep, weights.astype(np.int64))]
                weights = weights[keep]
            ids = new[keep]
        ids_l.append(ids)
        weights_l.append(weights)
        positions_l.append(positions)
    ids = np.concatenate(ids_l)
    if not len(ids):
        return
    weights = np.concatenate([w.astype(np.float64) for w in weights_l])
    positions = np.concatenate([p.astype(np.uint32) for p in positions_l]) if positional else None
    _write_arrays(fieldwriter, btext, ids, weights, positions, lengths)


def _write_shifted(fieldwriter, btext, info, buffer, base: int) -> None:
    """A term of one segment without deletions: its record with `base` added to its ids."""
    start, df = info.record_offset, info._df
    size = _record_size(buffer, info)
    record = buffer[start:start + size]
    if base:
        if df <= 16:
            ids = struct.pack("<%dI" % df, *(i + base for i in struct.unpack_from("<%dI" % df, record)))
        else:
            ids = (np.frombuffer(record, dtype="<u4", count=df) + np.uint32(base)).astype("<u4").tobytes()
        record = ids + bytes(record[4 * df:])
        info._minid += base
        info._maxid += base
    else:
        record = bytes(record)
    fieldwriter.add_encoded(btext, info, record, info.layout)


def _write_arrays(fieldwriter, btext, ids, weights, positions, lengths) -> None:
    """A term from whole arrays: its record in the codec's layout and its statistics, as
    ArrayFieldWriter.add_term computes them."""
    layout = 0
    if np.all((weights >= 0) & (weights <= 0xFFFF) & (weights == np.floor(weights))):
        wbytes = weights.astype("<u2").tobytes()
    else:
        layout |= FLOAT_WEIGHTS
        wbytes = weights.astype("<f4").tobytes()
    parts = [ids.astype("<u4").tobytes(), wbytes, bytes((-len(wbytes)) % 4)]
    if positions is not None:
        layout |= HAS_POSITIONS
        if len(positions) and int(positions.max()) > 0xFFFF:
            layout |= WIDE_POSITIONS
            parts.append(positions.astype("<u4").tobytes())
        else:
            pbytes = positions.astype("<u2").tobytes()
            parts += [pbytes, bytes((-len(pbytes)) % 4)]
    info = ArrayTermInfo()
    info._weight = float(weights.sum())
    info._df = len(ids)
    if lengths is not None:
        lb = lengths[ids]
        present = lb[lb > 0]
        info._minlength = byte_to_length(int(present.min())) if len(present) else None
        info._maxlength = byte_to_length(int(present.max())) if len(present) else 0
    else:
        info._minlength, info._maxlength = None, 0
    info._maxweight = max(float(weights.max()), 0)
    info._minid, info._maxid = int(ids[0]), int(ids[-1])
    fieldwriter.add_encoded(btext, info, b"".join(parts), layout)
