"""`--help` of every command documents every option (issue 19, item 15), in words a user reads (no source
file to go and read), and each command's `--format` is described as that command prints it."""
import re

import click
import pytest
from click.testing import CliRunner

from parlsearch.search.cli.app import cli


def _commands():
    """(command path, click command) of every command, the lazily loaded ones and the subcommands included."""
    ctx = click.Context(cli, info_name="parlsearch")
    out = []

    def walk(command, path):
        out.append((path, command))
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None, "%s %s cannot be loaded" % (" ".join(path), name)
                walk(sub, path + [name])

    walk(cli, ["parlsearch"])
    return out


COMMANDS = _commands()
BY_PATH = {" ".join(path[1:]): command for path, command in COMMANDS}


def test_the_walk_meets_every_command():
    assert {"search", "show", "similar", "stats", "index", "fetch", "serve", "eval", "watch add", "watch list",
            "watch run", "watch remove"} <= set(BY_PATH)


@pytest.mark.parametrize("path,command", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_option_of_every_command_has_a_help_text(path, command):
    assert (command.help or "").strip(), "%s has no description" % " ".join(path)
    result = CliRunner().invoke(cli, path[1:] + ["--help"], prog_name="parlsearch")
    assert result.exit_code == 0, result.output
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert (param.help or "").strip(), "%s %s has no help text" % (" ".join(path), "/".join(param.opts))
            assert param.opts[0] in result.output  # and --help shows it
    assert not re.search(r"\b[\w/]+\.py\b", result.output), "help points to a source file:\n" + result.output


@pytest.mark.parametrize("command", ["search", "show", "similar"])
def test_format_help_of_the_hit_commands_speaks_of_hits_not_of_stats(command):
    option = next(p for p in BY_PATH[command].params if p.name == "output_format")
    assert "stats" not in option.help and "hit" in option.help, option.help


def test_format_help_of_stats_speaks_of_counts():
    option = next(p for p in BY_PATH["stats"].params if p.name == "output_format")
    assert "count" in option.help and "hit" not in option.help, option.help


def test_stats_by_help_names_the_facets():
    from parlsearch.search.engine.counting import ALL_FACETS
    by = next(p for p in BY_PATH["stats"].params if p.name == "by")
    assert all(facet in by.help for facet in ALL_FACETS), by.help


# -- watch add --index ----------------------------------------------------------------------------------------

@pytest.fixture
def xdg_dirs(tmp_path, monkeypatch):
    for name in ("CONFIG", "STATE", "DATA"):
        monkeypatch.setenv("XDG_%s_HOME" % name, str(tmp_path / name.lower()))
    monkeypatch.delenv("PARLSEARCH_INDEX", raising=False)
    return tmp_path


def test_watch_add_checks_its_query_against_the_index_and_says_what_matches_now(xdg_dirs, bundled_index):
    runner = CliRunner()
    ix = ["--index", str(bundled_index)]
    bad = runner.invoke(cli, ["watch", "add", "w", "nope:tram", *ix])
    assert bad.exit_code == 2 and "bad query: unknown field 'nope'" in bad.output, bad.output
    assert not (xdg_dirs / "config" / "parlsearch" / "watches.toml").exists()  # nothing saved
    good = runner.invoke(cli, ["watch", "add", "w", "id:PRB-1-170285", *ix])
    assert good.exit_code == 0, good.output
    assert "; 1 document matches now" in good.output


def test_watch_add_builds_no_index(xdg_dirs):
    """Without --index and with no index at the default location, only the syntax is checked: saving a search
    does not build an index."""
    result = CliRunner().invoke(cli, ["watch", "add", "w", "tram"])
    assert result.exit_code == 0 and "its first run records what matches then" in result.output
    assert not (xdg_dirs / "data" / "parlsearch" / "index").exists()
