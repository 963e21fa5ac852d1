"""Helpers shared by the indexing tests: generated corpora and a streaming comparison of two indexes."""
from __future__ import annotations

import heapq
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
BUNDLED_JSON = REPO / "corpus" / "data" / "brussels-written-questions-2024-2029.json"
_GENERATED: dict[tuple[int, int], Path] = {}


def make_corpus_tool() -> Path | None:
    """The project's make_corpus.py (../shared/tools from the main checkout; $PARLSEARCH_MAKE_CORPUS)."""
    candidates = [os.environ.get("PARLSEARCH_MAKE_CORPUS")] + [
        str(base / "shared" / "tools" / "make_corpus.py") for base in (REPO.parent, REPO.parent.parent)]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def generated_corpus(n: int, seed: int = 1) -> Path:
    """A JSON Lines file of `n` generated questions (sentences of the bundled corpus recombined by the project's
    make_corpus.py), made once per test process; the test is skipped when the tool is not there."""
    key = (n, seed)
    if key in _GENERATED:
        return _GENERATED[key]
    tool = make_corpus_tool()
    if tool is None:
        pytest.skip("make_corpus.py not found (../shared/tools or $PARLSEARCH_MAKE_CORPUS)")
    tmp = Path(tempfile.mkdtemp(prefix="parlsearch-generated-"))
    # The tool reads ../corpus/*.json beside itself: give it the bundled corpus only (as bench/benchmark.py does).
    (tmp / "tools").mkdir()
    (tmp / "corpus").mkdir()
    shutil.copy(tool, tmp / "tools" / "make_corpus.py")
    shutil.copy(BUNDLED_JSON, tmp / "corpus" / BUNDLED_JSON.name)
    path = tmp / ("generated-%d-%d.jsonl" % key)
    with open(path, "wb") as f:
        subprocess.run([sys.executable, str(tmp / "tools" / "make_corpus.py"), str(n), "--seed", str(seed)],
                       stdout=f, check=True)
    _GENERATED[key] = path
    return path


# -- comparing two indexes ---------------------------------------------------------------------------------------

def _leaf_terms(leaf, fieldname: str, index: int):
    for btext in leaf.lexicon(fieldname):
        yield btext, index


def _term_records(reader, fieldname: str):
    """(term, global docnums, weights, positions per posting or None) of one field, term after term, read from
    the records of parlsearch's codec segment by segment (deleted documents left out)."""
    leaves = reader.leaf_readers()
    streams = [_leaf_terms(leaf, fieldname, i) for i, (leaf, _) in enumerate(leaves)
               if fieldname in leaf.indexed_field_names()]
    current, parts = None, []

    def emit():
        ids = np.concatenate([p[0] for p in parts])
        weights = np.concatenate([p[1] for p in parts])
        positions = None if parts[0][2] is None else [pl for p in parts for pl in p[2]]
        return current, ids, weights, positions

    for btext, i in heapq.merge(*streams):
        if btext != current and parts:
            yield emit()
            parts = []
        current = btext
        leaf, offset = leaves[i]
        info = leaf._terms.term_info(fieldname, btext)
        ids, weights, flat = leaf._terms.record(info)
        ids = np.array(ids, dtype=np.int64)
        weights = np.array(weights, dtype=np.float64)
        keep = np.array([not leaf.is_deleted(d) for d in ids.tolist()], dtype=bool) if leaf.has_deletions() \
            else np.ones(len(ids), dtype=bool)
        positions = None
        if flat is not None:
            starts = np.concatenate([[0], np.cumsum(weights.astype(np.int64))])
            flat = np.array(flat, dtype=np.int64)
            positions = [flat[starts[j]:starts[j + 1]] for j in np.flatnonzero(keep)]
        parts.append((ids[keep] + offset, weights[keep], positions))
    if parts:
        yield emit()


