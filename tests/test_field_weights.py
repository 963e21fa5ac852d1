"""Every field weight's effect on ranking, pinned through behaviour (issue 19, mutation spot-check: swapping
the question and answer weights changed top results, and only the subject's weight was pinned).

For each pair of searched fields, two documents identical but for where one rare word stands — in one field
of the first, in the other field of the second — with every field the same length in every document (so
BM25F's length normalisation is the same everywhere, and each field's idf for the word is the same): the
document holding it in the field that weighs more ranks first. The running-text fields are also copied into
the exact-forms field, which adds its weight on top, so a word in the question outweighs one in the author's
name although the two weights are close. The expected order is written here, not read from the weights, so any
change to the order of the weights (index/schema.py) fails a pair."""
import itertools
import json

import pytest

from parlsearch.index.analysis import analyze
from parlsearch.index.schema import DEFAULT_FIELD_WEIGHTS, EXACT_FIELD
from parlsearch.index.update import update_index
from parlsearch.search.engine.core import Engine

#: Where each searched field's text comes from in a record, and whether it is copied into the exact field.
TEXT_FIELDS = ("subject", "title_nl", "question", "answer", "body_nl")
NAME_FIELDS = ("author", "minister", "portfolio")
FIELDS = TEXT_FIELDS + NAME_FIELDS
#: Heaviest first, as the README promises: the subject, then the Dutch title, the question, the answer and the
#: Dutch text (each also in the exact field), then the author's name, the minister's, the portfolio.
ORDER = ("subject", "title_nl", "question", "answer", "body_nl", "author", "minister", "portfolio")


def effective_weight(field: str) -> float:
    """A word's weight in `field` for a bare-word query, as the engine adds it up."""
    return DEFAULT_FIELD_WEIGHTS[field] + (DEFAULT_FIELD_WEIGHTS[EXACT_FIELD] if field in TEXT_FIELDS else 0.0)


def heavier(a: str, b: str) -> str:
    return a if ORDER.index(a) < ORDER.index(b) else b


def _record(moncode: int, word: str | None, field: str | None, date: str) -> dict:
    """Every field two tokens long; `word` replaces the filler of `field`."""
    def text(name, first):
        return "%s %s" % (first, word if name == field else "filler")

    return {"moncode": str(moncode), "titre": "Question écrite concernant " + text("subject", "sujet"),
            "titre_nl": text("title_nl", "onderwerp"), "question": text("question", "demande"),
            "reponse": text("answer", "reponse"), "question_nl": text("body_nl", "vraag"),
            "auteur": text("author", "Anne"), "destinataire": "%s - %s" % (text("minister", "Marc"),
                                                                           text("portfolio", "ministre")),
            "date_reception": date}


def _words():
    """Rare words that every analyzer keeps as they are (so each field indexes the same term)."""
    for a, b in itertools.product("bcdfghklmnprstvz", repeat=2):
        word = "kr%s%sxt" % (a, b)
        if all(analyze(word, lang) == [word] for lang in ("fr", "nl", "names", "exact")):
            yield word


PAIRS = [(a, b) for a, b in itertools.combinations(FIELDS, 2)]


@pytest.fixture(scope="module")
def pair_index(tmp_path_factory):
    """Two documents per pair of fields; the one with the word in the lighter field is the newer, so that a
    tie (equal weights) would put it first and fail the test."""
    words = dict(zip(PAIRS, _words()))
    assert len(words) == len(PAIRS)
    records, moncode = [], 900000
    for (a, b), word in words.items():
        heavy = heavier(a, b)
        light = b if heavy == a else a
        records.append(_record(moncode, word, heavy, "2025-01-01"))
        records.append(_record(moncode + 1, word, light, "2026-01-01"))
        moncode += 2
    src = tmp_path_factory.mktemp("weights") / "pairs.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    index = src.parent / "index"
    update_index([src], index)
    with Engine.open(index) as engine:
        yield engine, words


def test_the_documents_hold_the_word_where_intended(pair_index):
    engine, words = pair_index
    doc = engine.search(words[("question", "answer")], limit=2).hits[0].doc
    assert doc.question.endswith(words[("question", "answer")]) or doc.answer.endswith(words[("question", "answer")])
    author = engine.search(words[("author", "minister")], limit=2).hits[0].doc
    assert words[("author", "minister")] in (author.author + " " + author.minister).split()
    portfolio = engine.search(words[("minister", "portfolio")], limit=2).hits
    assert len(portfolio) == 2 and any(words[("minister", "portfolio")] in (h.doc.portfolio or "") for h in portfolio)


def test_the_weights_follow_the_promised_order_with_no_two_alike():
    assert sorted(FIELDS, key=effective_weight, reverse=True) == list(ORDER)
    weights = [effective_weight(f) for f in FIELDS]
    assert len(set(weights)) == len(weights)


@pytest.mark.parametrize("a,b", PAIRS, ids=["%s-%s" % p for p in PAIRS])
def test_the_field_that_weighs_more_ranks_first(pair_index, a, b):
    engine, words = pair_index
    heavy = heavier(a, b)
    hits = engine.search(words[(a, b)], limit=5).hits
    assert len(hits) == 2
    top, second = hits
    assert top.score > second.score
    assert top.doc.date_received.year == 2025, "the word in %s should outrank the word in %s" % (
        heavy, b if heavy == a else a)


def test_a_word_found_as_typed_ranks_above_one_sharing_only_its_stem(tmp_path):
    """The exact-forms field: "stationnement" in one question, "stationnements" in the other (same stem); the
    plural is the newer document, so without the exact field's weight it would come first."""
    records = [dict(_record(910001, None, None, "2025-01-01"), question="demande stationnement"),
               dict(_record(910002, None, None, "2026-01-01"), question="demande stationnements")]
    src = tmp_path / "exact.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    update_index([src], tmp_path / "index")
    with Engine.open(tmp_path / "index") as engine:
        hits = engine.search("stationnement", limit=5).hits
        assert [h.doc.moncode for h in hits] == ["910001", "910002"] and hits[0].score > hits[1].score
