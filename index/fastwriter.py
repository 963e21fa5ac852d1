"""The bulk segment writer: parlsearch's codec (index/codec.py) written from arrays, documents analysed in batches.

whoosh's SegmentWriter pushes every posting, one at a time, through a generic external-sort pool and then,
posting by posting, into the codec's field writer. FastSegmentWriter (same constructor, same API: it is a
SegmentWriter) holds documents until it has a batch of them (ANALYSIS_BATCH_DOCS), reads the batch's texts
into term-id and position arrays (index/inversion.py: each text tokenised once, also for the exact field),
writes each document's stored fields, lengths and columns through whoosh's own per-document writer, and at
the end of the segment writes every field's postings from those arrays (index/recordwriter.py). The index
content is what whoosh's SegmentWriter writes through the same codec (whoosh_compat checks it on a sample
before this writer is used; tests compare whole corpora).

Segments: when the held postings pass the memory limit, the segment is written and a new one started; at
commit, index/merge.py's policy merges segments (array merges: term by term, no re-analysis) so that a bulk
build leaves at most MAX_BULK_SEGMENTS and updates do not pile up small ones; everything becomes visible in
the run's single TOC write. The forked worker processes of `--jobs N` are in index/parallel.py.
"""
from __future__ import annotations

import numpy as np
from whoosh import fields as whoosh_fields, formats
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.writing import CLEAR, SegmentWriter

from .codec import ParlCodec
from .inversion import SegmentPostings, TokenCoder, Vocabulary
from .recordwriter import write_field

#: Documents analysed together: numpy's per-call cost is spread over ~250,000 tokens, and the batch's
#: texts (~3 MB of generated questions) are held once more at most.
ANALYSIS_BATCH_DOCS = 256
#: Held postings a writer may keep before it writes its segment (bytes, index/inversion.py's estimate),
#: as a share of its memory limit. The rest is for what the estimate leaves out (array growth, the batch of
#: documents, whoosh's per-document writer: ~5% more) and for writing the segment, whose chunked sort
#: (recordwriter.CHUNK_OCCURRENCES) takes ~90 MB more at its peak (measured: a 30,000-question segment,
#: 152 MB held by the estimate, RSS 239 MB before writing it, 327 MB at the peak, 80 MB of it the process).
HELD_SHARE = 0.6
#: The smallest memory limit a writer takes (whoosh's callers may pass tiny ones): segments of a few
#: documents would only make merges.
MIN_HELD_BYTES = 4 << 20
#: Distinct values whose postings are remembered per identifier, date or number field (see _postings_of).
MEMO_VALUES = 4096
#: whoosh's field types whose index() depends on the value alone.
_PURE_INDEX = (whoosh_fields.ID, whoosh_fields.DATETIME, whoosh_fields.NUMERIC, whoosh_fields.BOOLEAN)

_SAMPLE = ("Qu'en est-il de l'accessibilité des flexi-jobs à hub.brussels ? 13.622.302 euros, 1,5 % ; "
           "Faut-il consacrer l'été 2025 aux titres-services ? Dilliès, Œuvre, ﬁnances. Het fietspad en de "
           "vélo-stationnement. Combien de vélos ? Vélos, vélos, vélos.\nL'AVCB et la STIB-MIVB. Aujourd'hui "
           "d'Ursel.")


def direct_language(field):
    """The Language whose token layouts give exactly `field.index()`'s postings (a ParlText field), else None:
    checked on a sample text against the field's own index(), positions decoded by its format."""
    try:
        from .analysis import LANGUAGES
        from .schema import ParlText
    except ImportError:
        return None
    if not isinstance(field, ParlText) or type(field.format) is not formats.Positions \
            or field.format.field_boost != 1.0:
        return None
    lang = LANGUAGES.get(getattr(field, "language", None))
    if lang is None:
        return None
    try:
        expect = sorted((tbytes, freq, weight, list(field.format.decode_positions(vbytes)))
                        for tbytes, freq, weight, vbytes in field.index(_SAMPLE))
        vocab = Vocabulary()
        coder = TokenCoder((lang,), (vocab,))
        from .analysis import raw_tokens
        raws = raw_tokens(_SAMPLE)
        tids, pos, _, _ = coder.decode(coder.rows(raws), 0, np.array([len(raws)], dtype=np.int64))
        got: dict = {}
        for tid, p in zip(tids.tolist(), pos.tolist()):
            got.setdefault(vocab.terms[tid].encode("utf-8"), []).append(p)
        got = sorted((term, len(pl), float(len(pl)), pl) for term, pl in got.items())
    except Exception:  # noqa: BLE001  a field or format this path does not know: whoosh's index() is used
        return None
    return lang if got == expect else None


