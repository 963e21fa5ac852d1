"""Issue 11, reader items: one bad record never costs the others (3), no merging of questions without a
number (4), per-record decoding (5), nothing silent when walking inputs (6), only regular files (9), memory
bounded whatever the input (10), identifiers validated when read (7)."""
from __future__ import annotations

import io
import json
import os
import threading

import pytest

from parlsearch.corpus import bundled_corpus, read_paths
from parlsearch.corpus import jsonstream
from parlsearch.corpus.jsonstream import iter_json_values
from parlsearch.corpus.model import Document
from parlsearch.corpus.text import Utf8Decoder

from helpers import corpus_records


def _records(n=6) -> list[dict]:
    return corpus_records()[:n]


def _row(moncode: str, base: str = "1", title: str = "Question écrite concernant X", assembly: str = "PRB"):
    link = '<a href="/weblex-quest-det/?moncode=%s&amp;montitre=&amp;base=%s">fiche</a>' % (moncode, base)
    return [assembly, "BHP", link, link.replace("fiche", "nl"), "24/29", "01/09/2026", "question écrite",
            "schriftelijke vraag", title, "", "Jane Doe", "John Roe - Ministre", "", "", "", "1"]


def _summary(result):
    return len(result.documents), sorted((p.record, p.rejected) for p in result.problems)


# ----------------------------------------------------------------------------------------------- item 3

@pytest.mark.parametrize("bad", ["²", "٣", "1" * 5000, "12a", -1, 10 ** 40, True])
def test_a_bad_base_rejects_only_its_record_in_jsonl_and_json(tmp_path, bad):
    records = _records()
    records[1]["base"] = bad
    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    listed = tmp_path / "r.json"
    listed.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    wrapped = tmp_path / "w.json"
    wrapped.write_text(json.dumps({"source": "x", "questions": records}, ensure_ascii=False), encoding="utf-8")
    for path in (jsonl, listed, wrapped):
        result = read_paths([path])
        assert _summary(result) == (5, [(2, True)]), (path.name, result.problems)
        (problem,) = result.problems
        assert "base" in problem.reason and "\n" not in problem.reason


@pytest.mark.parametrize("moncode, base", [("²", "1"), ("1" * 5000, "1"), ("1001", "²"), ("1001", "9" * 5000)])
def test_a_bad_number_in_a_listing_rejects_only_its_row(tmp_path, moncode, base):
    rows = [_row("1000"), _row(moncode, base), _row("1002"), _row("1003")]
    path = tmp_path / "dos_qu_legis_24-29.json"
    path.write_text(json.dumps({"data": rows}), encoding="utf-8")
    result = read_paths([path])
    assert _summary(result) == (3, [(2, True)])
    assert {d.id for d in result.documents} == {"PRB-1-1000", "PRB-1-1002", "PRB-1-1003"}


def test_parse_row_raises_only_row_error_on_bad_numbers():
    from parlsearch.corpus.weblex_index import RowError, parse_row
    for moncode, base in [("²", "1"), ("1" * 5000, "1"), ("1", "²"), ("1", "1" * 5000)]:
        with pytest.raises(RowError):
            parse_row(_row(moncode, base))
    assert parse_row(_row("0042", "2")).doc_id == "PRB-2-42"


# ----------------------------------------------------------------------------------------------- item 4

def test_questions_without_number_are_never_merged(tmp_path):
    base = {"legislature": "2024-2029", "type": "question_ecrite", "auteur": "A. Auteur"}
    records = [dict(base, titre="Question écrite concernant le sujet %d" % i, question="Texte distinct %d" % i)
               for i in range(4)]
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    result = read_paths([path])
    assert len(result.documents) == 4 and result.duplicates == 0 and result.problems == []
    ids = sorted(d.id for d in result.documents)
    assert all(i.startswith("PRB-2024-2029-qe-h") for i in ids) and len(set(ids)) == 4
    # Stable: the same content gives the same id on another run, and a second reading merges into it.
    again = tmp_path / "again.jsonl"
    again.write_text(json.dumps(records[0], ensure_ascii=False) + "\n", encoding="utf-8")
    both = read_paths([path, again])
    assert len(both.documents) == 4 and both.duplicates == 1
    assert sorted(d.id for d in both.documents) == ids


