"""The filters beside a query (issue 19, mutation spot-check). --author and --minister keep the documents of that
person only: every word of the name must match (a filter matching any one of the name's words survived the
test suite, and `--author "Jean-Pierre Kerckhofs"` would also have returned Marc-Jean Ghyssels' question). And
every filter applies to `*` as to any query (whoosh's normalize() turned `*` AND a filter into `*`)."""
import json

import pytest
from click.testing import CliRunner

from parlsearch.index.update import update_index
from parlsearch.search.cli.app import cli


def _ids(index, *args):
    result = CliRunner().invoke(cli, ["search", "--index", str(index), "--format", "line", *args])
    assert result.exit_code in (0, 1), result.output
    return sorted(line.split()[1] for line in result.stdout.splitlines())


def test_a_hyphenated_first_name_is_not_another_jean(bundled_index):
    kerckhofs = _ids(bundled_index, "--author", "Jean-Pierre Kerckhofs")
    assert kerckhofs == ["PRB-2019-2024-qe-1263"]
    jeans = _ids(bundled_index, "--author", "Jean")
    assert "PRB-2019-2024-qe-1263" in jeans and "PRB-1-170235" in jeans  # Marc-Jean Ghyssels: a Jean too
    assert _ids(bundled_index, "--author", "Marc Kerckhofs") == []  # words of two different people
    assert _ids(bundled_index, 'auteur:"Jean-Pierre Kerckhofs"') == kerckhofs


@pytest.fixture(scope="module")
def namesakes(tmp_path_factory):
    people = [("Marie Dupont", "Elke Van den Brandt"), ("Marie Durand", "Jan Van den Berg"),
              ("Jean Dupont", "Elke Janssens"), ("Anne-Marie Lenoir", "Ans Persoons")]
    records = [{"moncode": str(920001 + i), "titre": "Question écrite concernant le sujet %d" % i,
                "question": "Question %d ?" % i, "auteur": author, "destinataire": minister + " - Ministre",
                "date_reception": "2026-01-%02d" % (i + 1)} for i, (author, minister) in enumerate(people)]
    src = tmp_path_factory.mktemp("names") / "q.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    update_index([src], src.parent / "index")
    return src.parent / "index"


@pytest.mark.parametrize("option,name,expected", [
    ("--author", "Marie Dupont", ["PRB-1-920001"]),
    ("--author", "marie dupont", ["PRB-1-920001"]),  # case and accents ignored
    ("--author", "Marie", ["PRB-1-920001", "PRB-1-920002", "PRB-1-920004"]),  # Anne-Marie is a Marie
    ("--author", "Dupont", ["PRB-1-920001", "PRB-1-920003"]),
    ("--author", "Anne-Marie Lenoir", ["PRB-1-920004"]),
    ("--author", "Jean Durand", []),
    ("--minister", "Elke Van den Brandt", ["PRB-1-920001"]),
    ("--minister", "Van den Berg", ["PRB-1-920002"]),
    ("--minister", "Elke", ["PRB-1-920001", "PRB-1-920003"]),
])
def test_every_word_of_the_name_must_match(namesakes, option, name, expected):
    assert _ids(namesakes, option, name, "*") == expected


def test_stats_and_saved_searches_filter_names_the_same_way(namesakes):
    out = CliRunner().invoke(cli, ["stats", "--index", str(namesakes), "--author", "Marie Dupont", "--json"])
    assert json.loads(out.stdout)["total"] == 1


@pytest.mark.parametrize("filters", [["--author", "Jean-Pierre Kerckhofs"], ["--since", "2026-07-01"],
                                     ["--status", "unanswered"], ["--minister", "clerfayt"],
                                     ["--answered-until", "2026-01-31"]])
def test_every_filter_applies_to_star_as_to_no_words(bundled_index, filters):
    runner = CliRunner()

    def count(*args):
        return int(runner.invoke(cli, ["search", "--index", str(bundled_index), "--count", *args]).stdout)

    alone = count(*filters)
    assert 0 < alone < 107
    assert count(*filters, "*") == alone
    stats = runner.invoke(cli, ["stats", "--index", str(bundled_index), "--json", *filters, "*"])
    assert json.loads(stats.stdout)["total"] == alone
