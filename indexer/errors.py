"""Project exceptions: each names the bad value and, where there is one, the file and line."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path


class ElmoIndexError(Exception):
    """Base class of every error this project raises for a user's input or files.

    ``setting``, where given, is the parameter the message is about, named in it as the
    library spells it (``dtype``, ``n``); a command line names its own option there instead
    (:meth:`naming`).
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        setting: str | None = None,
    ):
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.setting = setting
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return self.naming(None)

    def naming(self, option: str | None) -> str:
        """The error's text with ``setting`` called ``option`` (``--dtype``) where the message
        first names it as a word (not a quoted value); unchanged for None.

        >>> ConfigError("n must be at least 1, got 0", setting="n").naming("--senses")
        '--senses must be at least 1, got 0'
        """
        message = self.message
        if option is not None and self.setting is not None:
            pattern = rf"(?<![\w'\"-]){re.escape(self.setting)}(?![\w'\"-])"
            message = re.sub(pattern, lambda _: option, message, count=1)
        where = ""
        if self.path is not None:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        return f"{where}{message}"


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
        raise error(f"{name} must be one of {', '.join(options)}; got {value!r}", setting=name)
    return value


def at_least(
    name: str, value: float, least: float = 1, error: type[ElmoIndexError] = ConfigError
) -> None:
    """Raise ``error`` naming the setting unless ``value`` is at least ``least``.

    >>> at_least("k", 0)
    Traceback (most recent call last):
    ...
    indexer.errors.ConfigError: k must be at least 1, got 0
    """
    if value < least:
        raise error(f"{name} must be at least {least}, got {value}", setting=name)
