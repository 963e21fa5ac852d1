"""Counts over the index: documents, by status, minister, author and year."""
from __future__ import annotations

from collections import Counter


def column_reader(reader, fieldname: str):
    """reader.column_reader(fieldname), also right when some segments hold no value at all for the field.

    whoosh's MultiReader.column_reader leaves such segments out without adjusting the document offsets, so
    their documents read another segment's values or fail (struct.error); a missing date reads as whoosh's
    sentinel, which raises OverflowError when translated to a datetime.
    """
    from whoosh.columns import MultiColumnReader
    leaves = reader.leaf_readers()
    if len(leaves) == 1:
        return leaves[0][0].column_reader(fieldname)
    return MultiColumnReader([r.column_reader(fieldname) for r, _ in leaves], [offset for _, offset in leaves])


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
                col = column_reader(reader, column)
                counts.update((col[n] or b"").decode("utf-8") or "(unknown)" for n in docnums)
            out[key] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        years = Counter()
        if docnums:
            dates = column_reader(reader, "date_received")
            for n in docnums:
                try:
                    value = dates[n]
                except (OverflowError, ValueError):  # no date: whoosh's missing-value sentinel
                    value = None
                years[str(value.year) if hasattr(value, "year") else "(unknown)"] += 1
        out["by_year"] = dict(sorted(years.items()))
    return out
