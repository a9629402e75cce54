"""`indexer optimize`, `indexer upgrade` and `indexer metadata`: work on a finished index
directory in place."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from indexer.builder.metadata import join_metadata
from indexer.builder.optimize import optimize
from indexer.builder.progress import make_progress
from indexer.store.layout import DEFAULT_INDEX_DIR
from indexer.store.upgrade import upgrade_index

IndexDir = Annotated[Path, typer.Argument(help="Index directory.", show_default=True)]


def optimize_command(
    index_dir: IndexDir = Path(DEFAULT_INDEX_DIR),
    progress: Annotated[
        bool, typer.Option(help="Bar on a terminal, else a line every 30 s.")
    ] = True,
) -> None:
    """Merge the segments of an index (after --append) into one: one lexicon and one FAISS
    index per layer, rebuilt from the stored vectors. Safe to interrupt."""
    shown = make_progress(progress, 30.0, label="indexer optimize")
    try:
        report = optimize(index_dir, progress=shown)
    except KeyboardInterrupt as err:
        raise KeyboardInterrupt("run the same command again to finish the merge") from err
    typer.echo(report.line())


def upgrade_command(index_dir: IndexDir = Path(DEFAULT_INDEX_DIR)) -> None:
    """Convert an index of an earlier format version in place, without re-encoding. Safe to
    interrupt."""
    typer.echo(upgrade_index(index_dir).line())


def metadata_command(
    metadata: Annotated[
        Path, typer.Argument(help="CSV, TSV or JSONL file of document fields (a doc_id column).")
    ],
    index_dir: Annotated[Path, typer.Option("--index", help="Index directory.")] = Path(
        DEFAULT_INDEX_DIR
    ),
    corpus: Annotated[
        int | None,
        typer.Option(
            help="Join to this corpus of the index only (0: the first built).",
            show_default="every corpus",
        ),
    ] = None,
) -> None:
    """Join document fields to a finished index without re-encoding (their values replace an
    earlier file's)."""
    report = join_metadata(index_dir, metadata, corpus=corpus)
    typer.echo("\n".join(report.lines()))
