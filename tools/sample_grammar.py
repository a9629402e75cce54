"""The grammar of the sample corpus, read from ``sample_grammar.toml`` beside this module."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from indexer.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

GRAMMAR_FILE = Path(__file__).with_name("sample_grammar.toml")

Frames = tuple[tuple[str, ...], tuple[str, ...]]


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key} must be a non-empty array of strings", path=GRAMMAR_FILE)
    return tuple(value)


Grammar = tuple[
    dict[str, tuple[str, ...]], tuple[str, ...], tuple[str, ...], dict[tuple[str, str], Frames]
]


def _load() -> Grammar:
    """(slots, openings, filler, senses) of the grammar file."""
    with GRAMMAR_FILE.open("rb") as handle:
        data = tomllib.load(handle)
    slots = {k: _strings(v, f"slots.{k}") for k, v in data["slots"].items()}
    senses: dict[tuple[str, str], Frames] = {}
    for word, table in data["senses"].items():
        for sense, frames in table.items():
            key = f"senses.{word}.{sense}"
            senses[word, sense] = (
                _strings(frames.get("left"), f"{key}.left"),
                _strings(frames.get("right"), f"{key}.right"),
            )
    return slots, _strings(data["openings"], "openings"), _strings(data["filler"], "filler"), senses


#: slot name -> entries; openings; filler templates; (word, sense) -> (left parts, right parts)
SLOTS, OPENINGS, FILLER, SENSES = _load()
