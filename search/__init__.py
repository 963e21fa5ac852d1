"""Search: query language, ranking, output and the parlsearch command line."""
