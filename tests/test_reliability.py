"""Reliability promises (README, "Guarantees and recovery"), each proved against the real `parlsearch`.

- Crash safety: `parlsearch index` SIGKILLed before, inside and after its commit (the test hook
  PARLSEARCH_TEST_KILL_AT / PARLSEARCH_TEST_STOP_AT of index/update.py, and plain delays) leaves an index that
  opens, answers queries and holds exactly the last commit, every id once; a re-run completes the update.
- Concurrency: searches in other processes keep answering while updates commit; a second writer waits
  (--wait) or exits 2 "locked by another process"; a SIGKILLed writer's lock never blocks the next run.
- Full disk (tmpfs, RLIMIT_FSIZE) and read-only index: a one-line error, exit 2, the last commit intact.
- Hostile input at scale: 1,000 files of valid and broken input; every valid document indexed, every bad
  one reported, in bounded time; every regex applied to untrusted text runs in linear time.
- Output safety: hostile document text is inert in the terminal and exact in JSON.
- Version drift: an index of another analyzer/schema version is refused with the rebuild command.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import gc
import json
import os
import pkgutil
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from parlsearch.corpus.reader import bundled_corpus, read_paths
from parlsearch.index.store import META_FILE, current_meta, index_exists, open_index
from parlsearch.index.update import TEST_POINTS
from parlsearch.search.engine.core import Engine

from helpers import (assert_inert_on_terminal, assert_one_line_error, cli, cli_start, command_env, corpus_records,
                     file_size_limit, index_state, new_records, on_a_pty, parlsearch_argv, reaped, wait_stopped,
                     write_jsonl)

N_NEW, N_CHANGED = 300, 20
MARKER = "zeppelinodrome"  # only in the changed answers of the update


@dataclass
class UpdateCase:
    base: Path      # an index of the bundled corpus (never written)
    update: Path    # N_NEW new documents and N_CHANGED changed ones
    old: dict       # id → hash before the update
    new: dict       # id → hash after it

    def fresh(self, tmp_path: Path, name: str = "index") -> Path:
        path = tmp_path / name
        if path.exists():
            shutil.rmtree(path)
        shutil.copytree(self.base, path)
        return path


def expected_after(old: dict, *paths) -> dict:
    new = dict(old)
    new.update({d.id: d.content_hash for d in read_paths(list(paths)).documents})
    return new


@pytest.fixture(scope="module")
def update_case(bundled_index, tmp_path_factory) -> UpdateCase:
    root = tmp_path_factory.mktemp("update-case")
    changed = []
    for r in corpus_records()[:N_CHANGED]:
        r = dict(r)
        r["reponse"] = (r.get("reponse") or "") + " Mise à jour : le %s est prévu." % MARKER
        changed.append(r)
    update = write_jsonl(root / "update.jsonl", new_records(0, N_NEW) + changed)
    old = index_state(bundled_index)
    new = expected_after(old, update)
    assert len(new) == len(old) + N_NEW and sum(new[k] != old[k] for k in old) == N_CHANGED
    return UpdateCase(bundled_index, update, old, new)


def check_answers(case: UpdateCase, path: Path) -> str:
    """The index opens, answers queries and holds exactly the old or the new commit: "old" or "new"."""
    state = index_state(path)
    assert state in (case.old, case.new), "neither the last commit nor the new one: %d documents" % len(state)
    which = "new" if state == case.new else "old"
    with Engine.open(path) as engine:
        assert engine.search("garantie jeunesse").total >= 1
        assert engine.search(MARKER).total == (N_CHANGED if which == "new" else 0)
    return which


def rerun_completes(case: UpdateCase, path: Path, *options) -> None:
    proc = cli("index", "-q", "--index", path, *options, case.update)
    assert proc.returncode == 0, proc.stderr
    assert index_state(path) == case.new


# -- crash safety -----------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("point", TEST_POINTS)
def test_sigkill_at_each_point_of_the_commit(update_case, tmp_path, point):
    ix = update_case.fresh(tmp_path)
    proc = cli("index", "-q", "--index", ix, update_case.update, env=command_env(PARLSEARCH_TEST_KILL_AT=point))
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr)
    published = point in ("after-toc-write", "after-commit")
    assert check_answers(update_case, ix) == ("new" if published else "old")
    if point == "after-segment-write":  # really killed mid-commit: the new TOC was written, never renamed
        assert any(re.fullmatch(r"_MAIN_\d+\.toc\..+", name) for name in os.listdir(ix))
    assert (ix / "MAIN_WRITELOCK").exists()  # the killed writer's lock file stays, and blocks nothing:
    rerun_completes(update_case, ix)


@pytest.mark.slow
@pytest.mark.parametrize("jobs", [1, 2], ids=["writer", "parallel-writer"])
def test_sigkill_inside_the_commit_after_varying_delays(update_case, tmp_path, jobs):
    """Stop the writer when every document is added, let it commit for d seconds, then SIGKILL it."""
    if jobs == 1:
        update, case, delays = update_case.update, update_case, (0.0, 0.02, 0.08, 0.2, 0.5)
    else:  # the parallel writer is used from 2,000 changed documents on
        update = write_jsonl(tmp_path / "big.jsonl", new_records(0, 2100))
        case = UpdateCase(update_case.base, update, update_case.old, expected_after(update_case.old, update))
        delays = (0.05, 0.4)
    outcomes = []
    for delay in delays:
        ix = case.fresh(tmp_path)
        proc = cli_start("index", "-q", "--jobs", jobs, "--index", ix, update,
                         env=command_env(PARLSEARCH_TEST_STOP_AT="before-commit"))
        with reaped(proc):
            wait_stopped(proc)
            os.kill(proc.pid, signal.SIGCONT)
            time.sleep(delay)
            proc.kill()
            proc.wait()
        outcomes.append(check_answers(case, ix))
        rerun_completes(case, ix, "--jobs", jobs)
    assert outcomes[0] == "old", outcomes  # killed inside the commit, not after it


@pytest.mark.slow
def test_sigkill_during_a_merge_keeps_the_last_commit_and_a_rerun_merges(tmp_path):
    """The fourth small update of a size tier merges the four segments (index/merge.py) in its commit: killed
    once a merged segment is written, the index holds the third update's commit, and the run again completes
    the update and the merge."""
    from parlsearch.index.update import MERGE_TEST_POINT
    ix = tmp_path / "index"
    files = [write_jsonl(tmp_path / ("%d.jsonl" % n), new_records(20 * n, 20)) for n in range(4)]
    assert cli("index", "-q", "--index", ix).returncode == 0  # the bundled corpus, then three small updates
    for path in files[:3]:
        assert cli("index", "-q", "--index", ix, path).returncode == 0
    before = index_state(ix)
    assert len(open_index(ix)._segments()) == 4
    proc = cli("index", "-q", "--index", ix, files[3], env=command_env(PARLSEARCH_TEST_KILL_AT=MERGE_TEST_POINT))
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr)
    assert index_state(ix) == before
    with Engine.open(ix) as engine:
        assert engine.search("garantie jeunesse").total >= 1
    proc = cli("index", "-q", "--index", ix, files[3])
    assert proc.returncode == 0, proc.stderr
    assert index_state(ix) == expected_after(before, files[3])
    assert len(open_index(ix)._segments()) == 2  # the bundled corpus's, and the four small ones merged
    assert not [n for n in os.listdir(ix) if n.endswith(".seg")][2:]  # the killed run's files are gone


@pytest.mark.slow
def test_sigkill_after_varying_delays_from_start(update_case, tmp_path):
    """Kills spread over start-up, reading, adding and committing; the first kill is surely mid-run."""
    killed = 0
    for delay in (0.3, 0.7, 1.0, 1.4):
        ix = update_case.fresh(tmp_path)
        proc = cli_start("index", "-q", "--index", ix, update_case.update)
        with reaped(proc):
            time.sleep(delay)
            proc.kill()
            killed += proc.wait() == -signal.SIGKILL
        check_answers(update_case, ix)
        rerun_completes(update_case, ix)
    assert killed >= 1


@pytest.mark.slow
def test_first_build_killed_before_its_commit_is_completed_by_a_rerun(tmp_path):
    ix = tmp_path / "index"
    proc = cli("index", "-q", "--index", ix, env=command_env(PARLSEARCH_TEST_KILL_AT="before-commit"))
    assert proc.returncode == -signal.SIGKILL
    assert index_state(ix) == {}  # an empty index, which opens
    assert cli("search", "--index", ix, "tram").returncode == 1  # answers: nothing yet
    proc = cli("index", "-q", "--index", ix)
    assert proc.returncode == 0 and len(index_state(ix)) == 107


# -- concurrency ----------------------------------------------------------------------------------------

SEARCHER = r"""
import json, sys, time, traceback
from parlsearch.search.engine.core import Engine
index_dir, stop = sys.argv[1], sys.argv[2]
report = {"ok": 0, "errors": [], "counts": []}
held = Engine.open(index_dir)  # one engine kept open across every commit: the old view keeps answering
print("ready", flush=True)
import os
while not os.path.exists(stop):
    try:
        with Engine.open(index_dir) as engine:
            assert engine.search("garantie jeunesse").total >= 1
            count = engine.searcher.doc_count()
        assert held.search("garantie jeunesse").total >= 1
        if count not in report["counts"]:
            report["counts"].append(count)
        report["ok"] += 1
    except Exception:
        report["errors"].append(traceback.format_exc()[-800:])
