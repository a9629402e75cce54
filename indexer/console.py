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
    becomes one ``error: ...`` line on stderr and exit status 1, with no traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ElmoIndexError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(code=INTERRUPTED) from None


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
