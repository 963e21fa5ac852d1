"""Readings of one question in different runs are merged as readings within one run are (issue 19, item 1).

The bundled corpus holds a JSON record and an official Weblex page of the same two questions (167744, 170294):
the records carry the Dutch titles, the pages do not. Indexing one in a run and the other in a later run must
give the document that one run of both gives, in either order, with either writer."""
from __future__ import annotations

import json
import shutil

import pytest

from parlsearch.corpus.model import Document, merge
from parlsearch.corpus.reader import bundled_corpus
from parlsearch.index import update as update_module
from parlsearch.index.parallel import ParallelWriter
from parlsearch.index.store import open_index
from parlsearch.index.update import indexed_hashes, update_index
from parlsearch.search.engine.core import Engine

CORPUS = bundled_corpus()
RECORDS = CORPUS / "brussels-written-questions-2024-2029.json"
PAGES = CORPUS / "pages"
BOTH = ("PRB-1-167744", "PRB-1-170294")  # a record and a page each
WRITERS = pytest.mark.parametrize("jobs", [1, 2], ids=["writer", "parallel-writer"])


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 10 documents, and the parallel writer from 10 documents on."""
    monkeypatch.setattr(update_module, "BATCH_DOCS", 10)
    monkeypatch.setattr(update_module, "PARALLEL_MIN_DOCS", 10)
    monkeypatch.setattr(ParallelWriter, "BATCH_DOCS", 10)


def stored(index_dir, doc_id) -> Document:
    with Engine.open(index_dir) as engine:
        return engine.get(doc_id)


def generation(index_dir) -> int:
    return open_index(index_dir).latest_generation()


def record_of(moncode: str) -> dict:
    return next(r for r in json.loads(RECORDS.read_text(encoding="utf-8"))["questions"]
                if str(r.get("moncode")) == moncode)


def write_records(path, records) -> str:
    path.write_text(json.dumps({"questions": records}, ensure_ascii=False), encoding="utf-8")
    return path


def unanswered(record: dict) -> dict:
    """The same question as read before its answer was published."""
    return {k: v for k, v in record.items()
            if k not in ("reponse", "date_reponse", "date_publication", "empreinte_contenu")}


@WRITERS
@pytest.mark.parametrize("order", ["records-then-pages", "pages-then-records"])
def test_two_runs_give_the_document_of_one_run_in_either_order(tmp_path, small_batches, jobs, order):
    """The README's example: the JSON corpus indexed, then `parlsearch index ~/scraped-pages/` (or the other
    way round). The pages lack the Dutch titles: they must not erase them (`titel:` stopped matching)."""
    update_index([RECORDS, PAGES], tmp_path / "one-run")
    first, second = (RECORDS, PAGES) if order == "records-then-pages" else (PAGES, RECORDS)
    update_index([first], tmp_path / "two-runs", jobs=jobs)
    summary = update_index([second], tmp_path / "two-runs", jobs=jobs)
    assert indexed_hashes(open_index(tmp_path / "two-runs")) == indexed_hashes(open_index(tmp_path / "one-run"))
    for doc_id in BOTH:
        assert stored(tmp_path / "two-runs", doc_id).title_nl.startswith("Schriftelijke vraag")
    with Engine.open(tmp_path / "two-runs") as engine:
        assert engine.search("titel:expats").total == 1
        assert engine.search("titel:artificiële").total == 1
    if order == "records-then-pages":  # the pages bring nothing the records lack: nothing to write
        assert (summary.new, summary.updated, summary.unchanged) == (0, 0, 2)


@WRITERS
def test_an_older_reading_read_alone_never_replaces_a_newer_indexed_one(tmp_path, small_batches, jobs):
    """A copy of the records taken before 167744 was answered, re-indexed alone after the answered corpus:
    the question stays answered, and nothing is written."""
    index_dir = tmp_path / "index"
    update_index([CORPUS], index_dir, jobs=jobs)
    answered = stored(index_dir, "PRB-1-167744")
    assert answered.status == "answered"
    old = write_records(tmp_path / "old.json", [unanswered(record_of("167744"))])
    before = generation(index_dir)
    summary = update_index([old], index_dir, jobs=jobs)
    assert (summary.new, summary.updated, summary.unchanged) == (0, 0, 1)
    assert generation(index_dir) == before
    assert stored(index_dir, "PRB-1-167744") == answered
    with Engine.open(index_dir) as engine:
        assert engine.search("id:PRB-1-167744 statut:repondu").total == 1


@WRITERS
def test_a_newer_reading_replaces_an_older_indexed_one_and_keeps_its_fields(tmp_path, small_batches, jobs):
    """The other way round: the unanswered record first, then the answered page (which has no Dutch title)."""
    index_dir = tmp_path / "index"
    old = write_records(tmp_path / "old.json", [unanswered(record_of("167744"))])
    update_index([old], index_dir, jobs=jobs)
    assert stored(index_dir, "PRB-1-167744").status == "unanswered"
    summary = update_index([PAGES / "weblex-quest-det-167744.html"], index_dir, jobs=jobs)
    assert summary.updated == 1
    doc = stored(index_dir, "PRB-1-167744")
    assert doc.status == "answered" and doc.answer.startswith("Comme lors de précédentes échéances")
    assert doc.title_nl.startswith("Schriftelijke vraag betreffende de uitgevoerde initiatieven")
    assert doc.date_answered.isoformat() == "2026-01-08"


@WRITERS
def test_an_unchanged_reread_writes_nothing_after_runs_were_merged(tmp_path, small_batches, jobs):
    index_dir = tmp_path / "index"
    update_index([PAGES], index_dir, jobs=jobs)
    update_index([CORPUS], index_dir, jobs=jobs)
    before = generation(index_dir)
    for paths in ([PAGES], [RECORDS], [CORPUS], [RECORDS, PAGES]):
        summary = update_index(paths, index_dir, jobs=jobs)
        assert not summary.changed, paths
    assert generation(index_dir) == before


def test_a_rebuild_keeps_only_what_it_reads(tmp_path):
    """--rebuild starts afresh: no merge with the documents of the index it replaces."""
    index_dir = tmp_path / "index"
    update_index([CORPUS], index_dir)
    summary = update_index([PAGES], index_dir, rebuild=True)
    assert summary.documents == 2
    assert stored(index_dir, "PRB-1-170294").title_nl is None


def test_a_file_read_again_after_an_edit_applies_the_correction(tmp_path):
    """The same file, edited: its reading wins where the two disagree, even when the correction makes it
    shorter (the richer reading would otherwise be kept), and a field it no longer holds is kept."""
    index_dir = tmp_path / "index"
    record = record_of("170294")
    path = write_records(tmp_path / "mine.json", [record])
    update_index([path], index_dir)
    corrected = dict(record, question="Quels outils d'IA sont utilisés ?")
    del corrected["titre_nl"]
    write_records(path, [corrected])
    summary = update_index([path], index_dir)
    assert summary.updated == 1
    doc = stored(index_dir, "PRB-1-170294")
    assert doc.question == "Quels outils d'IA sont utilisés ?"
    assert doc.title_nl == record["titre_nl"]


def test_a_late_reading_is_merged_with_the_indexed_document_too(tmp_path, small_batches):
    """The second pass over late readings (a question read again after its batch was handed over) merges with
    the indexed version as the first pass does: the records are indexed; then the page, twenty other
    questions, and a second, older reading of the same question lacking the Dutch title."""
    index_dir = tmp_path / "index"
    update_index([RECORDS], index_dir)
    (tmp_path / "in").mkdir()
    shutil.copy(PAGES / "weblex-quest-det-167744.html", tmp_path / "in" / "a-page.html")
    others = [dict(record_of("167744"), moncode=str(900000 + i), numero=9000 + i) for i in range(20)]
    write_records(tmp_path / "in" / "b-others.json", others)
    late = unanswered(record_of("167744"))
    del late["titre_nl"]
    write_records(tmp_path / "in" / "c-late.json", [late])
    summary = update_index([tmp_path / "in"], index_dir)
    assert summary.duplicates == 1 and summary.new == 20
    doc = stored(index_dir, "PRB-1-167744")
    assert doc.status == "answered" and doc.title_nl.startswith("Schriftelijke vraag")


# The rule itself: one function, within a run and across runs.

def _reading(**fields) -> Document:
    base = dict(moncode="1", title="Question écrite concernant le vélo", question="Q", author="A")
    return Document.create(**dict(base, **fields))


def test_merge_never_erases_a_field_the_later_reading_lacks():
    earlier = _reading(title_nl="Schriftelijke vraag betreffende de fiets", source="a.json")
    later = _reading(question="Q, longer and newer", source="b.html")
    for merged in (merge(earlier, later), merge(later, earlier)):
        assert merged.title_nl == "Schriftelijke vraag betreffende de fiets"


def test_merge_keeps_the_newer_reading_whichever_comes_first():
    old = _reading(question="Q as first published, with more words", source="old.json")
    new = _reading(answer="R", date_answered="2026-03-01", source="new.html")
    for merged in (merge(old, new), merge(new, old)):
        assert (merged.status, merged.answer, merged.question) == ("answered", "R", "Q")


def test_merge_of_a_file_read_again_keeps_its_later_reading_unless_older():
    first = _reading(question="Q with a typo typo", source="mine.json")
    again = _reading(question="Q fixed", source="mine.json")
    assert merge(first, again).question == "Q fixed"
    answered = _reading(answer="R", date_answered="2026-03-01", source="mine.json")
    assert merge(answered, again).status == "answered"  # an old copy put back in place


def test_merge_of_equal_readings_keeps_the_later_one():
    a = _reading(question="Q one", source="a.json")
    b = _reading(question="Q two", source="b.json")
    assert merge(a, b).question == "Q two" and merge(b, a).question == "Q one"
