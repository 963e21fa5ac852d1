"""French elisions that are easy to lose (issue 19, mutation survivors): quelqu' and presqu' are elided like
l' and d', with either apostrophe, in the index and in queries."""
from __future__ import annotations

import pytest

from parlsearch.index.analysis import analyze


@pytest.mark.parametrize("apostrophe", ["'", "’"])
def test_quelqu_and_presqu_are_elided(apostrophe):
    assert analyze("quelqu%sun" % apostrophe) == []  # "un" is a stopword
    assert analyze("quelqu%sune" % apostrophe) == []
    assert analyze("presqu%sîle" % apostrophe) == analyze("île") == ["ile"]
    assert analyze("jusqu%sà lorsqu%sil puisqu%sil" % ((apostrophe,) * 3)) == []


@pytest.mark.parametrize("text", ["quelqu'un logement", "quelqu’un logement", "logement quelqu'un"])
def test_an_elided_pronoun_does_not_narrow_a_search(engine, text):
    """`quelqu'un logement` found 1 document instead of logement's 14 when quelqu' was not elided."""
    assert engine.search(text, limit=0).total == engine.search("logement", limit=0).total == 14
