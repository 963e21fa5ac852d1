"""The error every surface reports as a bad query: one line on stderr and exit 2, 400 on the web page.

Its own module, without imports, so that the command line's option definitions (search/cli/common.py) can
name the budget's defaults (budget.py) without importing whoosh's query parser at start-up."""


class QueryError(ValueError):
    """A malformed query; str() is a one-line explanation for the user."""
