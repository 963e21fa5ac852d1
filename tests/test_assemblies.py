"""Two assemblies in one index: the Brussels corpus and the Chamber's questions (a few hundred of them, the
`both_index` fixture), through the engine, the command line and the web page."""
import json
import re

import pytest
from click.testing import CliRunner

from parlsearch.search.cli.app import cli
from parlsearch.search.engine.counting import count_matches
from parlsearch.search.engine.filters import SearchFilters

from helpers import CHAMBER_SUBSET, chamber_lines

NIGHT = "CHAMBER-55-B034-2-0136-2020202107205"  # night and shift work, in French and Dutch
NIGHT_URI = "http://data.dekamer.be/v0/qrva/55-B034-2-0136-2020202107205"
AUTOTESTS = ["CHAMBER-55-B032-6-0151-2020202106194", "CHAMBER-55-B025-6-0812-2019202003197",
             "CHAMBER-55-B018-5-0502-2019202003197"]  # one question put to three ministers


@pytest.fixture(scope="module")
def records():
    return [json.loads(line) for line in chamber_lines(CHAMBER_SUBSET)]


def run(*args):
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output, result.stderr


# -- the index -------------------------------------------------------------------------------------------

def test_both_assemblies_are_counted_apart(both_engine, records):
    counts = count_matches(both_engine, "", facets=("assembly", "status"))
    assert counts.facets["assembly"] == {"CHAMBER": len(records), "PRB": 107}
    assert counts.facets["status"]["unknown"] == len(records)  # the Chamber's data holds no answers


@pytest.mark.parametrize("query, language", [
    ("précompte professionnel travail de nuit en équipe", "fr"),
    ("bedrijfsvoorheffing nachtarbeid ploegenarbeid", "nl"),
])
def test_each_language_finds_the_question_through_its_own_text(both_engine, query, language):
    result = both_engine.search(query, limit=3)
    assert result.hits[0].doc.id == NIGHT
    marked = re.findall("\x02(.*?)\x03", " ".join(result.hits[0].snippets))
    text = result.hits[0].doc.question if language == "fr" else result.hits[0].doc.question_nl
    assert marked and all(word in text for word in marked)  # the snippet is from that language's text


def test_one_hit_per_question_not_one_per_language(both_engine, records):
    """"bodycams" is written alike in French and Dutch: each question holding it is one hit."""
    result = both_engine.search("bodycams", limit=100, snippets=False)
    ids = [h.doc.id for h in result.hits]
    expected = {"CHAMBER-" + r["uri"].rsplit("/", 1)[1] for r in records
                if "bodycam" in (r["text_fr"] + r["text_nl"]).lower()}
    assert len(ids) == len(set(ids)) == result.total and expected <= set(ids) and expected


@pytest.mark.parametrize("assembly, prefix", [("chamber", "CHAMBER-"), ("Kamer", "CHAMBER-"), ("PRB", "PRB-"),
                                              ("brussels", "PRB-")])
def test_the_assembly_filter(both_engine, assembly, prefix):
    everything = both_engine.search("travail", limit=1, snippets=False).total
    result = both_engine.search("travail", limit=500, snippets=False,
                                filters=SearchFilters(assembly=assembly).queries())
    assert result.hits and all(h.doc.id.startswith(prefix) for h in result.hits)
    other = "PRB" if prefix == "CHAMBER-" else "CHAMBER"
    rest = both_engine.search("travail", limit=1, snippets=False, filters=SearchFilters(assembly=other).queries())
    assert result.total + rest.total == everything


def test_the_query_language_names_the_assembly(both_engine):
    chamber = both_engine.search("travail assemblee:chambre", limit=500, snippets=False)
    assert chamber.total and all(h.doc.assembly == "CHAMBER" for h in chamber.hits)
    assert both_engine.search("travail assembly:PRB", limit=1).total == \
        both_engine.search("travail", limit=1, filters=SearchFilters(assembly="PRB").queries()).total


# -- the command line ------------------------------------------------------------------------------------

def test_search_json_says_the_assembly_and_the_official_identifier(both_index):
    code, out, _ = run("search", "--index", str(both_index), "--json", "-n", "3", "--assembly", "chamber",
                       "ploegenarbeid")
    assert code == 0
    hit = json.loads(out)["hits"][0]
    assert (hit["id"], hit["assembly"], hit["official_id"], hit["title_derived"], hit["status"]) == \
        (NIGHT, "CHAMBER", NIGHT_URI, True, "unknown")
    # A tool keyed on official codes (a judged set's `expect`) finds the Chamber's question by its identifier.
    assert hit["moncode"] == NIGHT_URI
    brussels = CliRunner().invoke(cli, ["search", "--index", str(both_index), "--json", "-n", "3",
                                        "--assembly", "brussels", "*"])
    hits = json.loads(brussels.stdout)["hits"]
    assert hits and all(h["official_id"] is None and str(h["moncode"]).isdigit() for h in hits)


