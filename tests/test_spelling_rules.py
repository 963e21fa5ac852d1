"""Spelling correction's rules at their boundaries (issue 19, mutation survivors): words of four letters or
fewer are never corrected, and of two equally close index words the more frequent one is chosen."""
from __future__ import annotations

import pytest

from parlsearch.search.engine.spelling import max_edits


@pytest.mark.parametrize("length, edits", [(1, 0), (3, 0), (4, 0), (5, 1), (7, 1), (8, 2), (20, 2)])
def test_edits_allowed_by_word_length(length, edits):
    assert max_edits(length) == edits


def test_a_four_letter_word_is_never_corrected(engine):
    """"tran" is one edit from "tram" (in ten documents), and stays "tran": a short word has too many
    neighbours ("rats" is one edit from "rails")."""
    assert engine.vocabulary.frequency("tram") and not engine.vocabulary.frequency("tran")
    assert engine.vocabulary.closest("tran") is None
    result = engine.search("tran")
    assert result.corrections == [] and result.corrected is None and result.total == 0


def test_a_five_letter_word_is_corrected_by_one_edit(engine):
    """"tramx" is one edit from "tram" (8 documents hold it as typed) and from "trams" (7)."""
    assert engine.vocabulary.closest("tramx") == "tram"
    assert engine.search("logment social").corrections == [("logment", "logement")]


def test_of_two_equally_close_words_the_more_frequent_is_chosen(engine):
    """"asence" is one edit from "absence" (13 documents) and from "agence" (8)."""
    from whoosh.support.levenshtein import distance
    v = engine.vocabulary
    assert distance("asence", "absence") == distance("asence", "agence") == 1
    assert v.frequency("absence") > v.frequency("agence") > 0
    assert v.closest("asence") == "absence"
    assert engine.search("asence garde").corrections == [("asence", "absence")]
