"""Issue 19: what a query may cost is decided before it runs (search/limits.py), and the work that is
accepted is linear in the query's size. Work is counted (calls into whoosh), never timed."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from whoosh.qparser.default import QueryParser

from parlsearch.search import limits
from parlsearch.search.cli import cli
from parlsearch.search.query import QueryError


@pytest.fixture
def term_queries(monkeypatch):
    """Counts whoosh's QueryParser.term_query: the analysis of one word for one field, the step the old
    binary groups repeated 2**depth times."""
    calls = []
    real = QueryParser.term_query

    def counting(self, *args, **kwargs):
        calls.append(args[:2])
        return real(self, *args, **kwargs)

    monkeypatch.setattr(QueryParser, "term_query", counting)
    return calls


def _nested(prefix: str, depth: int, word: str = "tram") -> str:
    return prefix * depth + word + ")" * depth


def _chain(operator: str, count: int) -> str:
    return "tram" + "".join(" %s w%d" % (operator, i) for i in range(count))


@pytest.mark.parametrize("prefix", ["-(", "+(", "(-bus ", "(+bus "])
def test_nested_groups_build_each_word_once(engine, term_queries, prefix):
    """whoosh's BinaryGroup.query built each side twice: `-(-(…))` 14 deep was 32,767 node.query() calls
    (22 s of CPU at 20 deep). Now a word is analysed the same number of times at any depth."""
    fields = len(engine.weights)
    for depth in (4, 8, limits.MAX_NESTING):  # up to the worst accepted nesting
        term_queries.clear()
        engine.parse(_nested(prefix, depth))
        words = 1 + (depth if "bus" in prefix else 0)
        assert len(term_queries) <= 2 * fields * words, (depth, len(term_queries))  # each word twice at most


@pytest.mark.parametrize("operator", ["ANDNOT", "ANDMAYBE", "REQUIRE"])
def test_binary_operator_chains_are_linear(engine, term_queries, operator):
    """Binary operators nest without parentheses ("a ANDNOT b ANDNOT c" is 2 deep)."""
    fields = len(engine.weights)
    for n in (4, 8, limits.MAX_OPERATORS):  # up to the most operators accepted
        term_queries.clear()
        engine.parse(_chain(operator, n))
        assert len(term_queries) <= 2 * fields * (n + 1), (n, len(term_queries))


def test_deep_or_wide_queries_are_refused_before_whoosh_parses_them(engine, monkeypatch):
    parsed = []
    monkeypatch.setattr(engine.parser, "process", lambda text, *a, **k: parsed.append(text))
    for text, message in [(_nested("-(", limits.MAX_NESTING + 1), "nested too deeply"),
                          (_nested("-(", 300), "nested too deeply"),
                          (_chain("ANDNOT", limits.MAX_OPERATORS + 1), "too many operators"),
                          ("tram" + " -bus" * (limits.MAX_OPERATORS + 1), "too many operators"),
                          ("tram " * 1000, "too long")]:
        with pytest.raises(QueryError, match=message) as e:
            engine.parse(text)
        assert "\n" not in str(e.value)
    assert parsed == []


def test_limits_count_only_syntax_outside_phrases(engine):
    """Parentheses and operators inside a "phrase" are words: a pasted list stays searchable."""
    phrase = '"%s"' % ("(" * (limits.MAX_NESTING + 5) + " ".join(["OR"] * (limits.MAX_OPERATORS + 5)))
    limits.check_size(phrase)
    limits.check_size(_nested("(", limits.MAX_NESTING))
    limits.check_size("titres-services " * 60)  # a hyphen inside a word is no operator


def test_deep_query_is_one_line_and_exit_2_on_the_command_line(bundled_index):
    result = CliRunner().invoke(cli, ["search", "--index", str(bundled_index), "--", _nested("-(", 300)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("parlsearch: error:") and "nested too deeply" in lines[0]


def test_nested_negations_keep_their_meaning_at_the_limit(engine):
    tram = engine.search("tram", limit=0).total
    everything = engine.search("*", limit=0).total
    even, odd = _nested("-(", limits.MAX_NESTING), _nested("-(", limits.MAX_NESTING - 1)
    assert engine.search(even, limit=0).total == tram
    assert engine.search(odd, limit=0).total == everything - tram
