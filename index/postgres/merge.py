"""When and how a database's segments merge: a term is read as one row per segment, so segments are kept few.

When: once a write leaves more than MAX_SEGMENTS segments, the newest ones — the longest run of small ones
at the end (each under a SMALL_SHARE of the largest), else as many as needed to leave half — are merged.
A bulk export writes one segment every rows.SEGMENT_POSTINGS postings (nine for 100,000 generated
documents, left as they are: a query reads nine rows per term instead of one, ~0.1 ms each); an update of
1,000 documents adds one small segment, and every few updates they merge among themselves, never
rewriting a large segment. Only segments that follow each other are merged, so a
merged row's document numbers stay ascending.

How: client-side, term by term — the segments' rows are read in (field, term, segment) order through a
server-side cursor, each term's arrays concatenated (blobs.py) and written back with COPY as one row of a
new segment, in the write's transaction. Replaced documents' postings are kept (the statistics count them,
as whoosh's do until it merges); `--rebuild` drops them.
"""
from __future__ import annotations

import numpy as np

from .blobs import pack, unpack

#: Segments a database keeps at most after a write (each costs one more row read per term of a query).
MAX_SEGMENTS = 12
#: A segment is small next to another when it has less than this share of its postings.
SMALL_SHARE = 0.125
#: Rows written per COPY while merging.
BATCH_ROWS = 2_000


def choose(segments: list[tuple]) -> list[int]:
    """The segments to merge (ids, a run at the end in document order), from [(segment, postings)] in
    document order: none while there are at most MAX_SEGMENTS; else the newest small ones (the longest run
    at the end of segments under SMALL_SHARE of the largest), or if they are too few, the newest as many as
    needed to leave MAX_SEGMENTS // 2."""
    if len(segments) <= MAX_SEGMENTS:
        return []
    largest = max(p for _, p in segments)
    tail = []
    for segment, postings in reversed(segments):
        if postings > SMALL_SHARE * largest:
            break
        tail.append(segment)
    if len(tail) >= 2 and len(segments) - len(tail) + 1 <= MAX_SEGMENTS:
        return list(reversed(tail))
    return [s for s, _ in segments[-(len(segments) - MAX_SEGMENTS // 2 + 1):]]


def merge_segments(conn, report) -> int:
    """Merge what choose() says, in the open transaction; returns the number of segments merged."""
    segments = conn.execute("SELECT segment, postings FROM parlsearch_segments ORDER BY first_docnum").fetchall()
    victims = choose([(int(s), int(p)) for s, p in segments])
    if len(victims) < 2:
        return 0
    new = int(conn.execute("SELECT max(segment) + 1 FROM parlsearch_segments").fetchone()[0])
    report("merging", 0, len(victims), "segments")
    _merge_rows(conn, victims, new)
    conn.execute("INSERT INTO parlsearch_segments (segment, first_docnum, doc_count, postings) "
                 "SELECT %s, min(first_docnum), sum(doc_count), sum(postings) FROM parlsearch_segments "
                 "WHERE segment = ANY(%s)", (new, victims))
    conn.execute("DELETE FROM parlsearch_postings WHERE segment = ANY(%s)", (victims,))
    conn.execute("DELETE FROM parlsearch_segments WHERE segment = ANY(%s)", (victims,))
    report("merging", len(victims), len(victims), "segments")
    return len(victims)


def _merge_rows(conn, victims: list[int], new: int) -> None:
    from .export import COPY_POSTINGS, POSTING_TYPES
    out: list = []
    group: list = []
    key = None

    def close_group():
        if not group:
            return
        field, term = key
        ids = np.concatenate([g[0] for g in group])
        weights = np.concatenate([g[1].astype(np.float64) for g in group])
        positions = None if any(g[2] is None for g in group) else np.concatenate([g[2].astype(np.uint32)
                                                                                  for g in group])
        layout, bids, bweights, bpositions = pack(ids, weights, positions)
        out.append((field, term, new, len(ids), layout, bids, bweights, bpositions))

    def write():
        with conn.cursor() as cur, cur.copy(COPY_POSTINGS) as copy:
            copy.set_types(POSTING_TYPES)
            for row in out:
                copy.write_row(row)
        out.clear()

    with conn.cursor(name="parlsearch_merge") as source:
        source.itersize = 500
        source.execute("SELECT field, term, segment, df, layout, ids, weights, positions FROM parlsearch_postings "
                       "WHERE segment = ANY(%s) ORDER BY field, term, segment", (victims,))
        for field, term, segment, df, layout, ids, weights, positions in source:
            if (field, term) != key:
                close_group()
                group = []
                key = (field, term)
                if len(out) >= BATCH_ROWS:
                    write()
            group.append(unpack("%s:%s (segment %d)" % (field, term, segment), df, layout, ids, weights,
                                positions, want_positions=positions is not None))
        close_group()
    if out:
        write()
