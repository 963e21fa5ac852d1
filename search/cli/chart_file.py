"""`stats … --chart FILE.svg`: the chart the web page shows for the same counts, as a file for an article.

Which chart: the timeline (matches per month or year of reception, by status: the results page's drawing,
search/timeline_svg.py, as a standalone file) for `stats QUERY` and `stats --by month`; horizontal bars
for `--by minister|author|portfolio|year` (the stats page's, pygal: imported only for those); the delays
per minister for `--delays` (the stats page's). Its title states what it counts,
the query and filters, the date of the data (the latest reception or answer date in the index, or the
--as-of date of delays) and the source (the assemblies of the matches and their sites). Labels are
French, as on the page the chart comes from.
"""
from __future__ import annotations

import datetime as dt

from ..chart_common import title_line
from ..engine.counting import count_matches, match_mask
from ..engine.timeline import timeline_of
from ..timeline_svg import timeline_svg

#: What a chart of each --by facet counts, for its title.
WHAT = {"minister": "Questions par ministre", "author": "Questions par auteur",
        "portfolio": "Questions par portefeuille", "year": "Questions par année de réception",
        "month": "Questions par mois de réception"}
#: Facets drawn as bars (the others: a cross table, or no chart).
CHART_FACETS = ("month", "year", "minister", "author", "portfolio")


def data_date(view) -> str | None:
    """The latest reception or answer date in the index: how recent the data a chart shows is."""
    latest = max([int(view.days(name).max()) if view.doc_count else 0 for name in ("date_received", "date_answered")])
    return dt.date.fromordinal(latest).isoformat() if latest > 0 else None


def source_line(view, mask) -> str:
    """"Parlement bruxellois (www.parlement.brussels)": the assemblies the matches come from."""
    from urllib.parse import urlsplit

    from ...corpus.assembly import get_assembly
    codes, values = view.codes("assembly_facet")
    names = []
    for code in sorted({values[c] for c in set(codes[mask].tolist())} or {""}):
        try:
            assembly = get_assembly(code or None)
            names.append("%s, questions écrites (%s)" % (assembly.label_fr, urlsplit(assembly.site).hostname))
        except KeyError:
            names.append(code)
    return " ; ".join(names)


def stats_chart(engine, text: str, filters, *, by: tuple = (), delays: bool = False, as_of=None,
                budget=None, options: str = "") -> str:
    """The SVG of the chart for `stats [QUERY] [--by FACET | --delays]` (`options`: the filters as typed,
    for the title). ValueError when the asked view has no chart (a cross table)."""
    if len(by) > 1:
        raise ValueError("--chart draws one facet: --by month, year, minister, author or portfolio, not a cross table")
    if by and by[0] not in CHART_FACETS:
        raise ValueError("--chart draws --by %s" % ", ".join(CHART_FACETS))
    _, mask = match_mask(engine, text, filters, budget)
    view = engine.view
    source = source_line(view, mask)
    if delays:
        from .. import charts
        from ..engine.delays import answer_delays
        result = answer_delays(engine, text, filters, as_of=as_of, budget=budget)
        rules = "; ".join("%s : %d jours %s" % (code, r.days, "ouvrables" if r.working_days else "")
                          for code, r in (result.deadlines or {}).items())
        title = title_line("Délais de réponse par ministre (délai réglementaire %s)" % rules, text, options,
                           result.as_of.isoformat(), source)
        return charts.delays_chart(result, title, chart_id="stats-delays")
    facet = by[0] if by else "month"
    if facet == "month" or not by:
        line = timeline_of(view, mask, "month" if by else None)
        what = "Questions par %s de réception, par statut" % ("mois" if line.unit == "month" else "année")
        return timeline_svg(line, title_line(what, text, options, data_date(view), source), standalone=True)
    from .. import charts
    counts = count_matches(engine, text, filters, facets=(facet,), budget=budget)
    title = title_line(WHAT[facet], text, options, data_date(view), source)
    return charts.counts_chart(counts.facets[facet], title, chart_id="stats-" + facet, top=25)
