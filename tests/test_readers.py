"""Readers of every corpus form: the bundled corpus, Weblex HTML pages, plain-text pages, JSON / JSON Lines,
and hostile files (binary, empty, truncated, oversized, deeply nested, random bytes)."""
from __future__ import annotations

import datetime as dt
import difflib
import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import parlsearch.corpus as corpus
import parlsearch.corpus.reader
from parlsearch.corpus import bundled_corpus, read_paths
from parlsearch.corpus.model import ANSWERED, UNANSWERED
from parlsearch.corpus.plaintext import parse_text_page
from parlsearch.corpus.records import document_from_record
from parlsearch.corpus.text import PageError
from parlsearch.corpus.weblex import parse_page, title_type, tokens

from helpers import BUNDLED_QUESTIONS, corpus_records

DATA = bundled_corpus()
JSON_FILE = BUNDLED_QUESTIONS
PAGES = DATA / "pages"
SEED = DATA / "text" / "question-1263-cite-des-metiers.txt"


def _page(moncode: str) -> str:
    return (PAGES / ("weblex-quest-det-%s.html" % moncode)).read_text(encoding="utf-8")


def _record(moncode: str) -> dict:
    return next(r for r in corpus_records() if r["moncode"] == moncode)


def _similar(a: str | None, b: str | None) -> float:
    if a == b:
        return 1.0
    return difflib.SequenceMatcher(None, a or "", b or "", autojunk=False).ratio()


def _check_problems(result, path=None):
    """Every problem names its file, a record number or None, and a one-line reason."""
    for p in result.problems:
        assert p.path and (path is None or p.path == str(path))
        assert p.record is None or (isinstance(p.record, int) and p.record >= 1)
        assert p.reason and "\n" not in p.reason
        assert not p.reason.startswith("unexpected error"), p  # a reader bug, not a bad file
        assert str(p).startswith(p.path)


# -------------------------------------------------------------------------------------------------------
# The bundled corpus.

def test_bundled_corpus_reads_107_documents_with_pages_merged():
    result = read_paths([DATA])
    assert result.problems == []
    assert len(result.documents) == 107  # 106 records + the plain-text seed; both pages merge into records
    assert result.duplicates == 2
    assert result.files == 4
    ids = [d.id for d in result.documents]
    assert len(set(ids)) == len(ids)
    by_id = {d.id: d for d in result.documents}
    assert {"PRB-1-167744", "PRB-1-170294", "PRB-2019-2024-qe-1263"} <= set(by_id)
    assert by_id["PRB-1-170294"].status == UNANSWERED and by_id["PRB-1-170294"].answer is None
    assert by_id["PRB-1-167744"].status == ANSWERED
    seed = by_id["PRB-2019-2024-qe-1263"]
    assert seed.author == "Jean-Pierre Kerckhofs" and seed.number == 1263
    # read_paths() with no argument is the bundled corpus too
    assert len(read_paths().documents) == 107


def test_seed_text_page():
    doc = parse_text_page(SEED.read_text(encoding="utf-8"), str(SEED))
    assert doc.id == "PRB-2019-2024-qe-1263"
    assert doc.moncode is None and doc.url is None
    assert doc.title == "Question écrite concernant la Cité des métiers"
    assert doc.subject == "La Cité des métiers"
    assert doc.type == "written_question"
    assert doc.author == "Jean-Pierre Kerckhofs"
    assert doc.minister == "Bernard Clerfayt"
    assert doc.portfolio.startswith("Ministre du Gouvernement de la Région de Bruxelles-Capitale chargé de l'Emploi")
    assert doc.portfolio.endswith("Bien-Être animal")  # "(question n°1263)" removed
    assert doc.recipient == "Bernard Clerfayt - " + doc.portfolio
    assert doc.number == 1263
    assert doc.legislature == "2019-2024" and doc.session == "23/24"
    assert doc.date_received == dt.date(2023, 11, 23)
    assert doc.date_published == dt.date(2023, 12, 21)
    assert doc.date_answered == dt.date(2023, 12, 21)
    assert doc.question.startswith("On pouvait lire")
    assert "\u00a0" not in doc.question and "\u00a0" not in doc.answer
    assert "• Quels en étaient les budgets ?" in doc.question
    assert "Réponse" not in doc.question
    assert doc.answer.startswith("Je vous remercie pour votre question.")
    assert "170.000 euros" in doc.answer
    assert doc.status == ANSWERED
    assert doc.language == "fr"


