"""`parlsearch serve`: a local web page over the same Engine as the CLI (search, document, similar, JSON, CSV).

Flask (with its Jinja2 templates and werkzeug server) is the optional extra `parlsearch[web]`; nothing here
is imported by the rest of the package. The pages are plain HTML forms and links (no JavaScript).

Safety: every value a template prints is escaped by Jinja2's autoescape and stripped of control characters
(`_finalize`); highlighted text is escaped piece by piece *before* the <mark> tags are put in (`marked`), so
no document content ever becomes markup. Only GET routes exist, every input is bounded, and each response
carries a Content-Security-Policy that allows no script at all.

Size (~550 lines): the routes, the form reading and the safe-markup helpers of one small application; the
counting (search/counting.py via web_facets.py), the links (search/links.py) and the rendering of hits
(search/output.py) are shared with the command line and live elsewhere.
"""
from __future__ import annotations

import datetime as dt
import re
import threading
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path

from flask import Flask, Response, abort, render_template, request, url_for
from markupsafe import Markup, escape
from whoosh import highlight
from whoosh import query as wq

from ..corpus.brussels import TYPE_LABELS  # the Parliament's names of document types, shared with `show`
from ..corpus.model import TYPES, normalize_legislature
from ..index.analysis import analyze
from .engine import MARK_END, MARK_START, SORTS, Engine, Hit, SearchResult, _Marker
from .links import official_url
from .output import CSV_COLUMNS, _hit_row, csv_table, result_dict, safe, to_json
from .query import QueryError, period
from .counting import index_stats
from .web_facets import FACETS, UNKNOWN, facet_counts, matching

#: Longest query accepted (the engine refuses 4000; a typed query is far shorter, a pasted one goes to /similar).
MAX_QUERY_CHARS = 2000
#: Longest draft question for "has this been asked before?" (a long written question is ~3000 characters).
MAX_DRAFT_CHARS = 6000
#: Longest filter value (a name, a legislature).
MAX_FIELD_CHARS = 200
PAGE_SIZES = (10, 20, 50, 100)
#: As the command line (`search -n 10`): each hit costs its snippets (most of a page's time).
DEFAULT_PAGE_SIZE = 10
#: Deepest result reachable by paging: beyond it, narrow the query (keeps each request's work bounded).
MAX_OFFSET = 10_000
#: Rows in a CSV download (the whole result list up to this; every hit costs one stored document).
MAX_CSV_ROWS = 10_000
#: Values listed per facet beside the results.
FACET_ROWS = 12
SIMILAR_COUNT = 10

CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                           "base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

STATUS_LABELS = {"answered": "répondue", "unanswered": "sans réponse"}
SORT_LABELS = {"relevance": "pertinence", "-date": "plus récentes d’abord", "date": "plus anciennes d’abord"}
FACET_LABELS = {"minister": "Ministre", "author": "Auteur", "year": "Année (réception)", "status": "Statut"}
_PERIOD = re.compile(r"\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?")


class BadRequest(ValueError):
    """An input the page refuses (too long, not a date…); str() is shown to the reader."""


# -- the warm engine ----------------------------------------------------------------------------------

class WarmEngine:
    """One Engine kept open across requests, replaced by a fresh one when another process has committed.

    whoosh searchers are not safe to share between threads, so requests take turns (a lock): a search
    takes milliseconds and the server is for one person. `searcher.up_to_date()` compares the newest
    generation on disk with the one this searcher reads (a directory listing, no file read), so checking at
    every request is cheap; a whole new Engine is opened rather than `searcher.refresh()` because the Engine
    also caches the schema, parser and date column of its view.
    """

    def __init__(self, index_dir, engine: Engine | None = None):
        self.index_dir = Path(index_dir)
        self._engine = engine if engine is not None else Engine.open(self.index_dir)
        self._lock = threading.Lock()
        self.reopened = 0  # how many newer commits were picked up (for tests and the stats page)

    def _refresh(self) -> None:
        try:
            if self._engine.searcher.up_to_date():
                return
            fresh = Engine.open(self.index_dir)
        except Exception:  # a commit half-way or a damaged newer commit: keep answering from the view we have
            return
        stale, self._engine = self._engine, fresh
        stale.close()
        self.reopened += 1

    @contextmanager
    def use(self):
        with self._lock:
            self._refresh()
            yield self._engine

    def close(self) -> None:
        with self._lock:
            self._engine.close()


# -- reading the form ---------------------------------------------------------------------------------

