"""How people address a question, read before the query parser: identifiers, links, dates and statuses in
words, and the words that name what every document is.

    u = understand("questions sans réponse sur hub.brussels déposées depuis juillet 2026", today=…)
    u.text      → "hub.brussels"                        (what is left for the topic)
    u.filters   → SearchFilters(status="unanswered", since=2026-07-01)
    u.readings  → [Reading("sans réponse", "status unanswered"), Reading(…, "received since 2026-07")]

What it recognises (the vocabularies are understand_words.py; the official links are the assemblies'):

* identifiers: a printed id (PRB-1-170147, any case), an official page's link, a number after a cue
  ("question 1234", "QE n° 12", "n° 12", "Q. 12", "vraag nr. 5"), a number typed alone; they are found
  by the engine and ranked first (identify.py);
* "session 2025-2026", "législature 2024-2029", "legislatuur 19-24", "cette législature": filters;
* dates after a cue: "en 2025", "depuis mars 2026", "avant 2024", "entre janvier et mars 2026", "this year",
  "réponses d'août 2026" (the answer's date), "déposées en juin 2026" (the reception's); a month alone is its
  last occurrence up to today; "en 2025" with no word saying which date also accepts a question whose
  subject names 2025 (a year is as often what a question is about as when it was asked);
* statuses: "sans réponse", "non répondues", "unanswered", "onbeantwoord", "répondues", "beantwoord";
* type words: "question écrite", "QE", "interpellation", "schriftelijke vraag" name a type (a filter when the
  index holds documents of that type); "question", "réponse du ministre" name every document: dropped.

What it leaves alone: quoted phrases, field:value words, and every query with operators or parentheses
(read as written); dates, statuses and numbers in a text longer than MAX_TYPED_WORDS (a pasted passage
speaks of dates as its topic, "depuis 2019, la Région…"); a number after any other word ("tram 55",
"article 27"). Relative dates resolve against one clock, `today()` (PARLSEARCH_TODAY=YYYY-MM-DD fixes it).

Size (~480 lines): one reader whose rules (identifiers, periods, dates, statuses, type words) walk the same
list of keys and consume them in turn; what they match is understand_words.py, what the engine does
with the result understood.py and identify.py.
"""
from __future__ import annotations

import calendar
import datetime as dt
import os
import re
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from ...corpus.model import normalize_legislature, normalize_session
from ...index.analysis import fold, normalize
from . import understand_words as V
from ..engine.filters import SearchFilters

#: Longest query (in words) whose dates, statuses and numbers are read: typed questions have up to 16 words
#: in the judged sets, pasted passages 40 and more.
MAX_TYPED_WORDS = 20
_TOKEN = re.compile(r'"[^"]*"(?:~\d+)?|\S+')
_URL = re.compile(r"(?i)^https?://\S+$")
_PRINTED_ID = re.compile(r"(?i)^[a-z]{2,6}-\d{1,4}-\d{1,12}$|^[a-z]{2,6}-\d{4}-\d{4}-[a-z]{1,4}-\d{1,6}$")
_OPERATOR = re.compile(r'^(?:AND|OR|NOT|ANDNOT|ANDMAYBE|REQUIRE)$|^[+-]\S|[()]')
_AROUND = re.compile(r"^[^\w#°]+|[^\w°]+$")
_GLUED_NUMBER = re.compile(r"(?i)^(n[°º]|no\.|nr\.|#|q\.)(\d+)$")
_YEAR = re.compile(r"^(19[89]\d|20\d\d)$")
_YEAR_PAIR = re.compile(r"^(\d{2}|\d{4})[-/](\d{2}|\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$")
_DAY = re.compile(r"^(\d{1,2})(?:er|e|st|nd|rd|th)?$")
_NUMBER = re.compile(r"^\d{1,9}$")


def today() -> dt.date:
    """The clock relative dates resolve against: PARLSEARCH_TODAY (YYYY-MM-DD) when set, else today."""
    fixed = os.environ.get("PARLSEARCH_TODAY", "").strip()
    if fixed:
        try:
            return dt.date.fromisoformat(fixed)
        except ValueError:
            pass
    return dt.date.today()


class IdRef(NamedTuple):
    """An identifier found in the query: "id" (a document id, printed or from a link), "number" (a
    question's number), "code" (a number typed alone: an official code or a question's number)."""
    kind: str
    value: str
    typed: str = ""  # the words that named it (searched as words when it names no document)


