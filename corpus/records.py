"""JSON and JSON Lines records (the schema of the Parliament corpus files) → documents."""
from __future__ import annotations

import json
from typing import Iterator

from .model import Document, IdentifierError, check_identifier, number_of, parse_date, strict_number
from .text import Utf8Decoder, clean_line, clean_text

#: Record key → document field. French keys are the corpus schema; English keys are our own exports.
_KEYS = {
    "id": "id", "moncode": "moncode", "base": "base", "assemblee": "assembly", "assembly": "assembly",
    "legislature": "legislature", "session": "session", "type": "type", "numero": "number", "number": "number",
    "langue": "language", "language": "language", "titre": "title", "title": "title", "titre_nl": "title_nl",
    "title_nl": "title_nl", "auteur": "author", "author": "author", "destinataire": "recipient",
    "recipient": "recipient", "date_reception": "date_received", "date_received": "date_received",
    "date_publication": "date_published", "date_published": "date_published", "date_reponse": "date_answered",
    "date_answered": "date_answered", "question": "question", "reponse": "answer", "answer": "answer",
    "question_nl": "question_nl", "reponse_nl": "answer_nl", "answer_nl": "answer_nl",
    "url_source": "url", "url": "url", "report_url": "report_url", "lien_rapport": "report_url",
    "official_id": "official_id", "title_derived": "title_derived", "status": "status",
}
#: Identifier fields, validated when read (no control, escape or bidi characters; bounded length).
_IDENTIFIER_FIELDS = ("id", "moncode", "assembly", "legislature", "session", "number")
_FIELD_KEYS = {"assembly": "assemblee", "number": "numero"}
_BODY_FIELDS = {"question", "answer", "question_nl", "answer_nl"}
_LINE_FIELDS = {"title", "title_nl", "author", "recipient"}
_DATE_FIELDS = ("date_received", "date_published", "date_answered")
#: Fields whose value must be JSON text (besides the body and line fields); a number, a boolean, a list or an
#: object there rejects the record (a number as `url_source` reached the JSON output).
_TEXT_FIELDS = {"assembly", "legislature", "session", "type", "language", "url", "report_url", "official_id",
                "status"}
#: Fields that are a number, given as a JSON integer or as text holding it ("161", "QE 161").
_NUMBER_FIELDS = {"moncode", "base", "number"}
#: What a record may say of its status: only that its source says nothing of answers ("unknown", as the
#: documents of the Chamber's data are exported); answered or not always follows from the answer text.
_STATUSES = ("answered", "unanswered", "unknown")
#: Longest URL accepted (url_source, lien_rapport): the sitemaps protocol's limit, far above the Parliament's
#: 80-character links; a longer value is not a link.
MAX_URL_CHARS = 2048

#: Longest accepted JSON Lines line; longer lines are reported, not parsed.
MAX_LINE_BYTES = 16 * 1024 * 1024


class RecordError(ValueError):
    """A record that cannot become a document."""


