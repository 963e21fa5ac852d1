"""What every `parlsearch` command shares: exit statuses, the one-line error, `--index DIR` (with `--backend`:
search/targets.py), the output options (`--format` and its aliases, `--color`, `--pager`) and the pager.

Kept apart from `cli.py` so that command modules registered in the main group (`fetch`, …) import the same
helpers without importing each other.
"""
from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass

import click

from ..layout import display_width  # columns a line takes on a terminal

#: Exit statuses, like grep: 0 something matched (or the command did what it was asked), 1 nothing matched,
#: 2 an error (bad usage, bad query, an index that cannot be opened or written). `index` uses 3 when some
#: inputs were rejected and the rest indexed (like rsync's "partial transfer"). 130: interrupted (Ctrl-C).
EXIT_MATCH, EXIT_NO_MATCH, EXIT_ERROR, EXIT_PARTIAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

PROG = "parlsearch"
#: Set (to anything but "" or "0") to let an unexpected error raise its Python traceback, as `--debug` does.
DEBUG_ENV = "PARLSEARCH_DEBUG"
#: A process killed by SIGPIPE exits 128 + 13 in a shell: the status of a command whose reader went away
#: (`parlsearch search … | head -1`), as grep's.
EXIT_BROKEN_PIPE = 141
_debug = False


def error_line(message: str) -> str:
    """The one line every failure prints: 'parlsearch: error: …', with its own line breaks folded."""
    from ..output import safe  # a message may quote input (a path, an id, a query): made inert like the rest
    return "%s: error: %s" % (PROG, safe(" ".join(str(message).split())))


def set_debug(ctx, param, value) -> None:
    """Callback of the global `--debug` option."""
    global _debug
    _debug = bool(value)


def debugging() -> bool:
    """True with `--debug` or $PARLSEARCH_DEBUG: an unexpected error shows its traceback."""
    return _debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")


def internal_error(error: BaseException) -> str:
    """The one line of an unexpected error (a bug): its type and message, and how to get the traceback."""
    text = " ".join(str(error).split())
    if len(text) > 200:
        text = text[:200] + "…"
    return "internal error: %s%s (run again with --debug for the traceback; please report it)" % (
        type(error).__name__, ": " + text if text else "")


def fail(message: str, status: int = EXIT_ERROR) -> None:
    """One line on stderr, exit status 2 (or `status`)."""
    click.echo(error_line(message), err=True)
    sys.exit(status)


