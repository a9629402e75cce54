"""``indexer optimize``: merge an index directory's segments into one (one lexicon, and one
FAISS index per layer), from the stored shards, without re-encoding.

The merged segment's files are written under a new segment id beside the old ones, and the
manifest is replaced once, when all of them are on disk; then the old segments' files are
deleted. Readers see the old segments or the merged one, never a mixture. Killed before the
manifest is replaced, the directory is as it was (a rerun deletes the unrecorded files and
starts again); after, what is left of the old segments is deleted by a rerun or the next build.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from indexer.builder.indexing import index_stage, lexicon_stage, pending_steps
from indexer.builder.progress import NoProgress, Progress
from indexer.index import IndexConfig
from indexer.store.directory import discard_uncommitted, exclusive
from indexer.store.layout import IndexLayout
from indexer.store.manifest import Manifest, read_complete_manifest, write_manifest
from indexer.store.records import SegmentRecord

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OptimizeReport:
    """What ``optimize`` did: the segments before and after, and its seconds."""

    root: Path
    segments_before: int
    segments_after: int
    seconds: float

    def line(self) -> str:
        if self.segments_before == self.segments_after:
            return f"{self.root} has {self.segments_before} segment; nothing to merge"
        return (
            f"merged the {self.segments_before} segments of {self.root} into one in "
            f"{self.seconds:.1f} s"
        )


def optimize(root: str | Path, *, progress: Progress | None = None) -> OptimizeReport:
    """Merge the segments of the finished index directory ``root`` into one, with the index
    options it was built with."""
    started = time.perf_counter()
    layout = IndexLayout(Path(root))
    progress = progress or NoProgress()
    with exclusive(layout):
        manifest = read_complete_manifest(layout.root)
        before = len(manifest.segments)
        discard_uncommitted(layout, manifest)
        if before == 1:
            return OptimizeReport(layout.root, 1, 1, time.perf_counter() - started)
        merged = merged_manifest(manifest)
        config = IndexConfig(**manifest.settings.index)
        progress.stage("merge", pending_steps(merged))
        lexicon_stage(layout, merged, progress, save=_hold)
        index_stage(layout, merged, config, progress, save=_hold)
        seconds = time.perf_counter() - started
        merged.timings["optimize_s"] = round(merged.timings.get("optimize_s", 0.0) + seconds, 3)
        write_manifest(layout, merged)
        discard_uncommitted(layout, merged, replaced=True)
    progress.close()
    logger.debug("merged %d segments of %s", before, layout.root)
    return OptimizeReport(layout.root, before, 1, seconds)


def merged_manifest(manifest: Manifest) -> Manifest:
    """``manifest`` with its segments replaced by one new segment of every shard, not yet
    indexed (a new id, so that its files never take an old segment's names)."""
    next_id = max(segment.id for segment in manifest.segments) + 1
    return dataclasses.replace(
        manifest,
        segments=[SegmentRecord(id=next_id, first_shard=0)],
        timings=dict(manifest.timings),
        complete=True,
    )


def _hold(layout: IndexLayout, manifest: Manifest) -> None:
    """Record nothing until every file of the merged segment is written."""
