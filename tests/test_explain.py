"""`search --explain` / Engine.explain: the parts of a hit's score add up to it exactly, for every judged
query, and name what they are (the words, the fields, the exact form's bonus, the coverage share)."""
import json

from helpers import DATA, assert_one_line_error, cli

JUDGED = [json.loads(line)["q"] for name in ("dev", "dev2", "judged")
          for line in (DATA / ("%s.jsonl" % name)).read_text(encoding="utf-8").splitlines() if line.strip()]


def _leaves(part):
    if not part.parts:
        yield part
    for p in part.parts:
        yield from _leaves(p)


def test_the_parts_add_up_to_every_hits_score(engine):
    from parlsearch.search.engine.query import QueryError
    checked = 0
    for text in JUDGED + ["tram -bus", '"garantie jeunesse"', "statut:repondu logement", "cyclab*", "date:2026 vélo"]:
        try:
            result = engine.search(text, limit=3, explain=True, snippets=False)
        except QueryError:
            continue
        for hit in result.hits:
            e = hit.explanation
            assert abs(e.score - hit.score) <= 1e-9 * max(1.0, hit.score), text
            top = e.parts[0]
            assert abs(top.score - e.relevance) <= 1e-12
            sums = [p for p in top.parts]
            if top.label in ("OR", "AND") or top.label.startswith("word"):
                assert abs(sum(p.score for p in sums) - top.score) <= 1e-9 * max(1.0, top.score), text
            checked += 1
    assert checked > 150


def test_a_word_is_explained_field_by_field_with_the_exact_form(engine):
    result = engine.search("stationnement vélo", limit=1, explain=True)
    e = result.hits[0].explanation
    assert e.coverage is not None and 0 < e.coverage <= 1
    assert {w["word"] for w in e.words} == {"stationnement", "vélo"}
    labels = [leaf.label for leaf in _leaves(e.parts[0])]
    assert "exact:stationnement" in labels and any(label.startswith("subject:") for label in labels)
    leaf = next(leaf for leaf in _leaves(e.parts[0]) if leaf.label == "exact:stationnement")
    assert leaf.detail["tf"] >= 1 and leaf.detail["weight"] == 2.0 and leaf.detail["idf"] > 0


def test_explain_by_id_and_for_a_document_that_does_not_match(engine):
    hit = engine.search("garantie jeunesse", limit=1).hits[0]
    e = engine.explain("garantie jeunesse", hit.doc.id)
    assert abs(e.score - hit.score) < 1e-9
    assert engine.explain("garantie jeunesse", "PRB-1-000000") is None


# -- the command line: search --explain --------------------------------------------------------------------

def test_search_explain_prints_the_parts_that_ranked_each_hit(bundled_index, engine):
    """Text: under each hit its score as relevance × coverage, each word's fields with their BM25 inputs;
    JSON: the same numbers as Engine.search(explain=True), per hit."""
    proc = cli("search", "--index", bundled_index, "--explain", "-n", "2", "stationnement vélo")
    assert proc.returncode == 0, proc.stderr
    expected = engine.search("stationnement vélo", limit=2, explain=True).hits
    for hit in expected:
        e = hit.explanation
        assert "score %.4f = relevance %.4f × coverage %.3f" % (e.score, e.relevance, e.coverage) in proc.stdout
    assert 'word "vélo"' in proc.stdout and "exact:stationnement" in proc.stdout and "idf" in proc.stdout
    assert "coverage: each word's share of the query's information" in proc.stdout
    as_json = cli("search", "--index", bundled_index, "--explain", "--json", "-n", "2", "stationnement vélo")
    hits = json.loads(as_json.stdout)["hits"]
    assert [h["explanation"] for h in hits] == [json.loads(json.dumps(h.explanation.to_dict())) for h in expected]
    plain = json.loads(cli("search", "--index", bundled_index, "--json", "-n", "2", "stationnement vélo").stdout)
    assert all("explanation" not in h for h in plain["hits"])  # only when asked


def test_search_explain_refuses_what_it_cannot_explain(bundled_index):
    for extra in (["--count"], ["--csv"], ["--format", "line"], ["--sort", "-date"]):
        assert_one_line_error(cli("search", "--index", bundled_index, "--explain", *extra, "tram"), "--explain")
