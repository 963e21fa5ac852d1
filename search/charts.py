"""The /stats page's charts as SVG, drawn by pygal: counts by a facet, answer delays per minister.

The timeline is not here: the results page draws one on every search, and pygal's ~15–25 ms per timeline
was 2–3× that page's engine work, so it has its own ElementTree drawing (search/timeline_svg.py), ~1 ms.
These charts are drawn once per /stats page (whose counting and delays cost more: README *Charts*).

One set of chart functions serves the /stats page (inline SVG, each bar a link) and `stats --chart FILE.svg`
(a standalone file for an article, its title stating the query, the filters, the date of the data and the
source). Why pygal: a maintained library made for SVG charts (Kozea), pure Python, drawn through
ElementTree — every label, title and link is an XML text node or attribute, escaped by the serializer,
never pasted into markup — with stacked bars, horizontal bars, confidence whiskers (the delays' quartiles)
and links on bars (`xlink`) built in. leather, the other candidate, has neither stacking nor links.
Import: ~60 ms, paid only by the web page's charts and `stats --chart` (the CLI imports this module only
when a chart is asked for). A chart renders in ~5–15 ms.

The page's Content-Security-Policy allows no script and no inline style (search/web/server.py): pygal's
scripts are configured off (`js=[]`, and its configuration <script> removed from every chart), and
`page_svg` removes what the policy would block from an inline chart — pygal's <style> element, its style="…" attributes and its tooltip layer (drawn by the script) —
while its stylesheet is served from the page's own origin (`page_css`, the /chart.css route), scoped to
the `pygal-chart` class every chart has. A file written by `--chart` keeps its <style> (a file has no CSP).

Every text reaches pygal through `_text` (chart_common.chart_text: control characters removed, they are not
XML), and charts are checked by the tests to parse as XML and to show the numbers of `stats --json`.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pygal
from pygal.style import Style

from .chart_common import COLORS, chart_text as _text, ticks as _ticks

STYLE = Style(
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
    background="#ffffff", plot_background="#ffffff", foreground="#1f2328", foreground_strong="#1f2328",
    foreground_subtle="#6e7781", opacity="1", opacity_hover="1", colors=COLORS,
    title_font_size=15, label_font_size=11, major_label_font_size=11, legend_font_size=12,
    value_font_size=11, tooltip_font_size=12)
#: Longest label drawn in full on an axis (pygal truncates with "…"; the table beside a chart has them whole).
LABEL_CHARS = 34
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_CSS_TOKEN = "parlsearch-css-prefix"


def _config(**more) -> dict:
    config = dict(style=STYLE, js=[], disable_xml_declaration=True, no_data_text="Aucune question", truncate_label=LABEL_CHARS,
                  truncate_legend=LABEL_CHARS, pretty_print=False, print_zeroes=False, show_minor_x_labels=True,
                  margin=16, legend_at_bottom=True, legend_at_bottom_columns=4)
    config.update(more)
    return config


def _render(chart, chart_id: str, title: str, page_label: str | None = None) -> str:
    """The chart's SVG without pygal's <script> (its tooltips' configuration, written even with js=[]):
    a chart is a picture, in a page or in a file, and runs nothing. With `page_label`, the inline form of
    the page (`_for_page`). pygal's element tree is cleaned and serialized once (no parse of its text)."""
    chart.uuid = chart_id  # a fixed id: the same chart renders the same bytes, two charts on a page differ
    chart.title = _text(title)
    root = chart.render_tree()
    for parent in list(root.iter()):
        for child in list(parent):
            if not isinstance(child.tag, str) or child.tag.split("}")[-1] == "script":
                parent.remove(child)  # pygal's comments too (its name, version and the day: no date in the picture)
    if page_label is not None:
        _for_page(root, page_label)
    _namespaces()
    return ET.tostring(root, encoding="unicode")


def _namespaces() -> None:
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)


def _parse(svg: str):
    _namespaces()
    return ET.fromstring(svg)


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    """A label of at most `limit` characters; a portfolio loses its "Ministre … chargé de" opening first."""
    label = _text(label)
    label = _PORTFOLIO_OPENING.sub("", label, count=1) or label
    return label if len(label) <= limit else label[:limit - 1].rstrip() + "…"


_PORTFOLIO_OPENING = re.compile(r"^(?:Ministre|Secrétaire d['’]État|Vice-Premier ministre)\b.{0,90}?"
                                r"\b(?:chargée?s?|en charge)\s+(?:de la |de l['’]|du |des |de )?", re.I)