# -------------------------------------------------------------------------------------------------------
# Weblex HTML pages.

@pytest.mark.parametrize("moncode", ["167744", "170294"])
def test_page_matches_its_record(moncode):
    page = parse_page(_page(moncode), "weblex-quest-det-%s.html" % moncode)
    record = document_from_record(_record(moncode))
    assert page.id == record.id == "PRB-1-%s" % moncode
    for name in ("title", "subject", "author", "recipient", "minister", "portfolio", "number", "legislature",
                 "session", "type", "date_received", "date_published", "date_answered", "status", "moncode",
                 "base", "url", "language"):
        assert getattr(page, name) == getattr(record, name), name
    assert _similar(page.question, record.question) > 0.95
    assert _similar(page.answer, record.answer) > 0.95
    assert "\u00a0" not in page.question and "\r" not in page.question and "\t" not in page.question
    assert "&" not in page.title  # entities decoded


def test_page_167744_fields():
    doc = parse_page(_page("167744"), None)
    assert doc.title.startswith("Question écrite concernant les actions mises en place pour informer les expatriés")
    assert doc.author == "Françoise Schepmans"
    assert doc.minister == "Ans Persoons"
    assert doc.recipient.startswith("Ans Persoons - Secrétaire d'État à la Région de Bruxelles-Capitale, chargée")
    assert doc.number == 161 and doc.session == "24/25" and doc.legislature == "2024-2029"
    assert doc.url == "https://www.parlement.brussels/weblex-quest-det/?moncode=167744&base=1"
    # paragraphs and list items are lines; the NBSP before "?" is a space
    assert "\nQuel est le bilan des campagnes" in doc.question
    assert doc.question.endswith("l’impact concret sur les communes ?")
    assert "\n• publié des informations neutres" in doc.answer  # "&bull;&#9;" → "• "
    assert doc.answer.endswith("être évité en 2029.")
    assert doc.status == ANSWERED


def test_page_170294_unanswered():
    doc = parse_page(_page("170294"), "weblex-quest-det-170294.html")
    assert doc.status == UNANSWERED and doc.answer is None
    assert doc.date_answered == dt.date(2026, 9, 22)  # the page (and the record) carry a date all the same
    assert doc.author == "Ludivine de Magnanville" and doc.minister == "Ahmed Laaouej" and doc.number == 43
    assert doc.question.startswith("Quels outils d'IA sont déjà utilisés")
    assert doc.question.count("\n") == 7  # eight list items, one per line


def test_page_line_endings_do_not_matter():
    text = _page("170294")
    reference = parse_page(text, "weblex-quest-det-170294.html")
    for variant in (text.replace("\r\n", "\n"), text.replace("\r\n", "\n").replace("\n", "\r\r\n"),
                    text.replace("\r\n", "\n").replace("\n", "\r"), "\ufeff" + text):
        doc = parse_page(variant, "weblex-quest-det-170294.html")
        assert doc.content_hash == reference.content_hash


def test_page_moncode_fallbacks():
    text = _page("167744").replace("moncode=", "code=")  # no page URL left in the page
    assert parse_page(text, "/some/dir/weblex-quest-det-167744.html").id == "PRB-1-167744"
    doc = parse_page(text, "saved.html")
    assert doc.moncode is None and doc.url is None
    assert doc.id == "PRB-2024-2029-qe-161"
    # base taken from the page URL
    other = _page("167744").replace("base=1", "base=2")
    assert parse_page(other, None).id == "PRB-2-167744"


