"""The inverted index: analysis, schema, incremental writing and statistics.

Importing this package changes nothing in whoosh: parlsearch's whoosh patches are applied by
whoosh_compat when an index is opened or created (store.py).
"""