def _text(args, name: str, limit: int = MAX_FIELD_CHARS) -> str:
    value = (args.get(name) or "").strip()
    if len(value) > limit:
        raise BadRequest("« %s » dépasse %d caractères" % (name, limit))
    return value


def _date(value: str, last: bool) -> dt.date | None:
    """2026, 2026-06 or 2026-06-01 → its first day (or last, for an upper bound)."""
    if not value:
        return None
    if not _PERIOD.fullmatch(value):
        raise BadRequest("date « %s » non reconnue (2026, 2026-06 ou 2026-06-01)" % value)
    try:
        first, final = period(value)
    except QueryError:
        raise BadRequest("date « %s » invalide" % value) from None
    return final if last else first


@dataclass
class SearchForm:
    """What the search page's URL holds: the query, the filters, the order and the page."""

    q: str = ""
    author: str = ""
    minister: str = ""
    status: str = ""
    type: str = ""
    legislature: str = ""
    since: str = ""
    until: str = ""
    answered_since: str = ""
    answered_until: str = ""
    sort: str = "relevance"
    page: int = 1
    n: int = DEFAULT_PAGE_SIZE

    @classmethod
    def from_args(cls, args) -> "SearchForm":
        form = cls(q=_text(args, "q", MAX_QUERY_CHARS))
        for name in ("author", "minister", "legislature", "since", "until", "answered_since", "answered_until"):
            setattr(form, name, _text(args, name))
        form.status = _text(args, "status")
        if form.status not in ("", *STATUS_LABELS):
            raise BadRequest("statut inconnu")
        form.type = _text(args, "type")
        if form.type not in ("", *TYPES):
            raise BadRequest("type inconnu")
        form.sort = _text(args, "sort") or "relevance"
        if form.sort not in SORTS:
            raise BadRequest("tri inconnu")
        try:
            form.page = int(args.get("page") or 1)
            form.n = int(args.get("n") or DEFAULT_PAGE_SIZE)
        except ValueError:
            raise BadRequest("page ou taille de page non numérique") from None
        if form.n not in PAGE_SIZES:
            raise BadRequest("taille de page : %s" % ", ".join(map(str, PAGE_SIZES)))
        if form.page < 1 or form.offset >= MAX_OFFSET:
            raise BadRequest("page hors limites (au plus %d résultats parcourus ; précisez la recherche)"
                             % MAX_OFFSET)
        form.filters()  # dates checked now
        return form

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.n

    @property
    def empty(self) -> bool:
        return not self.q and not any(self.filters())

    def filters(self) -> list:
        """The filters as whoosh queries, as the CLI's --author/--minister/--status/--since/--until build them."""
        out = []
        for field in ("author", "minister"):
            terms = analyze(getattr(self, field), "names", index=True) if getattr(self, field) else []
            if terms:
                out.append(wq.And([wq.Term(field, t) for t in terms]))
        if self.status:
            out.append(wq.Term("status", self.status))
        if self.type:
            out.append(wq.Term("type", self.type))
        if self.legislature:
            out.append(wq.Term("legislature", normalize_legislature(self.legislature)))
        for field, start, end in (("date_received", self.since, self.until),
                                  ("date_answered", self.answered_since, self.answered_until)):
            first, last = _date(start, False), _date(end, True)
            if first or last:
                out.append(wq.DateRange(field, first and dt.datetime.combine(first, dt.time.min),
                                        last and dt.datetime.combine(last, dt.time.max)))
        return out

    def params(self, **changes) -> dict:
        """URL parameters of this form (defaults left out, so permalinks stay short), with `changes`."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        defaults = SearchForm()
        return {k: v for k, v in values.items() if v not in ("", None) and v != getattr(defaults, k)}


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


def similar_to_text(engine: Engine, text: str, limit: int = SIMILAR_COUNT) -> list[Hit]:
    """The questions closest to a draft: the engine's free-text similar when it has one, else whoosh's
    more-like-this over the draft's key terms (the same weighting as Engine.similar for a stored question)."""
    method = getattr(engine, "similar_text", None)
    if method is not None:
        return list(method(text, limit=limit))
    terms = []
    for fieldname, n, boost in (("subject", 8, 3.0), ("question", 20, 1.0)):
        try:
            key_terms = engine.searcher.key_terms_from_text(fieldname, text, numterms=n)
        except ZeroDivisionError:  # whoosh's scorer on a draft none of whose words the index holds
            key_terms = []
        for term, weight in key_terms:
            terms.append(wq.Term(fieldname, term, boost=boost * weight))
    if not terms:
        return []
    from ..index.schema import document_from_payload
    results = engine.searcher.search(wq.Or(terms), limit=limit)
    return [Hit(i, float(h.score), document_from_payload(h["payload"]), []) for i, h in enumerate(results, 1)]


