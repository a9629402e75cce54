"""Command-line interface of the indexer: thin Typer layers over the library."""

from __future__ import annotations

from typing import Annotated

import typer

from indexer.cli.build import build_command, info_command
from indexer.cli.maintain import metadata_command, optimize_command, upgrade_command
from indexer.cli.models import models_app
from indexer.cli.train import train_command
from indexer.console import configure_logging, make_app

app = make_app(help="Embed every token of a corpus with an ELMo biLM and index the vectors.")
app.command("build")(build_command)
app.command("info")(info_command)
app.command("optimize")(optimize_command)
app.command("upgrade")(upgrade_command)
app.command("metadata")(metadata_command)
app.command("train")(train_command)
app.add_typer(models_app, name="models")


@app.callback()
def _configure(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Log warnings only.")] = False,
) -> None:
    configure_logging(verbose=verbose, quiet=quiet)


def main() -> None:
    """Entry point of the ``indexer`` command."""
    app()
