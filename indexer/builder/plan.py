"""Pure planning of a build: shard boundaries, the settings block, and whether to resume."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Literal, TypeVar

from indexer.errors import ConfigError, IndexStateError
from indexer.store.manifest import Manifest
from indexer.store.records import Settings

T = TypeVar("T")

#: Corpus fingerprints of inputs that cannot be read twice.
UNREPEATABLE = ("stdin", "stream")


def plan_shards(
    items: Iterable[T], rows: Callable[[T], int], shard_rows: int, multiple: int = 1
) -> Iterator[list[T]]:
    """Group consecutive items into shards of at least ``shard_rows`` rows.

    A shard ends after the first item that brings it to ``shard_rows`` rows or more, but only
    after a multiple of ``multiple`` items; the last shard holds what is left. The cut points
    depend on nothing but the items, so a resumed build cuts exactly where the first run did.

    >>> [len(s) for s in plan_shards([3, 3, 3, 3, 3], int, shard_rows=5)]
    [2, 2, 1]
    >>> [len(s) for s in plan_shards([3, 3, 3, 3, 3], int, shard_rows=5, multiple=3)]
    [3, 2]
    """
    shard: list[T] = []
    total = 0
    for item in items:
        shard.append(item)
        total += rows(item)
        if total >= shard_rows and len(shard) % multiple == 0:
            yield shard
            shard, total = [], 0
    if shard:
        yield shard


def resolve_layers(requested: tuple[int, ...] | None, num_layers: int) -> tuple[int, ...]:
    """The layers to store: all of the model's when none are requested.

    >>> resolve_layers(None, 3)
    (0, 1, 2)
    """
    if requested is None:
        return tuple(range(num_layers))
    bad = [layer for layer in requested if not 0 <= layer < num_layers]
    if bad:
        raise ConfigError(
            f"layer {bad[0]} does not exist; the model has layers 0 to {num_layers - 1}"
        )
    return requested


def flatten(settings: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested settings as ``{"a.b": value}``.

    >>> flatten({"model": {"dim": 8}, "dtype": "float16"})
    {'model.dim': 8, 'dtype': 'float16'}
    """
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def settings_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Each setting that differs, as ``"name: old -> new"`` (long values shortened).

    >>> settings_changes({"dtype": "float16", "layers": [2]}, {"dtype": "float32", "layers": [2]})
    ["dtype: 'float16' -> 'float32'"]
    """
    before, after = flatten(old), flatten(new)
    return [
        f"{key}: {_short(before.get(key))} -> {_short(after.get(key))}"
        for key in sorted(set(before) | set(after), key=list({**before, **after}).index)
        if before.get(key) != after.get(key)
    ]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 24 else text[:21] + "..."


Start = Literal["fresh", "resume", "done"]


def decide_start(
    existing: Manifest | None, settings: Settings, *, resume: bool, where: str
) -> Start:
    """What to do with an output directory, given its manifest (None when it has none).

    ``fresh``: nothing there, start from the first shard; ``resume``: same settings, continue
    after the last committed shard; ``done``: same settings and already complete. Other
    settings, or ``resume`` asked for with nothing to resume, raise :class:`IndexStateError`.
    """
    if existing is None:
        if resume:
            raise IndexStateError("there is no build to resume here", path=where)
        return "fresh"
    changes = settings_changes(existing.settings.to_dict(), settings.to_dict())
    if changes:
        raise IndexStateError(
            "holds an index built with other settings ("
            + "; ".join(changes)
            + "); rerun with --overwrite to replace it, or choose another --out",
            path=where,
        )
    piped = existing.settings.corpus_fingerprint in UNREPEATABLE
    if piped and (existing.complete or not existing.corpus_done):
        raise IndexStateError(
            "holds an index built from a pipe, whose input cannot be compared with this one or "
            "read again; rerun with --overwrite, or choose another --out",
            path=where,
        )
    return "done" if existing.complete else "resume"
