"""Finding one document from what a person has at hand: its id in any case, its official code, its
official page URL (…/weblex-quest-det/?moncode=170312&base=1), or its question number with the legislature."""
from __future__ import annotations

import re
import urllib.parse

from ..corpus.model import Document, normalize_legislature
from .links import official_hosts

#: At most this many candidates are listed for an ambiguous question number.
MAX_CANDIDATES = 20


class LookupError_(LookupError):
    """Nothing or several documents fit; str() is the message, `candidates` the documents that fit."""

    def __init__(self, message: str, candidates: list[Document] | None = None):
        super().__init__(message)
        self.candidates = candidates or []


def _id_spellings(text: str) -> list[str]:
    """An id as typed, upper-cased (prb-1-170312), and with upper-case assembly and lower-case type code
    (prb-2019-2024-QE-12 → PRB-2019-2024-qe-12)."""
    out = [text, text.upper()]
    head, _, rest = text.partition("-")
    if rest:
        out.append(head.upper() + "-" + rest.lower())
    return list(dict.fromkeys(out))


def _from_url(engine, url: str) -> Document | None:
    parts = urllib.parse.urlsplit(url)
    if (parts.hostname or "").lower() not in official_hosts():
        raise LookupError_("not an official page of the Parliament: %s" % parts.hostname)
    params = urllib.parse.parse_qs(parts.query)
    moncode = (params.get("moncode") or [""])[0].strip()
    base = (params.get("base") or ["1"])[0].strip() or "1"
    if not moncode.isdigit() or not base.isdigit():
        raise LookupError_("the URL names no question (no moncode=NUMBER)")
    return engine.get("PRB-%s-%s" % (base, moncode)) or engine.get(moncode)


def by_number(engine, number: int, legislature: str | None = None) -> list[Document]:
    """The documents with that question number (in that legislature), by id: at most MAX_CANDIDATES + 1."""
    import numpy as np
    from . import plan as P
    terms = [P.Term("number", str(number))]
    if legislature:
        terms.append(P.Term("legislature", normalize_legislature(legislature)))
    docnums = np.flatnonzero(engine.executor().run(P.And(tuple(terms))).mask)
    found = sorted(zip(engine.view.values("id", docnums), docnums.tolist()))[:MAX_CANDIDATES + 1]
    return [engine.document(d) for _, d in found]


def resolve(engine, text: str, legislature: str | None = None) -> Document:
    """The one document `text` names. Raises LookupError_ with the candidates when none or several fit."""
    text = (text or "").strip()
    if not text:
        raise LookupError_("no document given")
    if re.match(r"(?i)https?://", text):
        doc = _from_url(engine, text)
        if doc is None:
            raise LookupError_("no document for that URL in the index")
        return doc
    if legislature is None:
        for spelling in _id_spellings(text):
            doc = engine.get(spelling)
            if doc is not None:
                return doc
    digits = text.lstrip("#")
    if digits.isdigit() and len(digits) <= 9:
        found = by_number(engine, int(digits), legislature)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise LookupError_("question number %s%s: %d documents; give %s" % (
                digits, " in %s" % legislature if legislature else "", len(found),
                "the id" if legislature else "--legislature or the id"), found)
        raise LookupError_("no question number %s%s" % (digits, " in legislature %s" % legislature
                                                        if legislature else ""))
    raise LookupError_("no document with id or code %r" % text)