def test_search_text_names_the_assembly_and_what_is_missing(both_index):
    code, out, _ = run("search", "--index", str(both_index), "--color", "never", "ploegenarbeid")
    assert code == 0
    assert "(first sentence; the source has no title)" in out
    assert ("Chamber · no author or minister in the source data · undated (session 20/21) · no answer in the "
            "source data · %s" % NIGHT) in out
    code, out, _ = run("search", "--index", str(both_index), "--color", "never", "-n", "1", "Cinquantenaire")
    assert "    Brussels Parliament · " in out


def test_an_unknown_assembly_is_one_error_line(both_index):
    code, _, err = run("search", "--index", str(both_index), "--assembly", "senate", "tram")
    assert code == 2 and err.count("\n") == 1 and "unknown assembly 'senate'" in err and "CHAMBER" in err


def test_stats_by_assembly(both_index, records):
    code, out, _ = run("stats", "--index", str(both_index), "--json")
    assert code == 0 and json.loads(out)["by_assembly"] == {"CHAMBER": len(records), "PRB": 107}
    code, out, _ = run("stats", "--index", str(both_index), "travail", "--by", "assembly,status", "--json")
    cross = json.loads(out)["cross"]
    assert set(cross) == {"CHAMBER", "PRB"} and set(cross["CHAMBER"]) >= {"unknown"}
    assert cross["CHAMBER"].get("answered", 0) == 0 and cross["PRB"].get("unknown", 0) == 0
    code, out, _ = run("stats", "--index", str(both_index), "--assembly", "chamber", "travail", "--json")
    assert set(json.loads(out)["facets"]["assembly"]) == {"CHAMBER"}


@pytest.mark.parametrize("given", [NIGHT, NIGHT.lower(), NIGHT_URI, NIGHT_URI.replace("http:", "https:"),
                                   "55-B034-2-0136-2020202107205"])
def test_show_finds_the_question_by_id_identifier_or_key(both_index, given):
    code, out, _ = run("show", "--index", str(both_index), "--json", given)
    assert code == 0 and json.loads(out)["id"] == NIGHT


def test_show_prints_both_texts_and_the_identifier(both_index):
    code, out, _ = run("show", "--index", str(both_index), "--color", "never", NIGHT)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].endswith("professionnel. (first sentence; the source has no title)")
    assert "Official id:   " + NIGHT_URI in lines
    assert ("Published as:  legislature 55, bulletin B034, part 2, number 0136, session 2020-2021, sequence "
            "07205") in lines
    assert "Not in source: title, author, minister, date received, answer" in lines
    assert "Question" in lines and "Vraag" in lines and lines[-1] == "(no answer in the source data)"
    assert lines[lines.index("Vraag") + 1].startswith("Er zijn verminderingen van de bedrijfsvoorheffing")


def test_show_of_a_url_of_no_question_says_so(both_index):
    code, _, err = run("show", "--index", str(both_index), "http://data.dekamer.be/v0/other/55")
    assert code == 1 and "names no question" in err


def test_similar_searches_both_assemblies_and_says_which(both_index, both_engine):
    """A draft on a Brussels question's subject and on a Chamber question's: both are found, each hit says
    its assembly."""
    night = both_engine.get(NIGHT)
    brussels = both_engine.get("PRB-1-170115")  # shared bicycles and bicycle parking
    draft = brussels.subject + " " + brussels.question[:600] + " " + night.question[:600]
    hits = both_engine.similar_text(draft, limit=10)
    assert {h.doc.assembly for h in hits} == {"PRB", "CHAMBER"}
    code, out, _ = run("similar", "--index", str(both_index), "--color", "never", "--text", draft)
    assert code == 0
    metas = [line.strip() for line in out.splitlines() if " · " in line]
    assert any(m.startswith("Chamber · ") for m in metas) and any(m.startswith("Brussels Parliament · ")
                                                                  for m in metas)
    code, out, _ = run("similar", "--index", str(both_index), "--jsonl", "--text", draft)
    assert {json.loads(line)["assembly"] for line in out.splitlines()} == {"PRB", "CHAMBER"}


def test_similar_of_a_question_put_to_three_ministers_finds_the_other_two(both_engine):
    hits = both_engine.similar(AUTOTESTS[0].replace("CHAMBER-", ""), limit=5)  # its key names it too
    assert {h.doc.id for h in hits[:2]} == set(AUTOTESTS[1:])


