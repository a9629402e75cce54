"""Project exceptions: each names the bad value and, where there is one, the file and line."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class ElmoIndexError(Exception):
    """Base class of every error this project raises for a user's input or files."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        return f"{where}{self.message}"


class ModelFormatError(ElmoIndexError):
    """A model file is missing, truncated, foreign, or disagrees with its options."""


class ModelNotFoundError(ElmoIndexError):
    """A model name or path does not resolve to a model."""


class DownloadError(ElmoIndexError):
    """A model download failed (offline, bad checksum, server error)."""


class ConfigError(ElmoIndexError):
    """A configuration value is invalid."""


class CorpusError(ElmoIndexError):
    """The corpus cannot be read as the chosen format."""


class IndexStateError(ElmoIndexError):
    """An index directory is missing, incomplete, corrupt, or built with other settings."""


class QueryError(ElmoIndexError):
    """A query cannot be answered (unknown word, layer not indexed, ...)."""


def check_choice(
    name: str,
    value: str,
    choices: Iterable[str],
    error: type[ElmoIndexError] = ConfigError,
) -> str:
    """``value`` if it is one of ``choices``, else ``error`` naming the setting and the choices.

    >>> check_choice("state", "warm", ("warm", "zero", "carry"))
    'warm'
    >>> check_choice("state", "hot", ("warm", "zero", "carry"))
    Traceback (most recent call last):
    ...
    indexer.errors.ConfigError: state must be one of warm, zero, carry; got 'hot'
    """
    options = tuple(choices)
    if value not in options:
        raise error(f"{name} must be one of {', '.join(options)}; got {value!r}")
    return value