print(json.dumps(report))
"""


@pytest.mark.slow
def test_searches_in_other_processes_keep_answering_while_updates_commit(update_case, tmp_path):
    ix = update_case.fresh(tmp_path)
    stop = tmp_path / "stop"
    searchers = [subprocess.Popen([sys.executable, "-c", SEARCHER, str(ix), str(stop)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=command_env()) for _ in range(2)]
    committed = {107}
    with reaped(*searchers):
        for s in searchers:
            assert s.stdout.readline().strip() == "ready", s.stderr.read()
        for n in range(3):  # three commits in a row
            part = write_jsonl(tmp_path / ("part%d.jsonl" % n), new_records(1000 + 60 * n, 60))
            proc = cli("index", "-q", "--index", ix, part)
            assert proc.returncode == 0, proc.stderr
            committed.add(len(index_state(ix)))
        before = len(index_state(ix))
        for n, point in enumerate(("after-segment-write", "after-toc-write")):
            part = write_jsonl(tmp_path / ("held%d.jsonl" % n), new_records(2000 + 60 * n, 60))
            writer = cli_start("index", "-q", "--index", ix, part, env=command_env(PARLSEARCH_TEST_STOP_AT=point))
            with reaped(writer):
                wait_stopped(writer)  # held mid-commit: searches in other processes answer meanwhile
                found = cli("search", "--json", "--index", ix, "garantie jeunesse")
                assert found.returncode == 0, found.stderr
                assert json.loads(found.stdout)["total"] >= 1
                stats = json.loads(cli("stats", "--json", "--index", ix).stdout)
                assert stats["documents"] == (before if point == "after-segment-write" else before + 60)
                os.kill(writer.pid, signal.SIGCONT)
                assert writer.wait(timeout=120) == 0
            before += 60
            committed.add(before)
        time.sleep(0.5)
        stop.touch()
        reports = [json.loads(s.communicate(timeout=120)[0].splitlines()[-1]) for s in searchers]
    for report in reports:
        assert report["errors"] == []
        assert report["ok"] > 0
        assert set(report["counts"]) <= committed  # only ever a committed view


def test_opening_races_with_commits_in_another_process(update_case, tmp_path, monkeypatch):
    """whoosh lists the index generations, then opens the newest TOC; a commit in between deletes it. Every
    read of the TOC while opening (the existence check that decides whether to build an index, open_index,
    the engine's schema and searcher) is raced with a real commit: opening retries instead of failing with
    "no index" or a damaged-index error, or building the bundled corpus into an existing index."""
    from whoosh.index import TOC
    ix = update_case.fresh(tmp_path)
    latest = TOC._latest_generation.__func__
    calls = {"n": 0, "commit_at": None, "commits": []}

    def listed_then_commit(cls, storage, indexname):
        gen = latest(cls, storage, indexname)
        calls["n"] += 1
        if calls["n"] == calls["commit_at"]:  # a commit in another process, right now
            part = write_jsonl(tmp_path / "part.jsonl", new_records(3000 + 5 * len(calls["commits"]), 5))
            calls["commits"].append(cli("index", "-q", "--index", ix, part))
        return gen

    monkeypatch.setattr(TOC, "_latest_generation", classmethod(listed_then_commit))
    with Engine.open(ix):
        reads = calls["n"]
    assert reads >= 3
    expected = 107
    for at in range(1, reads + 1):
        calls.update(n=0, commit_at=at)
        with Engine.open(ix) as engine:
            assert engine.search("garantie jeunesse").total >= 1
        assert calls["commits"][-1].returncode == 0, calls["commits"][-1].stderr
        expected += 5
        assert len(index_state(ix)) == expected
    calls.update(n=0, commit_at=1)
    assert index_exists(ix)
    assert calls["commits"][-1].returncode == 0


@pytest.mark.slow
def test_second_writer_waits_or_exits_2_and_the_first_proceeds(update_case, tmp_path):
    ix = update_case.fresh(tmp_path)
    first = cli_start("index", "-q", "--index", ix, update_case.update,
                      env=command_env(PARLSEARCH_TEST_STOP_AT="before-commit"))
    waiting = None
    with reaped(first):
        wait_stopped(first)  # holds the write lock
        assert_one_line_error(cli("index", "--index", ix, update_case.update), "locked by another process")
        started = time.monotonic()
        assert_one_line_error(cli("index", "--wait", "1", "--index", ix, update_case.update),
                              "locked by another process", "--wait")
        assert time.monotonic() - started >= 1.0
        # Searches still answer with the last commit.
        found = cli("search", "--index", ix, "--json", MARKER)
        assert found.returncode == 1 and json.loads(found.stdout)["total"] == 0
        # The same update, waiting: it must not add again what the first writer adds meanwhile.
        waiting = cli_start("index", "--wait", "120", "--index", ix, update_case.update)
        with reaped(waiting):
            time.sleep(1.0)
            assert waiting.poll() is None, waiting.communicate()
            os.kill(first.pid, signal.SIGCONT)
            assert first.wait(timeout=120) == 0
            out, err = waiting.communicate(timeout=120)
            assert waiting.returncode == 0, err
    assert "0 new, 0 updated, %d unchanged" % (N_NEW + N_CHANGED) in out
    assert index_state(ix) == update_case.new  # every document once


@pytest.mark.slow
def test_a_sigkilled_writers_lock_does_not_block_the_next_run(update_case, tmp_path):
    ix = update_case.fresh(tmp_path)
    writer = cli_start("index", "-q", "--index", ix, update_case.update,
                       env=command_env(PARLSEARCH_TEST_STOP_AT="before-commit"))
    with reaped(writer):
        wait_stopped(writer)
        assert_one_line_error(cli("index", "--index", ix, update_case.update), "locked by another process")
        writer.kill()
        writer.wait()
    assert (ix / "MAIN_WRITELOCK").exists()  # a stale lock file, but the OS lock died with its process
    rerun_completes(update_case, ix)  # --wait 0: it would fail at once if the lock were still held


# -- full disk and permissions ----------------------------------------------------------------------------

def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _mount(*args) -> None:
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting needs root and mount(8)")
    proc = subprocess.run(["mount", *map(str, args)], capture_output=True, text=True)
    if proc.returncode:
        pytest.skip("mount is not permitted here: %s" % proc.stderr.strip())


def _umount(path: Path) -> None:
    if subprocess.run(["umount", str(path)], capture_output=True).returncode:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.fixture
def small_disk(update_case, tmp_path):
    """A tmpfs holding a copy of the base index and 256 KB more: far too small for the update."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    size = (_dir_size(update_case.base) // 4096 + 64) * 4096
    _mount("-t", "tmpfs", "-o", "size=%d" % size, "tmpfs", mnt)
    try:
        shutil.copytree(update_case.base, mnt / "index")
        yield mnt / "index"
    finally:
        _umount(mnt)


@pytest.mark.parametrize("rebuild", [False, True], ids=["update", "rebuild"])
def test_full_disk_is_a_one_line_error_and_the_last_commit_stays(update_case, small_disk, rebuild):
    args = ["index", "--index", small_disk, update_case.update] + (["--rebuild"] if rebuild else [])
    assert_one_line_error(cli(*args), "cannot write the index", "No space left on device")
    assert index_state(small_disk) == update_case.old
    found = cli("search", "--index", small_disk, "garantie jeunesse")  # answers, on the full disk
    assert found.returncode == 0, found.stderr


@pytest.mark.slow  # the full-disk tests cover the same path in the fast suite
def test_file_size_limit_is_a_one_line_error_and_the_last_commit_stays(update_case, tmp_path):
    ix = update_case.fresh(tmp_path)
    proc = subprocess.run(parlsearch_argv() + ["index", "--index", str(ix), str(update_case.update)],
                          capture_output=True, text=True, env=command_env(), preexec_fn=file_size_limit(256 * 1024), timeout=300)
    assert_one_line_error(proc, "cannot write the index", "File too large")
    assert check_answers(update_case, ix) == "old"
    rerun_completes(update_case, ix)  # without the limit, the same run completes


def test_read_only_index_answers_and_refuses_writes_in_one_line(update_case, tmp_path):
    src = update_case.fresh(tmp_path)
    if os.geteuid() != 0:
        src.chmod(0o555)
        ro = src
    else:  # root ignores permission bits: a read-only bind mount
        ro = tmp_path / "ro"
        ro.mkdir()
        _mount("--bind", src, ro)
    try:
        if os.geteuid() == 0:
            proc = subprocess.run(["mount", "-o", "remount,bind,ro", str(ro)], capture_output=True, text=True)
            if proc.returncode:
                pytest.skip("cannot remount read-only: %s" % proc.stderr.strip())
        for extra in ([], ["--rebuild"]):
            line = assert_one_line_error(cli("index", "--index", ro, update_case.update, *extra),
                                         "cannot write the index")
            assert "Read-only file system" in line or "Permission denied" in line
        found = cli("search", "--index", ro, "garantie jeunesse")
        assert found.returncode == 0, found.stderr
        assert json.loads(cli("stats", "--json", "--index", ro).stdout)["documents"] == 107
        assert index_state(ro) == update_case.old
    finally:
        if ro != src:
            _umount(ro)
        src.chmod(0o755)


@pytest.mark.parametrize("damage", ["empty-toc", pytest.param("truncated-segment", marks=pytest.mark.slow)])
def test_damaged_index_is_a_one_line_error_and_rebuild_recovers(index_copy, damage):
    if damage == "empty-toc":
        next(index_copy.glob("_MAIN_*.toc")).write_bytes(b"")
    else:
        with open(next(index_copy.glob("MAIN_*.seg")), "r+b") as f:
            f.truncate(1000)
    for args in (["search", "tram"], ["stats"], ["index"]):
        assert_one_line_error(cli(*args, "--index", index_copy), "parlsearch index --rebuild")
    proc = cli("index", "--rebuild", "--index", index_copy)
    assert proc.returncode == 0, proc.stderr
    assert len(index_state(index_copy)) == 107
    assert cli("search", "--index", index_copy, "tram").returncode == 0


# -- hostile input at scale ---------------------------------------------------------------------------------

MB = 1024 * 1024


def hostile_runs() -> dict[str, str]:
    """1 MB runs of one character (or pattern) each: what backtracking regexes choke on."""
    return {
        "a": "a" * MB, "dash": "-" * MB, "dot": "." * MB, "apostrophe": "'" * MB, "lt": "<" * MB,
        "dotted-digits": ".".join("0123456789" * (MB // 20)),
    }


@dataclass
class HostileCorpus:
    root: Path
    valid_ids: set
    bad_files: set      # paths rejected as a whole
    bad_records: set    # (path, record number) rejected inside otherwise readable files
    encoded_ids: dict   # id → a title fragment that must survive the file's encoding


def make_hostile_corpus(root: Path) -> HostileCorpus:
    """1,000 files mixing valid documents with every kind of broken and hostile input."""
    import random
    rnd = random.Random(5)
    root.mkdir()
    valid, bad_files, bad_records, encoded = set(), set(), set(), {}
    code = iter(range(800000, 900000))
    src = corpus_records()
    files = 0

    def record(extra_title="", **fields):
        r = dict(src[rnd.randrange(len(src))])
        r.pop("id", None)
        r["moncode"] = str(next(code))
        r["titre"] = r["titre"] + extra_title
        r.update(fields)
        return r

    def put(name, data, kind="bad", ids=()):
        nonlocal files
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        files += 1
        if kind == "bad":
            bad_files.add(str(path))
        valid.update(ids)
        return path

    def doc_id(r):
        return "PRB-1-%s" % r["moncode"]

    page = (bundled_corpus() / "pages" / "weblex-quest-det-167744.html").read_text("utf-8")
    text_page = (bundled_corpus() / "text" / "question-1263-cite-des-metiers.txt").read_text("utf-8")
    number = iter(range(50000, 60000))

    def html_page(insert=""):
        moncode = str(next(code))
        html = page.replace("167744", moncode).replace('<td valign="top"><p>', '<td valign="top"><p>' + insert, 1)
        return "weblex-quest-det-%s.html" % moncode, html, "PRB-1-%s" % moncode

    def txt_page(insert=""):
        n = next(number)
        text = text_page.replace("n°1263", "n°%d" % n).replace("On pouvait lire", "On pouvait lire " + insert, 1)
        return text, "PRB-2019-2024-qe-%d" % n

    # Regex-hostile text: 1 MB runs in record fields, inside valid pages, and as whole (invalid) pages.
    for kind, run in hostile_runs().items():
        r = record(" " + run[:20000], question="Texte hostile %s : %s" % (kind, run), reponse=run)
        put("hostile/record-%s.jsonl" % kind, json.dumps(r) + "\n", "valid", [doc_id(r)])
        text, tid = txt_page(run)
        put("hostile/page-%s.txt" % kind, text, "valid", [tid])
        name, html, hid = html_page(run)
        put("hostile/html-%s/%s" % (kind, name), html, "valid", [hid])
        put("hostile/junk-%s.txt" % kind, run)
        put("hostile/junk-%s.html" % kind, "<html><body>" + run)
    # A 20 MB line between two valid records.
    a, b = record(), record()
    huge = json.dumps(record(question="x" * (20 * MB)))
    path = put("huge-line.jsonl", "%s\n%s\n%s\n" % (json.dumps(a), huge, json.dumps(b)), "valid",
               [doc_id(a), doc_id(b)])
    bad_records.add((str(path), 2))
    # Wrong encodings: cp1252 and UTF-16 with a BOM are read; UTF-16 without a BOM is binary to us.
    for i in range(20):
        r = record(" à l'égard des élèves")
        put("enc/cp1252-%d.json" % i, json.dumps(r, ensure_ascii=False).encode("cp1252", errors="replace"),
            "valid", [doc_id(r)])
        encoded[doc_id(r)] = "à l'égard des élèves"
        r = record(" à propos des écoles")
        put("enc/utf16-bom-%d.json" % i, json.dumps(r, ensure_ascii=False).encode("utf-16"), "valid", [doc_id(r)])
        encoded[doc_id(r)] = "à propos des écoles"
        put("enc/utf16-nobom-%d.json" % i, json.dumps(record(), ensure_ascii=False).encode("utf-16-le"))
    # Truncated JSON, binary junk, empty files, HTML without the question section, deep nesting.
    for i in range(40):
        recs = [record(), record()]
        whole = json.dumps({"questions": recs})
        cut = rnd.randrange(10, len(whole) - 5)
        # JSON is read one record at a time: a record complete before the cut is kept, the cut one rejected.
        start1 = len('{"questions": [')
        end1 = start1 + len(json.dumps(recs[0]))
        name = "truncated/t%d.json" % i
        if cut < start1:
            put(name, whole[:cut])  # cut inside the header: the whole file
        elif cut < end1:
            bad_records.add((str(put(name, whole[:cut], "valid")), 1))
        elif cut == end1:
            put(name, whole[:cut], "bad", [doc_id(recs[0])])  # the list is never closed: a file problem
        else:
            bad_records.add((str(put(name, whole[:cut], "valid", [doc_id(recs[0])])), 2))
        junk = bytes(rnd.randrange(256) for _ in range(rnd.randrange(200, 5000))) + b"\x00"
        put("junk/j%d%s" % (i, (".json", ".html", ".txt", ".dat")[i % 4]), junk)
    for i in range(20):
        put("empty/e%d%s" % (i, (".json", ".jsonl", ".html", ".txt")[i % 4]), " \n" * (i % 3))
        put("nosection/n%d.html" % i, "<html><body><h3>Question écrite concernant le tram</h3>"
                                      "<table><tr><td>Question</td><td>Le tram ?</td></tr></table></body></html>")
        put("nested/deep%d.json" % i, "[" * 100000 + "]" * 100000)
        good = record()
        path = put("nested/deep%d.jsonl" % i, json.dumps(good) + "\n" + '{"question": ' + "[" * 50000 + "\n",
                   "valid", [doc_id(good)])
        bad_records.add((str(path), 2))
        path = put("nested/field%d.jsonl" % i, json.dumps(record(question={"a": [{"b": [1, {"c": "d"}]}]})) + "\n",
                   "valid")
        bad_records.add((str(path), 1))
    # Valid JSON corpus files, JSON Lines with a broken line, pages.
    for i in range(40):
        rs = [record() for _ in range(3)]
        put("json/c%d.json" % i, json.dumps({"questions": rs}, ensure_ascii=False), "valid", map(doc_id, rs))
    for i in range(30):
        a, b = record(), record()
        path = put("mixed/m%d.jsonl" % i, '%s\n{"titre": "cut\n%s\n' % (json.dumps(a), json.dumps(b)), "valid",
                   [doc_id(a), doc_id(b)])
        bad_records.add((str(path), 2))
    for i in range(40):
        text, tid = txt_page()
        put("text/q%d.txt" % i, text, "valid", [tid])
        name, html, hid = html_page()
        put("html/%s" % name, html, "valid", [hid])
    while files < 1000:
        r = record()
        put("records/r%d.jsonl" % files, json.dumps(r, ensure_ascii=False) + "\n", "valid", [doc_id(r)])
    return HostileCorpus(root, valid, bad_files, bad_records, encoded)


_PROBLEM_LINE = re.compile(r"rejected: (.+?)(?:, record (\d+))?: (.+)")


@pytest.mark.slow
def test_hostile_input_at_scale(tmp_path):
    corpus = make_hostile_corpus(tmp_path / "in")
    assert sum(1 for p in corpus.root.rglob("*") if p.is_file()) == 1000
    ix = tmp_path / "index"
    # No time threshold (issue 11, item 20): linear work is proved by the regex and analyzer tests; the
    # timeout only stops a hang.
    proc = cli("index", "--index", ix, "--problems", "100000", corpus.root, timeout=600)
    assert proc.returncode == 3, proc.stderr[-3000:]  # 3: some inputs rejected, the rest indexed
    assert "Traceback" not in proc.stderr
    # Every bad file and record is reported, and nothing else is.
    rejected = set()
    for line in proc.stderr.splitlines():
        if line.startswith("warning: "):
            continue
        m = _PROBLEM_LINE.fullmatch(line)
        assert m, line[:300]
        rejected.add((m.group(1), int(m.group(2)) if m.group(2) else None))
    assert {path for path, _ in rejected} == corpus.bad_files | {path for path, _ in corpus.bad_records}
    assert {(p, r) for p, r in rejected if p not in corpus.bad_files} == corpus.bad_records
    assert {p for p, r in rejected if p in corpus.bad_files and r is not None} == set()  # whole-file problems
    # Every valid document is indexed, once.
    assert set(index_state(ix)) == corpus.valid_ids
    assert "%d new" % len(corpus.valid_ids) in proc.stdout
    with Engine.open(ix) as engine:
        for doc_id, fragment in corpus.encoded_ids.items():
            assert fragment in engine.get(doc_id).title
        assert engine.search('"texte hostile"').total == len(hostile_runs())
        assert engine.search("garantie jeunesse").total >= 1
    stats = cli("stats", "--json", "--index", ix)
    assert stats.returncode == 0 and json.loads(stats.stdout)["documents"] == len(corpus.valid_ids)


@pytest.mark.slow
def test_documents_without_dates_stay_searchable_across_segments(tmp_path):
    """whoosh's multi-segment column reader misplaces segments that hold no value of a column at all."""
    undated = write_jsonl(tmp_path / "undated.jsonl", [
        {"moncode": "1", "titre": "Question écrite concernant le tram", "question": "Le tram ?"},
        {"moncode": "2", "titre": "Question écrite concernant le tram bis", "question": "Le tram bis ?"}])
    dated = write_jsonl(tmp_path / "dated.jsonl", [
        {"moncode": "3", "titre": "Question écrite concernant le tram ter", "question": "Le tram ter ?",
         "date_reception": "2026-01-02", "destinataire": "Elke Van den Brandt - Ministre"}])
    ix = tmp_path / "index"
    for part in (undated, dated):
        assert cli("index", "-q", "--index", ix, part).returncode == 0
        for sort in ("relevance", "date", "-date"):
            found = cli("search", "--json", "--sort", sort, "--index", ix, "tram")
            assert found.returncode == 0, found.stderr
        stats = cli("stats", "--json", "--index", ix)
        assert stats.returncode == 0, stats.stderr
    stats = json.loads(stats.stdout)
    assert stats["by_year"] == {"(unknown)": 2, "2026": 1}
    assert stats["by_minister"] == {"(unknown)": 2, "Elke Van den Brandt": 1}


# -- every regex on untrusted text is linear ------------------------------------------------------------

_METHODS = {"search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split"}
UNTRUSTED_MODULES = sorted({"parlsearch.corpus.%s" % m.name
                            for m in pkgutil.iter_modules([str(bundled_corpus().parent)])}
                           | {"parlsearch.index.analysis", "parlsearch.search.output"})


def untrusted_regexes() -> dict[str, tuple[re.Pattern, set]]:
    """name → (pattern, methods applied to it) for every regex of the modules that read untrusted text:
    module-level patterns (also inside dicts and tuples) and literal patterns passed to re.* calls."""
    found = {}
    for modname in UNTRUSTED_MODULES:
        module = importlib.import_module(modname)
        tree = ast.parse(inspect.getsource(module))
        used: dict[str, set] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in _METHODS:
                base = node.value.value if isinstance(node.value, ast.Subscript) else node.value
                if isinstance(base, ast.Name):
                    used.setdefault(base.id, set()).add(node.attr)
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _METHODS
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "re" and node.args
                    and isinstance(node.args[0], ast.Constant)):
                flags = 0
                for kw in node.keywords:
                    if kw.arg == "flags":
                        flags = eval(compile(ast.Expression(kw.value), "<flags>", "eval"), {"re": re})
                found["%s:%d" % (modname, node.lineno)] = (re.compile(node.args[0].value, flags), {node.func.attr})
        everything = set().union(*used.values()) if used else set(_METHODS)

        def collect(value, name, methods):
            if isinstance(value, re.Pattern):
                found[name] = (value, methods)
            elif isinstance(value, dict):
                for k, v in value.items():
                    collect(v, "%s[%r]" % (name, k), methods)
            elif isinstance(value, (list, tuple)):
                for i, v in enumerate(value):
                    collect(v, "%s[%d]" % (name, i), methods)

        for name, value in vars(module).items():
            # patterns reached through loop variables get every method the module uses
            collect(value, "%s.%s" % (modname, name), used.get(name) or everything)
    return found


_RUNS = ["a", "-", ".", "'", "<", "<section", " ", "1.", "12.", "\n", "\u00a0", "é", "<a", "a-", "a'", "=", '"', "(", "1", ":",
         "a "]
_PREFIXES = ["", "<", "<section ", "<section id=", "id=", "href=", "(question", "question", "date de réception",
             "de ", "12/"]


def _apply(pattern: re.Pattern, methods: set, text):
    if isinstance(pattern.pattern, bytes):
        text = text.encode("utf-8")
    for method in methods:
        if method in ("finditer", "findall"):
            for _ in pattern.finditer(text):
                pass
        elif method in ("sub", "subn"):
            pattern.sub(text[:0], text)
        else:
            getattr(pattern, method)(text)


def _hostile(prefix: str, run: str, n: int) -> str:
    return prefix + run * (n // len(run))


#: Linearity is judged on the growth of the best-of-N CPU time between two bounded sizes, never on an
#: absolute time: from n to n × GROWTH characters a linear regex takes ~GROWTH times as long, a quadratic
#: one ~GROWTH² (64). MAX_RATIO sits 4× above the first and 2× below the second (cache effects alone gave
#: up to ×2.5 on linear patterns here). CPU time of this thread (time.thread_time) does not count the time
#: other processes take on a busy machine, the garbage collector is off while timing (as in timeit), and
#: a case over MAX_RATIO is judged super-linear only if it stays over it on two larger sizes.
SMALL, GROWTH, MAX_RATIO = 1_000, 8, 32


def _cpu_timed(fn) -> float:
    started = time.thread_time()
    fn()
    return time.thread_time() - started


def _growth(pattern, methods, prefix: str, run: str, small: int, repeat: int) -> float:
    """Best-of-`repeat` CPU time at small × GROWTH characters over best-of-`repeat` CPU time at `small`,
    the two sizes measured alternately."""
    texts = (_hostile(prefix, run, small), _hostile(prefix, run, small * GROWTH))
    best = [float("inf"), float("inf")]
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            for i, text in enumerate(texts):
                best[i] = min(best[i], _cpu_timed(lambda: _apply(pattern, methods, text)))
    finally:
        if enabled:
            gc.enable()
    return best[1] / max(best[0], 1e-6)


@pytest.mark.slow
def test_every_regex_on_untrusted_text_is_linear():
    regexes = untrusted_regexes()
    assert len(regexes) > 50 and any(name.startswith("parlsearch.corpus.weblex_index") for name in regexes)
    slow = []
    for name, (pattern, methods) in regexes.items():
        for prefix in _PREFIXES:
            for run in _RUNS:
                ratios = [_growth(pattern, methods, prefix, run, SMALL, repeat=3)]
                if ratios[0] > MAX_RATIO:  # confirm on larger sizes before calling it super-linear
                    ratios += [_growth(pattern, methods, prefix, run, k * SMALL, repeat=5) for k in (4, 16)]
                if min(ratios) > MAX_RATIO:
                    slow.append("%s %r on %r + %r×: x%s for x%d characters (linear: x%d)" % (
                        name, pattern.pattern[:60], prefix, run, "/".join("%.0f" % r for r in ratios), GROWTH,
                        GROWTH))
    assert not slow, "\n".join(slow)


def test_the_linearity_check_tells_quadratic_from_linear():
    """The check above is not vacuous: a known quadratic pattern fails it, a linear one passes."""
    quadratic = re.compile(r"(?:a|b)*c")  # retried from every start: n²/2 steps on "aaa…" without "c"
    linear = re.compile(r"c")  # one step per position
    assert _growth(quadratic, {"search"}, "", "a", SMALL, repeat=3) > MAX_RATIO
    assert _growth(linear, {"search"}, "", "a", SMALL, repeat=3) < MAX_RATIO


@pytest.mark.parametrize("text", [
    ".".join(str(i) for i in range(200000)),          # distinct numbers joined by dots
    "-".join("mot%d" % i for i in range(200000)),     # distinct words joined by hyphens
    "l'" * 500000, "a." * 500000,
], ids=["dotted-numbers", "hyphenated-words", "elisions", "dotted-letters"])
def test_analyzer_is_linear_on_hostile_tokens(text):
    """One token with a million parts: the analyzer used a list for membership (quadratic, ~150 s). Judged
    like the regexes above: best-of-3 CPU time of this thread, GC off, tenth and whole measured alternately;
    ×10 characters is ~×10 when linear, ~×100 when quadratic."""
    from parlsearch.index.analysis import FRENCH
    texts = (text[:len(text) // 10], text)
    best = [float("inf"), float("inf")]
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(3):
            for i, part in enumerate(texts):
                best[i] = min(best[i], _cpu_timed(lambda: list(FRENCH.tokens(part, index=True))))
                FRENCH._index_cache.clear()
    finally:
        if enabled:
            gc.enable()
    assert best[1] < 40 * max(best[0], 1e-4), best


# -- output safety ---------------------------------------------------------------------------------------------

#: Escape sequences a document could carry to take over a terminal: CSI (clear, cursor, alternate screen,
#: SGR colours), OSC (title, hyperlink, clipboard), DCS, 8-bit C1 controls, BEL, backspace, DEL, NUL,
#: bidirectional overrides and isolates (Trojan Source), and our own highlight markers.
HOSTILE = ("\x1b[2J\x1b[1;1H\x1b[?1049h\x1b[38;5;196mRED\x1b[1mBOLD\x1b[5m\x1b[8m"
           "\x1b]0;pwned\x07\x1b]8;;https://evil.example/\x1b\\lien\x1b]8;;\x1b\\\x1b]52;c;ZXZpbA==\x07"
           "\x1bP1$qm\x1b\\\x9b31m\x9d0;t\x9c\x07\x08\x7f\x00"
           "\u202eevil\u202c\u2066iso\u2069\u200f\u061c\x02mark\x03")
def assert_inert(out: str) -> None:
    """Inert on a terminal (helpers.assert_inert_on_terminal), and the text of HOSTILE is shown, not its codes."""
    assert_inert_on_terminal(out)
    assert "\x1b[1mBOLD" not in out and "RED" in out


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-output")
    records = [{
        "moncode": str(990000 + i), "titre": "Question écrite concernant le tramway %s fin" % HOSTILE,
        "question": "Le tramway %s roule-t-il ? %s Encore le tramway." % (HOSTILE, HOSTILE),
        "reponse": "Réponse %s sur le tramway." % HOSTILE, "auteur": "Auteur %s" % HOSTILE,
        "destinataire": "Ministre %s - Mobilité" % HOSTILE, "titre_nl": "Schriftelijke vraag %s" % HOSTILE,
        "date_reception": "2026-01-0%d" % (i + 1), "url_source": "https://example.org/%s" % HOSTILE,
    } for i in range(2)]
    source = write_jsonl(root / "hostile.jsonl", records)
    docs = {d.id: d for d in read_paths([source]).documents}
    for doc in docs.values():  # the hostile characters really are in the stored documents
        for field in ("title", "question", "answer", "author"):
            value = getattr(doc, field)
            assert "\x1b[2J" in value and "\u202e" in value and "\x9b" in value and "\x07" in value, field
    ix = root / "index"
    assert cli("index", "-q", "--index", ix, source).returncode == 0
    return ix, docs


@pytest.mark.parametrize("color", ["always", "never"])
def test_hostile_text_is_inert_in_the_terminal(hostile_index, color):
    ix, docs = hostile_index
    for args in (["search", "tramway"], ["show", "990000", "--no-pager"], ["similar", "990000"]):
        proc = cli(*args, "--color", color, "--index", ix)
        assert proc.returncode == 0, proc.stderr
        assert_inert(proc.stdout + proc.stderr)
        if color == "never":
            assert "\x1b" not in proc.stdout
        else:
            assert "\x1b[" in proc.stdout


def test_hostile_text_is_inert_on_a_real_terminal_through_the_pager(hostile_index):
    """On a pseudo-terminal: colour chosen automatically, long output through the pager ($PAGER=cat)."""
    ix, _ = hostile_index
    env = command_env(PAGER="cat", TERM="xterm-256color")
    env.pop("LESS", None)
    for args in (["show", "990000"], ["search", "tramway"], ["similar", "990000"]):
        argv = parlsearch_argv() + [*args, "--index", str(ix)]
        status, out, _ = on_a_pty(argv, env, rows=12, columns=100)  # 12 lines: the output needs the pager
        out = out.decode("utf-8", "replace")
        assert status == 0, out[-2000:]
        assert "\x1b[" in out  # coloured: it was a terminal
        assert_inert(out)


def test_hostile_text_is_exact_in_json(hostile_index):
    ix, docs = hostile_index
    show = cli("show", "--json", "--index", ix, "990000")
    assert show.returncode == 0
    assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", show.stdout.rstrip("\n"))  # raw bytes
    assert json.loads(show.stdout) == json.loads(json.dumps(docs["PRB-1-990000"].to_dict()))
    for args in (["search", "--json", "tramway"], ["similar", "--json", "990000"]):
        proc = cli(*args, "--index", ix)
        assert proc.returncode == 0
        assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", proc.stdout.rstrip("\n"))
        hits = json.loads(proc.stdout)["hits"]
        assert hits
        for hit in hits:
            doc = docs[hit["id"]]
            for key in ("title", "subject", "title_nl", "author", "minister", "url"):
                assert hit[key] == doc.to_dict()[key], key
            if args[0] == "search":  # excerpts carry the text as it is (similar has none)
                assert "\x1b[2J" in hit["snippet"] and "\u202e" in hit["snippet"]
    lines = cli("search", "--jsonl", "--index", ix, "tramway").stdout.splitlines()
    assert [json.loads(line)["title"] for line in lines] == [docs[json.loads(line)["id"]].title for line in lines]


# -- version drift -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("drift", ["older-analyzer", pytest.param("older-schema", marks=pytest.mark.slow),
                                   pytest.param("no-version-record", marks=pytest.mark.slow)])
def test_index_of_another_version_is_refused_then_rebuild_works(index_copy, drift):
    meta_path = index_copy / META_FILE
    meta = json.loads(meta_path.read_text())
    if drift == "older-analyzer":
        meta["analyzer_version"] -= 1
        meta_path.write_text(json.dumps(meta))
    elif drift == "older-schema":
        meta["schema_version"] -= 1
        meta_path.write_text(json.dumps(meta))
    else:
        meta_path.unlink()
    for args in (["search", "tram"], ["show", "170285"], ["similar", "170285"], ["stats"], ["index"]):
        assert_one_line_error(cli(*args, "--index", index_copy), "parlsearch index --rebuild")
    proc = cli("index", "--rebuild", "--index", index_copy)
    assert proc.returncode == 0, proc.stderr
    assert "107 new" in proc.stdout
    assert cli("search", "--index", index_copy, "garantie jeunesse").returncode == 0
    meta = json.loads(meta_path.read_text())
    assert {k: meta[k] for k in current_meta()} == current_meta()
