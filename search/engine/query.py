"""The query language: whoosh's parser with French/English field names, dates, phrases that respect
stopword gaps, and one-line errors for malformed queries.

Size (~480 lines): besides the surface rewrites and the checks of a parsed query, it holds the parser plugins
that correct whoosh's own syntax handling (phrases with gaps, + and - inside parentheses, fuzzy distances of
several digits, comparisons that compare nothing, and the last pass that builds binary groups in linear
time); each is small and belongs with the parser it configures. What a query may cost is limits.py.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from bisect import bisect_left

from whoosh import query as wq
from whoosh.matching import NullMatcher, WrappingMatcher
from whoosh.qparser import (FieldAliasPlugin, FuzzyTermPlugin, GtLtPlugin, MultifieldParser, PhrasePlugin,
                            PlusMinusPlugin, SingleQuotePlugin, syntax)
from whoosh.qparser.plugins import EveryPlugin, FieldsPlugin, Plugin
from whoosh.query.spans import SpanWrappingMatcher
from whoosh.util import make_binary_tree
from whoosh.util.text import rcompile
from whoosh.matching import binary

from ...corpus.model import normalize_legislature, normalize_session
from ...index.schema import DEFAULT_FIELD_WEIGHTS
from .errors import QueryError  # noqa: F401 (imported from here by the rest of the package)


#: Names users may type before a colon → schema field.
FIELD_ALIASES = {
    "subject": ["titre", "title", "sujet"],
    "question": [],
    "answer": ["reponse", "réponse"],
    "author": ["auteur"],
    "minister": ["ministre", "destinataire", "recipient"],
    "number": ["numero", "numéro", "num", "no"],
    "session": [],
    "legislature": ["législature"],
    "status": ["statut"],
    "language": ["langue", "lang"],
    "type": [],
    "date_received": ["date", "recu", "reçu", "received"],
    "date_answered": ["answered", "date_reponse", "date_réponse"],
    "title_nl": ["titel"],
    "body_nl": ["tekst"],
    "portfolio": ["portefeuille", "competence", "compétence"],
    "id": [],
    "moncode": ["code"],
    "assembly": ["assemblee", "assemblée"],
}
#: What the error message for an unknown field lists.
KNOWN_FIELDS = ("titre/title, question, reponse/answer, auteur/author, ministre/minister, numero/number, "
                "session, legislature, statut/status, langue/lang, type, date, titel (Dutch title), id, code, "
                "assemblee/assembly")

_STATUS_VALUES = {
    "answered": "answered", "repondu": "answered", "répondu": "answered", "repondue": "answered",
    "avec-reponse": "answered", "beantwoord": "answered",
    "unanswered": "unanswered", "sans-reponse": "unanswered", "sans-réponse": "unanswered",
    "non-repondu": "unanswered", "pending": "unanswered", "en-attente": "unanswered",
    "onbeantwoord": "unanswered",
    "unknown": "unknown", "inconnu": "unknown", "onbekend": "unknown",
}
_TYPE_VALUES = {
    "written": "written_question", "ecrite": "written_question", "écrite": "written_question",
    "qe": "written_question", "oral": "oral_question", "orale": "oral_question", "qo": "oral_question",
    "interpellation": "interpellation", "topical": "topical_question", "actualite": "topical_question",
    "actualité": "topical_question",
}
_DATE = r"\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?"
DATE_HINT = "use 2026, 2026-06, 2026-06-01, 2026-01-01..2026-06-30 or >=2026-01-01"
_DATE_FIELD_NAMES = "|".join(re.escape(n) for n in ["date_received", "date_answered"]
                             + FIELD_ALIASES["date_received"] + FIELD_ALIASES["date_answered"])
_DATE_RANGE = re.compile(r"\b(%s):(%s)\.\.(%s)?(?=\s|\)|$)" % (_DATE_FIELD_NAMES, _DATE, _DATE))
_DATE_OPEN_START = re.compile(r"\b(%s):\.\.(%s)(?=\s|\)|$)" % (_DATE_FIELD_NAMES, _DATE))
_KEYWORD_VALUE = re.compile(r"\b(statut|status|type|legislature|législature|session|langue|lang|language|"
                            r"assembly|assemblee|assemblée):"
                            r"(\"[^\"]*\"|[^\s()]+)", re.IGNORECASE)


def _normalize_value(field: str, value: str) -> str:
    field = field.lower()
    raw = value.strip('"')
    key = raw.lower()
    if field in ("statut", "status"):
        return _STATUS_VALUES.get(key, key)
    if field == "type":
        return _TYPE_VALUES.get(key, key)
    if field in ("legislature", "législature"):
        return normalize_legislature(raw) or raw
    if field == "session":
        return normalize_session(raw) or raw
    if field in ("assembly", "assemblee", "assemblée"):
        from ...corpus.assembly import assembly_code
        try:
            return assembly_code(raw)  # "chamber", "Kamer" → CHAMBER: the value the index holds
        except ValueError as e:
            raise QueryError(str(e)) from None
    return key


_TRAILING_QUESTION_MARK = re.compile(r"\?+(?=\s|$)")


_DATE_COMPARE = re.compile(r"\b(%s):(<=|>=|<|>)(%s)(?=\s|\)|$)" % (_DATE_FIELD_NAMES, _DATE))
_DATE_VALUE = re.compile(r"\b(%s):(%s)(?=\s|\)|$)" % (_DATE_FIELD_NAMES, _DATE))
_FIELD_NAME = re.compile(r"(?<![\w\"])([^\W\d_][\w]*):(?=\S)")
_DANGLING_OPERATORS = re.compile(r"^(?:\s*\b(?:AND|OR)\b)+|(?:\b(?:AND|OR|NOT)\b\s*)+$")


def _pad(value: str) -> str:
    """2026-6-1 → 2026-06-01 (whoosh would silently read a one-digit month as the whole year)."""
    return "-".join(p if i == 0 else p.zfill(2) for i, p in enumerate(value.split("-")))


def period(value: str) -> tuple:
    """First and last day of a year, month or day given as 2026, 2026-06 or 2026-06-01."""
    parts = [int(p) for p in value.split("-")]
    try:
        if len(parts) == 1:
            return dt.date(parts[0], 1, 1), dt.date(parts[0], 12, 31)
        if len(parts) == 2:
            last = calendar.monthrange(parts[0], parts[1])[1]
            return dt.date(parts[0], parts[1], 1), dt.date(parts[0], parts[1], last)
        day = dt.date(*parts)
        return day, day
    except ValueError:
        raise QueryError("bad date %r (%s)" % (value, DATE_HINT)) from None


def _compare(field: str, op: str, value: str) -> str:
    """date:<2025 means before 2025 began, date:>2026-06 after June ended (whoosh would include them)."""
    first, last = period(value)
    if op == "<":
        return "%s:[TO %s]" % (field, (first - dt.timedelta(days=1)).isoformat())
    if op == "<=":
        return "%s:[TO %s]" % (field, last.isoformat())
    if op == ">":
        return "%s:[%s TO]" % (field, (last + dt.timedelta(days=1)).isoformat())
    return "%s:[%s TO]" % (field, first.isoformat())


#: A comparison that follows no field name ("numero:>5" does): punctuation.
_STRAY_COMPARISON = re.compile(r"(?<![:<>=])(?:<=|>=|=<|=>|<|>)")
#: A "*" standing alone: every document (whoosh would expand it to every word of every default field).
_LONE_STAR = re.compile(r"(?:^|(?<=[\s(]))\*(?=[\s)]|$)")
_KNOWN_NAMES = {n for k, v in FIELD_ALIASES.items() for n in [k] + v}


def _fold(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name.lower()) if not unicodedata.combining(c))


def _field_name(name: str) -> str:
    """A typed field name in lower case; "İD" lowers to "i̇d" (i + combining dot), which whoosh would read
    as the field "d", so a name whose accents or marks hide a known field becomes that field."""
    lower = name.lower()
    if lower in _KNOWN_NAMES:
        return lower
    folded = _fold(name)
    return folded if folded in _KNOWN_NAMES or not re.fullmatch(r"\w+", lower) else lower


def rewrite(text: str) -> str:
    """Surface syntax whoosh does not know: date ranges with "..", date comparisons on whole periods,
    one-digit months, keyword values in French, field names in any case; the question mark that ends a
    typed question is punctuation, not a wildcard ("v?lo" inside a word still is), and so is a < or > that
    does not follow a field name ("<tram", "a > b"); an AND or OR with nothing on one side is dropped
    rather than searched as a word."""
    text = _TRAILING_QUESTION_MARK.sub(" ", text)
    text = _STRAY_COMPARISON.sub(" ", text)
    text = _LONE_STAR.sub("*:*", text)
    text = _FIELD_NAME.sub(lambda m: _field_name(m.group(1)) + ":", text)
    text = _DANGLING_OPERATORS.sub(" ", text)
    text = _DATE_RANGE.sub(lambda m: "%s:[%s TO%s]" % (m.group(1), _pad(m.group(2)),
                                                       " " + _pad(m.group(3)) if m.group(3) else ""), text)
    text = _DATE_OPEN_START.sub(lambda m: "%s:[TO %s]" % (m.group(1), _pad(m.group(2))), text)
    text = _DATE_COMPARE.sub(lambda m: _compare(m.group(1), m.group(2), _pad(m.group(3))), text)
    text = _DATE_VALUE.sub(lambda m: "%s:%s" % (m.group(1), _pad(m.group(2))), text)
    text = _KEYWORD_VALUE.sub(lambda m: "%s:%s" % (m.group(1), _normalize_value(m.group(1), m.group(2))), text)
    return text


def check_balanced(text: str) -> None:
    """Unbalanced quotes and parentheses are errors, not silently reinterpreted."""
    if text.count('"') % 2:
        raise QueryError('unbalanced quote: every " needs a closing "')
    depth = 0
    in_quote = False
    for ch in text:
        if ch == '"':
            in_quote = not in_quote
        elif not in_quote and ch == "(":
            depth += 1
        elif not in_quote and ch == ")":
            depth -= 1
            if depth < 0:
                raise QueryError("unbalanced parenthesis: a ) has no matching (")
    if depth:
        raise QueryError("unbalanced parenthesis: a ( is never closed")


class GapPhrase(wq.Phrase):
    """A phrase whose words keep the gaps left by stopwords: "zones à concentration" needs exactly one
    word between "zones" and "concentration"."""

    def __init__(self, fieldname, words, slop=1, boost=1.0, char_ranges=None, offsets=None):
        super().__init__(fieldname, words, slop=slop, boost=boost, char_ranges=char_ranges)
        self.offsets = list(offsets) if offsets is not None else list(range(len(words)))

    def __eq__(self, other):
        return super().__eq__(other) and getattr(other, "offsets", None) == self.offsets

    def __hash__(self):
        return super().__hash__() ^ hash(tuple(self.offsets))

    def _and_query(self):
        return wq.And([wq.Term(self.fieldname, w) for w in self.words])

    def normalize(self):
        if not self.words:
            return wq.NullQuery
        if len(self.words) == 1:
            return wq.Term(self.fieldname, self.words[0], boost=self.boost)
        return self

    def replace(self, fieldname, oldtext, newtext):
        words = [newtext if fieldname == self.fieldname and w == oldtext else w for w in self.words]
        return self.__class__(self.fieldname, words, slop=self.slop, boost=self.boost,
                              char_ranges=self.char_ranges, offsets=self.offsets)

    def matcher(self, searcher, context=None):
        fieldname = self.fieldname
        if fieldname not in searcher.schema or not self.words:
            return NullMatcher()
        field = searcher.schema[fieldname]
        reader = searcher.reader()
        ms = []
        for word in self.words:
            btext = field.to_bytes(word)
            if (fieldname, btext) not in reader:
                return NullMatcher()
            ms.append(wq.Term(fieldname, btext).matcher(searcher, context))
        gaps = [b - a for a, b in zip(self.offsets, self.offsets[1:])]
        m = _GapMatcher(ms, gaps, self.slop)
        return WrappingMatcher(m, boost=self.boost) if self.boost != 1.0 else m


class _GapMatcher(SpanWrappingMatcher):
    def __init__(self, ms, gaps, slop):
        self.ms, self.gaps, self.slop = ms, gaps, max(1, slop)
        super().__init__(make_binary_tree(binary.IntersectionMatcher, ms) if len(ms) > 1 else ms[0])

    def copy(self):
        return self.__class__([m.copy() for m in self.ms], self.gaps, self.slop)

    def replace(self, minquality=0):
        return self if self.is_active() else NullMatcher()

    def _get_spans(self):
        spans = self.ms[0].spans()
        for m, gap in zip(self.ms[1:], self.gaps):
            nxt = m.spans()
            starts = [s.start for s in nxt]
            joined = []
            for a in spans:
                lo, hi = a.end + gap, a.end + gap + self.slop - 1
                j = bisect_left(starts, lo)
                while j < len(nxt) and nxt[j].start <= hi:
                    joined.append(a.to(nxt[j]))
                    j += 1
            spans = sorted(set(joined))
            if not spans:
                break
        return spans


class GapPhrasePlugin(PhrasePlugin):
    """whoosh's phrase syntax ("…" and "…"~N), building GapPhrase with the analyzer's positions."""

    class PhraseNode(PhrasePlugin.PhraseNode):
        def query(self, parser):
            fieldname = self.fieldname or parser.fieldname
            field = parser.schema[fieldname] if parser.schema and fieldname in parser.schema else None
            if field is None or not field.analyzer or not getattr(field, "format", None) \
                    or not field.format.supports("positions"):
                return PhrasePlugin.PhraseNode.query(self, parser)
            sc = self.textstartchar
            words, offsets, ranges = [], [], []
            for t in field.tokenize(self.text, mode="query", chars=True, positions=True):
                words.append(t.text)
                offsets.append(t.pos)
                ranges.append((sc + t.startchar, sc + t.endchar))
            if not words:
                return None
            if len(words) == 1:
                q = wq.Term(fieldname, words[0], boost=self.boost)
            else:
                q = GapPhrase(fieldname, words, slop=self.slop, boost=self.boost, char_ranges=ranges,
                              offsets=offsets)
            return syntax.attach(q, self)

    def __init__(self, expr='"(?P<text>.*?)"(~(?P<slop>[0-9]+))?'):
        super().__init__(expr)

    def taggers(self, parser):
        return [(self.PhraseTagger(self.expr), 0)]

    class PhraseTagger(PhrasePlugin.PhraseTagger):
        def create(self, parser, match):
            text = match.group("text")
            textstartchar = match.start("text")
            slopstr = match.group("slop")
            slop = max(1, int(slopstr)) if slopstr else 1  # ~0 and ~1: exact
            return GapPhrasePlugin.PhraseNode(text, textstartchar, slop)


class NestedPlusMinusPlugin(PlusMinusPlugin):
    """whoosh's + and -, also inside parentheses: whoosh sorts only the top-level group into required,
    optional and banned words and leaves the markers of a nested group in place, where they raise
    NotImplementedError ("-(-tram)", "-(tram -bus)", "-(+tram)"). A nested group of only banned words
    means what a query of only banned words means: every document but those ("-(-tram)" is "tram")."""

    def do_plusminus(self, parser, group, nested=False):
        for i, node in enumerate(group):
            if isinstance(node, syntax.GroupNode):
                group[i] = self.do_plusminus(parser, node, nested=True)
        if nested and not any(isinstance(n, (self.Plus, self.Minus)) for n in group):
            return group
        result = PlusMinusPlugin.do_plusminus(self, parser, group)
        if nested and isinstance(result, syntax.AndNotGroup) and not len(result[0]):
            every = EveryPlugin.EveryNode()
            every.startchar = every.endchar = result[1].startchar  # whoosh's attach() reads them
            result[0] = every
        return result


class WideFuzzyTermPlugin(FuzzyTermPlugin):
    """whoosh's fuzzy syntax, with any number of digits: whoosh's reads one ("tram~10" was "tram~1" and the
    word "0"). The distance is then clamped by search.limits.bound_fuzzy, as for ~3..9."""

    expr = rcompile(r"(?<=\S)~(?P<maxdist>[0-9]+)?(/(?P<prefix>[0-9]+))?")

    def create(self, parser, match):
        def number(digits, default):  # int() of thousands of digits is refused by Python: all are "large"
            return default if not digits else int(digits) if len(digits) <= 9 else 10 ** 9
        return self.FuzzinessNode(number(match.group("maxdist"), 1), number(match.group("prefix"), 0),
                                  match.group(0))


class SafeGtLtPlugin(GtLtPlugin):
    """whoosh's `field:>value` ranges, also inside parentheses, and a < or > that compares nothing (a query
    starting with one, "(2026=>x)") is punctuation: whoosh read the node before it from an empty list
    (IndexError "list index out of range") or left it in a group, where building the query failed."""

    def do_gtlt(self, parser, group):
        newgroup = group.empty_copy()
        i = 0
        while i < len(group):
            node = group[i]
            if isinstance(node, self.GtLtNode):
                following = group[i + 1] if i + 1 < len(group) else None
                if newgroup and isinstance(newgroup[-1], syntax.FieldnameNode) and following is not None \
                        and following.has_text:
                    newgroup.append(self.make_range(following, node.rel))
                    i += 1
            elif isinstance(node, syntax.GroupNode):
                newgroup.append(self.do_gtlt(parser, node))
            else:
                newgroup.append(node)
            i += 1
        return newgroup


def _binary_query_once(self, parser):
    """whoosh's BinaryGroup.query, building each side's query once: whoosh's builds both sides, then builds
    them again for the result, so each nested level doubled the work (2**depth node.query() calls)."""
    qa, qb = (node.query(parser) for node in self.nodes)
    if qa is None and qb is None:
        q = wq.NullQuery
    elif qa is None or qb is None:
        q = qa if qb is None else qb
    else:
        q = self.qclass(qa, qb)
    return syntax.attach(q, self)


_LINEAR_CLASSES: dict = {}


def _linear(cls):
    """The subclass of a whoosh BinaryGroup class that builds each side once (itself when it is one)."""
    if getattr(cls, "query", None) is _binary_query_once:
        return cls
    sub = _LINEAR_CLASSES.get(cls)
    if sub is None:
        sub = _LINEAR_CLASSES[cls] = type(cls.__name__, (cls,), {"query": _binary_query_once,
                                                                 "__doc__": cls.__doc__})
    return sub


class TidyTreePlugin(Plugin):
    """The parser's last filter: binary groups (AndNot, AndMaybe, Require: `-(…)`, `+a b`, ANDNOT…) build
    their sides once (_binary_query_once; limits.py has the measurements), and nodes that would make
    building the query fail are dropped: an operator left with no operand ("NOT NOT tram" leaves an empty
    NOT), a binary group left with one side (kept as that side), a stray < or >."""

    def filters(self, parser):
        return [(self.tidy, 10_000)]

    def tidy(self, parser, group):
        kept = []
        for node in group:
            if isinstance(node, (syntax.Operator, GtLtPlugin.GtLtNode)):
                continue
            if isinstance(node, syntax.GroupNode):
                node = self.tidy(parser, node)
                if isinstance(node, syntax.Wrapper) and not len(node):
                    continue
                if isinstance(node, syntax.BinaryGroup):
                    if len(node) != 2:
                        kept.extend(node.nodes)
                        continue
                    node.__class__ = _linear(type(node))
            kept.append(node)
        group.nodes[:] = kept
        if isinstance(group, syntax.BinaryGroup) and len(group) == 2:  # the top of the tree
            group.__class__ = _linear(type(group))
        return group


def make_parser(schema, weights: dict[str, float] | None = None) -> MultifieldParser:
    """The parser for user queries: bare words AND-ed across the full-text fields, with field weights."""
    weights = weights or DEFAULT_FIELD_WEIGHTS
    parser = MultifieldParser(list(weights), schema, fieldboosts=dict(weights))
    parser.remove_plugin_class(SingleQuotePlugin)  # apostrophes belong to French words
    parser.remove_plugin_class(PhrasePlugin)
    parser.remove_plugin_class(FieldsPlugin)
    parser.add_plugin(FieldsPlugin(remove_unknown=False))
    parser.add_plugin(GapPhrasePlugin())
    # + and - are operators only at the start of a word: "titres-services" is one compound word.
    parser.add_plugin(NestedPlusMinusPlugin(plusexpr=r"(?:^|(?<=[\s(]))\+(?=\S)", minusexpr=r"(?:^|(?<=[\s(]))-(?=\S)"))
    parser.add_plugin(WideFuzzyTermPlugin())
    parser.add_plugin(SafeGtLtPlugin())
    parser.add_plugin(FieldAliasPlugin({k: v for k, v in FIELD_ALIASES.items() if v}))
    parser.add_plugin(TidyTreePlugin())
    return parser


def iter_nodes(q):
    yield q
    if not q.is_leaf():
        for child in q.children():
            yield from iter_nodes(child)


def validate(q, schema) -> None:
    """Unknown fields and errors hidden in the parsed query (bad dates…) become QueryError.

    Call before normalize(), which silently drops the error placeholders whoosh leaves behind. Fuzzy
    words are clamped on the way (search.limits.bound_fuzzy).
    """
    from .limits import bound_fuzzy  # limits imports this module
    bound_fuzzy(q)
    for node in iter_nodes(q):
        error = getattr(node, "error", None)
        if error:
            raise QueryError(error_text(error))
        fieldname = getattr(node, "fieldname", None)
        if fieldname is not None and fieldname not in schema:
            raise QueryError("unknown field %r (known fields: %s)" % (fieldname, KNOWN_FIELDS))
    check_terms(q, schema)


def check_terms(q, schema) -> None:
    """A word on a date or number field that whoosh cannot convert ('date:""', which normalize() makes
    a Term) is a QueryError, not a traceback when the query runs. Call after normalize() too."""
    for node in iter_nodes(q):
        fieldname = getattr(node, "fieldname", None)
        if type(node) is wq.Term and isinstance(node.text, str) and fieldname in schema:
            try:
                schema[fieldname].to_bytes(node.text)
            except Exception as e:
                raise QueryError(error_text(e)) from None


def error_text(error) -> str:
    """An exception raised while parsing or converting a query, as one line for the user."""
    msg = str(error)
    if any(w in msg.lower() for w in ("date", "month", "day", "year", "int()")):
        return "bad date (%s)" % DATE_HINT
    return (msg.splitlines() or [type(error).__name__])[0][:160]
