"""The merge of readings: one question read several times (its JSON record, its Weblex page, a later export,
its Dutch page) becomes one document (corpus/model.py `merge`, used by the reader's Deduplicator and by the
second pass of index/update.py for readings that arrive after their question was handed to the writer).

The rules: the richer reading wins (answered, then the latest date, then more fields filled, then more text;
the first reading on a tie); every field the winner lacks is filled from the other reading, so that an absent
field never erases what another reading holds; status and content hash follow the merged fields. A French and
a Dutch reading give a French document with the Dutch text in its *_nl fields."""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parlsearch.corpus.model import ANSWERED, UNANSWERED, Document, merge
from parlsearch.corpus.reader import read_paths
from parlsearch.index.update import update_index
from parlsearch.search.engine.core import Engine

from helpers import new_records, write_jsonl

#: Fields that merge never fills from the other reading (derived from the merged fields, or the reading's own).
NOT_FILLED = {"content_hash", "source", "status", "language"}
FILLED = [f.name for f in dataclasses.fields(Document) if f.name not in NOT_FILLED]


def reading(**fields) -> Document:
    """One reading of question 900001 (the same id whatever else it holds)."""
    fields.setdefault("title", "Question écrite concernant le tram de nuit")
    fields.setdefault("question", "Le tram de nuit roulera-t-il ?")
    return Document.create(moncode="900001", **fields)


def empty(value) -> bool:
    return value in (None, "")


# -- which reading wins ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("richer, poorer", [
    # answered beats a later, fuller unanswered reading
    (dict(answer="Oui.", date_received="2024-01-02"),
     dict(date_received="2026-05-05", author="A Author", recipient="M One - Ministre", url="https://x.example/q")),
    # then the latest date (of answer, publication or reception) beats more fields
    (dict(date_received="2024-06-01", date_published="2025-03-01"),
     dict(date_received="2025-01-01", author="A Author", session="24/25", url="https://x.example/q")),
    # then more fields filled beats more text
    (dict(author="A Author", session="24/25"), dict(question="Le tram de nuit roulera-t-il ? " * 20)),
    # then more text
    (dict(question="Le tram de nuit roulera-t-il jusqu'à la gare du Midi ?"), dict(question="Le tram ?")),
], ids=["answered", "latest", "fuller", "longer"])
def test_the_richer_reading_wins_whatever_the_order(richer, poorer):
    rich, poor = reading(**richer, source="rich.json"), reading(**poorer, source="poor.json")
    for merged in (merge(rich, poor), merge(poor, rich)):
        for name, value in richer.items():  # the winner's own fields are kept, not the other's
            assert getattr(merged, name) == getattr(rich, name), name
        assert merged.question == rich.question and merged.source == rich.source
    assert merge(rich, poor) == merge(poor, rich)


def test_an_unanswered_reading_never_replaces_an_answered_one():
    answered = reading(answer="La ligne sera prolongée.", date_answered="2025-02-01", date_received="2024-11-01")
    later = reading(date_received="2026-01-01", question="Le tram de nuit roulera-t-il ? Nouvelle version.",
                    author="A Author", recipient="M One - Ministre")
    for merged in (merge(answered, later), merge(later, answered)):
        assert merged.status == ANSWERED and merged.answer == "La ligne sera prolongée."
        assert merged.question == answered.question
        assert merged.date_received == dt.date(2024, 11, 1)  # the winner's date, not the later reading's
        assert (merged.author, merged.recipient) == ("A Author", "M One - Ministre")  # filled from the other


def test_on_a_tie_the_later_reading_wins():
    """Equal richness (same status, dates, filled fields and text length): the later reading is kept
    (corpus.model.supersedes), so that an edit that changes no count is applied; re-reading the same files in
    the same order still gives the same document."""
    first = reading(author="Ada Lovelace", question="Le tram de nuit roulera-t-il ?")
    second = reading(author="Eve Lovelace", question="Le bus de nuit roulera-t-il ??")
    assert first.richness() == second.richness()
    assert merge(first, second).author == "Eve Lovelace" and merge(second, first).author == "Ada Lovelace"
    assert merge(first, second).question == second.question


# -- an absent field never erases another reading's ----------------------------------------------------------------

def test_every_field_the_winner_lacks_is_filled_from_the_other_reading():
    """Field by field: a poor reading holding only that field gives it to a rich reading without it."""
    rich = reading(answer="Oui.", date_answered="2025-02-01")
    values = {"title_nl": "Schriftelijke vraag over de nachttram", "author": "A Author",
              "recipient": "M One - Ministre", "date_received": "2024-11-01", "date_published": "2024-12-01",
              "question_nl": "Zal de nachttram rijden?", "answer_nl": "Ja.", "report_url": "https://x.example/r",
              "url": "https://x.example/q", "legislature": "2024-2029", "session": "24/25", "number": 12}
    for name, value in values.items():
        assert empty(getattr(rich, name)), name
        poor = reading(**{name: value})
        for merged in (merge(rich, poor), merge(poor, rich)):
            assert getattr(merged, name) == getattr(poor, name), name
            assert merged.answer == "Oui."
    derived = merge(rich, reading(recipient="M One - Ministre de la Mobilité"))  # and what derives from it
    assert (derived.minister, derived.portfolio) == ("M One", "Ministre de la Mobilité")


