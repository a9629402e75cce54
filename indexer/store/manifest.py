"""The manifest of an index directory: what was built, how, from what, and how far it got."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from indexer.errors import IndexStateError
from indexer.files import write_text_atomic
from indexer.store.layout import FORMAT_NAME, FORMAT_VERSION, IndexLayout
from indexer.store.records import (
    FileEntry,
    IndexRecord,
    LexiconRecord,
    RunRecord,
    Settings,
    ShardRecord,
)
from indexer.vectors import VECTOR_DTYPES


@dataclass
class Manifest:
    """The content of ``manifest.json``.

    ``settings`` is the block compared when a build is run again; ``model`` is the encoder's
    description and the name it was given; ``corpus`` the input's path, format and size;
    ``complete`` is false until every index is built; ``corpus_done`` is true once every shard
    of the corpus is committed. ``indexes`` are keyed by layer (strings in the JSON).
    """

    settings: Settings
    model: dict[str, Any] = field(default_factory=dict)
    corpus: dict[str, Any] = field(default_factory=dict)
    format: str = FORMAT_NAME
    format_version: int = FORMAT_VERSION
    complete: bool = False
    corpus_done: bool = False
    shards: list[ShardRecord] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    reader_stats: dict[str, int] = field(default_factory=dict)
    lexicon: LexiconRecord | None = None
    indexes: dict[int, IndexRecord] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    runs: list[RunRecord] = field(default_factory=list)
    created: str = ""
    updated: str = ""

    @property
    def layers(self) -> tuple[int, ...]:
        return self.settings.layers

    @property
    def dtype(self) -> str:
        return self.settings.dtype

    @property
    def dim(self) -> int:
        return self.settings.model.dim

    @property
    def n_occurrences(self) -> int:
        return self.shards[-1].end_occurrence if self.shards else 0

    @property
    def n_sentences(self) -> int:
        return self.shards[-1].end_sentence if self.shards else 0

    def recorded_files(self) -> dict[str, FileEntry]:
        """Every file the manifest records with its size and sha256, by path from the root:
        the shards' files, the lexicon's and the FAISS indexes'."""
        recorded: dict[str, FileEntry] = {}
        for shard in self.shards:
            recorded.update(shard.files)
        if self.lexicon is not None:
            recorded.update(self.lexicon.files)
        for entry in self.indexes.values():
            recorded[entry.path] = entry.file
        return recorded

    def to_dict(self) -> dict[str, Any]:
        """The JSON object; the identifying fields come first, so that `head manifest.json`
        shows them."""
        return {
            "format": self.format,
            "format_version": self.format_version,
            "complete": self.complete,
            "settings": self.settings.to_dict(),
            "model": dict(self.model),
            "corpus": dict(self.corpus),
            "corpus_done": self.corpus_done,
            "shards": [shard.to_dict() for shard in self.shards],
            "counts": dict(self.counts),
            "reader_stats": dict(self.reader_stats),
            "lexicon": None if self.lexicon is None else self.lexicon.to_dict(),
            "indexes": {str(layer): entry.to_dict() for layer, entry in self.indexes.items()},
            "timings": dict(self.timings),
            "runs": [run.to_dict() for run in self.runs],
            "created": self.created,
            "updated": self.updated,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        """Read the JSON object (keys this version does not know are left out)."""
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values["settings"] = Settings.from_dict(data["settings"])
        values["shards"] = [ShardRecord.from_dict(shard) for shard in data.get("shards", [])]
        lexicon = data.get("lexicon")
        values["lexicon"] = None if lexicon is None else LexiconRecord.from_dict(lexicon)
        values["indexes"] = {
            int(layer): IndexRecord.from_dict(entry)
            for layer, entry in data.get("indexes", {}).items()
        }
        values["runs"] = [RunRecord.from_dict(run) for run in data.get("runs", [])]
        return cls(**values)


def now() -> str:
    """The current UTC time as ISO 8601 (what the manifest records)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def manifest_text(manifest: Manifest) -> str:
    """The text of ``manifest.json`` for ``manifest``."""
    return json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False) + "\n"


def write_manifest(layout: IndexLayout, manifest: Manifest) -> None:
    """Replace ``manifest.json`` atomically (temporary file, fsync, rename)."""
    manifest.updated = now()
    manifest.created = manifest.created or manifest.updated
    write_text_atomic(layout.manifest, manifest_text(manifest))


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
    except (TypeError, KeyError, ValueError, AttributeError) as err:
        raise IndexStateError(f"manifest is damaged: {err}", path=layout.manifest) from err


def read_complete_manifest(root: str | Path) -> Manifest:
    """The manifest of a finished build at ``root`` (what the read side opens); one clear
    :class:`IndexStateError` for a missing directory, an unfinished build or a damaged one."""
    root = Path(root)
    if not root.exists():
        raise IndexStateError(
            "index directory not found; build one with `indexer build CORPUS --out DIR` "
            "or pass --index DIR",
            path=root,
        )
    if not root.is_dir():
        raise IndexStateError("is not an index directory (not a folder)", path=root)
    manifest = read_manifest(root)
    if not manifest.complete:
        raise IndexStateError(
            f"the build is not finished ({len(manifest.shards)} shards, "
            f"{manifest.n_occurrences:,} occurrences so far); run the same `indexer build` "
            "command again to resume it",
            path=root,
        )
    if (
        manifest.dtype not in VECTOR_DTYPES
        or not manifest.layers
        or manifest.dim < 1
        or manifest.lexicon is None
        or not manifest.shards
    ):
        raise IndexStateError("manifest is damaged: no dtype, lexicon or shards", path=root)
    return manifest
