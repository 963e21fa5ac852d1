"""Documents → the postings of the segment being written, held as arrays (index/fastwriter.py's bulk path).

Documents come in batches. Each text is tokenised once (analysis.raw_tokens). A TokenCoder turns each
*distinct* raw token, once, into its layout in every language that reads it (Language.layout: the ids of
its terms, their position offsets, the positions it takes); a whole batch of tokens then becomes term ids and
positions through one dictionary lookup per token and a dozen numpy operations per batch. A source text of
the exact field is read once for both fields: its language's terms for its own field and the exact forms
for the exact field, whose positions continue from one source text to the next (schema.exact_text).

Held per field until the segment is written (index/recordwriter.py): for each occurrence of a term (one
position) its term id (4 bytes) and position (2 bytes; 4 once a field passes 65,535 positions in a
document), and per document how many occurrences it has — ~8 bytes a posting on generated questions (1.3
positions a posting), where the writer this replaces held ~41. Postings that arrive one at a time (fields
outside the direct path, whoosh's own merge through add_reader) are held as postings: term id, document,
weight and positions.
"""
from __future__ import annotations

from array import array
from itertools import chain

import numpy as np

from .analysis import raw_tokens
from .schema import EXACT_FIELD, exact_text

#: In-memory cost of a term of a segment's vocabulary: the str, its dict slot and list slot (measured ~110
#: bytes for the generated corpus's terms; 160 leaves room for longer ones).
BYTES_PER_TERM = 160
#: Distinct raw tokens a TokenCoder remembers (each ~200 bytes with its row): beyond, it starts afresh.
MAX_CODER_ROWS = 300_000
BYTES_PER_CODER_ROW = 200
#: In-memory cost of a posting held one at a time (term id, document, weight, position count).
BYTES_PER_SINGLE_POSTING = 20



class Vocabulary:
    """Term → id for the segment being written: ids in order of first appearance."""

    __slots__ = ("ids", "terms", "_ranks", "_order")

    def __init__(self):
        self.ids: dict = {}
        self.terms: list = []
        self._ranks = self._order = None

    def id(self, term) -> int:
        i = self.ids.get(term)
        if i is None:
            i = self.ids[term] = len(self.terms)
            self.terms.append(term)
            self._ranks = None
        return i

    def __len__(self) -> int:
        return len(self.terms)

    def ranks(self) -> np.ndarray:
        """rank[id]: the term's place in term order (str terms sort by code point, which is UTF-8 byte order)."""
        if self._ranks is None or len(self._ranks) != len(self.terms):
            order = sorted(range(len(self.terms)), key=self.terms.__getitem__)
            ranks = np.empty(len(order), dtype=np.uint32)
            ranks[np.array(order, dtype=np.int64)] = np.arange(len(order), dtype=np.uint32)
            self._ranks, self._order = ranks, order
        return self._ranks

    def ranked_ids(self) -> list:
        """The term ids in term order (order[rank] = id)."""
        self.ranks()
        return self._order

    def term_bytes(self, tid: int) -> bytes:
        term = self.terms[tid]
        return term.encode("utf-8") if isinstance(term, str) else term


