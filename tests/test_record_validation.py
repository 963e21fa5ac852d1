"""Every field of a record is checked when read (issue 19, items 23 and 25).

A bad field rejects its record with the path, the record number and the reason; the other records of the file
are kept. Ids hold only ASCII letters, digits, '-', '_' and '.' (an id with '/' gave web links that 404)."""
from __future__ import annotations

import json

import pytest

from parlsearch.corpus.model import Document, IdentifierError
from parlsearch.corpus.reader import read_paths
from parlsearch.index.update import update_index
from parlsearch.search.engine.core import Engine

GOOD = {"titre": "Question écrite concernant le vélo", "question": "Combien de vélos ?", "moncode": "900001"}


def read_one_bad_among_good(tmp_path, bad: dict):
    """A JSON Lines file: a good record, `bad`, another good record."""
    path = tmp_path / "records.jsonl"
    records = [GOOD, bad, dict(GOOD, moncode="900003")]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path, read_paths([path])


def rejected_reason(tmp_path, bad: dict) -> str:
    path, result = read_one_bad_among_good(tmp_path, bad)
    assert sorted(d.id for d in result.documents) == ["PRB-1-900001", "PRB-1-900003"]
    assert len(result.problems) == 1, result.problems
    problem = result.problems[0]
    assert problem.rejected and problem.path == str(path) and problem.record == 2
    return problem.reason


# -- item 25: every field type-checked ---------------------------------------------------------------------

@pytest.mark.parametrize("field, value, reason", [
    ("numero", "abc", "numero 'abc' is not a number"),
    ("numero", "12/34", "numero '12/34' holds more than one number"),
    ("numero", True, "numero is not a number: true"),
    ("numero", 12.5, "numero is not a number: 12.5"),
    ("url_source", 5, "url_source is not text: 5"),
    ("url_source", True, "url_source is not text: true"),
    ("url_source", "https://www.parlement.brussels/" + "a" * 3000, "url_source is longer than 2048 characters"),
    ("lien_rapport", 1.5, "lien_rapport is not text: 1.5"),
    ("type", 5, "type is not text: 5"),
    ("langue", 1, "langue is not text: 1"),
    ("session", 2526, "session is not text: 2526"),
    ("legislature", 2024, "legislature is not text: 2024"),
    ("assemblee", False, "assemblee is not text: false"),
    ("base", "one", "base is not a number: 'one'"),
    ("moncode", {"a": 1}, "moncode has an unexpected structure (a JSON object)"),
    ("titre_nl", 3, "titre_nl is not text: 3"),
    ("id", ["x"], "id has an unexpected structure (a JSON list)"),
])
def test_a_field_of_the_wrong_type_rejects_its_record(tmp_path, field, value, reason):
    bad = dict(GOOD, moncode="900002")
    bad.pop("moncode") if field == "id" else None
    bad[field] = value
    assert rejected_reason(tmp_path, bad) == reason


@pytest.mark.parametrize("value, number", [("QE 161", 161), ("161", 161), (161, 161), ("", None), (" ", None)])
def test_numbers_written_as_text_are_read(value, number):
    assert Document.create(title="t", question="q", number=value).number == number


def test_a_non_text_url_never_reaches_the_json_output(tmp_path):
    path, _ = read_one_bad_among_good(tmp_path, dict(GOOD, moncode="900002", url_source={"href": "x"}))
    summary = update_index([path], tmp_path / "ix")
    assert summary.new == 2 and len(summary.rejected) == 1
    with Engine.open(tmp_path / "ix") as engine:
        assert engine.get("PRB-1-900002") is None
        assert all(isinstance(h.doc.url, (str, type(None))) for h in engine.search("*", limit=10).hits)


# -- item 23: one rule for ids -----------------------------------------------------------------------------

@pytest.mark.parametrize("doc_id, why", [
    ("QE/2023/45", "holds '/'"),
    ("PRB-1-1?x", "holds '?'"),
    ("PRB#1", "holds '#'"),
    ("..", "does not start with a letter or digit"),
    ("-PRB-1", "does not start with a letter or digit"),
    ("PRB 1", "holds ' '"),
    ("PRB-é", "holds 'é'"),
    ("PRB-1-1%2F2", "holds '%'"),
])
def test_an_id_outside_the_rule_rejects_its_record(tmp_path, doc_id, why):
    bad = {k: v for k, v in GOOD.items() if k != "moncode"}
    reason = rejected_reason(tmp_path, dict(bad, id=doc_id))
    assert reason.startswith("the id %r %s" % (doc_id[:80], why)), reason
    assert "an id holds only ASCII letters, digits, '-', '_' and '.'" in reason


def test_a_long_id_rejects_its_record(tmp_path):
    bad = {k: v for k, v in GOOD.items() if k != "moncode"}
    assert rejected_reason(tmp_path, dict(bad, id="A" * 65)) == "id is longer than 64 characters"


def test_an_id_made_from_a_legislature_with_a_slash_rejects_its_record(tmp_path):
    """No official code: the id is made from the legislature and the number; '2019/2024/x' is not a
    legislature the id rule lets through (a plain '19/24' becomes 2019-2024)."""
    record = {"titre": "Question écrite concernant le vélo", "question": "Combien ?", "numero": 12}
    reason = rejected_reason(tmp_path, dict(record, legislature="2019/2024/x"))
    assert "the id 'PRB-2019/2024/x-qe-12' (made from the record's assemblee, legislature, type and numero)" \
        in reason
    assert Document.create(**{"title": "t", "question": "q", "number": 12, "legislature": "19/24"}).id == \
        "PRB-2019-2024-qe-12"


def test_an_official_code_makes_the_id_whatever_id_the_record_gives(tmp_path):
    _, result = read_one_bad_among_good(tmp_path, dict(GOOD, moncode="900002", id="PRB/anything"))
    assert sorted(d.id for d in result.documents) == ["PRB-1-900001", "PRB-1-900002", "PRB-1-900003"]


def test_every_id_of_the_bundled_corpus_follows_the_rule():
    from parlsearch.corpus.model import DOCUMENT_ID
    result = read_paths(None)
    assert len(result.documents) == 107 and not result.problems
    assert all(DOCUMENT_ID.fullmatch(d.id) for d in result.documents)


def test_document_create_applies_the_rule_to_ids_given_and_made():
    with pytest.raises(IdentifierError):
        Document.create(id="a/b", title="t", question="q")
    with pytest.raises(IdentifierError):
        Document.create(title="t", question="q", number=1, assembly="P/RB")
    assert Document.create(id="my-id_1.2", title="t", question="q").id == "my-id_1.2"
