"""``python -m parlsearch``: the command line."""
from parlsearch.search.cli.app import main

main()