def inversion_plan(schema) -> tuple[dict, tuple]:
    """(field → Language of the fields read by the direct path, the exact field's source fields when each
    source text can be read once for both)."""
    from .schema import EXACT_FIELD, EXACT_SOURCES
    direct = {name: lang for name in schema.names() if (lang := direct_language(schema[name])) is not None}
    exact = direct.get(EXACT_FIELD)
    sources = EXACT_SOURCES if exact is not None and exact.name == "exact" and all(
        name in direct and direct[name].name != "exact" for name in EXACT_SOURCES) else ()
    return direct, sources


class FastSegmentWriter(SegmentWriter):
    """A SegmentWriter (same constructor, same API) writing parlsearch's codec in bulk; see the module doc."""

    def __init__(self, ix, limitmb=128, codec=None, **kwargs):
        for name, field in ix.schema.items():
            if field.vector or field.separate_spelling():
                raise TypeError("FastSegmentWriter does not support term vectors or separate spelling "
                                "(field %r)" % name)
        codec = ParlCodec() if codec is None else codec
        if not isinstance(codec, ParlCodec):
            raise TypeError("FastSegmentWriter writes parlsearch's codec (index/codec.py) only")
        super().__init__(ix, limitmb=limitmb, codec=codec, **kwargs)
        direct, sources = inversion_plan(self.schema)
        self._held = SegmentPostings(self.schema, direct, sources)
        self._unanalysed: list[tuple[int, dict]] = []  # (docnum, fields) not analysed yet
        self._written_docs = 0  # documents of this run whose segments are written
        self._writing_total = None  # documents this run writes, once known (at commit)
        self._maxbytes = max(limitmb * 1024 * 1024, MIN_HELD_BYTES) * HELD_SHARE
        self._finished: list = []  # segments completed by a rollover, committed with the last one
        self._fieldinfo: dict[str, tuple] = {}

    # -- documents -----------------------------------------------------------------------------------------

    def add_document(self, **fields):
        self._check_state()
        self._check_fields(self.schema, [name for name in fields if not name.startswith("_")])
        self._unanalysed.append((self.docnum, fields))
        self._added = True
        self.docnum += 1
        if len(self._unanalysed) >= ANALYSIS_BATCH_DOCS:
            self._analyse_pending()

    def add_lazily(self, to_fields, item) -> tuple[int, int]:
        """Add the document whose fields `to_fields(item)` makes (`item` itself when None); returns a ticket
        for revoke(): the segment (counted in this run) and the document number in it."""
        ticket = (len(self._finished), self.docnum)
        self.add_document(**(item if to_fields is None else to_fields(item)))
        return ticket

    def revoke(self, ticket: tuple[int, int]) -> None:
        """Delete a document added in this run (a later reading replaces it): marked deleted in its new
        segment, like an update marks the old version deleted in a committed one."""
        segment, docnum = ticket
        (self._finished[segment] if segment < len(self._finished) else self.newsegment).delete_document(docnum)

    def _field_info(self, fieldname):
        info = self._fieldinfo.get(fieldname)
        if info is None:
            field = self.schema[fieldname]
            info = self._fieldinfo[fieldname] = (field, field.indexed, field.scorable, field.stored,
                                                 field.column_type, field.format.supports("positions")
                                                 if field.indexed else False,
                                                 {} if type(field) in _PURE_INDEX else None)
        return info

    def _postings_of(self, field, value, positional: bool, memo) -> list:
        """[(term bytes, frequency, weight, positions or None)] of a value, as the field's own index() gives
        them; remembered per value for whoosh's identifier, date and number fields (`memo`), whose values
        repeat (a legislature, a date) and whose index() costs ~30 µs a date."""
        if memo is not None:
            try:
                known = memo.get(value)
            except TypeError:  # a list of values: not remembered
                known = memo = None
            if known is not None:
                return known
        decode = field.format.decode_positions if positional else None
        postings = [(tbytes, freq, weight, decode(vbytes) if decode is not None else None)
                    for tbytes, freq, weight, vbytes in field.index(value)]
        if memo is not None:
            if len(memo) >= MEMO_VALUES:
                memo.clear()
            memo[value] = postings
        return postings

    def _analyse_pending(self, may_roll_over: bool = True) -> None:
        """Analyse the held documents as one batch, then write their per-document data in docnum order, and
        start a new segment if the held postings passed the limit (`may_roll_over`). A document with whoosh's
        special keys (boosts, custom stored values: "_…") is indexed through its fields' own index(), as
        whoosh's writer does."""
        batch, self._unanalysed = self._unanalysed, []
        if not batch:
            return
        held = self._held
        slot: list = list(range(len(batch)))
        plain = [pair for pair in batch if not any(k[0] == "_" for k in pair[1])]
        if len(plain) != len(batch):
            n = 0
            for i, (_, fields) in enumerate(batch):
                if any(k[0] == "_" for k in fields):
                    slot[i] = None
                else:
                    slot[i], n = n, n + 1
        lengths = held.add_batch(plain)
        pdw = self.perdocwriter
        add_posting, field_info = held.add_posting, self._field_info
        for i, (docnum, fields) in enumerate(batch):
            k = slot[i]
            special = k is None
            pdw.start_doc(docnum)
            docboost = self._doc_boost(fields) if "_boost" in fields else 1.0
            for fieldname in sorted(fields):
                value = fields[fieldname]
                if value is None or fieldname[0] == "_":
                    continue
                field, indexed, scorable, stored, column, positional, memo = field_info(fieldname)
                length = 0
                if indexed:
                    analysed = lengths.get(fieldname) if not special else None
                    if analysed is not None:
                        length = analysed[k]
                    else:
                        boost = self._field_boost(fields, fieldname, docboost) if special else 1.0
                        for tbytes, freq, weight, positions in self._postings_of(field, value, positional,
                                                                                  memo if not special else None):
                            if scorable:
                                length += freq
                            add_posting(fieldname, tbytes, docnum, weight * boost, positions)
                customval = fields.get("_stored_%s" % fieldname, value) if special else value
                pdw.add_field(fieldname, field, customval if stored else None, length)
                if column and customval is not None:
                    pdw.add_column_value(fieldname, column, field.to_column_value(customval))
            pdw.finish_doc()
        if may_roll_over and held.nbytes() >= self._maxbytes:
            self._rollover()

    def add_reader(self, reader):
        # whoosh's merge (a merge policy given to commit): the reader's documents follow those added so far.
        self._analyse_pending()
        super().add_reader(reader)

    def add_postings_to_pool(self, reader, startdoc, docmap):
        held = self._held
        decoders = {}
        for fieldname, tbytes, docnum, weight, vbytes in self._process_posts(reader.iter_postings(), startdoc,
                                                                             docmap):
            decode = decoders.get(fieldname)
            if decode is None:
                fmt = self.schema[fieldname].format
                decode = decoders[fieldname] = fmt.decode_positions if fmt.supports("positions") else False
            held.add_posting(fieldname, tbytes, docnum, weight, decode(vbytes) if decode else None)

    # -- segments --------------------------------------------------------------------------------------------

    def _flush_segment(self):
        self._analyse_pending(may_roll_over=False)  # this segment is being written: its documents stay in it
        self.perdocwriter.close()
        pdr = self.per_document_reader()
        segment_docs = self.docnum
        try:
            held = self._held
            postings = max(sum(len(fp.tids) + len(fp.single_tids) for fp in held.fields.values()), 1)
            base, done = self._written_docs, [0]

            def progress(n):
                self.progress("writing", base + segment_docs * min(done[0] + n, postings) // postings,
                              self._writing_total, "documents")

            for fieldname in sorted(held.fields):
                fp = held.fields.pop(fieldname)  # its arrays freed once written: less held while later fields sort
                reader = pdr._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
                lengths = None
                if reader is not None:
                    lengths = np.zeros(segment_docs, dtype=np.uint8)
                    raw = np.frombuffer(bytes(reader._dbfile.get(reader._basepos, min(reader._count,
                                                                                          segment_docs))),
                                        dtype=np.uint8)
                    lengths[:len(raw)] = raw
                done[0] += write_field(self.fieldwriter, fieldname, self.schema[fieldname], fp, lengths, progress)
            self._written_docs += segment_docs
        finally:
            pdr.close()
        held.reset()
        self.fieldwriter.close()

    def _rollover(self):
        """Finish the current segment (kept for the commit) and continue in a new one."""
        self._finished.append(self._finalize_segment())
        codec, storage = self.codec, self.storage
        self.newsegment = codec.new_segment(storage, self.indexname)
        self.compound = self.newsegment.should_assemble()
        self.perdocwriter = codec.per_document_writer(storage, self.newsegment)
        self.fieldwriter = codec.field_writer(storage, self.newsegment)
        self.docnum = self.docbase = 0
        self._added = False

    def finished_segments(self, at_most: int | None = None) -> list:
        """Close the writer's segments without committing them (for a parent process that commits them);
        returns them in document order, merged down to `at_most` segments when given."""
        self._check_state()
        if self._added:
            self._finished.append(self._finalize_segment())
        else:
            self._close_segment()
        segments, self._finished = self._finished, []
        if at_most is not None and len(segments) > at_most:
            from .merge import array_merges_usable, merge_run
            if array_merges_usable():
                segments = merge_run(self, segments, at_most)
        self.is_closed = True
        return segments

    #: update_index reads this: the writer reports its writing, merging and committing phases itself, through
    #: `progress(phase, done, total, unit)` (set by the caller; silent by default).
    reports_phases = True

    @staticmethod
    def progress(phase: str, done: int, total, unit: str, **info) -> None:
        pass

    def _documents_in_run(self) -> int:
        return sum(segment.doc_count_all() for segment in self._finished) + self.docnum

    def _run_segments(self, total: int | None = None) -> list:
        """This process's new segments, written (the last one too), in document order."""
        mine = self._documents_in_run()
        self._writing_total = mine if total is None else total
        self.progress("writing", self._written_docs, self._writing_total, "documents")
        last = self._finalize_segment() if self._added else self._close_segment()
        segments, self._finished = self._finished + ([last] if last is not None else []), []
        self.progress("writing", mine, self._writing_total, "documents")
        return segments

    def _array_policy(self, mergetype, optimize, merge) -> bool:
        from .merge import array_merges_usable
        default = mergetype is None and not optimize and merge is not False
        return (default or mergetype is CLEAR) and array_merges_usable()

    def _commit_plan(self, mergetype, optimize, merge, collect) -> list:
        """The segments of the commit, `collect()` giving the run's new ones (written, in document order).

        By default, parlsearch's merge policy over the committed segments (none with CLEAR: a rebuild) and the
        new ones (index/merge.py). A merge policy given to commit() (whoosh's or another), or a whoosh whose
        segments index/merge.py cannot merge, runs as in whoosh: the merged segments go through add_reader
        into this run's last segment."""
        if self._array_policy(mergetype, optimize, merge):
            from .merge import merge_for_commit
            new = collect()
            old = [] if mergetype is CLEAR else list(self.segments)
            return merge_for_commit(self, old, new, bulk=not old)
        old = len(self.segments)
        if old > 1 and mergetype is not CLEAR:
            self.progress("merging", 0, old, "segments")
        self._analyse_pending()
        final = self._merge_segments(mergetype, optimize, merge)
        if old > 1 and mergetype is not CLEAR:
            self.progress("merging", old, old, "segments")
        return final + collect()

    def _commit_segments(self, finalsegments: list) -> None:
        from .checksums import seal
        self.progress("committing", 0, 1, "steps")
        for segment in finalsegments:  # the new segments' checksums, committed with them (index/checksums.py)
            seal(segment, self.storage)
        self._commit_toc(finalsegments)
        self._finish()
        self.progress("committing", 1, 1, "steps")

    def commit(self, mergetype=None, optimize=None, merge=None):
        self._check_state()
        self._commit_segments(self._commit_plan(mergetype, optimize, merge, self._run_segments))

    def cancel(self):
        self._unanalysed = []
        self._held.reset()
        super().cancel()
