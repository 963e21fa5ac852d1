"""A term's postings in one segment, packed into one database row: three little-endian arrays.

* ids: uint32 document numbers, ascending (the numbers of parlsearch_documents; whoosh's global numbers);
* weights: each posting's weight — the term's frequency in the document, as whoosh stores it — as uint16 when
  every weight is a whole number below 65,536 (always, for parlsearch's fields), else float32 (layout bit
  WIDE_WEIGHTS);
* positions (positional fields): every posting's positions one after the other, as many as its weight, as
  uint16 when all are below 65,536, else uint32 (layout bit WIDE_POSITIONS).

8 bytes a posting at most, 6 usually (whoosh's codec stores the same arrays: index/codec.py). A row is
checked when read: sizes that do not agree with its document frequency are a damaged row, reported by name.
"""
from __future__ import annotations

import numpy as np

from .connect import BackendProblem

WIDE_WEIGHTS = 1
WIDE_POSITIONS = 2

_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_WEIGHTS = np.zeros(0, dtype=np.float64)


class DamagedRow(BackendProblem):
    """A postings row whose arrays do not fit together (edited by hand, or a storage fault)."""


def pack(ids: np.ndarray, weights: np.ndarray, positions: np.ndarray | None):
    """(layout, ids, weights, positions) as stored; `positions` None for a field without positions."""
    layout = 0
    w = np.asarray(weights)
    if len(w) and (w.max() > 65535 or not np.array_equal(w, np.floor(w)) or w.min() < 0):
        layout |= WIDE_WEIGHTS
        wbytes = w.astype("<f4").tobytes()
    else:
        wbytes = w.astype("<u2").tobytes()
    pbytes = None
    if positions is not None:
        p = np.asarray(positions)
        if len(p) and p.max() > 65535:
            layout |= WIDE_POSITIONS
            pbytes = p.astype("<u4").tobytes()
        else:
            pbytes = p.astype("<u2").tobytes()
    return layout, np.asarray(ids).astype("<u4").tobytes(), wbytes, pbytes


def unpack(what: str, df: int, layout: int, ids: bytes, weights: bytes, positions: bytes | None = None,
           want_positions: bool = False):
    """(ids uint32, weights, positions or None) of a stored row; DamagedRow when the sizes disagree. `what`
    names the row in that message."""
    wdtype = "<f4" if layout & WIDE_WEIGHTS else "<u2"
    if len(ids) != 4 * df or len(weights) != df * np.dtype(wdtype).itemsize:
        raise DamagedRow("the postings of %s are damaged (%d bytes of ids, %d of weights for %d documents): run "
                         "parlsearch index --backend … --rebuild" % (what, len(ids), len(weights), df))
    id_array = np.frombuffer(ids, dtype="<u4")
    weight_array = np.frombuffer(weights, dtype=wdtype)
    if df and np.any(id_array[1:] <= id_array[:-1]):
        raise DamagedRow("the postings of %s are damaged (document numbers out of order): run parlsearch index "
                         "--backend … --rebuild" % what)
    pos = None
    if want_positions and positions is not None:
        pdtype = "<u4" if layout & WIDE_POSITIONS else "<u2"
        total = int(weight_array.sum(dtype=np.int64))
        if len(positions) != total * np.dtype(pdtype).itemsize:
            raise DamagedRow("the positions of %s are damaged: run parlsearch index --backend … --rebuild" % what)
        pos = np.frombuffer(positions, dtype=pdtype)
    return id_array, weight_array, pos


def concatenate(parts):
    """One (ids int64, weights float64, positions uint32 or None, starts int64 or None) from the unpacked
    rows of a term's segments, in segment order (their ids ascend from one segment to the next)."""
    if not parts:
        return _EMPTY_IDS, _EMPTY_WEIGHTS, None, None
    ids = np.concatenate([p[0] for p in parts]).astype(np.int64) if len(parts) > 1 else parts[0][0].astype(np.int64)
    weights = np.concatenate([p[1] for p in parts]).astype(np.float64) if len(parts) > 1 \
        else parts[0][1].astype(np.float64)
    if any(p[2] is None for p in parts):
        return ids, weights, None, None
    flat = np.concatenate([p[2].astype(np.uint32) for p in parts]) if len(parts) > 1 else parts[0][2].astype(np.uint32)
    starts = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(weights.astype(np.int64), out=starts[1:])
    return ids, weights, flat, starts
