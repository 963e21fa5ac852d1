"""Issue 11, query items: bounded fuzzy and wildcard expansion (8), no traceback on odd syntax (12)."""
from __future__ import annotations

import pytest
from whoosh import query as wq

from parlsearch.search.engine import limits as limits, query as query_mod
from parlsearch.search.engine.limits import MAX_EDIT_DISTANCE, expanded_terms
from parlsearch.search.engine.query import QueryError


def _total(engine, text):
    return engine.search(text, limit=0, snippets=False).total


def _leaves(engine, text):
    clauses, _ = engine.parse(text)
    return [n for _, q in clauses for n in query_mod.iter_nodes(q)]


def test_nested_plus_and_minus_have_a_sensible_reading(engine):
    everything, tram, tram_not_bus = _total(engine, "*"), _total(engine, "tram"), _total(engine, "tram -bus")
    assert everything == 107 and 0 < tram_not_bus < tram < everything
    assert _total(engine, "-(-tram)") == tram
    assert _total(engine, "-(tram -bus)") == everything - tram_not_bus
    assert _total(engine, "-(+tram)") == everything - tram
    assert _total(engine, "-(-(-tram))") == _total(engine, "-tram") == everything - tram


@pytest.mark.parametrize("text", ["tram~1/5", "tram~/9", "trams~2/40", "tram~0/1"])
def test_fuzzy_prefix_longer_than_the_word_is_clamped(engine, text):
    assert _total(engine, text) >= _total(engine, "tram")
    for node in _leaves(engine, text):
        if isinstance(node, wq.FuzzyTerm):
            assert node.prefixlength <= len(node.text)


def test_dotted_capital_i_in_a_field_name_is_the_field(engine):
    assert _total(engine, "İD:PRB-1-170312") == _total(engine, "id:PRB-1-170312") == 1
    assert _total(engine, "İD:x") == 0


def test_edit_distance_is_clamped_with_a_note(engine):
    fuzzy = [n for n in _leaves(engine, "stationnement~8") if isinstance(n, wq.FuzzyTerm)]
    assert fuzzy and all(n.maxdist == MAX_EDIT_DISTANCE for n in fuzzy)
    result = engine.search("stationnement~8", limit=1, snippets=False)
    assert result.note and "limited to 2" in result.note
    assert result.total == _total(engine, "stationnement~2")
    assert engine.search("stationnement~2", limit=1).note is None


def test_expansion_is_counted_and_bounded(engine):
    reader = engine.searcher.reader()
    prefix = [q for _, q in engine.parse("a*")[0]]
    count = expanded_terms(prefix, reader, limit=10 ** 6)
    assert count > 50  # words starting with "a" over the default fields
    with pytest.raises(QueryError, match="more than 50 words"):
        expanded_terms(prefix, reader, limit=50)
    # The count stops one past the limit: bounded work whatever the index size.
    calls = []
    real = wq.Prefix._btexts

    def counting(self, r):
        for t in real(self, r):
            calls.append(t)
            yield t

    wq.Prefix._btexts = counting
    try:
        with pytest.raises(QueryError):
            expanded_terms(prefix, reader, limit=50)
    finally:
        wq.Prefix._btexts = real
    assert len(calls) == 51


def test_expansion_limit_is_a_query_error_before_any_search(engine, monkeypatch):
    monkeypatch.setattr(limits, "MAX_EXPANDED_TERMS", 20)
    with pytest.raises(QueryError, match="type more letters"):
        engine.search("a*")
    with pytest.raises(QueryError, match="every word of that field"):
        engine.search("answer:*")
    assert _total(engine, "*") == 107  # every document, not every word


# The property "any query string gives results or a QueryError" is tests/test_search.py's, whose alphabet
# holds this file's cases too (dotted capital I, fuzzy slashes, ~9, id:).
