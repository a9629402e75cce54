"""What both command-line programs share: the command group that reports a user's mistake as
one line, and logging set-up."""

from __future__ import annotations

import logging
from typing import Any

import typer
from typer.core import TyperGroup

from indexer.errors import ElmoIndexError

#: Exit status of a command stopped by Ctrl-C, as shells report a SIGINT.
INTERRUPTED = 130


class ReportingGroup(TyperGroup):
    """The root command group of ``indexer`` and ``query``: the one place where a project error
    becomes one ``error: ...`` line on stderr and exit status 1, with no traceback, and Ctrl-C
    one ``interrupted`` line (with what to do next, where a command raised it with a message)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ElmoIndexError as err:
            typer.echo(f"error: {err.naming(option_named(self, ctx, err.setting))}", err=True)
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt as err:
            typer.echo(f"interrupted; {err}" if str(err) else "interrupted", err=True)
            raise typer.Exit(code=INTERRUPTED) from None


def option_named(group: Any, ctx: Any, setting: str | None) -> str | None:
    """The option of the command that ran whose parameter is named ``setting`` (a command's
    parameters are named as the library parameters they are passed to), as declared: its
    first long form (``--dtype``), else its short one (``-n``)."""
    name = ctx.invoked_subcommand
    command = group.get_command(ctx, name) if name and setting else None
    commands = [command] if command is not None else []
    while commands:
        current = commands.pop()
        commands.extend(getattr(current, "commands", {}).values())
        for param in getattr(current, "params", ()):
            flags = [opt for opt in param.opts if opt.startswith("-")]
            if param.name == setting and flags:
                longs = [opt for opt in flags if opt.startswith("--")]
                return (longs or flags)[0]
    return None


def make_app(help: str, **settings: Any) -> typer.Typer:
    """A program's Typer app: errors reported by :class:`ReportingGroup`, help without args."""
    return typer.Typer(
        cls=ReportingGroup,
        help=help,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        **settings,
    )


def configure_logging(
    verbose: bool = False, quiet: bool = False, default: int = logging.INFO
) -> None:
    """Log lines to stderr; the library itself never configures logging."""
    level = logging.DEBUG if verbose else logging.ERROR if quiet else default
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
