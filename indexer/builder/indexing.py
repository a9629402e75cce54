"""The stages after the stream: the lexicon, then one FAISS index per layer with its recall."""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor

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
from indexer.index.flat import write_flat_index
from indexer.store.files import file_record
from indexer.store.layout import IndexLayout
from indexer.store.lexicon import build_lexicon
from indexer.store.manifest import Manifest, write_manifest
from indexer.store.reader import open_matrix
from indexer.store.records import IndexRecord, RecallRecord

logger = logging.getLogger(__name__)


def lexicon_stage(layout: IndexLayout, manifest: Manifest, progress: Progress) -> None:
    """Build the lexicon unless the manifest records it; record it."""
    if manifest.lexicon is not None:
        return
    progress.note("building the lexicon")
    started = time.perf_counter()
    shard_paths = [layout.occurrences_part(shard.index) for shard in manifest.shards]
    manifest.lexicon = build_lexicon(layout, shard_paths, manifest.n_occurrences)
    manifest.counts["types"] = manifest.lexicon.types
    manifest.timings["lexicon_s"] = round(time.perf_counter() - started, 3)
    write_manifest(layout, manifest)


#: Most layers whose Flat index files are written at the same time (one thread each).
MAX_FLAT_WRITERS = 4


def index_stage(
    layout: IndexLayout, manifest: Manifest, config: IndexConfig, progress: Progress
) -> None:
    """Build, measure and save each layer's index that the manifest does not record yet.

    Flat indexes are written straight from the matrices, the layers side by side on threads
    (the work is reading, normalizing, hashing and writing, which run outside the GIL); other
    indexes are built one layer at a time, FAISS using every core for each.
    """
    pending = [layer for layer in manifest.layers if layer not in manifest.indexes]
    if not pending:
        return
    plan = plan_index(manifest.n_occurrences, manifest.dim, config)
    if plan.family != "flat":
        for layer in pending:
            _build_layer(layout, manifest, layer, plan, config, progress)
        return
    names = ", ".join(map(str, pending))
    progress.note(f"layers {names}: writing {plan.factory} indexes ({plan.reason})")
    workers = max(1, min(len(pending), os.cpu_count() or 1, MAX_FLAT_WRITERS))
    with ThreadPoolExecutor(workers, thread_name_prefix="flat-index") as pool:
        jobs = [
            (layer, pool.submit(_write_flat_layer, layout, manifest, layer)) for layer in pending
        ]
        for layer, job in jobs:
            record, seconds = job.result()
            recall = _exact_recall(plan, config)
            _record(layout, manifest, layer, record, plan, recall, seconds, 0.0, progress)


def _write_flat_layer(
    layout: IndexLayout, manifest: Manifest, layer: int
) -> tuple[dict[str, int | str], float]:
    started = time.perf_counter()
    record = write_flat_index(open_matrix(layout, manifest, layer), layout.index(layer))
    return record, time.perf_counter() - started


def _build_layer(
    layout: IndexLayout,
    manifest: Manifest,
    layer: int,
    plan: IndexPlan,
    config: IndexConfig,
    progress: Progress,
) -> None:
    matrix = open_matrix(layout, manifest, layer)
    progress.note(f"layer {layer}: building {plan.factory} ({plan.reason})")
    started = time.perf_counter()
    index = build_index(matrix, plan, config, progress=progress.bars)
    built = time.perf_counter()
    recall = measure_recall(index, matrix, config)
    measured = time.perf_counter()
    path = layout.index(layer)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_index(index, path)
    del index, matrix
    record = file_record(path)
    _record(
        layout, manifest, layer, record, plan, recall, built - started, measured - built, progress
    )


def _record(
    layout: IndexLayout,
    manifest: Manifest,
    layer: int,
    record: dict[str, int | str],
    plan: IndexPlan,
    recall: RecallReport,
    build_s: float,
    recall_s: float,
    progress: Progress,
) -> None:
    """Enter a layer's saved index in the manifest (written at once) and report it."""
    manifest.indexes[layer] = IndexRecord(
        path=layout.relative(layout.index(layer)),
        bytes=int(record["bytes"]),
        sha256=str(record["sha256"]),
        plan=plan.to_dict(),
        recall=RecallRecord(**recall.to_dict(), measured=recall.n_queries > 0),
        build_s=round(build_s, 3),
        recall_s=round(recall_s, 3),
    )
    write_manifest(layout, manifest)
    progress.note(
        f"layer {layer}: {plan.factory}, recall@{recall.k} {recall.recall_at_k:.3f} "
        f"in {build_s:.1f} s"
    )


def _exact_recall(plan: IndexPlan, config: IndexConfig) -> RecallReport:
    """An exact (Flat) index has recall 1 by construction: reported, not measured."""
    k = min(config.recall_k, plan.n_vectors)
    return RecallReport(
        k=k, n_queries=0, recall_at_k=1.0, exact=True, search_ms_per_query=0.0, candidates=k
    )
