"""Writing a segment's held postings (index/inversion.py) as parlsearch's codec records, one field at a time.

A field's term ids are ranked in term order (UTF-8 byte order); its occurrences are sorted by (term,
document, position) with a stable sort and grouped into postings; each term's statistics are computed with
np.*.reduceat and its record (index/codec.py's layout: ids, weights, positions as little-endian arrays) is
cut from whole-chunk byte buffers and handed to the codec's field writer (ArrayFieldWriter.add_encoded), so
the only Python work left per term is its term-index entry. The sort runs chunk by chunk of terms
(CHUNK_OCCURRENCES occurrences), so its temporary arrays stay bounded whatever the size of the segment.

The statistics are those ArrayFieldWriter.add_term computes from a whole posting list (tests compare the
index content with whoosh's SegmentWriter writing through the same codec).
"""
from __future__ import annotations

import numpy as np
from whoosh.util.numeric import byte_to_length

from .codec import FLOAT_WEIGHTS, HAS_POSITIONS, WIDE_POSITIONS, ArrayTermInfo
from .inversion import FieldPostings, Vocabulary, as_array

#: Occurrences sorted at once when a field is written: the sort's temporaries (~40 bytes each) stay under
#: ~40 MB, and a chunk is still large enough that numpy's per-call cost does not show.
CHUNK_OCCURRENCES = 1_000_000

#: While a segment's postings are written, progress is reported every this many terms.
PROGRESS_TERMS = 2048

_PAD = (b"", b"\0\0\0", b"\0\0", b"\0")  # indexed by length % 4: zero bytes up to the next multiple of 4


# -- writing a field -------------------------------------------------------------------------------------------

def _postings_of_occurrences(fp: FieldPostings, ranks: np.ndarray, chunk: tuple | None) -> tuple | None:
    """(rank, doc, weight, positions per posting, positions) of the direct occurrences, sorted by (rank, doc):
    all of them (`chunk` None), or those of the terms of chunk c, (chunk of each occurrence, c)."""
    tids = as_array(fp.tids)
    # Ranks as 2-byte keys where they fit: numpy's stable sort of 16-bit keys is a radix sort (~4x faster).
    key_type = np.uint16 if len(ranks) <= 0x10000 else np.uint32
    if chunk is None:
        order = np.argsort(ranks[tids].astype(key_type, copy=False), kind="stable")
    else:
        of_occurrence, c = chunk
        order = np.flatnonzero(of_occurrence == c)
        order = order[np.argsort(ranks[tids[order]].astype(key_type, copy=False), kind="stable")]
    if not len(order):
        return None
    rank = ranks[tids[order]]
    ends = np.cumsum(np.frombuffer(fp.counts, dtype=np.uint32), dtype=np.int64)
    doc = np.frombuffer(fp.docs, dtype=np.uint32)[np.searchsorted(ends, order, side="right")]
    pos = as_array(fp.positions)[order]
    del order
    n = len(rank)
    cut = np.empty(n, dtype=bool)
    cut[0] = True
    np.not_equal(rank[1:], rank[:-1], out=cut[1:])
    cut[1:] |= doc[1:] != doc[:-1]
    starts = np.flatnonzero(cut)
    freq = np.diff(np.append(starts, n))
    return rank[starts], doc[starts], freq, freq, pos


def _postings_of_singles(fp: FieldPostings, ranks: np.ndarray, chunk_of_rank, c) -> tuple | None:
    """The same for the postings held one at a time (which may come term after term: whoosh's add_reader),
    those of chunk c when `chunk_of_rank` is given."""
    tids = np.frombuffer(fp.single_tids, dtype=np.uint32)
    rank = ranks[tids]
    docs = np.frombuffer(fp.single_docs, dtype=np.uint32)
    idx = np.arange(len(rank)) if chunk_of_rank is None else np.flatnonzero(chunk_of_rank[rank] == c)
    if not len(idx):
        return None
    idx = idx[np.lexsort((docs[idx], rank[idx]))]
    doc = docs[idx]
    weight = np.frombuffer(fp.single_weights, dtype=np.float64)[idx]
    if not fp.positional:
        return rank[idx], doc, weight, None, None
    npos = np.frombuffer(fp.single_npos, dtype=np.uint32).astype(np.int64)
    starts = np.cumsum(npos) - npos
    n = npos[idx]
    flat = np.repeat(starts[idx] - (np.cumsum(n) - n), n) + np.arange(int(n.sum()), dtype=np.int64)
    return rank[idx], doc, weight, n, np.frombuffer(fp.single_positions, dtype=np.uint32)[flat]