class Reading(NamedTuple):
    """Words of the query and what they were read as (for the summary line and `understood` in JSON)."""
    typed: str
    meaning: str
    kind: str  # "id", "filter", "date", "status", "type", "ignored"

    def to_dict(self) -> dict:
        return {"typed": self.typed, "read_as": self.meaning, "kind": self.kind}


@dataclass
class Understanding:
    text: str  # the words left for the topic ("" when none)
    ids: list[IdRef] = field(default_factory=list)
    filters: SearchFilters = field(default_factory=SearchFilters)
    #: (first, last, subject words): "en 2025" with no word saying which date — received then, or a subject
    #: naming it
    received_or_subject: tuple | None = None
    types: list[str] = field(default_factory=list)  # types named by the query (filters if the index has them)
    readings: list[Reading] = field(default_factory=list)
    keep_number: bool = False  # a number typed alone: also searched as a word

    def __bool__(self) -> bool:
        return bool(self.readings)


class _Key:
    """One word of the query as matched: folded (`word`), as typed, its token, and whether a rule took it."""
    __slots__ = ("word", "typed", "token", "used")

    def __init__(self, word: str, typed: str, token: int):
        self.word, self.typed, self.token, self.used = word, typed, token, False


def _fold_key(text: str) -> str:
    """A word folded for matching; the number sign "n°" (also "nº") kept as one ("°" would fold to "deg")."""
    text = text.replace("º", "°")
    return "°".join(fold(normalize(piece)) for piece in text.split("°"))


def _keys(tokens: list[str], protected: set[int]) -> list[_Key]:
    """The matching keys of the plain tokens: folded, without surrounding punctuation, an elided article
    its own key ("d'août" → "d'", "aout"), a glued number mark split ("n°12" → "n°", "12")."""
    keys = []
    for i, token in enumerate(tokens):
        if i in protected:
            continue
        core = _AROUND.sub("", token) or token
        glued = _GLUED_NUMBER.match(core)
        if glued:
            keys += [_Key(_fold_key(glued.group(1)), glued.group(1), i), _Key(glued.group(2), glued.group(2), i)]
            continue
        word = _fold_key(core)
        head, apostrophe, rest = word.partition("'")
        if apostrophe and rest and len(head) <= 5 and head in ("d", "l", "qu", "jusqu", "n", "s"):
            cut = core.index("'") if "'" in core else core.index("’") if "’" in core else len(head)
            keys += [_Key(head + "'", core[:cut + 1], i), _Key(rest, core[cut + 1:], i)]
        else:
            keys.append(_Key(word, core, i))
    return keys


def _period_label(first: dt.date, last: dt.date) -> str:
    if first.month == 1 and first.day == 1 and last.month == 12 and last.day == 31 and first.year == last.year:
        return "%d" % first.year
    if first.day == 1 and (first.year, first.month) == (last.year, last.month) \
            and last.day == calendar.monthrange(last.year, last.month)[1]:
        return "%d-%02d" % (first.year, first.month)
    if first == last:
        return first.isoformat()
    return "%s..%s" % (_period_label(first, first), _period_label(last, last))


