"""Lean whoosh segment writers for bulk indexing: same index content, a fraction of the Python overhead.

whoosh's SegmentWriter pushes every posting, one at a time, through a generic external-sort pool
(size accounting per posting), sorts all of them as 5-tuples, then feeds them one by one to the codec's
posting writer (type asserts and statistics per posting) with a lookup of the field length per posting.

FastSegmentWriter keeps, per field, term → (docnums array, weights array, values list) in memory, and
builds ParlText postings straight from Language.positions (the same postings as ParlText.index, checked
when the writer starts). Documents are added in docnum order, so each term's postings are already sorted:
at flush only the terms are sorted, and each posting list is cut into the codec's blocks with a few
C-level operations per block. The bytes
written follow whoosh's W3 codec exactly (same blocks, statistics, term infos and per-document data), so
any whoosh reader, merge or later update treats the segment like one it wrote itself. When the in-memory
postings exceed the writer's memory limit, the current segment is finished and a new one started; all
of them become visible together, in the run's single TOC write.

ParallelWriter streams documents, in batches, to forked worker processes that write them the same way into
their own segments (their field values are made by the worker that writes them); the parent reads and plans,
then commits every worker's segments in one atomic TOC write. A run killed before that write leaves the
previous commit intact; the orphaned segment files are cleaned up by the next commit.

Size (~530 lines): the single-process and the fork-based parallel writer share the posting layout, the
flush and the commit protocol; keeping them together keeps one place that must match whoosh's W3 codec.
"""
from __future__ import annotations

import gc
import os
import pickle
import signal
import struct
import sys
import traceback
import zlib
from array import array
from itertools import chain
from operator import sub

from whoosh import formats
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3Codec, W3TermInfo, _lenfield
from whoosh.system import pack_int, pack_uint, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import CLEAR, SegmentWriter

#: In-memory cost of one buffered posting: its document number (4 bytes in an array), weight (8, a double as
#: whoosh computes it) and a reference to its encoded positions (8; most postings hold one position, whose
#: bytes are shared), plus the multi-position values (~20% of postings, ~45 bytes each) and array growth.
#: Measured (RSS growth over postings, 2,000 generated questions, 715 postings each): 41 bytes; the flat list
#: of Python objects per term it replaces took ~90, so a segment now holds twice as many documents.
BYTES_PER_POSTING = 40
#: In-memory cost of one term of one field: its bytes, dict slot, the tuple and two arrays and a list.
BYTES_PER_TERM = 400


def _append_posting(terms: dict, tbytes: bytes, docnum: int, weight: float, vbytes) -> int:
    """Append one posting to `terms[tbytes]` ((docnums, weights, values), in docnum order); 1 if the term
    is new."""
    cols = terms.get(tbytes)
    if cols is None:
        terms[tbytes] = (array("I", (docnum,)), array("d", (weight,)), [vbytes or b""])
        return 1
    cols[0].append(docnum)
    cols[1].append(weight)
    cols[2].append(vbytes or b"")
    return 0


#: Encoded single positions, shared between postings (most postings hold one position). The values are
#: equal bytes either way; sharing lets pickle write a repeated value of a block as a back-reference.
_SINGLE: dict[int, bytes] = {}
_SINGLE_LIMIT = 1 << 16
_COUNTS = [pack_uint(n) for n in range(256)]


def _encode_positions(poslist) -> bytes:
    """whoosh's Positions.encode: the count, then the pickled list of deltas (same bytes)."""
    deltas = []
    base = 0
    for pos in poslist:
        deltas.append(pos - base)
        base = pos
    n = len(deltas)
    return (_COUNTS[n] if n < 256 else pack_uint(n)) + pickle.dumps(deltas, 2)


_SAMPLE = ("Qu'en est-il de l'accessibilité des flexi-jobs à hub.brussels ? 13.622.302 euros, 1,5 % ; "
           "Faut-il consacrer l'été 2025 aux titres-services ? Dilliès, Œuvre, ﬁnances. Het fietspad en de "
           "vélo-stationnement. Combien de vélos ? Vélos, vélos, vélos.\nL'AVCB et la STIB-MIVB.")


