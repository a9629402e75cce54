"""Layer lists as users write them (``"0,1,2"``), parsed in one place for both programs."""

from __future__ import annotations

from indexer.errors import ConfigError


def parse_layers(text: str) -> tuple[int, ...]:
    """The layers of ``text`` in the order given, each once.

    >>> parse_layers("2, 0")
    (2, 0)
    >>> parse_layers("1,1,2")
    (1, 2)
    """
    try:
        layers = tuple(dict.fromkeys(int(part) for part in text.split(",") if part.strip()))
    except ValueError as err:
        raise ConfigError(f"--layers must be integers separated by commas, got {text!r}") from err
    if not layers:
        raise ConfigError(f"no layer given in --layers {text!r}")
    negative = [layer for layer in layers if layer < 0]
    if negative:
        raise ConfigError(f"layers are numbered from 0; --layers has {negative[0]}")
    return layers
