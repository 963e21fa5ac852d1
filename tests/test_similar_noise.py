"""Issue 19, item 26: `similar --text` with a text mostly unknown to the index (base64 or hex gibberish)
finds nothing; a real draft with a few unknown words (names, typos, a pasted attachment) still finds its
question. The rule is search.coverage.familiarity."""
from __future__ import annotations

import base64
import random
import string
import textwrap

import pytest

from parlsearch.search.engine.coverage import MIN_SIMILAR_COVERAGE, TOLERATED_UNKNOWN, familiarity


def _gibberish(kind: str, seed: int, size: int = 4500) -> str:
    rnd = random.Random(seed)
    raw = bytes(rnd.randrange(256) for _ in range(size))
    encoded = base64.b64encode(raw).decode()
    if kind == "base64":  # as base64(1) prints it
        return "\n".join(textwrap.wrap(encoded, 76))
    if kind == "base64 words":
        return " ".join(textwrap.wrap(encoded, 8))
    if kind == "hex":
        return " ".join(textwrap.wrap(raw.hex(), 4))
    return " ".join("".join(rnd.choice(string.ascii_lowercase) for _ in range(rnd.randint(1, 9)))
                    for _ in range(size // 6))


@pytest.mark.parametrize("kind", ["base64", "base64 words", "hex", "letters"])
def test_gibberish_is_similar_to_nothing(engine, kind):
    for seed in range(4):
        assert engine.similar_text(_gibberish(kind, seed)) == [], (kind, seed)


def _draft(engine, doc_id: str, unknown: list[str]) -> str:
    """A question's subject and first lines as someone would draft them, with `unknown` words (names, typos)
    the index has never seen put in."""
    doc = engine.get(doc_id)
    words = (doc.subject + ". " + doc.question[:500]).split()
    step = max(1, len(words) // (len(unknown) + 1))
    for i, word in enumerate(unknown, 1):
        words.insert(i * step, word)
    return " ".join(words)


INVENTED = ["Zorblaxmann", "Quintavelle", "Mbokolodjo", "trefnakuliq", "Vrastenbeke", "pluxomatique",
            "Oderwijlen", "kastrovelle"]


@pytest.mark.parametrize("doc_id", ["PRB-1-170245", "PRB-1-170289", "PRB-1-170119"])
def test_a_draft_with_some_unknown_words_finds_its_question(engine, doc_id):
    def rank(hits):
        return [h.doc.id for h in hits].index(doc_id)

    plain = engine.similar_text(_draft(engine, doc_id, []))
    with_unknown = engine.similar_text(_draft(engine, doc_id, INVENTED))
    assert rank(plain) <= 2  # (170119 is one of ten near-identical questions on neutrality)
    assert [h.doc.id for h in with_unknown] == [h.doc.id for h in plain]
    # a third of the text gibberish (a draft with an attachment): still found, at a lower score
    attached = _draft(engine, doc_id, INVENTED) + "\n" + _gibberish("base64 words", 1, size=200)
    found = engine.similar_text(attached)
    assert rank(found) <= 2 and found[0].score < with_unknown[0].score


def test_familiarity_tolerates_a_quarter_of_unknown_words_then_scales():
    assert familiarity(0, 0) == 1.0
    assert familiarity(100, 0) == familiarity(75, 25) == 1.0
    assert familiarity(74, 26) == pytest.approx(0.74 / (1 - TOLERATED_UNKNOWN))
    assert familiarity(50, 50) == pytest.approx(2 / 3)
    assert familiarity(4, 96) < MIN_SIMILAR_COVERAGE / 4  # 96% unknown: nothing can be close
    for known in range(0, 101, 5):  # never more than 1, never less as more words are known
        assert familiarity(known, 100 - known) <= familiarity(min(100, known + 5), max(0, 95 - known)) <= 1.0


def test_spellings_of_one_word_are_one_key_word(engine):
    """An elided spelling ("l'accompagnatrice") and the bare word are one key word, their occurrences added:
    they were two, the same word counted twice among a text's 25."""
    terms = engine._text_terms("L'accompagnatrice du tram. Une accompagnatrice agressée; l'accompagnatrice.")
    words = {word: count for word, count, _ in terms}
    assert sum(1 for w in words if w.endswith("accompagnatrice")) == 1
    assert next(c for w, c in words.items() if w.endswith("accompagnatrice")) == 3
