"""Finding one document from what a person has at hand: its id in any case, its official code, its
official page URL (…/weblex-quest-det/?moncode=170312&base=1) or identifier (the Chamber's
http://data.dekamer.be/v0/qrva/… or its key alone), or its question number with the legislature. Which
references name which document is each assembly's to say (corpus.assembly.document_id_of)."""
from __future__ import annotations

import re
import urllib.parse

from ...corpus.model import Document, normalize_legislature
from ..understanding.identify import id_from_link, id_spellings
from ..links import official_hosts

#: At most this many candidates are listed for an ambiguous question number.
MAX_CANDIDATES = 20


class LookupError_(LookupError):
    """Nothing or several documents fit; str() is the message, `candidates` the documents that fit."""

    def __init__(self, message: str, candidates: list[Document] | None = None):
        super().__init__(message)
        self.candidates = candidates or []


def _from_url(engine, url: str) -> Document | None:
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        raise LookupError_("not a URL: %s" % url[:100]) from None
    if (parts.hostname or "").lower() not in official_hosts():
        raise LookupError_("not an official page of the Parliament: %s" % parts.hostname)
    doc_id = id_from_link(url)  # each assembly reads its own references (Assembly.document_id_of)
    if doc_id is None:
        raise LookupError_("the URL names no question (no moncode=NUMBER, nor an identifier of the Chamber's "
                           "written questions)")
    moncode = (urllib.parse.parse_qs(parts.query).get("moncode") or [""])[0].strip()
    return engine.get(doc_id) or (engine.get(moncode) if moncode else None)


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
        for spelling in id_spellings(text):  # engine.get also takes an official identifier or its key
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
