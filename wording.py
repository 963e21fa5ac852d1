"""How parlsearch words a count for people: the one place a noun gets its plural.

Every message that puts a number before a noun (`1 file`, `2 files`, `0 results`, `… 1 more row`) goes
through `plural` (or `noun`, when the number is written another way, e.g. with thousands separators), so
that no message says `1 more ministers` or `gave up after 1 attempts`. English: only exactly one is
singular (0 files, 1 file, 2 files). It sits at the top of the package because corpus, index and search
all print counts, and nothing in corpus or index may import search.
"""
from __future__ import annotations


def noun(n: int, word: str, words: str | None = None) -> str:
    """`word` when `n` is exactly one, else its plural: `words`, or `word` + "s" (`noun(2, "query",
    "queries")`). A multi-word noun takes the plural on its last word (`noun(2, "more row")` → "more
    rows")."""
    return word if n == 1 else (words or word + "s")


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 file', '2 files', '0 files' (`words` for irregular plurals: plural(2, "query", "queries"))."""
    return "%d %s" % (n, noun(n, word, words))
