"""Which words are real French, Dutch or English words: the lexicon behind spelling correction (a real word
is never rewritten) and Dutch compound splitting (a compound is split into real Dutch words).

The word lists are wordfreq's (PyPI `wordfreq`, Robyn Speer et al.: word frequencies merged from Wikipedia,
subtitles, news, books, web text and Twitter, maintained for this purpose and versioned with the package).
Why wordfreq rather than Debian's hunspell dictionaries: hunspell needs an affix engine (a C library and its
binding, or a slow pure-Python port) to know that "plaignent" or "fietsenstalling" are words, while wordfreq
lists every inflected form as it is written (311,000 forms per language in its "large" lists), with a
frequency that separates words from typos: measured on the words of the judged sets, real words in use
have a Zipf frequency (log10 of occurrences per billion words) of 2.5 or more ("élagage" 2.59,
"astreintes" 2.55, "supervisée" 2.71), the typos the corrector must fix less ("montgommery" 2.00,
"stationement" 0). So a word is *real* in a language at MIN_ZIPF and above.

Cost (measured on this project's machine): importing the `wordfreq` package pulls in regex, ftfy and
langcodes (110 ms), so the lists are read directly from the package's data files, whose format is
wordfreq's documented "cB" pack (a header {"format": "cB", "version": 1}, then one list of words per
centibel of frequency, most frequent first); a header of any other version falls back to wordfreq's own
reader. One language's words at MIN_ZIPF and above (≈ 57,000 forms) load in ≈ 40 ms of CPU and hold
≈ 5 MB; a language is loaded the first time a word must be checked in it (never for a query whose words
the index knows), once per process.
"""
from __future__ import annotations

import gzip
import importlib.util
import os
import threading
import unicodedata

#: Zipf frequency from which a form counts as a real word of a language (see the module docstring).
MIN_ZIPF = 2.5
#: The languages a query is checked against (the corpus's two, and English, which users also type).
LANGUAGES = ("fr", "nl", "en")
#: Latin letters with diacritics → their base letters, as the index folds words ("grève" → "greve"); a C-level
#: str.translate (unidecode per word would make loading a list 10× slower).
_LATIN = {c: unicodedata.normalize("NFKD", chr(c)).encode("ascii", "ignore").decode() or chr(c)
          for c in range(0xC0, 0x250)}
_LATIN.update({ord("æ"): "ae", ord("Æ"): "ae", ord("œ"): "oe", ord("Œ"): "oe", ord("ß"): "ss", ord("ø"): "o",
               ord("đ"): "d", ord("ł"): "l", ord("ı"): "i", ord("’"): "'"})
_FOLD = str.maketrans(_LATIN)


class LexiconUnavailable(RuntimeError):
    """wordfreq's data cannot be found or read (a broken installation)."""


def _data_file(lang: str) -> str:
    spec = importlib.util.find_spec("wordfreq")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise LexiconUnavailable("the wordfreq package is not installed (pip install wordfreq)")
    return os.path.join(list(spec.submodule_search_locations)[0], "data", "large_%s.msgpack.gz" % lang)


def _buckets(lang: str) -> list:
    """wordfreq's words of `lang`, one list per centibel of frequency (bucket i: Zipf 9 - i/100)."""
    import msgpack
    try:
        with gzip.open(_data_file(lang), "rb") as f:
            data = msgpack.load(f, raw=False)
    except (OSError, ValueError) as e:
        raise LexiconUnavailable("cannot read wordfreq's %s word list: %s" % (lang, e)) from None
    if isinstance(data, list) and data and data[0] == {"format": "cB", "version": 1}:
        return data[1:]
    import wordfreq  # another version of the format: wordfreq's own reader
    return wordfreq.get_frequency_list(lang, wordlist="large")


def fold_word(word: str) -> str:
    """A lexicon word folded as the index folds words: lower case, no diacritics."""
    return word.lower().translate(_FOLD)


class Lexicon:
    """Real words of each language (folded), with their Zipf frequency (in tenths), loaded per language on
    first use; thread-safe (the web server's threads share it)."""

    def __init__(self, min_zipf: float = MIN_ZIPF, loader=_buckets):
        self.min_zipf = min_zipf
        self._loader = loader
        self._words: dict[str, dict[str, int]] = {}
        self._lock = threading.Lock()

    def _language(self, lang: str) -> dict[str, int]:
        words = self._words.get(lang)
        if words is None:
            with self._lock:
                words = self._words.get(lang)
                if words is None:
                    words = {}
                    last = int(round((9 - self.min_zipf) * 100))
                    for i, bucket in enumerate(self._loader(lang)[:last + 1]):
                        tenths = int((900 - i) / 10)  # Zipf × 10: small ints, shared by Python
                        for w in bucket:
                            folded = w.lower().translate(_FOLD) if not w.isascii() else w
                            words.setdefault(folded, tenths)
                    self._words[lang] = words
        return words

    def zipf(self, word: str, lang: str) -> float:
        """The Zipf frequency of a folded word in `lang` (0 when it is not a real word there)."""
        return self._language(lang).get(word, 0) / 10

    def is_word(self, word: str, langs=LANGUAGES) -> bool:
        """Whether a folded word is a real word of one of `langs`."""
        return any(word in self._language(lang) for lang in langs)

    def languages_of(self, word: str, langs=LANGUAGES) -> tuple[str, ...]:
        return tuple(lang for lang in langs if word in self._language(lang))

    def loaded(self) -> tuple[str, ...]:
        """The languages loaded so far (tests check that a query with known words loads none)."""
        return tuple(self._words)


_SHARED: Lexicon | None = None


def lexicon() -> Lexicon:
    """The process's lexicon (created on first use; each language loaded when first needed)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = Lexicon()
    return _SHARED