def test_watch_takes_the_assembly(both_index, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    code, out, _ = run("watch", "add", "kamer", "travail", "--assembly", "kamer", "--index", str(both_index))
    assert code == 0
    toml = (tmp_path / "config" / "parlsearch" / "watches.toml").read_text("utf-8")
    assert 'assembly = "CHAMBER"' in toml
    assert run("watch", "run", "--index", str(both_index))[0] == 1  # the baseline
    from parlsearch.search.watch.saved import load_state
    seen = load_state("kamer")["seen"]
    assert seen and all(doc_id.startswith("CHAMBER-") for doc_id in seen)


def test_index_takes_the_file_as_published_and_the_bundled_dataset(tmp_path, chamber_subset_file, monkeypatch):
    from parlsearch.corpus import reader
    code, out, err = run("index", "--index", str(tmp_path / "a"), str(chamber_subset_file))
    assert code == 0 and out.startswith("%d new" % len(chamber_lines(CHAMBER_SUBSET))) and not err
    names = next(p for p in cli.commands["index"].params if p.name == "bundled").type.choices
    assert set(names) == set(reader.bundled_datasets())
    assert reader.bundled_datasets()["chamber"].is_file()
    monkeypatch.setattr(reader, "bundled_datasets", lambda: {"brussels": reader.bundled_corpus(),
                                                              "chamber": chamber_subset_file})
    code, out, _ = run("index", "--index", str(tmp_path / "b"), "--bundled", "chamber", "--bundled", "brussels")
    assert code == 0 and "Index: %d documents" % (107 + len(chamber_lines(CHAMBER_SUBSET))) in out


# -- eval: official identifiers as expected answers ------------------------------------------------------

def test_eval_accepts_the_official_identifier_or_its_key(both_engine, tmp_path):
    from parlsearch.search.evaluate import evaluate, load_judgments
    path = tmp_path / "j.jsonl"
    cases = [{"id": "uri", "kind": "k", "q": "ploegenarbeid", "expect": [NIGHT_URI]},
             {"id": "key", "kind": "k", "q": "ploegenarbeid", "expect": ["55-B034-2-0136-2020202107205"]},
             {"id": "id", "kind": "k", "q": "ploegenarbeid", "expect": [NIGHT]},
             {"id": "other", "kind": "k", "q": "ploegenarbeid", "expect": [NIGHT_URI.replace("0136", "0137")]}]
    path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    report = evaluate(both_engine, load_judgments(path))
    assert [c.passed for c in report.cases] == [True, True, True, False]


# -- the web page ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(both_index):
    pytest.importorskip("flask")
    from parlsearch.search.web.app import create_app
    return create_app(both_index).test_client()


def test_web_facets_and_filter_by_assembly(client, records):
    page = client.get("/?q=travail").data.decode()
    facet = page[page.index("facet-assembly"):]
    facet = facet[:facet.index("</section>")]
    assert "Chambre" in facet and "Parlement bruxellois" in facet and "assembly=CHAMBER" in facet
    narrowed = client.get("/?q=travail&assembly=chamber")
    assert narrowed.status_code == 200 and "/doc/PRB-" not in narrowed.data.decode()
    assert "assemblée = Chambre" in " ".join(narrowed.data.decode().split())
    api = client.get("/api/search?q=travail&assembly=PRB&n=100").json
    assert api["hits"] and {h["assembly"] for h in api["hits"]} == {"PRB"}
    refused = client.get("/api/search?q=travail&assembly=senate")
    assert refused.status_code == 400 and refused.json["parameter"] == "assembly"
    assert client.get("/api/stats").json["by_assembly"] == {"CHAMBER": len(records), "PRB": 107}


def test_web_document_page_of_a_chamber_question(client):
    by_key = client.get("/doc/55-B034-2-0136-2020202107205")
    assert by_key.status_code == 200 and NIGHT in by_key.data.decode()
    page = " ".join(client.get("/doc/" + NIGHT).data.decode().split())
    assert '<span class="derived">(première phrase ; la source n’a pas de titre)</span>' in page
    assert "<dt>Assemblée</dt><dd>Chambre</dd>" in page
    assert '<dt>Auteur</dt><dd><span class="missing">absent des données</span></dd>' in page
    assert '<a class="official" href="%s" rel="noopener noreferrer">' % NIGHT_URI in page
    assert '<h2 id="h-vraag">Vraag</h2>' in page and "Er zijn verminderingen van de bedrijfsvoorheffing" in page
    assert "Les données de la source ne contiennent pas de réponse." in page