def csv_text(hits: list[Hit]) -> str:
    """The command line's CSV (search/output.py: RFC 4180, CRLF, header row, cells made inert), with two more
    guards for a file a spreadsheet opens from a download: a text cell that it would read as a formula (=, +,
    -, @ first) gets a leading apostrophe (the documents come from outside), and line breaks become spaces."""
    def cell(value: str) -> str:
        value = value.replace("\n", " ")
        return "'" + value if value[:1] in ("=", "+", "-", "@") else value
    return csv_table(CSV_COLUMNS, [[cell(v) for v in _hit_row(hit)] for hit in hits])


def _finalize(value):
    """Every {{ value }} of the templates: None prints nothing, text loses its control characters (then
    autoescape escapes it)."""
    if value is None:
        return ""
    if isinstance(value, str) and not isinstance(value, Markup):
        return safe(value)
    return value


# -- the application ----------------------------------------------------------------------------------

def create_app(index_dir, engine: Engine | None = None) -> Flask:
    """The Flask application over the index at `index_dir` (`engine`: an already open Engine on it)."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.jinja_env.autoescape = True
    app.jinja_env.finalize = _finalize
    app.jinja_env.filters.update(marked=marked, paragraphs=paragraphs)
    warm = WarmEngine(index_dir, engine)
    app.extensions["parlsearch"] = warm

    @app.context_processor
    def labels():
        return dict(TYPE_LABELS=TYPE_LABELS, STATUS_LABELS=STATUS_LABELS, SORT_LABELS=SORT_LABELS,
                    FACET_LABELS=FACET_LABELS, PAGE_SIZES=PAGE_SIZES, UNKNOWN=UNKNOWN)

    @app.after_request
    def headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
        return response

    @app.errorhandler(BadRequest)
    def bad_request(e):
        if request.path.startswith("/api/"):
            return _json({"error": str(e)}, 400)
        return render_template("error.html", message=str(e)), 400

    @app.errorhandler(404)
    def not_found(e):
        if request.path.startswith("/api/"):
            return _json({"error": "not found"}, 404)
        return render_template("error.html", message="Page ou document introuvable."), 404

    @app.errorhandler(500)
    def server_error(e):
        if request.path.startswith("/api/"):
            return _json({"error": "internal error"}, 500)
        return render_template("error.html", message="Erreur interne : la recherche n’a pas abouti."), 500

    @app.errorhandler(405)
    def not_allowed(e):
        return _json({"error": "read-only: only GET is served"}, 405) if request.path.startswith("/api/") \
            else (render_template("error.html", message="Lecture seule : seules les requêtes GET sont servies."), 405)

    def run_search(form: SearchForm, limit: int, offset: int, snippets: bool = True, facets: bool = True):
        with warm.use() as engine:
            try:
                result = engine.search(form.q, limit=limit, offset=offset, sort=form.sort,
                                       filters=form.filters(), snippets=snippets)
                facets = facet_counts(engine, form.q, form.filters()) if facets else None
            except QueryError as e:
                raise BadRequest("requête invalide : %s" % e) from None
        return result, facets

    @app.get("/")
    def search_page():
        form = SearchForm.from_args(request.args)
        if form.empty:
            with warm.use() as engine:
                facets = facet_counts(engine, "", [])
            return render_template("search.html", form=form, result=None, facets=facets, pages=[],
                                   facet_links=_facet_links(form, facets))
        result, facets = run_search(form, form.n, form.offset)
        last = min(-(-result.total // form.n), MAX_OFFSET // form.n) if result.total else 1
        pages = [p for p in range(max(1, form.page - 3), min(last, form.page + 3) + 1)]
        return render_template("search.html", form=form, result=result, facets=facets, pages=pages,
                               last_page=last, facet_links=_facet_links(form, facets), active=_active(form),
                               permalink=url_for("search_page", _external=True, **form.params()),
                               csv_link=url_for("search_csv", **form.params(page=None, n=None)))

    @app.get("/search.csv")
    def search_csv():
        form = SearchForm.from_args(request.args)
        if form.empty:
            raise BadRequest("rien à exporter : donnez une recherche ou un filtre")
        result, _ = run_search(form, MAX_CSV_ROWS, 0, snippets=False, facets=False)
        return Response(csv_text(result.hits), mimetype="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="parlsearch.csv"'},
                        content_type="text/csv; charset=utf-8; header=present")

    @app.get("/doc/<doc_id>")
    def doc_page(doc_id):
        q_text = _text(request.args, "q", MAX_QUERY_CHARS)
        with warm.use() as engine:
            doc = engine.get(_doc_id(doc_id))
            if doc is None:
                abort(404)
            q = None
            if q_text:
                try:
                    q = matching(engine, q_text)[0]
                except QueryError:
                    q = None
            texts = {name: highlight_whole(engine, q, field, getattr(doc, name))
                     for name, field in (("question", "question"), ("answer", "answer"),
                                         ("question_nl", "body_nl"), ("answer_nl", "body_nl"))}
            similar = engine.similar(doc.id, limit=SIMILAR_COUNT)
        return render_template("doc.html", doc=doc, texts=texts, similar=similar, q=q_text,
                               link=official_link(doc.url), report_link=official_link(doc.report_url),
                               delay=answer_delay(doc), type_label=TYPE_LABELS.get(doc.type, doc.type))

    @app.get("/similar")
    def similar_page():
        text = _text(request.args, "text", MAX_DRAFT_CHARS)
        hits = None
        if text:
            with warm.use() as engine:
                hits = similar_to_text(engine, text)
        return render_template("similar.html", text=text, hits=hits)

    @app.get("/api/search")
    def api_search():
        form = SearchForm.from_args(request.args)
        if form.empty:
            raise BadRequest("no query: give q or a filter")
        result, _ = run_search(form, form.n, form.offset, facets=False)
        return _json(result_dict(result))

    @app.get("/api/doc/<doc_id>")
    def api_doc(doc_id):
        with warm.use() as engine:
            doc = engine.get(_doc_id(doc_id))
        if doc is None:
            abort(404)
        return _json(doc.to_dict())

    @app.get("/api/similar")
    def api_similar():
        doc_id, text = _text(request.args, "id"), _text(request.args, "text", MAX_DRAFT_CHARS)
        if bool(doc_id) == bool(text):
            raise BadRequest("give either id (a document) or text (a draft question)")
        with warm.use() as engine:
            if doc_id:
                try:
                    hits = engine.similar(_doc_id(doc_id), limit=SIMILAR_COUNT)
                except KeyError:
                    abort(404)
            else:
                hits = similar_to_text(engine, text)
        return _json(result_dict(SearchResult("similar:%s" % (doc_id or text), len(hits), hits)))

    @app.get("/api/stats")
    def api_stats():
        with warm.use() as engine:
            stats = index_stats(engine)
        stats["index"] = str(warm.index_dir)
        return _json(stats)

    return app


def _doc_id(value: str) -> str:
    value = value.strip()
    if not value or len(value) > MAX_FIELD_CHARS:
        abort(404)
    return value


def _json(obj, status: int = 200) -> Response:
    return Response(to_json(obj), status=status, mimetype="application/json")


#: Filter fields → their label in the list of active filters.
FILTER_LABELS = {"minister": "ministre", "author": "auteur", "status": "statut", "type": "type",
                 "legislature": "législature", "since": "reçue depuis", "until": "reçue jusqu’au",
                 "answered_since": "répondue depuis", "answered_until": "répondue jusqu’au"}


def _active(form: SearchForm) -> list[tuple[str, str, str]]:
    """[(label, value, url of the same search without that filter)] for the filters in use."""
    out = []
    for name, label in FILTER_LABELS.items():
        value = getattr(form, name)
        if value:
            shown = STATUS_LABELS.get(value, value) if name == "status" else TYPE_LABELS.get(value, value) \
                if name == "type" else value
            out.append((label, shown, url_for("search_page", **form.params(page=None, **{name: ""}))))
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


# -- serving ------------------------------------------------------------------------------------------

def make_server(app: Flask, host: str = "127.0.0.1", port: int = 8765):
    """A threaded WSGI server already bound and listening on (host, port) when this returns (port 0: a
    free port, read back from `server.server_port`); call serve_forever() to answer, shutdown() to stop.
    Requests are not logged (their URLs carry queries and ids that are not ours to print)."""
    from werkzeug.serving import WSGIRequestHandler, make_server as werkzeug_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    return werkzeug_server(host, port, app, threaded=True, request_handler=QuietHandler)
