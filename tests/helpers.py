"""Test helpers shared by the test files: plain functions (the fixtures are in conftest.py).

A test file imports from here, never from another test file: `parlsearch_argv` (the real command),
`on_a_pty` (the real command on a pseudo-terminal). (The same functions, verbatim, as the test-suite
restructuring of issue 19 puts here with more: on a merge, its tests/helpers.py is the one to keep.)
"""
from __future__ import annotations

import os
import sys
from pathlib import Path


# -- the real command in a subprocess ------------------------------------------------------------------------------

def parlsearch_argv() -> list[str]:
    """How to run the real command in a subprocess (the installed script, else the module)."""
    script = Path(sys.executable).parent / "parlsearch"
    return [str(script)] if script.exists() else [sys.executable, "-m", "parlsearch"]


def on_a_pty(argv, env, rows, columns, keys_at_prompt=b""):
    """Run argv on a pseudo-terminal of rows x columns; when the pager's prompt shows, type keys_at_prompt.
    Returns (exit status, everything written to the terminal, read until EOF, whether a prompt showed)."""
    import fcntl
    import pty
    import select
    import struct
    import termios
    pid, fd = pty.fork()
    if pid == 0:
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    out, prompted = b"", False
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], 120)  # a bound against a hang, not a synchronisation
            assert ready, "no output for 120 s: %r" % out[-500:]
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child has closed the terminal
                break
            if not chunk:
                break
            out += chunk
            if not prompted and out.endswith((b"\n:\x1b[K", b"\n:", b"\x08:\x1b[K")):  # less prompts, waits for a key
                prompted = True
                os.write(fd, keys_at_prompt)
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out, prompted
