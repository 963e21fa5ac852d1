"""What one document becomes in the database — its parlsearch_documents row and its postings, made by the
index's own analyzer (index/analysis.py through the schema's fields) — and a segment of many documents'
postings gathered into one row per term.

The analysis is the local index's, field by field: a ParlText field's terms and positions are
`LANGUAGES[language].positions(text)` (what ParlText.index writes into a whoosh segment), any other indexed
field's terms are what its whoosh field type yields (`field.index(value)`: an identifier is one term);
lengths are the number of tokens (whoosh's), stored as whoosh's length byte for BM25 and exactly for the
average. Column values are `field.to_column_value(value)`, as whoosh's writer stores them.

`--jobs N`: documents are analysed by N worker processes (Analysis), their postings handed back compact.

Memory: a segment holds its postings in flat arrays (~17 bytes a posting with its positions) until it is
written; export.py writes one every SEGMENT_POSTINGS postings (~200 MB).
"""
from __future__ import annotations

import json
from array import array
from dataclasses import dataclass

import numpy as np

from .blobs import pack
from .tables import Catalogue, catalogue, stored_term

#: Postings a segment gathers before it is written: ~17 bytes each with their positions, and as much again
#: while they are sorted into rows (~300 MB at most; the 20,000-document generated corpus has 14.4 M).
SEGMENT_POSTINGS = 8_000_000


@dataclass
class DocumentRow:
    """One parlsearch_documents row, and the postings of the document by field, compact (pickled cheaply
    to and from the analysis processes of --jobs): {field: (terms, weights as float32 bytes, every term's
    positions one after the other as uint32 bytes — a term has as many as its weight — or None)}."""
    id: str
    moncode: str | None
    content_hash: str
    lengths: bytes
    field_lengths: list
    numbers: list
    labels: list
    payload: str
    postings: dict