def _direct_positions(field):
    """Language.positions for a ParlText field whose index() it reproduces, else None."""
    try:
        from .analysis import LANGUAGES
        from .schema import ParlText
    except ImportError:
        return None
    if not isinstance(field, ParlText) or type(field.format) is not formats.Positions:
        return None
    lang = LANGUAGES.get(getattr(field, "language", None))
    if lang is None:
        return None
    boost = field.format.field_boost
    try:
        expect = sorted(field.index(_SAMPLE))
        got = sorted((term.encode("utf-8"), len(pl), boost * len(pl), _encode_positions(pl))
                     for term, pl in lang.positions(_SAMPLE).items())
    except Exception:
        return None
    return lang.positions if expect == got else None


#: While a segment's postings are written, progress is reported every this many terms.
PROGRESS_TERMS = 2048


def _write_postings(fieldwriter, schema, terms_by_field, lengths_for, codec, on_postings=None):
    """Write the buffered postings of a segment through `fieldwriter` (a W3FieldWriter), exactly as
    whoosh's FieldWriter.add_postings + W3PostingsWriter would, but block by block instead of posting
    by posting. `on_postings(n)` is told how many postings are written so far, every PROGRESS_TERMS terms."""
    written = 0
    countdown = PROGRESS_TERMS
    blocklimit = codec._blocklimit
    compression = codec._compression
    inlinelimit = codec._inlinelimit
    postfile = fieldwriter._postfile
    tindex_add = fieldwriter._tindex.add
    dumps = pickle.dumps
    compress = zlib.compress
    for fieldname in sorted(terms_by_field):
        terms = terms_by_field[fieldname]
        if not terms:
            continue
        fieldobj = schema[fieldname]
        fieldwriter.start_field(fieldname, fieldobj)
        fieldprefix = pack_ushort(fieldwriter._fieldid)
        fixedsize = fieldobj.format.fixed_value_size()
        lengths = lengths_for(fieldname)
        nlengths = len(lengths)
        # Text keys (direct fields) sort like their UTF-8 bytes: code point order is UTF-8 byte order.
        for key in sorted(terms):
            ids, weights, values = terms[key]
            tbytes = key.encode("utf-8") if isinstance(key, str) else key
            n = len(ids)
            written += n
            countdown -= 1
            if not countdown:
                countdown = PROGRESS_TERMS
                if on_postings is not None:
                    on_postings(written)
            terminfo = W3TermInfo()
            inline = n <= blocklimit and n < inlinelimit
            if not inline:
                startoffset = postfile.tell()
                postfile.write(WHOOSH3_HEADER_MAGIC)
            tweight, tminlen, tmaxlen, tmaxweight = 0, None, 0, 0
            for start in range(0, n, blocklimit):
                end = min(start + blocklimit, n)
                if n <= blocklimit:
                    bids, bweights = ids, weights
                else:
                    bids, bweights = ids[start:end], weights[start:end]
                fweights = array("f", bweights)
                # Field lengths as whoosh's writer sees them: the stored length byte, 0 when none.
                if nlengths:
                    try:
                        lbytes = bytes(map(lengths.__getitem__, bids))
                    except IndexError:
                        lbytes = bytes(lengths[d] if d < nlengths else 0 for d in bids)
                    if 0 in lbytes:
                        lbytes = lbytes.replace(b"\x00", b"")
                else:
                    lbytes = None
                if lbytes:
                    minlength = byte_to_length(min(lbytes))
                    maxlength = byte_to_length(max(lbytes))
                else:
                    minlength, maxlength = None, 0
                maxweight = max(bweights)
                if not maxweight > 0:
                    maxweight = 0
                # W3TermInfo.add_block
                tweight += sum(fweights)
                if tminlen is None:
                    tminlen = minlength
                else:
                    tminlen = min(tminlen, minlength)
                tmaxlen = max(tmaxlen, maxlength)
                tmaxweight = max(tmaxweight, maxweight)
                # Values as W3PostingsWriter buffers them (empty values are not kept).
                if fixedsize == 0:
                    bvalues = None
                else:
                    bvalues = values[start:end]
                    if not all(bvalues):
                        bvalues = [v for v in bvalues if v]
                    if inline:
                        bvalues = tuple(bvalues)
                    elif fixedsize is None or fixedsize < 0:
                        bvalues = tuple(bvalues)
                    else:
                        bvalues = b"".join(bvalues)
                if inline:  # W3TermInfo.set_inline
                    terminfo._inlined = (tuple(bids), tuple(fweights), bvalues or ())
                    continue
                # W3PostingsWriter._write_block
                if fweights.count(1.0) == len(fweights):
                    mweights = None
                elif fweights.count(fweights[0]) == len(fweights):
                    mweights = fweights[0]
                else:
                    mweights = tuple(fweights)
                deltas = tuple(map(sub, bids, chain((0,), bids)))  # whoosh's delta_encode
                databytes = dumps((deltas, mweights, bvalues), 2)
                if compression:
                    databytes = compress(databytes, compression)
                infobytes = dumps((len(bids), bids[-1], maxweight, compression,
                                   length_to_byte(minlength), length_to_byte(maxlength)), 2)
                blocklength = len(infobytes) + len(databytes)
                if end == n:
                    blocklength = -blocklength
                postfile.write(pack_int(blocklength) + infobytes + databytes)
            terminfo._weight = tweight
            terminfo._df = n
            terminfo._minlength = tminlen
            terminfo._maxlength = tmaxlen
            terminfo._maxweight = tmaxweight
            terminfo._minid = ids[0]
            terminfo._maxid = ids[-1]
            if not inline:
                terminfo.set_extent(startoffset, postfile.tell() - startoffset)
            tindex_add(fieldprefix + tbytes, terminfo.to_bytes())
        fieldwriter.finish_field()


