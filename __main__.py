"""``python -m parlsearch``: the command line."""
from parlsearch.search.cli import main

main()
