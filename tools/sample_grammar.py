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


def read_grammar(path: Path) -> dict[str, Any]:
    """The TOML table of the grammar file ``path``."""
    with path.open("rb") as handle:
        return tomllib.load(handle)


def string_list(value: Any, key: str, path: Path) -> tuple[str, ...]:
    """``value`` as a tuple of strings, or a :class:`ConfigError` naming ``key`` in ``path``."""
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key} must be a non-empty array of strings", path=path)
    return tuple(value)


def _strings(value: Any, key: str) -> tuple[str, ...]:
    return string_list(value, key, GRAMMAR_FILE)


Grammar = tuple[
    dict[str, tuple[str, ...]], tuple[str, ...], tuple[str, ...], dict[tuple[str, str], Frames]
]


def _load() -> Grammar:
    """(slots, openings, filler, senses) of the grammar file."""
    data = read_grammar(GRAMMAR_FILE)
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
