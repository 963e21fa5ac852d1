"""Where a command reads and writes: a local index directory, or a PostgreSQL database (`--backend`).

Every command that takes `--index DIR` also takes `--backend DSN` (repeatable: the primary first, then read
replicas; or one libpq multi-host DSN) and `--max-lag SECONDS`, and reads $PARLSEARCH_BACKEND (DSNs separated
by spaces). Which one a command uses, first match wins: `--backend`, `--index`, $PARLSEARCH_BACKEND,
$PARLSEARCH_INDEX, the default index directory; `--index` and `--backend` together are refused.

A command receives its target as `index_dir`: a path or None for a local index (as before), or a `Database`;
`open_engine` and `update` do the rest for either. The database code (index/postgres, psycopg) is imported
only when a Database is used.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

BACKEND_ENV = "PARLSEARCH_BACKEND"


@dataclass(frozen=True)
class Database:
    """A database named by --backend: its servers (index.postgres.connect.Servers) and the lag allowed to a
    replica that is read."""
    servers: object
    max_lag: float | None = None

    def __str__(self) -> str:
        return "postgresql %s" % self.servers


class TargetError(ValueError):
    """Options that name no usable target (one line for the user)."""


def resolve(index_dir, backends=(), max_lag: float | None = None):
    """The target the options and environment name: a path, None (the default index), or a Database."""
    from ..index.postgres.connect import Servers
    backends = tuple(b for b in (backends or ()) if b is not None)
    if backends and index_dir:
        raise TargetError("give --index DIR or --backend DSN, not both")
    if backends:
        return Database(Servers.parse(backends), max_lag)
    env = os.environ.get(BACKEND_ENV, "").strip()
    if index_dir is None and env:
        return Database(Servers.parse(env.split()), max_lag)
    if max_lag is not None:
        raise TargetError("--max-lag applies to a database: give --backend DSN (or set $%s)" % BACKEND_ENV)
    return index_dir


def is_database(target) -> bool:
    return isinstance(target, Database)


def open_engine(target):
    """An Engine over the target (a local index must exist: callers build the default one first)."""
    from .engine.core import Engine
    if isinstance(target, Database):
        return Engine.connect(target.servers, max_lag=target.max_lag)
    from ..index.store import resolve_index_dir
    return Engine.open(resolve_index_dir(target))


def update(paths, target, *, rebuild: bool = False, jobs: int = 1, wait: float = 0.0, progress=None,
           from_index=None):
    """Index `paths` into the target (or, for a database, copy the local index `from_index`): the summary
    of index/update.py, index/postgres/export.py or copy_index.py (each has .line(), .problems, .rejected)."""
    if isinstance(target, Database):
        if from_index is not None:
            from ..index.postgres.copy_index import copy_index
            return copy_index(from_index, target.servers, rebuild=rebuild, wait=wait, progress=progress)
        from ..index.postgres.export import export
        return export(paths, target.servers, rebuild=rebuild, wait=wait, progress=progress, jobs=jobs)
    if from_index is not None:
        raise TargetError("--from-index copies a local index into a database: give --backend DSN")
    from ..index.update import update_index
    return update_index(paths, target, rebuild=rebuild, jobs=jobs, wait=wait, progress=progress)