@pytest.mark.parametrize("prefix, type_", [
    ("Question orale concernant", "oral_question"),
    ("Interpellation concernant", "interpellation"),
    ("Demande d'explications concernant", "request_for_explanation"),
    ("Question d'actualité concernant", "topical_question"),
    ("Question &eacute;crite concernant", "written_question"),
])
def test_page_types(prefix, type_):
    text = _page("167744").replace("<h3>Question &eacute;crite concernant", "<h3>" + prefix, 1)
    doc = parse_page(text, None)
    assert doc.type == type_
    assert doc.subject.startswith("Les actions mises en place")
    assert title_type(doc.title) == type_


def test_page_without_section_or_question():
    with pytest.raises(PageError, match="no weblex-quest-det-fr section"):
        parse_page("<html><body><p>Bonjour</p></body></html>", "x.html")
    with pytest.raises(PageError, match="empty"):
        parse_page("  \n", "x.html")
    text = _page("167744")
    start = text.index('<section id="weblex-quest-det-fr"')
    end = text.index("</section>", start)
    with pytest.raises(PageError, match="no weblex-quest-det-fr section"):
        parse_page(text[:start] + text[end:], "x.html")
    no_title = text.replace("<h3>", "<p>").replace("</h3>", "</p>")
    with pytest.raises(PageError, match="no question title"):
        parse_page(no_title, "x.html")
    no_question = text.replace("<b>Question &nbsp;&nbsp;</b>", "<b>Texte</b>")
    with pytest.raises(PageError, match="no question text"):
        parse_page(no_question, "x.html")
    with pytest.raises(PageError, match="weblex-quest-det-nl"):
        parse_page(text, "x.html", lang="nl")  # there is no Dutch section


def test_page_nested_table_in_answer_stays_in_the_answer():
    text = _page("167744").replace(
        "Plus particuli&egrave;rement il a :",
        "<table><tr><td>Budget</td><td>170.000</td></tr><tr><td>Contacts<td>55.000</table>"
        "Plus particuli&egrave;rement il a :",
    )
    doc = parse_page(text, None)
    assert "Budget 170.000" in doc.answer and "Contacts 55.000" in doc.answer
    assert doc.answer.endswith("être évité en 2029.")


# A Dutch page. There is no real one in the corpus: this is the French page 167744 with its *labels* translated
# (section id, van / aan, Vraag / Antwoord, Datum ontvangst…, "(vraag nr. 161)") and its title replaced by the
# record's real Dutch title. The bodies are replaced by two short synthetic Dutch sentences.
_NL_REPLACEMENTS = [
    ('id="weblex-quest-det-fr"', 'id="weblex-quest-det-nl"'),
    ("<dt>de </dt>", "<dt>van </dt>"),
    ("<dt>&agrave;</dt>", "<dt>aan</dt>"),
    ("(question n&deg;161)", "(vraag nr. 161)"),
    ("Date de r&eacute;ception:", "Datum ontvangst:"),
    ("Date de publication:", "Datum publicatie:"),
    ("Date de r&eacute;ponse:", "Datum antwoord:"),
    ("L&eacute;gislature:", "Zittingsperiode:"),
    ("<b>Session:</b>", "<b>Zitting:</b>"),
    ("<b>Question &nbsp;&nbsp;</b>", "<b>Vraag &nbsp;&nbsp;</b>"),
    ("<b>R&eacute;ponse &nbsp;&nbsp;</b>", "<b>Antwoord &nbsp;&nbsp;</b>"),
]
_NL_QUESTION = "Wat is de balans van de campagnes?"
_NL_ANSWER = "De campagne had gemengde resultaten."


