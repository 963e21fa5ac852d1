"""`parlsearch serve`: a local web page over the same Engine as the CLI (search, document, similar, JSON, CSV).

Flask (with its Jinja2 templates) and waitress are the optional extra `web`; nothing here is imported by
the rest of the package. The pages are plain HTML forms and links (no JavaScript).

Safety: every value a template prints is escaped by Jinja2's autoescape and stripped of control characters
(`_finalize`); highlighted text is escaped piece by piece *before* the <mark> tags are put in (`marked`), so
no document content ever becomes markup. Only GET is served (HEAD and OPTIONS too are refused), every input
is bounded (form.py), each request has a CPU budget (engines.py), and each response
carries a Content-Security-Policy that allows no script at all (server.py).

Size (~440 lines): the routes and the safe-markup helpers of one small application; reading the URL
(form.py), the engines (engines.py), the CSV download (csv_download.py), serving (server.py), the
counting (facets.py), the links (links.py) and the rendering of hits (output.py) live elsewhere.
"""
from __future__ import annotations

import datetime as dt
import re

from flask import Flask, Response, abort, g, render_template, request, url_for
from markupsafe import Markup, escape
from whoosh import highlight

from ...corpus.assembly import describe_identifier
from ..engine.budget import DEFAULT_WEB_SECONDS, Budget
from ..engine.counting import index_stats
from ..engine.core import MARK_END, MARK_START, Engine, SearchResult, _Marker
from ..links import official_url
from ..output import CSV_COLUMNS, result_dict, safe, to_json
from ..engine.query import QueryError
from .csv_download import content_disposition, csv_text
from .engines import EnginePool
from .facets import FACETS, UNKNOWN, facet_counts, matching
from .form import (ASSEMBLY_LABELS, DEFAULT_PAGE_SIZE, LABELS, MAX_DRAFT_CHARS, MAX_FIELD_CHARS, MAX_OFFSET,
                       MAX_QUERY_CHARS, PAGE_SIZES, SORT_LABELS, STATUS_LABELS, TYPE_LABELS, InputError,
                       SearchForm, bad_query, text_param, unknown_params)
from .server import CONTENT_SECURITY_POLICY, SECURITY_HEADERS, WORKERS, make_server

__all__ = ["CONTENT_SECURITY_POLICY", "CSV_COLUMNS", "DEFAULT_PAGE_SIZE", "MAX_DRAFT_CHARS", "MAX_OFFSET",
           "MAX_QUERY_CHARS", "SearchForm", "answer_delay", "create_app", "csv_text", "make_server", "marked",
           "official_link", "paragraphs"]

#: Rows in a CSV download (the whole result list up to this; every hit costs one stored document).
MAX_CSV_ROWS = 10_000
#: Values listed per facet beside the results.
FACET_ROWS = 12
SIMILAR_COUNT = 10
#: Longest piece of a query or draft shown in a page title.
TITLE_CHARS = 60
FACET_LABELS = {"assembly": "Assemblée", "minister": "Ministre", "author": "Auteur", "year": "Année (réception)",
                "status": "Statut"}
#: Filter fields → their label in the list of active filters.
FILTER_LABELS = {"assembly": "assemblée", "minister": "ministre", "author": "auteur", "status": "statut", "type": "type",
                 "legislature": "législature", "since": "reçue depuis", "until": "reçue jusqu’au",
                 "answered_since": "répondue depuis", "answered_until": "répondue jusqu’au"}
#: What each JSON route reads; any other parameter is an error (form.py, unknown_params).
API_SEARCH_PARAMS = SearchForm.PARAMS + ("closest",)
API_STATS_PARAMS = ("q", *SearchForm.FILTERS)


# -- rendering helpers --------------------------------------------------------------------------------

def marked(text: str | None) -> Markup:
    """Text with the engine's highlight markers → HTML: each piece of document text escaped (and stripped of
    control characters) first, then <mark> tags put in around the matched words; tags always balanced."""
    out, inside = [], False
    for piece in re.split("([%s%s])" % (MARK_START, MARK_END), text or ""):
        if piece == MARK_START:
            if not inside:
                out.append("<mark>")
            inside = True
        elif piece == MARK_END:
            if inside:
                out.append("</mark>")
            inside = False
        elif piece:
            out.append(str(escape(safe(piece))))
    if inside:
        out.append("</mark>")
    return Markup("".join(out))


