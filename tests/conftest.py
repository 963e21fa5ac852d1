"""Shared fixtures: a real index of the bundled corpus built once per test process, the command's environment
and runner, a fake official site. Plain helper functions are in tests/helpers.py."""
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from helpers import CHAMBER_SUBSET, REPO, PgSchema, chamber_lines, command_env, set_batch_docs


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


# -- indexes ---------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def bundled_build(tmp_path_factory):
    """The bundled corpus indexed once per test process: (index path, the run's IndexSummary). A test that
    needs "an index of the bundled corpus" as a reference uses it (or `index_copy`) instead of building its
    own: a build costs ~1 CPU second, and a dozen tests used to build one each."""
    from parlsearch.index.update import update_index
    path = tmp_path_factory.mktemp("bundled") / "index"
    summary = update_index(None, path)
    assert summary.documents == 107
    return path, summary


@pytest.fixture(scope="session")
def bundled_index(bundled_build):
    """An index of the bundled corpus (read-only for tests: copy it before changing it)."""
    return bundled_build[0]


@pytest.fixture
def index_copy(bundled_index, tmp_path):
    """A private, writable copy of the bundled index."""
    path = tmp_path / "index"
    shutil.copytree(bundled_index, path)
    return path


@pytest.fixture(scope="session")
def engine(bundled_index):
    from parlsearch.search.engine.core import Engine
    e = Engine.open(bundled_index)
    yield e
    e.close()


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 10 documents (helpers.set_batch_docs): a few dozen records make several batches."""
    set_batch_docs(monkeypatch, 10)


# -- the command -------------------------------------------------------------------------------------------------------

@pytest.fixture
def cli_env(tmp_path):
    """The environment of a real `parlsearch` run (helpers.command_env) with a private XDG_DATA_HOME, so that a
    run without --index builds and reads its default index under tmp_path."""
    return command_env(XDG_DATA_HOME=str(tmp_path / "xdg"))


@pytest.fixture
def runner():
    """click's test runner of the command, in this process."""
    from click.testing import CliRunner
    return CliRunner()


# -- a fake official site (tests/fetch_server.py) --------------------------------------------------------------------

@pytest.fixture
def site():
    from fetch_server import FakeSite
    return FakeSite()


@pytest.fixture
def served(site):
    """The fake site, serving on a local port: (site, base url)."""
    with site.running() as url:
        yield site, url


@pytest.fixture(scope="session")
def segmented_index(tmp_path_factory, bundled_index):
    """The bundled corpus in several segments, with documents updated (deleted in their old segment) and
    deleted: the arrays must leave out exactly what whoosh leaves out."""
    from parlsearch.index.update import update_index
    from parlsearch.corpus.reader import read_paths
    path = tmp_path_factory.mktemp("segmented") / "index"
    docs = read_paths([REPO / "corpus" / "data"]).documents
    src = tmp_path_factory.mktemp("parts")
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


# -- PostgreSQL backend (tests/pg_cluster.py's cluster; skipped when its variables are unset) ---------------------

def _pg_skip():
    from helpers import pg_skip_reason
    reason = pg_skip_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture
def pg_schema():
    """A fresh, empty PostgreSQL schema for one test (dropped afterwards), under the cluster's shared lock."""
    _pg_skip()
    import uuid
    from helpers import pg_lock
    with pg_lock(exclusive=False):
        schema = PgSchema("t_" + uuid.uuid4().hex[:12]).create()
        try:
            yield schema
        finally:
            schema.drop()


@pytest.fixture
def pg_schema_exclusive():
    """pg_schema for a test that stops and starts the cluster's servers: no other test uses the cluster
    meanwhile. Both servers are running again afterwards."""
    _pg_skip()
    import uuid
    from helpers import PG_CLUSTER_VAR, pg_lock
    cluster = Path(os.environ[PG_CLUSTER_VAR])
    sys.path.insert(0, str(Path(__file__).parent))
    import pg_cluster
    with pg_lock(exclusive=True):
        schema = PgSchema("t_" + uuid.uuid4().hex[:12]).create()
        try:
            yield schema, cluster
        finally:
            for node in pg_cluster.NODES:
                if not (cluster / node / "postmaster.pid").exists():
                    pg_cluster.start_node(cluster, node)
            schema.drop()


@pytest.fixture(scope="session")
def _pg_bundled_session():
    _pg_skip()
    import uuid
    from helpers import pg_lock, pg_wait_replayed
    from parlsearch.index.postgres.export import export
    with pg_lock(exclusive=False):
        schema = PgSchema("s_" + uuid.uuid4().hex[:12]).create()
        summary = export(None, schema.servers())
        assert summary.documents == 107
        pg_wait_replayed(schema.primary, schema.standby)
    yield schema
    with pg_lock(exclusive=False):
        schema.drop()


@pytest.fixture
def pg_bundled(_pg_bundled_session):
    """A schema holding the bundled corpus exported by `parlsearch index --backend` (read-only for tests; one
    per test session), under the cluster's shared lock."""
    from helpers import pg_lock
    with pg_lock(exclusive=False):
        yield _pg_bundled_session


@pytest.fixture
def pg_engine(pg_bundled):
    """An Engine over pg_bundled's primary."""
    from parlsearch.search.engine.core import Engine
    e = Engine.connect(pg_bundled.servers())
    yield e
    e.close()


@pytest.fixture(scope="session")
def _pg_both_session(chamber_subset_file):
    _pg_skip()
    import uuid
    from helpers import pg_lock
    from parlsearch.index.postgres.export import export
    with pg_lock(exclusive=False):
        schema = PgSchema("s_" + uuid.uuid4().hex[:12]).create()
        summary = export([REPO / "corpus" / "data", chamber_subset_file], schema.servers())
        assert summary.documents == 107 + len(chamber_lines(CHAMBER_SUBSET)) and not summary.rejected
    yield schema
    with pg_lock(exclusive=False):
        schema.drop()


@pytest.fixture
def pg_both(_pg_both_session):
    """both_index's files (the Brussels corpus and a few hundred of the Chamber's questions) exported to a
    schema by `parlsearch index --backend` (read-only; one per test session), under the cluster's shared lock."""
    from helpers import pg_lock
    with pg_lock(exclusive=False):
        yield _pg_both_session


@pytest.fixture
def pg_both_engine(pg_both):
    """An Engine over pg_both's primary."""
    from parlsearch.search.engine.core import Engine
    e = Engine.connect(pg_both.servers())
    yield e
    e.close()


# -- both assemblies in one index ----------------------------------------------------------------------------

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
    from parlsearch.search.engine.core import Engine
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