class FastSegmentWriter(SegmentWriter):
    """A SegmentWriter (same constructor, same API) with lean posting handling; see the module doc."""

    def __init__(self, ix, limitmb=128, **kwargs):
        for name, field in ix.schema.items():
            if field.vector or field.separate_spelling():
                raise TypeError("FastSegmentWriter does not support term vectors or separate spelling "
                                "(field %r)" % name)
        if kwargs.get("codec") is not None and not isinstance(kwargs["codec"], W3Codec):
            raise TypeError("FastSegmentWriter writes whoosh's W3 codec only")
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self._terms: dict[str, dict[str | bytes, tuple]] = {}  # field → term (text for direct fields) → postings
        self._npostings = 0
        self._nterms = 0
        self._written_docs = 0  # documents of this run whose segments are written
        self._writing_total = None  # documents this run writes, once known (at commit)
        self._maxbytes = max(limitmb * 1024 * 1024, 100_000 * BYTES_PER_POSTING)
        self._finished: list = []  # segments completed by a rollover, committed with the last one
        self._fieldinfo: dict[str, tuple] = {}
        self._direct = {name: positions for name in self.schema.names()
                        if (positions := _direct_positions(self.schema[name])) is not None}

    def _field_info(self, fieldname):
        info = self._fieldinfo.get(fieldname)
        if info is None:
            field = self.schema[fieldname]
            info = self._fieldinfo[fieldname] = (
                field, field.indexed, field.scorable, field.stored, field.column_type,
                field.format.fixed_value_size() != 0 if field.indexed else False)
        return info

    def add_document(self, **fields):
        self._check_state()
        schema = self.schema
        docnum = self.docnum
        pdw = self.perdocwriter
        terms_by_field = self._terms
        docboost = self._doc_boost(fields) if "_boost" in fields else 1.0
        fieldnames = sorted([name for name in fields if not name.startswith("_")])
        self._check_fields(schema, fieldnames)
        npost = nterms = 0
        pdw.start_doc(docnum)
        for fieldname in fieldnames:
            value = fields[fieldname]
            if value is None:
                continue
            field, indexed, scorable, stored, column, keepvalues = self._field_info(fieldname)
            length = 0
            if indexed:
                fieldboost = self._field_boost(fields, fieldname, docboost)
                terms = terms_by_field.get(fieldname)
                if terms is None:
                    terms = terms_by_field[fieldname] = {}
                positions = self._direct.get(fieldname)
                if positions is not None:
                    # ParlText: the postings of ParlText.index, built without a generator and a tuple per
                    # posting (checked against ParlText.index when the writer starts).
                    text = "\n".join(value) if isinstance(value, (list, tuple)) else value
                    boost = field.format.field_boost
                    single = _SINGLE
                    for term, poslist in positions(text).items():
                        freq = len(poslist)
                        length += freq
                        if freq == 1:
                            vbytes = single.get(poslist[0])
                            if vbytes is None:
                                vbytes = _encode_positions(poslist)
                                if len(single) < _SINGLE_LIMIT:
                                    single[poslist[0]] = vbytes
                        else:
                            vbytes = _encode_positions(poslist)
                        # Text keys: encoded once per term at flush (same order).
                        nterms += _append_posting(terms, term, docnum, boost * freq * fieldboost, vbytes)
                        npost += 1
                else:
                    for tbytes, freq, weight, vbytes in field.index(value):
                        if scorable:
                            length += freq
                        nterms += _append_posting(terms, tbytes, docnum, weight * fieldboost, vbytes)
                        npost += 1
            customval = fields.get("_stored_%s" % fieldname, value)
            pdw.add_field(fieldname, field, customval if stored else None, length)
            if column and customval is not None:
                pdw.add_column_value(fieldname, column, field.to_column_value(customval))
        pdw.finish_doc()
        self._added = True
        self.docnum += 1
        self._npostings += npost
        self._nterms += nterms
        if self._npostings * BYTES_PER_POSTING + self._nterms * BYTES_PER_TERM >= self._maxbytes:
            self._rollover()

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

    def add_postings_to_pool(self, reader, startdoc, docmap):
        # Postings of a merged segment (add_reader during a commit's merge): appended after the documents
        # added so far, in docnum order, like those.
        terms_by_field = self._terms
        direct = self._direct
        for fieldname, tbytes, docnum, weight, vbytes in self._process_posts(reader.iter_postings(), startdoc,
                                                                             docmap):
            terms = terms_by_field.get(fieldname)
            if terms is None:
                terms = terms_by_field[fieldname] = {}
            if fieldname in direct:  # the keys of add_document's direct path are text
                tbytes = tbytes.decode("utf-8")
            self._nterms += _append_posting(terms, tbytes, docnum, weight, vbytes)
            self._npostings += 1

    def _flush_segment(self):
        self.perdocwriter.close()
        pdr = self.per_document_reader()
        cache = {}

        def lengths_for(fieldname):
            # One length byte per document (b"" when the field stores no lengths).
            if fieldname not in cache:
                reader = pdr._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
                cache[fieldname] = bytes(reader) if reader is not None else b""
            return cache[fieldname]

        try:
            segment_docs, postings = self.docnum, max(self._npostings, 1)
            base = self._written_docs

            def on_postings(n):
                self.progress("writing", base + segment_docs * min(n, postings) // postings, self._writing_total,
                              "documents")

            _write_postings(self.fieldwriter, self.schema, self._terms, lengths_for, self.codec, on_postings)
            self._written_docs += segment_docs
        finally:
            pdr.close()
        self._terms = {}
        self._npostings = self._nterms = 0
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

    def finished_segments(self) -> list:
        """Close the writer's segments without committing them (for a parent process that commits them);
        returns them in document order."""
        self._check_state()
        if self._added:
            self._finished.append(self._finalize_segment())
        else:
            self._close_segment()
        segments, self._finished = self._finished, []
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

    def _own_segments(self, mergetype, optimize, merge, total: int | None = None) -> list:
        """The segments this process contributes to the commit (merged old ones, rolled-over and last new)."""
        old = len(self.segments)
        if old > 1 and mergetype is not CLEAR:
            self.progress("merging", 0, old, "segments")
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        if old > 1 and mergetype is not CLEAR:
            self.progress("merging", old, old, "segments")
        mine = self._documents_in_run()
        self._writing_total = mine if total is None else total
        self.progress("writing", self._written_docs, self._writing_total, "documents")
        finalsegments.extend(self._finished)
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self.progress("writing", mine, self._writing_total, "documents")
        return finalsegments

    def _commit_segments(self, finalsegments: list) -> None:
        self.progress("committing", 0, 1, "steps")
        self._commit_toc(finalsegments)
        self._finish()
        self.progress("committing", 1, 1, "steps")

    def commit(self, mergetype=None, optimize=None, merge=None):
        self._check_state()
        self._commit_segments(self._own_segments(mergetype, optimize, merge))

    def cancel(self):
        self._terms = {}
        super().cancel()