#: A reading of search/understanding/understand.py (its English meaning) in the page's French, piece by piece.
_READING_FR = (("status unanswered", "statut : sans réponse"), ("received", "reçue"), ("answered", "répondue"), (" since ", " depuis "), (" before ", " avant "),
               (" after ", " après "), (" until ", " jusqu’à "),
               ("status répondue", "statut : répondue"), ("question number or code", "question ou code n°"),
               ("question number", "question n°"), ("the question", "la question"), ("legislature", "législature"),
               ("type written question", "type : question écrite"), ("type oral question", "type : question orale"),
               ("type interpellation", "type : interpellation"), ("ignored", "ignoré"), ("no such question",
               "aucune question de ce nom"), (" in the subject", " dans l’objet"), ("(or ", "(ou "),
               ("not a question's page", "pas la page d’une question"), ("in the index", "dans l’index"),
               ("(no ", "(aucune "))


def reading_fr(reading) -> str:
    """How a query's words were read, in French (the command line says it in English)."""
    text = reading.meaning
    for english, french in _READING_FR:
        text = text.replace(english, french)
    return text


def paragraphs(text: str | None) -> list[Markup]:
    """Marked text split into its paragraphs (one per line of the document)."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return [marked(line) for line in text.split("\n") if line.strip()]


def highlight_whole(engine: Engine, q, fieldname: str, text: str | None) -> str:
    """The whole of `text` with the words `q` looks for in `fieldname` between highlight markers (the field's
    own analyzer decides what matches, as in the snippets)."""
    text = (text or "").replace(MARK_START, "").replace(MARK_END, "")
    if q is None or not text:
        return text
    terms = engine.snippet_terms(q, (fieldname,))[fieldname]
    if not terms:
        return text
    try:
        out = highlight.highlight(text, terms, engine.schema[fieldname].analyzer,
                                  highlight.WholeFragmenter(charlimit=None), _Marker())
    except Exception:  # highlighting is a courtesy: the text is shown plain rather than not at all
        return text
    return out or text


def official_link(url: str | None) -> str | None:
    """`url` when it is an http(s) address on an assembly's official hosts (search/links.py, the same rule
    as the command line's hyperlinks); anything else is never a link."""
    return official_url(url)


def answer_delay(doc, today: dt.date | None = None) -> str | None:
    """"réponse en 42 jours" or "en attente depuis 90 jours" (from the reception date; `today` for an
    unanswered question)."""
    if not doc.date_received:
        return None
    if doc.status == "answered" and doc.date_answered:
        days = (doc.date_answered - doc.date_received).days
        return "réponse en %d jour%s" % (days, "s" if abs(days) > 1 else "")
    if doc.status != "answered":
        days = ((today or dt.date.today()) - doc.date_received).days
        return "en attente depuis %d jour%s" % (days, "s" if abs(days) > 1 else "")
    return None