readings = st.fixed_dictionaries({}, optional={
    "answer": st.sampled_from(["Oui.", "Non, pas avant 2027."]),
    "author": st.sampled_from(["A Author", "B Author"]),
    "recipient": st.sampled_from(["M One - Ministre", "M Two - Ministre de la Mobilité"]),
    "date_received": st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31)),
    "date_published": st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31)),
    "date_answered": st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31)),
    "title_nl": st.sampled_from(["Schriftelijke vraag", "Vraag over de tram"]),
    "question_nl": st.sampled_from(["Vraag?", "Een langere vraag over de tram?"]),
    "answer_nl": st.sampled_from(["Ja.", "Neen."]),
    "session": st.sampled_from(["24/25", "25/26"]),
    "url": st.sampled_from(["https://x.example/1", "https://x.example/2"]),
    "question": st.sampled_from(["Le tram ?", "Le tram de nuit roulera-t-il ?", "Et le bus ?"]),
})


@settings(max_examples=150, deadline=None)
@given(a=readings, b=readings)
def test_merge_keeps_the_winners_fields_and_fills_only_its_gaps(a, b):
    first, second = reading(**a, source="a.json"), reading(**b, source="b.json")
    merged = merge(first, second)
    # two files: the richer reading wins, the later one (second) on a tie (corpus.model.supersedes)
    best, other = (second, first) if second.richness() >= first.richness() else (first, second)
    for name in FILLED:
        want = getattr(best, name) if not empty(getattr(best, name)) else getattr(other, name)
        assert getattr(merged, name) == want or empty(want) and empty(getattr(merged, name)), name
        if not (empty(getattr(first, name)) and empty(getattr(second, name))):
            assert not empty(getattr(merged, name)), "%s erased" % name
    assert merged.source == best.source and merged.language == "fr"
    assert merged.status == (ANSWERED if merged.answer else UNANSWERED)
    assert merged.content_hash == merged.compute_hash()
    assert merged.status == ANSWERED or first.status == second.status == UNANSWERED


# -- the same rules when the readings are far apart (index/update.py's second pass) ------------------------------

def _index_readings(tmp_path, records: list[dict]) -> tuple[Document, Document, Document]:
    """Each record in its own file after 20 other questions, so that every reading but the first arrives after
    its question was handed to the writer (batches of 10: `small_batches`). Returns the document as indexed,
    as the in-memory reader merges it, and the merge of the readings in reading order."""
    (tmp_path / "in").mkdir()
    files = [write_jsonl(tmp_path / "in" / ("%d.jsonl" % n), [record] + new_records(1 + 20 * n, 20))
             for n, record in enumerate(records)]
    summary = update_index([tmp_path / "in"], tmp_path / "index")
    assert summary.duplicates == len(records) - 1 and summary.documents == 1 + 20 * len(records)
    expected = functools.reduce(merge, [read_paths([path]).documents[0] for path in files])
    in_memory = {d.id: d for d in read_paths([tmp_path / "in"]).documents}[expected.id]
    with Engine.open(tmp_path / "index") as engine:
        indexed = engine.get(expected.id)
    return indexed, in_memory, expected


def _one_question() -> dict:
    base = new_records(0, 1)[0]
    for key in ("reponse", "answer", "date_reponse", "date_reception", "date_publication", "auteur", "url",
                "url_source", "destinataire"):
        base.pop(key, None)
    return base


def test_late_readings_are_merged_as_the_reader_merges_them(tmp_path, small_batches):
    """Three readings of one question in three files, each after the question was handed to the writer
    (batches of 10): the indexed document is the in-memory merge of the three in reading order, field by
    field; the answer of the middle reading, the author of the first and the url of the last all stay."""
    base = _one_question()
    first = dict(base, auteur="A Author", date_reception="2024-11-01")
    middle = dict(base, reponse="La ligne sera prolongée : zeppelinodrome.", date_reponse="2025-02-01")
    last = dict(base, url_source="https://www.parlement.brussels/weblex-quest-det/?moncode=700000&base=1",
                date_reception="2026-01-01", destinataire="M One - Ministre")
    indexed, in_memory, expected = _index_readings(tmp_path, [first, middle, last])
    assert expected.answer and expected.author == "A Author" and expected.url and expected.recipient
    for name in FILLED + ["status", "content_hash"]:
        assert getattr(indexed, name) == getattr(expected, name) == getattr(in_memory, name), name


def test_a_late_reading_that_ties_replaces_the_first(tmp_path, small_batches):
    """Two readings of equal richness: the later wins in the second pass as in the reader, whatever the
    batch the second reading falls in."""
    base = _one_question()
    indexed, in_memory, expected = _index_readings(
        tmp_path, [dict(base, auteur="Ada Lovelace"), dict(base, auteur="Eve Lovelace")])
    assert indexed.author == in_memory.author == expected.author == "Eve Lovelace"
