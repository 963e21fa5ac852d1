"""The timeline of a search as SVG: matches per month (or year) of reception, answered / unanswered / …
stacked, drawn directly with ElementTree — the one drawing of the timeline, for the results page (inline,
each bar a link narrowing the search to its period) and for `stats --chart FILE.svg|png` (a standalone
file whose title states the query, the filters, the date of the data and the source).

Why not pygal (which still draws the /stats page's charts, search/charts.py): the results page draws a
timeline on every search, and pygal's configuration machinery cost ~15–25 ms per timeline at 40–80 bars,
2–3× the page's own engine work at 20,000 documents, where issue 23 allows +10%. These rectangles, labels
and links written with ElementTree take ~1 ms (bench/benchmark.py, `results_page_timeline`; README *Charts*).

What the page's Content-Security-Policy forbids is never written: no script, no style attribute, no <style>
element in the inline chart — every colour and font comes from classes (`tl-…`) styled by CSS, served from
the page's origin as part of /chart.css (`TIMELINE_CSS`); the standalone file embeds the same CSS in its
own <style> (a file has no CSP). Every text is an ElementTree text node or attribute (escaped by the
serializer) after `chart_text` removed control characters.

The contract tests and other readers rely on (not the geometry): the root <svg class="timeline-chart"
data-unit="month|year">; one element per period with matches, class "tl-period" — an <a href=…> on the
page, a <g> in a file — with data-period (its label, "2026-03" or "2026"), data-since and data-until (ISO
days); in it a <title> ("2026-03 : 4 questions — 3 répondues, 1 sans réponse") and one <rect class="tl-bar
tl-STATUS" data-status="STATUS" data-count="N"> per status with N > 0, stacked bottom up in the timeline's
status order, its height N × one scale shared by every bar.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from .chart_common import STATUS_NAMES, chart_text, ticks

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH = 900
#: Height of the plot, axis labels and legend; a file adds its title's lines above.
HEIGHT = 300
LEFT, RIGHT, TOP, BOTTOM = 56, 30, 28, 56
#: At most this many period labels under the axis (every bar is still drawn).
MAX_LABELS = 10
#: A file's title is wrapped at this many characters per line (16 px text in 900 px).
TITLE_CHARS = 88
#: Statuses with a colour of their own (search/engine/timeline.py's STATUS_ORDER); any other is "other".
KNOWN = ("answered", "unanswered", "notext", "unknown")

#: The timeline's stylesheet: served in /chart.css for the page, embedded in a file's <style>. Colours are
#: chart_common.COLORS (each ≥ 3:1 against white); texts #1f2328 and #57606a (≥ 4.5:1).
TIMELINE_CSS = """\
.timeline-chart { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif; }
.timeline-chart .tl-background { fill: #ffffff; }
.timeline-chart text { fill: #1f2328; font-size: 13px; }
.timeline-chart .tl-title { font-size: 16px; font-weight: 600; }
.timeline-chart .tl-tick { fill: #57606a; text-anchor: end; }
.timeline-chart .tl-axis-title { fill: #57606a; }
.timeline-chart .tl-label { text-anchor: middle; }
.timeline-chart .tl-legend-text { font-size: 13px; }
.timeline-chart .tl-grid { stroke: #d8dee4; stroke-width: 1; }
.timeline-chart .tl-axis { stroke: #57606a; stroke-width: 1; }
.timeline-chart .tl-answered { fill: #1a7f37; }
.timeline-chart .tl-unanswered { fill: #c2410c; }
.timeline-chart .tl-notext { fill: #57606a; }
.timeline-chart .tl-unknown { fill: #8c959f; }
.timeline-chart .tl-other { fill: #8250df; }
.timeline-chart a:hover .tl-bar { opacity: .75; }
"""


def _num(x: float) -> str:
    """A coordinate to 0.01 px, without trailing zeros (smaller SVG, same picture)."""
    return ("%.2f" % x).rstrip("0").rstrip(".")


def _status_class(status: str) -> str:
    return "tl-" + status if status in KNOWN else "tl-other"


def _bar_title(bucket, names: dict) -> str:
    parts = ["%d %s" % (bucket.counts.get(s, 0), name) for s, name in names.items() if bucket.counts.get(s, 0)]
    total = bucket.total
    return "%s : %d question%s — %s" % (bucket.label, total, "s" if total > 1 else "", ", ".join(parts))


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = "%s %s" % (line, word) if line else word
    return lines + [line] if line else lines


def timeline_svg(timeline, title: str, href=None, chart_id: str = "timeline", page_label: str | None = None,
                 standalone: bool = False) -> str:
    """The SVG of `timeline` (search/engine/timeline.py's Timeline). `href(bucket)` → the URL a bar links to
    (None: no links, as in a file). `page_label`: the inline form of the page (hidden from screen readers,
    links out of the tab order: the table under it has the same numbers and links; `data-chart` names it).
    `standalone`: a file — its <style> embedded, a white background, and `title` written above the plot."""
    title = chart_text(title)
    title_lines = _wrap(title, TITLE_CHARS) if standalone else []
    top = TOP + 21 * len(title_lines)
    height = HEIGHT + 21 * len(title_lines)
    root = ET.Element("svg", {"xmlns": SVG_NS, "id": "chart-" + chart_id, "class": "timeline-chart",
                              "viewBox": "0 0 %d %d" % (WIDTH, height), "width": str(WIDTH), "height": str(height),
                              "data-unit": timeline.unit})
    if page_label is not None:
        root.set("aria-hidden", "true")
        root.set("focusable", "false")
        root.set("data-chart", chart_text(page_label))
    else:
        root.set("role", "img")
    ET.SubElement(root, "title").text = title
    if standalone:
        ET.SubElement(root, "style").text = TIMELINE_CSS
        ET.SubElement(root, "rect", {"class": "tl-background", "width": str(WIDTH), "height": str(height)})
        for i, line in enumerate(title_lines):
            ET.SubElement(root, "text", {"class": "tl-title", "x": "16", "y": str(22 + 21 * i)}).text = line

    buckets = timeline.buckets
    plot_w, plot_h = WIDTH - LEFT - RIGHT, height - top - BOTTOM
    scale_ticks = ticks(max([b.total for b in buckets] + [1]))
    scale = plot_h / scale_ticks[-1]
    base = top + plot_h
    axis = ET.SubElement(root, "g", {"class": "tl-y-axis"})
    ET.SubElement(axis, "text", {"class": "tl-axis-title", "x": "8", "y": str(top - 10)}).text = "questions"
    for t in scale_ticks:
        y = _num(base - t * scale)
        ET.SubElement(axis, "line", {"class": "tl-axis" if t == 0 else "tl-grid", "x1": str(LEFT),
                                     "x2": str(LEFT + plot_w), "y1": y, "y2": y})
        ET.SubElement(axis, "text", {"class": "tl-tick", "x": str(LEFT - 6), "y": _num(base - t * scale + 4.5)}).text = str(t)

    n = max(1, len(buckets))
    slot = plot_w / n
    bar_w = slot * 0.8 if slot > 5 else slot
    statuses = timeline.statuses
    names = {s: STATUS_NAMES.get(s, chart_text(s)) for s in statuses}
    classes = {s: "tl-bar " + _status_class(s) for s in statuses}
    data_status = {s: chart_text(s) for s in statuses}
    bars = ET.SubElement(root, "g", {"class": "tl-bars"})
    for i, bucket in enumerate(buckets):
        if not bucket.total:
            continue
        url = href(bucket) if href else None
        attrs = {"class": "tl-period", "data-period": bucket.label, "data-since": bucket.since,
                 "data-until": bucket.until}
        if url:
            attrs["href"] = url
            if page_label is not None:
                attrs["tabindex"] = "-1"
        group = ET.SubElement(bars, "a" if url else "g", attrs)
        ET.SubElement(group, "title").text = _bar_title(bucket, names)
        x = _num(LEFT + i * slot + (slot - bar_w) / 2)
        w = _num(bar_w)
        y = float(base)
        for status in statuses:
            count = bucket.counts.get(status, 0)
            if not count:
                continue
            h = count * scale
            y -= h
            ET.SubElement(group, "rect", {"class": classes[status], "x": x, "y": _num(y), "width": w,
                                          "height": _num(h), "data-status": data_status[status],
                                          "data-count": str(count)})

    labels = ET.SubElement(root, "g", {"class": "tl-x-axis"})
    step = -(-len(buckets) // MAX_LABELS) if buckets else 1
    for i in range(0, len(buckets), step):
        ET.SubElement(labels, "text", {"class": "tl-label", "x": _num(LEFT + (i + 0.5) * slot),
                                       "y": str(base + 18)}).text = buckets[i].label
    if not buckets:
        ET.SubElement(labels, "text", {"class": "tl-label", "x": _num(LEFT + plot_w / 2),
                                       "y": _num(top + plot_h / 2)}).text = "Aucune question datée"

    legend = ET.SubElement(root, "g", {"class": "tl-legend"})
    x = LEFT
    for status in statuses:
        name = names[status]
        ET.SubElement(legend, "rect", {"class": _status_class(status), "x": str(x), "y": str(height - 22),
                                       "width": "12", "height": "12"})
        ET.SubElement(legend, "text", {"class": "tl-legend-text", "x": str(x + 17), "y": str(height - 12)}).text = name
        x += 40 + 8 * len(name)
    return ET.tostring(root, encoding="unicode")
