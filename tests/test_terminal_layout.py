"""Text on a real terminal (issue 19, item 18): lines wrapped to the terminal's width between words, with a
hanging indent; colours shown as colours through less even when the user's LESS lacks R."""
import re
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parlsearch.search.layout import display_width, wrap

from helpers import on_a_pty, parlsearch_argv

_ESCAPE = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b\]8;[^\x07\x1b]*(?:\x1b\\|\x07)|\x1b[=>]")


def _screen_lines(out: bytes) -> list[str]:
    """What a pty showed, as lines of text without escape sequences."""
    return _ESCAPE.sub(b"", out).decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "").split("\n")


# -- wrap ---------------------------------------------------------------------------------------------------------

WORD = st.one_of(st.text(alphabet="abcdéèçœ’'-?:!.,0123456789", min_size=1, max_size=14),
                 st.sampled_from(["\x1b[1mgras", "fin\x1b[0m", "漢字", "e\u0301te", "n°\u00a0177",
                                  "\x1b]8;;https://x.be/\x1b\\https://x.be/\x1b]8;;\x1b\\"]))


@settings(max_examples=300, deadline=None)
@given(words=st.lists(WORD, min_size=1, max_size=40), lead=st.integers(0, 6), width=st.integers(8, 90),
       indent=st.integers(0, 6))
def test_wrap_breaks_between_words_within_the_width_under_a_hanging_indent(words, lead, width, indent):
    line = " " * lead + " ".join(words)
    rows = wrap(line, width, indent)
    assert " ".join(" ".join(rows).split(" ")).split() == line.split()  # every word, whole and in order
    assert rows[0].startswith(" " * lead)
    for row in rows[1:]:
        assert row.startswith(" " * indent) and not row[indent:].startswith(" ")
    for row in rows:
        if display_width(row) > width:  # only a word wider than the line may overflow, alone on its row
            assert len(row.strip(" ").split(" ")) == 1
    assert len(rows) == 1 or display_width(line) > width  # a line that fits is left alone


def test_wrap_leaves_lines_alone_off_a_terminal():
    assert wrap("a " * 500, None, 4) == ["a " * 500]


def test_escape_sequences_and_wide_characters_take_their_real_width():
    assert display_width("\x1b[33m\x1b[1mmot\x1b[0m") == 3 and display_width("漢字") == 4
    assert display_width("\x1b]8;;https://x.be/\x1b\\lien\x1b]8;;\x1b\\") == 4 and display_width("e\u0301") == 1


# -- show and search on a real terminal ---------------------------------------------------------------------------

def _on_terminal(args, env, columns, rows=400):
    status, out, prompted = on_a_pty(parlsearch_argv() + args, env, rows=rows, columns=columns)
    assert status == 0, out[-2000:]
    assert not prompted  # all of it fits: no pager
    return _screen_lines(out)


def _piped(args, env):
    return subprocess.run(parlsearch_argv() + args, capture_output=True, text=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL).stdout


def test_show_is_wrapped_to_the_terminal_with_facts_under_their_value(bundled_index, cli_env):
    args = ["show", "--index", str(bundled_index), "170285"]
    lines = _on_terminal(args, cli_env, columns=60)
    for line in lines:
        assert display_width(line) <= 60 or " " not in line.strip(), line  # a URL alone may overflow
    assert _piped(args, cli_env).split() == " ".join(lines).split()  # the same words, none broken
    recipient = next(i for i, line in enumerate(lines) if line.startswith("Recipient:"))
    assert lines[recipient + 1].startswith(" " * 15) and lines[recipient + 1][15] != " "
    question = lines.index("Question")
    assert len(lines[question + 1]) > 40 and not lines[question + 2].startswith(" ")  # a paragraph, flush left


def test_search_hits_are_wrapped_under_their_text(bundled_index, cli_env):
    args = ["search", "--index", str(bundled_index), "-n", "3", "stationnement", "vélo"]
    lines = _on_terminal(args, cli_env, columns=50)
    assert all(display_width(line) <= 50 or " " not in line.strip() for line in lines)
    assert _piped(args, cli_env).split() == " ".join(lines).split()
    body = [line for line in lines if line and not re.match(r"^ ?\d+\. |^\d+ results", line)]
    assert body and all(line.startswith("    ") for line in body)  # meta, URL, snippets and their rows


@pytest.mark.skipif(not shutil.which("less"), reason="less is not installed")
def test_colours_pass_through_less_even_when_the_users_less_lacks_r(bundled_index, cli_env):
    """LESS=X (no R) and a long, coloured output: less still shows colours, never "ESC[1m"."""
    env = {k: v for k, v in cli_env.items() if k not in ("PAGER", "LV")}
    env["LESS"] = "X"
    argv = parlsearch_argv() + ["search", "--index", str(bundled_index), "--color", "always", "-n", "30", "*"]
    status, out, prompted = on_a_pty(argv, env, rows=12, columns=80, keys_at_prompt=b"q")
    assert status == 0 and prompted, out[-1000:]
    assert b"ESC[" not in out and b"\x1b[1m" in out
