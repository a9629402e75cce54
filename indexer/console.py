"""What both command-line programs share: logging set-up and one-line error reporting."""

from __future__ import annotations

import logging
import sys

import typer

from indexer.errors import ElmoIndexError


def configure_logging(
    verbose: bool = False, quiet: bool = False, default: int = logging.INFO
) -> None:
    """Log lines to stderr; the library itself never configures logging."""
    level = logging.DEBUG if verbose else logging.ERROR if quiet else default
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)


def fail(err: ElmoIndexError) -> typer.Exit:
    """Print a project error as one line on stderr; the Exit to raise for status 1."""
    typer.echo(f"error: {err}", err=True)
    return typer.Exit(code=1)


def run(app: typer.Typer) -> None:
    """Run a Typer app; a project error becomes one line on stderr and exit status 1."""
    try:
        app()
    except ElmoIndexError as err:
        sys.exit(fail(err).exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