class TokenCoder:
    """Raw tokens → term ids and positions in one or more languages at once (see the module doc).

    Each distinct raw token becomes a row; per language, a row holds how many terms the token gives, where
    they start in the flat term tables, and how many positions the token takes. Rows refer to the
    vocabularies' ids, so a coder lives as long as its vocabularies (one segment)."""

    def __init__(self, languages, vocabularies):
        self.languages = tuple(languages)
        self.vocabularies = tuple(vocabularies)
        self._rows: dict[str, int] = {}
        k = len(self.languages)
        self._nterms = [array("i") for _ in range(k)]
        self._first = [array("i") for _ in range(k)]
        self._advance = [array("i") for _ in range(k)]
        self._tids = [array("I") for _ in range(k)]
        self._offsets = [array("i") for _ in range(k)]

    def __len__(self) -> int:
        return len(self._rows)

    def _add(self, raw: str) -> int:
        row = len(self._rows)
        for k, lang in enumerate(self.languages):
            placed, advance = lang.layout(raw)
            vocab_id = self.vocabularies[k].id
            self._first[k].append(len(self._tids[k]))
            self._nterms[k].append(len(placed))
            self._advance[k].append(advance)
            for term, offset in placed:
                self._tids[k].append(vocab_id(term))
                self._offsets[k].append(offset)
        self._rows[raw] = row
        return row

    def rows(self, raws: list) -> np.ndarray:
        """The row of each raw token (new tokens get theirs)."""
        get = self._rows.get
        try:  # every token known (the usual case once a few batches are read): no list of Python ints
            return np.fromiter(map(get, raws), dtype=np.int64, count=len(raws))
        except TypeError:  # a new token (None)
            pass
        rows = list(map(get, raws))
        i = rows.index(None)
        while True:
            row = get(raws[i])  # the same new token earlier in this batch already has one
            rows[i] = row if row is not None else self._add(raws[i])
            try:
                i = rows.index(None, i + 1)
            except ValueError:
                return np.array(rows, dtype=np.int64)

    def decode(self, rows: np.ndarray, k: int, text_tokens: np.ndarray):
        """Language k's reading of texts whose tokens' rows are `rows`, text after text (`text_tokens[j]`
        tokens in text j): (term ids, positions counted from each text's start, occurrences per text,
        positions each text takes)."""
        nterms = np.frombuffer(self._nterms[k], dtype=np.int32)
        advance = np.frombuffer(self._advance[k], dtype=np.int32)
        first = np.frombuffer(self._first[k], dtype=np.int32)
        tids = np.frombuffer(self._tids[k], dtype=np.uint32)
        offsets = np.frombuffer(self._offsets[k], dtype=np.int32)
        text_first = np.cumsum(text_tokens) - text_tokens
        adv = advance[rows].astype(np.int64)
        taken_before = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(adv, out=taken_before[1:])
        taken = taken_before[text_first + text_tokens] - taken_before[text_first]
        token_start = taken_before[:-1] - np.repeat(taken_before[text_first], text_tokens)
        n = nterms[rows].astype(np.int64)
        occ_before = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(n, out=occ_before[1:])
        per_text = occ_before[text_first + text_tokens] - occ_before[text_first]
        total = int(occ_before[-1])
        if total == len(rows) and (total == 0 or n.min() == 1):  # one term a token (no stopword, no compound)
            index = first[rows].astype(np.int64)
            starts = token_start
        else:
            index = np.repeat(first[rows].astype(np.int64) - occ_before[:-1], n) + np.arange(total, dtype=np.int64)
            starts = np.repeat(token_start, n)
        return tids[index], starts + offsets[index], per_text, taken


def _append(held: array, values: np.ndarray) -> array:
    """`held` with `values` appended: 2-byte items until a value needs 4 (then every item is widened)."""
    if held.typecode == "H" and len(values) and int(values.max()) > 0xFFFF:
        wide = array("I")
        wide.frombytes(np.frombuffer(held, dtype=np.uint16).astype(np.uint32).tobytes())
        held = wide
    held.frombytes(values.astype(np.uint16 if held.typecode == "H" else np.uint32).tobytes())
    return held


def as_array(held: array) -> np.ndarray:
    """A held array as numpy (a view, no copy)."""
    return np.frombuffer(held, dtype=np.uint16 if held.typecode == "H" else np.uint32)


