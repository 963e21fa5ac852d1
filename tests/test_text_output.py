"""What a person reads in the text format (issue 19, items 11, 19 and 20): `--closest` gives each document's date
and id; `similar` says what its results are like, with each one's share and a passage; `show` names the type
as the Parliament does and says where a document came from in a way that still means something."""
import json
import re
import shutil

import pytest
from click.testing import CliRunner

from parlsearch.corpus.reader import bundled_corpus
from parlsearch.search.cli.app import cli


def _run(index, *args):
    return CliRunner().invoke(cli, [args[0], "--index", str(index), *args[1:]])


# -- --closest ---------------------------------------------------------------------------------------------------

def test_closest_lists_date_id_and_names_as_format_line_does(bundled_index):
    result = _run(bundled_index, "search", "--closest", "fusion des zones de police")
    assert result.exit_code == 1
    listed = re.findall(r"^ ?\d\. (\d{4}-\d\d-\d\d PRB-\S+ .+?)  \(covers \d+% of the query\)$", result.output, re.M)
    assert len(listed) == 3, result.output
    closest = json.loads(_run(bundled_index, "search", "--json", "--closest", "fusion des zones de police")
                         .output)["closest"]
    for line, hit in zip(listed, closest):
        shown = _run(bundled_index, "show", "--format", "line", hit["id"]).output.strip()
        assert line == shown  # the same line as --format line gives that document


# -- similar -----------------------------------------------------------------------------------------------------

def test_similar_says_what_its_results_are_like_with_each_share_and_a_passage(bundled_index):
    result = _run(bundled_index, "similar", "170285")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    source = _run(bundled_index, "show", "--format", "line", "170285").output.strip()
    assert lines[0] == "Similar to " + source
    data = json.loads(_run(bundled_index, "similar", "--json", "170285").output)
    assert data["hits"] and all(h["snippet"] for h in data["hits"])  # a passage for each
    for hit in data["hits"]:
        title = next(i for i, line in enumerate(lines) if line.startswith("%2d. " % hit["rank"]))
        assert lines[title].endswith("(covers %d%% of the key words)" % round(100 * hit["score"]))
        block = lines[title:title + 5]
        assert any(hit["snippet"][:40].strip("…") in line for line in block), block
    assert lines[-1] == "%d similar question%s" % (len(data["hits"]), "" if len(data["hits"]) == 1 else "s")


def test_similar_to_a_text_quotes_its_start(bundled_index):
    draft = "Quelle est la fréquentation du tram 55 ?   " + "Et des bus de la STIB ? " * 10
    result = _run(bundled_index, "similar", "--text", draft)
    header = result.output.splitlines()[0]
    assert header.startswith('Similar to the text "Quelle est la fréquentation du tram 55 ? Et des bus')
    assert header.endswith('…"') and len(header) < 100


def test_similar_finding_nothing_says_so_without_a_header(bundled_index):
    result = _run(bundled_index, "similar", "--text", "zeppelinodrome lunaire intergalactique")
    assert result.exit_code == 1
    assert result.output.startswith("0 results: no question is close enough"), result.output


# -- show: type and source ---------------------------------------------------------------------------------------

def test_show_names_the_type_as_the_parliament_and_the_web_page_do(bundled_index):
    out = _run(bundled_index, "show", "170285").output
    assert re.search(r"^Type: +Question écrite n° 177$", out, re.M), out
    assert "written_question" not in out and not re.search(r"^Number:", out, re.M)
    pytest.importorskip("flask")
    from parlsearch.search.web.app import create_app
    page = create_app(bundled_index).test_client().get("/doc/PRB-1-170285").get_data(as_text=True)
    assert "Question écrite n° 177" in page


def test_every_type_has_one_label_shared_by_show_and_the_web_page():
    pytest.importorskip("flask")
    from parlsearch.corpus.brussels import TYPE_LABELS, TYPES
    from parlsearch.corpus.model import Document, type_label
    from parlsearch.search.web import app as web
    assert set(TYPE_LABELS) == set(TYPES) and web.TYPE_LABELS is TYPE_LABELS
    for code, label in TYPE_LABELS.items():
        assert type_label(Document.create(title="t", question="q", type=code)) == label
        assert type_label(Document.create(title="t", question="q", type=code, number=3)) == label + " n° 3"


@pytest.fixture
def old_install(tmp_path):
    """A copy of a bundled page inside another installation's site-packages, and a user's own file."""
    data = tmp_path / "oldvenv" / "lib" / "python3.11" / "site-packages" / "parlsearch" / "corpus" / "data"
    (data / "pages").mkdir(parents=True)
    page = data / "pages" / "weblex-quest-det-170294.html"
    shutil.copy(bundled_corpus() / "pages" / page.name, page)
    mine = tmp_path / "mine" / "q.jsonl"
    mine.parent.mkdir()
    mine.write_text(json.dumps({"moncode": "990001", "titre": "Question écrite concernant les zeppelins",
                                "question": "Des zeppelins ?"}) + "\n", "utf-8")
    index = tmp_path / "index"
    assert CliRunner().invoke(cli, ["index", "--index", str(index), "-q", str(page), str(mine)]).exit_code == 0
    return index, page, mine


def _source(index, doc_id):
    out = _run(index, "show", doc_id).output
    return re.search(r"^Source: +(.*)$", out, re.M).group(1)


def test_show_source_is_a_path_only_while_it_exists(old_install):
    index, page, mine = old_install
    assert _source(index, "990001") == str(mine)
    mine.unlink()
    assert _source(index, "990001") == "%s (no longer there)" % mine


def test_show_source_of_the_bundled_corpus_says_so_wherever_it_was_installed(old_install):
    index, page, _ = old_install
    shutil.rmtree(page.parents[5])  # the old virtual environment is gone
    assert _source(index, "170294") == "bundled corpus (pages/weblex-quest-det-170294.html)"


def test_show_source_of_this_installation_s_bundled_corpus(bundled_index):
    assert _source(bundled_index, "170285") == "bundled corpus (brussels-written-questions-2024-2029.json)"


# -- watch list ----------------------------------------------------------------------------------------------

def test_watch_list_aligns_searches_with_and_without_words(tmp_path, monkeypatch):
    for name in ("CONFIG", "STATE", "DATA"):
        monkeypatch.setenv("XDG_%s_HOME" % name, str(tmp_path / name.lower()))
    runner = CliRunner()
    for args in (["stib", "STIB retard", "--since", "2025"], ["open", "--status", "unanswered"],
                 ["a-rather-long-saved-search-name", "logement", "--minister", "van den brandt"]):
        assert runner.invoke(cli, ["watch", "add", *args]).exit_code == 0
    rows = runner.invoke(cli, ["watch", "list"]).output.splitlines()
    assert len(rows) == 3
    starts = {re.match(r"\S+ +", row).end() for row in rows}
    assert len(starts) == 1, rows  # what each one searches starts in one column
    column = starts.pop()
    assert [row[column:].split("  (last run")[0] for row in rows] == [
        "STIB retard --since 2025-01-01", "--status unanswered", "logement --minister 'van den brandt'"]
