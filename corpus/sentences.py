"""Where a sentence ends, when the text does not say it with a space: the one rule that tells two sentences
glued by a dot (`…du précompte professionnel.Cette réduction…`) from a name written with a dot
(`hub.brussels`, `parking.Brussels`, `finance&invest.brussels`, `www.belgium.be`) or a number (`13.622.302`).

Why a rule of its own: the Chamber's published texts lose the space after a full stop wherever a paragraph
ended (in 4,135 of its 6,059 questions of 2020): read as one word, `professionnel.cette` stands where neither
`professionnel` nor `cette` does, so phrases across it fail and a pasted sentence holding it finds nothing. The analyzer (index/analysis.py) splits a token at these joins, and the
derived title of a question without one (corpus/chamber.py) stops at the first of them — both through
`sentence_cuts`, so they cannot disagree.

A dot joins two sentences when

* a capitalised word follows it — an upper-case letter, then a lower-case letter or an elision's apostrophe
  (`Cette`, `L'article`, `Est-ce`); an all-capitals word (`W.D`, `E.E.R`) or a digit (`possible.1`,
  `2020.1`, `art.5`) does not count: initials, numbers and references are kept whole;
* what precedes it is a word of two characters or more, or a single digit (`2020.Le`, `COVID-19.Cette`,
  `SNCB.La`, `4.La`) — a single letter is an initial (`J.Dupont`, `W.Succ`) — and not an abbreviation
  written with a dot (`art.`, `Dr.`, `St.`…);
* neither the word after it nor the token's last label is an Internet domain label (`parking.Brussels`,
  `info.Belgium.be`): a name, not a sentence.

Measured on the Chamber's questions: 15,322 joins split (7,871 in the French texts, 7,451 in the Dutch ones);
the 79 distinct web addresses the texts write (www.…, ….be, ….com…) all kept whole. What stays joined by
choice: initials and references (`W.D`, `E.E.R`, `Ci.RH.624`), all-capitals words after a dot
(`euro.SABCA`), a single capital before one (`C.Enfin`), and a capitalised `Brussels` after one
(`parking.Brussels` and `l'aéroport.Brussels` alike) — each still found by its parts, as a name is.
"""
from __future__ import annotations

import re

#: Last labels of the Internet names the corpus writes (hub.brussels, www.belgium.be, bpost.be, JD.com…): a
#: dot before one of them (or in a token ending with one) is part of a name.
DOMAIN_LABELS = frozenset(
    "be brussels bruxelles brussel vlaanderen wallonie gent eu int com org net info gov fgov fr nl lu uk io edu".split())
#: The labels that still name a domain when capitalised (parking.Brussels, Walfoot.Be, JD.Com): the others
#: are words that open sentences too ("Eu égard", "Net als", "Gent is…").
CAPITALISED_DOMAIN_LABELS = frozenset("be brussels com org".split())
#: Abbreviations written with a dot that a capitalised name may follow without a space (art.Premier, Dr.Peeters).
ABBREVIATIONS = frozenset("art doc dr drs mr mme mmes mlle me mevr st ste nr no prof ir cf vs pp resp".split())

#: The word characters before a dot, after the token's last inner separator other than an apostrophe.
_LAST_RUN = re.compile(r"[^,&\-]*$")
#: A label's leading letters (a domain label, an abbreviation).
_LEADING_LETTERS = re.compile(r"[^\W\d_]*")


def _leading_word(label: str) -> str:
    return _LEADING_LETTERS.match(label).group().lower()


def _is_domain_label(label: str) -> bool:
    word = _leading_word(label)
    return word in (CAPITALISED_DOMAIN_LABELS if label[:1].isupper() else DOMAIN_LABELS)


def _ends_sentence(left: str) -> bool:
    run = _LAST_RUN.search(left).group().replace("'", "")
    if len(run) < 2:
        return run.isdigit() or run in ONE_LETTER_WORDS_BEFORE
    return run.lower() not in ABBREVIATIONS


#: Words of one capital letter that open a sentence (Dutch "U", French "À", "A", "Y")…
ONE_LETTER_WORDS = frozenset("U A À Y".split())
#: … and of one small letter that end one (Dutch "u", French "a", "y": "Ik dank u.Welke…").
ONE_LETTER_WORDS_BEFORE = frozenset("u a y".split())


def _starts_sentence(right: str) -> bool:
    if right in ONE_LETTER_WORDS or right[:1] in ONE_LETTER_WORDS and right[1:2] in ("-", "'"):
        return True
    return (len(right) >= 2 and right[0].isupper() and (right[1].islower() or right[1] == "'")
            and not _is_domain_label(right))


def sentence_cuts(token: str) -> list[int]:
    """The offsets of the dots in `token` (a run of word characters joined by inner . , & ' -, as the
    analyzer's tokens are) where one sentence ends and the next begins; [] when there is none."""
    if "." not in token:
        return []
    labels = token.split(".")
    if _is_domain_label(labels[-1]):
        return []
    cuts = []
    at = 0
    for left, right in zip(labels, labels[1:]):
        at += len(left)
        if left and right and _starts_sentence(right) and _ends_sentence(left):
            cuts.append(at)
        at += 1
    return cuts


#: A run of word characters joined by inner . , & ' - (the analyzer's tokens, index/analysis.py).
_TOKEN = re.compile(r"\w+(?:[.,&'\-]\w+)*")
#: A full stop, question or exclamation mark that a space or the end of the text follows.
_SPACED_END = re.compile(r"[.?!…]+(?=\s|$)|[?!]+(?=\d)|(?<=[^\W\d_])\.(?=\d{1,2}[.)])")
#: A word of two letters or more: a sentence holds one ("1." opening a list does not).
_A_WORD = re.compile(r"[^\W\d_]{2}")
#: The letters right before a mark (an initial, an abbreviation).
_WORD_BEFORE = re.compile(r"[^\W\d_]+$")


def first_sentence(text: str, max_chars: int = 160) -> str:
    """The first sentence of `text` (up to a `. `, `? `, `! ` or a joined sentence end, see the module doc;
    also a question mark or a full stop that an item number follows, as in `…Securail ?2. Sur quelle…` or
    `…possible.1. Combien…`), on one line, cut at a word boundary with "…" past `max_chars`. A list's "1."
    does not end it. A title derived from a question that has none (corpus/chamber.py)."""
    text = " ".join((text or "")[:4 * max_chars].split())  # what the title can hold, whatever the text's length
    end = len(text)
    for m in _SPACED_END.finditer(text):
        before = _WORD_BEFORE.search(text, max(0, m.start() - 12), m.start())
        word = before.group() if before else ""
        if m.group() == "." and (len(word) == 1 and word.isupper() or word.lower() in ABBREVIATIONS):
            continue  # "M. Dupont", "art. 5": not the end of a sentence
        if not _A_WORD.search(text, 0, m.start()):
            continue  # "1. Comment…": the number of a list's first item
        end = m.end()
        break
    for m in _TOKEN.finditer(text, 0, end):
        cuts = sentence_cuts(m.group()) if "." in m.group() else None
        if cuts:
            end = min(end, m.start() + cuts[0] + 1)
            break
    sentence = text[:end].strip()
    if len(sentence) > max_chars:
        cut = sentence.rfind(" ", 0, max_chars)
        sentence = sentence[:cut if cut > max_chars // 2 else max_chars].rstrip(" ,;:") + "…"
    return sentence