def _dutch_section(fr_page: str) -> str:
    start = fr_page.index('<section id="weblex-quest-det-fr"')
    section = fr_page[start:fr_page.index("</section>", start) + len("</section>")]
    for old, new in _NL_REPLACEMENTS:
        assert old in section, old
        section = section.replace(old, new)
    title_nl = _record("167744")["titre_nl"]
    h3 = section.index("<h3>")
    section = section[:h3 + 4] + title_nl + section[section.index("</h3>"):]
    q = section.index('<td valign="top">') + len('<td valign="top">')
    section = section[:q] + "<p>" + _NL_QUESTION + "</p>" + section[section.index("</td>", q):]
    a = section.index('<td valign="top">', q) + len('<td valign="top">')
    section = section[:a] + _NL_ANSWER + section[section.index("</td>", a):]
    return section


def test_dutch_page():
    fr = _page("167744")
    start = fr.index('<section id="weblex-quest-det-fr"')
    end = fr.index("</section>", start) + len("</section>")
    nl_page = fr[:start] + _dutch_section(fr) + fr[end:]
    doc = parse_page(nl_page, "weblex-quest-det-167744.html")
    title_nl = _record("167744")["titre_nl"]
    assert doc.language == "nl"
    assert doc.id == "PRB-1-167744"
    assert doc.title == doc.title_nl == title_nl
    assert doc.subject.startswith("Schriftelijke vraag")  # subject_of knows only the French prefixes
    assert doc.question == doc.question_nl == _NL_QUESTION
    assert doc.answer == doc.answer_nl == _NL_ANSWER and doc.status == ANSWERED
    assert doc.type == "written_question"
    assert doc.author == "Françoise Schepmans" and doc.minister == "Ans Persoons" and doc.number == 161
    assert doc.legislature == "2024-2029" and doc.session == "24/25"
    assert (doc.date_received, doc.date_published, doc.date_answered) == (
        dt.date(2025, 6, 30), dt.date(2026, 1, 8), dt.date(2026, 1, 8))
    # lang="nl" asks for it explicitly; lang="fr" on it fails
    assert parse_page(nl_page, None, lang="nl").question_nl == _NL_QUESTION
    with pytest.raises(PageError):
        parse_page(nl_page, None, lang="fr")

    # Both sections on one page: French main fields, Dutch *_nl fields.
    both = fr[:end] + _dutch_section(fr) + fr[end:]
    doc = parse_page(both, None)
    assert doc.language == "fr"
    assert doc.title.startswith("Question écrite") and doc.title_nl == title_nl
    assert doc.question.startswith("Les élections communales") and doc.question_nl == _NL_QUESTION
    assert doc.answer_nl == _NL_ANSWER
    assert parse_page(both, None, lang="nl").language == "nl"


# -------------------------------------------------------------------------------------------------------
# Plain-text pages.

def test_text_page_encodings_and_line_endings(tmp_path):
    text = SEED.read_text(encoding="utf-8")
    reference = parse_text_page(text, str(SEED))
    (tmp_path / "crlf-bom.txt").write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    (tmp_path / "cp1252.txt").write_bytes(text.encode("cp1252"))
    (tmp_path / "crcrlf").write_bytes(text.replace("\n", "\r\r\n").encode("utf-8"))  # no suffix at all
    result = read_paths([tmp_path])
    _check_problems(result)
    assert result.problems == []
    assert len(result.documents) == 1 and result.duplicates == 2
    for path in tmp_path.iterdir():
        (doc,) = list(corpus.read_file(path))
        assert doc.content_hash == reference.content_hash, path.name