def test_official_numbers_still_make_the_id():
    doc = Document.create(title="T", question="Q", legislature="2024-2029", number="QE 12")
    assert doc.id == "PRB-2024-2029-qe-12"
    assert Document.create(title="T", question="Q", moncode="170312", base="2").id == "PRB-2-170312"


# ----------------------------------------------------------------------------------------------- item 5

def test_one_stray_cp1252_byte_keeps_the_utf8_text_of_the_file(tmp_path):
    records = _records(3)
    lines = [json.dumps(r, ensure_ascii=False).encode("utf-8") for r in records]
    lines[1] = lines[1].replace(b'"auteur": "', b'"auteur": "Ren\xe9 ', 1)  # one cp1252 "é"
    listed = tmp_path / "list.json"
    listed.write_bytes(b"[" + b",\n".join(lines) + b"]")
    jsonl = tmp_path / "lines.jsonl"
    jsonl.write_bytes(b"\n".join(lines) + b"\n")
    for path in (listed, jsonl):
        result = read_paths([path])
        assert len(result.documents) == 3
        titles = {d.title for d in result.documents}
        assert titles == {r["titre"] for r in records}, "UTF-8 text decoded as cp1252 (mojibake)"
        assert not any("Ã" in d.title + d.question for d in result.documents)
        assert any(d.author.startswith("René ") for d in result.documents)
        (warning,) = result.problems
        assert not warning.rejected and "line 2" in warning.reason and "cp1252" in warning.reason


def test_a_text_page_with_a_stray_byte_keeps_its_utf8(tmp_path):
    seed = (bundled_corpus() / "text" / "question-1263-cite-des-metiers.txt").read_bytes()
    head, _, tail = seed.partition(b"\n")
    path = tmp_path / "page.txt"
    path.write_bytes(head + b"\n\x93citation\x94\n" + tail)
    result = read_paths([path])
    (doc,) = result.documents
    assert "Ã" not in doc.title + doc.question
    assert [p.reason for p in result.problems if "cp1252" in p.reason] and not result.rejected


def test_a_whole_cp1252_file_reads_right_without_a_warning(tmp_path):
    path = tmp_path / "cp.json"
    path.write_bytes(json.dumps(_records(2), ensure_ascii=False).encode("cp1252", errors="replace"))
    result = read_paths([path])
    assert len(result.documents) == 2 and result.problems == []
    assert {d.title for d in result.documents} == {r["titre"] for r in _records(2)}


def test_utf8_split_across_chunks_is_not_a_fallback():
    data = ("é" * 10 + "\n").encode() * 3
    decoder = Utf8Decoder()
    text = "".join(decoder.decode(data[i:i + 1]) for i in range(len(data))) + decoder.decode(b"", final=True)
    assert text == data.decode() and decoder.warning() is None


# ----------------------------------------------------------------------------------------------- item 6

def _corpus_dir(path):
    path.mkdir(parents=True)
    (path / "q.json").write_text(json.dumps(_records(2), ensure_ascii=False), encoding="utf-8")
    return path


def test_an_unreadable_subdirectory_is_reported(tmp_path, monkeypatch):
    root = tmp_path / "in"
    _corpus_dir(root / "ok")
    locked = _corpus_dir(root / "locked")
    real_scandir = os.scandir

    def scandir(path):  # chmod 000 does not stop root, who runs CI containers
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = read_paths([root])
    assert len(result.documents) == 2
    (problem,) = result.problems
    assert problem.path == str(locked) and "Permission denied" in problem.reason


def test_symlinked_directories_are_followed_and_loops_reported(tmp_path):
    root = tmp_path / "in"
    root.mkdir()
    elsewhere = _corpus_dir(tmp_path / "elsewhere")
    (root / "linked").symlink_to(elsewhere, target_is_directory=True)
    (elsewhere / "loop").symlink_to(root, target_is_directory=True)
    (root / "dangling").symlink_to(tmp_path / "nothing")
    result = read_paths([root])
    assert len(result.documents) == 2
    reasons = sorted(p.reason for p in result.problems)
    assert len(reasons) == 2
    assert "broken symbolic link" in reasons[0] and "already read" in reasons[1]


# ----------------------------------------------------------------------------------------------- item 9

