"""Issue 21 on the web page: how the query was read and what was corrected, shown with the results, with a
link to search the words as typed (exact=1), which reads nothing and corrects nothing."""
import html as htmllib
import re
import urllib.parse

import pytest

pytest.importorskip("flask")

from parlsearch.search.web import app as web  # noqa: E402

from web_helpers import get, html  # noqa: E402


@pytest.fixture(scope="module")
def client(bundled_index):
    app = web.create_app(bundled_index)
    yield app.test_client()
    app.extensions["parlsearch"].close()


def _as_typed_link(page: str) -> str:
    m = re.search(r'<a class="as-typed" href="([^"]+)"', page)
    assert m, page[:2000]
    return htmllib.unescape(m.group(1))


def test_the_page_says_how_the_query_was_read_and_links_to_the_words_as_typed(client):
    page = html(get(client, "/", q="questions non répondues sur hub.brussels"))
    assert "recherche lue ainsi" in page and "statut : sans réponse" in page
    link = _as_typed_link(page)
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
    assert params["exact"] == ["1"] and params["q"] == ["questions non répondues sur hub.brussels"]
    typed = html(get(client, link))
    assert "recherche lue ainsi" not in typed and 'class="as-typed"' not in typed


def test_a_correction_is_shown_with_the_way_back(client):
    page = html(get(client, "/", q="station Montgommery"))
    assert "Résultats pour « station montgomery »" in page
    assert "Montgommery" in _as_typed_link(page)


def test_a_reading_with_markup_is_escaped(client):
    page = html(get(client, "/", q="<b>x</b> sans réponse"))
    assert "<b>x</b>" not in page


def test_exact_is_checked(client):
    get(client, "/", 400, q="tram", exact="maybe")
    assert '"understood": []' in get(client, "/api/search", q="QE n° 59", exact="1").data.decode()