def test_text_page_variants():
    text = SEED.read_text(encoding="utf-8")
    # no logo, one-line "de X" / "à Y", an acts row that starts with "Question orale", no answer, no dates
    lines = text.split("\n")
    assert lines[0].startswith("Logo")
    cut = text.index("Réponse")
    variant = "\n".join([
        "Question écrite concernant la Cité des métiers",
        "de Jean-Pierre Kerckhofs",
        "à Bernard Clerfayt, Ministre de l'Emploi (question n°1263)",
        "Question orale transformée en question écrite",
        "Question : Combien de contacts ?",
        "",
        "Et quel budget ?",
    ])
    doc = parse_text_page(variant, "q.txt")
    assert doc.author == "Jean-Pierre Kerckhofs"
    assert doc.recipient == "Bernard Clerfayt - Ministre de l'Emploi" and doc.number == 1263
    assert doc.question == "Combien de contacts ?\nEt quel budget ?"
    assert doc.status == UNANSWERED and doc.answer is None
    assert doc.date_received is None and doc.legislature is None
    assert doc.id == "PRB-unknown-qe-1263"
    # a title wrapped over two lines, the "à" label lost (NBSP-only line)
    wrapped = "\n".join([
        "Logo Parlement Buxellois", "", "Question écrite concernant la Cité des métiers", "et son budget", "de",
        "Jean-Pierre Kerckhofs", "\u00a0", "Bernard Clerfayt, Ministre de l'Emploi", "Date de réception: 23/11/2023",
        "Question\u00a0\u00a0 Combien ?",
    ])
    doc = parse_text_page(wrapped, "q.txt")
    assert doc.title == "Question écrite concernant la Cité des métiers et son budget"
    assert doc.author == "Jean-Pierre Kerckhofs" and doc.minister == "Bernard Clerfayt" and doc.number is None
    assert doc.date_received == dt.date(2023, 11, 23) and doc.question == "Combien ?"
    # the original without its answer: unanswered, question intact
    doc = parse_text_page(text[:cut], "q.txt")
    assert doc.status == UNANSWERED and doc.question.endswith("Quels bilans tirez-vous de ces campagnes ?")
    # an impossible date is dropped, not fatal
    doc = parse_text_page(text.replace("23/11/2023", "31/02/2023"), "q.txt")
    assert doc.date_received is None and doc.date_published == dt.date(2023, 12, 21)
    # a moncode in a page URL (e.g. a printed link) gives the page id
    doc = parse_text_page(text + "\nhttps://www.parlement.brussels/weblex-quest-det/?moncode=123456&base=1\n", "q.txt")
    assert doc.id == "PRB-1-123456"
    # a Dutch text page (synthetic: labels and short bodies written for this test)
    nl = "\n".join([
        "Schriftelijke vraag betreffende de Cité des métiers",
        "van",
        "Jean-Pierre Kerckhofs",
        "aan",
        "Bernard Clerfayt, Minister van de Brusselse Hoofdstedelijke Regering, belast met Werk (vraag nr. 1263)",
        "Datum ontvangst: 23/11/2023 Datum publicatie: 21/12/2023",
        "Zittingsperiode: 19/24 Zitting: 23/24 Datum antwoord: 21/12/2023",
        "Vraag\u00a0\u00a0 Hoeveel campagnes?",
        "Antwoord\u00a0\u00a0 Drie.",
    ])
    doc = parse_text_page(nl, "vraag.txt")
    assert doc.language == "nl" and doc.id == "PRB-2019-2024-qe-1263"
    assert doc.question == doc.question_nl == "Hoeveel campagnes?"
    assert doc.answer == doc.answer_nl == "Drie."
    assert doc.minister == "Bernard Clerfayt" and doc.session == "23/24"
    assert doc.date_answered == dt.date(2023, 12, 21)


@pytest.mark.parametrize("text", [
    "Il était une fois une question qui n'en était pas une.\nEt puis voilà.",
    "Question écrite concernant quelque chose\nmais sans corps de question.",
    "Question\u00a0 un corps sans titre\nRéponse\u00a0 une réponse",
    "\x01\x02\x03 ~~~ \u2603" * 200,
    "",
    "\ufeff\r\n\r\n",
])
def test_text_page_rejects_non_pages(text):
    with pytest.raises(PageError):
        parse_text_page(text, "prose.txt")


# -------------------------------------------------------------------------------------------------------
# Linear time on hostile input.

