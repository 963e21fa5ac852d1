"""The inverted index: analysis, schema, incremental writing and statistics."""
from . import whoosh_fixes  # noqa: F401  (applies once)
from . import whoosh_speedups  # noqa: F401  (applies once)
