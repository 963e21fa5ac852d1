"""Query words unknown to the index: spelling correction, split and joined forms, Dutch compounds.

Only words that match nothing are touched (a word found as typed is never fuzzed), and every lookup is
bounded: a few dictionary probes per letter of the word, and one scan of the index words that share the
word's first letter for the edit distance.

A real word is never rewritten (issue 21): a word of the lexicon (index/lexicon.py: wordfreq's French, Dutch
and English words) that the index lacks is searched as typed, and the nearest index word is only offered
("Did you mean"): "grève" is not "grave", "solaires" not "scolaires". Words of at most four letters, and
words typed with a capital that the lexicon knows ("Chen", "Smet": surnames are in every frequency list),
are corrected against the authors' and ministers' names only, where a one-letter slip is a person.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from whoosh.support.levenshtein import distance

from ...index.analysis import DUTCH, MIN_COMPOUND_PART, decompound, fold
from ...index.schema import EXACT_FIELD, NAME_FIELDS

#: Candidates must share this many first letters with the typed word: few typos touch the first letter,
#: and it bounds the scan to the index words starting with that letter.
SPELLING_PREFIX = 1
#: A compound head ("materiaal") expands to at most this many indexed compounds ("materiaalkosten", …).
MAX_HEAD_EXPANSIONS = 20
#: Shortest word used as a compound head: shorter ones ("fiets") would pull in too many compounds.
MIN_HEAD = 6
#: Unknown words of one query that spelling correction reads: each costs a scan of the index words sharing
#: its first letter (~15 ms at 20,000 documents), so a 3,900-character paste of 330 misspelt words took
#: 5.3 s of CPU (5.0 s with --exact's "did you mean"). A typed query has one or two typos; the words past
#: the limit are searched as typed (the coverage rule copes with absent words).
MAX_CORRECTED_WORDS = 10
#: Longest word read by spelling correction (characters): the edit-distance scan grows with the word and no
#: French or Dutch word is longer (arbeidsongeschiktheidsverzekering: 33); a longer "word" is no typo.
MAX_CORRECTED_LENGTH = 40
_LETTERS_DIGITS = re.compile(r"[^\W\d_]+|\d+")
#: Dutch full-text fields, whose stems are probed for compound parts and heads.
_DUTCH_FIELDS = ("title_nl", "body_nl")


def max_edits(length: int) -> int:
    """Edits allowed for a word of this many letters: none up to 4 (a short word has too many
    neighbours: "rats" is one edit from "rails"), one up to 7, two from 8 (as web search engines do)."""
    return 0 if length <= 4 else 1 if length <= 7 else 2


#: Edits allowed when a short word is compared with the names, and when any word is only offered as a
#: suggestion (3 letters and more: "tarm" → tram, "STBI" → stib).
NAME_EDITS = 1
MIN_SUGGESTED = 3


@dataclass
class Correction:
    """How an unknown word is read: the words searched instead, whether it is a spelling correction
    the user is told about, the compound heads whose indexed compounds also count as a match, and the
    index word offered when the word is searched as typed ("Did you mean")."""
    words: list[str]
    reported: bool
    heads: dict[str, list[tuple[str, str]]]  # word → [(field, indexed term)] of compounds it starts
    suggestion: str | None = None


class Vocabulary:
    """The index's words (exact forms, Dutch stems, names) as a dictionary for one searcher."""

    def __init__(self, reader):
        self.reader = reader
        self._cache: dict[str, int] = {}

    def frequency(self, word: str) -> int:
        """Documents holding this folded word (exact form, Dutch stem or name part), at most counted once
        per field."""
        df = self._cache.get(word)
        if df is None:
            r = self.reader
            df = r.doc_frequency(EXACT_FIELD, word)
            if not df:
                stem = DUTCH.stem(word)
                df = max([r.doc_frequency(f, stem) for f in _DUTCH_FIELDS]
                         + [r.doc_frequency(f, word) for f in NAME_FIELDS])
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[word] = df
        return df

    def known(self, word: str) -> bool:
        return self.frequency(word) > 0

    def joined(self, first: str, second: str) -> list[tuple[str, str]]:
        """Indexed words that two adjacent query words form together ("tram 55" → tram55, "fiets netwerk"
        → fietsnetwerk, "begroting monitoring" → begrotingsmonitoring, "flexi jobs" → flexi-jobs), as
        (field, term): six dictionary lookups per pair of words."""
        a, b = fold(first), fold(second)
        if not (a.isalnum() and b.isalnum()) or len(a) + len(b) < 2 * MIN_COMPOUND_PART:
            return []
        out = []
        for whole in (a + b, a + "s" + b, a + "-" + b):
            if self.reader.doc_frequency(EXACT_FIELD, whole):
                out.append((EXACT_FIELD, whole))
            if whole.isalpha():
                stem = DUTCH.stem(whole)
                out += [(f, stem) for f in _DUTCH_FIELDS if self.reader.doc_frequency(f, stem)]
        return out

    def heads(self, word: str) -> list[tuple[str, str]]:
        """Indexed compounds that begin with `word` ("materiaal" → materiaalkosten), as (field, term)."""
        if len(word) < MIN_HEAD or not word.isalpha():
            return []
        out = []
        from ...index.expansion import expand_prefix
        for field, prefix in [(EXACT_FIELD, word)] + [(f, DUTCH.stem(word)) for f in _DUTCH_FIELDS]:
            if len(prefix) < MIN_HEAD:  # the stemmer cut the word short ("gezondheid" → "zon"): no head
                continue
            for term in expand_prefix(self.reader, field, prefix):
                if term != prefix and term.isalpha():
                    out.append((field, term))
                if len(out) >= MAX_HEAD_EXPANSIONS:
                    return out
        return out

    def closest(self, word: str, edits: int | None = None, fields=(EXACT_FIELD,) + NAME_FIELDS) -> str | None:
        """The most frequent index word of `fields` within `edits` edits (default max_edits(len)), nearest
        first."""
        edits = max_edits(len(word)) if edits is None else edits
        if not edits or not word.isalpha() or len(word) > MAX_CORRECTED_LENGTH:
            return None
        best = None
        from ...index.expansion import terms_within
        for field in fields:
            # each segment's own sorted term list walked by one automaton (index/expansion.py), not
            # whoosh's MultiReader fallback, which measures the distance to every word of the index
            for candidate in terms_within(self.reader, field, word, edits, SPELLING_PREFIX):
                if candidate == word or not candidate.replace("-", "").isalpha():
                    continue
                key = (distance(word, candidate), -self.frequency(candidate), candidate)
                if best is None or key < best:
                    best = key
        return best[2] if best else None

    def hyphen_alternative(self, word: str) -> Correction | None:
        """A hyphenated word the index lacks, read as the text writes it: joined ("anti-noyade" →
        antinoyade) or as separate words ("Bruxelles-Propreté" → bruxelles proprete, each of which the
        index knows)."""
        parts = [p for p in word.split("-") if p]
        joined = "".join(parts)
        if self.known(joined):
            return Correction([joined], False, {})
        if len(parts) > 1 and all(self.known(p) for p in parts):
            return Correction(parts, False, {})
        return None

    def name_parts(self, word: str, depth: int = 0) -> list[str] | None:
        """A word that is a person's name parts written together ("desmedt" → de, smedt; "vandenbrandt"
        → van, den, brandt), each part a word of the author or minister names; None when it is not."""
        if depth > 2 or len(word) < 2:
            return None
        reader = self.reader
        for i in range(len(word) - 3, 1, -1):
            head, rest = word[:i], word[i:]
            if not any(reader.doc_frequency(f, head) for f in NAME_FIELDS):
                continue
            if any(reader.doc_frequency(f, rest) for f in NAME_FIELDS):
                return [head, rest]
            tail = self.name_parts(rest, depth + 1)
            if tail:
                return [head] + tail
        return None

    def closest_name(self, word: str) -> str | None:
        """The author's or minister's name part nearest a word typed as a name (one edit; two from 8 letters)."""
        return self.closest(word, max(NAME_EDITS, max_edits(len(word))), NAME_FIELDS)

    def suggestion(self, word: str) -> str | None:
        """The index word offered for a word searched as typed (at least one edit from 3 letters); for a word of
        at most four letters, a person's name first ("chen" → chan, not the more frequent "chez")."""
        if len(word) < MIN_SUGGESTED:
            return None
        return (self.closest_name(word) if len(word) <= 4 else None) or \
            self.closest(word, max(NAME_EDITS, max_edits(len(word))))

    def correct(self, typed: str, lexicon=None) -> Correction | None:
        """How to read a word that matches nothing, or None when the index offers nothing close (or the
        word is longer than MAX_CORRECTED_LENGTH). With a `lexicon` (index/lexicon.py), a real word is
        never rewritten (see the module docstring)."""
        word = fold(typed)
        if len(word) > MAX_CORRECTED_LENGTH:
            return None
        pieces = _LETTERS_DIGITS.findall(word)
        if len(pieces) > 1 and "".join(pieces) == word:  # tram55 → tram 55
            if all(self.known(p) for p in pieces if not p.isdigit()):
                return Correction(pieces, True, {})
        if "-" in word and all(p.isalpha() for p in word.split("-")):
            joined = self.hyphen_alternative(word)
            if joined:
                return joined
        if not word.isalpha():
            return None
        names = self.name_parts(word)
        if names:  # Desmedt → de smedt, Depatoul → de patoul: a name typed in one word
            return Correction([" ".join(names)], True, {})
        for i in range(MIN_COMPOUND_PART - 1, len(word) - MIN_COMPOUND_PART + 2):  # titresservices
            joined = word[:i] + "-" + word[i:]
            if self.reader.doc_frequency(EXACT_FIELD, joined):
                return Correction([joined], True, {})
        parts = decompound(word, self.known)
        if parts:  # gemeentewoningen → gemeente woningen (each head also meets the compounds it starts)
            return Correction(parts, False, {p: self.heads(p) for p in parts[:-1]})
        real = lexicon is not None and lexicon.is_word(word)
        capital = typed[:1].isupper()
        if real and not capital:
            fixed = None  # a real word: searched as typed (the suggestion below)
        elif real or len(word) <= 4:
            fixed = self.closest_name(word)  # "Chen" → chan, "gats" → gatz: a person's name, never a word
        else:
            fixed = self.closest(word)
        if fixed:
            return Correction([fixed], True, {})
        heads = self.heads(word)
        if heads:  # thuiszorg → thuiszorgverleners
            return Correction([word], False, {word: heads})
        for i in range(len(word) - MIN_COMPOUND_PART, MIN_COMPOUND_PART - 1, -1):
            head = word[:i]
            if len(head) >= MIN_COMPOUND_PART + 1 and self.known(head):  # materiaalprijzen → materiaal prijzen
                return Correction([head, word[i:]], False, {head: self.heads(head)})
        if real or len(word) <= 4:  # searched as typed; the nearest index word offered
            suggestion = self.suggestion(word)
            return Correction([word], False, {}, suggestion) if suggestion else None
        return None