_SECTION = '<section id="weblex-quest-det-fr">'
_HOSTILE = {
    "a": "a" * 1_000_000,
    "lt": "<" * 1_000_000,
    "tag": "<a " * 333_333,  # html.parser.HTMLParser takes hours on this
    "comments": "<!--" * 250_000,
    "newlines": "Question écrite concernant x\n" + "de\n" * 300_000,
    "markers": "Question\u00a0 x\n" * 80_000,
    "section-lt": _SECTION + "<" * 1_000_000,
    "section-tag": _SECTION + "<a " * 333_333,
    "section-nested-tables": _SECTION + "<table><tr><td>Question<td>x" * 10_000,
    "section-cells": _SECTION + "<h3>T</h3><table>" + "<tr><td>Question<td>q" * 20_000,
    "section-entities": _SECTION + "&#" * 500_000,
}


@pytest.mark.parametrize("name", sorted(_HOSTILE))
def test_hostile_input_is_fast(name):
    text = _HOSTILE[name]
    for parse in (parse_page, parse_text_page):
        start = time.perf_counter()
        try:
            parse(text, "hostile")
        except PageError:
            pass
        assert time.perf_counter() - start < 4.0, (name, parse.__name__)


def test_regexes_are_linear():
    """Every pattern of the page readers, searched in long runs of characters it cares about, stays fast
    (a nested or adjacent quantifier would make one of these take seconds)."""
    import re

    import parlsearch.corpus.plaintext
    import parlsearch.corpus.weblex
    patterns = []
    for module in (corpus.weblex, corpus.plaintext):
        for value in vars(module).values():
            candidates = value.values() if isinstance(value, dict) else (
                [v[0] for v in value if isinstance(v, tuple)] if isinstance(value, tuple) else [value])
            patterns += [v for v in candidates if isinstance(v, re.Pattern)]
    assert len(patterns) > 20
    prefixes = ["", "(question n°", "id=\"", "date de réception:", "datum van het", "législature: 19", "question",
                "de", "à", "demande d", "?moncode=1&base=", "Ministre, "]
    start = time.perf_counter()
    for pattern in patterns:
        for prefix in prefixes:
            for fill in (" ", "\u00a0", "a", "1"):
                text = prefix + fill * 3000 + "\x01"
                t = time.perf_counter()
                pattern.search(text)
                pattern.match(text)
                pattern.fullmatch(text)
                assert time.perf_counter() - t < 0.2, (pattern.pattern, prefix, fill)
    assert time.perf_counter() - start < 10


def test_tokenizer_basics():
    toks = list(tokens('<p class="x">a &amp; b<br/><script>if (a<b) {"</p>"}</script><!-- c --><B>d</B>'))
    assert toks == [
        ("start", "p", ' class="x"'), ("text", "a &amp; b"), ("start", "br", "/"), ("start", "script", ""),
        ("end", "script"), ("start", "b", ""), ("text", "d"), ("end", "b"),
    ]
    assert list(tokens("a < b <3 </ c")) == [("text", "a < b <3 </ c")]
    assert list(tokens("x<a href='unterminated")) == [("text", "x")]


# -------------------------------------------------------------------------------------------------------
# JSON, JSON Lines and hostile files through the reader.

def test_json_and_jsonl(tmp_path):
    records = corpus_records()[:5]
    (tmp_path / "list.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "lines.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in corpus_records()[5:10]) + "\n", encoding="utf-8")
    # UTF-8 BOM and CRLF line endings
    crlf = json.dumps({"questions": corpus_records()[10:13]}, ensure_ascii=False, indent=1).replace("\n", "\r\n")
    (tmp_path / "bom-crlf.json").write_bytes(b"\xef\xbb\xbf" + crlf.encode("utf-8"))
    result = read_paths([tmp_path])
    _check_problems(result)
    assert result.problems == []
    assert len(result.documents) == 13 and result.files == 3
    assert {d.id for d in result.documents} == {"PRB-1-%s" % r["moncode"] for r in corpus_records()[:13]}