def _month(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


class _Reader:
    def __init__(self, text: str, now: dt.date):
        self.text, self.now = text, now
        self.tokens = [m.group() for m in _TOKEN.finditer(text)]
        protected = {i for i, t in enumerate(self.tokens) if t.startswith('"') or (":" in t and not _URL.match(t))}
        self.boolean = any(_OPERATOR.search(t) for i, t in enumerate(self.tokens) if i not in protected)
        self.keys = _keys(self.tokens, protected)
        self.typed_query = len(self.keys) <= MAX_TYPED_WORDS
        self.u = Understanding(text)
        self.since = self.until = self.answered_since = self.answered_until = None

    # -- helpers --------------------------------------------------------------------------------------

    def word(self, i: int) -> str:
        return self.keys[i].word if 0 <= i < len(self.keys) and not self.keys[i].used else ""

    def phrase(self, i: int, table) -> tuple | None:
        """The longest phrase of `table` (tuples of words) starting at key i."""
        best = None
        for phrase in table:
            n = len(phrase)
            if all(self.word(i + k) == phrase[k] for k in range(n)) and (best is None or n > len(best)):
                best = phrase
        return best

    def take(self, i: int, n: int, meaning: str, kind: str) -> None:
        keys = self.keys[i:i + n]
        for k in keys:
            k.used = True
        typed = ""
        for j, k in enumerate(keys):  # pieces of one token ("d'" "août", "#" "12") without a space
            typed += ("" if j == 0 or keys[j - 1].token == k.token else " ") + k.typed
        self.u.readings.append(Reading(typed, meaning, kind))

    # -- dates ----------------------------------------------------------------------------------------

    def date_at(self, i: int, after_cue: bool):
        """(first, last, keys used) of a date expression at key i, or None."""
        w = self.word(i)
        rel = self.phrase(i, V.RELATIVE_PERIODS)
        if rel:
            unit, back = V.RELATIVE_PERIODS[rel]
            if unit == "year":
                y = self.now.year - back
                return dt.date(y, 1, 1), dt.date(y, 12, 31), len(rel)
            y, m = self.now.year, self.now.month - back
            while m < 1:
                y, m = y - 1, m + 12
            return (*_month(y, m), len(rel))
        iso = _ISO.match(w)
        if iso and 1 <= int(iso.group(2)) <= 12:
            y, m = int(iso.group(1)), int(iso.group(2))
            if iso.group(3):
                try:
                    day = dt.date(y, m, int(iso.group(3)))
                except ValueError:
                    return None
                return day, day, 1
            return (*_month(y, m), 1)
        if _YEAR.match(w):
            return dt.date(int(w), 1, 1), dt.date(int(w), 12, 31), 1
        day = _DAY.match(w)
        if day and self.word(i + 1) in V.MONTHS and _YEAR.match(self.word(i + 2)):
            try:
                d = dt.date(int(self.word(i + 2)), V.MONTHS[self.word(i + 1)], int(day.group(1)))
            except ValueError:
                return None
            return d, d, 3
        if w in V.MONTHS:
            if _YEAR.match(self.word(i + 1)):
                return (*_month(int(self.word(i + 1)), V.MONTHS[w]), 2)
            if after_cue and (w not in V.AMBIGUOUS_MONTHS or len(w) > 3):
                month = V.MONTHS[w]  # its last occurrence up to today
                year = self.now.year if month <= self.now.month else self.now.year - 1
                return (*_month(year, month), 1)
        return None

    def read_date(self, i: int) -> bool:
        """A date reading starting at key i (its target word, cue and date); True when one was taken."""
        start, target = i, None
        while self.word(i) in V.RECEIVED_WORDS | V.ANSWER_WORDS | V.QUESTION_WORDS:
            w = self.word(i)
            target = "answered" if w in V.ANSWER_WORDS else target or "received"
            i += 1
        if start > 0 and target is None and self.u.readings and self.u.readings[-1].kind == "status" \
                and self.u.readings[-1].meaning == "status answered" and self.keys[start - 1].used:
            target = "answered"  # "beantwoord in augustus 2026"
        between = self.phrase(i, {p: 1 for p in V.BETWEEN})
        if between:
            a = self.date_at(i + 1, True)
            if a and self.word(i + 1 + a[2]) in V.AND_WORDS:
                b = self.date_at(i + 2 + a[2], True)
                if b:
                    first, last = a[0], b[1]
                    if self.word(i + 1) in V.MONTHS and not _YEAR.match(self.word(i + 2)) and b[2] == 2:
                        first = _month(b[1].year, V.MONTHS[self.word(i + 1)])[0]  # "entre janvier et mars 2026"
                    if first <= last:
                        self.set_dates(target or "received", first, last, "between")
                        self.take(start, i - start + 2 + a[2] + b[2],
                                  self.describe(target or "received", "between", first, last), "date")
                        return True
            return False
        cue = self.phrase(i, V.DATE_CUES)
        weak = None if cue else self.phrase(i, V.WEAK_DATE_CUES)
        if weak and target is None:
            return False
        if not cue and not weak:
            if start == i and not self.phrase(i, V.RELATIVE_PERIODS):
                return False
            found = self.date_at(i, after_cue=False)  # "réponses août 2026", "cette année"
            if not found or (start == i and not self.phrase(i, V.RELATIVE_PERIODS)):
                return False
            how, n_cue = "in", 0
        else:
            how = V.DATE_CUES[cue] if cue else V.WEAK_DATE_CUES[weak]
            n_cue = len(cue or weak)
            found = self.date_at(i + n_cue, after_cue=True)
            if not found:
                return False
        first, last, n = found
        field = target or "received"
        used = i - start + n_cue + n
        if how == "in" and target is None and n_cue:  # "en 2025": received then, or about it
            self.u.received_or_subject = (first, last, tuple(k.word for k in self.keys[i + n_cue:i + n_cue + n]))
            self.take(start, used, "received %s (or %s in the subject)" % (_period_label(first, last),
                                                                         _period_label(first, last)), "date")
            return True
        self.set_dates(field, first, last, how)
        self.take(start, used, self.describe(field, how, first, last), "date")
        return True

    @staticmethod
    def describe(field: str, how: str, first: dt.date, last: dt.date) -> str:
        label = _period_label(first, last)
        word = {"in": "", "since": "since ", "after": "after ", "before": "before ", "until": "until ",
                "between": ""}[how]
        if how == "between":
            label = "%s..%s" % (_period_label(first, first) if first.day != 1 else first.strftime("%Y-%m"),
                                _period_label(last, last) if last.day != calendar.monthrange(last.year, last.month)[1]
                                else last.strftime("%Y-%m"))
        return "%s %s%s" % (field, word, label)

    def set_dates(self, field: str, first: dt.date, last: dt.date, how: str) -> None:
        low = {"in": first, "since": first, "between": first, "after": last + dt.timedelta(days=1)}.get(how)
        high = {"in": last, "until": last, "between": last, "before": first - dt.timedelta(days=1)}.get(how)
        names = ("since", "until") if field == "received" else ("answered_since", "answered_until")
        if low is not None:
            current = getattr(self, names[0])
            setattr(self, names[0], low if current is None else max(current, low))
        if high is not None:
            current = getattr(self, names[1])
            setattr(self, names[1], high if current is None else min(current, high))

    # -- the other readings ---------------------------------------------------------------------------

    def read_ids(self, i: int) -> bool:
        k = self.keys[i]
        token = self.tokens[k.token]
        if _URL.match(token):
            from .identify import id_from_link
            doc_id = id_from_link(token)
            self.u.ids.append(IdRef("id", doc_id, token)) if doc_id else None
            self.take(i, 1, "the question %s" % doc_id if doc_id else "not a question's page: ignored",
                      "id" if doc_id else "ignored")
            return True
        if _PRINTED_ID.match(k.typed):
            self.u.ids.append(IdRef("id", k.typed, k.typed))
            self.take(i, 1, "the question %s" % k.typed.upper(), "id")
            return True
        return False

    def read_number(self, i: int) -> bool:
        j, type_ = i, None
        typed = self.phrase(i, V.TYPE_PHRASES)
        if typed:
            type_, j = V.TYPE_PHRASES[typed], i + len(typed)
        elif self.word(i) in V.NUMBER_CUES:
            j = i + 1
        while self.word(j) in V.NUMBER_MARKS:
            j += 1
        if j == i or not _NUMBER.match(self.word(j)):
            return False
        number = str(int(self.word(j)))
        typed = " ".join(k.typed for k in self.keys[i:j + 1])
        # an official code has 5 digits and more (170312); a question's number rarely more than 4
        self.u.ids.append(IdRef("code" if len(number) >= 5 else "number", number, typed))
        if type_:
            self.u.types.append(type_)
        self.take(i, j - i + 1, "question number %s" % number, "id")
        return True

    def read_assembly_period(self, i: int) -> bool:
        w = self.word(i)
        if w not in V.SESSION_WORDS | V.LEGISLATURE_WORDS:
            return False
        nxt = self.word(i + 1)
        pair = _YEAR_PAIR.match(nxt)
        if pair:
            if w in V.SESSION_WORDS:
                value = normalize_session(nxt)
                self.u.filters = replace(self.u.filters, session=value)
                self.take(i, 2, "session %s" % value, "filter")
            else:
                value = normalize_legislature(nxt)
                self.u.filters = replace(self.u.filters, legislature=value)
                self.take(i, 2, "legislature %s" % value, "filter")
            return True
        if w in V.LEGISLATURE_WORDS:
            before, after = self.word(i - 1), self.word(i + 1)
            back = 1 if before in V.PREVIOUS_WORDS or after in V.PREVIOUS_WORDS else \
                0 if before in V.CURRENT_WORDS or after in V.CURRENT_WORDS else None
            if back is None:
                return False
            from ...corpus.assembly import get_assembly
            value = legislature_of(get_assembly(), self.now, back)
            if value is None:
                return False
            start = i - 1 if self.word(i - 1) in V.PREVIOUS_WORDS | V.CURRENT_WORDS else i
            end = i + 2 if after in V.PREVIOUS_WORDS | V.CURRENT_WORDS else i + 1
            if after == "en" and self.word(i + 2) == "cours":
                end = i + 3
            self.u.filters = replace(self.u.filters, legislature=value)
            self.take(start, end - start, "legislature %s" % value, "filter")
            return True
        return False

    def read_words(self, i: int) -> bool:
        status = self.phrase(i, V.STATUS_PHRASES)
        if status and self.typed_query:
            value = V.STATUS_PHRASES[status]
            self.u.filters = replace(self.u.filters, status=value)
            self.take(i, len(status), "status %s" % value, "status")
            return True
        typed = self.phrase(i, V.TYPE_PHRASES)
        if typed:
            self.u.types.append(V.TYPE_PHRASES[typed])
            self.take(i, len(typed) + self.links(i + len(typed)), "type %s" % V.TYPE_PHRASES[typed], "type")
            return True
        boiler = self.phrase(i, V.BOILERPLATE_PHRASES)
        if boiler:
            self.take(i, len(boiler) + self.links(i + len(boiler)), "ignored", "ignored")
            return True
        if self.word(i) in V.ENGLISH_STOPWORDS:
            self.keys[i].used = True
            return True
        return False

    def links(self, i: int) -> int:
        """How many subject links follow at key i ("concernant", "relative à", "about")."""
        n = 0
        while self.word(i + n) in V.SUBJECT_LINKS and n < 3 and self.word(i + n + 1):
            n += 1
        return n

    # -- the whole ------------------------------------------------------------------------------------

    def read(self) -> Understanding:
        if self.boolean:
            for i, k in enumerate(self.keys):  # only links: an official URL is never a field name
                if _URL.match(self.tokens[k.token]):
                    self.read_ids(i)
            return self.finish()
        if len(self.keys) == 1 and _NUMBER.match(self.keys[0].word) and len(self.tokens) == 1:
            self.u.ids.append(IdRef("code", str(int(self.keys[0].word)), self.keys[0].typed))  # a number alone
            self.u.keep_number = True
            self.u.readings.append(Reading(self.keys[0].typed, "question number or code %s"
                                           % int(self.keys[0].word), "id"))
            return self.u
        i = 0
        while i < len(self.keys):
            if self.keys[i].used:
                i += 1
                continue
            if self.read_ids(i) or self.read_assembly_period(i):
                continue
            if self.typed_query and (self.read_number(i) or self.read_date(i)):
                continue
            if self.read_words(i):
                continue
            i += 1
        return self.finish()

    def finish(self) -> Understanding:
        u = self.u
        if self.since or self.until or self.answered_since or self.answered_until:
            u.filters = replace(u.filters, since=self.since, until=self.until, answered_since=self.answered_since,
                                answered_until=self.answered_until)
        if not any(k.used for k in self.keys):
            u.readings = [r for r in u.readings if r.kind != "ignored"] if u.readings else []
            return u
        pieces: dict[int, list[str]] = {}
        for k in self.keys:
            if not k.used:
                pieces.setdefault(k.token, []).append(k.typed)
        out = []
        for i, token in enumerate(self.tokens):
            if i in pieces:
                out.append("".join(pieces[i]))
            elif not any(k.token == i for k in self.keys):
                out.append(token)  # protected: a phrase or a field
        u.text = " ".join(out)
        u.readings = [r for r in u.readings if r.typed]
        return u


def legislature_of(assembly, day: dt.date, back: int = 0) -> str | None:
    """The legislature of `assembly` in force on `day` (`back` legislatures earlier), from its default
    legislature and its length (Brussels: five years, 2024-2029)."""
    from ...corpus.model import YEAR_PAIR
    m = YEAR_PAIR.fullmatch(str(getattr(assembly, "default_legislature", "") or ""))
    if not m:
        return None
    start, end = (int(x) for x in m.groups())
    length = end - start
    if length <= 0:
        return None
    k = (day.year - start) // length - back
    first = start + k * length
    return "%d-%d" % (first, first + length)


def understand(text: str, now: dt.date | None = None) -> Understanding:
    """What the typed `text` says besides its topic (see the module docstring)."""
    return _Reader(text or "", now or today()).read()
