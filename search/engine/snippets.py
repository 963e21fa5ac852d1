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

import re

from ...index.analysis import LANGUAGES, fold, normalize

_HAS_DIGIT = re.compile(r"\d")
_SPACE = re.compile(r"\s")

MARK_START, MARK_END = "\x02", "\x03"
#: Characters of window shown around the best passage (whoosh's ContextFragmenter(maxchars=220) before).
WIDTH = 220
#: Characters of a field read to look for the passage: a bound on time for very long answers (the longest
#: in the bundled corpus is ~30,000 characters; annexes can hold megabytes).
MAX_SCAN = 200_000
ELLIPSIS = "…"


def _folding_classes():
    """For each folded letter, the characters that fold to it (é, è, ê, ë → e), and the characters
    that fold to several letters (œ → oe), over Latin-1 and Latin Extended-A/B."""
    single, multi = {}, {}
    for code in range(0xC0, 0x250):
        ch = chr(code)
        folded = fold(ch)
        if not folded.isalpha():
            continue
        if len(folded) == 1:
            single.setdefault(folded, set()).add(ch)
        else:
            multi.setdefault(folded, set()).add(ch)
    return single, multi


_SINGLE, _MULTI = _folding_classes()
#: Query-term characters used to find candidate words: a term's stem is a prefix of its folded word.
PREFIX = 3


def _prefix_pattern(prefix: str) -> str:
    out = []
    i = 0
    while i < len(prefix):
        c = prefix[i]
        alts = ["[%s]" % re.escape(c + "".join(sorted(_SINGLE.get(c, ()))))]
        for folded, chars in _MULTI.items():
            if prefix.startswith(folded, i):
                alts.append("[%s]%s" % (re.escape("".join(sorted(chars))),
                                        _prefix_pattern(prefix[i + len(folded):])))
        if len(alts) > 1:
            out.append("(?:%s%s|%s)" % (alts[0], _prefix_pattern(prefix[i + 1:]), "|".join(alts[1:])))
            return "".join(out)
        out.append(alts[0])
        i += 1
    return "".join(out)


_PATTERNS: dict = {}


def _candidates(terms) -> re.Pattern | None:
    """One regex finding, at C speed, every word start whose first letters could give one of the terms
    (accent- and case-insensitive); each candidate is then checked with the analyzer."""
    prefixes = set()
    for t in terms:
        if not t:
            continue
        n = 1 if _HAS_DIGIT.search(t) else PREFIX  # 13.622.302 → 13622302: only the first digit is kept
        prefixes.add(t[:n])
    if not prefixes:
        return None
    key = frozenset(prefixes)
    pattern = _PATTERNS.get(key)
    if pattern is None:
        if len(_PATTERNS) > 1000:
            _PATTERNS.clear()
        pattern = _PATTERNS[key] = re.compile(
            r"(?<!\w)(?:%s)" % "|".join(_prefix_pattern(p) for p in sorted(prefixes, key=len, reverse=True)),
            re.IGNORECASE)
    return pattern


def find_matches(text: str, language: str, terms, max_scan: int = MAX_SCAN) -> list:
    """(start, end, term) of each word of text[:max_scan] whose index terms include a query term.

    Candidates come from a regex over the raw text (see _candidates); only they go through the
    analyzer, which is the cost of snippets otherwise (tests/test_snippets.py checks the result against
    find_matches_full, which analyses every word)."""
    terms = terms if isinstance(terms, (set, frozenset, dict)) else set(terms)
    pattern = _candidates(terms)
    if pattern is None or not text:
        return []
    lang = LANGUAGES[language]
    text = normalize(text[:max_scan])
    out = []
    covered = -1
    for m in pattern.finditer(text):
        start = m.start()
        if start < covered:
            continue
        # the analyzer's first token from here (to the next space: a token never spans one)
        space = _SPACE.search(text, start, start + 300)
        piece = text[start:space.start() if space else start + 300]
        for ts, _, s, e in lang.tokens(piece, index=True):
            if s == 0 and any(t in terms for t in ts):
                term = next(t for t in ts if t in terms)
                out.append((start, start + e, term))
                covered = start + e
            break
    return out


def find_matches_full(text: str, language: str, terms, max_scan: int = MAX_SCAN) -> list:
    """find_matches through the analyzer's tokenizer over every word (the reference; slower)."""
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
