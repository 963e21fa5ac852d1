"""Text analysis for French (and Dutch) parliamentary texts, defined once for indexing and querying.

Pipeline, per raw token:
  NFKC, apostrophe and hyphen variants unified, exotic spaces → space
  → tokens: words with inner . , & ' - kept together (hub.brussels, 13.622.302, 1,5, flexi-jobs)
  → sentence joins split: two sentences glued by a dot (professionnel.Cette) are two tokens, each with its
    own position, as if the space were there (`raw_tokens`; the rule is corpus/sentences.py's)
  → elision (l', d', qu', jusqu'…) dropped
  → lowercase, accent folding (unidecode), stopwords removed (their position is kept)
  → Snowball stemming (French, or Dutch) of the folded word; words with digits are not stemmed.

Folding happens *before* stemming so that "sécurité" and "securite" always give the same term (the French
stemmer treats "é" and "e" differently, so stem-then-fold would not meet the unaccented spelling).

Each raw token holds one position. At index time a compound also yields its parts at that same position
("flexi-jobs" → "flexi-job", "flexi", "job"; "hub.brussels" → "hub.brussels", "hub", "brussel"), so it is
found as a whole and by its parts; at query time only the whole is produced. A sentence join is not a
compound: "professionnel.Cette réduction" is "professionnel", "cette" (a stopword) and "réduction" at three
positions, at index and query time alike, and "professionnel.cette" is no term.

Beside the stems, the EXACT language keeps each word's unstemmed, accent-folded form ("stationnement",
never "station"), so that exact forms can be scored above stem-only matches and serve as the index's
spelling vocabulary. Dutch compounds are split by `decompound` against that vocabulary.

Size (~500 lines): the analyzer is defined once — normalisation, the token rule with its sentence joins, each
language's terms and token layouts (one tokenisation serving a text's own field and the exact field), Dutch
decompounding, joined forms — so that indexing (index/inversion.py reads Language.layout), querying and
highlighting cannot drift apart.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

import snowballstemmer
from unidecode import unidecode
from whoosh.analysis import Analyzer, Token
from whoosh.lang.stopwords import stoplists

from ..corpus.sentences import sentence_cuts

#: Bump whenever a change alters the terms produced for some text: indexes built with another version
#: are refused with a rebuild instruction.
ANALYZER_VERSION = 7

#: One pass over the text for all length-preserving substitutions (a regex is far faster than
#: str.translate with a mapping on long texts).
_SUBSTITUTIONS = {**{c: "'" for c in "’ʼ`‘′´ʹꞌ＇"}, **{c: "-" for c in "‐‑‒–"},
                  **{c: " " for c in "\u00a0\u1680\u202f\u205f\u3000"},
                  **{chr(c): " " for c in range(0x2000, 0x200b)}}
_SUBSTITUTE = re.compile("[%s]" % "".join(_SUBSTITUTIONS))

#: A token: a run of word characters, possibly joined by single inner . , & ' - characters.
#: Linear time: each repetition of the group must consume one separator character.
_TOKEN = re.compile(r"\w+(?:[.,&'\-]\w+)*")
_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")
_DECIMAL = re.compile(r"\d+,\d+")
_HAS_DIGIT = re.compile(r"\d")
_SEPARATORS = re.compile(r"[.,&\-]")

FRENCH_ELISIONS = frozenset(
    "l d qu j n s c t m jusqu lorsqu puisqu quoiqu presqu quelqu".split())

#: Interrogatives and fillers of typed questions that carry no topic ("Combien de … ?").
_FRENCH_EXTRA_STOPS = {
    "a", "est-ce", "ceci", "cela", "ca", "cet", "cette", "leurs", "ils", "elles", "y", "ou", "quel", "quelle",
    "quels", "quelles", "lequel", "laquelle", "lesquels", "lesquelles", "dont", "les", "etre",
    "combien", "comment", "pourquoi", "quand", "quoi", "faut", "peut", "peuvent", "doit", "doivent",
}


def fold(text: str) -> str:
    """Lowercase ASCII folding: "Sécurité" → "securite", "Œuvre" → "oeuvre"."""
    return unidecode(text).lower() if not text.isascii() else text.lower()


def normalize(text: str) -> str:
    """NFC, apostrophe and hyphen variants unified, exotic spaces as plain spaces.

    Length-preserving for NFC input, so character offsets stay right for highlighting; the NFKC
    compatibility mapping (ligatures, superscripts, fullwidth forms) is applied per token instead.
    """
    if text.isascii():
        return text
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return _SUBSTITUTE.sub(lambda m: _SUBSTITUTIONS[m.group()], text)


#: Tokens holding a dot, and the sentences each joins (sentence_pieces); bounded like the languages' caches.
_PIECES: dict[str, tuple] = {}


def sentence_pieces(raw: str) -> tuple[tuple[str, int], ...]:
    """A raw token as the tokens of the sentences it joins, each with its offset in `raw`: ((raw, 0),) when it
    joins none ("hub.brussels", "13.622.302"), (("professionnel", 0), ("Cette", 14)) for
    "professionnel.Cette" (corpus/sentences.py says where sentences end)."""
    pieces = _PIECES.get(raw)
    if pieces is None:
        cuts = sentence_cuts(raw)
        starts = [0] + [c + 1 for c in cuts]
        pieces = tuple((raw[a:b], a) for a, b in zip(starts, cuts + [len(raw)]))
        if len(raw) <= 64:  # a hostile megabyte-long token is split, never kept
            if len(_PIECES) > 200_000:
                _PIECES.clear()
            _PIECES[raw] = pieces
    return pieces


def raw_tokens(text: str) -> list[str]:
    """The one tokenisation of a text: its raw tokens in order, as every Language reads them (normalised, one
    findall, sentence joins split). Languages differ only in what they make of each raw token."""
    tokens = _TOKEN.findall(normalize(text))
    if "." not in text:
        return tokens
    out = []
    for raw in tokens:
        if "." in raw:
            out.extend(piece for piece, _ in sentence_pieces(raw))
        else:
            out.append(raw)
    return out


def _token_spans(text: str):
    """(raw token, start, end) of each raw token of `text` (already normalised), as raw_tokens cuts them."""
    for m in _TOKEN.finditer(text):
        raw = m.group()
        if "." in raw:
            pieces = sentence_pieces(raw)
            if len(pieces) > 1:
                start = m.start()
                for piece, offset in pieces:
                    yield piece, start + offset, start + offset + len(piece)
                continue
        yield raw, m.start(), m.end()


def _place_elided(out: dict, elided: tuple, pos: int) -> int:
    """The terms of a token with apostrophes (Language.elided_terms: (term, offset) pairs and how many
    positions the token takes) appended to `out` after position `pos`, a position once per term; returns the
    last position the token took."""
    placed, advance = elided
    for term, p in placed:
        plist = out[term]
        if not plist or plist[-1] != pos + 1 + p:
            plist.append(pos + 1 + p)
    return pos + advance


class Language:
    """Stemmer, stopwords and elisions of one language; caches raw token → terms per process."""

    def __init__(self, name: str, code: str, elisions=frozenset(), extra_stops=(), inversions=frozenset()):
        self.name = name
        self.inversions = inversions
        self.code = code
        self.elisions = elisions
        self.stops = frozenset(fold(w) for w in stoplists[code]) | frozenset(extra_stops)
        self._stemmer = snowballstemmer.stemmer(name)
        self._index_cache: dict[str, tuple[str, ...]] = {}
        self._elided_cache: dict[str, tuple] = {}
        self._query_cache: dict[str, tuple[str, ...]] = {}

    def stem(self, folded: str) -> str:
        if _HAS_DIGIT.search(folded) or len(folded) < 3:
            return folded
        return self._stemmer.stemWord(folded)

    def word_term(self, word: str) -> str | None:
        """One plain word (no separators) → its term, or None for a stopword."""
        folded = fold(word)
        if folded in self.stops or not folded.strip("_"):
            return None
        return self.stem(folded)

    def token_terms(self, raw: str, index: bool) -> tuple[str, ...]:
        """Terms for one raw token (after elision split): first the whole, then (index mode) its parts."""
        cache = self._index_cache if index else self._query_cache
        terms = cache.get(raw)
        if terms is not None:
            return terms
        if len(cache) > 200_000:
            cache.clear()
        terms = self._compute_terms(raw, index)
        cache[raw] = terms
        return terms

    def _compute_terms(self, raw: str, index: bool) -> tuple[str, ...]:
        if not raw.isascii():
            raw = normalize(unicodedata.normalize("NFKC", raw))
        if not _SEPARATORS.search(raw):
            term = self.word_term(raw)
            return (term,) if term else ()
        if _THOUSANDS.fullmatch(raw):  # 13.622.302 → 13622302
            return (raw.replace(".", ""),)
        if _DECIMAL.fullmatch(raw):  # 1,5 stays one number
            return (raw,)
        parts = [p for p in _SEPARATORS.split(raw) if p]
        if "-" in raw and self.inversions:
            # Interrogative inversion: "faut-il" → "faut", "consacre-t-elle" → "consacre".
            while len(parts) > 1 and fold(parts[-1]) in self.inversions:
                parts.pop()
            if len(parts) == 1:
                term = self.word_term(parts[0])
                return (term,) if term else ()
        if "." in raw or "&" in raw:
            whole = fold(raw).replace(",", ".")  # hub.brussels, finance&invest.brussels: kept as written
        else:
            stems = [self.stem(fold(p)) for p in parts]
            whole = "-".join(stems)  # flexi-jobs → flexi-job, titres-services → titr-servic
        if not index:
            return (whole,)
        seen = {whole: None}  # ordered set: a list's `in` made tokens with many parts quadratic
        for part in parts:
            term = self.word_term(part)
            if term:
                seen.setdefault(term)
        return tuple(seen)

    def pattern_term(self, value: str) -> str:
        """A wildcard/fuzzy pattern as a term: "Métier*" → "meti*" (the stem is a prefix of its words'
        terms), "vel?" → "vel?"; a plain word gets its usual term."""
        value = normalize(value).strip()
        if value.endswith("*") and "*" not in value[:-1] and "?" not in value:
            stem = value[:-1]
            folded = fold(stem)
            if _SEPARATORS.search(folded) or not folded:
                return folded + "*"
            stemmed = self.stem(folded)
            return (stemmed if len(stemmed) < len(folded) else folded) + "*"
        if "*" in value or "?" in value:
            return fold(value)
        terms = self.token_terms(value, index=False)
        return terms[0] if terms else fold(value)

    def tokens(self, text: str, index: bool = True):
        """Yield (terms, position, startchar, endchar) for each raw token of `text` that is not a stopword.

        Stopwords and elided articles consume no term but do advance the position, so phrases keep their
        shape ("zones à concentration" does not match "zones concentration").
        """
        text = normalize(text)
        pos = -1
        elisions = self.elisions
        for raw, start, end in _token_spans(text):
            if "'" in raw:
                pieces = raw.split("'")
                offset = start
                for i, piece in enumerate(pieces):
                    pstart = offset
                    offset += len(piece) + 1
                    if not piece:
                        continue
                    if i < len(pieces) - 1 and fold(piece) in elisions:
                        continue  # l'accessibilité → accessibilité, one position
                    pos += 1
                    terms = self.token_terms(piece, index)
                    if terms:
                        yield terms, pos, pstart, pstart + len(piece)
                continue
            pos += 1
            terms = self.token_terms(raw, index)
            if terms:
                yield terms, pos, start, end

    def positions(self, text: str) -> dict[str, list[int]]:
        """Index fast path: term → positions for a whole text (same terms and positions as tokens()).

        Tokens come from one findall (C-level strings, no match objects) and positions are appended through a
        defaultdict: a token's terms are distinct (token_terms), so no position is appended twice; tokens with
        apostrophes are analysed once per form (elided_terms). Measured on 1,000 generated questions, all
        their fields: 2.1 → 1.5 ms per question against match objects and tokens() per apostrophe."""
        out: dict[str, list[int]] = defaultdict(list)
        cache = self._index_cache
        pos = -1
        for raw in raw_tokens(text):
            if "'" in raw:
                pos = _place_elided(out, self.elided_terms(raw), pos)
                continue
            pos += 1
            terms = cache.get(raw)
            if terms is None:
                terms = self.token_terms(raw, True)
            for term in terms:
                out[term].append(pos)
        return out

    def positions_and(self, other: "Language", text: str, into: dict, start: int = 0) -> tuple[dict, int]:
        """One tokenisation of `text` read by two languages (a text's own field and the exact field).

        Returns (this language's term → positions, exactly as positions(text)) and the position that follows
        the text in `other`'s count; `other`'s term → positions are appended to `into` (a defaultdict(list)),
        counted from `start`. Called for several texts in turn, each with the position the previous call
        returned, it fills `into` with other.positions() of the texts joined by blank lines: the exact field
        of a document, which holds its subject, Dutch title, question, answer and Dutch texts in turn.
        Positions are counted apart because the languages may split an apostrophe differently (Dutch drops
        no elision, the exact forms drop French ones)."""
        out: dict[str, list[int]] = defaultdict(list)
        cache, other_cache = self._index_cache, other._index_cache
        pos, opos = -1, start - 1
        for raw in raw_tokens(text):
            if "'" in raw:
                pos = _place_elided(out, self.elided_terms(raw), pos)
                opos = _place_elided(into, other.elided_terms(raw), opos)
                continue
            pos += 1
            opos += 1
            terms = cache.get(raw)
            if terms is None:
                terms = self.token_terms(raw, True)
            for term in terms:
                out[term].append(pos)
            terms = other_cache.get(raw)
            if terms is None:
                terms = other.token_terms(raw, True)
            for term in terms:
                into[term].append(opos)
        return out, opos + 1

    def layout(self, raw: str) -> tuple[tuple[tuple[str, int], ...], int]:
        """What one raw token (of raw_tokens) gives at index time: ((term, position offset), …) and how many
        positions it takes. A stopword gives no term and takes one position; "aujourd'hui" takes two. The
        bulk writer (index/inversion.py) reads every token through this, once per distinct token."""
        if "'" in raw:
            return self.elided_terms(raw)
        return tuple((term, 0) for term in self.token_terms(raw, True)), 1

    def elided_terms(self, raw: str) -> tuple[tuple[tuple[str, int], ...], int]:
        """((term, position offset), …) of a token with apostrophes, and how many positions it takes; cached
        like token_terms ("l'accessibilité", "qu'en": ~150 such tokens per question, a few hundred forms)."""
        known = self._elided_cache.get(raw)
        if known is not None:
            return known
        placed = tuple((term, p) for terms, p, _, _ in self.tokens(raw, index=True) for term in terms)
        advance = sum(1 for piece in raw.split("'")[:-1] if piece and fold(piece) not in self.elisions) + 1
        known = placed, advance
        if len(raw) <= 64:  # a hostile megabyte-long token is analysed, never kept
            if len(self._elided_cache) > 200_000:
                self._elided_cache.clear()
            self._elided_cache[raw] = known
        return known


class FrenchLanguage(Language):
    """French, with repairs for what the Snowball stemmer does to accent-folded words.

    Folding turns "étudiées" into "etudiees" and "expatriés" into "expatries", endings the stemmer no
    longer recognises as a participle's, and it keeps the plural s after a vowel ("vélos", "euros").
    Both spellings of a word go through the same repairs, so they keep meeting.
    """

    IRREGULAR = {"travaux": "travail"}
    #: Nouns the stemmer reads as verbs in -er and folds into another word ("loyer" → "loi", "foyer" →
    #: "foi"): kept whole, singular and plural alike.
    PROTECTED = {"loyer": "loyer", "loyers": "loyer", "foyer": "foyer", "foyers": "foyer"}

    def stem(self, folded: str) -> str:
        if _HAS_DIGIT.search(folded) or len(folded) < 3:
            return folded
        protected = self.PROTECTED.get(folded)
        if protected:
            return protected
        folded = self.IRREGULAR.get(folded, folded)
        if folded.endswith(("ees", "ies")):
            folded = folded[:-1]  # publiées → publiee, catégories → categorie, expatriés → expatrie
        if folded.endswith("ee") and len(folded) > 4:
            folded = folded[:-1]  # publiee → publie, créée → cree
        if folded.endswith("ers") and len(folded) > 5:
            folded = folded[:-1]  # loyers → loyer: the stemmer reads "-er" as a verb ending only without the s
        stem = self._stemmer.stemWord(folded)
        if len(stem) > 3 and stem[-1] == "s" and stem[-2] in "aiou":
            stem = stem[:-1]  # velos → velo, euros → euro, taxis → taxi
        return stem


#: Pronouns that follow a verb in a French question ("faut-il", "sont-ils", "consacre-t-elle", "est-ce").
FRENCH_INVERSIONS = frozenset("t il ils elle elles on je tu nous vous ce".split())

class DutchLanguage(Language):
    """Dutch, whose compounds also yield their parts at index time (dutch_compound_parts)."""

    def _compute_terms(self, raw: str, index: bool) -> tuple[str, ...]:
        terms = super()._compute_terms(raw, index)
        if not index or len(terms) != 1 or _SEPARATORS.search(raw):
            return terms
        parts = dutch_compound_parts(fold(raw))
        if not parts:
            return terms
        seen = dict.fromkeys(terms)
        for part in parts:
            term = self.word_term(part)
            if term:
                seen.setdefault(term)
        return tuple(seen)


FRENCH = FrenchLanguage("french", "fr", FRENCH_ELISIONS, _FRENCH_EXTRA_STOPS, FRENCH_INVERSIONS)
DUTCH = DutchLanguage("dutch", "nl")
LANGUAGES = {"fr": FRENCH, "nl": DUTCH}


class NameLanguage(Language):
    """Person names: folded and lowercased words, no stopwords, no stemming ("Dilliès" = "dillies")."""

    def __init__(self):
        self.name, self.code, self.elisions, self.stops = "names", "names", frozenset(), frozenset()
        self.inversions = frozenset()
        self._index_cache, self._query_cache, self._elided_cache = {}, {}, {}

    def stem(self, folded: str) -> str:
        return folded

    def _compute_terms(self, raw, index):
        return with_joined_form(self._name_terms(raw, index), raw, index)

    def _name_terms(self, raw, index):
        raw = unicodedata.normalize("NFKC", raw)
        parts = tuple(t for t in (fold(p) for p in _SEPARATORS.split(raw)) if t)
        if len(parts) <= 1:
            return parts
        whole = "-".join(parts)  # Anne-Charlotte: found as typed, and by each part
        return (whole,) + tuple(p for p in parts if p != whole) if index else (whole,)


NAMES = NameLanguage()
LANGUAGES["names"] = NAMES


class ExactLanguage(Language):
    """Exact forms: folded words, unstemmed, French and Dutch stopwords and French elisions removed
    ("l'Échevin" → "echevin", "flexi-jobs" → "flexi-jobs" and, at index time, "flexi", "jobs")."""

    def __init__(self):
        super().__init__("french", "fr", FRENCH_ELISIONS, _FRENCH_EXTRA_STOPS, FRENCH_INVERSIONS)
        self.name, self.code = "exact", "exact"
        self.stops = self.stops | DUTCH.stops

    def stem(self, folded: str) -> str:
        return folded


    def _compute_terms(self, raw: str, index: bool) -> tuple[str, ...]:
        return with_joined_form(super()._compute_terms(raw, index), raw, index)


EXACT = ExactLanguage()
LANGUAGES["exact"] = EXACT

#: Dutch linking elements a compound may put between its parts ("verkeer-s-veiligheid", "dier-en-asiel").
_LINKS = ("s", "e", "en")
#: Shortest part of a compound worth splitting off: 4 letters ("fiets", "huur"), so that short
#: fragments ("ver", "aan") never count as words.
MIN_COMPOUND_PART = 4
#: Longer words are not split (Dutch compounds in the corpus stay under 30 letters; the bound keeps the
#: lookups of a pathological word at a few thousand).
MAX_COMPOUND_LENGTH = 40


def decompound(word: str, known, max_parts: int = 3) -> list[str] | None:
    """Split a folded compound into parts that `known(part)` accepts, as Lucene's dictionary compound
    filter does: "gemeentewoningen" → ["gemeente", "woningen"], "verkeersveiligheid" → ["verkeer",
    "veiligheid"]. Longest head first, at most `max_parts` parts; None when no split covers the word.

    `known` is a lookup in the index's vocabulary: about len(word) calls per level, three levels at most."""
    n = len(word)
    if max_parts < 2 or not 2 * MIN_COMPOUND_PART <= n <= MAX_COMPOUND_LENGTH or not word.isalpha():
        return None
    for i in range(n - MIN_COMPOUND_PART, MIN_COMPOUND_PART - 1, -1):
        head = word[:i]
        if not known(head):
            continue
        rest = word[i:]
        tails = [rest] + [rest[len(link):] for link in _LINKS if rest.startswith(link)
                          and len(rest) - len(link) >= MIN_COMPOUND_PART]
        for tail in tails:
            if known(tail):
                return [head, tail]
        for tail in tails:
            parts = decompound(tail, known, max_parts - 1)
            if parts:
                return [head] + parts
    return None


# -- issue 21: joined forms and Dutch compounds at index time (kept apart from the pipeline above) ------------

#: Shortest Dutch word split into parts at index time, and the lexicon frequency (Zipf) a part must have:
#: parts are common words ("verzuim" 3.3, "inning" 3.2, "stalling" 3.1); at 2.5, fragments such as "heid"
#: or "kundige" split words that are not compounds.
MIN_SPLIT_LENGTH = 2 * MIN_COMPOUND_PART
MIN_PART_ZIPF = 3.0


def with_joined_form(terms: tuple[str, ...], raw: str, index: bool) -> tuple[str, ...]:
    """At index time, a hyphenated token also yields its parts written together ("flexi-jobs" →
    "flexijobs", "anti-noyade" → "antinoyade", "Anne-Charlotte" → "annecharlotte"), so that a word typed
    joined finds the text that hyphenates it; the query side reads the other direction (search/engine/spelling.py).
    Tokens with dots or ampersands (hub.brussels, 13.622.302) are names and numbers, not compounds."""
    if not index or "-" not in raw or "." in raw or "&" in raw or "," in raw or not terms:
        return terms
    joined = fold(unicodedata.normalize("NFKC", raw)).replace("-", "")
    if not joined.isalnum() or joined in terms:
        return terms
    return terms + (joined,)


def dutch_compound_parts(word: str) -> list[str]:
    """The parts of a folded Dutch compound that are words of the Dutch lexicon (index/lexicon.py), split
    as `decompound` splits (longest head first, at most three parts, linking s/e/en): "ziekteverzuimpercentage"
    → ziekte, verzuim, percentage; "voetgangersbeleid" → voetgangers, beleid. As Lucene's dictionary compound
    word filter does, so that a plain Dutch word ("fiets", "beleid") finds the titles whose compounds hold it;
    [] for a word that is no compound of lexicon words. Parts are not split again: "stalling" is a word, not
    "stal" + "ling"."""
    if len(word) < MIN_SPLIT_LENGTH or not word.isalpha():
        return []
    from .lexicon import lexicon
    lex = lexicon()

    def known(part: str) -> bool:
        return lex.zipf(part, "nl") >= MIN_PART_ZIPF

    return decompound(word, known) or []


def analyze(text: str, language: str = "fr", index: bool = False) -> list[str]:
    """Terms of `text`, in order (convenience for tests and the query layer)."""
    lang = LANGUAGES[language]
    return [t for terms, _, _, _ in lang.tokens(text, index=index) for t in terms]


class ParlAnalyzer(Analyzer):
    """whoosh analyzer over a Language; the same object serves indexing, querying and highlighting."""

    def __init__(self, language: str = "fr"):
        self.language = language

    def __eq__(self, other):
        return isinstance(other, ParlAnalyzer) and other.language == self.language

    def __getstate__(self):
        return {"language": self.language}

    def __setstate__(self, state):
        self.language = state["language"]

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        lang = LANGUAGES[self.language]
        index = mode == "index"
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:  # wildcard and fuzzy terms: one token, folded (and stemmed where that is safe)
            token.text = lang.pattern_term(value)
            token.boost, token.stopped, token.pos = 1.0, False, start_pos
            token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        for terms, pos, start, end in lang.tokens(value, index=index):
            for term in terms:
                token.text = term
                token.boost = 1.0
                token.stopped = False
                if keeporiginal:
                    token.original = value[start:end]
                if positions:
                    token.pos = start_pos + pos
                if chars:
                    token.startchar = start_char + start
                    token.endchar = start_char + end
                yield token
