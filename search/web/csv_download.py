"""The web page's CSV download: the command line's table (search/output.py), made safe to open in a
spreadsheet, in two variants, under a file name that says what was searched.

* Formula cells: a cell a spreadsheet would read as a formula gets a leading apostrophe, which every
  spreadsheet shows as text (OWASP, "CSV injection"): cells starting with `=`, `+`, `-`, `@`, a tab or a
  carriage return, also after leading spaces (LibreOffice and Excel trim them before reading a formula) and
  in their fullwidth or small forms (`＝`, `﹦`, `＋`…: Unicode compatibility forms that Excel's East Asian
  input folds to the ASCII sign). The documents come from the network, so a title is data, never a formula.
  Line breaks inside a cell become spaces (one row a hit in every spreadsheet). The command line's
  `--csv` keeps cells as they are: it is for programs, this download is what a spreadsheet user opens.
* Encoding: UTF-8 in both variants; the spreadsheet variant (`bom=1`) starts with a byte order mark,
  without which Excel reads the file as the local 8-bit code page (`FrÃ©quentation`).
* File name: `parlsearch-<query>.csv`, an ASCII form in `filename` (accents transliterated, anything but
  letters and digits a dash) and the exact words in RFC 5987's `filename*` (UTF-8, percent-encoded).
"""
from __future__ import annotations

import re
import unicodedata
import urllib.parse

from unidecode import unidecode

from ..output import CSV_COLUMNS, _hit_row, csv_table

#: First characters that start a formula (after leading spaces), as OWASP lists them; a character whose
#: compatibility form (NFKC) is one of the signs counts as that sign.
FORMULA_STARTS = frozenset("=+-@\t\r")
#: UTF-8's byte order mark: tells Excel the file is UTF-8.
BOM = "\ufeff"
#: Longest part of a file name taken from the query (file systems allow 255 bytes; a name stays readable).
MAX_NAME_CHARS = 60


def inert(value: str) -> str:
    """A cell a spreadsheet shows as the text it is: line breaks as spaces, a formula start escaped."""
    value = value.replace("\r\n", " ").replace("\n", " ")
    for first in (value[:1], value.lstrip()[:1]):  # as it is, and after leading (Unicode) spaces
        if first and (first in FORMULA_STARTS or unicodedata.normalize("NFKC", first)[:1] in FORMULA_STARTS):
            return "'" + value
    return value


def csv_text(hits, bom: bool = False) -> str:
    """The hits as RFC 4180 CSV (header row, CRLF, the command line's columns), every cell inert."""
    table = csv_table(CSV_COLUMNS, [[inert(v) for v in _hit_row(hit)] for hit in hits])
    return BOM + table if bom else table


def _slug(words: str, ascii_only: bool) -> str:
    text = unicodedata.normalize("NFC", words)
    if ascii_only:
        text = unidecode(text)
        text = re.sub(r"[^A-Za-z0-9]+", "-", text)
    else:
        text = re.sub(r"[\W_]+", "-", text)
    return text.strip("-").lower()[:MAX_NAME_CHARS].strip("-")


def content_disposition(words: str) -> str:
    """`attachment` named after `words` (the query, else the filters' values): ASCII `filename` for old
    clients, RFC 5987 `filename*` with the words as typed for the others."""
    plain = _slug(words, ascii_only=True)
    exact = _slug(words, ascii_only=False)
    name = "parlsearch-%s.csv" % plain if plain else "parlsearch.csv"
    value = 'attachment; filename="%s"' % name
    if exact and exact != plain:
        value += "; filename*=UTF-8''%s" % urllib.parse.quote("parlsearch-%s.csv" % exact, safe="")
    return value
