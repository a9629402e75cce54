"""`indexer models ...`: list the named models and download them into the cache."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from indexer.console import make_app
from indexer.encoder.download import download_model, is_downloaded
from indexer.encoder.registry import ModelEntry, load_registry

models_app = make_app(help="List the named ELMo models and download them into the local cache.")


def _status(entry: ModelEntry, cache: Path | None) -> str:
    present = is_downloaded(entry, cache)
    if entry.local_dir is not None:
        return "bundled" if present else "missing"
    return "yes" if present else "no"


@models_app.command("list")
def list_models(
    cache_dir: Annotated[
        Path | None,
        typer.Option("--cache-dir", help="Cache directory (default: $ELMO_INDEX_CACHE or XDG)."),
    ] = None,
) -> None:
    """Show each model's name, vector dimension, whether it is cached, and what it is."""
    registry = load_registry()
    rows = [
        (
            name + (" (default)" if name == registry.default else ""),
            "?" if entry.dim is None else str(entry.dim),
            _status(entry, cache_dir),
            entry.description,
        )
        for name, entry in registry.entries.items()
    ]
    header = ("name", "dim", "cached", "description")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
        typer.echo("  ".join([*cells, row[3]]))


@models_app.command("download")
def download(
    name: Annotated[str, typer.Argument(help="A model name from `indexer models list`.")],
    cache_dir: Annotated[
        Path | None,
        typer.Option("--cache-dir", help="Cache directory (default: $ELMO_INDEX_CACHE or XDG)."),
    ] = None,
    progress: Annotated[
        bool | None,
        typer.Option("--progress/--no-progress", help="Progress bar (default: on a terminal)."),
    ] = None,
) -> None:
    """Download a model's files (resuming a partial download) and print its directory."""
    show_progress = sys.stderr.isatty() if progress is None else progress
    entry = load_registry().get(name)
    directory = download_model(entry, cache=cache_dir, progress=show_progress)
    typer.echo(str(directory))
