"""Presets and preset files."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.errors import ConfigError
from indexer.train import PRESETS, TrainConfig, get_preset, load_preset_file

ROOT = Path(__file__).resolve().parents[3]


def test_small_preset_has_the_official_small_shapes():
    spec = get_preset("small").model
    assert (spec.cell_dim, spec.projection_dim, spec.n_highway) == (1024, 128, 1)
    assert sum(n for _, n in spec.filters) == 2048
    assert {"tiny", "small", "medium", "original"} <= set(PRESETS)


def test_unknown_preset_names_the_choices():
    with pytest.raises(ConfigError, match="tiny, small"):
        get_preset("huge")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"window": 0}, "window"),
        ({"max_steps": 5, "epochs": 1}, "either"),
        ({"optimizer": "sgd"}, "optimizer"),
        ({"dropout": 1.0}, "dropout"),
        ({"device": "tpu"}, "device"),
    ],
)
def test_bad_training_settings_are_refused(fields, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**fields)


def test_demo_preset_file_overrides_the_tiny_preset():
    preset = get_preset(str(ROOT / "configs/train/demo.toml"))
    assert preset.model == PRESETS["tiny"].model
    assert preset.train.device == "cpu" and preset.train.max_steps is not None


def test_preset_file_errors_name_the_file_and_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('base = "tiny"\n[train]\nwindw = 3\n')
    with pytest.raises(ConfigError, match=r"bad\.toml: train: unknown key 'windw'"):
        load_preset_file(bad)
    bad.write_text("[model]\nfilters = [[1, 0]]\n")
    with pytest.raises(ConfigError, match="positive pairs"):
        load_preset_file(bad)
    bad.write_text("[train]\nwindow = -1\n")
    with pytest.raises(ConfigError, match=r"bad\.toml: window must be at least 1"):
        load_preset_file(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_preset_file(tmp_path / "missing.toml")
