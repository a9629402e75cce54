"""The stages after the stream: the lexicon, then one FAISS index per layer with its recall."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from indexer.builder.progress import Progress
from indexer.index import (
    IndexConfig,
    IndexPlan,
    RecallReport,
    build_index,
    measure_recall,
    plan_index,
    save_index,
)
from indexer.store.files import file_record, fsync_dir, fsync_file
from indexer.store.layout import IndexLayout
from indexer.store.lexicon import build_lexicon
from indexer.store.manifest import Manifest, write_manifest
from indexer.store.shards import open_matrix

logger = logging.getLogger(__name__)


def lexicon_stage(layout: IndexLayout, manifest: Manifest, progress: Progress) -> None:
    """Build the lexicon unless the manifest records it; record it."""
    if manifest.lexicon is not None:
        return
    progress.note("building the lexicon")
    started = time.perf_counter()
    shard_paths = [layout.occurrences_part(shard.index) for shard in manifest.shards]
    manifest.lexicon = build_lexicon(layout, shard_paths, manifest.n_occurrences)
    manifest.counts["types"] = manifest.lexicon["types"]
    manifest.timings["lexicon_s"] = round(time.perf_counter() - started, 3)
    write_manifest(layout, manifest)


def index_stage(
    layout: IndexLayout, manifest: Manifest, config: IndexConfig, progress: Progress
) -> None:
    """Build, measure and save each layer's index that the manifest does not record yet."""
    for layer in manifest.layers:
        if str(layer) in manifest.indexes:
            continue
        matrix = open_matrix(layout, manifest, layer)
        plan = plan_index(manifest.n_occurrences, manifest.dim, config)
        progress.note(f"layer {layer}: building {plan.factory} ({plan.reason})")
        started = time.perf_counter()
        index = build_index(matrix, plan, config, progress=progress.bars)
        built = time.perf_counter()
        recall = _recall(index, matrix, plan, config)
        measured = time.perf_counter()
        path = layout.index(layer)
        path.parent.mkdir(parents=True, exist_ok=True)
        save_index(index, path)
        fsync_file(path)
        fsync_dir(path.parent)
        del index, matrix
        manifest.indexes[str(layer)] = {
            "path": layout.relative(path),
            **file_record(path),
            "plan": plan.to_dict(),
            "recall": {**recall.to_dict(), "measured": recall.n_queries > 0},
            "build_s": round(built - started, 3),
            "recall_s": round(measured - built, 3),
        }
        write_manifest(layout, manifest)
        progress.note(
            f"layer {layer}: {plan.factory}, recall@{recall.k} {recall.recall_at_k:.3f} "
            f"in {built - started:.1f} s"
        )


def _recall(index: Any, matrix: np.ndarray, plan: IndexPlan, config: IndexConfig) -> RecallReport:
    """Recall@k against exact search; an exact (Flat) index has 1 by construction, unmeasured."""
    if plan.family == "flat":
        k = min(config.recall_k, plan.n_vectors)
        return RecallReport(k=k, n_queries=0, recall_at_k=1.0, exact=True, search_ms_per_query=0.0)
    return measure_recall(index, matrix, config)
