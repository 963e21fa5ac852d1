"""Text laid out for a terminal: how many columns a line takes, and lines wrapped to the terminal's width.

A terminal wraps a long line wherever its last column falls, in the middle of a word, and the next row
starts at column 0, under the hit's number. `wrap` breaks between words instead and starts each further row
with a hanging indent (under the text it continues), as `man` and `git log` lay out their text. Only our own
escape sequences can be in the text (document text has been through output.safe): colours and bold (SGR,
`ESC [ … m`) and hyperlinks (OSC 8, `ESC ] 8 ; ; URL ESC \\`) take no column; combining marks none, wide
(CJK) characters two. A word wider than the line is left whole (a URL): the terminal folds it.
"""
from __future__ import annotations

import re
import unicodedata

#: Our escape sequences: SGR (colour, bold…) and OSC 8 hyperlinks (terminated by ST or BEL).
ESCAPES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\x1b\]8;[^\x07\x1b]*(?:\x1b\\|\x07)")
#: Where a line may break: plain spaces only (a no-break space holds "n° 177" and "question ?" together).
_SPACES = re.compile(" +")


def display_width(text: str) -> int:
    """Columns `text` takes on a terminal: escape sequences none, combining marks none, wide characters two."""
    width = 0
    for ch in ESCAPES.sub("", text):
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def wrap(line: str, width: int | None, indent: int = 0) -> list[str]:
    """`line` as rows of at most `width` columns, broken between words (runs of spaces), each row after the
    first starting with `indent` spaces. `width` None: the line as it is (not a terminal)."""
    if width is None or display_width(line) <= width:
        return [line]
    lead = len(line) - len(line.lstrip(" "))
    rows, row, used = [], line[:lead], lead
    for word in _SPACES.split(line[lead:].strip(" ")):
        size = display_width(word)
        if not rows and used == lead:  # the line's first word
            row, used = row + word, used + size
        elif used + 1 + size > width:
            rows.append(row)
            row, used = " " * indent + word, indent + size
        else:
            row, used = row + " " + word, used + 1 + size
    rows.append(row)
    return rows
