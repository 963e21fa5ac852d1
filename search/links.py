"""The official page of a document: which URLs we trust, and how a terminal gets them as links.

A document's `url` comes from the network or from files we do not control, so it is shown (and made a
terminal hyperlink, OSC 8) only when it is an http(s) URL of the Parliament's own hosts, with nothing in it
that a terminal could interpret: printable ASCII only (other characters percent-encoded), no user:password@.
"""
from __future__ import annotations

import os
import sys
import urllib.parse
from functools import lru_cache

#: OSC 8 hyperlink: ESC ] 8 ; ; URL ST  text  ESC ] 8 ; ; ST  (ST = ESC \).
_OSC8_OPEN, _OSC8_CLOSE = "\x1b]8;;%s\x1b\\", "\x1b]8;;\x1b\\"
#: Longest URL shown; the official page URLs are about 70 characters.
MAX_URL = 500


@lru_cache(maxsize=1)
def official_hosts() -> frozenset:
    """The hosts of the assemblies' own sites, as the corpus layer defines them (imported on first use: the
    fetch modules pull in http.client, which the search path does not otherwise need)."""
    from ..corpus import brussels  # noqa: F401  (registers the Brussels assembly)
    from ..corpus.assembly import get_assembly, known_codes
    return frozenset(h.lower() for code in known_codes() for h in get_assembly(code).official_hosts)


def official_url(url: str | None) -> str | None:
    """`url` normalised (percent-encoded, printable ASCII) when it points at an official host, else None."""
    if not url or not isinstance(url, str) or len(url) > MAX_URL:
        return None
    if any(ord(c) < 0x21 or 0x7F <= ord(c) <= 0x9F or c in '"<>\\`' for c in url):
        return None  # controls, spaces, quotes or angle brackets: not a URL an assembly publishes
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("https", "http") or (parts.hostname or "").lower() not in official_hosts():
        return None
    if parts.username is not None or parts.password is not None or port not in (None, 80, 443):
        return None
    safe = "/?&=%:+,;@!$'()*~.-_#"
    clean = urllib.parse.urlunsplit((parts.scheme.lower(), parts.hostname.lower(),
                                     urllib.parse.quote(parts.path, safe=safe),
                                     urllib.parse.quote(parts.query, safe=safe),
                                     urllib.parse.quote(parts.fragment, safe=safe)))
    return clean if clean.isascii() and clean.isprintable() else None


def terminal_supports_links(stream=None) -> bool:
    """Hyperlinks only on a terminal (never into a pipe or a file) that is not a dumb one."""
    stream = stream or sys.stdout
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and os.environ.get("TERM") != "dumb"


def hyperlink(url: str, text: str | None = None, enabled: bool = False) -> str:
    """`text` (default: the URL) as a terminal hyperlink to `url` when enabled; `url` must be official_url's."""
    text = text if text is not None else url
    if not enabled:
        return text
    return _OSC8_OPEN % url + text + _OSC8_CLOSE
