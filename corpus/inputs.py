"""Which files are read, and how they are opened: nothing silent, nothing but regular files, nothing read
past the size limit (README, "Inputs").

    for item in iter_files(paths):   # Path, or (path, reason) for what is reported instead of read
    f, size = open_regular(path)     # NotRegular for a FIFO, device or socket swapped in meanwhile
    Bounded(f, limit)                # never returns more than `limit` bytes
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterable, Iterator

_SKIPPED_NAMES = {".DS_Store", "Thumbs.db"}


def _kind_of(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def iter_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path | tuple[str, str]]:
    """Every regular file under the given paths (directories walked recursively, in sorted order).

    Nothing is silent (README, "Inputs"): a directory that cannot be listed, a FIFO, a device or a socket
    (which would block or never end) is reported and skipped, never opened. Symbolic links to
    directories are followed, like `rg --follow`, but a directory already being walked (a link loop) or
    already read (two links to one directory) is reported and not read twice.
    """
    for raw in paths:
        path = Path(raw)
        try:
            st = path.stat()
        except FileNotFoundError:
            yield str(path), "no such file or directory"
            continue
        except OSError as e:
            yield str(path), "cannot read: %s" % (e.strerror or e)
            continue
        if stat.S_ISDIR(st.st_mode):
            yield from _walk(path, set())
        elif stat.S_ISREG(st.st_mode):
            yield path
        else:
            yield str(path), "%s, not read" % _kind_of(st.st_mode)


def _walk(directory: Path, seen: set) -> Iterator[Path | tuple[str, str]]:
    try:
        st = directory.stat()
        key = (st.st_dev, st.st_ino)
        if key in seen:
            yield str(directory), "directory already read (symbolic link loop or second link), not read again"
            return
        seen.add(key)
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as e:
        yield str(directory), "cannot read directory: %s" % (e.strerror or e)
        return
    subdirs = []
    for entry in entries:
        name = entry.name
        if name.startswith(".") or name in _SKIPPED_NAMES:
            continue
        try:
            mode = os.stat(entry.path).st_mode  # follows links
        except OSError as e:
            reason = "broken symbolic link" if entry.is_symlink() else "cannot read: %s" % (e.strerror or e)
            yield entry.path, reason
            continue
        if stat.S_ISDIR(mode):
            subdirs.append(Path(entry.path))
        elif stat.S_ISREG(mode):
            yield Path(entry.path)
        else:
            yield entry.path, "%s, not read" % _kind_of(mode)
    for sub in subdirs:  # files of a directory first, then its subdirectories, as os.walk did
        yield from _walk(sub, seen)


def open_regular(path: Path):
    """Open a file for reading only if it is a regular file: O_NONBLOCK so that a FIFO swapped in after
    the directory listing cannot block the open, and fstat on the opened file to refuse it."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegular(_kind_of(st.st_mode))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb"), st.st_size
    except BaseException:
        os.close(fd)
        raise


class NotRegular(Exception):
    """Not a regular file (str(): what it is, "a FIFO")."""


class Bounded:
    """A binary file object that never returns more than `limit` bytes in total."""

    def __init__(self, f, limit: int):
        self.f, self.left, self.exceeded = f, limit, False

    def _cap(self, n: int) -> int:
        return self.left if n is None or n < 0 else min(n, self.left)

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(self._cap(n))
        return self._count(data)

    def readline(self, n: int = -1) -> bytes:
        return self._count(self.f.readline(self._cap(n)))

    def _count(self, data: bytes) -> bytes:
        self.left -= len(data)
        if self.left <= 0 and not self.exceeded and self.f.read(1):
            self.exceeded = True
        return data