def index_option(command):
    """`--index DIR`, `--backend DSN` (repeatable) and `--max-lag SECONDS`: the command receives one
    `index_dir` argument, its target — a path or None (a local index), or a database (search/targets.py)."""
    @functools.wraps(command)
    def wrapper(*args, **kw):
        from ..targets import TargetError, resolve
        try:
            kw["index_dir"] = resolve(kw.get("index_dir"), kw.pop("backends"), kw.pop("max_lag"))
        except TargetError as e:
            fail(str(e))
        except Exception as e:
            from ...index.store import IndexProblem
            if not isinstance(e, IndexProblem):
                raise
            fail(str(e))
        return command(*args, **kw)

    options = [
        click.option("--index", "index_dir", metavar="DIR", type=click.Path(file_okay=False),
                     help="Index directory (default: $PARLSEARCH_INDEX, else $XDG_DATA_HOME/parlsearch/index)."),
        click.option("--backend", "backends", metavar="DSN", multiple=True,
                     help="Use this PostgreSQL database instead of a local index (postgresql://user@host/db; "
                          "repeat for read replicas, the primary first; default: $PARLSEARCH_BACKEND)."),
        click.option("--max-lag", "max_lag", type=click.FloatRange(0), default=None, metavar="SECONDS",
                     help="With --backend: skip a replica more than SECONDS behind its primary (default 30)."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def max_cpu_option(f):
    """--max-cpu SECONDS: the query's CPU budget (search/engine/budget.py); past it, one error line and exit 2."""
    from ..engine.budget import DEFAULT_CLI_SECONDS
    return click.option(
        "--max-cpu", "max_cpu", type=click.FloatRange(0, min_open=True), default=DEFAULT_CLI_SECONDS,
        show_default=True, metavar="SECONDS",
        help="CPU seconds the query may use; past them it stops with an error (exit 2).")(f)


# -- output options ---------------------------------------------------------------------------------------

def want_color(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never":
        return False
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


@dataclass(frozen=True)
class Output:
    """Where and how a command prints: the chosen format, colour and pager."""

    format: str
    color: bool
    pager: bool

    def style(self):
        """Colour as chosen; text for people wrapped to the terminal's width when stdout is a terminal."""
        from ..output import Style
        width = None
        if self.format == "text" and sys.stdout.isatty():  # (`line` is one line a hit by definition)
            try:
                width = os.get_terminal_size(sys.stdout.fileno()).columns or None
            except (OSError, ValueError):
                width = None
        return Style(self.color, width)

    def emit(self, text: str) -> None:
        """Print `text` (which ends with its newline): through a pager when it is meant for people, stdout is a
        terminal and it would not fit on the screen."""
        from ..output import FORMATS
        people = FORMATS[self.format].for_people
        if people and self.pager and sys.stdout.isatty() and not fits_screen(text):
            if run_pager(text):
                return
        click.echo(text, nl=False, color=self.color if people else False)


def output_options(formats: tuple[str, ...], pager: bool = True, stats: bool = False):
    """`--format NAME` with its aliases (`--json`, `--jsonl`, `--csv`, `--tsv` for those offered), `--color`
    and `--pager/--no-pager`. The command receives one `out` argument, an `Output`. `stats`: the formats are
    described as `stats` prints them (rows of counts), else as hits and documents."""
    aliases = [name for name in ("json", "jsonl", "csv", "tsv") if name in formats]

    def decorate(command):
        @functools.wraps(command)
        def wrapper(*args, **kw):
            chosen = {name for name in aliases if kw.pop("as_" + name)}
            fmt = kw.pop("output_format")
            if fmt:
                chosen.add(fmt)
            if len(chosen) > 1:
                fail("choose one output format (given: %s)" % ", ".join(sorted(chosen)))
            name = chosen.pop() if chosen else "text"
            use_pager = kw.pop("pager") if pager else False
            kw["out"] = Output(name, want_color(kw.pop("color")), use_pager)
            return command(*args, **kw)

        from ..output import FORMATS
        described = "; ".join("%s: %s" % (name, FORMATS[name].stats_help if stats else FORMATS[name].help)
                              for name in formats)
        options = [click.option("--format", "output_format", type=click.Choice(formats), default=None,
                                help="Output format (default: text). %s." % described)]
        options += [click.option("--" + name, "as_" + name, is_flag=True, help="Same as --format %s." % name)
                    for name in aliases]
        options.append(click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
                                    show_default=True, help="Colour (auto: on a terminal, unless NO_COLOR)."))
        if pager:
            options.append(click.option("--pager/--no-pager", default=True, show_default=True,
                                        help="Page long text output on a terminal ($PAGER, else less)."))
        for option in reversed(options):
            wrapper = option(wrapper)
        return wrapper

    return decorate


# -- the pager ---------------------------------------------------------------------------------------------



def screen_rows(text: str, columns: int) -> int:
    """Rows `text` fills on a terminal `columns` wide, counting the rows long lines wrap onto."""
    columns = max(columns, 1)
    return sum(max(1, -(-display_width(line) // columns)) for line in text.rstrip("\n").split("\n"))


def fits_screen(text: str) -> bool:
    try:
        size = os.get_terminal_size(sys.stdout.fileno())
    except (OSError, ValueError):
        return True
    return screen_rows(text, size.columns) <= size.lines - 1  # one row left for the shell's prompt


def pager_command() -> list[str] | None:
    """$PAGER (empty or `cat`: no pager, like git), else less, else more, else none."""
    import shlex
    import shutil
    value = os.environ.get("PAGER")
    if value is not None:
        argv = shlex.split(value)
        return None if not argv or argv == ["cat"] else argv
    for name in ("less", "more"):
        if shutil.which(name):
            return [name]
    return None


def run_pager(text: str) -> bool:
    """Page `text`; False when there is no pager to run (the caller then prints it).

    Like git: `LESS=FRX` when LESS is unset, so less quits when the text fits one screen (F), passes our
    colours through (R) and leaves the text on the screen when it quits (X); `LV=-c` for lv likewise. A LESS
    of the user's own without R would show our colours as "ESC[1m": as bat does, less is also given -R on
    its command line (which takes precedence over LESS); the text's escape sequences are only ours (document
    text went through output.safe).
    """
    import subprocess
    argv = pager_command()
    if argv is None:
        return False
    if os.path.basename(argv[0]) == "less" and not {"-r", "-R", "--raw-control-chars",
                                                     "--RAW-CONTROL-CHARS"} & set(argv[1:]):
        argv = argv + ["-R"]
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    sys.stdout.flush()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, env=env)
    except OSError:
        return False
    try:
        proc.stdin.write(text.encode("utf-8", "replace"))
        proc.stdin.close()
    except BrokenPipeError:  # the reader quit (q) before the end: not an error
        pass
    while True:
        try:
            proc.wait()
            return True
        except KeyboardInterrupt:  # Ctrl-C belongs to the pager while it runs (less uses it)
            continue


# -- the one failure contract for click's own errors ---------------------------------------------------------

#: click ≥ 8.2 reports a bare group command as this usage error; click 8.1 prints the help and exits 0.
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


def run_group(group: click.Group, args=None, prog_name=None, **extra):
    """Run `group` so that every failure, click's usage errors included, is one line `parlsearch: error: …`
    and exit status 2; Ctrl-C is status 130. The top-level handler of every command: an exception no command
    expected (a bug) is one line too, `internal error: Type: message`, exit 2 (1 would read as "no match"),
    unless `--debug` or $PARLSEARCH_DEBUG asks for its traceback."""
    global _debug
    _debug = False  # set by --debug while the arguments are parsed (several runs share one process in tests)
    try:
        rv = click.Group.main(group, args, prog_name or PROG, standalone_mode=False, **extra)
    except _NO_ARGS_IS_HELP as e:  # bare `parlsearch`: the help, as click prints it
        e.show()
        sys.exit(EXIT_ERROR)
    except click.UsageError as e:
        message = e.format_message()
        command = e.ctx.command_path if e.ctx is not None else PROG
        if isinstance(e, click.NoSuchOption) and not e.possibilities and command.endswith(" search"):
            given = sys.argv[1:] if args is None else list(args)
            word = next((a for a in given if a.startswith(e.option_name) and not a.startswith("--")), None)
            if word and word != e.option_name:
                message = message.rstrip(".") + " (in '%s')." % word
            message += " Put '--' before a query with a word starting with '-': %s [OPTIONS] -- QUERY." % command
        if not message.rstrip().endswith((".", "?", "!")):  # a sentence before the next one
            message = message.rstrip() + "."
        fail("%s See '%s --help'." % (message, command))
    except click.ClickException as e:
        fail(e.format_message())
    except click.Abort:
        click.echo("%s: interrupted" % PROG, err=True)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:  # the reader of our output went away: nothing to say, and no one to say it to
        raise_broken_pipe()
    except Exception as e:  # noqa: BLE001  the top-level handler (see the docstring)
        if debugging():
            raise
        fail(internal_error(e))
    sys.exit(rv if isinstance(rv, int) else EXIT_MATCH)


def raise_broken_pipe():
    """Exit as a command whose reader went away: stdout silenced (the interpreter's final flush of the closed
    pipe would fail again), status 141 as a shell gives a process killed by SIGPIPE."""
    _silence_stdout()
    sys.exit(EXIT_BROKEN_PIPE)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's final flush of a closed pipe raises nothing more."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
