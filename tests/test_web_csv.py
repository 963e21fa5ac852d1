"""The web page's CSV download (issue 19, item 17): a spreadsheet variant with a UTF-8 byte order mark, a
file named after the query (ASCII `filename` and RFC 5987 `filename*`), and every cell a spreadsheet would
run as a formula made inert — also after leading spaces and in fullwidth forms."""
import csv
import io
import unicodedata
import urllib.parse

import pytest
from hypothesis import given, strategies as st

pytest.importorskip("flask")

from parlsearch.corpus.model import Document  # noqa: E402
from parlsearch.search.web import app as web  # noqa: E402
from parlsearch.search.engine.core import Hit  # noqa: E402
from parlsearch.search.web.csv_download import content_disposition, inert  # noqa: E402

from web_helpers import get  # noqa: E402

SIGNS = "=+-@"


@pytest.fixture(scope="module")
def client(bundled_index):
    app = web.create_app(bundled_index)
    yield app.test_client()
    app.extensions["parlsearch"].close()


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", " =1+1", "   @x", "\u00a0=1",
                                  "\u3000=1", "＝1+1", "＋1", "－1", "＠SUM(A1)", " ＝1", "﹦1", "﹢1", "﹣1", "﹫x",
                                  "=HYPERLINK(\"http://x\")", "-2+3", "-"])
def test_formula_cells_get_an_apostrophe(cell):
    assert inert(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["", "tram 55", "a=b", "1-2", "2026-01-02", "Question écrite", "1.5", "'=x",
                                  "x@y.be", " tram"])
def test_other_cells_are_unchanged(cell):
    assert inert(cell) == cell


@given(st.text())
def test_inert_rule(value):
    """The rule, stated once: a cell is escaped exactly when its first character, or its first after
    leading spaces, is a formula sign (or a compatibility form of one); line breaks become spaces."""
    flat = value.replace("\r\n", " ").replace("\n", " ")
    starts = [c for c in (flat[:1], flat.lstrip()[:1]) if c]
    formula = any(c in SIGNS + "\t\r" or unicodedata.normalize("NFKC", c)[:1] in SIGNS + "\t\r" for c in starts)
    assert inert(value) == ("'" + flat if formula else flat)


def test_hostile_cells_in_a_download():
    doc = Document.create(moncode="1", title="Question écrite concernant ＝HYPERLINK(\"x\"), \"quotes\", virgules",
                          question="q", author=" =cmd|' /C calc'!A0", minister="＠SUM(1)",
                          url="https://www.parlement.brussels/x")
    rows = list(csv.reader(io.StringIO(web.csv_text([Hit(1, 1.5, doc)]), newline="")))
    row = dict(zip(rows[0], rows[1]))
    assert row["subject"] == "'" + doc.subject and row["author"] == "'" + doc.author
    assert row["minister"] == "'" + doc.minister and row["score"] == "1.5"


def test_spreadsheet_variant_starts_with_a_byte_order_mark(client, engine):
    plain = get(client, "/search.csv", q="fréquentation").data
    excel = get(client, "/search.csv", q="fréquentation", bom=1).data
    assert excel == b"\xef\xbb\xbf" + plain and not plain.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(excel.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == web.CSV_COLUMNS  # the first header cell is "id", not "\ufeffid"
    text = excel.decode("utf-8-sig")
    assert "é" in text and "Ã" not in text
    get(client, "/search.csv", 400, q="tram", bom=2)


def test_the_page_links_both_variants(client):
    from web_helpers import Page, html
    page = Page(html(get(client, "/", q="tram", status="answered")))
    spreadsheet = page.find("a", **{"class": "csv-spreadsheet"})[0]["href"]
    plain = page.find("a", **{"class": "csv"})[0]["href"]
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(spreadsheet).query) == {
        "q": ["tram"], "status": ["answered"], "bom": ["1"]}
    assert "bom" not in urllib.parse.parse_qs(urllib.parse.urlsplit(plain).query)


def disposition(header: str) -> dict:
    out = {}
    for part in header.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        out[name] = value
    return out


def test_file_is_named_after_the_query(client):
    header = get(client, "/search.csv", q="Fréquentation du tram 55").headers["Content-Disposition"]
    assert header.startswith("attachment;")
    parts = disposition(header)
    assert parts["filename"] == '"parlsearch-frequentation-du-tram-55.csv"'
    charset, _, name = parts["filename*"].partition("''")
    assert charset == "UTF-8" and urllib.parse.unquote(name) == "parlsearch-fréquentation-du-tram-55.csv"
    by_filter = disposition(get(client, "/search.csv", minister="Clerfayt").headers["Content-Disposition"])
    assert by_filter["filename"] == '"parlsearch-clerfayt.csv"' and "filename*" not in by_filter


@given(st.text(max_size=300))
def test_file_names_are_always_safe(words):
    header = content_disposition(words)
    assert header.isascii() and "\r" not in header and "\n" not in header
    parts = disposition(header)
    ascii_name = parts["filename"].strip('"')
    assert ascii_name.startswith("parlsearch") and ascii_name.endswith(".csv")
    assert all(c.isalnum() or c in "-." for c in ascii_name) and len(ascii_name) <= 80
    if "filename*" in parts:
        exact = urllib.parse.unquote(parts["filename*"].partition("''")[2])
        assert not any(c in exact for c in '/\\"<>:|?*') and not any(unicodedata.category(c)[0] == "C"
                                                                     for c in exact)
