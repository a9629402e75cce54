"""The manifest of an index directory: what was built, how, from what, and how far it got."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from indexer.errors import IndexStateError
from indexer.files import write_text_atomic
from indexer.store.layout import FORMAT_NAME, FORMAT_VERSION, IndexLayout


@dataclass
class ShardRecord:
    """One committed shard: its rows and the files (sizes, sha256) that hold them.

    ``files`` maps a path relative to the index root to ``{"bytes", "sha256"}``; ``matrix`` maps
    a layer (as a string) to the sha256 of the bytes this shard appended to that layer's matrix.
    """

    index: int
    first_sentence: int
    n_sentences: int
    first_occurrence: int
    n_occurrences: int
    files: dict[str, dict[str, Any]]
    matrix: dict[str, str]
    state: str | None = None

    @property
    def end_occurrence(self) -> int:
        return self.first_occurrence + self.n_occurrences

    @property
    def end_sentence(self) -> int:
        return self.first_sentence + self.n_sentences


@dataclass
class Manifest:
    """The content of ``manifest.json``.

    ``settings`` is the block compared when a build is run again (model identity, state
    policy, layers, dtype, reader options, corpus fingerprint, shard size, index options);
    ``complete`` is false until every index is built; ``corpus_done`` is true once every shard
    of the corpus is committed.
    """

    settings: dict[str, Any]
    model: dict[str, Any] = field(default_factory=dict)
    corpus: dict[str, Any] = field(default_factory=dict)
    format: str = FORMAT_NAME
    format_version: int = FORMAT_VERSION
    complete: bool = False
    corpus_done: bool = False
    shards: list[ShardRecord] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    reader_stats: dict[str, int] = field(default_factory=dict)
    lexicon: dict[str, Any] | None = None
    indexes: dict[str, dict[str, Any]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    created: str = ""
    updated: str = ""

    @property
    def layers(self) -> tuple[int, ...]:
        return tuple(int(layer) for layer in self.settings["layers"])

    @property
    def dtype(self) -> str:
        return str(self.settings["dtype"])

    @property
    def dim(self) -> int:
        return int(self.settings["model"]["dim"])

    @property
    def n_occurrences(self) -> int:
        return self.shards[-1].end_occurrence if self.shards else 0

    @property
    def n_sentences(self) -> int:
        return self.shards[-1].end_sentence if self.shards else 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        # Put the identifying fields first, so that `head manifest.json` shows them.
        head = {key: data.pop(key) for key in ("format", "format_version", "complete")}
        return {**head, **data}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values["shards"] = [ShardRecord(**shard) for shard in data.get("shards", [])]
        return cls(**values)


def now() -> str:
    """The current UTC time as ISO 8601 (what the manifest records)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def write_manifest(layout: IndexLayout, manifest: Manifest) -> None:
    """Replace ``manifest.json`` atomically (temporary file, fsync, rename)."""
    manifest.updated = now()
    manifest.created = manifest.created or manifest.updated
    text = json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False) + "\n"
    write_text_atomic(layout.manifest, text)


def read_manifest(root: str | Path) -> Manifest:
    """Read the manifest of the index directory ``root``.

    Raises :class:`IndexStateError` where there is none, it is not JSON, or it belongs to
    another tool or a newer format version.
    """
    layout = IndexLayout(Path(root))
    try:
        text = layout.manifest.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise IndexStateError(
            "not an index directory (no manifest.json); build one with "
            f"`indexer build CORPUS --out {root}`",
            path=root,
        ) from err
    except OSError as err:
        raise IndexStateError(
            f"cannot read manifest: {err.strerror}", path=layout.manifest
        ) from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise IndexStateError(f"manifest is not valid JSON: {err}", path=layout.manifest) from err
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise IndexStateError(f"not a {FORMAT_NAME} manifest", path=layout.manifest)
    version = data.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise IndexStateError(
            f"format version {version!r} is newer than this program reads ({FORMAT_VERSION}); "
            "upgrade elmo-sense-index",
            path=layout.manifest,
        )
    try:
        return Manifest.from_dict(data)
    except (TypeError, KeyError) as err:
        raise IndexStateError(f"manifest is damaged: {err}", path=layout.manifest) from err


def read_complete_manifest(root: str | Path) -> Manifest:
    """Read a manifest and require a finished build (what the query side opens)."""
    manifest = read_manifest(root)
    if not manifest.complete:
        raise IndexStateError(
            f"the build is not finished ({len(manifest.shards)} shards, "
            f"{manifest.n_occurrences:,} occurrences so far); run the same `indexer build` "
            "command again to resume it",
            path=root,
        )
    return manifest
