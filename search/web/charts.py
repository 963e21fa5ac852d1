"""The web page's charts: the results page's timeline, the /stats page and the charts' stylesheet.

Server-rendered SVG inside the HTML: the timeline drawn with ElementTree (search/timeline_svg.py, ~1 ms: the
results page never imports pygal), the /stats page's charts by pygal (search/charts.py). No JavaScript, and
nothing the page's Content-Security-Policy blocks: no script, no inline style; both drawings' stylesheets
are /chart.css, from the page's origin.
Each bar of the timeline is a link narrowing the search to its month or year (`since` and `until` set to
it); each bar of a count chart narrows it to that minister, author or year. The SVG is hidden from screen
readers and its links are out of the tab order: the table beside each chart holds the same numbers and the
same links, for screen readers, keyboards and copying.
"""
from __future__ import annotations

import datetime as dt

from flask import Response, render_template, request, url_for
from markupsafe import Markup

from .form import STATUS_LABELS, InputError, SearchForm

#: Facets counted on the stats page, in the order shown (portfolio: the minister's portfolio as worded by
#: the source), with their French titles.
STATS_FACETS = (("minister", "Par ministre"), ("author", "Par auteur"), ("portfolio", "Par portefeuille"),
                ("year", "Par année de réception"))
#: Values drawn per count chart (the table lists them all).
CHART_ROWS = 15


def _narrowed(form: SearchForm, **change) -> str:
    return url_for("search_page", **form.params(page=None, **change))


def timeline_view(form: SearchForm, timeline) -> dict | None:
    """What the results page shows of a timeline: the chart (inline SVG), its rows [(label, {status: n},
    total, url)], the unit and the undated count; None when no match has a date."""
    from ..chart_common import STATUS_NAMES
    from ..timeline_svg import timeline_svg
    if timeline is None or not timeline.buckets:
        return None
    unit = "mois" if timeline.unit == "month" else "année"
    # One url_for for every bar (40 calls cost ~0.7 ms, a third of the timeline): the search's link without
    # its period, then each bar's period (digits and "-": nothing to quote).
    prefix = _narrowed(form, since=None, until=None)
    prefix += "&" if "?" in prefix else "?"
    links = {b.label: "%ssince=%s&until=%s" % (prefix, b.label, b.label) for b in timeline.buckets}
    svg = timeline_svg(timeline, "Questions par %s de réception" % unit, href=lambda b: links[b.label],
                       page_label="timeline")
    rows = [(b.label, b.counts, b.total, links[b.label]) for b in timeline.buckets]
    return dict(svg=Markup(svg), rows=rows, unit=unit, undated=timeline.undated,
                statuses=[(s, STATUS_NAMES.get(s, s)) for s in timeline.statuses])


def register(app, pool, engine_call) -> None:
    """Add /chart.css and /stats to the application (`engine_call`: web.py's budgeted engine call)."""

    @app.get("/chart.css")
    def chart_css():
        """The timeline's stylesheet and pygal's (scoped to .timeline-chart and .pygal-chart)."""
        from ..charts import page_css
        from ..timeline_svg import TIMELINE_CSS
        return Response(TIMELINE_CSS + "\n" + page_css(), mimetype="text/css",
                        headers={"Cache-Control": "max-age=3600"})

    @app.get("/stats")
    def stats_page():
        """Counts by minister, author, portfolio and year, and answer delays per minister, for a search."""
        from .. import charts
        from ..engine.counting import count_matches
        from ..engine.delays import answer_delays
        form = SearchForm.from_args(request.args)
        title = "Statistiques"
        if form.errors:
            return render_template("stats.html", form=form, title="Erreur — " + title, stats=None), 400
        filters = form.search_filters()
        today = dt.date.today()
        try:
            with pool.use() as engine:
                counts = engine_call(count_matches, engine, form.q, filters,
                                     facets=tuple(name for name, _ in STATS_FACETS), exact=form.exact == "1")
                delays = engine_call(answer_delays, engine, form.q, filters, as_of=today)
        except InputError as e:
            form.errors.append(e)
            return render_template("stats.html", form=form, title="Erreur — " + title, stats=None), 400
        what = "« %s »" % form.q if form.q else "toutes les questions"
        sections = []
        for facet, heading in STATS_FACETS:
            values = counts.facets.get(facet, {})

            def href(value, facet=facet):
                if value == charts_unknown():
                    return None
                if facet == "year":
                    return _narrowed(form, since=value, until=value)
                if facet in ("minister", "author"):
                    return _narrowed(form, **{facet: value})
                return None  # no portfolio filter: the table names it, the search box finds it
            svg = charts.counts_chart(values, "%s — %s" % (heading, what), href=href, chart_id="stats-" + facet,
                                      top=CHART_ROWS, page_label=facet) if values else None
            sections.append(dict(facet=facet, heading=heading, svg=Markup(svg) if svg else None,
                                 rows=[(v, n, href(v)) for v, n in values.items()]))
        delay_rows = delays.rows if delays.total else []
        delay_svg = None
        if any(r.answered or r.due for r in delay_rows):
            delay_svg = Markup(charts.delays_chart(delays, "Délais de réponse — %s" % what,
                                                   chart_id="stats-delays", page_label="delays"))
        return render_template("stats.html", form=form, stats=counts, sections=sections, delays=delays,
                               delay_rows=delay_rows, delay_svg=delay_svg, deadlines=delays.deadlines or {},
                               title="%s — %s (%d)" % (title, what, counts.total), today=today.isoformat(),
                               search_link=_narrowed(form), json_link=url_for("api_stats", **{k: v for k, v in form.params().items()
                                                                  if k in ("q",) + SearchForm.FILTERS}),
                               STATUS_LABELS=STATUS_LABELS)


def charts_unknown() -> str:
    from ..engine.counting import UNKNOWN
    return UNKNOWN