def _combine(a, b):
    """Postings of both paths in one list sorted by (rank, doc)."""
    if a is None or b is None:
        return a if b is None else b
    rank = np.concatenate([a[0], b[0]])
    doc = np.concatenate([a[1], b[1]])
    order = np.lexsort((doc, rank))
    weight = np.concatenate([a[2].astype(np.float64), b[2]])[order]
    if a[3] is None:
        return rank[order], doc[order], weight, None, None
    npos = np.concatenate([a[3], b[3]]).astype(np.int64)
    flat = np.concatenate([a[4].astype(np.uint32), b[4]])
    starts = np.cumsum(npos) - npos
    n = npos[order]
    index = np.repeat(starts[order] - (np.cumsum(n) - n), n) + np.arange(int(n.sum()), dtype=np.int64)
    return rank[order], doc[order], weight, n, flat[index]


def _write_terms(fieldwriter, vocab: Vocabulary, postings, lengths: np.ndarray | None, progress) -> int:
    """Hand the terms of sorted postings (rank, doc, weight, positions per posting or None, positions) to
    the codec's field writer; returns how many postings were written."""
    rank, doc, weight, npos, pos = postings
    n = len(rank)
    cut = np.empty(n, dtype=bool)
    cut[0] = True
    np.not_equal(rank[1:], rank[:-1], out=cut[1:])
    tstart = np.flatnonzero(cut)
    tend = np.append(tstart[1:], n)
    df = tend - tstart
    integral = weight.dtype.kind in "iu" or bool(np.all(weight == np.floor(weight)))
    wsum = np.add.reduceat(weight.astype(np.float64), tstart)
    wmax = np.maximum.reduceat(weight, tstart)
    if lengths is not None:
        lb = lengths[doc]
        lmax = np.maximum.reduceat(lb, tstart)
        lmin = np.minimum.reduceat(np.where(lb == 0, 256, lb.astype(np.uint16)), tstart)
    else:
        lmax = np.zeros(len(tstart), dtype=np.uint8)
        lmin = np.full(len(tstart), 256, dtype=np.uint16)
    # Weights as uint16 where every weight of a term is an integer in 0..65535 (always, for term frequencies).
    if integral:
        wmin = np.minimum.reduceat(weight, tstart)
        small = (wmax <= 0xFFFF) & (wmin >= 0)
    else:
        whole = (weight == np.floor(weight)) & (weight >= 0) & (weight <= 0xFFFF)
        small = np.minimum.reduceat(whole.astype(np.uint8), tstart).astype(bool)
    ids_b = memoryview(doc.astype("<u4")).cast("B")
    w16_b = memoryview(np.clip(weight, 0, 0xFFFF).astype("<u2")).cast("B")
    w32_b = memoryview(weight.astype("<f4")).cast("B") if not small.all() else None
    if npos is not None:
        pstart = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(npos, out=pstart[1:])
        tp0, tp1 = pstart[tstart], pstart[tend]
        pmax = np.zeros(len(tstart), dtype=np.int64)
        filled = tp1 > tp0
        if filled.any():  # the largest position of each term that has any
            pmax[filled] = np.maximum.reduceat(pos, tp0[filled])
        wide = pmax > 0xFFFF
        p16_b = memoryview(pos.astype("<u2")).cast("B")
        p32_b = memoryview(pos.astype("<u4")).cast("B") if wide.any() else None
        tp0, tp1 = tp0.tolist(), tp1.tolist()
        wide = wide.tolist()
    terms, term_bytes = vocab.terms, vocab.term_bytes
    text = bool(terms) and isinstance(terms[0], str)
    add = fieldwriter.add_encoded
    rank_l = rank[tstart].tolist()
    ts, te = tstart.tolist(), tend.tolist()
    dfs, wsums, wmaxs = df.tolist(), wsum.tolist(), wmax.tolist()
    lmins, lmaxs, smalls = lmin.tolist(), lmax.tolist(), small.tolist()
    firsts, lasts = doc[tstart].tolist(), doc[tend - 1].tolist()
    order = vocab.ranked_ids()
    for j, r in enumerate(rank_l):
        a, b = ts[j], te[j]
        if smalls[j]:
            layout = 0
            wb = w16_b[2 * a:2 * b]
            parts = [ids_b[4 * a:4 * b], wb, _PAD[len(wb) % 4]]
        else:
            layout = FLOAT_WEIGHTS
            parts = [ids_b[4 * a:4 * b], w32_b[4 * a:4 * b]]
        if npos is not None:
            layout |= HAS_POSITIONS
            p0, p1 = tp0[j], tp1[j]
            if wide[j]:
                layout |= WIDE_POSITIONS
                parts.append(p32_b[4 * p0:4 * p1])
            else:
                pb = p16_b[2 * p0:2 * p1]
                parts.append(pb)
                parts.append(_PAD[len(pb) % 4])
        info = ArrayTermInfo()
        info._weight = wsums[j]
        info._df = dfs[j]
        info._minlength = None if lmins[j] == 256 else byte_to_length(lmins[j])
        info._maxlength = byte_to_length(lmaxs[j]) if lmaxs[j] else 0
        info._maxweight = wmaxs[j] if wmaxs[j] > 0 else 0
        info._minid = firsts[j]
        info._maxid = lasts[j]
        tid = order[r]
        add(terms[tid].encode("utf-8") if text else term_bytes(tid), info, b"".join(parts), layout)
        if progress is not None and not j % PROGRESS_TERMS:
            progress(a)
    return n