def _die_with_parent() -> None:
    """Ask Linux to kill this (forked) process when its parent dies (best effort)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


_LENGTH = struct.Struct("<Q")


class WorkerTraceback(Exception):
    """The traceback of an error in a worker process, as text: the cause of the error the parent raises, so that
    `parlsearch --debug` shows where the worker failed while the user sees one line."""


def _send(fd: int, obj) -> None:
    data = pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)
    view = memoryview(_LENGTH.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _receive(fd: int):
    head = _read_exactly(fd, _LENGTH.size)
    return None if head is None else pickle.loads(_read_exactly(fd, _LENGTH.unpack(head)[0]) or b"")


def _read_exactly(fd: int, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class _Worker:
    """A forked child that writes the batches of documents it is sent into its own segments.

    It receives pickled batches [(to_fields, item), …] on one pipe and, after the end marker (None), answers
    on another with its segments and how many documents each holds (for the parent's tickets)."""

    def __init__(self, writer: "ParallelWriter", limitmb: float):
        to_child, self.send_fd = os.pipe()
        self.result_fd, from_child = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # child
            code = 1
            try:
                # Inherited objects are the parent's: never let this process's GC finalize one of them (a
                # file object collected here would flush the parent's buffered bytes into the shared fd).
                gc.freeze()
                os.close(self.send_fd)
                os.close(self.result_fd)
                for other in writer._workers:  # the other workers' pipe ends: their EOF must not wait on us
                    for fd in (other.send_fd, other.result_fd):
                        if fd is not None:
                            os.close(fd)
                _die_with_parent()
                if writer.writelock is not None and getattr(writer.writelock, "fd", None) is not None:
                    os.close(writer.writelock.fd)  # the lock stays with the parent alone
                try:
                    sub = FastSegmentWriter(writer._ix, _lk=False, limitmb=limitmb)
                    while (batch := _receive(to_child)) is not None:
                        for to_fields, item in batch:
                            sub.add_lazily(to_fields, item)
                        del batch
                    result = ("ok", [(segment, segment.doc_count_all()) for segment in sub.finished_segments()])
                    code = 0
                except BaseException as e:  # reported to the parent, which raises
                    detail = traceback.format_exc()
                    if isinstance(e, OSError):  # a full disk, a file-size limit: the parent raises it as such
                        result = ("oserror", (e.errno, e.strerror, e.filename, detail))
                    else:
                        result = ("error", ("%s: %s" % (type(e).__name__, e), detail))
                # Stop reading first: a parent still sending batches gets a broken pipe and comes to read
                # this answer, however long it is (an answer larger than the pipe's buffer would otherwise
                # leave both processes waiting on each other).
                os.close(to_child)
                _send(from_child, result)
            finally:
                os._exit(code)
        os.close(to_child)
        os.close(from_child)
        self.sequence: list[int] = []  # the tickets of the documents sent, in order

    def send(self, batch: list) -> None:
        try:
            _send(self.send_fd, batch)
        except BrokenPipeError:
            self.result()  # raises with the worker's error, or says it died
            raise RuntimeError("an indexing worker process stopped reading") from None

    def result(self) -> list:
        """[(segment, documents), …] once every batch has been sent."""
        if self.send_fd is not None:
            try:
                _send(self.send_fd, None)
            except BrokenPipeError:
                pass
            os.close(self.send_fd)
            self.send_fd = None
        answer = _receive(self.result_fd)
        os.close(self.result_fd)
        self.result_fd = None
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        if answer is None:
            raise RuntimeError("an indexing worker process died (exit status %d)" % status)
        kind, payload = answer
        if kind == "oserror":  # reported like the same error in this process (`cannot write the index: …`)
            errno, strerror, filename, detail = payload
            raise OSError(errno, strerror, filename) from WorkerTraceback(detail)
        if kind != "ok":
            message, detail = payload
            raise RuntimeError("an indexing worker process failed: %s" % message) from WorkerTraceback(detail)
        return payload

    def kill(self):
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
            self.pid = None
        for name in ("send_fd", "result_fd"):
            fd = getattr(self, name)
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(self, name, None)


class ParallelWriter(FastSegmentWriter):
    """Streams documents to `procs` forked worker processes that write them into their own segments; this
    process reads, plans and commits them all in one atomic TOC write.

    Memory stays bounded whatever the input: this process holds one batch (BATCH_DOCS documents) at a time,
    each worker one batch plus its in-memory postings, which roll over into a new segment at the worker's
    share of the memory limit. Batches go to the workers in turn, so the order of documents in the index
    (which only breaks ties between equal scores) is by batch and worker, not the input order. Until
    `min_docs` documents have come, nothing is forked: a small update is written by this process alone.

    `add_lazily(to_fields, item)` sends a reference-free pickle of `item` (a Document); its field values
    are made by the worker that writes it, one document at a time.
    """

    #: Documents per message to a worker (not the update's batch window, update.BATCH_DOCS, though of the
    #: same size): large enough to make pickling and pipe writes cheap (~10 MB of text), small enough that
    #: the workers start early and hold little.
    BATCH_DOCS = 1000

    def __init__(self, ix, procs=2, limitmb=1024, min_docs=1, **kwargs):
        self.procs = max(1, int(procs)) if hasattr(os, "fork") else 1  # no fork (Windows): one process
        self._totalmb = limitmb
        super().__init__(ix, limitmb=limitmb / self.procs, **kwargs)
        self._ix = ix
        self._min_docs = max(1, min_docs)
        self._pending: list[tuple] = []  # (ticket, to_fields, item) not sent yet
        self._workers: list[_Worker] = []
        self._turn = 0
        self._tickets = 0
        self._local: dict[int, tuple] = {}  # ticket → FastSegmentWriter ticket, for documents written here
        self._revoked: set[int] = set()

    def add_document(self, **fields):
        self.add_lazily(None, fields)

    def add_lazily(self, to_fields, item) -> int:
        self._check_state()
        ticket = self._tickets
        self._tickets += 1
        self._pending.append((ticket, to_fields, item))
        if self.procs > 1 and (self._workers or self._tickets >= self._min_docs) \
                and len(self._pending) >= min(self.BATCH_DOCS, self._min_docs):
            self._send_pending()
        return ticket

    def revoke(self, ticket: int) -> None:
        self._revoked.add(ticket)

    def _send_pending(self) -> None:
        if not self._workers:
            sys.stdout.flush()
            sys.stderr.flush()
            share = self._totalmb / self.procs
            for _ in range(self.procs):
                self._workers.append(_Worker(self, share))
        batch, self._pending = self._pending, []
        for start in range(0, len(batch), self.BATCH_DOCS):
            part = batch[start:start + self.BATCH_DOCS]
            worker = self._workers[self._turn % len(self._workers)]
            self._turn += 1
            worker.send([(to_fields, item) for _, to_fields, item in part])
            worker.sequence.extend(ticket for ticket, _, _ in part)

    def commit(self, mergetype=None, optimize=None, merge=None):
        self._check_state()
        try:
            if self._workers and self._pending:
                self._send_pending()
            for ticket, to_fields, item in self._pending:  # a small update: written here
                self._local[ticket] = FastSegmentWriter.add_lazily(self, to_fields, item)
            self._pending = []
            for ticket in self._revoked & self._local.keys():
                FastSegmentWriter.revoke(self, self._local[ticket])
            finalsegments = self._own_segments(mergetype, optimize, merge, total=self._tickets)
            written = len(self._local)
            for worker in self._workers:
                at = 0
                for segment, count in worker.result():
                    for docnum, ticket in enumerate(worker.sequence[at:at + count]):
                        if ticket in self._revoked:
                            segment.delete_document(docnum)
                    at += count
                    finalsegments.append(segment)
                written += at
                self.progress("writing", written, self._tickets, "documents")
            self._workers = []
        except BaseException:
            self._kill_workers()
            raise
        self._commit_segments(finalsegments)

    def _kill_workers(self):
        for worker in self._workers:
            worker.kill()
        self._workers = []

    def cancel(self):
        self._kill_workers()
        self._pending = []
        if not self.is_closed:
            super().cancel()
