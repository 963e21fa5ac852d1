"""The work budget of a query (search/engine/budget.py): spent after its CPU seconds, never before."""
import pytest

from parlsearch.search.engine.budget import UNBOUNDED, Budget, QueryTooCostly
from parlsearch.search.engine.query import QueryError


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_budget_is_spent_only_after_its_seconds():
    clock = FakeClock()
    budget = Budget(2.0, clock=clock)
    clock.now += 2.0
    budget.check()  # exactly at the limit: not yet spent
    assert not budget.spent()
    clock.now += 0.001
    assert budget.spent()
    with pytest.raises(QueryTooCostly) as e:
        budget.check()
    assert isinstance(e.value, QueryError)  # reported as any bad query is
    assert "\n" not in str(e.value) and "2 s of CPU" in str(e.value)


def test_unbounded_budget_never_stops():
    assert not UNBOUNDED.spent()
    UNBOUNDED.check()


# -- the engine checks the budget where its work accumulates (issue 19, item 4) -------------------------------

class TickingClock:
    """A clock that moves one second each time it is read: a Budget(S, clock) allows S checks, so a test
    counts the engine's checks instead of timing it."""

    def __init__(self):
        self.reads = 0

    def __call__(self):
        self.reads += 1
        return float(self.reads)


def _checks(run) -> int:
    """How many times `run(budget)` checks a budget that is never spent."""
    clock = TickingClock()
    run(Budget(10 ** 9, clock=clock))
    return clock.reads - 1  # the first read starts the budget


def _paths(engine):
    from parlsearch.search.engine.counting import count_matches
    return {
        "one word": lambda b: engine.search("tram", budget=b),
        "coverage rule (two words)": lambda b: engine.search("stationnement vélo", budget=b),
        "negation": lambda b: engine.search("-bus", budget=b),
        "date order": lambda b: engine.search("-tram", sort="-date", budget=b),
        "phrase": lambda b: engine.search('"garantie jeunesse"', budget=b),
        "fuzzy expansion": lambda b: engine.search("stationement~", budget=b),
        "spelling correction": lambda b: engine.search("station Montgommery", budget=b),
        "did you mean": lambda b: engine.search("Montgommery", exact=True, budget=b),
        "plan": lambda b: engine.plan("mobilité bruxelles", budget=b),
        "similar": lambda b: engine.similar("PRB-1-170245", budget=b),
        "similar text": lambda b: engine.similar_text("Quelle est la fréquentation du tram 55 ?", budget=b),
        "counting": lambda b: count_matches(engine, "tram -bus", budget=b),
    }


PATHS = ["one word", "coverage rule (two words)", "negation", "date order", "phrase", "fuzzy expansion", "spelling correction", "did you mean", "plan", "similar",
         "similar text", "counting"]


@pytest.mark.parametrize("path", PATHS)
def test_every_query_path_checks_its_budget(engine, path):
    """Each path checks the budget as it works, and a budget spent half-way stops it with QueryTooCostly."""
    run = _paths(engine)[path]
    checks = _checks(run)
    assert checks >= 1, path
    with pytest.raises(QueryTooCostly):
        run(Budget(checks // 2, clock=TickingClock()))


def test_the_executor_checks_at_every_posting_list_it_reads(engine):
    """A query's work grows with the posting lists it reads: the budget is checked at each (a prefix of many
    words is checked once per word), not once per query."""
    from parlsearch.search.engine.plan import expansions_in
    node = engine.node_of(engine.parse("sta*")[0][0][1])
    words = sum(len(engine.expand(x)) for x in expansions_in(node))
    assert words >= 30
    engine._expansions.clear()
    assert _checks(lambda b: engine.search("sta* logement", budget=b)) >= words


@pytest.mark.parametrize("command", [["search", "tram"], ["similar", "PRB-1-170245"], ["stats", "tram"],
                                     ["search", "--", "tram -bus"], ["similar", "--text", "tram 55 fréquentation"]])
def test_max_cpu_stops_a_command_with_one_line_and_exit_2(bundled_index, command):
    from click.testing import CliRunner
    from parlsearch.search.cli.app import cli
    args = [command[0], "--index", str(bundled_index), "--max-cpu", "0.000001"] + command[1:]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("parlsearch: error:") and "CPU" in lines[0]


@pytest.mark.parametrize("command", ["search", "similar", "stats"])
def test_max_cpu_is_documented(command):
    from click.testing import CliRunner
    from parlsearch.search.engine.budget import DEFAULT_CLI_SECONDS
    from parlsearch.search.cli.app import cli
    help_text = CliRunner().invoke(cli, [command, "--help"]).output
    assert "--max-cpu SECONDS" in help_text and "default: %s" % DEFAULT_CLI_SECONDS in " ".join(help_text.split())