def _payload(doc) -> str:
    text = json.dumps(doc.to_dict(), ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a JSON escape: kept as its escape
        text = json.dumps(doc.to_dict(), ensure_ascii=True)
    return text


def document_row(doc, schema, cat: Catalogue, postings: bool = True) -> DocumentRow:
    """The row and postings of a Document (`postings=False`: the row alone, lengths left at zero for the
    caller: --from-index takes them from the local index)."""
    from whoosh.util.numeric import length_to_byte
    from ..analysis import LANGUAGES
    from ..schema import ParlText, index_fields
    values = index_fields(doc)
    by_field: dict = {}
    lengths = {}
    if postings:
        for name in cat.postings:
            value = values.get(name)
            if value is None:
                continue
            field = schema[name]
            if isinstance(field, ParlText):
                text = "\n".join(value) if isinstance(value, (list, tuple)) else value
                terms = LANGUAGES[field.language].positions(text)
                weights = array("f", map(len, terms.values()))
                positions = array("I")
                for plist in terms.values():
                    positions.extend(plist)
            else:
                terms, weights = {}, array("f")
                positions = array("I") if field.format.supports("positions") else None
                for btext, freq, weight, vstring in field.index(value):
                    terms[btext.decode("utf-8")] = None
                    weights.append(float(freq if positions is not None else weight))
                    if positions is not None:
                        positions.extend(field.format.decode_positions(vstring))
            if terms:
                lengths[name] = int(sum(weights)) if positions is not None else len(terms)
                by_field[name] = (list(terms), weights.tobytes(),
                                  positions.tobytes() if positions is not None else None)
    exact = [int(lengths.get(name, 0)) for name in cat.scored]
    numbers = []
    for name in cat.numbers:
        value = values.get(name)
        numbers.append(int(schema[name].to_column_value(value)) if value is not None else None)
    labels = []
    for name in cat.labels:
        value = values.get(name)
        labels.append(bytes(schema[name].to_column_value(value)) if value is not None else None)
    return DocumentRow(doc.id, doc.moncode, doc.content_hash, bytes(length_to_byte(n) for n in exact), exact,
                       numbers, labels, _payload(doc), by_field)


class Segment:
    """The postings of the documents written in one segment, as flat arrays, turned into one row per term
    (sorted by field and term) when written."""

    def __init__(self, cat: Catalogue):
        self.cat = cat
        self._fields = {name: i for i, name in enumerate(cat.postings)}
        self._positional = set(cat.positional)
        self._terms: list[dict] = [{} for _ in cat.postings]  # per field: term → term number
        self._names: list[tuple] = []  # term number → (field index, term)
        self._tid = array("i")
        self._doc = array("i")
        self._weight = array("f")  # (float32: exact for frequencies below 2^24)
        self._positions = array("I")

    @property
    def postings(self) -> int:
        return len(self._doc)

    def add(self, docnum: int, by_field: dict) -> None:
        """Add the postings of document `docnum` (DocumentRow.postings); documents must be added in
        increasing number."""
        names = self._names
        for name, (terms, weights, positions) in by_field.items():
            fi = self._fields[name]
            index = self._terms[fi]
            tids = []
            for term in terms:
                tid = index.get(term)
                if tid is None:
                    tid = index[term] = len(names)
                    names.append((fi, term))
                tids.append(tid)
            self._tid.extend(tids)
            self._doc.extend(array("i", (docnum,)) * len(tids))
            self._weight.frombytes(weights)
            if positions is not None:
                self._positions.frombytes(positions)

    def rows(self, segment: int):
        """(field, term, segment, df, layout, ids, weights, positions) of every term, by field and term."""
        if not self._names:
            return
        tid = np.frombuffer(self._tid, dtype=np.int32)
        doc = np.frombuffer(self._doc, dtype=np.int32)
        weight = np.frombuffer(self._weight, dtype=np.float32)
        names = self._names
        fieldnames = self.cat.postings
        positional = np.array([fieldnames[fi] in self._positional for fi, _ in names], dtype=bool)
        counts = weight.astype(np.int32)  # each posting's positions: its frequency, in positional fields
        counts[~positional[tid]] = 0
        flat = np.frombuffer(self._positions, dtype=np.uint32)
        starts = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        order = np.argsort(tid, kind="stable")  # postings of a term stay in document order
        sorted_tid = tid[order]
        bounds = np.flatnonzero(np.diff(sorted_tid)) + 1
        begins = np.concatenate(([0], bounds))
        ends = np.concatenate((bounds, [len(order)]))
        for t in sorted(range(len(begins)), key=lambda i: (fieldnames[names[sorted_tid[begins[i]]][0]],
                                                            names[sorted_tid[begins[i]]][1])):
            a, b = begins[t], ends[t]
            fi, term = names[sorted_tid[a]]
            which = order[a:b]
            positions = None
            if fieldnames[fi] in self._positional:
                c = counts[which]
                total = int(c.sum())
                gather = np.repeat(starts[which] - np.concatenate(([0], np.cumsum(c)[:-1])), c) + np.arange(total)
                positions = flat[gather]
            layout, ids, weights, pbytes = pack(doc[which], weight[which], positions)
            yield fieldnames[fi], stored_term(term), segment, int(b - a), layout, ids, weights, pbytes


#: Documents a worker process analyses at a time (--jobs).
ANALYSIS_BATCH = 200
_worker_schema = None


def _analyse(batch: list) -> list:
    """In a worker process: [(docnum, DocumentRow)] of [(docnum, Document)]."""
    global _worker_schema
    if _worker_schema is None:
        from ..schema import build_schema
        _worker_schema = build_schema()
    cat = catalogue(_worker_schema)  # (from tables.py)
    return [(docnum, document_row(doc, _worker_schema, cat)) for docnum, doc in batch]


class Analysis:
    """`--jobs N`: documents analysed by N worker processes, ANALYSIS_BATCH at a time, handed back in order
    (at most 2N batches under way, so memory stays bounded); this process writes (COPY) meanwhile."""

    def __init__(self, jobs: int):
        import multiprocessing
        from collections import deque
        self.jobs = jobs
        self.pool = multiprocessing.get_context("fork").Pool(jobs)
        self.pending: list = []
        self.running = deque()

    def add(self, docnum: int, doc):
        self.pending.append((docnum, doc))
        if len(self.pending) < ANALYSIS_BATCH:
            return
        self.running.append(self.pool.apply_async(_analyse, (self.pending,)))
        self.pending = []
        while len(self.running) > 2 * self.jobs:
            yield from self.running.popleft().get()

    def drain(self):
        if self.pending:
            self.running.append(self.pool.apply_async(_analyse, (self.pending,)))
            self.pending = []
        while self.running:
            yield from self.running.popleft().get()

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()