class FieldPostings:
    """One field's postings in the segment being written (see the module doc)."""

    def __init__(self, vocabulary: Vocabulary, positional: bool, text_keys: bool):
        self.vocabulary = vocabulary
        self.positional = positional
        self.text_keys = text_keys  # the vocabulary holds str terms (a direct field) rather than bytes
        # Occurrences of the direct path, and per document (in docnum order) how many. Term ids and positions
        # take 2 bytes until one does not fit (a vocabulary of 65,536 terms, a field of 65,536 positions).
        self.tids = array("H")
        self.positions = array("H")
        self.docs = array("I")
        self.counts = array("I")
        # Postings that came one at a time.
        self.single_tids = array("I")
        self.single_docs = array("I")
        self.single_weights = array("d")
        self.single_npos = array("I")
        self.single_positions = array("I")

    def nbytes(self) -> int:
        return sum(a.itemsize * len(a) for a in (self.tids, self.positions, self.docs, self.counts)) + \
            BYTES_PER_SINGLE_POSTING * len(self.single_tids) + 4 * len(self.single_positions)

    def add_occurrences(self, docnums: np.ndarray, counts: np.ndarray, tids: np.ndarray, positions: np.ndarray):
        """Occurrences of documents `docnums` (ascending, after those held), `counts[i]` of them for document i,
        in document then position order."""
        keep = counts > 0
        if not keep.all():
            docnums, counts = docnums[keep], counts[keep]
        if not len(docnums):
            return
        self.docs.frombytes(docnums.astype(np.uint32).tobytes())
        self.counts.frombytes(counts.astype(np.uint32).tobytes())
        self.tids = _append(self.tids, tids)
        self.positions = _append(self.positions, positions)

    def add_posting(self, term, docnum: int, weight: float, positions) -> int:
        """One posting (its document after every document held in this field); returns 1 for a new term."""
        vocab = self.vocabulary
        new = term not in vocab.ids
        self.single_tids.append(vocab.id(term))
        self.single_docs.append(docnum)
        self.single_weights.append(weight)
        if self.positional:
            self.single_npos.append(len(positions))
            self.single_positions.extend(positions)
        return int(new)

    def __bool__(self) -> bool:
        return bool(len(self.tids) or len(self.single_tids))




