"""Issue 19: what a query may cost is decided before it runs (search/engine/limits.py), and the work that is
accepted is linear in the query's size. Work is counted (calls into whoosh), never timed."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from whoosh.qparser.default import QueryParser

from parlsearch.search.engine import limits as limits
from parlsearch.search.cli.app import cli
from parlsearch.search.engine.query import QueryError


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


# -- fuzzy, prefix and wildcard words: limits checked before any expansion (item 4) -----------------------------

@pytest.fixture
def expansions(monkeypatch):
    """Counts the words every fuzzy or prefix expansion of the engine returns (index/expansion.py)."""
    from parlsearch.index import expansion
    found = []
    for name in ("terms_within", "expand_prefix"):
        real = getattr(expansion, name)

        def counting(*args, real=real, name=name, **kwargs):
            words = real(*args, **kwargs)
            found.append((name, len(words)))
            return words

        monkeypatch.setattr(expansion, name, counting)
    return found


def _fuzzy_nodes(engine, text):
    from whoosh import query as wq
    from parlsearch.search.engine.query import iter_nodes
    return [n for _, q in engine.parse(text)[0] for n in iter_nodes(q) if isinstance(n, wq.FuzzyTerm)]


@pytest.mark.parametrize("length, edits", [(1, 0), (2, 0), (3, 1), (5, 1), (6, 2), (40, 2)])
def test_fuzzy_edits_by_length(length, edits):
    assert limits.max_fuzzy_edits(length) == edits


@pytest.mark.parametrize("word", ["ab", "bus", "tram", "parcs", "projet", "mobilite", "stationnement"])
def test_fuzzy_edits_follow_the_word_length(engine, word):
    """Elasticsearch's AUTO: no edit up to 2 letters, one for 3-5, two from 6 (of the word as indexed)."""
    nodes = _fuzzy_nodes(engine, word + "~2")
    assert nodes
    for node in nodes:
        assert node.maxdist == limits.max_fuzzy_edits(len(node.text))


def test_a_short_fuzzy_word_stands_for_few_words(engine, expansions):
    """`ab~2` stood for 643 words at 20,000 documents (6.5 s of CPU): now only `ab` itself, if indexed."""
    engine.search("ab~2", limit=1)
    assert sum(n for _, n in expansions) <= len(engine.weights)
    expansions.clear()
    engine.search("bus~2", limit=1)
    assert expansions and sum(n for _, n in expansions) <= 5 * len(engine.weights)


@pytest.mark.parametrize("word", ["ab~2", "vél*", "tram~", "v?lo"])
def test_too_many_multiterm_words_are_refused_before_any_expansion(engine, expansions, word):
    text = " ".join([word] * (limits.MAX_MULTITERM_WORDS + 1))
    with pytest.raises(QueryError, match="too many fuzzy, prefix or wildcard words"):
        engine.search(text)
    assert expansions == []
    engine.search(" ".join([word] * limits.MAX_MULTITERM_WORDS), limit=1)  # at the limit: searched


def test_expansion_stops_one_word_past_the_clause_limit(engine, monkeypatch):
    """The pinned expansions are counted across the query as they are found: with a limit of 20, the
    segments hand out at most 21 words for `a*`, not the hundreds it stands for."""
    from whoosh.reading import SegmentReader
    monkeypatch.setattr(limits, "MAX_EXPANDED_TERMS", 20)
    handed = []
    real = SegmentReader.expand_prefix

    def counting(self, fieldname, prefix):
        for word in real(self, fieldname, prefix):
            handed.append(word)
            yield word

    monkeypatch.setattr(SegmentReader, "expand_prefix", counting)
    with pytest.raises(QueryError, match="more than 20 words"):
        engine.search("a*")
    assert len(handed) <= 21


def test_a_wildcard_may_not_start_a_word(engine, expansions):
    for text in ["*bus", "?ram", "titre:*obilit*"]:
        with pytest.raises(QueryError, match="cannot start with"):
            engine.search(text)
    assert expansions == []
    assert engine.search("*", limit=0).total == 107  # alone: every document


def test_a_fuzzy_word_has_at_most_40_letters(engine, expansions):
    with pytest.raises(QueryError, match="at most %d letters" % limits.MAX_FUZZY_LENGTH):
        engine.search("a" * (limits.MAX_FUZZY_LENGTH + 1) + "~")
    assert expansions == []
    engine.search("a" * limits.MAX_FUZZY_LENGTH + "~", limit=1)


# -- ~N with any number of digits (item 10) -------------------------------------------------------------------

@pytest.mark.parametrize("text, searched", [("tram~10", "tram~1"), ("tram~99", "tram~1"), ("tram~3", "tram~1"),
                                            ("stationnement~10", "stationnement~2"),
                                            ("stationnement~123456789012", "stationnement~2"),
                                            ("ab~2", "ab")])
def test_every_fuzzy_distance_is_read_whole_and_clamped_with_a_note(engine, text, searched):
    clauses, _ = engine.parse(text)
    assert len(clauses) == 1  # not "tram~1" and a word "0"
    result = engine.search(text, limit=1)
    assert result.note and "(%s searched as %s" % (text, searched) in result.note
    assert result.total == engine.search(searched, limit=0).total


def test_an_allowed_fuzzy_distance_has_no_note(engine):
    for text in ["tram~1", "tram~", "stationnement~2", "rouler~2", '"permis urbanisme"~3']:
        assert engine.search(text, limit=1).note is None, text


# -- spelling correction is bounded before it scans (item 4) ------------------------------------------------

def test_spelling_correction_reads_at_most_ten_unknown_words(engine, monkeypatch):
    from parlsearch.search.engine.spelling import MAX_CORRECTED_WORDS
    calls = []
    for name in ("correct", "closest"):
        real = getattr(engine.vocabulary, name)
        monkeypatch.setattr(engine.vocabulary, name, lambda word, *more, real=real, name=name: (
            calls.append(name), real(word, *more))[1])
    typos = ["stationementz", "mobilitee", "bruxellois", "logemment", "cyclistte", "pietonss", "transportts",
             "velodrome", "parkingue", "autobuss", "tramwayy", "metroo", "budgett", "quartierr", "ecolles"]
    result = engine.search(" ".join(typos))
    assert calls.count("correct") == MAX_CORRECTED_WORDS
    assert result.note and "stopped after %d unknown words" % MAX_CORRECTED_WORDS in result.note
    calls.clear()
    engine.search(" ".join(typos), exact=True)  # "did you mean" reads as many
    assert calls.count("closest") <= MAX_CORRECTED_WORDS


def test_a_word_longer_than_any_language_word_is_not_corrected(engine, monkeypatch):
    from parlsearch.search.engine.spelling import MAX_CORRECTED_LENGTH
    scans = []
    real = engine.vocabulary.reader.terms_within
    monkeypatch.setattr(engine.vocabulary.reader, "terms_within", lambda *a, **k: (scans.append(a), real(*a, **k))[1])
    long_word = "stationnement" * 4
    assert len(long_word) > MAX_CORRECTED_LENGTH
    engine.search(long_word + " tram")
    engine.search(long_word, exact=True)
    assert scans == []


@pytest.mark.parametrize("text, typed, searched", [("-tram~2 bus", "tram~2", "tram~1"), ("+bus~3", "bus~3", "bus~1"),
                                                   ("titre:tram~9", "titre:tram~9", "titre:tram~1"),
                                                   ("(ab~)", "ab~", "ab")])
def test_the_fuzzy_note_names_the_word_as_typed(text, typed, searched):
    assert "(%s searched as %s;" % (typed, searched) in limits.fuzzy_note(text)
