"""A column reader over every segment of a reader (for tools and tests that read whoosh's columns directly)."""
from __future__ import annotations


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
