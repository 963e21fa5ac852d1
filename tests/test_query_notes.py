"""Issue 19, item 13: the notes on a query (words dropped by relaxation, words spelling correction changed)
name only those words, as the user typed them, without the punctuation around them; a pasted paragraph is
never echoed back."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from parlsearch.search.cli.app import cli


def _pasted(engine):
    """A real question's first paragraphs as a user pastes them, with a typo ("tramm") and two words no
    document holds together with them, punctuation attached ("festivals," and "«Montgommery»")."""
    doc = engine.get("PRB-1-170245")
    text = doc.question[:600].replace(" tram ", " tramm ")
    assert "tramm" in text
    return text + " Festivals, «Montgommery»."


def test_dropped_and_corrected_words_are_named_as_typed_without_punctuation(engine):
    result = engine.search(_pasted(engine))
    assert result.hits and result.hits[0].doc.id == "PRB-1-170245"
    assert result.dropped == ["Festivals", "Montgommery"]
    assert result.corrections == [("tramm", "tram"), ("Montgommery", "montgomery")]


def test_a_typed_word_is_corrected_whatever_the_punctuation_around_it(engine):
    plain = engine.search("station Montgommery")
    for text in ["station Montgommery.", "station «Montgommery»", "station (Montgommery),"]:
        result = engine.search(text)
        assert result.corrections == [("Montgommery", "montgomery")], text
        assert result.total == plain.total


def test_the_command_line_names_the_changed_words_not_the_whole_query(bundled_index, engine):
    text = _pasted(engine)
    result = CliRunner().invoke(cli, ["search", "--index", str(bundled_index), "-n", "1", "--", text])
    assert result.exit_code == 0
    # issue 21: the notice is in the summary line, where the results are read (the pager shows it), not on
    # stderr before the pager opens
    assert "montgomery" not in result.stderr
    assert text[:80] not in result.stderr and text[:80] not in result.stdout
    summary = [line for line in result.stdout.splitlines() if "relaxed" in line]
    assert summary and 'dropped "Festivals", "Montgommery")' in summary[0]
    assert 'searched "tramm" as "tram", "Montgommery" as "montgomery"; --exact searches the words as typed)' \
        in summary[0]
    machine = CliRunner().invoke(cli, ["search", "--index", str(bundled_index), "--json", "-n", "1", "--", text])
    note = [line for line in machine.stderr.splitlines() if "montgomery" in line]  # no summary line there
    assert note == ['parlsearch: searched "tramm" as "tram", "Montgommery" as "montgomery" '
                    '(--exact searches the words as typed)']