def _read_in_thread(paths):
    """read_paths in a thread; a reader blocked on a FIFO is released (by opening its other end) and
    reported as a failure instead of hanging the suite."""
    out = {}
    worker = threading.Thread(target=lambda: out.update(result=read_paths(paths)), daemon=True)
    worker.start()
    worker.join(timeout=60)
    return worker, out


def test_a_fifo_in_an_input_directory_is_reported_not_opened(tmp_path):
    root = _corpus_dir(tmp_path / "in")
    fifo = root / "z.json"
    os.mkfifo(fifo)
    worker, out = _read_in_thread([root])
    if worker.is_alive():
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        worker.join()
        pytest.fail("the reader blocked on a FIFO")
    result = out["result"]
    assert len(result.documents) == 2
    (problem,) = result.problems
    assert problem.path == str(fifo) and "FIFO" in problem.reason and problem.rejected


def test_a_device_as_input_path_is_reported_not_read(tmp_path):
    for device in ("/dev/zero", "/dev/null"):
        if not os.path.exists(device):
            pytest.skip("no %s" % device)
        result = read_paths([device])
        (problem,) = result.problems
        assert problem.path == device and "character device" in problem.reason


def test_a_file_that_grows_while_read_is_read_no_further_than_the_limit(tmp_path, monkeypatch):
    import parlsearch.corpus.reader as reader
    path = tmp_path / "r.jsonl"
    line = json.dumps(_records(1)[0], ensure_ascii=False).encode() + b"\n"
    path.write_bytes(line * 3)
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", len(line) * 3)  # the size checked at open
    from parlsearch.corpus import inputs
    real = inputs.open_regular

    def grown(p):
        f, size = real(p)
        with open(p, "ab") as out:  # the file grows after its size was checked
            out.write(line * 50)
        return f, size

    monkeypatch.setattr(inputs, "open_regular", grown)
    result = read_paths([path])
    assert len(result.documents) == 1  # three readings of one question, nothing past the limit
    assert result.duplicates == 2
    assert any("grew past the size limit" in p.reason for p in result.problems)


# ---------------------------------------------------------------------------------------------- item 10

def _big_json(n: int) -> bytes:
    rec = lambda i: {"moncode": str(100000 + i), "titre": "Q %d" % i, "question": "texte %d" % i}  # noqa: E731
    return json.dumps({"questions": [rec(i) for i in range(n)]}).encode()


def test_json_is_read_in_a_bounded_window_whatever_its_size():
    """Memory is bounded by counting: the characters held at once do not grow with the file."""
    held = []
    for n in (1_000, 20_000):
        data = _big_json(n)
        window = jsonstream._Window(io.BytesIO(data), Utf8Decoder(), chunk_bytes=4096)
        count = sum(1 for kind, _, _ in iter_json_values(None, window=window) if kind == "questions")
        assert count == n
        held.append(window.max_buffered)
    assert len(_big_json(20_000)) > 100 * held[1]
    assert held[0] <= 2 * 4096 + 100 and held[1] <= 2 * 4096 + 100


def test_a_record_larger_than_the_window_is_read_and_one_over_the_limit_is_reported(monkeypatch):
    monkeypatch.setattr(jsonstream, "MAX_VALUE_CHARS", 50_000)
    records = [{"titre": "a", "question": "x" * 20_000}, {"titre": "b", "question": "y" * 60_000},
               {"titre": "c", "question": "z"}]
    window = jsonstream._Window(io.BytesIO(json.dumps(records).encode()), Utf8Decoder(), chunk_bytes=1000)
    got = []
    with pytest.raises(jsonstream.JsonStreamError) as e:
        for kind, number, value in iter_json_values(None, window=window):
            got.append(number)
    assert got == [0, 1] and e.value.number == 2 and "longer than" in str(e.value)
    assert window.max_buffered < 2 * 50_000 + 1000


def test_numbers_cut_at_a_chunk_boundary_are_read_whole():
    data = b"[" + b",".join(b"123456789" for _ in range(50)) + b"]"
    for chunk in (1, 2, 3, 7):
        window = jsonstream._Window(io.BytesIO(data), Utf8Decoder(), chunk_bytes=chunk)
        values = [v for _, _, v in iter_json_values(None, window=window)]
        assert values == ["list"] + [123456789] * 50  # the "begin" marker, then the numbers


