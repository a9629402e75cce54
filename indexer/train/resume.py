"""What a resumed run must share with its checkpoint, and the random state carried across."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import torch

from indexer.encoder.model import BiLMSpec
from indexer.errors import ConfigError
from indexer.train.checkpoint import checkpoint_dir, latest_checkpoint, load_checkpoint
from indexer.train.config import STRUCTURAL_FIELDS, Preset, TrainConfig


def _spec(values: dict[str, Any]) -> BiLMSpec:
    known = {f.name for f in fields(BiLMSpec)}
    values = {k: v for k, v in values.items() if k in known}
    values["filters"] = tuple(tuple(pair) for pair in values["filters"])
    return BiLMSpec(**values)


def check_resumable(checkpoint: dict[str, Any], preset: Preset) -> None:
    """Raise :class:`ConfigError` naming the settings that differ from the checkpoint's."""
    if _spec(checkpoint["spec"]) != preset.model:
        raise ConfigError(
            f"the model shape differs from the checkpoint's ({checkpoint['spec']}); resume "
            f"with the same preset"
        )
    saved = checkpoint["train"]
    changed = [n for n in STRUCTURAL_FIELDS if saved.get(n) != getattr(preset.train, n)]
    if changed:
        detail = ", ".join(f"{n}={saved.get(n)!r}" for n in changed)
        raise ConfigError(f"a resumed run must keep the checkpoint's settings: {detail}")


def resume_preset(model_dir: Path) -> Preset:
    """The preset of the newest checkpoint in ``model_dir`` (to resume without restating it)."""
    path = latest_checkpoint(model_dir)
    if path is None:
        raise ConfigError("no checkpoint to resume from", path=checkpoint_dir(model_dir))
    checkpoint = load_checkpoint(path)
    known = {f.name for f in fields(TrainConfig)}
    train = TrainConfig(**{k: v for k, v in checkpoint["train"].items() if k in known})
    name = str(checkpoint.get("preset", "checkpoint"))
    return Preset(name, f"settings of {path}", _spec(checkpoint["spec"]), train)


def rng_state(generator: torch.Generator, device: torch.device) -> dict[str, Any]:
    """The random states a step consumes: torch's (dropout) and the sampler's."""
    state: dict[str, Any] = {"torch": torch.get_rng_state(), "sampler": generator.get_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def restore_rng(state: dict[str, Any], generator: torch.Generator, device: torch.device) -> None:
    torch.set_rng_state(state["torch"])
    generator.set_state(state["sampler"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)
