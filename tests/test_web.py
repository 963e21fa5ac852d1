"""`parlsearch serve`: HTTP-level tests with Flask's test client (status codes, escaping, API shapes,
permalinks, facets, CSV, a new commit picked up), plus the command itself in a real subprocess."""
import csv
import io
import json
import re
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest

pytest.importorskip("flask")

from parlsearch.search.web import app as web  # noqa: E402
from parlsearch.search.output import HIT_KEYS  # noqa: E402

from helpers import parlsearch_argv, write_jsonl  # noqa: E402
from web_helpers import Page, get, hit_ids, html  # noqa: E402

QUERY = "stationnement vélo"


@pytest.fixture(scope="module")
def client(bundled_index):
    app = web.create_app(bundled_index)
    yield app.test_client()
    app.extensions["parlsearch"].close()


# -- pages --------------------------------------------------------------------------------------------

def test_search_page_lists_highlighted_results_with_count(client, engine):
    expected = engine.search(QUERY, limit=web.DEFAULT_PAGE_SIZE)
    page = Page(html(get(client, "/", q=QUERY)))
    assert ("%d résultats" % expected.total) in " ".join(" ".join(page.text).split())
    assert hit_ids(page) == [h.doc.id for h in expected.hits]
    assert {m.lower() for m in page.marks} >= {"stationnement", "vélo"}


def test_every_form_control_is_labelled_and_page_is_french(client):
    text = html(get(client, "/", q=QUERY))
    page = Page(text)
    assert page.find("html", lang="fr")
    labelled = {a["for"] for a in page.find("label")}
    controls = [a for t, a in page.tags if t in ("input", "select", "textarea")]
    assert controls and all(a.get("id") in labelled for a in controls)
    assert not page.find("script")
    similar = Page(html(get(client, "/similar")))
    assert all(a.get("id") in {x["for"] for x in similar.find("label")} for t, a in similar.tags
               if t == "textarea")


