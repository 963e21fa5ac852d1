"""The web page's JSON API and its URLs (issue 19, item 16): any page size from 1 to 100, q and the filters
honoured by every route that counts or searches, no parameter silently ignored, and one language per
surface — English, machine-readable errors from /api/, French on the pages."""
import json
import re
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

pytest.importorskip("flask")

from whoosh.query import Term  # noqa: E402

from parlsearch.search.web import app as web  # noqa: E402
from parlsearch.search.engine.counting import count_matches  # noqa: E402
from parlsearch.search.engine.filters import SearchFilters  # noqa: E402

from web_helpers import Page, get, hit_ids, html  # noqa: E402


@pytest.fixture(scope="module")
def client(bundled_index):
    app = web.create_app(bundled_index)
    yield app.test_client()
    app.extensions["parlsearch"].close()


def api(client, path, expect=200, **params):
    return json.loads(get(client, path, expect, **params).data)


@pytest.mark.parametrize("n", [1, 2, 7, 37, 100])
def test_any_page_size_from_1_to_100(client, engine, n):
    expected = [h.doc.id for h in engine.search("logement", limit=n).hits]
    assert [h["id"] for h in api(client, "/api/search", q="logement", n=n)["hits"]] == expected
    assert hit_ids(Page(html(get(client, "/", q="logement", n=n)))) == expected
    page2 = [h["id"] for h in api(client, "/api/search", q="logement", n=n, page=2)["hits"]]
    assert page2 == [h.doc.id for h in engine.search("logement", limit=n, offset=n).hits]


def test_page_size_of_a_url_is_kept_in_the_form(client):
    page = Page(html(get(client, "/", q="logement", n=2)))
    options = [a["value"] for t, a in page.tags if t == "option" and "value" in a and a["value"].isdigit()]
    assert "2" in options and "selected" in page.find("option", value="2")[0]


@pytest.mark.parametrize("n", ["0", "101", "-1", "x", "1.5", "１０"])
def test_page_size_out_of_range_is_refused_by_name(client, n):
    error = api(client, "/api/search", 400, q="logement", n=n)
    assert error["code"] == "bad_number" and error["parameter"] == "n"
    assert "from 1 to 100" in error["error"]


def test_stats_honours_q_and_filters(client, engine):
    data = api(client, "/api/stats", q="logement", status="answered", since="2025")
    filters = SearchFilters(status="answered", since=__import__("datetime").date(2025, 1, 1))
    expected = count_matches(engine, "logement", filters)
    assert data["total"] == expected.total == engine.search("logement", filters=filters.queries()).total
    assert data["facets"] == expected.facets and data["query"] == "logement"
    assert data["filters"] == {"since": "2025-01-01", "status": "answered"}
    assert 0 < data["total"] < api(client, "/api/stats", q="logement")["total"]
    only_filter = api(client, "/api/stats", minister="clerfayt")
    assert only_filter["total"] == engine.search("", filters=[Term("minister", "clerfayt")]).total > 0
    whole = api(client, "/api/stats")  # nothing asked: the index's counts, as `parlsearch stats --json`
    assert whole["documents"] == 107


def test_the_paste_page_takes_a_document_id(client, engine):
    page = Page(html(get(client, "/similar", id="PRB-1-170115")))
    similar = [h.doc.id for h in engine.similar("PRB-1-170115", limit=10)]
    listed = [a["href"].rsplit("/", 1)[1] for t, a in page.tags
              if t == "a" and a.get("href", "").startswith("/doc/") and a["href"] != "/doc/PRB-1-170115"]
    assert listed == similar and similar
    assert engine.get("PRB-1-170115").subject[:40] in page.title
    get(client, "/similar", 404, id="PRB-1-0")


@pytest.mark.parametrize("path, params, parameter", [
    ("/api/stats", {"query": "tram"}, "query"),
    ("/api/search", {"q": "tram", "limit": "5"}, "limit"),
    ("/api/similar", {"id": "PRB-1-170115", "status": "answered"}, "status"),
    ("/api/doc/PRB-1-170115", {"q": "tram"}, "q"),
])
def test_api_refuses_parameters_it_does_not_read(client, path, params, parameter):
    error = api(client, path, 400, **params)
    assert error["code"] == "unknown_parameter" and error["parameter"] == parameter


#: Requests the API refuses, each with the code and parameter its error names.
REFUSED = [
    ("/api/search", {}, "no_query", "q"),
    ("/api/search", {"q": '"unbalanced'}, "bad_query", "q"),
    ("/api/search", {"q": "tram", "since": "zzz"}, "bad_date", "since"),
    ("/api/search", {"q": "tram", "answered_until": "2026-13"}, "bad_date", "answered_until"),
    ("/api/search", {"q": "tram", "status": "maybe"}, "bad_choice", "status"),
    ("/api/search", {"q": "tram", "sort": "random"}, "bad_choice", "sort"),
    ("/api/search", {"q": "tram", "page": "0"}, "bad_number", "page"),
    ("/api/search", {"q": "tram", "page": "100000"}, "too_deep", "page"),
    ("/api/search", {"q": "a" * 2001}, "too_long", "q"),
    ("/api/search", {"q": "tram", "closest": "yes"}, "bad_choice", "closest"),
    ("/api/similar", {}, "id_or_text", None),
    ("/api/stats", {"q": "tram", "until": "zzz"}, "bad_date", "until"),
]


@pytest.mark.parametrize("path, params, code, parameter", REFUSED)
def test_api_errors_are_english_and_machine_readable(client, path, params, code, parameter):
    error = api(client, path, 400, **params)
    assert set(error) == {"error", "code", "parameter"}
    assert (error["code"], error["parameter"]) == (code, parameter)
    assert "\n" not in error["error"]
    # English: none of the pages' French words or typography.
    assert not re.search(r"[«»’éèàç]|\b(requête|invalide|inconnu|hors|dépasse|page ou)\b", error["error"], re.I), error


@pytest.mark.parametrize("params", [r[1] for r in REFUSED if r[0] == "/api/search" and r[2] != "no_query"
                                    and "closest" not in r[1]])
def test_pages_say_the_same_refusals_in_french(client, params):
    text = Page(html(get(client, "/", 400, **params))).words()
    assert "La recherche n’a pas pu être faite" in text
    assert not re.search(r"\b(is not|bad query|longer than|beyond)\b", text), text


def test_api_search_closest(client, engine):
    query = "fusion des zones de police"
    expected = engine.search(query, closest=True)
    assert expected.total == 0 and expected.closest
    data = api(client, "/api/search", q=query, closest=1)
    assert [h["id"] for h in data["closest"]] == [h.doc.id for h in expected.closest]
    assert "closest" not in api(client, "/api/search", q=query)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(web.SearchForm.PARAMS + ("closest", "bogus")),
                       st.text(alphabet=st.sampled_from('ab1-2:"*()~ zé\x00\u202e'), max_size=12), max_size=5))
def test_any_url_gets_a_page_or_a_named_refusal(client, params):
    """Whatever a URL holds, the page answers 200 or 400 and the API 200 or a 400 naming its reason —
    never a 500."""
    page = client.get("/?" + urllib.parse.urlencode(params))
    assert page.status_code in (200, 400)
    response = client.get("/api/search?" + urllib.parse.urlencode(params))
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert json.loads(response.data)["code"]
