"""The web page's states for people (issue 19, items 27 and 11): each state of a search has its own
<title>; a refused value is shown back in its field, named, with the rest of the search kept; the focus ring
is visible on every background; a search that finds nothing is not a dead end."""
import re
from pathlib import Path

import pytest

pytest.importorskip("flask")

from parlsearch.search.web import app as web  # noqa: E402

from web_helpers import Page, get, html  # noqa: E402

NOTHING = "fusion des zones de police"  # README: a near miss that finds no answer


@pytest.fixture(scope="module")
def client(bundled_index):
    app = web.create_app(bundled_index)
    yield app.test_client()
    app.extensions["parlsearch"].close()


def title(client, path="/", expect=200, **params) -> str:
    return Page(html(get(client, path, expect, **params))).title


def test_each_search_state_has_its_own_title(client):
    states = {
        "home": title(client),
        "results": title(client, q="logement"),
        "page 2": title(client, q="logement", page=2),
        "filtered": title(client, q="logement", status="answered"),
        "other query": title(client, q="tram"),
        "nothing": title(client, q=NOTHING),
        "refused": title(client, "/", 400, q="logement", since="zzz"),
    }
    assert len(set(states.values())) == len(states), states
    assert all(t.endswith(" · parlsearch") for t in states.values())
    assert "« logement »" in states["results"] and "résultat" in states["results"]
    assert "page 2" in states["page 2"] and "page" not in states["results"].replace("parlsearch", "")
    assert "(statut répondue)" in states["filtered"]
    assert "aucun résultat" in states["nothing"]
    assert states["refused"].startswith("Erreur (Reçue depuis)")


def test_the_paste_page_title_says_what_was_found(client):
    before = title(client, "/similar")
    after = title(client, "/similar", text="Quelle est la fréquentation du tram 55 ?")
    nothing = title(client, "/similar", text="zzzqx wwwqy")
    assert len({before, after, nothing}) == 3
    assert re.search(r"\d+ questions? proches? pour « Quelle est la fréquentation", after)
    assert "aucune question proche" in nothing


def test_a_bad_date_keeps_the_search_and_names_the_field(client):
    """`since=zzz` used to replace the whole search with an error page that did not say which field."""
    page = Page(html(get(client, "/", 400, q="stationnement vélo", since="zzz", status="answered", n=20)))
    query = page.find("input", id="q")[0]
    assert query["value"] == "stationnement vélo" and "aria-invalid" not in query
    since = page.find("input", id="since")[0]
    assert since["value"] == "zzz" and since["aria-invalid"] == "true"
    reason = since["aria-describedby"]
    words = page.words()
    assert "Reçue depuis : « zzz » n’est pas une date" in words
    assert [a for t, a in page.tags if a.get("id") == reason]  # the field points at its reason
    assert page.find("a", href="#since")  # the summary links to the field
    assert "selected" in page.find("option", value="answered")[0] and "selected" in page.find("option", value="20")[0]
    assert "open" in page.find("details")[0]  # the filters are shown, the field visible


def test_a_bad_filter_alone_is_shown_in_its_field(client):
    page = Page(html(get(client, "/", 400, until="2026-13")))
    assert page.find("input", id="until")[0]["aria-invalid"] == "true"
    assert page.title.startswith("Erreur (Reçue jusqu’au) — Recherche sans mots")


def test_a_bad_query_is_shown_in_its_field(client):
    page = Page(html(get(client, "/", 400, q='"unbalanced', minister="clerfayt")))
    query = page.find("input", id="q")[0]
    assert query["value"] == '"unbalanced' and query["aria-invalid"] == "true"
    assert page.find("input", id="minister")[0]["value"] == "clerfayt"
    assert "Requête invalide" in page.words()


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _full(colour: str) -> str:
    colour = colour.lower()
    return "#" + "".join(c * 2 for c in colour[1:]) if len(colour) == 4 else colour


def test_focus_ring_contrasts_with_every_background():
    """WCAG 1.4.11: the focus indicator needs 3:1 against what is next to it — every background colour of
    the stylesheet that can hold a link or a control (buttons hold none; marks hold only text)."""
    css = (Path(web.__file__).parent / "static" / "style.css").read_text()
    variables = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})", css))
    focus_rule = re.search(r"a:focus[^{]*\{([^}]*)\}", css).group(1)
    ring = re.search(r"outline:\s*\d+px solid (var\(--([\w-]+)\)|#[0-9a-fA-F]{3,6})", focus_rule)
    ring = _full(variables[ring.group(2)] if ring.group(2) else ring.group(1))
    backgrounds = {_full(variables["bg"])}
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", css):
        if selectors.strip() in ("button", "mark"):
            continue
        for value in re.findall(r"background(?:-color)?:\s*(#[0-9a-fA-F]{3,6}|var\(--[\w-]+\))", body):
            backgrounds.add(_full(variables[value[6:-1]] if value.startswith("var(") else value))
    assert len(backgrounds) >= 3  # the page, the chips, the notes…
    for background in backgrounds:
        assert contrast(ring, background) >= 3, (ring, background)


def test_contrast_formula():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#f0a500", "#ffffff") == pytest.approx(2.08, abs=0.01)  # the figure
    assert contrast("#f0a500", "#eef2f8") == pytest.approx(1.85, abs=0.01)


# -- a search that finds nothing (item 11) ------------------------------------------------------------

def test_no_result_shows_the_closest_questions_and_ways_on(client, engine):
    expected = engine.search(NOTHING, closest=True)
    assert expected.total == 0 and expected.closest
    page = Page(html(get(client, "/", q=NOTHING)))
    closest = [a["href"].split("?")[0].rsplit("/", 1)[1] for t, a in page.tags
               if t == "a" and a.get("href", "").startswith("/doc/")]
    assert closest == [h.doc.id for h in expected.closest]
    words = page.words()
    assert "Les questions les plus proches" in words and "moins de mots" in words
    for hit in expected.closest:
        assert "%d %% de la recherche" % (hit.score * 100) in words
    paste = page.find("a", **{"class": "paste"})[0]["href"]
    assert paste.startswith("/similar?") and "text=" + NOTHING.replace(" ", "+") in paste
    pasted = Page(html(get(client, paste)))
    assert pasted.find("textarea")[0] is not None and NOTHING in pasted.words()


def test_no_result_with_filters_suggests_removing_one(client):
    words = Page(html(get(client, "/", q="logement", type="oral_question"))).words()
    assert "0 résultat" in words and "Retirez un filtre" in words and "moins de mots" in words
