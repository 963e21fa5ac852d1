"""Bounded snippet windows: marked words are query words, the window holds the densest run of them,
and on the bundled corpus they mark what whoosh's highlighter marks."""
import re

from hypothesis import given, settings, strategies as st

from parlsearch.index.analysis import LANGUAGES
from parlsearch.search.engine.snippets import (ELLIPSIS, MARK_END, MARK_START, WIDTH, best_snippet, best_window,
                                        find_matches)

MARKED = re.compile(re.escape(MARK_START) + "(.*?)" + re.escape(MARK_END))


def _terms(words, lang="fr"):
    return {t for ts, _, _, _ in LANGUAGES[lang].tokens(words, index=False) for t in ts}


def _key(matches, width):
    """Brute force: the best (distinct terms, matches) of any run within `width` characters."""
    best = (0, 0)
    for i in range(len(matches)):
        for j in range(i + 1, len(matches) + 1):
            if matches[j - 1][1] - matches[i][0] <= width:
                best = max(best, (len({m[2] for m in matches[i:j]}), j - i))
    return best


def test_marks_query_words_in_the_densest_window():
    filler = "Le conseil a examiné la question en séance publique. " * 20
    text = (filler + "Les vélos en stationnement. " + filler
            + "Le stationnement des vélos cargo et le stationnement des vélos partagés près des gares. " + filler)
    terms = _terms("stationnement vélo")
    snippet = best_snippet(text, "fr", terms)
    marked = MARKED.findall(snippet)
    assert len(marked) == 4 and {w.lower() for w in marked} == {"stationnement", "vélos"}
    assert "cargo" in snippet and len(snippet.replace(MARK_START, "").replace(MARK_END, "")) <= WIDTH + 40


def test_no_query_word_gives_none_and_document_markers_are_removed():
    assert best_snippet("rien à voir", "fr", _terms("vélo")) is None
    assert best_snippet("", "fr", _terms("vélo")) is None
    forged = best_snippet("un \x02vélo\x03 forgé", "fr", _terms("vélo"))
    assert forged.count(MARK_START) == 1 and MARKED.findall(forged) == ["vélo"]


def test_a_whole_short_text_is_shown_without_ellipsis():
    """"…" says the text was cut; a snippet of the whole text has none at either end."""
    assert best_snippet("Le stationnement des vélos.", "fr", _terms("stationnement vélo")) == \
        "Le %sstationnement%s des %svélos%s." % (MARK_START, MARK_END, MARK_START, MARK_END)
    text = "Le stationnement des vélos. " + "Le conseil a examiné la question en séance publique. " * 10
    assert best_snippet(text, "fr", _terms("stationnement")).startswith("Le " + MARK_START)
    assert best_snippet(text, "fr", _terms("stationnement")).endswith(ELLIPSIS)
    tail = best_snippet(text + "Et le tram.", "fr", _terms("tram"))
    assert tail.startswith(ELLIPSIS) and tail.endswith("le %stram%s." % (MARK_START, MARK_END))


def test_of_equally_dense_windows_the_first_is_shown():
    """The same words at the start and again later: the snippet shows their first mention."""
    filler = "Le conseil a examiné la question en séance publique. " * 10
    text = filler + "Le stationnement des vélos rue Haute. " + filler + "Le stationnement des vélos rue Basse. " + filler
    terms = _terms("stationnement vélo")
    matches = find_matches(text, "fr", terms)
    assert len(matches) == 4 and best_window(matches) == (0, 2)
    snippet = best_snippet(text, "fr", terms)
    assert snippet.count(MARK_START) == 2 and "Haute" in snippet and "Basse" not in snippet


def test_scan_is_bounded():
    text = "mot " * 1000 + "vélo"
    assert best_snippet(text, "fr", _terms("vélo"), max_scan=2000) is None
    assert best_snippet(text, "fr", _terms("vélo")) is not None


WORDS = ["vélo", "tram", "métro", "bus", "le", "de", "gare", "piste", "rue"]


@settings(max_examples=80, deadline=None)
@given(words=st.lists(st.sampled_from(WORDS), min_size=0, max_size=80),
       query=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3), width=st.integers(10, 120))
def test_window_is_the_densest(words, query, width):
    text = " ".join(words)
    terms = _terms(" ".join(query))
    matches = find_matches(text, "fr", terms)
    i, j = best_window(matches, width)
    if not matches:
        assert (i, j) == (0, 0)
        return
    assert matches[j - 1][1] - matches[i][0] <= width or j - i == 1
    assert (len({m[2] for m in matches[i:j]}), j - i) == _key(matches, width) or j - i == 1 and _key(
        matches, width) == (0, 0)
    for w in MARKED.findall(best_snippet(text, "fr", terms, width=width) or ""):
        assert _terms(w) & terms


def test_marks_what_whoosh_marks_on_the_bundled_corpus(engine):
    """For real queries, every marked word is a query word, and a field whoosh's highlighter finds a
    query word in gets a snippet here too."""
    for text in ["stationnement", "logement social", "vélo", "pollution de l'air", "STIB", "titres-services"]:
        result = engine.search(text, limit=10)
        terms = engine.snippet_terms(engine.plan(text).node, ["question", "answer"])
        for hit in result.hits:
            for name in ("question", "answer"):
                ours = best_snippet(getattr(hit.doc, name), "fr", terms[name])
                for w in MARKED.findall(ours or ""):
                    assert _terms(w) & terms[name] or any(
                        t in terms[name] for ts, _, _, _ in LANGUAGES["fr"].tokens(w, index=True) for t in ts)
                if any(MARK_START in s for s in hit.snippets) and name == "question" and \
                        find_matches(hit.doc.question or "", "fr", terms[name]):
                    assert ours and MARK_START in ours


def test_candidate_scan_finds_what_the_full_analysis_finds(engine):
    """Every word the analyzer matches is found by the candidate scan, on every question and answer of the
    bundled corpus, for terms of many kinds (accents, compounds, elisions, numbers, uppercase)."""
    from parlsearch.search.engine.snippets import find_matches_full
    queries = ["stationnement vélo", "sécurité routière", "titres-services", "hub.brussels", "accessibilité",
               "STIB métro", "énergie", "crèches", "œuvre", "13.622.302", "2024", "l'emploi", "écoles",
               "Région bruxelloise", "qualité de l'air", "flexi-jobs", "ça", "oeuvres", "Saint-Gilles"]
    searcher = engine.searcher
    from parlsearch.index.schema import document_from_payload
    docs = [document_from_payload(f["payload"]) for f in searcher.all_stored_fields()]
    for words in queries:
        terms = _terms(words) | {t for ts, _, _, _ in LANGUAGES["fr"].tokens(words, index=True) for t in ts}
        for doc in docs:
            for text in (doc.question or "", doc.answer or ""):
                ours = find_matches(text, "fr", terms)
                full = find_matches_full(text, "fr", terms)
                # the same words (a compound may be found from its start or by its part)
                for s, e, _ in full:
                    assert any(a < e and s < b for a, b, _ in ours), (words, doc.id, text[s:e])
                for s, e, t in ours:
                    assert t in terms and any(a < e and s < b for a, b, _ in full), (words, text[s:e])
