"""Files shipped inside the package (model registry, bundled models), found as real paths."""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path

from indexer.errors import ConfigError

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:  # pragma: no cover - Python 3.10 only
    from importlib.abc import Traversable

BUNDLED_MODELS_DIR: Traversable = files(__name__)
"""This package's folder: the registry file and the bundled model directories."""

REGISTRY_FILE = "registry.toml"
"""The file name of the bundled model registry inside :data:`BUNDLED_MODELS_DIR`."""


def real_path(resource: Traversable) -> Path:
    """``resource`` as a filesystem path, for loaders that open files by path.

    A regular install gives real directories; raises :class:`ConfigError` naming the resource
    when the package is loaded from somewhere else (a zip archive, say).
    """
    if not isinstance(resource, Path):
        raise ConfigError(
            f"package data is not a file on disk ({type(resource).__name__}); install "
            "elmo-sense-index as files (pip install), not inside an archive",
            path=str(resource),
        )
    return resource
