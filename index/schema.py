"""The whoosh schema, and how a Document becomes the field values of one index entry."""
from __future__ import annotations

import datetime as dt
import json

from whoosh import columns, fields

from ..corpus.model import Document

from .analysis import LANGUAGES, ParlAnalyzer

#: Bump when fields or their storage change: indexes with another schema version are refused with a rebuild
#: instruction. 5: postings stored as arrays (index/codec.py, whose own layout version is CODEC_VERSION); the
#: assembly (a field for filters and the query language, a column for facets) and the official identifier (a
#: field for lookups); derived titles are not indexed as titles.
SCHEMA_VERSION = 5

#: Full-text fields searched by bare words, with their language, and their BM25F weights.
TEXT_FIELDS = {
    "subject": "fr",
    "title_nl": "nl",
    "question": "fr",
    "answer": "fr",
    "body_nl": "nl",
    "portfolio": "fr",
}
NAME_FIELDS = ("author", "minister")
#: One positional field of exact (unstemmed, folded) forms of all the text fields: scored beside the stems
#: so that "stationnement" ranks stationnement above station, and read as the spelling vocabulary.
EXACT_FIELD = "exact"
#: Bare words search every field below. Names and the portfolio weigh less than the subject (a word that
#: names the topic beats a namesake), the exact field adds its weight on top of the stem's.
DEFAULT_FIELD_WEIGHTS = {"subject": 4.0, "title_nl": 2.5, "question": 1.6, "answer": 1.0, "body_nl": 0.8,
                         EXACT_FIELD: 2.0, "author": 1.5, "minister": 1.2, "portfolio": 0.3}
#: Fields that say what a document is about or who is involved: a query word found there is "covered"
#: entirely; a word found only in the running text is covered by how often it occurs there.
TOPIC_FIELDS = frozenset({"subject", "title_nl", "author", "minister"})


class ParlText(fields.TEXT):
    """A positional text field whose indexing takes the analyzer's fast path (no Token objects).

    Querying and highlighting go through the same Language via ParlAnalyzer, so terms always agree.
    """

    def __init__(self, language: str, **kwargs):
        super().__init__(analyzer=ParlAnalyzer(language), phrase=True, **kwargs)
        self.language = language
        self.multitoken_query = "and"

    def index(self, value, **kwargs):
        if isinstance(value, (list, tuple)):
            value = "\n".join(value)
        encode = self.format.encode
        boost = self.format.field_boost
        for term, poslist in LANGUAGES[self.language].positions(value).items():
            yield term.encode("utf-8"), len(poslist), boost * len(poslist), encode(poslist)


def build_schema() -> fields.Schema:
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        moncode=fields.ID(stored=True),
        official_id=fields.ID,
        assembly=fields.ID,
        number=fields.ID,
        legislature=fields.ID,
        session=fields.ID,
        type=fields.ID,
        status=fields.ID,
        language=fields.ID,
        content_hash=fields.ID(sortable=True),
        date_received=fields.DATETIME(sortable=True),
        date_answered=fields.DATETIME(sortable=True),
        payload=fields.STORED,
        # Columns for statistics and facets (read without unpickling stored payloads).
        author_facet=fields.COLUMN(columns.RefBytesColumn()),
        minister_facet=fields.COLUMN(columns.RefBytesColumn()),
        status_facet=fields.COLUMN(columns.RefBytesColumn()),
        assembly_facet=fields.COLUMN(columns.RefBytesColumn()),
    )
    for name, language in TEXT_FIELDS.items():
        schema.add(name, ParlText(language))
    for name in NAME_FIELDS:
        schema.add(name, ParlText("names"))
    schema.add(EXACT_FIELD, ParlText("exact"))
    return schema


def _datetime(value: dt.date | None):
    return dt.datetime(value.year, value.month, value.day) if value else None


#: The fields whose texts the exact field holds, in this order.
EXACT_SOURCES = ("subject", "title_nl", "question", "answer", "body_nl")


def exact_text(values: dict) -> str | None:
    """The exact field's text from a document's field values: subject, Dutch title, question, answer and Dutch
    texts in turn, joined by blank lines. A blank line is no token and positions continue across it, so the
    bulk writer reads each source text once for its own field and the exact field (index/inversion.py) when
    a document's exact value is this text."""
    return "\n\n".join(v for v in (values.get(name) for name in EXACT_SOURCES) if v) or None


def _titles(doc: Document) -> tuple[str | None, str | None]:
    """The subject and Dutch title to index: none when they were derived from the text (corpus/chamber.py),
    which is indexed already — a first sentence is not a subject, and counting it twice would weigh it so."""
    if doc.title_derived:
        return None, None
    return getattr(doc, "subject", None), doc.title_nl




def index_fields(doc: Document) -> dict:
    """Field values for whoosh's add_document/update_document."""
    subject, title_nl = _titles(doc)
    values = {
        "id": doc.id,
        "moncode": doc.moncode,
        "official_id": doc.official_id,
        "assembly": doc.assembly,
        "number": str(doc.number) if doc.number is not None else None,
        "legislature": doc.legislature,
        "session": doc.session,
        "type": doc.type,
        "status": doc.status,
        "language": doc.language,
        "content_hash": doc.content_hash,
        "date_received": _datetime(doc.date_received),
        "date_answered": _datetime(doc.date_answered),
        "author_facet": (doc.author or "").encode("utf-8"),
        "minister_facet": (doc.minister or "").encode("utf-8"),
        "status_facet": doc.status.encode("utf-8"),
        "assembly_facet": doc.assembly.encode("utf-8"),
        "payload": json.dumps(doc.to_dict(), ensure_ascii=False),
        "subject": subject,
        "title_nl": title_nl,
        "question": doc.question,
        "answer": doc.answer,
        "body_nl": "\n".join(t for t in (doc.question_nl, doc.answer_nl) if t) or None,
        "portfolio": doc.portfolio,
        "author": doc.author,
        "minister": doc.minister,
    }
    values[EXACT_FIELD] = exact_text(values)
    return {k: v for k, v in values.items() if v not in (None, "", [])}


def document_from_payload(payload: str) -> Document:
    """Rebuild the Document stored in an index entry."""
    data = json.loads(payload)
    for name in ("date_received", "date_published", "date_answered"):
        if data.get(name):
            data[name] = dt.date.fromisoformat(data[name])
    return Document(**data)
