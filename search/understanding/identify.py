"""The documents a query's identifiers name (understand.py finds them): a printed id, an official
page's link, a question's number, an official code — as one plan node on the index's own identifier fields
(`id`, `moncode`, `number`), and its documents in the order they are shown: newest first (a number is shared
between the ministers' series and between legislatures: "QE n° 59" names three questions in 2026).
"""
from __future__ import annotations

import numpy as np

from ..engine import plan as P
from .understand import IdRef


def id_from_link(url: str) -> str | None:
    """The document id an official reference (a page URL, the Chamber's identifier) names, asking each
    registered assembly (each knows its own hosts and URL shapes: Assembly.document_id_of); None when none
    recognises it."""
    from ...corpus.assembly import document_id_of
    return document_id_of(url)


def id_spellings(text: str) -> list[str]:
    """An id as typed, upper-cased (prb-1-170312), and with upper-case assembly and lower-case type code
    (prb-2019-2024-QE-12 → PRB-2019-2024-qe-12)."""
    out = [text, text.upper()]
    head, _, rest = text.partition("-")
    if rest:
        out.append(head.upper() + "-" + rest.lower())
    return list(dict.fromkeys(out))


def id_node(refs: list[IdRef]) -> P.Node | None:
    """One plan node matching every document the identifiers name (None: no identifier)."""
    items = []
    for ref in refs:
        if ref.kind == "id":
            items += [P.Term("id", spelling) for spelling in id_spellings(ref.value)]
        elif ref.kind == "number":
            items.append(P.Term("number", ref.value))
        else:  # a number alone: an official code, else a question's number
            items += [P.Term("moncode", ref.value), P.Term("number", ref.value)]
    if not items:
        return None
    return items[0] if len(items) == 1 else P.Or(tuple(items))


def named_documents(executor, refs: list[IdRef], allowed: np.ndarray | None = None) -> np.ndarray:
    """Bool mask of the documents the identifiers name (within `allowed`: the query's filters)."""
    node = id_node(refs)
    if node is None:
        return np.zeros(executor.N, dtype=bool)
    mask = executor.run(node).mask.copy()
    if allowed is not None:
        mask &= allowed
    return mask