@pytest.mark.parametrize("text, documents, problem", [
    ('[]', 0, None),
    ('{"questions": []}', 0, None),
    ('{"data": [], "note": "empty legislature"}', 0, None),
    ('{"hello": "world"}', 0, "JSON has no list of questions"),
    ('"just a string"', 0, "JSON has no list of questions"),
    ('[REC, REC] extra', 2, "extra data"),
    ('{"x": 1, "questions": [REC, REC], "records": [REC]}', 2, None),
    ('REC\nREC\nREC\n', 3, None),
    ('[REC, {"titre": "t"}, REC', 2, "invalid JSON"),
])
def test_json_shapes(tmp_path, text, documents, problem):
    rec = json.dumps(_records(1)[0], ensure_ascii=False)
    path = tmp_path / "f.json"
    path.write_text(text.replace("REC", rec), encoding="utf-8")
    result = read_paths([path])
    assert len(result.documents) == min(documents, 1) or documents == 0  # one question, merged readings
    assert len(result.documents) + result.duplicates == documents
    reasons = [p.reason for p in result.problems if p.reason != "record has no question text"]
    assert (reasons == []) if problem is None else (len(reasons) == 1 and problem in reasons[0])


_PEAK_CODE = """
import resource, sys
from parlsearch.corpus import reader
reader.document_from_record = lambda record, source, warnings: record  # count records, skip the model
n = sum(1 for item in reader.iter_read([sys.argv[1]]) if isinstance(item, dict))
try:  # this process's own high-water mark (ru_maxrss would include the parent's, inherited across exec)
    peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) // 1024
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(n, peak)
"""


def test_peak_memory_of_a_large_json_file_stays_within_the_budget(tmp_path):
    """A subprocess reads 300,000 tiny records (23 MB) and reports its peak RSS: the streaming reader
    holds one window and one record at a time, so the file's parse tree never exists at once.
    Measured here: 20 MB after; json.loads of the whole file before: 178 MB."""
    import subprocess
    import sys
    path = tmp_path / "big.json"
    path.write_bytes(_big_json(300_000))
    out = subprocess.run([sys.executable, "-c", _PEAK_CODE, str(path)], capture_output=True, text=True,
                         check=True, cwd=tmp_path)
    n, peak_mb = map(int, out.stdout.split())
    assert n == 300_000
    assert peak_mb < 60, "peak RSS %d MB" % peak_mb


# ----------------------------------------------------------------------------------------------- item 7

@pytest.mark.parametrize("field, value", [
    ("moncode", "77\u001b]52;c;ZXZpbA==\u0007\u001b]0;PWNED\u0007"),
    ("id", "PRB-1-1\u202egnp.exe"),
    ("assemblee", "PRB\u001b[2J"),
    ("legislature", "2024-2029\u0085"),
    ("session", "25/26\u200b"),
    ("numero", "12\u001b[31m"),
])
def test_identifiers_with_control_or_bidi_characters_reject_the_record(tmp_path, field, value):
    records = _records(3)
    if field == "id":
        records[1].pop("moncode")
    records[1][field] = value
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    result = read_paths([path])
    assert _summary(result) == (2, [(2, True)])
    reason = result.problems[0].reason
    assert "U+" in reason or "not a number" in reason
    assert "\u001b" not in reason and "\u202e" not in reason


def test_an_escape_in_a_listing_row_rejects_the_row(tmp_path):
    rows = [_row("1000"), _row("1001", assembly="PRB\u001b]0;PWNED\u0007"), _row("1002")]
    path = tmp_path / "dos_qu_legis_24-29.json"
    path.write_text(json.dumps({"data": rows}), encoding="utf-8")
    result = read_paths([path])
    assert _summary(result) == (2, [(2, True)])
    assert "U+001B" in result.problems[0].reason


def test_utf16_json_with_a_byte_order_mark_is_streamed(tmp_path):
    records = _records(3)
    for encoding in ("utf-16", "utf-16-be"):
        path = tmp_path / ("r-%s.json" % encoding)
        data = json.dumps(records, ensure_ascii=False).encode(encoding)
        path.write_bytes(data if encoding == "utf-16" else b"\xfe\xff" + data)
        result = read_paths([path])
        assert result.problems == [] and {d.title for d in result.documents} == {r["titre"] for r in records}
