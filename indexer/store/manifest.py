"""The manifest of an index directory: what was built, how, from what, and how far it got."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from indexer.errors import IndexStateError
from indexer.files import write_text_atomic
from indexer.sizes import counted
from indexer.store.layout import FORMAT_NAME, FORMAT_VERSION, UPGRADABLE_VERSIONS, IndexLayout
from indexer.store.records import (
    CorpusRecord,
    FileEntry,
    RunRecord,
    SegmentRecord,
    Settings,
    ShardRecord,
)
from indexer.vectors import STORED_DTYPES


@dataclass
class Manifest:
    """The content of ``manifest.json``.

    ``settings`` is the block compared when a build is run again or a corpus appended;
    ``model`` is the encoder's description and the name it was given; ``corpora`` the inputs
    in order (the build's corpus, then each appended one); ``segments`` the immutable parts
    the shards are grouped in, each with its lexicon and FAISS indexes; ``shards`` every
    committed shard, in occurrence order. ``complete`` is false until every corpus is
    committed and every segment indexed. ``types`` counts the distinct tokens of all segments;
    ``int8`` is each stored layer's quantization (``Int8Scale.to_dict()``, by layer) when the
    dtype is ``int8``.
    """

    settings: Settings
    model: dict[str, Any] = field(default_factory=dict)
    format: str = FORMAT_NAME
    format_version: int = FORMAT_VERSION
    complete: bool = False
    corpora: list[CorpusRecord] = field(default_factory=list)
    segments: list[SegmentRecord] = field(default_factory=list)
    shards: list[ShardRecord] = field(default_factory=list)
    types: int = 0
    int8: dict[int, dict[str, Any]] | None = None
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

    @property
    def n_documents(self) -> int:
        return sum(corpus.documents for corpus in self.corpora)

    @property
    def corpus_done(self) -> bool:
        """True once every corpus's shards are committed."""
        return bool(self.corpora) and all(corpus.done for corpus in self.corpora)

    def reader_stats(self) -> dict[str, int]:
        """The reader's counts summed over the corpora."""
        total: dict[str, int] = {}
        for corpus in self.corpora:
            for key, value in corpus.reader_stats.items():
                total[key] = total.get(key, 0) + int(value)
        return total

    def shard_start(self, shard: int) -> tuple[int, int]:
        """First sentence and first occurrence of shard number ``shard`` (committed or next)."""
        if shard == 0:
            return 0, 0
        before = self.shards[shard - 1]
        return before.end_sentence, before.end_occurrence

    def segment_shards(self, position: int) -> list[ShardRecord]:
        """The committed shards of ``segments[position]``."""
        first = self.segments[position].first_shard
        nxt = position + 1
        end = self.segments[nxt].first_shard if nxt < len(self.segments) else len(self.shards)
        return self.shards[first:end]

    def segment_range(self, position: int) -> tuple[int, int]:
        """First occurrence and end (exclusive) of ``segments[position]``."""
        _, first = self.shard_start(self.segments[position].first_shard)
        shards = self.segment_shards(position)
        return first, shards[-1].end_occurrence if shards else first

    def recorded_files(self) -> dict[str, FileEntry]:
        """Every file the manifest records with its size and sha256, by path from the root:
        the shards' files, each segment's lexicon and FAISS indexes, each corpus's metadata
        tables."""
        recorded: dict[str, FileEntry] = {}
        for shard in self.shards:
            recorded.update(shard.files)
        for segment in self.segments:
            recorded.update(segment.files())
        for corpus in self.corpora:
            if corpus.fields is not None:
                recorded.update(corpus.fields.files)
        return recorded

    def corpus_shards(self, position: int) -> list[ShardRecord]:
        """The committed shards of corpus ``position``."""
        corpus = self.corpora[position]
        end = (
            self.corpora[position + 1].first_shard
            if position + 1 < len(self.corpora)
            else len(self.shards)
        )
        return self.shards[corpus.first_shard : end]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object; the identifying fields come first, so that `head manifest.json`
        shows them."""
        return {
            "format": self.format,
            "format_version": self.format_version,
            "complete": self.complete,
            "settings": self.settings.to_dict(),
            "model": dict(self.model),
            "corpora": [corpus.to_dict() for corpus in self.corpora],
            "segments": [segment.to_dict() for segment in self.segments],
            "types": self.types,
            "int8": None
            if self.int8 is None
            else {str(layer): dict(scale) for layer, scale in self.int8.items()},
            "shards": [shard.to_dict() for shard in self.shards],
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
        values["corpora"] = [CorpusRecord.from_dict(c) for c in data.get("corpora", [])]
        values["segments"] = [SegmentRecord.from_dict(s) for s in data.get("segments", [])]
        values["shards"] = [ShardRecord.from_dict(shard) for shard in data.get("shards", [])]
        int8 = data.get("int8")
        values["int8"] = (
            None if int8 is None else {int(layer): dict(scale) for layer, scale in int8.items()}
        )
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
    if version in UPGRADABLE_VERSIONS:
        raise IndexStateError(
            f"was written in format version {version}, which this version reads only to "
            f"convert it: run `indexer upgrade {root}` (in place, without re-encoding)",
            path=layout.root,
        )
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
            f"the build is not finished ({counted(len(manifest.shards), 'shard')}, "
            f"{counted(manifest.n_occurrences, 'occurrence')} so far); run the same "
            "`indexer build` command again to resume it",
            path=root,
        )
    if (
        manifest.dtype not in STORED_DTYPES
        or not manifest.layers
        or manifest.dim < 1
        or not manifest.shards
        or not manifest.segments
        or any(segment.lexicon is None for segment in manifest.segments)
        or (manifest.dtype == "int8") != (manifest.int8 is not None)
    ):
        raise IndexStateError(
            "manifest is damaged: no dtype, shards, segments or lexicon", path=root
        )
    return manifest
