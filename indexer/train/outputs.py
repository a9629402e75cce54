"""The model directory of a run: what it may hold, the progress log, the exported model."""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from indexer.encoder.allennlp_format import save_allennlp
from indexer.encoder.model import BiLM
from indexer.errors import ConfigError
from indexer.files import write_text_atomic
from indexer.train.checkpoint import (
    checkpoint_dir,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
)
from indexer.train.vocab import Vocabulary

logger = logging.getLogger(__name__)

VOCAB_FILE = "vocab.txt"
LOG_FILE = "train_log.jsonl"
MODEL_FILES = ("options.json", "weights.hdf5", VOCAB_FILE, LOG_FILE)


@dataclass(frozen=True)
class EvalRecord:
    """One progress report: training loss since the last report and held-out perplexity."""

    step: int
    total_steps: int
    epoch: float
    tokens: int
    train_loss: float
    perplexity: float | None
    forward_perplexity: float | None
    backward_perplexity: float | None
    tokens_per_second: float


def format_record(record: EvalRecord) -> str:
    """One line for people: step, epoch, loss, held-out perplexity, speed."""
    ppl = "n/a" if record.perplexity is None else f"{record.perplexity:.3f}"
    forward, backward = record.forward_perplexity, record.backward_perplexity
    if forward is not None and backward is not None:
        ppl += f" (forward {forward:.3f}, backward {backward:.3f})"
    return (
        f"step {record.step}/{record.total_steps}  epoch {record.epoch:.2f}  "
        f"loss {record.train_loss:.4f}  held-out perplexity {ppl}  "
        f"{record.tokens_per_second:,.0f} tokens/s"
    )


def open_model_dir(out: Path, resume: bool, overwrite: bool) -> dict[str, Any] | None:
    """The checkpoint to resume from, or None for a fresh start in an emptied directory.

    Without ``resume`` a directory holding a model or checkpoints is refused unless
    ``overwrite``, which removes them (and nothing else).
    """
    if resume:
        path = latest_checkpoint(out)
        if path is None:
            raise ConfigError("no checkpoint to resume from", path=checkpoint_dir(out))
        logger.info("resuming from %s", path)
        return load_checkpoint(path)
    existing = [out / n for n in MODEL_FILES if (out / n).exists()] + list_checkpoints(out)
    if existing and not overwrite:
        raise ConfigError(
            "already holds a trained model or checkpoints; pass --resume to continue or "
            "--overwrite to start over",
            path=out,
        )
    for path in existing:
        path.unlink()
    if overwrite:
        shutil.rmtree(checkpoint_dir(out), ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    return None


def append_log(out: Path, record: EvalRecord) -> None:
    """Add one JSON line to the progress log."""
    with (out / LOG_FILE).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(asdict(record)) + "\n")


def truncate_log(out: Path, step: int) -> None:
    """Drop the log records of steps after ``step`` (written after the checkpoint resumed);
    the log is replaced durably, so that a run killed meanwhile keeps the old one whole."""
    path = out / LOG_FILE
    if not path.is_file():
        return
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        try:
            if json.loads(line)["step"] <= step:
                kept.append(line)
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short when the run was killed
    write_text_atomic(path, "".join(kept))


def export_model(bilm: BiLM, vocab: Vocabulary, out: Path) -> None:
    """Write options.json + weights.hdf5 (official layout) and the softmax vocabulary."""
    save_allennlp(bilm.to_weights(), out)
    vocab.save(out / VOCAB_FILE)
    logger.info("wrote the model to %s", out)