class SegmentPostings:
    """Every field's postings of the segment being written.

    `direct` maps the fields read through the TokenCoder to their Language (index/fastwriter.py checks that
    this path gives what the field's own index() gives); `exact_sources`, when not empty, are the fields
    whose texts make the exact field (schema.EXACT_SOURCES), each read once for both."""

    def __init__(self, schema, direct: dict, exact_sources: tuple = ()):
        self.schema = schema
        self.direct = direct
        self.exact_sources = tuple(exact_sources)
        self.exact_language = direct.get(EXACT_FIELD) if self.exact_sources else None
        # Fields in the order add_batch reads them: the exact field's sources first, in their order.
        self._order = [f for f in self.exact_sources] + [f for f in direct if f not in self.exact_sources
                                                          and f != EXACT_FIELD]
        self.reset()

    def reset(self) -> None:
        """Forget every posting (the segment is written)."""
        self.vocabularies: dict = {}
        self.fields: dict[str, FieldPostings] = {}
        self.coders: dict = {}

    def field(self, fieldname: str) -> FieldPostings:
        fp = self.fields.get(fieldname)
        if fp is None:
            lang = self.direct.get(fieldname)
            vocab = self.vocabulary(("language", lang.name) if lang is not None else ("field", fieldname))
            fp = self.fields[fieldname] = FieldPostings(vocab, self.schema[fieldname].format.supports("positions"),
                                                        lang is not None)
        return fp

    def vocabulary(self, key) -> Vocabulary:
        vocab = self.vocabularies.get(key)
        if vocab is None:
            vocab = self.vocabularies[key] = Vocabulary()
        return vocab

    def _coder(self, *languages) -> TokenCoder:
        key = tuple(lang.name for lang in languages)
        coder = self.coders.get(key)
        if coder is None or len(coder) > MAX_CODER_ROWS:
            coder = self.coders[key] = TokenCoder(
                languages, [self.vocabulary(("language", lang.name)) for lang in languages])
        return coder

    def nbytes(self) -> int:
        """Memory held, estimated (see the constants)."""
        return (sum(fp.nbytes() for fp in self.fields.values())
                + BYTES_PER_TERM * sum(len(v) for v in self.vocabularies.values())
                + BYTES_PER_CODER_ROW * sum(len(c) for c in self.coders.values()))

    def add_posting(self, fieldname: str, tbytes: bytes, docnum: int, weight: float, positions) -> int:
        """One posting that comes on its own (its document after every document held in the field)."""
        fp = self.field(fieldname)
        return fp.add_posting(tbytes.decode("utf-8") if fp.text_keys else tbytes, docnum, weight, positions)

    def add_batch(self, docs: list) -> dict:
        """Read the direct fields of `docs` ([(docnum, field values)], docnums ascending, after every document
        held) into the held postings; returns {field: [length of the field in each document]} (the number of
        its occurrences, as whoosh counts a document's field length)."""
        count = len(docs)
        lengths = {}
        sources = self.exact_sources
        exact = self.exact_language
        derived = [False] * count
        if exact is not None:
            for i, (_, fields) in enumerate(docs):
                value = fields.get(EXACT_FIELD)
                if type(value) is str and all(type(fields.get(f)) in (str, type(None)) for f in sources):
                    derived[i] = value == exact_text(fields)
        exact_parts = []
        exact_base = np.zeros(count, dtype=np.int64)
        for fieldname in self._order:
            lang = self.direct[fieldname]
            idx = [i for i, (_, fields) in enumerate(docs) if fields.get(fieldname) is not None]
            if not idx:
                continue
            texts = [docs[i][1][fieldname] for i in idx]
            texts = [t if type(t) is str else "\n".join(t) for t in texts]
            both = exact is not None and fieldname in sources
            coder = self._coder(lang, exact) if both else self._coder(lang)
            tokens = [raw_tokens(t) for t in texts]
            text_tokens = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
            rows = coder.rows(list(chain.from_iterable(tokens)))
            tids, pos, per_text, _ = coder.decode(rows, 0, text_tokens)
            docnums = np.array([docs[i][0] for i in idx], dtype=np.int64)
            self.field(fieldname).add_occurrences(docnums, per_text, tids, pos)
            column = np.zeros(count, dtype=np.int64)
            at = np.array(idx, dtype=np.int64)
            column[at] = per_text
            lengths[fieldname] = column
            if both:
                keep_text = np.array([derived[i] for i in idx], dtype=bool)
                if keep_text.any():
                    xtids, xpos, xper, xtaken = coder.decode(rows, 1, text_tokens)
                    keep = np.repeat(keep_text, xper)
                    occ_doc = np.repeat(at, xper)
                    xpos = xpos + np.repeat(exact_base[at], xper)
                    exact_parts.append((occ_doc[keep], xtids[keep], xpos[keep]))
                    exact_base[at[keep_text]] += xtaken[keep_text]
        if EXACT_FIELD in self.direct:
            lengths[EXACT_FIELD] = self._add_exact(docs, derived, exact_parts)
        return {name: column.tolist() for name, column in lengths.items()}

    def _add_exact(self, docs, derived, parts) -> np.ndarray:
        """The exact field: occurrences gathered from its source texts, and documents whose exact text is
        not derived from them read on their own."""
        own = [i for i, (_, fields) in enumerate(docs) if not derived[i] and fields.get(EXACT_FIELD) is not None]
        if own:
            coder = self._coder(self.direct[EXACT_FIELD])
            texts = [docs[i][1][EXACT_FIELD] for i in own]
            tokens = [raw_tokens(t if type(t) is str else "\n".join(t)) for t in texts]
            text_tokens = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
            tids, pos, per_text, _ = coder.decode(coder.rows(list(chain.from_iterable(tokens))), 0, text_tokens)
            parts.append((np.repeat(np.array(own, dtype=np.int64), per_text), tids, pos))
        count = len(docs)
        if not parts:
            return np.zeros(count, dtype=np.int64)
        doc = np.concatenate([p[0] for p in parts])
        order = np.argsort(doc, kind="stable")  # document order; within one, source after source, positions rising
        doc = doc[order]
        per_doc = np.bincount(doc, minlength=count)
        docnums = np.array([d for d, _ in docs], dtype=np.int64)
        self.field(EXACT_FIELD).add_occurrences(docnums, per_doc, np.concatenate([p[1] for p in parts])[order],
                                                np.concatenate([p[2] for p in parts])[order])
        return per_doc