def write_field(fieldwriter, fieldname: str, fieldobj, fp: FieldPostings, lengths: np.ndarray | None,
                progress=None) -> int:
    """Write one field's held postings (see the module doc); returns how many postings were written.

    `lengths` is the field's length byte of every document of the segment (None: the field stores none);
    `progress(n)` is told now and then how many of this field's postings are written."""
    if not fp:
        return 0
    fieldwriter.start_field(fieldname, fieldobj)
    vocab = fp.vocabulary
    ranks = vocab.ranks()
    chunks, chunk_of_rank, of_occurrence = 1, None, None
    if len(fp.tids) + len(fp.single_tids) > CHUNK_OCCURRENCES:
        # Ranges of terms holding about CHUNK_OCCURRENCES occurrences each (one term may hold more), and the
        # chunk of each occurrence (1 byte each): no temporary array as long as all the occurrences.
        per_rank = np.zeros(len(ranks), dtype=np.int64)
        per_rank[ranks] = np.bincount(as_array(fp.tids), minlength=len(ranks))
        per_rank[ranks] += np.bincount(np.frombuffer(fp.single_tids, dtype=np.uint32), minlength=len(ranks))
        chunk_of_rank = (np.cumsum(per_rank) - per_rank) // CHUNK_OCCURRENCES
        chunks = int(chunk_of_rank[-1]) + 1
        chunk_of_rank = chunk_of_rank.astype(np.uint8 if chunks <= 256 else np.uint32)
        of_occurrence = chunk_of_rank[ranks][as_array(fp.tids)]
    written = 0
    for c in range(chunks):
        direct = _postings_of_occurrences(fp, ranks, None if of_occurrence is None else (of_occurrence, c)) \
            if len(fp.tids) else None
        single = _postings_of_singles(fp, ranks, chunk_of_rank, c) if len(fp.single_tids) else None
        postings = _combine(direct, single)
        del direct, single
        if postings is None:
            continue
        if not fp.positional:
            postings = postings[:3] + (None, None)
        base = written
        written += _write_terms(fieldwriter, vocab, postings, lengths,
                                None if progress is None else (lambda k: progress(base + k)))
    fieldwriter.finish_field()
    return written
