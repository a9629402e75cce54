"""Command-line interface of the indexer: thin Typer layers over the library."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from indexer.cli.models import models_app
from indexer.errors import ElmoIndexError

app = typer.Typer(
    help="Embed every token of a corpus with an ELMo biLM and index the vectors.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(models_app, name="models")


@app.callback()
def _configure(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Log warnings only.")] = False,
) -> None:
    configure_logging(verbose=verbose, quiet=quiet)


def configure_logging(verbose: bool = False, quiet: bool = False) -> None:
    """Log lines to stderr; the library itself never configures logging."""
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)


def run(typer_app: typer.Typer) -> None:
    """Run a Typer app; a project error becomes one line on stderr and exit status 1."""
    try:
        typer_app()
    except ElmoIndexError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


def main() -> None:
    """Entry point of the ``indexer`` command."""
    run(app)
