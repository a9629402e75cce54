"""Human-readable sizes ("4G", "512M") parsed in one place, and sizes, durations and counts
written for people."""

from __future__ import annotations

import re
from datetime import timedelta

from indexer.errors import ConfigError

_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)


def parse_size(text: str | int) -> int:
    """Parse a byte size such as ``"4G"``, ``"512MB"``, ``"1.5GiB"`` or ``1024``.

    >>> parse_size("4G")
    4294967296
    >>> parse_size("512M")
    536870912
    >>> parse_size(1000)
    1000
    """
    if isinstance(text, int):
        if text < 0:
            raise ConfigError(f"size must not be negative, got {text}")
        return text
    match = _PATTERN.match(text)
    if match is None:
        raise ConfigError(f"cannot read {text!r} as a size; write it like 4G, 512M or 1048576")
    number, unit = match.groups()
    return int(float(number) * _UNITS[unit.upper()])


def format_size(n_bytes: int) -> str:
    """Format a byte count for people.

    >>> format_size(1536)
    '1.5 KiB'
    """
    value = float(n_bytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def size_option(size: int | str) -> str:
    """A byte size as an option is written, in the largest unit that divides it.

    >>> size_option(4 * 1024**3), size_option(1536), size_option("512M")
    ('4G', '1536', '512M')
    """
    if isinstance(size, str):
        return size
    for unit in ("T", "G", "M", "K"):
        if size and size % _UNITS[unit] == 0:
            return f"{size // _UNITS[unit]}{unit}"
    return str(size)


def clock_text(seconds: float) -> str:
    """``H:MM:SS``, or seconds with one decimal under a minute.

    >>> clock_text(3725.4), clock_text(2.54)
    ('1:02:05', '2.5 s')
    """
    if seconds < 60:
        return f"{seconds:.1f} s"
    return str(timedelta(seconds=round(seconds)))


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1 (``plural``, default ``noun`` + "s").

    >>> counted(1, "shard"), counted(12345, "token"), counted(2, "index", "indexes")
    ('1 shard', '12,345 tokens', '2 indexes')
    """
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
