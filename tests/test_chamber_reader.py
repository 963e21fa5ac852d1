"""The Chamber's written questions of 2020 read from the real file (corpus/chamber.py, corpus/reader.py's
gzip reading): every record, its identifier parsed, both languages in one document, a damaged line alone
rejected."""
import gzip
import json
import re
from collections import Counter

import pytest

from parlsearch.corpus import chamber
from parlsearch.corpus.assembly import UNKNOWN, assembly_code, document_id_of, get_assembly
from parlsearch.corpus.reader import read_paths
from parlsearch.corpus.text import clean_text

DATASET = chamber.dataset_path()
RECORDS = 6059


@pytest.fixture(scope="module")
def lines():
    with gzip.open(DATASET, "rb") as f:
        return f.read().splitlines()


@pytest.fixture(scope="module")
def read(tmp_path_factory, lines):
    """The dataset read as `parlsearch index` reads it (from the repository's .gz)."""
    return read_paths([DATASET])


def test_every_record_is_one_document(read, lines):
    assert len(lines) == RECORDS
    assert not read.problems and read.duplicates == 0
    ids = [d.id for d in read.documents]
    assert len(ids) == len(set(ids)) == RECORDS


def test_ids_and_identifiers_as_published(read, lines):
    by_uri = {json.loads(line)["uri"]: json.loads(line) for line in lines}
    for doc in read.documents:
        record = by_uri[doc.official_id]
        key = record["uri"].rsplit("/", 1)[1]
        assert doc.id == "CHAMBER-" + key and doc.assembly == "CHAMBER"
        assert chamber.document_id_of(record["uri"]) == chamber.document_id_of(key) == doc.id
        parts = chamber.parse_identifier(record["uri"])
        assert {name: parts[name] for name in chamber.PARTS} == {name: record[name] for name in chamber.PARTS}
        assert doc.number == int(record["number"]) and doc.legislature == "55"
        assert (doc.question, doc.question_nl) == (clean_text(record["text_fr"]), clean_text(record["text_nl"]))
    assert Counter(d.session for d in read.documents) == {"19/20": 4275, "20/21": 1775, "0000-2019": 9}
    assert sum(1 for d in read.documents if "--" in d.id) == 125  # published without a bulletin


def test_both_languages_in_one_document_and_what_is_missing_stays_missing(read):
    doc = next(d for d in read.documents if d.id == "CHAMBER-55-B034-2-0136-2020202107205")
    assert doc.question.startswith("Les entreprises au sein desquelles un système de travail de nuit")
    assert doc.question_nl.startswith("Er zijn verminderingen van de bedrijfsvoorheffing")
    assert "précompte professionnel.Cette réduction" in doc.question  # the text as published
    assert doc.title_derived and doc.title == doc.subject == (
        "Les entreprises au sein desquelles un système de travail de nuit et de travail en équipe est organisé "
        "bénéficient d'une réduction du précompte professionnel.")
    assert doc.title_nl.startswith("Er zijn verminderingen") and doc.title_nl.endswith("georganiseerd.")
    assert (doc.author, doc.minister, doc.recipient, doc.date_received, doc.date_answered, doc.answer) == (None,) * 6
    assert doc.status == UNKNOWN and doc.moncode is None and doc.url is None
    assert doc.official_id == "http://data.dekamer.be/v0/qrva/55-B034-2-0136-2020202107205"
    assert all(d.question and d.question_nl and d.title_derived for d in read.documents)


def test_the_file_as_it_is_published(tmp_path, lines):
    """`parlsearch index FILE` takes the file exactly as in ../shared/corpus/ (uncompressed JSON Lines)."""
    raw = tmp_path / "chamber-written-questions-2020.jsonl"
    raw.write_bytes(b"\n".join(lines) + b"\n")
    result = read_paths([raw])
    assert len(result.documents) == RECORDS and not result.problems


def test_a_damaged_line_is_rejected_alone(tmp_path, lines):
    bad = list(lines[:50])
    bad[9] = bad[9][: len(bad[9]) // 2]  # cut short: not JSON
    record = json.loads(bad[19])
    record["uri"] = "http://example.org/qrva/1"  # not the Chamber's
    bad[19] = json.dumps(record).encode()
    record = json.loads(bad[29])
    record["text_fr"] = record["text_nl"] = ""  # no text
    bad[29] = json.dumps(record).encode()
    record = json.loads(bad[39])
    record["number"] = "0999"  # disagrees with the identifier: kept, with a warning
    bad[39] = json.dumps(record).encode()
    path = tmp_path / "damaged.jsonl"
    path.write_bytes(b"\n".join(bad) + b"\n")
    result = read_paths([path])
    assert len(result.documents) == 47
    rejected = {(p.record, p.reason.split(":")[0]) for p in result.rejected}
    assert rejected == {(10, "invalid JSON"), (20, "uri is not an identifier of the Chamber's written questions "
                                                   "(http"), (30, "record has no question text (text_fr and "
                                                                  "text_nl are empty)")}
    (warning,) = [p for p in result.problems if not p.rejected]
    assert warning.record == 40 and "number" in warning.reason and "0999" in warning.reason


@pytest.mark.parametrize("change, reason", [
    ({"uri": 5}, "uri is not text"),
    ({"text_fr": ["a"]}, "text_fr is not text"),
    ({"bulletin": "B\x1b[31m"}, "bulletin contains the control or format character U+001B"),
    ({"uri": "http://data.dekamer.be/v0/qrva/../../etc"}, "uri is not an identifier"),
])
def test_bad_fields_are_named(tmp_path, lines, change, reason):
    record = dict(json.loads(lines[0]), **change)
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(record) + "\n" + lines[1].decode() + "\n", encoding="utf-8")
    result = read_paths([path])
    assert len(result.documents) == 1
    assert [p.reason for p in result.rejected][0].startswith(reason)


