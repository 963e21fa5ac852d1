"""``python -m parlsearch.search``: the command line (same as ``python -m parlsearch``)."""
from .cli.app import main

main()
