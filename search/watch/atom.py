"""Atom feeds (RFC 4287) of saved searches, so any feed reader can follow a topic.

One feed per saved search, holding its latest reported entries (watch.FEED_ENTRIES); entry ids are stable
(saved search, document id, event), so a reader shows each item once however often the feed is rewritten.
Built with xml.etree (which escapes markup); characters XML 1.0 forbids are removed first.
"""
from __future__ import annotations

import re
import urllib.parse
import xml.etree.ElementTree as ET

from ..links import official_url

ATOM_NS = "http://www.w3.org/2005/Atom"
#: Characters not allowed in XML 1.0 documents (C0 controls but tab/newline/CR, surrogates, U+FFFE/FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value) -> str:
    return _NOT_XML.sub("", str(value or ""))


def _urn(*parts: str) -> str:
    return "urn:parlsearch:" + ":".join(urllib.parse.quote(_text(p), safe="-._~") for p in parts)


def feed_xml(name: str, query: str, entries: list[dict], updated: str) -> str:
    """The feed of saved search `name`: `entries` are watch state entries (newest first)."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent, tag, text=None, **attrs):
        el = ET.SubElement(parent, "{%s}%s" % (ATOM_NS, tag), {k: _text(v) for k, v in attrs.items()})
        if text is not None:
            el.text = _text(text)
        return el

    feed = ET.Element("{%s}feed" % ATOM_NS)
    sub(feed, "id", _urn("watch", name))
    sub(feed, "title", "parlsearch: %s" % name)
    sub(feed, "subtitle", "Written questions of the Brussels Parliament matching: %s" % query)
    sub(feed, "updated", updated)
    sub(sub(feed, "author"), "name", "parlsearch")
    sub(feed, "generator", "parlsearch")
    for e in entries:
        entry = sub(feed, "entry")
        sub(entry, "id", _urn("watch", name, e.get("id") or "", e.get("event") or ""))
        label = "Answered" if e.get("event") == "answered" else "New"
        sub(entry, "title", "%s: %s" % (label, e.get("title") or e.get("id")))
        sub(entry, "updated", e.get("seen_at") or updated)
        sub(sub(entry, "author"), "name", e.get("author") or "unknown")
        url = official_url(e.get("url"))
        if url:
            sub(entry, "link", href=url, rel="alternate", type="text/html")
        facts = ["%s → %s" % (e.get("author") or "?", e.get("minister") or "?")]
        if e.get("date_received"):
            facts.append("received %s" % e["date_received"])
        if e.get("date_answered"):
            facts.append("answered %s" % e["date_answered"])
        facts.append(e.get("id") or "")
        sub(entry, "summary", " · ".join(facts), type="text")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"