def test_an_exported_document_reads_back_the_same(tmp_path, read):
    """`show --json`/`search --jsonl` output indexed again: the same document (derived titles stay derived,
    the status stays unknown, the identifier is kept)."""
    docs = read.documents[:20]
    path = tmp_path / "export.jsonl"
    path.write_text("".join(json.dumps(d.to_dict(), ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    again = {d.id: d for d in read_paths([path]).documents}
    for doc in docs:
        assert again[doc.id].to_dict() == dict(doc.to_dict(), source=str(path))


# -- gzip, transparently and boundedly -----------------------------------------------------------------

@pytest.fixture
def small_gzip(lines):
    """The first 600 records, compressed as the shipped file is."""
    return gzip.compress(b"\n".join(lines[:600]) + b"\n", mtime=0)


def test_a_cut_short_gzip_keeps_what_was_read(tmp_path, small_gzip):
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(small_gzip[: len(small_gzip) // 2])
    result = read_paths([path])
    assert 100 < len(result.documents) < 600
    (problem,) = result.problems
    assert problem.reason == "the compressed data is cut short after %d documents: the rest is not read" % \
        len(result.documents)


def test_damaged_gzip_data_is_reported(tmp_path, small_gzip):
    data = bytearray(small_gzip)
    data[len(data) // 2: len(data) // 2 + 64] = bytes(64)
    path = tmp_path / "damaged.jsonl.gz"
    path.write_bytes(bytes(data))
    result = read_paths([path])
    assert len(result.documents) < 600
    assert re.match(r"the compressed data is (damaged|cut short)", result.problems[-1].reason)


def test_a_gzip_is_read_by_its_content_and_bounded(tmp_path, monkeypatch):
    """Whatever its name, a gzip file is decompressed; what it decompresses to is bounded as the file it
    holds would be (a gzip bomb stops at the limit)."""
    from parlsearch.corpus import reader
    record = {"titre": "Question écrite concernant le tram", "question": "Quand le tram 55 reviendra-t-il ?"}
    path = tmp_path / "export.bin"
    path.write_bytes(gzip.compress((json.dumps(record) + "\n").encode() * 3 + b"\n" * 5_000_000))
    assert len(read_paths([path]).documents) == 1  # three readings of one question, merged
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 1_000_000)
    result = read_paths([path])
    assert result.problems[-1].reason == "decompressed past the size limit while read (0 MB): the rest is not read"


# -- the assembly ----------------------------------------------------------------------------------------

def test_the_chamber_behind_the_assembly_interface():
    from parlsearch.corpus.assembly import Assembly
    c = get_assembly("chamber")
    assert isinstance(c, Assembly) and c.code == "CHAMBER" and "data.dekamer.be" in c.official_hosts
    assert assembly_code("Kamer") == assembly_code("CHAMBER") == "CHAMBER"
    assert assembly_code("brussels") == "PRB"
    with pytest.raises(ValueError, match="unknown assembly 'senate'"):
        assembly_code("senate")
    assert document_id_of("https://data.dekamer.be/v0/qrva/55--3-0158-2020202107112") == \
        "CHAMBER-55--3-0158-2020202107112"
    assert document_id_of("https://www.parlement.brussels/weblex-quest-det/?moncode=170312&base=1") == \
        "PRB-1-170312"
    assert document_id_of("https://example.org/v0/qrva/55-B034-2-0136-2020202107205") is None
    assert c.describe_identifier("http://data.dekamer.be/v0/qrva/55-B034-2-0136-2020202107205") == \
        "legislature 55, bulletin B034, part 2, number 0136, session 2020-2021, sequence 07205"


def test_fetching_the_chamber_says_it_is_not_available(tmp_path):
    from parlsearch.corpus import sync
    with pytest.raises(NotImplementedError, match="not available: index its JSON Lines records"):
        sync.Fetcher(tmp_path, assembly="CHAMBER").run()
