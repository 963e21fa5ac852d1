"""One way to replace a file: readers (and a later run) see the old or the new file, never a part.

Used by the page cache, its journal, and the saved searches' configuration, state and Atom feeds. (The index
metadata has its own temporary name, which the index directory check recognises as one of its files.)
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write `data` (str: as UTF-8 with LF line ends) to a hidden temporary file in the same directory (a dot
    name ending in .tmp, skipped by the corpus reader and swept by `cache.remove_leftovers`), flush it to
    disk, then rename it over `path` (atomic on POSIX within one directory)."""
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
