"""Snippets from the densest window of query words, in one pass over the text.

whoosh's highlighter builds a Token object per word of the whole field, cuts every fragment around every
match and scores them all: 11-14 ms per query for two fields of ten hits, at every index size (issue 13).
Here the analyzer's own tokenizer (index/analysis.py, the one that indexed the text) runs once over at
most MAX_SCAN characters, keeps the positions of the words whose terms the query asked for, and a
two-pointer sweep over those matches finds the window of WIDTH characters holding the most distinct query
terms (then the most matches): O(text) and no per-fragment scoring.

    best_snippet(doc.question, "fr", {"stationn", "velo"})  → "… the \x02vélos\x03 en \x02stationnement\x03 …"
"""
from __future__ import annotations

from ..index.analysis import LANGUAGES

MARK_START, MARK_END = "\x02", "\x03"
#: Characters of window shown around the best passage (whoosh's ContextFragmenter(maxchars=220) before).
WIDTH = 220
#: Characters of a field read to look for the passage: a bound on time for very long answers (the longest
#: in the bundled corpus is ~30,000 characters; annexes can hold megabytes).
MAX_SCAN = 200_000
ELLIPSIS = "…"


def find_matches(text: str, language: str, terms, max_scan: int = MAX_SCAN) -> list:
    """(start, end, term) of each word of text[:max_scan] whose index terms include a query term."""
    lang = LANGUAGES[language]
    terms = terms if isinstance(terms, (set, frozenset, dict)) else set(terms)
    out = []
    for ts, _, start, end in lang.tokens(text[:max_scan], index=True):
        for t in ts:
            if t in terms:
                out.append((start, end, t))
                break
    return out


def _window_key(matches, weights) -> tuple:
    seen = {}
    for _, _, t in matches:
        seen[t] = seen.get(t, 0) + 1
    return (sum(weights.get(t, 1.0) for t in seen), len(matches))


def best_window(matches: list, width: int = WIDTH, weights: dict | None = None) -> tuple[int, int]:
    """Indexes [i, j) of the run of matches, all within `width` characters, with the highest
    (sum of weights of distinct terms, number of matches); the earliest such run. O(len(matches))."""
    weights = weights or {}
    if not matches:
        return 0, 0
    counts: dict = {}
    distinct = 0.0
    best = None
    i = 0
    for j, (_, end, t) in enumerate(matches):
        if counts.get(t, 0) == 0:
            distinct += weights.get(t, 1.0)
        counts[t] = counts.get(t, 0) + 1
        while end - matches[i][0] > width and i < j:
            ti = matches[i][2]
            counts[ti] -= 1
            if counts[ti] == 0:
                distinct -= weights.get(ti, 1.0)
            i += 1
        key = (round(distinct, 9), j + 1 - i)
        if best is None or key > best[0]:
            best = (key, i, j + 1)
    return best[1], best[2]


def best_snippet(text: str, language: str, terms, width: int = WIDTH, weights: dict | None = None,
                 max_scan: int = MAX_SCAN) -> str | None:
    """The passage of about `width` characters with the densest query words, matched words between
    MARK_START and MARK_END, "…" where it is cut; None when no query word occurs."""
    if not text:
        return None
    text = text.replace(MARK_START, "").replace(MARK_END, "")  # the document's own, not ours
    matches = find_matches(text, language, terms, max_scan)
    if not matches:
        return None
    i, j = best_window(matches, width, weights)
    first, last = matches[i][0], matches[j - 1][1]
    spare = max(0, width - (last - first))
    start = max(0, first - spare // 2)
    end = min(len(text), last + (spare - (first - start)))
    # whole words at the edges
    if start > 0:
        space = text.rfind(" ", 0, start + 1)
        start = space + 1 if space >= 0 and first - space < width else start
    if end < len(text):
        space = text.find(" ", end)
        end = space if 0 <= space < end + 30 else end
    parts = []
    pos = start
    for s, e, _ in matches:
        if s < start or e > end:
            continue
        parts.append(text[pos:s])
        parts.append(MARK_START + text[s:e] + MARK_END)
        pos = e
    parts.append(text[pos:end])
    body = " ".join("".join(parts).split())
    return (ELLIPSIS if start > 0 else "") + body + (ELLIPSIS if end < len(text) else "")


def query_terms(q, fieldnames, reader=None) -> dict:
    """The indexed terms a whoosh query asks for in the given fields: {field: set of term texts}; with
    a reader, fuzzy, prefix and wildcard words count as the terms they expand to in the index."""
    out = {f: set() for f in fieldnames}
    pairs = q.existing_terms(reader, expand=True) if reader is not None else q.iter_all_terms()
    for fieldname, btext in pairs:
        if fieldname in out:
            out[fieldname].add(btext.decode("utf-8") if isinstance(btext, bytes) else btext)
    return out
