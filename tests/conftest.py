"""Shared fixtures: a real index of the bundled corpus, built once per test session."""
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def pytest_configure(config):
    """A private temporary directory for each test process: whoosh's RamStorage writes its temporary files
    to `<tempdir>/MAIN.tmp`, a name that two processes running tests at once (`-n 2`) would share."""
    import tempfile
    config._parlsearch_tmp = tempfile.mkdtemp(prefix="parlsearch-tests-")
    tempfile.tempdir = config._parlsearch_tmp


def pytest_unconfigure(config):
    tmp = getattr(config, "_parlsearch_tmp", None)
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def bundled_index(tmp_path_factory):
    """An index of the bundled corpus (read-only for tests: copy it before changing it)."""
    from parlsearch.index.update import update_index
    path = tmp_path_factory.mktemp("bundled") / "index"
    summary = update_index(None, path)
    assert summary.documents == 107
    return path


@pytest.fixture
def index_copy(bundled_index, tmp_path):
    """A private, writable copy of the bundled index."""
    path = tmp_path / "index"
    shutil.copytree(bundled_index, path)
    return path


@pytest.fixture(scope="session")
def engine(bundled_index):
    from parlsearch.search.engine import Engine
    e = Engine.open(bundled_index)
    yield e
    e.close()


def parlsearch_argv():
    """How to run the real command in a subprocess (the installed script, else the module)."""
    script = Path(sys.executable).parent / "parlsearch"
    return [str(script)] if script.exists() else [sys.executable, "-m", "parlsearch"]


@pytest.fixture
def cli_env(tmp_path):
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    env.pop("PARLSEARCH_INDEX", None)
    return env


@pytest.fixture(scope="session")
def segmented_index(tmp_path_factory, bundled_index):
    """The bundled corpus in several segments, with documents updated (deleted in their old segment) and
    deleted: the arrays must leave out exactly what whoosh leaves out."""
    from parlsearch.index.update import update_index
    from parlsearch.corpus.reader import read_paths
    path = tmp_path_factory.mktemp("segmented") / "index"
    docs = read_paths([REPO / "corpus" / "data"]).documents
    src = tmp_path_factory.mktemp("parts")
    from parlsearch.corpus.model import Document  # noqa: F401  (the records below are its dicts)
    parts = [docs[:30], docs[30:70], docs[70:]]
    for i, part in enumerate(parts):
        f = src / ("part%d.jsonl" % i)
        f.write_text("\n".join(json.dumps(d.to_dict(), ensure_ascii=False, default=str) for d in part) + "\n",
                     encoding="utf-8")
        update_index([f], path)
    # a changed reading of five documents of the first segment: their old versions are deleted there
    changed = []
    for d in docs[:5]:
        rec = d.to_dict()
        rec["answer"] = (rec.get("answer") or "") + " Réponse complétée: tram vélo logement."
        changed.append(rec)
    f = src / "changed.jsonl"
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False, default=str) for r in changed) + "\n", encoding="utf-8")
    update_index([f], path)
    return path


# -- both assemblies in one index ----------------------------------------------------------------------------

#: Chamber records every test of both assemblies can count on (besides the first ones of the data set): the
#: question on night and shift work, its near neighbour, a question put to three ministers, one without a
#: bulletin, the bodycams question.
CHAMBER_KEYS = ("55-B034-2-0136-2020202107205", "55-B030-5-0024-2020202105463", "55-B032-6-0151-2020202106194",
                "55-B025-6-0812-2019202003197", "55-B018-5-0502-2019202003197", "55--3-0158-2020202107112",
                "55-B031-13-0035-2020202105680")
#: Records of the Chamber's data set in the small index: enough for facets, filters and ranking to mean
#: something, few enough to index in a second or two.
CHAMBER_SUBSET = 300


def chamber_lines(count: int | None = None) -> list[bytes]:
    """The Chamber's records as published (JSON Lines, byte for byte): the first `count` and the CHAMBER_KEYS
    ones (all when count is None)."""
    import gzip
    from parlsearch.corpus.chamber import dataset_path
    with gzip.open(dataset_path(), "rb") as f:
        lines = f.read().splitlines()
    if count is None:
        return lines
    keys = [("/" + k + '"').encode() for k in CHAMBER_KEYS]
    return lines[:count] + [line for line in lines[count:] if any(k in line for k in keys)]


@pytest.fixture(scope="session")
def chamber_subset_file(tmp_path_factory):
    """CHAMBER_SUBSET records of the Chamber's data set (and the CHAMBER_KEYS ones) in a .jsonl file."""
    path = tmp_path_factory.mktemp("chamber") / "chamber-subset.jsonl"
    path.write_bytes(b"\n".join(chamber_lines(CHAMBER_SUBSET)) + b"\n")
    return path


@pytest.fixture(scope="session")
def both_index(tmp_path_factory, chamber_subset_file):
    """The bundled Brussels corpus and a few hundred of the Chamber's questions in one index (read-only)."""
    from parlsearch.index.update import update_index
    path = tmp_path_factory.mktemp("both") / "index"
    summary = update_index([REPO / "corpus" / "data", chamber_subset_file], path)
    assert summary.documents == 107 + len(chamber_lines(CHAMBER_SUBSET)) and not summary.rejected
    return path


@pytest.fixture(scope="session")
def both_engine(both_index):
    from parlsearch.search.engine import Engine
    e = Engine.open(both_index)
    yield e
    e.close()


@pytest.fixture(scope="session")
def chamber_index(tmp_path_factory):
    """Both assemblies whole: the Brussels corpus and the Chamber's 6,059 questions (a minute to build:
    for slow tests only)."""
    from parlsearch.corpus.chamber import dataset_path
    from parlsearch.index.update import update_index
    path = tmp_path_factory.mktemp("chamber-full") / "index"
    summary = update_index([REPO / "corpus" / "data", dataset_path()], path)
    assert summary.documents == 107 + 6059
    return path
