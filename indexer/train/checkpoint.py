"""Training checkpoints: written atomically under MODEL_DIR/checkpoints/, newest found by name."""

from __future__ import annotations

import logging
import pickle
import re
from pathlib import Path
from typing import Any

import torch

from indexer.errors import ModelFormatError
from indexer.files import atomic_path, temporary_path

logger = logging.getLogger(__name__)

CHECKPOINT_DIR = "checkpoints"
FORMAT_VERSION = 1
_NAME = re.compile(r"^step-(\d{9})\.pt$")


def checkpoint_dir(model_dir: Path) -> Path:
    return model_dir / CHECKPOINT_DIR


def checkpoint_path(model_dir: Path, step: int) -> Path:
    return checkpoint_dir(model_dir) / f"step-{step:09d}.pt"


def list_checkpoints(model_dir: Path) -> list[Path]:
    """Complete checkpoints, oldest first (the temporary file of a killed write is ignored)."""
    folder = checkpoint_dir(model_dir)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if _NAME.match(p.name)]
    return sorted(found, key=lambda p: p.name)


def latest_checkpoint(model_dir: Path) -> Path | None:
    found = list_checkpoints(model_dir)
    return found[-1] if found else None


def save_checkpoint(model_dir: Path, step: int, payload: dict[str, Any], keep: int) -> Path:
    """Write ``payload`` for ``step`` durably (``indexer.files.atomic_path``), then keep only
    the newest ``keep`` checkpoints and remove temporary files of killed writes."""
    path = checkpoint_path(model_dir, step)
    with atomic_path(path) as tmp, tmp.open("wb") as handle:
        torch.save({"format": FORMAT_VERSION, **payload}, handle)
    for old in list_checkpoints(model_dir)[:-keep]:
        old.unlink(missing_ok=True)
    for stale in _stale_temporaries(path.parent):
        stale.unlink(missing_ok=True)
    logger.debug("checkpoint %s", path)
    return path


def _stale_temporaries(folder: Path) -> list[Path]:
    """What runs killed while writing a checkpoint left: the shared temporary name, and the
    ``step-*.pt.tmp`` that versions before it used."""
    pattern = temporary_path(folder / "step-*.pt").name
    return [*folder.glob(pattern), *folder.glob("step-*.pt.tmp")]


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True`` (tensors, numbers, strings, containers)."""
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError) as err:
        raise ModelFormatError(f"cannot read checkpoint: {err}", path=path) from err
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        raise ModelFormatError(f"not a training checkpoint of format {FORMAT_VERSION}", path=path)
    return data
