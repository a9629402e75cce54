"""The registry of named models (bundled registry.toml): what each name means and where it lives."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from indexer.errors import ConfigError, ModelNotFoundError
from indexer.models import BUNDLED_MODELS_DIR, REGISTRY_FILE, real_path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

REGISTRY_ENV = "ELMO_INDEX_REGISTRY"
"""Environment variable naming a registry file to use instead of the bundled one."""

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
"""A sha256 hex digest, lower case."""
_ENTRY_KEYS = frozenset({"family", "description", "dim", "files", "path"})
_FILE_KEYS = frozenset({"name", "url", "sha256"})


@dataclass(frozen=True)
class ModelFile:
    """One file of a model: its file name in the model directory, where to fetch it, its digest."""

    name: str
    url: str
    sha256: str | None = None


@dataclass(frozen=True)
class ModelEntry:
    """A named model: downloaded ``files``, or a local directory ``path`` (never downloaded)."""

    name: str
    family: str
    description: str
    dim: int | None
    files: tuple[ModelFile, ...] = ()
    path: str | None = None

    @property
    def local_dir(self) -> Path | None:
        """The directory of a ``path`` entry (relative ones ship in the package), else None."""
        if self.path is None:
            return None
        path = Path(self.path).expanduser()
        return path if path.is_absolute() else real_path(BUNDLED_MODELS_DIR / path.as_posix())


@dataclass(frozen=True)
class Registry:
    """All named models of one registry file, and the name used when none is given."""

    default: str
    entries: Mapping[str, ModelEntry]

    def names(self) -> list[str]:
        """The model names, in file order."""
        return list(self.entries)

    def get(self, name: str) -> ModelEntry:
        """The entry called ``name``; raises :class:`ModelNotFoundError` listing the known names."""
        try:
            return self.entries[name]
        except KeyError:
            known = ", ".join(self.entries)
            raise ModelNotFoundError(
                f"unknown model {name!r}; known models: {known} (or pass a model directory path)"
            ) from None


def default_registry_path() -> Path:
    """``$ELMO_INDEX_REGISTRY`` when set, else the package's ``indexer/models/registry.toml``."""
    override = os.environ.get(REGISTRY_ENV)
    if override:
        return Path(override).expanduser()
    return real_path(BUNDLED_MODELS_DIR / REGISTRY_FILE)


def load_registry(path: str | Path | None = None) -> Registry:
    """Read and validate a registry file (default: :func:`default_registry_path`).

    Raises :class:`ConfigError` naming the file and the offending key.
    """
    file = Path(path) if path is not None else default_registry_path()
    try:
        with file.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as err:
        raise ConfigError(
            f"model registry not found; set {REGISTRY_ENV} to the path of a models.toml",
            path=file,
        ) from err
    except OSError as err:
        raise ConfigError(f"cannot read the model registry: {err.strerror}", path=file) from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"not valid TOML: {err}", path=file) from err
    return _parse_registry(data, file)


def _parse_registry(data: dict[str, Any], file: Path) -> Registry:
    unknown = sorted(set(data) - {"default", "models"})
    if unknown:
        raise ConfigError(f"unknown top-level key {unknown[0]!r}", path=file)
    models = data.get("models")
    if not isinstance(models, dict) or not models:
        raise ConfigError("no [models.NAME] tables; the registry names no model", path=file)
    entries = {name: _parse_entry(name, table, file) for name, table in models.items()}
    default = data.get("default")
    if not isinstance(default, str) or default not in entries:
        raise ConfigError(
            f"'default' must name one of the models ({', '.join(entries)}), got {default!r}",
            path=file,
        )
    return Registry(default=default, entries=entries)


def _parse_entry(name: str, table: object, file: Path) -> ModelEntry:
    key = f"models.{name}"
    if not _SAFE_NAME.match(name):
        raise ConfigError(
            f"model name {name!r} must be letters, digits, '.', '_' or '-'", path=file
        )
    if not isinstance(table, dict):
        raise ConfigError(f"{key} must be a table", path=file)
    unknown = sorted(set(table) - _ENTRY_KEYS)
    if unknown:
        raise ConfigError(f"{key}: unknown key {unknown[0]!r}", path=file)
    family = _required_str(table, "family", key, file)
    description = _required_str(table, "description", key, file)
    dim = table.get("dim")
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int) or dim <= 0):
        raise ConfigError(f"{key}.dim must be a positive integer, got {dim!r}", path=file)
    path = table.get("path")
    raw_files = table.get("files")
    if (path is None) == (raw_files is None):
        raise ConfigError(f"{key} needs exactly one of 'files' and 'path'", path=file)
    if path is not None:
        if not isinstance(path, str) or not path:
            raise ConfigError(f"{key}.path must be a non-empty string, got {path!r}", path=file)
        return ModelEntry(name, family, description, dim, (), path)
    if not isinstance(raw_files, list) or not raw_files:
        raise ConfigError(f"{key}.files must be a non-empty array of tables", path=file)
    files = tuple(_parse_file(f"{key}.files[{i}]", item, file) for i, item in enumerate(raw_files))
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise ConfigError(f"{key}.files: two files share a name ({', '.join(names)})", path=file)
    return ModelEntry(name, family, description, dim, files, None)


def _parse_file(key: str, item: object, file: Path) -> ModelFile:
    if not isinstance(item, dict):
        raise ConfigError(f"{key} must be a table with 'url' and 'sha256'", path=file)
    unknown = sorted(set(item) - _FILE_KEYS)
    if unknown:
        raise ConfigError(f"{key}: unknown key {unknown[0]!r}", path=file)
    url = _required_str(item, "url", key, file)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{key}.url must be an http(s) URL, got {url!r}", path=file)
    name = item.get("name", unquote(PurePosixPath(parts.path).name))
    if not isinstance(name, str) or not _SAFE_NAME.match(name):
        raise ConfigError(
            f"{key}.name must be a plain file name (letters, digits, '.', '_', '-'), got {name!r}",
            path=file,
        )
    digest = item.get("sha256", "")
    if not isinstance(digest, str) or (digest and not SHA256_PATTERN.match(digest.lower())):
        raise ConfigError(f"{key}.sha256 must be 64 hex digits or empty, got {digest!r}", path=file)
    return ModelFile(name=name, url=url, sha256=digest.lower() or None)


def _required_str(table: dict[str, Any], field: str, key: str, file: Path) -> str:
    value = table.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key}.{field} must be a non-empty string, got {value!r}", path=file)
    return value
