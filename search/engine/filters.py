"""The filters beside a query (--since, --author, --status, --answered-since…), as one value that every
command and the web page turn into the same whoosh queries: `search`, `stats QUERY` and saved searches
(`watch`) cannot disagree on what "--minister Clerfayt --since 2025" allows.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields

from whoosh import query as wq

from ...index.analysis import analyze

#: Spellings of --status offered on the command line; what each stands for is the query language's
#: `statut:` table (one table for both). unknown: the source says nothing of answers (the Chamber's data).
STATUS_CHOICES = ("answered", "unanswered", "unknown", "repondu", "sans-reponse")


def date_filter(since: dt.date | None, until: dt.date | None, field: str = "date_received"):
    """Whole days from `since` to `until` (either may be open) on a date field, or None."""
    if not since and not until:
        return None
    start = dt.datetime.combine(since, dt.time.min) if since else None
    end = dt.datetime.combine(until, dt.time.max) if until else None
    return wq.DateRange(field, start, end)


def name_filter(field: str, name: str | None):
    """Every word of a person's name, analysed as the index analysed it (accents and case ignored)."""
    if not name:
        return None
    terms = analyze(name, "names", index=True)
    if not terms:
        return None
    return wq.And([wq.Term(field, t) for t in terms])


@dataclass(frozen=True)
class SearchFilters:
    """What a search is restricted to besides its words. Dates are whole days, both ends included."""

    since: dt.date | None = None  # received on or after
    until: dt.date | None = None  # received on or before
    author: str | None = None
    minister: str | None = None
    status: str | None = None  # answered / unanswered (or the French spellings of STATUS_CHOICES)
    answered_since: dt.date | None = None  # answer date (as the Parliament publishes it) on or after
    answered_until: dt.date | None = None
    type: str | None = None  # written_question, oral_question… (not on the CLI; the web page's facet)
    legislature: str | None = None  # 2019-2024 (not on the CLI; the web page's facet)
    session: str | None = None  # 25/26 (read from the words "session 2025-2026": search/understanding/understand.py)
    assembly: str | None = None  # an assembly's code (PRB, CHAMBER), or a name it goes by (corpus.assembly)

    def queries(self) -> list:
        """The whoosh queries to AND with the words (empty when nothing is restricted)."""
        out = [date_filter(self.since, self.until), name_filter("author", self.author),
               name_filter("minister", self.minister),
               date_filter(self.answered_since, self.answered_until, "date_answered")]
        if self.status:
            from .query import _STATUS_VALUES
            out.append(wq.Term("status", _STATUS_VALUES.get(self.status, self.status)))
        if self.type:
            out.append(wq.Term("type", self.type))
        if self.legislature:
            out.append(wq.Term("legislature", self.legislature))
        if self.session:
            out.append(wq.Term("session", self.session))
        if self.assembly:
            from ...corpus.assembly import assembly_code
            out.append(wq.Term("assembly", assembly_code(self.assembly)))
        return [q for q in out if q is not None]

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) not in (None, "") for f in fields(self))

    def to_dict(self) -> dict:
        """The filters that are set, JSON/TOML-ready (dates as ISO strings)."""
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in asdict(self).items()
                if v not in (None, "")}

    def as_options(self) -> str:
        """The filters as the options that set them (`--since 2026-01-01 --minister 'van den brandt'`): how
        messages name what was searched (`stats`, `watch list`)."""
        import shlex
        return " ".join("--%s %s" % (k.replace("_", "-"), shlex.quote(str(v))) for k, v in self.to_dict().items())

    @classmethod
    def from_dict(cls, data: dict) -> "SearchFilters":
        """The inverse of to_dict; unknown keys and bad dates raise ValueError (a hand-edited file)."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError("unknown filter %s" % ", ".join(sorted(unknown)))
        values = {}
        for key, value in data.items():
            if value in (None, ""):
                continue
            if not isinstance(value, (str, dt.date)):
                raise ValueError("filter %s: expected text, got %r" % (key, value))
            if key in ("since", "until", "answered_since", "answered_until"):
                value = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
            elif key == "status" and value not in STATUS_CHOICES:
                raise ValueError("filter status: %r is not one of %s" % (value, ", ".join(STATUS_CHOICES)))
            elif key == "assembly":
                from ...corpus.assembly import assembly_code
                value = assembly_code(value)  # ValueError naming the assemblies
            values[key] = value
        return cls(**values)
