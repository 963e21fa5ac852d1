"""Files replaced atomically get the permissions a plain open() gives (issue 19, item 21).

mkstemp's private 0600 reached the final files: Atom feeds a web server could not serve."""
from __future__ import annotations

import contextlib
import os
import stat
import subprocess

import pytest

from parlsearch.corpus.atomic import atomic_write

from helpers import parlsearch_argv


@contextlib.contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077, 0o027], ids=oct)
def test_a_new_file_gets_the_mode_open_would_give(tmp_path, mask):
    with umask(mask):
        atomic_write(tmp_path / "atomic.txt", "x")
        with open(tmp_path / "plain.txt", "w") as f:
            f.write("x")
    assert mode(tmp_path / "atomic.txt") == mode(tmp_path / "plain.txt") == 0o666 & ~mask


def test_the_umask_is_read_without_changing_it():
    from parlsearch.corpus.atomic import current_umask
    for mask in (0o022, 0o077, 0o002):
        with umask(mask):
            assert current_umask() == mask
            assert os.umask(mask) == mask  # still in place


def test_a_replaced_file_keeps_its_mode(tmp_path):
    path = tmp_path / "feed.atom"
    path.write_text("old")
    for wanted in (0o640, 0o604, 0o600):
        path.chmod(wanted)
        with umask(0o022):
            atomic_write(path, "new")
        assert mode(path) == wanted and path.read_text() == "new"


def test_atom_feeds_state_and_saved_searches_are_readable_by_others_under_umask_022(tmp_path, cli_env, index_copy):
    """The real command, run under umask 022 as a login shell would: a web server (another user) can serve
    the feed; the saved searches and their state follow the same rule."""
    env = dict(cli_env, XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_STATE_HOME=str(tmp_path / "state"))

    def run(*args):
        return subprocess.run(parlsearch_argv() + list(args), env=env, capture_output=True, text=True,
                              timeout=120, preexec_fn=lambda: os.umask(0o022))

    assert run("watch", "add", "tram", "tram").returncode == 0
    assert run("watch", "run", "--index", str(index_copy), "--atom", str(tmp_path / "feeds")).returncode == 1
    for path in (tmp_path / "feeds" / "tram.atom", tmp_path / "config" / "parlsearch" / "watches.toml",
                 tmp_path / "state" / "parlsearch" / "watches" / "tram.json"):
        assert mode(path) == 0o644, path
