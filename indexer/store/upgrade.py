"""``indexer upgrade``: convert an index directory of an earlier format version in place.

Format 1 kept a second copy of every vector (``matrix/layer=L.*``), one lexicon
(``lexicon/lexicon.parquet``, ``lexicon/postings.npy``) and one FAISS index per layer
(``index/layer=L.faiss``) for the whole directory, and the corpus in the manifest's top level.
Format 2 is one segment of the same shards: the lexicon and indexes move to ``segment=0``
folders, the corpus becomes the first of ``corpora``, and the matrices are deleted (the
vectors are read from their Parquet files). Nothing is re-encoded or re-indexed.

Kill-safe: the new names are hard links made beside the old ones, then the format-2 manifest
replaces the old one atomically, then the old names and the matrices are deleted. Killed
before the manifest is replaced, the directory is still a whole format-1 index; after, a whole
format-2 one with leftovers that a rerun (or the next build) deletes.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.errors import IndexStateError
from indexer.files import atomic_path
from indexer.index.config import IndexConfig
from indexer.store.directory import discard_uncommitted, exclusive
from indexer.store.layout import (
    FORMAT_NAME,
    FORMAT_VERSION,
    LEGACY_ENTRIES,
    MANIFEST_NAME,
    IndexLayout,
)
from indexer.store.manifest import Manifest, read_manifest, write_manifest
from indexer.store.records import (
    CorpusRecord,
    IndexRecord,
    LexiconRecord,
    RunRecord,
    SegmentRecord,
    Settings,
    ShardRecord,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class UpgradeReport:
    """What ``upgrade_index`` did: the version found, and the bytes the deleted copies held."""

    root: Path
    from_version: int
    freed_bytes: int

    def line(self) -> str:
        if self.from_version == FORMAT_VERSION:
            return f"{self.root} is already in format version {FORMAT_VERSION}; nothing to do"
        from indexer.sizes import format_size

        return (
            f"upgraded {self.root} from format version {self.from_version} to "
            f"{FORMAT_VERSION} ({format_size(self.freed_bytes)} of duplicate vectors deleted)"
        )


def upgrade_index(root: str | Path) -> UpgradeReport:
    """Convert the index directory ``root`` to the current format version, in place."""
    layout = IndexLayout(Path(root))
    data = _read_json(layout)
    version = data.get("format_version")
    with exclusive(layout):
        if version == FORMAT_VERSION:
            manifest = read_manifest(layout.root)
            freed = _remove_legacy(layout)
            discard_uncommitted(layout, manifest)
            return UpgradeReport(layout.root, FORMAT_VERSION, freed)
        if version != 1:
            raise IndexStateError(
                f"format version {version!r} cannot be upgraded by this version "
                f"(it reads 1 and {FORMAT_VERSION})",
                path=layout.manifest,
            )
        try:
            manifest, moves = convert_v1(data)
        except (KeyError, TypeError, ValueError) as err:
            raise IndexStateError(f"manifest is damaged: {err}", path=layout.manifest) from err
        for old, new in moves.items():
            _link(layout.root / old, layout.root / new)
        write_manifest(layout, manifest)
        for old in moves:
            (layout.root / old).unlink(missing_ok=True)
        freed = _remove_legacy(layout)
        discard_uncommitted(layout, manifest)
    logger.debug("upgraded %s from format version 1", layout.root)
    return UpgradeReport(layout.root, 1, freed)


def convert_v1(data: dict[str, Any]) -> tuple[Manifest, dict[str, str]]:
    """The format-2 manifest of a format-1 manifest's JSON object, and the files to move (old
    path -> new path, from the root)."""
    settings_data = dict(data["settings"])
    fingerprint = settings_data.pop("corpus_fingerprint")
    settings_data["index"] = index_settings_v2(settings_data["index"])
    settings = Settings.from_dict(settings_data)
    counts = data.get("counts", {})
    corpus = data.get("corpus", {})
    moves: dict[str, str] = {}
    lexicon = None
    if data.get("lexicon") is not None:
        files = {}
        for name, entry in data["lexicon"]["files"].items():
            new = f"lexicon/segment=0/{Path(name).name}"
            moves[name] = new
            files[new] = entry
        lexicon = LexiconRecord(types=data["lexicon"]["types"], files=files)
    indexes = {}
    for layer, entry in data.get("indexes", {}).items():
        new = f"index/segment=0/layer={int(layer)}.faiss"
        moves[entry["path"]] = new
        indexes[int(layer)] = IndexRecord.from_dict({**entry, "path": new})
    shards = [
        ShardRecord.from_dict({k: v for k, v in shard.items() if k != "matrix"})
        for shard in data.get("shards", [])
    ]
    manifest = Manifest(
        settings=settings,
        model=dict(data.get("model", {})),
        format=FORMAT_NAME,
        format_version=FORMAT_VERSION,
        complete=bool(data.get("complete")),
        corpora=[
            CorpusRecord(
                path=str(corpus.get("path", "")),
                format=str(corpus.get("format", settings.reader.get("format", ""))),
                bytes=corpus.get("bytes"),
                fingerprint=fingerprint,
                first_shard=0,
                done=bool(data.get("corpus_done")),
                sentences=int(counts.get("sentences", 0)),
                tokens=int(counts.get("tokens", 0)),
                documents=int(counts.get("documents", 0)),
                reader_stats=dict(data.get("reader_stats", {})),
            )
        ],
        segments=[SegmentRecord(id=0, first_shard=0, lexicon=lexicon, indexes=indexes)],
        shards=shards,
        types=int(counts.get("types", 0)),
        timings=dict(data.get("timings", {})),
        runs=[RunRecord.from_dict(run) for run in data.get("runs", [])],
        created=str(data.get("created", "")),
    )
    return manifest, moves


#: Index options whose default changed with format 2, and their format-1 defaults.
V1_INDEX_DEFAULTS = {"flat_max_vectors": 1_000_000}


def index_settings_v2(index: Mapping[str, Any]) -> dict[str, Any]:
    """A format-1 build's index options as this version records them: an option left at the
    format-1 default takes today's default, an option that did not exist yet its default, so
    that the command that made the index still matches it (its FAISS indexes keep the plan
    they were built from, recorded with them)."""
    defaults = {f.name: f.default for f in dataclasses.fields(IndexConfig)}
    upgraded = dict(index)
    for name, old_default in V1_INDEX_DEFAULTS.items():
        if upgraded.get(name) == old_default:
            upgraded[name] = defaults[name]
    for name, value in defaults.items():
        upgraded.setdefault(name, value)
    return upgraded


def _read_json(layout: IndexLayout) -> dict[str, Any]:
    try:
        data = json.loads(layout.manifest.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise IndexStateError(
            f"not an index directory (no {MANIFEST_NAME})", path=layout.root
        ) from err
    except (OSError, ValueError) as err:
        raise IndexStateError(f"cannot read the manifest: {err}", path=layout.manifest) from err
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise IndexStateError(f"not a {FORMAT_NAME} manifest", path=layout.manifest)
    return data


def _link(old: Path, new: Path) -> None:
    """Give ``old``'s file the second name ``new`` (replacing a link left by a killed run)."""
    if not old.is_file():
        if new.is_file():
            return  # moved by a run killed after it linked and deleted: nothing left to do
        raise IndexStateError("a file the manifest records is missing", path=old)
    with atomic_path(new) as tmp:
        tmp.unlink(missing_ok=True)  # left by a killed run
        os.link(old, tmp)


def _remove_legacy(layout: IndexLayout) -> int:
    """Delete the entries of earlier formats; the bytes they held."""
    freed = 0
    for name in LEGACY_ENTRIES:
        path = layout.root / name
        if path.is_dir():
            freed += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
            shutil.rmtree(path)
        elif path.exists():
            freed += path.stat().st_size
            path.unlink()
    return freed
