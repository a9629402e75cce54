"""What a served instance is: its indexes by name, its address, its access rule and its bounds."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from indexer.errors import QueryError, at_least

#: The environment variable that gives the access token when ``--token`` is not given.
TOKEN_VARIABLE = "ELMO_INDEX_TOKEN"
#: The environment variable that hands the settings to worker processes.
SETTINGS_VARIABLE = "ELMO_INDEX_SERVE_SETTINGS"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Limits:
    """Bounds of every request parameter (a request past one gets a 400 naming it)."""

    k: int = 100
    limit: int = 1000
    word_chars: int = 200
    context_chars: int = 2000
    items: int = 50
    examples: int = 50
    map_points: int = 5000
    body_bytes: int = 65_536
    layer: int = 63
    where_chars: int = 500


@dataclass(frozen=True)
class ServeSettings:
    """A service: ``indexes`` name -> directory, where it listens, its token and bounds.

    ``batch_window_ms`` is how long a context sentence waits for others to be embedded with it
    (0: each alone); ``max_batch`` how many are embedded together at most. With several
    ``workers``, a keep-alive connection is closed with its first answer after it has been
    open ``connection_seconds`` (0: never), so that connections spread evenly over the
    processes (``query.serve.connections``).
    """

    indexes: Mapping[str, Path]
    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    workers: int = 1
    cors_origins: tuple[str, ...] = ()
    batch_window_ms: float = 5.0
    max_batch: int = 32
    connection_seconds: float = 5.0
    model: str | None = None
    device: str = "cpu"
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        if not self.indexes:
            raise QueryError("give at least one index directory to serve")
        if self.host not in LOOPBACK and not self.token:
            raise QueryError(
                f"serving on {self.host} (not this machine only) needs an access token: "
                f"--token T or the environment variable {TOKEN_VARIABLE}"
            )
        if not 1 <= self.workers <= 64:
            raise QueryError(f"workers must be from 1 to 64, got {self.workers}", setting="workers")
        at_least("connection_seconds", self.connection_seconds, 0, QueryError)
        at_least("batch_window_ms", self.batch_window_ms, 0, QueryError)
        at_least("max_batch", self.max_batch, 1, QueryError)


class IndexNotServed(QueryError):
    """A request names an index that is not served: a 404."""

    status = 404


def settings_to_json(settings: ServeSettings) -> str:
    """``settings`` as JSON, for the worker processes of ``--workers N``."""
    import json

    data = dataclasses.asdict(settings)
    data["indexes"] = {name: str(path) for name, path in settings.indexes.items()}
    return json.dumps(data)


def settings_from_json(text: str) -> ServeSettings:
    import json

    data = json.loads(text)
    data["indexes"] = {name: Path(path) for name, path in data["indexes"].items()}
    data["cors_origins"] = tuple(data["cors_origins"])
    data["limits"] = Limits(**data["limits"])
    return ServeSettings(**data)


def parse_indexes(values: Sequence[str]) -> dict[str, Path]:
    """``NAME=DIR`` or ``DIR`` (named after its folder) -> {name: directory}.

    >>> parse_indexes(["elmo-index", "news=/data/news-index"])
    {'elmo-index': PosixPath('elmo-index'), 'news': PosixPath('/data/news-index')}
    """
    out: dict[str, Path] = {}
    for value in values:
        name, sep, where = value.partition("=")
        path = Path(where if sep else value)
        name = name if sep else path.resolve().name or "index"
        if not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise QueryError(f"an index name is letters, digits, - _ and . only, got {name!r}")
        if name in out:
            raise QueryError(f"two indexes are named {name!r}; name them: --index NAME=DIR")
        out[name] = path
    return out


def token_from_environment(token: str | None) -> str | None:
    return token or os.environ.get(TOKEN_VARIABLE) or None