def test_jsonl_bad_line_among_good_ones(tmp_path):
    good = [json.dumps(r, ensure_ascii=False) for r in corpus_records()[:3]]
    lines = [good[0], '{"titre": "tronqué', good[1], "[1, 2]", "", good[2], '"just a string"']
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = read_paths([path])
    _check_problems(result, path)
    assert len(result.documents) == 3
    assert sorted(p.record for p in result.problems) == [2, 4, 7]
    assert all(p.rejected for p in result.problems)
    assert "invalid JSON" in next(p.reason for p in result.problems if p.record == 2)


def test_hostile_files(tmp_path, monkeypatch):
    record = corpus_records()[0]
    files = {
        "binary.json": bytes(range(256)) * 4,
        "binary.txt": b"\x00\x01\x02PK\x03\x04" * 100,
        "binary.html": b"<html>\x00\x00\x00",
        "empty.json": b"",
        "blank.txt": b"  \r\n\t ",
        "truncated.json": JSON_FILE.read_bytes()[:5000],
        "no-question.json": json.dumps([{k: v for k, v in record.items() if k != "question"}]).encode(),
        "not-records.json": b'{"hello": "world"}',
        "nested.json": b"[" * 100_000 + b"]" * 100_000,
        "nested.jsonl": b"[" * 100_000 + b"]" * 100_000 + b"\n",
        "no-section.html": b"<!DOCTYPE html><html><body><h3>Question \xc3\xa9crite</h3></body></html>",
        "prose.txt": "Ceci n'est pas une question.\nNi une réponse.".encode("utf-8"),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    result = read_paths([tmp_path])
    _check_problems(result)
    # JSON is read one record at a time: the complete record before the cut of truncated.json is kept.
    assert [d.source.rsplit("/", 1)[-1] for d in result.documents] == ["truncated.json"]
    reasons = {p.path.rsplit("/", 1)[-1]: p for p in result.problems}
    assert set(reasons) == set(files)
    assert "binary" in reasons["binary.json"].reason and "binary" in reasons["binary.txt"].reason
    assert "binary" in reasons["binary.html"].reason
    assert reasons["empty.json"].reason == "empty file" and reasons["blank.txt"].reason == "empty file"
    assert "invalid JSON" in reasons["truncated.json"].reason
    assert reasons["no-question.json"].record == 1 and "no question text" in reasons["no-question.json"].reason
    assert "nested too deeply" in reasons["nested.json"].reason or "invalid JSON" in reasons["nested.json"].reason
    assert reasons["nested.jsonl"].record == 1
    assert reasons["no-section.html"].reason == "no weblex-quest-det-fr section"
    assert reasons["prose.txt"].record is None

    # over the size limit
    monkeypatch.setattr(parlsearch.corpus.reader, "MAX_PAGE_BYTES", 1000)
    big = tmp_path / "big"
    big.mkdir()
    (big / "weblex-quest-det-167744.html").write_text(_page("167744"), encoding="utf-8")
    (big / "seed.txt").write_bytes(SEED.read_bytes())
    result = read_paths([big])
    _check_problems(result)
    assert result.documents == [] and len(result.problems) == 2
    assert all("too large" in p.reason for p in result.problems)


def test_unparseable_date_keeps_the_document(tmp_path):
    record = dict(corpus_records()[0], date_reception="31/02/2024", date_reponse="bientôt")
    path = tmp_path / "dates.json"
    path.write_text(json.dumps([record]), encoding="utf-8")
    result = read_paths([path])
    _check_problems(result, path)
    (doc,) = result.documents
    assert doc.date_received is None and doc.date_answered is None
    assert doc.date_published == dt.date.fromisoformat(record["date_publication"])
    assert len(result.problems) == 2 and not any(p.rejected for p in result.problems)
    assert {p.record for p in result.problems} == {1}
    assert result.rejected == []


def test_missing_path():
    result = read_paths(["/nonexistent/dir/for/sure"])
    assert result.documents == [] and result.problems[0].reason == "no such file or directory"


# -------------------------------------------------------------------------------------------------------
# Property tests.

_SUFFIXES = [".json", ".jsonl", ".html", ".txt", ""]
_FRAGMENTS = [b"{", b"}", b"[", b"]", b'"question"', b'"titre"', b":", b",", b"\n", b"\r\n", b"<", b">",
              b"<section id=\"weblex-quest-det-fr\">", b"<h3>", b"</h3>", b"<td>", b"Question\xc2\xa0",
              b"R\xc3\xa9ponse\xc2\xa0", b"de\n", b"\xc3\xa0\n", b"(question n\xc2\xb01)", b"\xef\xbb\xbf", b"\x00",
              b"\xff", b"Question \xc3\xa9crite concernant x\n", b"Date de r\xc3\xa9ception: 1/1/2024"]


@settings(max_examples=60, deadline=None)
@given(
    files=st.lists(
        st.tuples(
            st.sampled_from(_SUFFIXES),
            st.one_of(st.binary(max_size=400),
                      st.lists(st.sampled_from(_FRAGMENTS) | st.binary(max_size=8), max_size=40).map(b"".join)),
        ),
        min_size=1, max_size=4,
    )
)
def test_random_files_never_break_the_reader(tmp_path_factory, files):
    root = tmp_path_factory.mktemp("random")
    for i, (suffix, data) in enumerate(files):
        (root / ("f%d%s" % (i, suffix))).write_bytes(data)
    result = read_paths([root])  # must not raise
    _check_problems(result)
    for doc in result.documents:
        assert doc.title and doc.question and doc.id.startswith("PRB-")


_PAGE_167744 = _page("167744")
_SEED_TEXT = SEED.read_text(encoding="utf-8")


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_damaged_pages_parse_or_fail_cleanly(data):
    """Cut, duplicated or junk-spliced real pages give a Document or a PageError, nothing else."""
    for parse, text in ((parse_page, _PAGE_167744), (parse_text_page, _SEED_TEXT)):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 5000)))
        junk = data.draw(st.text(max_size=20))
        damaged = text[:i] + junk + text[j:]
        try:
            doc = parse(damaged, "damaged")
        except PageError as e:
            assert str(e) and "\n" not in str(e)
        else:
            assert doc.title and doc.question and doc.id.startswith("PRB-")
            assert doc.status == (ANSWERED if doc.answer else UNANSWERED)