def _unique(labels: list[str]) -> list[str]:
    """Shortened labels made distinct again ("…", "… (2)"): two values never share a bar's name."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else "%s (%d)" % (label, seen[label]))
    return out


def _link(url: str | None) -> dict:
    return {"xlink": {"href": url, "target": "_self"}} if url else {}


def counts_chart(counts: dict[str, int], title: str, href=None, chart_id: str = "counts", series: str = "questions",
                 top: int = 15, page_label: str | None = None) -> str:
    """Horizontal bars of a facet's counts (the first `top` values, in the order given: largest first, or
    years in order); `href(value)` → the URL a bar links to."""
    rows = list(counts.items())[:top]
    highest = max([n for _, n in rows] + [1])
    chart = pygal.HorizontalBar(**_config(height=80 + 26 * max(1, len(rows)), width=900, show_legend=False,
                                          print_values=True, print_values_position="top", y_labels=_ticks(highest)))
    rows = rows[::-1]  # pygal draws the first label at the bottom: the first value goes on top
    chart.x_labels = _unique([_short(name) for name, _ in rows])
    chart.add(series, [dict(value=n, label=_text(name), **_link(href(name) if href else None)) for name, n in rows])
    return _render(chart, chart_id, title, page_label)


def delays_chart(delays, title: str, chart_id: str = "delays", top: int = 15, page_label: str | None = None) -> str:
    """Per minister: the median days to answer as a bar, the quartiles as a whisker, and in the label the
    share of questions still unanswered at their deadline. The (all) row comes first."""
    rows = [delays.rows[-1]] + [r for r in delays.rows[:-1] if r.answered or r.due][:top - 1]
    ticks = _ticks(max([r.p75_days or 0 for r in rows] + [1]))
    chart = pygal.HorizontalBar(**_config(height=110 + 30 * len(rows), width=900, show_legend=True,
                                          print_values=True, y_labels=ticks))
    rows = rows[::-1]
    chart.x_labels = [delay_label(r) for r in rows]
    chart.add("médiane, jours (trait : quartiles)",
              [dict(value=r.median_days, label=delay_label(r),
                    **({"ci": {"low": r.p25_days, "high": r.p75_days}} if r.median_days is not None else {}))
               for r in rows])
    return _render(chart, chart_id, title, page_label)


def delay_label(row) -> str:
    """"Minister (q. 40–70 j, 12 % hors délai)": a minister's name, quartiles of the days to answer and share
    late, as the delays chart labels a bar (the chart has no tooltips: what it shows is written on it)."""
    name = "Ensemble" if row.minister == "(all)" else _short(row.minister, 24)
    share = "—" if row.late_share is None else "%d %%" % round(100 * row.late_share)
    quartiles = "q. %d–%d j, " % (row.p25_days, row.p75_days) if row.p25_days is not None else ""
    return "%s (%s%s hors délai)" % (name, quartiles, share)


# -- the page: what the Content-Security-Policy allows -----------------------------------------------------

def page_svg(svg: str, label: str) -> str:
    """An inline chart for the page from a chart's SVG text (see `_for_page`; the chart functions do the
    same without re-reading the text when given `page_label`)."""
    root = _parse(svg)
    _for_page(root, label)
    return ET.tostring(root, encoding="unicode")


def _for_page(root, label: str) -> None:
    """pygal's <style> element, style attributes and tooltip layer removed (the CSP blocks them; the
    chart's stylesheet is page_css), axis <title> tooltips removed, its links out of the tab order and the
    chart hidden from screen readers — the table beside it holds the same numbers and links (`label` names
    the chart)."""
    for parent in list(root.iter()):
        for child in list(parent):
            tag = child.tag.split("}")[-1]
            classes = (child.get("class") or "").split()
            if tag in ("style", "script") or "tooltip-overlay" in classes or \
                    (tag == "title" and parent.tag.split("}")[-1] == "g"):
                parent.remove(child)
            elif tag == "a":
                child.set("tabindex", "-1")
        parent.attrib.pop("style", None)
    root.set("aria-hidden", "true")
    root.set("focusable", "false")
    root.set("data-chart", _text(label))


_css_cache: list = []


def page_css() -> str:
    """pygal's stylesheet for the charts of the page, scoped to the `pygal-chart` class (served from the
    page's origin, which the CSP allows; the same for every chart: one style, up to len(COLORS) series)."""
    if not _css_cache:
        chart = pygal.Bar(**_config())
        for i in range(len(COLORS)):
            chart.add(str(i), [1])
        svg = _render(chart, _CSS_TOKEN, "")
        css = "\n".join(m.group(1) for m in re.finditer(r"<style[^>]*>(.*?)</style>", svg, re.S))
        css = css.replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")
        _css_cache.append(css.replace("#chart-%s " % _CSS_TOKEN, ".pygal-chart "))
    return _css_cache[0]