def _short(text: str, limit: int = TITLE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def search_title(form: SearchForm, result: SearchResult | None) -> str:
    """The <title> of a search page: the query, its filters, the count and the page, so that each state of
    the search (results, page 2, filtered, nothing found, refused) has its own title in tabs and history."""
    if not form.errors and result is None and form.empty:
        return "Recherche"
    what = "« %s »" % _short(form.q) if form.q else "Recherche sans mots"
    active = ", ".join("%s %s" % (FILTER_LABELS[name], _shown(name, getattr(form, name))) for name in FILTER_LABELS
                       if getattr(form, name) and not form.has_error(name))
    if active:
        what += " (%s)" % _short(active)
    if form.errors:
        fields = ", ".join(LABELS.get(e.parameter) or "requête" for e in form.errors)
        return "Erreur (%s) — %s" % (fields, what)
    if not result.total:
        return "%s — aucun résultat" % what
    count = "%d résultat%s" % (result.total, "s" if result.total != 1 else "")
    return "%s — %s%s" % (what, count, ", page %d" % form.page if form.page > 1 else "")


def _finalize(value):
    """Every {{ value }} of the templates: None prints nothing, text loses its control characters (then
    autoescape escapes it)."""
    if value is None:
        return ""
    if isinstance(value, str) and not isinstance(value, Markup):
        return safe(value)
    return value


def _json(obj, status: int = 200) -> Response:
    return Response(to_json(obj), status=status, mimetype="application/json")


def _api_error(code: str, message: str, status: int) -> Response:
    return _json({"error": message, "code": code, "parameter": None}, status)


def _doc_id(value: str) -> str:
    value = value.strip()
    if not value or len(value) > MAX_FIELD_CHARS:
        abort(404)
    return value


def _flag(args, name: str) -> bool:
    value = (args.get(name) or "").strip()
    if value not in ("", "0", "1"):
        raise InputError("bad_choice", name, "%s : 0 ou 1." % name, "%s: 0 or 1, not %r" % (name, value[:40]))
    return value == "1"


# -- the application ----------------------------------------------------------------------------------

def create_app(index_dir, engine: Engine | None = None, engines: int = WORKERS,
               budget_seconds: float | None = DEFAULT_WEB_SECONDS) -> Flask:
    """The Flask application over the index at `index_dir` (`engine`: an already open Engine on it), with at
    most `engines` engines open (one per worker thread) and `budget_seconds` of CPU a request."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.config["PARLSEARCH_BUDGET_SECONDS"] = budget_seconds
    app.jinja_env.autoescape = True
    app.jinja_env.finalize = _finalize
    app.jinja_env.filters.update(marked=marked, paragraphs=paragraphs, reading_fr=reading_fr)
    pool = EnginePool(index_dir, engine, size=engines)
    app.extensions["parlsearch"] = pool

    @app.context_processor
    def labels():
        return dict(TYPE_LABELS=TYPE_LABELS, STATUS_LABELS=STATUS_LABELS, SORT_LABELS=SORT_LABELS,
                    FACET_LABELS=FACET_LABELS, PAGE_SIZES=PAGE_SIZES, UNKNOWN=UNKNOWN, LABELS=LABELS,
                    ASSEMBLY_LABELS=ASSEMBLY_LABELS)

    @app.before_request
    def read_only_and_budgeted():
        if request.method != "GET":  # also HEAD and OPTIONS, which Flask would otherwise answer itself
            abort(405)
        g.budget = Budget(app.config["PARLSEARCH_BUDGET_SECONDS"])

    @app.after_request
    def headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
        return response

    def is_api() -> bool:
        return request.path.startswith("/api/")

    def error_page(message: str, status: int, title: str):
        return render_template("error.html", message=message, title=title), status

    @app.errorhandler(InputError)
    def bad_request(e):
        return _json(e.to_dict(), 400) if is_api() else error_page(e.french, 400, "Erreur : requête refusée")

    @app.errorhandler(404)
    def not_found(e):
        return _api_error("not_found", "not found", 404) if is_api() \
            else error_page("Page ou document introuvable.", 404, "Erreur : page ou document introuvable")

    @app.errorhandler(500)
    def server_error(e):
        return _api_error("internal_error", "internal error", 500) if is_api() \
            else error_page("Erreur interne : la recherche n’a pas abouti.", 500, "Erreur interne")

    @app.errorhandler(405)
    def not_allowed(e):
        response = _api_error("method_not_allowed", "read-only: only GET is served", 405) if is_api() \
            else app.make_response(error_page("Lecture seule : seules les requêtes GET sont servies.", 405,
                                              "Erreur : méthode refusée"))
        response.headers["Allow"] = "GET"
        return response

    def engine_call(method, *args, **kwargs):
        """An engine call under this request's budget; a refused or too costly query → InputError on q."""
        try:
            return method(*args, budget=g.budget, **kwargs)
        except QueryError as e:
            raise bad_query(e, app.config["PARLSEARCH_BUDGET_SECONDS"]) from None

    def run_search(form: SearchForm, limit: int, offset: int, snippets=True, facets=True, closest=False):
        with pool.use() as engine:
            exact = form.exact == "1"
            result = engine_call(engine.search, form.q, limit=limit, offset=offset, sort=form.sort,
                                 filters=form.filters(), snippets=snippets, closest=closest, exact=exact)
            counts = engine_call(facet_counts, engine, form.q, form.filters(), exact=exact) if facets else None
        return result, counts

    def render_search(form: SearchForm, result=None, facets=None, status: int = 200, **more):
        links = _facet_links(form, facets) if facets else {f: [] for f in FACETS}
        return render_template("search.html", form=form, result=result, facets=facets or {}, facet_links=links,
                               title=search_title(form, result), active=_active(form), **more), status

    @app.get("/")
    def search_page():
        form = SearchForm.from_args(request.args)
        if form.errors:  # shown in the form, the search kept as typed
            return render_search(form, status=400)
        if form.empty:
            with pool.use() as engine:
                facets = engine_call(facet_counts, engine, "", [])
            return render_search(form, facets=facets)
        try:
            result, facets = run_search(form, form.n, form.offset, closest=True)
        except InputError as e:
            form.errors.append(e)
            return render_search(form, status=400)
        last = min(-(-result.total // form.n), MAX_OFFSET // form.n) if result.total else 1
        pages = [p for p in range(max(1, form.page - 3), min(last, form.page + 3) + 1)]
        csv_params = form.params(page=None, n=None)
        return render_search(form, result, facets, pages=pages, last_page=last,
                             permalink=url_for("search_page", _external=True, **form.params()),
                             csv_link=url_for("search_csv", **csv_params),
                             spreadsheet_link=url_for("search_csv", bom=1, **csv_params),
                             json_link=url_for("api_search", **form.params()),
                             paste_link=url_for("similar_page", text=form.q) if form.q else None)

    @app.get("/search.csv")
    def search_csv():
        form = SearchForm.from_args(request.args)
        form.check()
        bom = _flag(request.args, "bom")
        if form.empty:
            raise InputError("no_query", "q", "Rien à exporter : donnez une recherche ou un filtre.",
                             "no query: give q or a filter")
        result, _ = run_search(form, MAX_CSV_ROWS, 0, snippets=False, facets=False)
        words = form.q or " ".join(getattr(form, name) for name in SearchForm.FILTERS if getattr(form, name))
        return Response(csv_text(result.hits, bom=bom), content_type="text/csv; charset=utf-8; header=present",
                        headers={"Content-Disposition": content_disposition(words)})

    @app.get("/doc/<doc_id>")
    def doc_page(doc_id):
        q_text = text_param(request.args, "q", MAX_QUERY_CHARS)
        with pool.use() as engine:
            doc = engine.get(_doc_id(doc_id))
            if doc is None:
                abort(404)
            q = None
            if q_text:
                try:
                    q = matching(engine, q_text, budget=g.budget)[0]
                except QueryError:  # the words are only highlighted: a query that fails highlights nothing
                    q = None
            texts = {name: highlight_whole(engine, q, field, getattr(doc, name))
                     for name, field in (("question", "question"), ("answer", "answer"),
                                         ("question_nl", "body_nl"), ("answer_nl", "body_nl"))}
            similar = engine_call(engine.similar, doc.id, limit=SIMILAR_COUNT)
        return render_template("doc.html", doc=doc, texts=texts, similar=similar, q=q_text,
                               link=official_link(doc.url), report_link=official_link(doc.report_url),
                               official_id_link=official_link(doc.official_id),
                               parts=describe_identifier(doc.assembly, doc.official_id),
                               delay=answer_delay(doc), type_label=TYPE_LABELS.get(doc.type, doc.type))

    @app.get("/similar")
    def similar_page():
        """Has this been asked before? A draft (`text`) or a stored question (`id`) → the closest questions."""
        text = text_param(request.args, "text", MAX_DRAFT_CHARS)
        doc_id = text_param(request.args, "id")
        hits, doc = None, None
        with pool.use() as engine:
            if doc_id:
                doc = engine.get(_doc_id(doc_id))
                if doc is None:
                    abort(404)
                hits = engine_call(engine.similar, doc.id, limit=SIMILAR_COUNT)
            elif text:
                hits = engine_call(engine.similar_text, text, limit=SIMILAR_COUNT)
        if doc is not None:
            title = "Questions proches de « %s »" % _short(doc.subject or doc.title or doc.id)
        elif hits is not None:
            title = "Déjà posée ? — %s pour « %s »" % (
                "%d question%s proche%s" % (len(hits), "s" * (len(hits) > 1), "s" * (len(hits) > 1)) if hits
                else "aucune question proche", _short(text, 40))
        else:
            title = "Déjà posée ?"
        return render_template("similar.html", text=text, hits=hits, doc=doc, title=title)

    @app.get("/api/search")
    def api_search():
        problem = unknown_params(request.args, API_SEARCH_PARAMS)
        if problem:
            raise problem
        form = SearchForm.from_args(request.args)
        form.check()
        closest = _flag(request.args, "closest")
        if form.empty:
            raise InputError("no_query", "q", "Aucune recherche.", "no query: give q or a filter")
        result, _ = run_search(form, form.n, form.offset, facets=False, closest=closest)
        return _json(result_dict(result))

    @app.get("/api/doc/<doc_id>")
    def api_doc(doc_id):
        problem = unknown_params(request.args, ())
        if problem:
            raise problem
        with pool.use() as engine:
            doc = engine.get(_doc_id(doc_id))
        if doc is None:
            abort(404)
        return _json(doc.to_dict())

    @app.get("/api/similar")
    def api_similar():
        problem = unknown_params(request.args, ("id", "text"))
        if problem:
            raise problem
        doc_id, text = text_param(request.args, "id"), text_param(request.args, "text", MAX_DRAFT_CHARS)
        if bool(doc_id) == bool(text):
            raise InputError("id_or_text", None, "Donnez id (un document) ou text (un projet de question).",
                             "give either id (a document) or text (a draft question)")
        with pool.use() as engine:
            if doc_id:
                try:
                    hits = engine_call(engine.similar, _doc_id(doc_id), limit=SIMILAR_COUNT)
                except KeyError:
                    abort(404)
            else:
                hits = engine_call(engine.similar_text, text, limit=SIMILAR_COUNT)
        return _json(result_dict(SearchResult("similar:%s" % (doc_id or text), len(hits), hits)))

    @app.get("/api/stats")
    def api_stats():
        """Without q or filters, the index's counts (`parlsearch stats --json`); with them, the counts of
        every match (`parlsearch stats QUERY --json`: query, total, facets, filters)."""
        problem = unknown_params(request.args, API_STATS_PARAMS)
        if problem:
            raise problem
        form = SearchForm.from_args(request.args)
        form.check()
        with pool.use() as engine:
            if form.empty:
                return _json(index_stats(engine))
            from ..engine.counting import count_matches
            filters = form.search_filters()
            counts = engine_call(count_matches, engine, form.q, filters)
        out = counts.to_dict()
        out.update(query=form.q, filters=filters.to_dict())
        return _json(out)

    return app


def _shown(name: str, value: str) -> str:
    """A filter's value as the page shows it (statuses, types and assemblies by their French labels)."""
    return {"status": STATUS_LABELS, "type": TYPE_LABELS, "assembly": ASSEMBLY_LABELS}.get(name, {}).get(value, value)


def _active(form: SearchForm) -> list[tuple[str, str, str]]:
    """[(label, value, url of the same search without that filter)] for the filters in use."""
    out = []
    for name, label in FILTER_LABELS.items():
        value = getattr(form, name)
        if value and not form.has_error(name):
            out.append((label, _shown(name, value), url_for("search_page", **form.params(page=None, **{name: ""}))))
    return out


def _facet_links(form: SearchForm, facets: dict) -> dict:
    """{facet: [(value, count, url or None), …]}: each value a link narrowing the search to it."""
    out = {}
    for facet in FACETS:
        rows = []
        for value, count in (facets or {}).get(facet, [])[:FACET_ROWS]:
            if value == UNKNOWN:
                change = None
            elif facet == "year":
                change = dict(since=value, until=value)
            else:
                change = {facet: value}
            url = url_for("search_page", **form.params(page=None, **change)) if change else None
            rows.append((value, count, url))
        out[facet] = rows
    return out
