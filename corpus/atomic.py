"""One way to replace a file: readers (and a later run) see the old or the new file, never a part.

Used by the page cache, its journal, and the saved searches' configuration, state and Atom feeds. (The index
metadata has its own temporary name, which the index directory check recognises as one of its files.)

Every file written here gets the mode a plain open() would have given it: the mode of the file it replaces,
else 0666 less the process umask (0644 under the usual 022). The temporary file mkstemp makes is private
(0600), which left Atom feeds that a web server could not serve and cache files other users could not read.
None of these files holds a secret (pages and feeds are public, the saved searches are the user's queries): a
user who wants one private makes it so with chmod or a umask, and a rewrite keeps that.
"""
from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def current_umask() -> int:
    """The process umask, read without changing it where Linux shows it (/proc/self/status, since 4.7): setting
    it to read it back would change it for an instant for every thread of the process."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _final_mode(path: Path) -> int:
    """The mode open(path, "w") would leave: an existing file keeps its permissions, a new one gets the umask's."""
    try:
        st = os.stat(path)
        if stat.S_ISREG(st.st_mode):
            return stat.S_IMODE(st.st_mode)
    except OSError:
        pass
    return 0o666 & ~current_umask()


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write `data` (str: as UTF-8 with LF line ends) to a hidden temporary file in the same directory (a dot
    name ending in .tmp, skipped by the corpus reader and swept by `cache.remove_leftovers`), give it the mode
    a plain open() would (see the module doc), flush it to disk, then rename it over `path` (atomic on POSIX
    within one directory)."""
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            if hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), _final_mode(path))
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