def test_french_and_dutch_readings_merge_into_one_french_document():
    from parlsearch.corpus.model import Document, merge
    fr = Document.create(moncode="1", title="Question écrite concernant le vélo", question="Q fr", answer="A fr")
    nl = Document.create(moncode="1", title="Schriftelijke vraag betreffende de fiets", question="V nl",
                         answer="A nl", language="nl", author="X")
    for merged in (merge(fr, nl), merge(nl, fr)):
        assert (merged.language, merged.title, merged.question, merged.answer) == (
            "fr", "Question écrite concernant le vélo", "Q fr", "A fr")
        assert (merged.title_nl, merged.question_nl, merged.answer_nl) == (
            "Schriftelijke vraag betreffende de fiets", "V nl", "A nl")
        assert merged.author == "X" and merged.status == "answered"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab é\n\r\t\x0b\x0c\u00a0\u2003\u200b\u00ad\ufeff\u202f’e\u0301")),
               max_size=60))
def test_clean_text_skips_only_substitutions_that_cannot_match(text):
    """clean_text runs each substitution only where it can match: the same text as running them all."""
    import unicodedata
    from parlsearch.corpus import text as text_module

    def every_substitution(t):
        if not t:
            return ""
        t = unicodedata.normalize("NFC", text_module.normalize_newlines(t))
        t = text_module._HSPACE.sub(" ", text_module._ZERO_WIDTH.sub("", t))
        t = "\n".join(line.strip() for line in text_module._SPACES.sub(" ", t).split("\n"))
        return text_module._BLANK_LINES.sub("\n\n", t).strip()
    assert text_module.clean_text(text) == every_substitution(text)
