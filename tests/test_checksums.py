"""Checksums of segment files (index/checksums.py): recorded at commit, kept across commits, and used to tell a
damaged index from a bug when a command fails unexpectedly."""
import pytest

from parlsearch.index import checksums
from parlsearch.index.store import open_index, read_failure
from parlsearch.index.update import update_index

from helpers import assert_one_line_error, cli, command_env, new_records, write_jsonl


def test_every_segment_is_committed_with_its_checksums_and_keeps_them(tmp_path):
    update_index([write_jsonl(tmp_path / "a.jsonl", new_records(1, 30))], tmp_path / "ix")
    first = {s.segment_id(): getattr(s, checksums.ATTRIBUTE) for s in open_index(tmp_path / "ix")._segments()}
    assert first and all(first.values())
    update_index([write_jsonl(tmp_path / "b.jsonl", new_records(100, 5))], tmp_path / "ix")
    ix = open_index(tmp_path / "ix")
    later = {s.segment_id(): getattr(s, checksums.ATTRIBUTE) for s in ix._segments()}
    assert all(later.values()) and checksums.damaged_files(ix) == []
    for seg_id in first.keys() & later.keys():  # a segment carried into a later commit keeps its checksums
        assert later[seg_id] == first[seg_id]


def test_a_flipped_bit_anywhere_in_a_segment_is_found(index_copy):
    ix = open_index(index_copy)
    assert checksums.damaged_files(ix) == []
    seg = next(index_copy.glob("MAIN_*.seg"))
    data = bytearray(seg.read_bytes())
    for where in (len(data) // 3, len(data) // 2, len(data) - 10):
        data[where] ^= 0x10
        seg.write_bytes(bytes(data))
        assert checksums.damaged_files(open_index(index_copy)) == [seg.name]
        data[where] ^= 0x10
        seg.write_bytes(bytes(data))
        assert checksums.damaged_files(open_index(index_copy)) == []


def test_an_unexpected_error_is_damage_only_when_the_files_changed(index_copy):
    from parlsearch.index import store
    open_index(index_copy)  # the index this process opened last
    assert store._last_opened and store._last_opened[-1] == index_copy
    assert read_failure(TypeError("'NoneType' object is not subscriptable")) is None  # intact: a bug
    seg = next(index_copy.glob("MAIN_*.seg"))
    data = bytearray(seg.read_bytes())
    data[len(data) // 2] ^= 1
    seg.write_bytes(bytes(data))
    problem = read_failure(TypeError("'NoneType' object is not subscriptable"))
    assert problem is not None and "damaged or unreadable" in str(problem) and "--rebuild" in str(problem)


@pytest.mark.parametrize("args", [["search", "logement"], ["similar", "170285"], ["stats", "tram"]])
def test_a_command_meeting_silent_damage_says_so_in_one_line(index_copy, args):
    """Bits flipped in every posting record's document numbers (raw arrays: no decompression error to
    notice them) make a command fail or answer wrongly: when it fails, it says the index is damaged."""
    seg = next(index_copy.glob("MAIN_*.seg"))
    data = bytearray(seg.read_bytes())
    for i in range(0, len(data), 61):
        data[i] ^= 0x40
    seg.write_bytes(bytes(data))
    proc = cli(*args, "--index", index_copy, env=command_env())
    assert "Traceback" not in proc.stderr
    if proc.returncode == 2:
        assert_one_line_error(proc, "damaged or unreadable", "parlsearch index --rebuild")
    else:
        assert proc.returncode in (0, 1)


def test_a_segment_the_arrays_cannot_read_is_damage_when_its_files_changed(index_copy, monkeypatch):
    """When the adapter's check of a segment fails, a segment whose files no longer have their checksums is
    reported as damaged (one line, the rebuild command), not read through whoosh's public API after a
    warning; an intact segment that fails the check (another layout) still falls back."""
    from parlsearch.index import segments
    from parlsearch.index.codec import DamagedRecord
    monkeypatch.setattr(segments, "_check", lambda leaf: "a layout this module does not know")
    ix = open_index(index_copy)
    with ix.searcher() as s:  # intact: the fallback
        assert not segments.IndexView(s).fast
    seg = next(index_copy.glob("MAIN_*.seg"))
    data = bytearray(seg.read_bytes())
    data[len(data) - 10] ^= 0x10  # bytes the search may never read
    seg.write_bytes(bytes(data))
    with open_index(index_copy).searcher() as s, pytest.raises(DamagedRecord, match=seg.name):
        segments.IndexView(s)