def test_security_headers_on_every_response(client):
    for path in ("/", "/?q=tram", "/doc/PRB-1-170115", "/api/stats", "/nowhere", "/static/style.css"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp and "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_engine_failure_is_a_plain_500_page_with_the_same_headers(bundled_index, monkeypatch):
    from parlsearch.search.engine.core import Engine
    app = web.create_app(bundled_index)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken(self, *args, **kwargs):
        raise RuntimeError("<b>boom</b>")

    monkeypatch.setattr(Engine, "search", broken)
    try:
        client = app.test_client()
        response = get(client, "/", 500, q="tram")
        assert "Erreur interne" in html(response) and "boom" not in html(response)
        assert response.headers["Content-Security-Policy"] == web.CONTENT_SECURITY_POLICY
        assert json.loads(get(client, "/api/search", 500, q="tram").data) == {
            "error": "internal error", "code": "internal_error", "parameter": None}
    finally:
        app.extensions["parlsearch"].close()


def test_read_only_no_write_methods(client):
    for path in ("/", "/api/search", "/doc/PRB-1-170115", "/similar"):
        for method in (client.post, client.put, client.delete):
            assert method(path, data={"q": "x"}).status_code == 405


def test_inputs_are_bounded(client):
    get(client, "/", 400, q="a" * (web.MAX_QUERY_CHARS + 1))
    get(client, "/", 400, q="tram", n=1000)
    get(client, "/", 400, q="tram", page=web.MAX_OFFSET // web.DEFAULT_PAGE_SIZE + 1)
    get(client, "/", 400, q="tram", page=0)
    get(client, "/", 400, q="tram", page="x")
    get(client, "/", 400, q="tram", since="yesterday")
    get(client, "/", 400, q="tram", status="<b>")
    get(client, "/similar", 400, text="mot " * web.MAX_DRAFT_CHARS)
    assert "Requête invalide" in html(get(client, "/", 400, q='"unbalanced'))
    get(client, "/api/search", 400, q="tram", n=101)


def test_permalink_holds_the_whole_query(client):
    params = dict(q="logement", status="answered", since="2025", sort="-date", n=50, type="written_question")
    page = Page(html(get(client, "/", **params)))
    link = page.find("a", **{"class": "permalink"})[0]["href"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
    assert {k: v[0] for k, v in query.items()} == {k: str(v) for k, v in params.items()}
    again = Page(html(get(client, urllib.parse.urlsplit(link).path + "?" + urllib.parse.urlsplit(link).query)))
    assert hit_ids(again) == hit_ids(page) and hit_ids(page)


def test_pagination_and_sorting(client, engine):
    first = hit_ids(Page(html(get(client, "/", q="logement", n=10))))
    second = hit_ids(Page(html(get(client, "/", q="logement", n=10, page=2))))
    expected = [h.doc.id for h in engine.search("logement", limit=20).hits]
    assert first + second == expected
    newest = hit_ids(Page(html(get(client, "/", q="logement", sort="-date", n=10))))
    assert newest == [h.doc.id for h in engine.search("logement", limit=10, sort="-date").hits]


def test_filters_narrow_like_the_engine(client, engine):
    from whoosh.query import Term
    page = Page(html(get(client, "/", q="logement", status="unanswered", n=100)))
    expected = engine.search("logement", limit=100, filters=[Term("status", "unanswered")])
    assert hit_ids(page) == [h.doc.id for h in expected.hits] and expected.total
    assert all(h.doc.status == "unanswered" for h in expected.hits)
    page = Page(html(get(client, "/", q="logement", type="oral_question")))
    assert hit_ids(page) == []


@pytest.mark.parametrize("query", ["stationnement vélo xyzzyq", "stationnemnt"])
def test_engine_notes_are_shown(client, engine, query):
    """Relaxed words, "did you mean" and corrections reach the reader, whichever the engine gives."""
    result = engine.search(query, limit=20)
    corrected = getattr(result, "corrected", None)
    assert result.dropped or result.suggestion or corrected  # the case exercises at least one note
    text = html(get(client, "/", q=query))
    page = Page(text)
    for word in result.dropped:
        assert "<del>%s</del>" % word in text
    if result.suggestion:
        assert "Vouliez-vous dire" in " ".join(page.text)
        assert any(urllib.parse.parse_qs(urllib.parse.urlsplit(a.get("href", "")).query).get("q")
                   == [result.suggestion] for a in page.find("a"))
    if corrected:
        assert "Résultats pour « %s »" % corrected in " ".join(page.text)


def test_facets_count_all_matches_and_link_to_the_narrowed_search(client, engine):
    from parlsearch.search.web.facets import facet_counts
    total = engine.search("logement", limit=1).total
    facets = facet_counts(engine, "logement", [])
    assert set(facets) == {"assembly", "minister", "author", "year", "status"}
    for facet in facets:
        assert sum(n for _, n in facets[facet]) == total  # over ALL matches, not one page
    page = Page(html(get(client, "/", q="logement", n=10)))
    minister, count = facets["minister"][0]
    links = [a["href"] for a in page.find("a") if "minister=" in a.get("href", "")]
    target = [h for h in links if urllib.parse.parse_qs(urllib.parse.urlsplit(h).query)["minister"] == [minister]]
    assert target
    narrowed = html(get(client, target[0]))
    assert ("%d résultat" % count) in narrowed
    for value, n in facets["year"]:
        assert engine.search("logement", limit=1, filters=[web.SearchForm(since=value, until=value).filters()[0]]
                             ).total == n


def test_landing_page_counts_the_whole_index(client):
    page = Page(html(get(client, "/")))
    counts = [int(t) for t in page.text if t.strip().isdigit()]
    assert "Le corpus" in " ".join(page.text)
    stats = json.loads(get(client, "/api/stats").data)
    assert sum(stats["by_status"].values()) == 107
    assert stats["by_status"]["answered"] in counts


def test_document_page(client, engine):
    doc = engine.get("PRB-1-170115")
    page = Page(html(get(client, "/doc/PRB-1-170115", q=QUERY)))
    text = " ".join(page.text)
    for value in (doc.title, doc.title_nl, doc.author, doc.minister, doc.portfolio, doc.date_received.isoformat()):
        assert " ".join(value.split()) in " ".join(text.split())
    assert "réponse en %d jours" % (doc.date_answered - doc.date_received).days in text
    assert page.find("a", href=doc.url, **{"class": "official"})
    paragraphs = [line for line in doc.answer.splitlines() if line.strip()]
    assert len(paragraphs) > 3
    assert {m.lower() for m in page.marks} >= {"vélos", "stationnement"}
    similar = [h.doc.id for h in engine.similar(doc.id, limit=10)]
    links = [a["href"] for a in page.find("a") if a.get("href", "").startswith("/doc/")]
    assert links == ["/doc/%s" % i for i in similar] and similar


def test_document_paragraphs_preserved(client, engine):
    doc = engine.get("PRB-1-170115")
    text = html(get(client, "/doc/PRB-1-170115"))
    answer = text.split('id="h-answer"', 1)[1].split("</section>", 1)[0]
    assert answer.count("<p>") == len([line for line in doc.answer.splitlines() if line.strip()])


def test_unknown_document_is_404(client):
    get(client, "/doc/PRB-1-0", 404)
    assert json.loads(get(client, "/api/doc/PRB-1-0", 404).data) == {
        "error": "not found", "code": "not_found", "parameter": None}


def test_asked_before_lists_closest_questions(client, engine):
    doc = engine.get("PRB-1-170115")
    page = Page(html(get(client, "/similar", text=doc.question[:1500])))
    ids = [a["href"].rsplit("/", 1)[1] for a in page.find("a") if a.get("href", "").startswith("/doc/")]
    assert ids[0] == doc.id  # the question itself is the closest to its own text
    assert "Aucune question existante" in html(get(client, "/similar", text="zzzqx wwwqy"))


# -- API and CSV --------------------------------------------------------------------------------------

def test_api_search_mirrors_cli_json(client, engine):
    data = json.loads(get(client, "/api/search", q=QUERY).data)
    assert set(data) == {"query", "total", "dropped", "suggestion", "corrected", "note", "understood", "hits"}
    assert data["total"] == engine.search(QUERY).total
    assert all(list(h) == list(HIT_KEYS) for h in data["hits"])
    cli = subprocess.run(parlsearch_argv() + ["search", QUERY, "--json", "-n", str(web.DEFAULT_PAGE_SIZE), "--index",
                                              str(engine.ix.storage.folder)], capture_output=True, text=True)
    # Snippets aside: the engine picks other (equally scored) fragments on a process's first search.
    assert [dict(h, snippet=None) for h in json.loads(cli.stdout)["hits"]] == \
        [dict(h, snippet=None) for h in data["hits"]]


def test_api_doc_similar_stats(client, engine):
    doc = json.loads(get(client, "/api/doc/PRB-1-170115").data)
    assert doc == engine.get("PRB-1-170115").to_dict()
    similar = json.loads(get(client, "/api/similar", id="PRB-1-170115").data)
    assert [h["id"] for h in similar["hits"]] == [h.doc.id for h in engine.similar("PRB-1-170115")]
    drafted = json.loads(get(client, "/api/similar", text=engine.get("PRB-1-170115").question).data)
    assert drafted["hits"][0]["id"] == "PRB-1-170115"
    get(client, "/api/similar", 400)
    get(client, "/api/similar", 404, id="PRB-1-0")
    stats = json.loads(get(client, "/api/stats").data)
    assert stats["documents"] == 107 and set(stats) >= {"by_status", "by_minister", "by_author", "by_year"}


def test_csv_download_parses_back(client, engine):
    response = get(client, "/search.csv", q="logement", status="answered")
    assert response.headers["Content-Type"].startswith("text/csv; charset=utf-8")
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data(as_text=True)
    assert raw.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    assert tuple(rows[0]) == web.CSV_COLUMNS
    from whoosh.query import Term
    expected = engine.search("logement", limit=1000, filters=[Term("status", "answered")])
    assert [r[0] for r in rows[1:]] == [h.doc.id for h in expected.hits] and len(rows) - 1 == expected.total
    get(client, "/search.csv", 400)


def test_csv_quotes_and_neutralises_formulas():
    from parlsearch.corpus.model import Document
    from parlsearch.search.engine.core import Hit
    doc = Document.create(moncode="1", title='Question écrite concernant =HYPERLINK("x"), "quotes", virgules',
                          question="q", author="-2+3", url="https://www.parlement.brussels/x")
    rows = list(csv.reader(io.StringIO(web.csv_text([Hit(1, 1.5, doc)]), newline="")))
    row = dict(zip(rows[0], rows[1]))
    assert row["subject"] == "'" + doc.subject and row["author"] == "'-2+3" and row["score"] == "1.5"


# -- escaping and hostile documents -------------------------------------------------------------------

HOSTILE = [
    {"moncode": "990001", "titre": 'Question écrite concernant <script>alert(1)</script> les trams',
     "question": 'Le tram "><img src=x onerror=alert(2)> roule.\nDeuxième paragraphe <b>gras</b> tram.',
     "reponse": "Réponse <iframe src=javascript:alert(3)></iframe> sur le tram\x02 marqueur\x03 \x07\x1b[31m",
     "auteur": '<svg onload=alert(4)>', "destinataire": "Ministre \"><script>x</script> - Ministre",
     "url": "javascript:alert(5)", "date_reception": "2026-01-02"},
    {"moncode": "990002", "titre": "Question écrite concernant le tram de l’hippodrome",
     "question": "Le tram passe-t-il ? \u202eevil", "auteur": "A B",
     "url": "https://evil.example/phish", "date_reception": "2026-01-03"},
    {"moncode": "990003", "titre": "Question écrite concernant le tram officiel",
     "question": "Le tram officiel.", "auteur": "C D",
     "url": "https://www.parlement.brussels@evil.example/x", "date_reception": "2026-01-04"},
]


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory):
    from parlsearch.index.update import update_index
    root = tmp_path_factory.mktemp("hostile")
    path = root / "hostile.jsonl"
    summary = update_index([write_jsonl(path, HOSTILE)], root / "index")
    assert summary.documents == len(HOSTILE)
    app = web.create_app(root / "index")
    yield app.test_client()
    app.extensions["parlsearch"].close()


def assert_inert_in_html(text: str):
    lowered = text.lower()
    for bad in ("<script>alert", "<script>x", "<img", "<svg", "<iframe", "<b>gras",
                'href="javascript:', "href='javascript:", "href=\"https://evil", "href=\"https://www.parlement.brussels@"):
        assert bad not in lowered, bad
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202e]", text)
    page = Page(text)
    assert not page.find("script") and not page.find("img") and not page.find("iframe") and not page.find("svg")
    assert not [name for _, attrs in page.tags for name in attrs if name.startswith("on")]
    hrefs = [a.get("href", "") for a in page.find("a")]
    assert all(h.startswith(("/", "#", "http://localhost/", "https://www.parlement.brussels/")) for h in hrefs), hrefs


def test_hostile_documents_are_escaped_everywhere(hostile_client):
    pages = [html(get(hostile_client, "/", q="tram")), html(get(hostile_client, "/")),
             html(get(hostile_client, "/", 400, q='"><script>alert(9)</script>')),
             html(get(hostile_client, "/", q="tram <script>alert(9)</script>")),
             html(get(hostile_client, "/similar", text="tram <script>alert(1)</script>"))]
    for moncode in ("990001", "990002", "990003"):
        pages.append(html(get(hostile_client, "/doc/PRB-1-%s" % moncode, q="tram <script>")))
    for text in pages:
        assert_inert_in_html(text)
    search = pages[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in search  # shown as text, not dropped
    doc = pages[5]
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in doc or "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in doc
    assert "javascript:alert(5)" in doc and "non liée" in doc  # the bad URL is text, not a link
    marks = Page(doc).marks
    assert marks and all(m.lower() == "tram" for m in marks)  # the document's own \x02…\x03 is no highlight


def test_hostile_documents_in_json_and_csv(hostile_client):
    data = json.loads(get(hostile_client, "/api/doc/PRB-1-990001").data)
    assert data["title"].startswith("Question écrite concernant <script>")  # JSON keeps the data, typed as JSON
    response = get(hostile_client, "/api/search", q="tram")
    assert response.headers["Content-Type"] == "application/json"
    rows = list(csv.reader(io.StringIO(get(hostile_client, "/search.csv", q="tram").get_data(as_text=True),
                                       newline="")))
    assert all(not re.search("[\x00-\x08\x0b-\x1f\x7f]", cell) for row in rows for cell in row)


def test_official_link_only_for_official_https_hosts():
    ok = "https://www.parlement.brussels/weblex-quest-det/?moncode=1&base=1"
    assert web.official_link(ok) == ok
    assert web.official_link("http://weblex.irisnet.be/data/x.pdf#page=2")
    for bad in ("javascript:alert(1)", "https://evil.example/", "https://www.parlement.brussels@evil.example/",
                "data:text/html,<script>", "//www.parlement.brussels/x", "https://www.parlement.brussels:8443/",
                "https://www.parlement.brussels/\"><script>", "JAVASCRIPT:alert(1)", "", None):
        assert web.official_link(bad) is None, bad


def test_answer_delay():
    import datetime as dt
    from parlsearch.corpus.model import Document
    waiting = Document.create(moncode="1", title="t", question="q", date_received="2026-01-01")
    assert web.answer_delay(waiting, dt.date(2026, 3, 2)) == "en attente depuis 60 jours"
    answered = Document.create(moncode="2", title="t", question="q", answer="a", date_received="2026-01-01",
                               date_answered="2026-01-02")
    assert web.answer_delay(answered) == "réponse en 1 jour"
    assert web.answer_delay(Document.create(moncode="3", title="t", question="q")) is None


def test_marked_escapes_before_marking():
    out = web.marked("a <b>\x02x&y\x03 \x02<i>\x1b")
    assert str(out) == "a &lt;b&gt;<mark>x&amp;y</mark> <mark>&lt;i&gt;</mark>"


# -- the warm engine ----------------------------------------------------------------------------------

def test_new_commit_from_another_process_is_picked_up(index_copy, tmp_path):
    app = web.create_app(index_copy)
    client = app.test_client()
    try:
        assert json.loads(get(client, "/api/search", q="zeppelinodrome").data)["total"] == 0
        record = {"moncode": "999001", "titre": "Question écrite concernant le zeppelinodrome",
                  "question": "Un zeppelinodrome ?", "auteur": "A B", "date_reception": "2026-01-02"}
        path = tmp_path / "new.jsonl"
        path.write_text(json.dumps(record) + "\n", "utf-8")
        done = subprocess.run(parlsearch_argv() + ["index", str(path), "--index", str(index_copy), "-q"],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        data = json.loads(get(client, "/api/search", q="zeppelinodrome").data)
        assert [h["id"] for h in data["hits"]] == ["PRB-1-999001"]
        assert app.extensions["parlsearch"].reopened == 1
        assert "zeppelinodrome" in html(get(client, "/doc/PRB-1-999001"))
        get(client, "/api/stats")
        assert app.extensions["parlsearch"].reopened == 1  # no new commit, no reopening
    finally:
        app.extensions["parlsearch"].close()


# -- the command --------------------------------------------------------------------------------------

def test_serve_command_serves_until_stopped(bundled_index, cli_env):
    proc = subprocess.Popen(parlsearch_argv() + ["serve", "--index", str(bundled_index), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env)
    try:
        url = proc.stdout.readline().strip()  # printed once the socket listens
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", url), url
        with urllib.request.urlopen(url + "api/stats", timeout=30) as response:
            assert json.load(response)["documents"] == 107
        with urllib.request.urlopen(url + "?q=tram", timeout=30) as response:
            assert response.headers["Content-Security-Policy"] == web.CONTENT_SECURITY_POLICY
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


@pytest.mark.parametrize("missing", ["flask", "waitress"])
def test_serve_without_the_web_extra_says_how_to_install(tmp_path, cli_env, missing):
    code = ("import sys; sys.modules[%r] = None\n"
            "from parlsearch.search.cli.app import main\n"
            "sys.argv = ['parlsearch', 'serve', '--index', %r]\nmain()" % (missing, str(tmp_path / "ix")))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli_env, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith("parlsearch: error: ") and len(done.stderr.splitlines()) == 1
    # parlsearch is not on a package index: the hint is the command that works from a checkout.
    assert "pip install '.[web]'" in done.stderr and "parlsearch[web]" not in done.stderr
    assert not (tmp_path / "ix").exists()


def test_only_loopback_is_quiet():
    from parlsearch.search.cli.serve import _is_loopback
    assert _is_loopback("127.0.0.1") and _is_loopback("::1") and _is_loopback("localhost")
    assert not _is_loopback("0.0.0.0") and not _is_loopback("192.168.1.2") and not _is_loopback("example.org")
