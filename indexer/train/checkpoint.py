"""Training checkpoints: written atomically under MODEL_DIR/checkpoints/, newest found by name."""

from __future__ import annotations

import logging
import os
import pickle
import re
from pathlib import Path
from typing import Any

import torch

from indexer.errors import ModelFormatError

logger = logging.getLogger(__name__)

CHECKPOINT_DIR = "checkpoints"
FORMAT_VERSION = 1
_NAME = re.compile(r"^step-(\d{9})\.pt$")


def checkpoint_dir(model_dir: Path) -> Path:
    return model_dir / CHECKPOINT_DIR


def checkpoint_path(model_dir: Path, step: int) -> Path:
    return checkpoint_dir(model_dir) / f"step-{step:09d}.pt"


def list_checkpoints(model_dir: Path) -> list[Path]:
    """Complete checkpoints, oldest first (a ``.tmp`` left by a killed write is ignored)."""
    folder = checkpoint_dir(model_dir)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if _NAME.match(p.name)]
    return sorted(found, key=lambda p: p.name)


def latest_checkpoint(model_dir: Path) -> Path | None:
    found = list_checkpoints(model_dir)
    return found[-1] if found else None


def save_checkpoint(model_dir: Path, step: int, payload: dict[str, Any], keep: int) -> Path:
    """Write ``payload`` for ``step`` (tmp file, fsync, rename), then keep only the newest
    ``keep`` checkpoints and remove temporary files of killed writes."""
    path = checkpoint_path(model_dir, step)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as handle:
        torch.save({"format": FORMAT_VERSION, **payload}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    for old in list_checkpoints(model_dir)[:-keep]:
        old.unlink(missing_ok=True)
    for stale in path.parent.glob("*.pt.tmp"):  # left by a run killed while writing
        stale.unlink(missing_ok=True)
    logger.debug("checkpoint %s", path)
    return path


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True`` (tensors, numbers, strings, containers)."""
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError) as err:
        raise ModelFormatError(f"cannot read checkpoint: {err}", path=path) from err
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        raise ModelFormatError(f"not a training checkpoint of format {FORMAT_VERSION}", path=path)
    return data