def differences(reader_a, reader_b, by_id: bool = False, limit: int = 10) -> list[str]:
    """What differs between two indexes of parlsearch's codec, streamed term by term (memory: one posting list):
    postings (documents, weights, positions), term statistics (document frequency, weight, min/max length and
    weight), field lengths, stored fields and columns, document counts. With `by_id`, documents are matched
    by their stored id (the order of documents may differ: parallel writers) and term statistics other than
    the document frequency and total weight are not compared (they are per segment); otherwise by docnum."""
    out: list[str] = []
    schema = reader_a.schema

    def note(text):
        if len(out) < limit:
            out.append(text)

    if reader_a.doc_count() != reader_b.doc_count():
        note("doc_count %d != %d" % (reader_a.doc_count(), reader_b.doc_count()))
        return out
    keys = []
    for reader in (reader_a, reader_b):
        docnums = list(reader.all_doc_ids())
        if by_id:
            ids = [reader.stored_fields(d)["id"] for d in docnums]
            order = {doc_id: rank for rank, doc_id in enumerate(sorted(ids))}
            key = np.full(reader.doc_count_all(), -1, dtype=np.int64)
            key[np.array(docnums, dtype=np.int64)] = [order[i] for i in ids]
        else:
            key = np.full(reader.doc_count_all(), -1, dtype=np.int64)
            key[np.array(docnums, dtype=np.int64)] = np.arange(len(docnums))
        keys.append((key, docnums))
    for fieldname in sorted(set(reader_a.indexed_field_names()) | set(reader_b.indexed_field_names())):
        a_terms = _term_records(reader_a, fieldname)
        b_terms = _term_records(reader_b, fieldname)
        for a, b in zip(a_terms, b_terms):
            if a[0] != b[0]:
                note("%s: term %r != %r" % (fieldname, a[0], b[0]))
                break
            rows = []
            for (term, ids, weights, positions), (key, _) in zip((a, b), keys):
                k = key[ids]
                order = np.argsort(k, kind="stable")
                rows.append((k[order].tolist(), np.round(weights[order], 5).tolist(),
                             None if positions is None else [positions[j].tolist() for j in order]))
            if rows[0] != rows[1]:
                note("%s:%r postings differ" % (fieldname, a[0]))
                continue
            ia, ib = reader_a.term_info(fieldname, a[0]), reader_b.term_info(fieldname, a[0])
            sa = (ia.doc_frequency(), round(ia.weight(), 3))
            sb = (ib.doc_frequency(), round(ib.weight(), 3))
            if not by_id:
                sa += (ia.min_length(), ia.max_length(), round(ia.max_weight(), 5), ia.min_id(), ia.max_id())
                sb += (ib.min_length(), ib.max_length(), round(ib.max_weight(), 5), ib.min_id(), ib.max_id())
            if sa != sb:
                note("%s:%r statistics %r != %r" % (fieldname, a[0], sa, sb))
        for rest, side in ((a_terms, "first"), (b_terms, "second")):
            extra = next(rest, None)
            if extra is not None:
                note("%s: term %r only in the %s index" % (fieldname, extra[0], side))
    (key_a, docs_a), (key_b, docs_b) = keys
    b_of_rank = {int(key_b[d]): d for d in docs_b}
    pairs = [(d, b_of_rank[int(key_a[d])]) for d in docs_a]
    for name in sorted(schema.names()):
        field = schema[name]
        if field.scorable:
            for da, db in pairs:
                la, lb = reader_a.doc_field_length(da, name), reader_b.doc_field_length(db, name)
                if la != lb:
                    note("length of %s in document %d: %r != %r" % (name, da, la, lb))
                    break
        if field.column_type is not None:
            ca = reader_a.column_reader(name, translate=False) if reader_a.has_column(name) else None
            cb = reader_b.column_reader(name, translate=False) if reader_b.has_column(name) else None
            if (ca is None) != (cb is None):
                note("column %s only in one index" % name)
            elif ca is not None and any(ca[da] != cb[db] for da, db in pairs):
                note("column %s differs" % name)
    if any(reader_a.stored_fields(da) != reader_b.stored_fields(db) for da, db in pairs):
        note("stored fields differ")
    return out
