"""What every chart shares, whichever code draws it: label text made safe for XML, whole-number axis ticks,
the statuses' French names and colours, the title of a chart for an article, and writing a chart file.

Two drawings use it: the timeline (search/timeline_svg.py, ElementTree, the results page's and `stats
--chart`'s) and the /stats page's count and delay charts (search/charts.py, pygal). Nothing here imports
pygal, so the results page and the timeline's file never load it.
"""
from __future__ import annotations

import re

from .output import safe

#: The series colours: answered (green), unanswered (orange), no text (grey), unknown (light grey); every
#: one at least 3:1 against white, as WCAG's non-text contrast asks of a chart's bars.
COLORS = ("#1a7f37", "#c2410c", "#57606a", "#8c959f", "#0b5cad", "#8250df")
#: French names of the statuses, as the page says them (search/web/form.py's STATUS_LABELS).
STATUS_NAMES = {"answered": "répondues", "unanswered": "sans réponse", "notext": "sans texte",
                "unknown": "statut inconnu"}
#: Characters XML 1.0 cannot hold that `safe` leaves (it removes the controls): lone surrogates, U+FFFE/F.
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def chart_text(value) -> str:
    """A label or title as a chart holds it: no control characters (XML forbids them; bidi overrides
    could reorder it), nothing XML cannot encode, whitespace collapsed. Escaping is the serializer's."""
    return " ".join(_NOT_XML.sub("", safe(str(value))).split())


def ticks(highest: float) -> list[int]:
    """Whole-number axis ticks from 0 past `highest`, at most 11 (counts and days have no fractions)."""
    step = 1
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000):
        if highest / step <= 10:
            break
    top = int(-(-max(highest, 1) // step) * step)
    return list(range(0, top + 1, step))


def title_line(what: str, query: str, filters: str, data_date: str | None, source: str) -> str:
    """The title of a chart for an article: what it shows, for which search, the data's date and source."""
    parts = [what]
    parts.append("recherche « %s »" % chart_text(query) if query.strip() else "toutes les questions")
    if filters:
        parts.append(chart_text(filters))
    parts.append("données au %s" % data_date if data_date else "données non datées")
    parts.append("source : %s" % chart_text(source))
    return " — ".join(parts)


def write_chart(svg: str, path) -> str:
    """Write a chart to `path`: .svg as it is, .png through CairoSVG (the optional extra `png`). Returns
    the format written; ValueError for another extension or when CairoSVG is not installed."""
    from pathlib import Path
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        data = ('<?xml version="1.0" encoding="utf-8"?>\n' + svg).encode("utf-8")
    elif suffix == ".png":
        try:
            import cairosvg
        except (ImportError, OSError):  # OSError: the package without the cairo library it loads
            raise ValueError("writing PNG needs CairoSVG: pip install '.[png]' (and the cairo library)") from None
        data = cairosvg.svg2png(bytestring=svg.encode("utf-8"), output_width=1800)
    else:
        raise ValueError("--chart writes .svg or .png files, not %r" % (path.suffix or path.name))
    from ..corpus.atomic import atomic_write
    atomic_write(path, data)
    return suffix[1:]
