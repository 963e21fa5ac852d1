"""A directory is an index of ours by more than one file name (issue 19, item 24).

A user's own `parlsearch-meta.json` (any JSON object) made its directory count as an unfinished index, which
`parlsearch index` then overwrote. The metadata file must be ours: the `format` marker, or the version keys
every earlier version wrote."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from parlsearch.corpus.reader import bundled_corpus
from parlsearch.index.store import META_FILE, directory_kind
from parlsearch.index.update import update_index

from helpers import parlsearch_argv

PAGES = [str(bundled_corpus() / "pages")]  # two official Weblex pages


def run(env, *args):
    return subprocess.run(parlsearch_argv() + [str(a) for a in args], env=env, capture_output=True, text=True,
                          timeout=120)


def assert_refused(proc, directory):
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stderr == ("parlsearch: error: %s is not a parlsearch index and is not empty; refusing to use it "
                           "(choose a new or empty directory for --index)\n" % directory)


@pytest.mark.parametrize("content", ['{"my": "notes"}', '{}', '{"format": "something else", "a": 1}'])
def test_a_users_metadata_file_makes_the_directory_foreign_and_is_never_written(tmp_path, cli_env, content):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / META_FILE).write_text(content)
    assert directory_kind(folder) == "foreign"
    for args in (["index", *PAGES], ["index", "--rebuild", *PAGES], ["search", "tram"], ["stats"]):
        assert_refused(run(cli_env, *args[:1], "--index", folder, *args[1:]), folder)
    assert os.listdir(folder) == [META_FILE] and (folder / META_FILE).read_text() == content


@pytest.mark.parametrize("content", [b"not json at all", b"[1, 2, 3]", b"\xff\xfe", b"x" * (70 * 1024)])
def test_an_unreadable_metadata_file_alone_makes_the_directory_foreign(tmp_path, cli_env, content):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / META_FILE).write_bytes(content)
    assert_refused(run(cli_env, "index", "--index", folder, *PAGES), folder)
    assert (folder / META_FILE).read_bytes() == content


def test_a_fifo_named_as_the_metadata_file_is_foreign_and_does_not_hang(tmp_path, cli_env):
    folder = tmp_path / "mine"
    folder.mkdir()
    os.mkfifo(folder / META_FILE)
    assert_refused(run(cli_env, "index", "--index", folder, *PAGES), folder)


def test_the_default_location_holding_a_users_metadata_file_is_not_built(tmp_path, cli_env):
    """The first search builds the index at the default location only when it is new: not over a user's file."""
    default = tmp_path / "xdg" / "parlsearch" / "index"
    default.mkdir(parents=True)
    (default / META_FILE).write_text('{"my": "notes"}')
    assert_refused(run(cli_env, "search", "tram"), default)
    assert os.listdir(default) == [META_FILE]


def test_our_metadata_carries_the_marker_and_an_earlier_versions_still_opens(tmp_path, cli_env):
    from parlsearch.index.store import META_FORMAT
    update_index(PAGES, tmp_path / "ix")
    meta = json.loads((tmp_path / "ix" / META_FILE).read_text())
    assert meta["format"] == META_FORMAT
    del meta["format"]  # as every version before this one wrote it
    (tmp_path / "ix" / META_FILE).write_text(json.dumps(meta))
    assert directory_kind(tmp_path / "ix") == "index"
    found = run(cli_env, "search", "--index", tmp_path / "ix", "-n", "0", "*")
    assert found.returncode == 0 and "2 results" in found.stdout, found.stderr


def test_an_interrupted_first_build_is_still_completed(tmp_path, cli_env):
    """Only our metadata (written first by a first build that was then killed): completed by the next run."""
    update_index(PAGES, tmp_path / "ix")
    for name in os.listdir(tmp_path / "ix"):
        if name != META_FILE:
            os.unlink(tmp_path / "ix" / name)
    assert directory_kind(tmp_path / "ix") == "unfinished"
    done = run(cli_env, "index", "--index", tmp_path / "ix", *PAGES)
    assert done.returncode == 0 and "2 new" in done.stdout, done.stderr
