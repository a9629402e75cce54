"""`indexer train CORPUS --out MODEL_DIR`: train a biLM and write it in the allennlp layout."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from tqdm import tqdm

from indexer.train import EvalRecord, Preset, get_preset, resume_preset, train
from indexer.train.config import DEFAULT_PRESET, PRESETS
from indexer.train.outputs import format_record


def _print_record(record: EvalRecord) -> None:
    tqdm.write(format_record(record))


def _settings(out: Path, preset: str | None, resume: bool, overrides: dict[str, Any]) -> Preset:
    base = resume_preset(out) if resume and preset is None else get_preset(preset or DEFAULT_PRESET)
    given = {k: v for k, v in overrides.items() if v is not None}
    if "max_steps" in given and "epochs" not in given:
        given["epochs"] = None
    elif "epochs" in given and "max_steps" not in given:
        given["max_steps"] = None
    return dataclasses.replace(base, train=dataclasses.replace(base.train, **given))


def train_command(
    corpus: Annotated[
        Path,
        typer.Argument(help="Tokenized corpus: text (one sentence per line), CoNLL-U or JSONL."),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model directory to write.")],
    preset: Annotated[
        str | None,
        typer.Option(
            help=f"{', '.join(PRESETS)}, or a .toml preset file "
            f"(default: {DEFAULT_PRESET}; with --resume: the checkpoint's)."
        ),
    ] = None,
    max_steps: Annotated[int | None, typer.Option(help="Stop after this many steps.")] = None,
    epochs: Annotated[
        int | None, typer.Option(help="Stop after this many epochs (default 1).")
    ] = None,
    vocab_size: Annotated[
        int | None, typer.Option(help="Softmax vocabulary: the most frequent N words.")
    ] = None,
    window: Annotated[int | None, typer.Option(help="Tokens per training window (20).")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Parallel token streams per step.")] = None,
    learning_rate: Annotated[float | None, typer.Option(help="Optimizer learning rate.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of initialisation and data order.")] = None,
    eval_every: Annotated[
        int | None, typer.Option(help="Held-out perplexity every N steps.")
    ] = None,
    checkpoint_every: Annotated[int | None, typer.Option(help="Checkpoint every N steps.")] = None,
    device: Annotated[str | None, typer.Option(help="auto, cpu or cuda.")] = None,
    heldout: Annotated[
        Path | None,
        typer.Option(help="Held-out text for the perplexity (default: sentences of the corpus)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the newest checkpoint in --out.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace a model or checkpoints in --out.")
    ] = False,
    progress: Annotated[
        bool | None,
        typer.Option("--progress/--no-progress", help="Progress bar (default: on a terminal)."),
    ] = None,
) -> None:
    """Train an ELMo biLM on CORPUS; writes options.json and weights.hdf5 into --out."""
    overrides = {
        "max_steps": max_steps,
        "epochs": epochs,
        "vocab_size": vocab_size,
        "window": window,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "seed": seed,
        "eval_every": eval_every,
        "checkpoint_every": checkpoint_every,
        "device": device,
    }
    show_progress = sys.stderr.isatty() if progress is None else progress
    settings = _settings(out, preset, resume, overrides)
    result = train(
        corpus,
        out,
        settings,
        heldout=heldout,
        resume=resume,
        overwrite=overwrite,
        progress=show_progress,
        on_eval=_print_record,
    )
    ppl = "n/a" if result.perplexity is None else f"{result.perplexity.mean:.3f}"
    typer.echo(
        f"wrote {result.model_dir} (options.json + weights.hdf5): {result.steps} steps, "
        f"{result.epochs:.2f} epochs, held-out perplexity {ppl}, "
        f"{result.tokens_per_second:,.0f} tokens/s"
    )
