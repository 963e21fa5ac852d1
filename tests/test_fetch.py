"""`parlsearch fetch`: the Weblex index reader, the polite fetcher and its cache, against a local server.

No test touches the real site: every request goes to a FakeSite on 127.0.0.1 (tests/fetch_server.py).
"""
from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fetch_server import FakeSite, Reply, make_page, row  # tests/ is on sys.path (it is not a package)

from parlsearch.corpus import brussels, cache as cachestore, sync
from parlsearch.corpus.brussels import BRUSSELS
from parlsearch.corpus.cache import PageStore, split_nl_section, with_nl_section
from parlsearch.corpus.model import ANSWERED, UNANSWERED
from parlsearch.corpus.reader import read_paths
from parlsearch.corpus.weblex_index import is_index, parse_row, read_index, RowError

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "index-sample-24-29.json"
FAST = dict(delay=0, backoff=0.01, timeout=2)


def run(cache, url, **kw):
    options = dict(FAST)
    options.update({k: kw.pop(k) for k in list(kw) if k in (
        "delay", "backoff", "timeout", "retries", "max_failures", "recheck_days", "progress", "sleep")})
    return sync.fetch(cache, base_url=url, **options, **kw)


def page_requests(site, since=0):
    return [p for _, p, _ in site.requests[since:] if p.startswith("/weblex-quest-det")]


def newest(site, moncode: str, title: str = "Question écrite concernant un sujet tout frais") -> str:
    """Add a written question received after every other one (first in line), return its page path."""
    site.rows.insert(0, row(moncode, title=title, date="01/12/2026"))
    return "/weblex-quest-det/?moncode=%s&base=1" % moncode


def cached(cache: Path) -> list[str]:
    """Names of the cached question files, with and without text."""
    return sorted(p.name for d in ("pages", ".notext") if (cache / d).is_dir() for p in (cache / d).iterdir())


def leftovers(cache: Path):
    return [p for p in cache.rglob("*") if p.name.endswith(".tmp")]


# --------------------------------------------------------------------------------------- the index reader


def test_is_index_recognises_the_official_index_only():
    obj = json.loads(SAMPLE.read_text(encoding="utf-8"))
    assert is_index(obj)
    assert is_index({"data": []})  # a legislature without questions yet: no documents, no problem
    assert not is_index({"data": [], "questions": []})
    assert not is_index({"questions": [{"titre": "x", "question": "y"}]})
    assert not is_index({"data": [["a", "b"]]})
    assert not is_index([["PRB"] * 16])
    assert not is_index({"data": [["x"] * 16]})  # 16 strings, but no page link


def test_every_sample_row_becomes_a_document_with_the_page_id():
    docs = read_paths([SAMPLE])
    assert not docs.problems
    assert len(docs.documents) == 49
    by_id = {d.id: d for d in docs.documents}
    written = by_id["PRB-1-167852"]
    assert written.type == "written_question" and written.status == UNANSWERED
    assert written.title.startswith("Question écrite concernant les données statistiques")
    assert written.title_nl.startswith("Schriftelijke vraag betreffende statistische gegevens")
    assert written.question == "Les données statistiques relatives aux agences immobilières sociales"
    assert written.minister == "Nawal Ben Hamou" and written.date_received.isoformat() == "2025-12-31"
    assert written.legislature == "2024-2029" and written.url.endswith("moncode=167852&base=1")
    oral = by_id["PRB-1-167841"]  # answered in the printed report: the link is kept, the status is not faked
    assert oral.type == "oral_question" and oral.status == UNANSWERED and oral.answer is None
    assert oral.report_url == "http://weblex.irisnet.be/data/crb/biq/2025-26/00053/images.pdf#page=12"
    arccc = by_id["PRB-2-106894"]  # the other assembly: base 2, no recipient
    assert arccc.assembly == "ARCCC" and arccc.base == 2 and arccc.recipient is None
    kinds = {d.type for d in docs.documents}
    assert kinds == {"written_question", "oral_question", "topical_question", "request_for_explanation"}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_rows_are_problems_not_a_lost_file(tmp_path):
    obj = {"data": [row("1001", title="Question écrite concernant A"), ["too", "short"], 42,
                    row("x", title="Question écrite concernant B"), row("1002", title="")]}
    items = list(read_index(obj, "idx.json"))
    docs = [i for i in items if hasattr(i, "id")]
    problems = [i for i in items if not hasattr(i, "id")]
    assert [d.id for d in docs] == ["PRB-1-1001"]
    assert [p.record for p in problems] == [2, 3, 4, 5]
    with pytest.raises(RowError):
        parse_row(["PRB"] * 16)
    empty = read_paths([_write(tmp_path / "dos_qu_legis_29-34.json", '{"data": []}')])
    assert not empty.documents and not empty.problems


def test_row_signature_follows_changes():
    a = parse_row(row("1001", title="Question orale concernant A", type_fr="question orale", code="2"))
    b = parse_row(row("1001", title="Question orale concernant A", type_fr="question orale", code="2",
                      report="http://example.invalid/images.pdf#page=3"))
    assert a.signature != b.signature and a.key == b.key == "1-1001"
    assert b.report_url == "http://example.invalid/images.pdf#page=3"
    assert a.page_path("nl") == "/weblex-quest-det/?moncode=1001&base=1&lang=nl"


# --------------------------------------------------------------------------------------- small pieces


