"""The inverted index: analysis, schema, incremental writing and statistics."""