def document_from_record(record, source: str | None = None, warnings: list | None = None) -> Document:
    """Map one corpus record to a Document.

    Raises RecordError when the record is unusable (not an object, no question text). An unparseable
    date is dropped and reported in `warnings` (the rest of the record is kept).
    """
    if not isinstance(record, dict):
        raise RecordError("record is a %s, not an object" % type(record).__name__)
    from .assembly import read_record
    doc = read_record(record, source, warnings)  # a record in an assembly's own format (the Chamber's data)
    if doc is not None:
        return doc
    fields = {}
    for key, value in record.items():
        name = _KEYS.get(key)
        if name is None or value is None:
            continue
        _check_type(key, name, value)
        if name in _BODY_FIELDS:
            value = clean_text(value)
        elif name in _LINE_FIELDS:
            value = clean_line(value)
        fields[name] = value
    if not fields.get("question"):
        raise RecordError("record has no question text")
    if not fields.get("title"):
        raise RecordError("record has no title")
    if fields.get("moncode") is not None:
        fields.pop("id", None)  # derive PRB-<base>-<moncode>, so that pages and records meet
    try:
        if fields.get("base") in ("", None):
            fields.pop("base", None)
            if "base" in record and record["base"] is None:
                fields["base"] = None  # said to have none (an exported document of another assembly than PRB)
        elif isinstance(fields.get("base"), str) and not fields["base"].strip():
            fields.pop("base")
        else:
            fields["base"] = strict_number(fields["base"], "base")
        for name in _IDENTIFIER_FIELDS:
            if name in fields:
                check_identifier(fields[name], _FIELD_KEYS.get(name, name))
        if "number" in fields:
            fields["number"] = number_of(fields["number"], _FIELD_KEYS["number"])
    except IdentifierError as e:
        raise RecordError(str(e)) from None
    for name in _DATE_FIELDS:
        value = fields.get(name)
        if value in (None, ""):
            continue
        try:
            parse_date(value)
        except ValueError as e:
            fields.pop(name)
            if warnings is not None:
                warnings.append("%s: %s (date dropped)" % (name, e))
    fields["source"] = source
    try:
        return Document.create(**fields)
    except (TypeError, ValueError) as e:
        raise RecordError(str(e)) from None


def _check_type(key: str, name: str, value) -> None:
    """RecordError when `value` is not of the type field `name` (record key `key`) takes: every field of a
    record is checked, so a bad one rejects the record with its reason instead of being dropped or passed on."""
    if isinstance(value, (dict, list)):
        raise RecordError("%s has an unexpected structure (a JSON %s)" % (key, "object" if isinstance(value, dict)
                                                                          else "list"))
    if name in _BODY_FIELDS or name in _LINE_FIELDS or name in _TEXT_FIELDS:
        if not isinstance(value, str):
            raise RecordError("%s is not text: %s" % (key, json.dumps(value)[:40]))
        if name in ("url", "report_url", "official_id") and len(value) > MAX_URL_CHARS:
            raise RecordError("%s is longer than %d characters" % (key, MAX_URL_CHARS))
        if name == "status" and value not in _STATUSES:
            raise RecordError("status is not one of %s: %s" % (", ".join(_STATUSES), json.dumps(value)[:40]))
    elif name == "title_derived":
        if not isinstance(value, bool):
            raise RecordError("title_derived is not true or false: %s" % json.dumps(value)[:40])
    elif name in _NUMBER_FIELDS or name == "id":
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise RecordError("%s is not %s: %s" % (key, "an id" if name == "id" else "a number",
                                                    json.dumps(value)[:40]))


def records_in_json(obj) -> list:
    """The list of records in a parsed JSON corpus file: {"questions": [...]}, a bare list, or one record."""
    if isinstance(obj, list):
        return obj
    if isinstance(obj, dict):
        for key in ("questions", "records", "documents", "items"):
            if isinstance(obj.get(key), list):
                return obj[key]
        if "question" in obj or "titre" in obj or "title" in obj:
            return [obj]
    raise RecordError("JSON has no list of questions")


def iter_jsonl_lines(stream, decoder: Utf8Decoder | None = None) -> Iterator[tuple[int, object]]:
    """Stream (line number, parsed value or exception) from a binary file object, one line at a time.

    Each line is decoded on its own (`decoder` notes the lines whose stray bytes were read as cp1252)."""
    decoder = decoder or Utf8Decoder()
    lineno = 0
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        lineno += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            # Skip the rest of this oversized line without holding it in memory.
            while True:
                chunk = stream.readline(MAX_LINE_BYTES)
                if not chunk or chunk.endswith(b"\n"):
                    break
            yield lineno, RecordError("line longer than %d MB" % (MAX_LINE_BYTES // 2**20))
            continue
        if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        if not line.strip():
            continue
        try:
            decoder.line = lineno
            yield lineno, json.loads(decoder.decode(line, final=True))
        except (ValueError, RecursionError) as e:
            yield lineno, RecordError("invalid JSON: %s" % str(e)[:120])
