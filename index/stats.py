"""Counts over the index: documents, by status, minister, author and year."""
from __future__ import annotations

from collections import Counter


def index_stats(ix) -> dict:
    """{"documents": N, "by_status": {...}, "by_minister": {...}, "by_author": {...}, "by_year": {...}},
    each breakdown sorted by count (years by year)."""
    with ix.reader() as reader:
        docnums = list(reader.all_doc_ids())
        out = {"documents": len(docnums)}
        for key, column in (("by_status", "status_facet"), ("by_minister", "minister_facet"),
                            ("by_author", "author_facet")):
            counts = Counter()
            if docnums:
                col = reader.column_reader(column)
                counts.update((col[n] or b"").decode("utf-8") or "(unknown)" for n in docnums)
            out[key] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        years = Counter()
        if docnums:
            dates = reader.column_reader("date_received")
            for n in docnums:
                value = dates[n]
                years[str(value.year) if hasattr(value, "year") else "(unknown)"] += 1
        out["by_year"] = dict(sorted(years.items()))
    return out
