"""`parlsearch index --backend … --from-index DIR`: a local index's documents copied into the database without
reading or analysing the files again — its stored documents, and its postings and length bytes as they are.

The database then holds exactly the local index's tokens. Like an export, one transaction: documents of the
local index that the database lacks are added, those whose content hash differs replace the database's
version (the local index's document is the one kept: it is already the merge of its readings), unchanged
ones are left alone, and documents only in the database are kept (`--rebuild`: the database becomes an exact
copy). Every copied document gets the next document number, in the local index's order, and all their
postings one new segment: one pass over the local index's vocabulary, each term's posting list filtered to
the copied documents and renumbered (ascending order is kept), written with COPY as it is read. Exact field
lengths (for the average length) are the sums of the copied postings' frequencies, which is what whoosh
counts; the length bytes are the local index's.

A local index whose segment files fail their checksums (index/checksums.py) is refused before anything is
written: its postings would be copied as they are.

Cost at 20,000 generated documents: ~15 s (the local index's postings read once, no analysis).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...wording import plural
from .blobs import pack
from .connect import Servers, driver, open_for_writing
from .export import (COPY_DOCUMENTS, COPY_POSTINGS, DOCUMENT_TYPES, POSTING_TYPES, prepare, take_write_lock,
                     write_failed)
from .tables import check, compatible_for_update, current_schema, read_meta, stored_term

#: Documents whose stored payload is read at a time.
BATCH_DOCS = 1000


@dataclass
class CopySummary:
    source: str
    target: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    documents: int = 0
    problems: list = field(default_factory=list)  # (none: a local index has been read already)

    @property
    def rejected(self) -> list:
        return []

    def line(self) -> str:
        return "%d new, %d updated, %d unchanged documents copied from the index at %s. Database: %s in %s" % (
            self.new, self.updated, self.unchanged, self.source, plural(self.documents, "document"), self.target)


def _local_hashes(reader, live_ids) -> tuple[list[str], list[str]]:
    if not len(live_ids):
        return [], []
    ids = reader.column_reader("id")
    hashes = reader.column_reader("content_hash")
    return [ids[int(d)] for d in live_ids], [hashes[int(d)] for d in live_ids]


def copy_index(index_dir, servers: Servers, *, rebuild: bool = False, wait: float = 0.0, progress=None):
    """Copy the local index at `index_dir` into the primary of `servers` (see the module doc)."""
    from ..schema import build_schema
    from ..segments import IndexView
    from ..store import open_index, resolve_index_dir
    report = progress or (lambda *a, **k: None)
    path = resolve_index_dir(index_dir)
    ix = open_index(path)
    searcher = ix.searcher()
    conn = None
    try:
        _check_intact(ix, path)
        view = IndexView(searcher)
        schema = build_schema()
        summary = CopySummary(str(path), str(servers.primary))
        conn = open_for_writing(servers)
        current_schema(conn)
        conn.autocommit = False
        take_write_lock(conn, wait, str(servers.primary))
        meta = read_meta(conn)
        check(meta, schema, str(servers.primary), writing=True)
        if meta is not None and not rebuild and not compatible_for_update(meta, schema):
            from .connect import BackendProblem
            raise BackendProblem("%s was written with another analyzer or index schema than this parlsearch's: "
                                 "add --rebuild" % servers.primary)
        live_ids = view.live_ids()
        ids, hashes = _local_hashes(view.reader, live_ids)
        stored = {} if rebuild or meta is None else dict(conn.execute(
            "SELECT id, content_hash FROM parlsearch_documents WHERE live").fetchall())
        chosen, replaced = [], []
        for docnum, doc_id, content_hash in zip(live_ids, ids, hashes):
            old = stored.get(doc_id)
            if old == content_hash:
                summary.unchanged += 1
                continue
            chosen.append(int(docnum))
            if old is None:
                summary.new += 1
            else:
                summary.updated += 1
                replaced.append(doc_id)
        if chosen or (rebuild and (meta is not None)):
            meta = prepare(conn, schema, meta, rebuild)
            _write(conn, view, schema, meta, np.array(chosen, dtype=np.int64), replaced, report)
            report("committing", 0, 1, "steps")
            conn.commit()
            report("committing", 1, 1, "steps")
        else:
            conn.rollback()
        conn.autocommit = True
        summary.documents = 0 if read_meta(conn) is None else conn.execute(
            "SELECT count(*) FROM parlsearch_documents WHERE live").fetchone()[0]
        return summary
    except driver().Error as e:
        raise write_failed(servers, e) from None
    finally:
        if conn is not None and not conn.closed:
            if not conn.autocommit:
                conn.rollback()
            conn.close()
        searcher.close()
        ix.close()
        report("done", 0, 0, "")


def _check_intact(ix, path) -> None:
    """Refuse to copy a damaged local index (its segment files no longer hold what was written: checksums.py):
    its postings are copied as they are, so a flipped bit would become the database's, unnoticed. One read of
    the files the copy reads anyway (~1 s at 100,000 questions)."""
    from ..checksums import damaged_files
    from ..store import damaged_index
    damaged = damaged_files(ix)
    if damaged:
        raise damaged_index(path, ValueError("%s does not hold what was written" % damaged[0]))


def _write(conn, view, schema, meta: dict, chosen: np.ndarray, replaced: list[str], report) -> None:
    from ..schema import document_from_payload
    from .rows import document_row
    from .tables import catalogue
    cat = catalogue(schema)
    first = int(meta["doc_count"])
    segment = int(conn.execute("SELECT coalesce(max(segment), -1) + 1 FROM parlsearch_segments").fetchone()[0])
    if replaced:
        conn.execute("UPDATE parlsearch_documents SET live = false WHERE live AND id = ANY(%s)", (replaced,))
    remap = np.full(view.doc_count, -1, dtype=np.int64)
    remap[chosen] = np.arange(first, first + len(chosen))
    exact = np.zeros((len(cat.scored), len(chosen)), dtype=np.int64)
    postings = 0
    with conn.cursor() as cur, cur.copy(COPY_POSTINGS) as copy:
        copy.set_types(POSTING_TYPES)
        for fi, fieldname in enumerate(cat.postings):
            positional = fieldname in cat.positional
            scored = cat.scored.index(fieldname) if fieldname in cat.scored else None
            for btext in view.reader.lexicon(fieldname):
                ids, weights, positions = _term(view, fieldname, btext, remap, positional)
                if not len(ids):
                    continue
                if scored is not None:
                    exact[scored] += np.bincount(ids - first, weights=weights, minlength=len(chosen)).astype(np.int64)
                layout, bids, bweights, bpositions = pack(ids, weights, positions)
                copy.write_row((fieldname, stored_term(btext.decode("utf-8")), segment, len(ids), layout, bids,
                                bweights, bpositions))
                postings += len(ids)
            report("writing", fi + 1, len(cat.postings), "fields")
    lengths = np.stack([view.lengths(f)[chosen] for f in cat.scored]).T if cat.scored and len(chosen) \
        else np.zeros((len(chosen), 0), np.uint8)
    with conn.cursor() as cur:
        with cur.copy(COPY_DOCUMENTS) as copy:
            copy.set_types(DOCUMENT_TYPES)
            for start in range(0, len(chosen), BATCH_DOCS):
                for i in range(start, min(start + BATCH_DOCS, len(chosen))):
                    doc = document_from_payload(view.stored(int(chosen[i]))["payload"])
                    row = document_row(doc, schema, cat, postings=False)
                    copy.write_row((first + i, row.id, row.moncode, row.content_hash, True,
                                    lengths[i].astype(np.uint8).tobytes(), [int(n) for n in exact[:, i]],
                                    row.numbers, row.labels, row.payload))
                report("reading", min(start + BATCH_DOCS, len(chosen)), len(chosen), "documents")
        if len(chosen):
            cur.execute("INSERT INTO parlsearch_segments (segment, first_docnum, doc_count, postings) "
                        "VALUES (%s, %s, %s, %s)", (segment, first, len(chosen), postings))
        cur.executemany(
            "INSERT INTO parlsearch_fields (field, total_length) VALUES (%s, %s) ON CONFLICT (field) DO UPDATE "
            "SET total_length = parlsearch_fields.total_length + excluded.total_length",
            [(f, int(exact[i].sum())) for i, f in enumerate(cat.scored)])
        cur.execute("UPDATE parlsearch_meta SET value = %s WHERE key = 'doc_count'", (str(first + len(chosen)),))
        cur.execute("UPDATE parlsearch_meta SET value = (value::bigint + 1)::text WHERE key = 'generation'")


def _term(view, fieldname: str, btext: bytes, remap: np.ndarray, positional: bool):
    """One term's postings in the copied documents: (new ids, weights, positions or None)."""
    ids_out, weights_out, positions_out = [], [], []
    for seg, p in view.postings(fieldname, btext, positions=positional):
        new = remap[p.ids.astype(np.int64) + seg.offset]
        keep = np.flatnonzero(new >= 0)
        if not len(keep):
            continue
        ids_out.append(new[keep])
        weights_out.append(p.weights[keep].astype(np.float64))
        if positional and p.has_positions:
            record = keep if p._index is None else p._index[keep]
            begins = p._starts[record]
            counts = p._starts[record + 1] - begins
            total = int(counts.sum())
            shift = np.repeat(begins - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
            positions_out.append(p._flat[np.arange(total) + shift].astype(np.uint32))
    if not ids_out:
        return np.zeros(0, np.int64), np.zeros(0), None
    positions = np.concatenate(positions_out) if positional and positions_out else None
    return np.concatenate(ids_out), np.concatenate(weights_out), positions
