"""The grammar of the everyday corpus, read from ``everyday_grammar.toml`` beside this module."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.errors import ConfigError
from tools.sample_grammar import read_grammar, string_list

GRAMMAR_FILE = Path(__file__).with_name("everyday_grammar.toml")
WORD_MARK = "~"
"""Where a whole frame puts the ambiguous word."""


@dataclass(frozen=True)
class SenseFrames:
    """The parts of one sense's sentences: left and right parts, and whole frames with ``~``."""

    left: tuple[str, ...]
    right: tuple[str, ...]
    frames: tuple[str, ...] = ()


def _strings(value: Any, key: str) -> tuple[str, ...]:
    return string_list(value, key, GRAMMAR_FILE)


def _frames(value: Any, key: str) -> tuple[str, ...]:
    frames = _strings(value, key) if value is not None else ()
    for frame in frames:
        if frame.split().count(WORD_MARK) != 1:
            raise ConfigError(f"{key}: {frame!r} must hold {WORD_MARK} once", path=GRAMMAR_FILE)
    return frames


Grammar = tuple[
    dict[str, tuple[str, ...]],
    tuple[str, ...],
    tuple[str, ...],
    SenseFrames,
    dict[tuple[str, str], SenseFrames],
]


def _load() -> Grammar:
    """(slots, openings, filler, neutral parts, senses) of the grammar file."""
    data = read_grammar(GRAMMAR_FILE)
    slots = {k: _strings(v, f"slots.{k}") for k, v in data["slots"].items()}
    neutral = SenseFrames(
        _strings(data["neutral"].get("left"), "neutral.left"),
        _strings(data["neutral"].get("right"), "neutral.right"),
    )
    senses: dict[tuple[str, str], SenseFrames] = {}
    for word, table in data["senses"].items():
        for sense, parts in table.items():
            key = f"senses.{word}.{sense}"
            senses[word, sense] = SenseFrames(
                _strings(parts.get("left"), f"{key}.left"),
                _strings(parts.get("right"), f"{key}.right"),
                _frames(parts.get("frames"), f"{key}.frames"),
            )
    return (
        slots,
        _strings(data["openings"], "openings"),
        _strings(data["filler"], "filler"),
        neutral,
        senses,
    )


#: slot name -> entries; openings; filler templates; neutral parts; (word, sense) -> its parts
SLOTS, OPENINGS, FILLER, NEUTRAL, SENSES = _load()
