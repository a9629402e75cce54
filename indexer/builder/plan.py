"""Pure planning of a build: shard boundaries, the settings block, and whether to resume."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Literal, TypeVar

from indexer.builder.config import BuildConfig
from indexer.errors import ConfigError, IndexStateError
from indexer.index import IndexConfig
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


Start = Literal["fresh", "resume", "done", "append"]


def comparable(settings: Settings, *, append: bool) -> dict[str, Any]:
    """The settings as compared with another run's: all of them, but for an appended corpus
    not the format detected from the first corpus."""
    data = settings.to_dict()
    if append:
        data["reader"] = {k: v for k, v in data["reader"].items() if k != "format"}
    return data


def decide_start(
    existing: Manifest | None,
    settings: Settings,
    corpus_fingerprint: str,
    *,
    resume: bool,
    where: str,
    append: bool = False,
) -> Start:
    """What to do with an output directory, given its manifest (None when it has none).

    ``fresh``: nothing there, start from the first shard; ``resume``: same settings and corpus,
    continue after the last committed shard (of the build, or of an unfinished append);
    ``done``: same settings and corpus, already complete (for ``append``: the corpus is
    already the last one appended); ``append``: a finished index with the same settings, to
    which the corpus is added as a new segment. Anything else raises
    :class:`IndexStateError` saying why.
    """
    if existing is None:
        if append:
            raise IndexStateError(
                "holds no index to append to; build one first (without --append)", path=where
            )
        if resume:
            raise IndexStateError("there is no build to resume here", path=where)
        return "fresh"
    changes = settings_changes(
        comparable(existing.settings, append=append), comparable(settings, append=append)
    )
    first, last = existing.corpora[0], existing.corpora[-1]
    piped = corpus_fingerprint in UNREPEATABLE
    if append:
        return _decide_append(existing, changes, corpus_fingerprint, piped, where)
    if corpus_fingerprint != first.fingerprint:
        changes.append(
            f"corpus_fingerprint: {_short(first.fingerprint)} -> {_short(corpus_fingerprint)}"
        )
    if changes:
        raise IndexStateError(
            "holds an index built with other settings ("
            + "; ".join(changes)
            + "); rerun with --overwrite to replace it, --append to add a corpus to it, or "
            "choose another --out",
            path=where,
        )
    if len(existing.corpora) > 1 and not existing.complete:
        raise IndexStateError(
            f"the append of {last.path} is not finished; run `indexer build {last.path} "
            f"--out {where} --append` again to finish it",
            path=where,
        )
    if piped and (existing.complete or not first.done):
        raise IndexStateError(
            "holds an index built from a pipe, whose input cannot be compared with this one or "
            "read again; rerun with --overwrite, or choose another --out",
            path=where,
        )
    return "done" if existing.complete else "resume"


def _decide_append(
    existing: Manifest, changes: list[str], corpus_fingerprint: str, piped: bool, where: str
) -> Start:
    last = existing.corpora[-1]
    if piped:
        raise IndexStateError(
            "--append needs a corpus file: a pipe cannot be read again to resume an "
            "interrupted append",
            path=where,
        )
    if changes:
        raise IndexStateError(
            "holds an index built with other settings, so the corpus cannot be appended ("
            + "; ".join(changes)
            + "); append with the settings of the index, or choose another --out",
            path=where,
        )
    same = corpus_fingerprint == last.fingerprint
    if not existing.complete:
        if same and len(existing.corpora) > 1:
            return "resume"
        what = "build" if len(existing.corpora) == 1 else f"append of {last.path}"
        raise IndexStateError(
            f"the {what} is not finished; finish it first (run its command again)", path=where
        )
    return "done" if same else "append"


def appending_config(config: BuildConfig, manifest: Manifest) -> BuildConfig:
    """``config`` for appending a corpus to ``manifest``'s index: every setting the index
    records that ``config`` leaves unset (the model, the layers) or at its default is taken
    from the index, so that an append needs no option but the corpus. A setting given that
    differs from the index's is refused later, by :func:`decide_start`."""
    settings = manifest.settings
    index_fields = {field.name for field in dataclasses.fields(IndexConfig)}
    recorded: dict[str, Any] = {
        "model": manifest.model.get("name"),
        "layers": settings.layers,
        "dtype": settings.dtype,
        "state": settings.state,
        "errors": settings.reader.get("errors"),
        "max_sentence_tokens": settings.reader.get("max_sentence_tokens"),
        "long_sentences": settings.reader.get("long_sentences"),
        "shard_rows": settings.shard_rows,
        "carry_batch_size": settings.carry_batch_size,
        "index": settings.index.get("kind"),
        "max_index_memory": settings.index.get("max_memory"),
        "index_options": {
            key: value
            for key, value in settings.index.items()
            if key in index_fields and key not in ("kind", "max_memory")
        },
    }
    defaults = BuildConfig()
    taken = {
        name: value
        for name, value in recorded.items()
        if value is not None and getattr(config, name) == getattr(defaults, name)
    }
    return dataclasses.replace(config, **taken)
