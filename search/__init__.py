"""Search: query language, ranking, output and the parlsearch command line."""

__version__ = "0.1.0"