def test_legislature_slug_and_default_cache(monkeypatch, tmp_path):
    assert brussels.legislature_slug("2024-2029") == "24-29"
    assert brussels.legislature_slug("19/24") == "19-24"
    assert brussels.legislature_slug("2014-2019") == "14-19"
    with pytest.raises(ValueError):
        brussels.legislature_slug("2024-2026")
    with pytest.raises(ValueError):
        brussels.legislature_slug("current")
    monkeypatch.setenv("PARLSEARCH_CACHE", str(tmp_path / "c"))
    assert cachestore.default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("PARLSEARCH_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cachestore.default_cache_dir() == tmp_path / "xdg" / "parlsearch"


def test_official_site_is_never_fetched_faster_than_the_minimum(tmp_path):
    f = sync.Fetcher(tmp_path, base_url="https://www.parlement.brussels", delay=0)
    assert f.client.delay >= 0.5  # (nothing is requested: the fetcher is only built)
    assert "parlsearch" in f.client.user_agent
    assert sync.Fetcher(tmp_path, base_url="http://127.0.0.1:9", delay=0).client.delay == 0
    with pytest.raises(ValueError, match="unknown assembly"):
        sync.Fetcher(tmp_path, assembly="XYZ")
    from parlsearch.corpus import fetch as facade  # the public entry points, in one import
    assert facade.fetch is sync.fetch and facade.Fetcher is sync.Fetcher


# --------------------------------------------------------------------------------------- fetching


def test_full_fetch_builds_a_cache_the_reader_reads(served, tmp_path):
    site, url = served
    cache = tmp_path / "cache"
    events = []
    summary = run(cache, url, progress=lambda e, **i: events.append(e))
    assert summary.ok, summary
    assert summary.index_rows == 51 and summary.new == 102 and summary.failed == 0
    assert (cache / "index" / "dos_qu_legis_24-29.json").read_bytes() == site.index_bytes()
    # One file per question: the French page as served, byte for byte, plus the Dutch page's section.
    french, dutch = split_nl_section((cache / "pages" / "1-167744.fr.html").read_text(encoding="utf-8"))
    assert french.encode("utf-8") == (ROOT / "corpus/data/pages/weblex-quest-det-167744.html").read_bytes()
    assert dutch.startswith('<section id="weblex-quest-det-nl"') and dutch.endswith("</section>")
    assert not list((cache / "pages").glob("*.nl.html"))
    # Pages without text (oral questions) are kept out of the reader's way.
    assert (cache / ".notext" / "2-106894.fr.html").exists()
    assert not (cache / "pages" / "2-106894.fr.html").exists()
    assert len(list((cache / "pages").iterdir())) == 14 and len(list((cache / ".notext").iterdir())) == 37
    assert not leftovers(cache)
    assert events.count("page") == 102 and "start" in events
    # Polite: a descriptive User-Agent, one request at a time (the server saw them in sequence).
    assert all("parlsearch" in ua for _, _, ua in site.requests)

    result = read_paths([cache])
    assert not result.problems
    by_id = {d.id: d for d in result.documents}
    assert len(by_id) == 51  # pages and index rows of the same question are one document
    answered = by_id["PRB-1-167744"]
    assert answered.status == ANSWERED and "Expat Welcome Desk" in answered.answer
    assert answered.session == "24/25" and answered.number == 161  # from the page
    assert answered.title_nl and answered.question_nl  # the Dutch page: the Dutch version, same document
    assert by_id["PRB-1-170294"].status == UNANSWERED
    assert "Quels outils d'IA" in by_id["PRB-1-170294"].question
    written = by_id["PRB-1-167852"]
    assert written.question.startswith("Texte de la question 167852")
    assert written.question_nl.startswith("Tekst van vraag 167852")
    assert written.language == "fr" and written.title.startswith("Question écrite")
    oral = by_id["PRB-1-167841"]
    assert oral.report_url and oral.author == "Marie Cruysmans" and oral.title_nl


def test_state_journal_knows_what_each_page_held(served, tmp_path):
    site, url = served
    run(tmp_path, url, lang="fr")
    lines = (tmp_path / ".state" / "pages.jsonl").read_text().splitlines()
    states = {json.loads(l)["page"]: json.loads(l) for l in lines}
    assert len(states) == 51
    assert states["1-167744.fr"]["status"] == "answered"
    assert states["1-170294.fr"]["status"] == "unanswered"
    assert states["1-167841.fr"]["status"] == "notext"  # an oral question: no text on the page


def test_incremental_refetch_downloads_only_what_is_new(served, tmp_path):
    site, url = served
    assert run(tmp_path, url, lang="fr").new == 51
    before = len(site.requests)
    again = run(tmp_path, url, lang="fr")
    assert again.up_to_date == 51 and again.new == again.changed == again.unchanged == 0
    assert page_requests(site, before) == []  # only the index was asked for
    site.rows.insert(0, row("170999", title="Question écrite concernant un nouveau sujet", date="15/09/2026"))
    site.rows.insert(0, row("171000", title="Question écrite concernant un autre sujet", date="16/09/2026"))
    before = len(site.requests)
    third = run(tmp_path, url, lang="fr")
    assert third.new == 2 and third.up_to_date == 51
    assert sorted(page_requests(site, before)) == [
        "/weblex-quest-det/?moncode=170999&base=1", "/weblex-quest-det/?moncode=171000&base=1"]


def test_a_changed_row_refetches_its_page(served, tmp_path):
    site, url = served
    run(tmp_path, url, lang="fr")
    i = next(i for i, r in enumerate(site.rows) if "moncode=167840&" in r[2])
    site.rows[i] = site.rows[i][:13] + ['<a href="http://weblex.irisnet.be/x/images.pdf#page=4">B.I.Q.</a>'] + \
        site.rows[i][14:]
    before = len(site.requests)
    summary = run(tmp_path, url, lang="fr")
    assert page_requests(site, before) == ["/weblex-quest-det/?moncode=167840&base=1"]
    assert summary.unchanged == 1
    doc = {d.id: d for d in read_paths([tmp_path]).documents}["PRB-1-167840"]
    assert doc.report_url == "http://weblex.irisnet.be/x/images.pdf#page=4"


def test_an_answer_appearing_on_a_page_that_had_none(served, tmp_path):
    site, url = served
    run(tmp_path, url, lang="fr")
    doc = {d.id: d for d in read_paths([tmp_path]).documents}["PRB-1-167852"]
    assert doc.status == UNANSWERED
    # Not re-checked while fresh…
    before = len(site.requests)
    run(tmp_path, url, lang="fr")
    assert page_requests(site, before) == []
    # …then, once due, unanswered pages are re-checked and answered ones are not.
    site.answers["167852"] = "Les agences immobilières sociales gèrent 8.000 logements."
    before = len(site.requests)
    summary = run(tmp_path, url, lang="fr", recheck_days=0)
    asked = page_requests(site, before)
    assert "/weblex-quest-det/?moncode=167852&base=1" in asked
    assert "/weblex-quest-det/?moncode=167744&base=1" not in asked  # answered: never asked again
    assert "/weblex-quest-det/?moncode=167841&base=1" not in asked  # oral, no text: waits for a row change
    assert summary.changed == 1 and summary.failed == 0
    doc = {d.id: d for d in read_paths([tmp_path]).documents}["PRB-1-167852"]
    assert doc.status == ANSWERED and "8.000 logements" in doc.answer
    states = [json.loads(l) for l in (tmp_path / ".state" / "pages.jsonl").read_text().splitlines()]
    assert {s["page"]: s["status"] for s in states}["1-167852.fr"] == "answered"


def test_dutch_then_french_pages_become_one_document(served, tmp_path):
    site, url = served
    assert run(tmp_path, url, lang="nl", types="written").new == 14
    assert (tmp_path / "pages" / "1-167852.nl.html").exists()
    doc = {d.id: d for d in read_paths([tmp_path]).documents}["PRB-1-167852"]
    assert doc.question_nl.startswith("Tekst van vraag 167852")  # Dutch only, for now
    assert run(tmp_path, url, lang="both", types="written").new == 14  # the French pages
    assert not (tmp_path / "pages" / "1-167852.nl.html").exists()
    result = read_paths([tmp_path])
    assert not result.problems
    doc = {d.id: d for d in result.documents}["PRB-1-167852"]
    assert doc.language == "fr" and doc.question.startswith("Texte de la question 167852")
    assert doc.question_nl.startswith("Tekst van vraag 167852") and doc.title_nl.startswith("Schriftelijke vraag")
    # A Dutch answer appearing later replaces the Dutch section only; the French page stays as served.
    french_before = split_nl_section((tmp_path / "pages" / "1-167852.fr.html").read_text())[0]
    site.answers["167852"] = "Er zijn 8.000 woningen."
    summary = run(tmp_path, url, lang="nl", types="written", recheck_days=0)
    assert summary.changed == 1
    french, dutch = split_nl_section((tmp_path / "pages" / "1-167852.fr.html").read_text())
    assert french == french_before and "8.000 woningen" in dutch
    doc = {d.id: d for d in read_paths([tmp_path]).documents}["PRB-1-167852"]
    assert "8.000 woningen" in doc.answer_nl and doc.question.startswith("Texte de la question")


def test_page_store_keeps_one_file_per_question(tmp_path):
    store = PageStore(tmp_path, BRUSSELS)
    kw = dict(title="Question écrite concernant X", author="A B", recipient="C D - Ministre", date="01/09/2026",
              moncode="5")
    fr_text = make_page(lang="fr", question="Texte.", **kw)
    fr_empty = make_page(lang="fr", **kw)
    nl_text = make_page(lang="nl", question="Tekst.", **dict(kw, title="Schriftelijke vraag betreffende X"))
    part = store.part
    assert part("fr", fr_text).status == "unanswered" and part("fr", fr_empty).status == "notext"

    store.save("1-5", {"fr": part("fr", fr_empty), "nl": part("nl", nl_text)})  # Dutch text only
    assert cached(tmp_path) == ["1-5.fr.html", "1-5.nl.html"]
    assert (tmp_path / "pages" / "1-5.nl.html").read_text() == nl_text
    assert (tmp_path / ".notext" / "1-5.fr.html").read_text() == fr_empty
    docs = read_paths([tmp_path]).documents
    assert [d.question_nl for d in docs] == ["Tekst."]

    store.save("1-5", {"fr": part("fr", fr_text), "nl": part("nl", nl_text)})
    assert cached(tmp_path) == ["1-5.fr.html"] and (tmp_path / "pages" / "1-5.fr.html").exists()
    loaded = store.load("1-5")
    assert loaded["fr"].html == fr_text and not loaded["nl"].whole
    assert loaded["nl"].section == brussels.section_text(nl_text, "nl")
    # French text gone again: the Dutch section alone takes the place of the French one.
    store.save("1-5", {"fr": part("fr", fr_empty), "nl": loaded["nl"]})
    assert sorted(p.parent.name + "/" + p.name for p in tmp_path.glob("*/*.html")) == [
        ".notext/1-5.fr.html", "pages/1-5.nl.html"]
    assert [d.question_nl for d in read_paths([tmp_path]).documents] == ["Tekst."]

    # A kill between writing the new file and removing the old one: tidy folds them back.
    (tmp_path / "pages" / "1-5.fr.html").write_text(with_nl_section(fr_text, loaded["nl"].section))
    for age, path in enumerate(sorted(tmp_path.glob("*/*.html"), key=lambda p: p.name != "1-5.fr.html"
                                      or p.parent.name != "pages")):
        os.utime(path, (time.time() - age * 10, time.time() - age * 10))  # the new file is the newest
    inventory = store.inventory()
    assert store.tidy(inventory) == 1 and cached(tmp_path) == ["1-5.fr.html"]


def test_filters_type_since_limit_lang(served, tmp_path):
    site, url = served
    s = run(tmp_path / "a", url, types="written", lang="fr")
    assert s.new == 14  # 12 written rows in the sample + the 2 recorded pages
    s = run(tmp_path / "b", url, types="oral", lang="nl", since="2026-08-01")
    assert s.new > 0 and all(p.endswith("&lang=nl") for p in page_requests(site, len(site.requests) - s.new))
    s = run(tmp_path / "c", url, lang="both", limit=3)
    assert s.new == 6
    # The most recent questions come first.
    assert "1-170533.fr.html" in cached(tmp_path / "c")  # received 31/08/2026, among the latest
    # The index is cached whatever the filters: every row is a document.
    assert len(read_paths([tmp_path / "c"]).documents) == 51


def test_retries_500_then_200(served, tmp_path):
    site, url = served
    site.script("1-167852.fr", [Reply(status=500), Reply(status=503, headers=(("Retry-After", "0"),))])
    retries = []
    summary = run(tmp_path, url, lang="fr", progress=lambda e, **i: retries.append(i) if e == "retry" else None)
    assert summary.failed == 0 and summary.new == 51
    assert page_requests(site).count("/weblex-quest-det/?moncode=167852&base=1") == 3
    assert [r["attempt"] for r in retries] == [1, 2]
    assert retries[1]["wait"] == pytest.approx(2 * retries[0]["wait"])  # exponential backoff


def test_a_404_is_not_retried_and_is_fetched_again_next_run(served, tmp_path):
    site, url = served
    site.script("1-167852.fr", [Reply(status=404)])
    summary = run(tmp_path, url, lang="fr")
    assert summary.failed == 1 and "404" in summary.failures[0][1]
    assert page_requests(site).count("/weblex-quest-det/?moncode=167852&base=1") == 1
    assert not (tmp_path / "pages" / "1-167852.fr.html").exists()
    assert run(tmp_path, url, lang="fr").new == 1


def test_redirects_are_followed_on_the_same_host_only(served, tmp_path):
    site, url = served
    newest(site, "171001")
    newest(site, "171002", "Question écrite concernant un second sujet")
    site.script("1-171002.fr", [Reply(status=302, headers=(("Location", "/weblex-quest-det/?moncode=171002&base=1"),))])
    site.script("1-171001.fr", [Reply(status=302, headers=(("Location", "http://example.invalid/elsewhere"),))])
    summary = run(tmp_path, url, lang="fr", limit=2)
    assert summary.new == 1 and summary.failed == 1
    assert "redirected to another site" in summary.failures[0][1]
    assert (tmp_path / "pages" / "1-171002.fr.html").exists()


def test_a_timeout_is_retried(served, tmp_path):
    site, url = served
    path = newest(site, "171001")
    site.script("1-171001.fr", [Reply(sleep=1.0)])
    summary = run(tmp_path, url, lang="fr", limit=1, timeout=0.3)
    assert summary.new == 1 and summary.failed == 0
    assert page_requests(site) == [path, path]


def test_a_page_timing_out_every_time_fails_cleanly(served, tmp_path):
    site, url = served
    path = newest(site, "171001")
    site.script("1-171001.fr", [Reply(sleep=0.5)] * 3)
    summary = run(tmp_path, url, lang="fr", limit=1, timeout=0.2, retries=2)
    assert summary.failed == 1 and "timed out" in summary.failures[0][1]
    assert page_requests(site) == [path] * 3
    assert not (tmp_path / "pages" / "1-171001.fr.html").exists() and not leftovers(tmp_path)


def test_a_page_without_the_expected_section_is_not_cached(served, tmp_path):
    site, url = served
    site.script("1-167852.fr", [Reply(body=b"<html><body><h1>Maintenance</h1></body></html>")])
    summary = run(tmp_path, url, lang="fr")
    assert summary.failed == 1 and "not a question page" in summary.failures[0][1]
    assert summary.new == 50
    assert page_requests(site).count("/weblex-quest-det/?moncode=167852&base=1") == 1  # not retried
    assert not (tmp_path / "pages" / "1-167852.fr.html").exists()
    # The row is still a document (from the index); the page comes with the next run.
    assert "PRB-1-167852" in {d.id for d in read_paths([tmp_path]).documents}
    assert run(tmp_path, url, lang="fr").new == 1


def test_a_truncated_body_is_retried_and_never_cached(served, tmp_path):
    site, url = served
    path = newest(site, "171001")
    site.script("1-171001.fr", [Reply(truncate=300), Reply(truncate=300, no_length=True)])
    summary = run(tmp_path, url, lang="fr", limit=1)
    assert summary.new == 1 and summary.failed == 0
    assert page_requests(site) == [path] * 3
    assert (tmp_path / "pages" / "1-171001.fr.html").read_bytes().rstrip().endswith(b"</html>")
    newest(site, "171002", "Question écrite concernant une page toujours coupée")
    site.script("1-171002.fr", [Reply(truncate=200)] * 9)
    summary = run(tmp_path, url, lang="fr", limit=1, retries=2)
    assert summary.failed == 1 and "truncated" in summary.failures[0][1]
    assert not (tmp_path / "pages" / "1-171002.fr.html").exists() and not leftovers(tmp_path)


def test_a_non_utf8_page_is_cached_as_utf8(served, tmp_path):
    site, url = served
    page = make_page(lang="fr", title="Question écrite concernant les façades dégradées", author="Zoé Genot",
                     recipient="Ans Persoons - Secrétaire d'État", date="01/09/2026",
                     question="Combien de façades à rénover ? « Réponse » attendue – merci.",
                     answer="Il y a 1.200 façades concernées.", moncode="170900")
    site.rows.insert(0, row("170900", title="Question écrite concernant les façades dégradées",
                            date="01/09/2026"))
    site.script("1-170900.fr", [Reply(body=page.encode("cp1252"), content_type="text/html; charset=windows-1252")])
    site.rows.insert(0, row("170901", title="Question écrite concernant les façades", date="01/09/2026"))
    page = page.replace("1.200", "1.300").replace("moncode=170900", "moncode=170901")
    site.script("1-170901.fr", [Reply(body=page.encode("latin-1", "replace"),
                                      content_type="text/html")])  # undeclared: the reader's fallback
    summary = run(tmp_path, url, lang="fr", limit=2)
    assert summary.new == 2 and summary.failed == 0
    cached = (tmp_path / "pages" / "1-170900.fr.html").read_bytes().decode("utf-8")
    assert "façades à rénover ? « Réponse » attendue – merci" in cached
    docs = {d.id: d for d in read_paths([tmp_path]).documents}
    assert "façades à rénover" in docs["PRB-1-170900"].question
    assert "1.200 façades" in docs["PRB-1-170900"].answer
    assert "1.300 façades" in docs["PRB-1-170901"].answer


def test_the_delay_is_respected(served, tmp_path):
    site, url = served
    newest(site, "171001")
    site.script("1-171001.fr", [Reply(status=500)])
    delay = 0.15
    summary = run(tmp_path, url, lang="fr", limit=4, delay=delay, backoff=0)
    assert summary.new == 4
    times = [t for t, _, _ in site.requests]
    assert len(times) == 6  # index, 4 pages, 1 retry
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= delay * 0.95, gaps


def test_repeated_failures_stop_the_fetch(served, tmp_path):
    site, url = served
    run(tmp_path, url, lang="fr", limit=2)
    for r in site.rows:
        moncode = r[2].split("moncode=")[1].split("&")[0]
        site.script("%d-%s.fr" % (2 if "base=2" in r[2] else 1, moncode), [Reply(status=503)] * 3)
    summary = run(tmp_path, url, lang="fr", retries=1, max_failures=3)
    assert summary.aborted and "3 pages in a row failed" in summary.aborted
    assert summary.failed == 3 and len(page_requests(site)) == 2 + 3 * 2
    assert len(cached(tmp_path)) == 2 and not leftovers(tmp_path)


def test_an_unavailable_index_stops_with_a_clear_message(served, tmp_path):
    site, url = served
    site.script("index", [Reply(status=500)] * 5)
    with pytest.raises(sync.ListingUnavailable) as stop:
        run(tmp_path, url, retries=2)
    assert "index 24-29 unavailable" in str(stop.value) and "HTTP 500" in str(stop.value)
    assert page_requests(site) == []
    site.script("index", [Reply(truncate=1000)])  # a cut index is retried, never cached half
    assert run(tmp_path, url, lang="fr", limit=1).new == 1
    assert json.loads((tmp_path / "index" / "dos_qu_legis_24-29.json").read_text())["data"]


def test_ctrl_c_then_resume(served, tmp_path):
    site, url = served
    seen = []

    def interrupt(event, **info):
        if event == "page":
            seen.append(info)
            if len(seen) == 10:
                raise KeyboardInterrupt

    summary = run(tmp_path, url, lang="fr", progress=interrupt)
    assert summary.interrupted and summary.new == 10
    assert not leftovers(tmp_path)
    before = len(site.requests)
    resumed = run(tmp_path, url, lang="fr")
    assert resumed.new == 41 and resumed.up_to_date == 10
    assert len(page_requests(site, before)) == 41


def test_one_fetch_at_a_time_per_cache(tmp_path):
    with cachestore.cache_lock(tmp_path):
        with pytest.raises(cachestore.CacheLocked, match="another fetch"):
            with cachestore.cache_lock(tmp_path):
                pass


def test_journal_tolerates_a_torn_line_and_adopts_orphan_pages(served, tmp_path):
    site, url = served
    run(tmp_path, url, lang="fr", limit=3)
    journal = tmp_path / ".state" / "pages.jsonl"
    lines = journal.read_text().splitlines()
    # Killed mid-append: the last line is cut; and one page was renamed in before its line was written.
    journal.write_text("\n".join(lines[:1]) + "\n" + lines[1][:25])
    (tmp_path / ".notext" / ".1-999.fr.html.123.tmp").write_text("<html><body>half")
    before = len(site.requests)
    summary = run(tmp_path, url, lang="fr", limit=0)
    assert summary.up_to_date == 3 and page_requests(site, before) == []
    assert not leftovers(tmp_path)
    assert len((tmp_path / ".state" / "pages.jsonl").read_text().splitlines()) == 3


# --------------------------------------------------------------------------------------- SIGKILL


def test_sigkill_mid_fetch_then_resume(site, tmp_path):
    cache = tmp_path / "cache"
    site.slow = 0.02
    site.trickle = 0.3  # half a page, a pause, the other half: the kill lands mid-body
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with site.running() as url:
        cmd = [sys.executable, "-m", "parlsearch", "fetch", "--cache", str(cache), "--base-url", url, "--delay", "0",
               "--lang", "both", "-q"]
        proc = subprocess.Popen(cmd, cwd=str(ROOT), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            # Kill when a page is half sent (the server pauses 0.3 s there), once 6 pages were asked for.
            for _ in range(200):  # bounded: 200 pages at most, each with its pause
                assert site.mid_body.wait(15), "the fetch never got to a page"
                site.mid_body.clear()
                if len(page_requests(site)) >= 6:
                    break
            assert proc.poll() is None, proc.communicate()
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(5)
        assert proc.returncode == -signal.SIGKILL
        pages = sorted(cache.glob("*/*.html"))
        assert 3 <= len(pages) < 51
        for p in pages:  # whatever is in place is a whole page
            assert p.read_bytes().rstrip().endswith(b"</html>")

        site.slow = site.trickle = 0
        before = len(site.requests)
        done = subprocess.run(cmd, cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "0 failed" in done.stdout
        assert len(page_requests(site, before)) <= 102 - len(pages)  # what was done is not done again

    pages = sorted(cache.glob("*/*.html"))
    assert len(pages) == 51 and not leftovers(cache)
    assert all(p.read_bytes().rstrip().endswith(b"</html>") for p in pages)
    assert all(split_nl_section(p.read_text(encoding="utf-8"))[1] for p in pages)  # both languages
    result = read_paths([cache])
    assert len(result.documents) == 51 and not result.problems
    states = (cache / ".state" / "pages.jsonl").read_text().splitlines()
    assert len(states) == 102


# --------------------------------------------------------------------------------------- into the index


def test_fetched_cache_is_searchable(served, tmp_path):
    update = pytest.importorskip("parlsearch.index.update")
    engine = pytest.importorskip("parlsearch.search.engine.core")
    site, url = served
    run(tmp_path / "cache", url)
    summary = update.update_index([tmp_path / "cache"], tmp_path / "ix")
    assert summary.documents == 51 and not summary.problems
    with engine.Engine.open(tmp_path / "ix") as e:
        def ids(q):
            return [h.doc.id for h in e.search(q, limit=5).hits]
        assert "PRB-1-167841" in ids("author:cruysmans achterstallige")  # an oral question: row only, in Dutch
        assert ids("recyclage métaux critiques")[0] == "PRB-1-167816"  # found by its title
        assert ids("Expat Welcome Desk") == ["PRB-1-167744"]  # a page's answer
        assert "PRB-1-167852" in ids("Tekst vraag 167852")  # a Dutch page's text


# --------------------------------------------------------------------------------------- CLI


def test_cli_fetch_command(served, tmp_path):
    from click.testing import CliRunner

    from parlsearch.search.cli.fetch import fetch_command

    site, url = served
    runner = CliRunner()
    result = runner.invoke(fetch_command, ["--cache", str(tmp_path), "--base-url", url, "--delay", "0",
                                           "--lang", "fr", "--type", "written", "--limit", "5", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "5 new, 0 changed, 0 unchanged" in result.output
    assert len(list((tmp_path / "pages").iterdir())) == 5

    result = runner.invoke(fetch_command, ["--cache", str(tmp_path), "--base-url", url, "--legislature", "24/30"])
    assert result.exit_code == 2 and "legislature" in result.output

    site.script("index", [Reply(status=500)] * 3)
    result = runner.invoke(fetch_command, ["--cache", str(tmp_path), "--base-url", url, "--delay", "0",
                                           "--retries", "1", "--backoff", "0"])
    assert result.exit_code == 2 and "unavailable" in result.output


def test_cli_update_index_flag_updates_the_index(served, tmp_path):
    from click.testing import CliRunner

    from parlsearch.search.cli.fetch import fetch_command
    from parlsearch.search.engine.core import Engine

    site, url = served
    result = CliRunner().invoke(fetch_command, ["--cache", str(tmp_path / "c"), "--base-url", url, "--delay", "0",
                                                "--limit", "1", "--update-index", "--index", str(tmp_path / "ix")])
    assert result.exit_code == 0, result.output
    assert "51 new, 0 updated, 0 unchanged documents" in result.output
    with Engine.open(tmp_path / "ix") as engine:
        assert engine.get("PRB-1-167744") is not None


# --------------------------------------------------------------------------------------- the HTTP client
# Regression tests of issue 10 (connection reuse, Retry-After dates) and issue 11 (items 3, 7, 11, 15, 16).


def test_one_connection_is_kept_alive_for_the_whole_fetch(served, tmp_path):
    site, url = served
    summary = run(tmp_path, url, lang="fr")
    assert summary.new == 51 and summary.requests == 52
    assert site.connections == 1 and summary.connections == 1  # urllib opened 52


def test_a_connection_closed_by_the_server_is_reopened(served, tmp_path):
    site, url = served
    newest(site, "171001")
    newest(site, "171002", "Question écrite concernant un second sujet")
    site.script("1-171002.fr", [Reply(no_length=True)])  # answered with "Connection: close"
    summary = run(tmp_path, url, lang="fr", limit=2)
    assert summary.new == 2 and summary.failed == 0 and summary.requests == 3
    assert site.connections == 2


@pytest.mark.parametrize("where", ["body", "headers"])
def test_a_dripping_server_cannot_outlast_the_total_deadline(served, tmp_path, where):
    """Issue 11 item 11: one byte every 5 ms never trips a socket timeout; the request's deadline holds."""
    site, url = served
    newest(site, "171001")
    site.script("1-171001.fr", [Reply(drip=where)])
    try:
        summary = run(tmp_path, url, lang="fr", limit=1, timeout=0.5, retries=0)
        finished_first = site.drip_done.is_set()
    finally:
        site.stop_drip.set()
    assert site.drip_started.is_set()
    assert not finished_first  # the client gave up while the server was still dripping
    assert summary.failed == 1 and "timed out" in summary.failures[0][1]


def _waits(**kw):
    waits = []
    return waits, dict(kw, sleep=waits.append)


def test_retry_after_in_seconds_and_as_an_http_date(served, tmp_path):
    import email.utils

    site, url = served
    newest(site, "171001")
    newest(site, "171002", "Question écrite concernant un second sujet")
    site.script("1-171002.fr", [Reply(status=503, headers=(("Retry-After", "7"),))])
    when = email.utils.formatdate(time.time() + 40, usegmt=True)
    site.script("1-171001.fr", [Reply(status=429, headers=(("Retry-After", when),))])
    waits, options = _waits(backoff=0.01)
    summary = run(tmp_path, url, lang="fr", limit=2, **options)
    assert summary.new == 2 and summary.failed == 0
    long_waits = sorted(w for w in waits if w > 1)
    assert len(long_waits) == 2
    assert long_waits[0] == pytest.approx(7)
    assert 35 <= long_waits[1] <= 40  # the date, less the seconds the test took to get there


def test_retry_after_parsing():
    from parlsearch.corpus.httpclient import retry_after

    now = 1_800_000_000.0
    assert retry_after("120", now) == 120
    assert retry_after("Wed, 15 Jan 2027 08:00:30 GMT", 1_800_000_000.0) > 0
    assert retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now) == 0  # in the past: no wait
    assert retry_after("soon", now) is None and retry_after("", now) is None and retry_after("-5", now) is None


def test_redirects_to_another_port_or_scheme_are_not_followed(served, tmp_path):
    """Issue 11 item 16: the same host on another port is another site."""
    site, url = served
    other = FakeSite()
    with other.running() as other_url:
        port = other_url.rsplit(":", 1)[1]
        newest(site, "171001")
        newest(site, "171002", "Question écrite concernant un second sujet")
        site.script("1-171001.fr", [Reply(status=302, headers=(
            ("Location", "http://127.0.0.1:%s/internal-admin?secret=1" % port),))])
        site.script("1-171002.fr", [Reply(status=301, headers=(
            ("Location", url.replace("http:", "https:") + "/weblex-quest-det/?moncode=171002&base=1"),))])
        summary = run(tmp_path, url, lang="fr", limit=2)
    assert other.requests == []
    assert summary.failed == 2 and all("another site" in reason for _, reason in summary.failures)


def _bad_rows_site(site):
    good = row("171001", title="Question écrite concernant un sujet tout frais", date="01/12/2026")
    sup = [c.replace("moncode=171002", "moncode=²") for c in row("171002", title="Question écrite concernant B")]
    huge = [c.replace("moncode=171003", "moncode=" + "9" * 5000) for c in row("171003", title="Question écrite "
                                                                                   "concernant C")]
    base = [c.replace("base=1", "base=²") for c in row("171004", title="Question écrite concernant D")]
    site.rows[:0] = [good, sup, huge, base]


def test_a_malformed_listing_row_is_skipped_with_its_number(served, tmp_path):
    """Issue 11 item 3 (fetch): moncode or base "²", 5,000 digits: that row only, with its number."""
    site, url = served
    _bad_rows_site(site)
    summary = run(tmp_path, url, lang="fr", types="written")
    assert summary.new == 15 and summary.failed == 0 and summary.index_rows == 52
    assert [(slug, number) for slug, number, _ in summary.bad_rows] == [("24-29", 2), ("24-29", 3), ("24-29", 4)]
    assert all(reason for _, _, reason in summary.bad_rows)
    assert "3 unreadable index rows skipped" in str(summary)


def _cli(*args):
    from click.testing import CliRunner

    from parlsearch.search.cli.fetch import fetch_command

    return CliRunner().invoke(fetch_command, ["--delay", "0", "--backoff", "0", "--no-progress", *args])


def test_cli_reports_malformed_rows_and_goes_on(served, tmp_path):
    site, url = served
    _bad_rows_site(site)
    result = _cli("--cache", str(tmp_path), "--base-url", url, "--lang", "fr", "--limit", "1")
    assert result.exit_code == 0, result.output
    assert "skipped: index 24-29, row 2:" in result.stderr and "row 4:" in result.stderr
    assert "1 new" in result.stdout and "Traceback" not in result.output


def test_cli_exit_status_3_when_pages_failed(served, tmp_path):
    """Issue 11 item 15 (fetch): a partial failure has its own status; the failures are listed."""
    site, url = served
    site.script("1-167852.fr", [Reply(status=404)])
    written = ("--cache", str(tmp_path), "--base-url", url, "--lang", "fr", "--type", "written")
    result = _cli(*written)
    assert result.exit_code == 3, result.output
    assert "failed: %s/weblex-quest-det/?moncode=167852&base=1: HTTP 404" % url in result.stderr
    assert "13 new" in result.stdout and "1 failed" in result.stdout
    assert _cli(*written).exit_code == 0  # then it comes


def test_cli_sanitises_the_servers_reason_phrase(served, tmp_path):
    """Issue 11 item 7 (fetch): the reason phrase is the server's text; it reaches the terminal inert."""
    site, url = served
    site.script("1-167852.fr", [Reply(status=404, reason="Gone\x1b]0;PWNED\x07\x1b[2J\x1b]52;c;ZXZpbA==\x07")])
    result = _cli("--cache", str(tmp_path), "--base-url", url, "--lang", "fr", "--type", "written")
    assert result.exit_code == 3
    assert "HTTP 404 Gone" in result.stderr
    assert "\x1b" not in result.output and "\x07" not in result.output


def test_cli_errors_follow_the_contract(served, tmp_path):
    site, url = served
    for args in (["--legislature", "2024-2026"], ["--base-url", "ftp://example.invalid"]):
        result = _cli("--cache", str(tmp_path), *args)
        assert result.exit_code == 2
        assert result.stderr.startswith("parlsearch: error: ") and result.stderr.count("\n") == 1
    site.script("index", [Reply(status=500, reason="Oops\x1b[2J")] * 2)
    result = _cli("--cache", str(tmp_path), "--base-url", url, "--retries", "1")
    assert result.exit_code == 2 and result.stderr.startswith("parlsearch: error: index 24-29 unavailable")
    assert "\x1b" not in result.stderr


def test_cli_ctrl_c_exits_130_and_says_the_cache_is_intact(served, tmp_path, monkeypatch):
    site, url = served
    calls = []
    original = sync.Fetcher._fetch_page

    def interrupted(self, task):
        calls.append(task)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(self, task)

    monkeypatch.setattr(sync.Fetcher, "_fetch_page", interrupted)
    result = _cli("--cache", str(tmp_path), "--base-url", url, "--lang", "fr")
    assert result.exit_code == 130
    assert "2 new" in result.stdout and "interrupted" in result.stderr and "intact" in result.stderr


def test_cli_progress_shows_phases_on_a_terminal_only(served, tmp_path):
    site, url = served
    quiet = _cli("--cache", str(tmp_path / "a"), "--base-url", url, "--lang", "fr", "--limit", "2")
    assert quiet.stderr == ""  # piped: only the summary, on stdout
    shown = _cli("--cache", str(tmp_path / "b"), "--base-url", url, "--lang", "fr", "--limit", "2", "--progress")
    # Forced on into a pipe: the phases' summary lines (search/cli/progress.py), never a line redrawn in place.
    assert "listing legislature 24-29: 51 questions in " in shown.stderr and "2 pages to download" in shown.stderr
    assert "fetching: 2 pages in " in shown.stderr and "\r" not in shown.stderr
    assert _cli("--cache", str(tmp_path / "c"), "--base-url", url, "--limit", "1", "--progress", "-q").stderr == ""


# --------------------------------------------------------------------------------------- one section scanner


def test_the_cache_finds_sections_with_the_page_readers_scanner():
    from parlsearch.corpus.weblex import section_span

    page = ('<html><!-- <section id="weblex-quest-det-nl">old</section> --><body>'
            '<section id="weblex-quest-det-fr"><section>x</section>Q</section>'
            '<script>"<section id=\'weblex-quest-det-nl\'>"</script>'
            '<section id="weblex-quest-det-nl">V</section></body></html>')
    s, e, lang = section_span(page, "fr")
    assert lang == "fr" and page[s:e] == '<section id="weblex-quest-det-fr"><section>x</section>Q</section>'
    s, e, lang = section_span(page, "nl")  # not the one in the comment, nor the one in the script
    assert lang == "nl" and page[s:e] == '<section id="weblex-quest-det-nl">V</section>'
    assert section_span("<html><body>Maintenance</body></html>") is None
    s, e, lang = section_span('<section id="weblex-quest-det-fr">cut')  # unclosed: to the end
    assert (s, lang) == (0, "fr") and e == len('<section id="weblex-quest-det-fr">cut')


@given(st.text(max_size=200), st.text(max_size=200))
def test_dutch_section_splice_round_trips(page, section):
    from parlsearch.corpus.cache import NL_BLOCK_END, NL_BLOCK_START

    assume(NL_BLOCK_START not in page + section and NL_BLOCK_END not in page + section)
    assert split_nl_section(with_nl_section(page, section)) == (page, section)


# --------------------------------------------------------------------------------------- the assembly seam


class ToyAssembly:
    """A made-up assembly with its own listing and page formats: the fetcher needs nothing else."""

    code = "TOY"
    name = "Toy Parliament"
    short_name = "Toy"
    label_fr = "Parlement jouet"
    aliases = ("toy-parliament",)
    site = "https://toy.invalid"
    official_hosts = ("toy.invalid",)
    min_delay = 2.0
    langs = ("fr", "nl")
    default_legislature = "2025"
    types = {"written_question": "w", "oral_question": "o"}
    type_labels = {"written_question": "Written question", "oral_question": "Oral question"}
    type_filters = {"written": frozenset({"written_question"}), "all": frozenset()}

    @dataclasses.dataclass(frozen=True)
    class Row:
        key: str
        type: str
        date_received: str
        signature: str

    def make_id(self, *, base, moncode, legislature, type_, number):
        return "TOY-%s" % moncode

    def document_id_of(self, text):
        return "TOY-%s" % text.rsplit("/", 1)[1] if text.startswith("https://toy.invalid/q/") else None

    def read_record(self, record, source=None, warnings=None):
        return None

    def describe_identifier(self, official_id):
        return None

    def legislature_slug(self, value):
        if not str(value).isdigit():
            raise ValueError("not a toy legislature: %r" % value)
        return str(value)

    def listing_path(self, slug):
        return "/toy/%s.json" % slug

    def listing_file(self, slug):
        return "toy-%s.json" % slug

    def read_listing(self, body):
        return [(n, self.Row(**r)) for n, r in enumerate(json.loads(body)["items"], 1)]

    def page_path(self, row, lang):
        return "/toy/page/%s.%s" % (row.key, lang)

    def read_page(self, body, charset, source, lang):
        text = body.decode("utf-8")
        return text, self.page_status(text, source, lang)

    def page_status(self, text, source, lang):
        return "answered" if "<answer>" in text else "unanswered"

    def section_span(self, text, lang=None):
        start = text.find("<q>")
        return (start, text.find("</q>") + 4, lang or "fr") if start >= 0 else None

    def section_text(self, text, lang):
        span = self.section_span(text, lang)
        return text[span[0]:span[1]] if span else ""


def test_another_assembly_is_one_class_behind_the_interface(tmp_path, monkeypatch):
    import http.server
    import threading

    from parlsearch.corpus import assembly

    toy = ToyAssembly()
    assert isinstance(toy, assembly.Assembly)
    monkeypatch.setitem(assembly._REGISTRY, "TOY", toy)
    assert assembly.get_assembly("toy") is toy and "TOY" in assembly.known_codes()
    assert assembly.assembly_code("Toy-Parliament") == "TOY"
    assert assembly.document_id_of("https://toy.invalid/q/7") == "TOY-7"
    with pytest.raises(KeyError, match="unknown assembly 'XYZ'"):
        assembly.get_assembly("XYZ")
    items = [dict(key="1-%d" % n, type="written_question", date_received="2025-0%d-01" % n, signature="s")
             for n in (1, 2)]
    files = {"/toy/2025.json": json.dumps({"items": items}).encode()}
    for n in (1, 2):
        for lang in ("fr", "nl"):
            files["/toy/page/1-%d.%s" % (n, lang)] = (
                "<html><body><q>%s %d</q>%s</body></html>" % (lang, n, "<answer>" if n == 1 else "")).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def do_GET(self):
            body = files.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        url = "http://127.0.0.1:%d" % server.server_address[1]
        summary = sync.Fetcher(tmp_path, assembly="TOY", base_url=url, **FAST).run()
    finally:
        server.shutdown()
        server.server_close()
    assert summary.ok and summary.new == 4 and summary.legislatures == ["2025"]
    assert (tmp_path / "index" / "toy-2025.json").exists()
    page = (tmp_path / "pages" / "1-1.fr.html").read_text()
    assert split_nl_section(page) == ("<html><body><q>fr 1</q><answer></body></html>", "<q>nl 1</q>")
    states = {json.loads(l)["page"]: json.loads(l)["status"]
              for l in (tmp_path / ".state" / "pages.jsonl").read_text().splitlines()}
    assert states == {"1-1.fr": "answered", "1-1.nl": "answered", "1-2.fr": "unanswered", "1-2.nl": "unanswered"}


def test_fetch_as_a_real_process_partial_failure(served, tmp_path):
    """The installed command end to end: piped, so no progress; problems on stderr, exit status 3."""
    site, url = served
    site.script("1-167852.fr", [Reply(status=404)])
    done = subprocess.run([sys.executable, "-m", "parlsearch", "fetch", "--cache", str(tmp_path), "--base-url", url,
                           "--delay", "0", "--lang", "fr", "--type", "written"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert done.stdout.startswith(str(tmp_path)) and "13 new" in done.stdout and "1 failed" in done.stdout
    assert done.stderr.splitlines() == ["failed: %s/weblex-quest-det/?moncode=167852&base=1: HTTP 404 Not Found"
                                        % url]


def test_fetch_summary_agrees_in_number():
    """Issue 11 item 19: "1 requests" read wrong."""
    from parlsearch.corpus.sync import FetchSummary
    assert "(1 index row, 1 request," in str(FetchSummary(index_rows=1, requests=1))
    assert "(2 index rows, 0 requests," in str(FetchSummary(index_rows=2, requests=0))
