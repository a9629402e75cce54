"""The stages after the stream: each segment's lexicon, then its FAISS index of each layer with
its recall."""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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
from indexer.sizes import counted
from indexer.store.fields import DocumentRows
from indexer.store.files import file_record
from indexer.store.layer_vectors import LayerVectors
from indexer.store.layout import IndexLayout
from indexer.store.lexicon import build_lexicon, read_lexicon_tokens
from indexer.store.manifest import Manifest, write_manifest
from indexer.store.reader import layer_vectors
from indexer.store.records import IndexRecord, MetadataRecord, RecallRecord

logger = logging.getLogger(__name__)


#: Where a stage records its progress: by default the manifest is written after each step, so
#: that a killed build resumes after it.
Save = Callable[[IndexLayout, Manifest], None]


def lexicon_stage(
    layout: IndexLayout, manifest: Manifest, progress: Progress, save: Save = write_manifest
) -> None:
    """Build the lexicon of each segment that has none; record it, and the directory's count of
    token types."""
    pending = [p for p, segment in enumerate(manifest.segments) if segment.lexicon is None]
    if not pending:
        return
    started = time.perf_counter()
    for position in pending:
        segment = manifest.segments[position]
        shards = manifest.segment_shards(position)
        first, end = manifest.segment_range(position)
        paths = [layout.occurrences_part(shard.index) for shard in shards]
        record = build_lexicon(layout, segment.id, paths, end - first)
        manifest.segments[position] = dataclasses.replace(segment, lexicon=record)
        built = f"built the lexicon ({counted(record.types, 'token type')})"
        progress.step(_segment_note(manifest, position, built))
    manifest.types = count_types(layout, manifest)
    manifest.timings["lexicon_s"] = round(
        manifest.timings.get("lexicon_s", 0.0) + time.perf_counter() - started, 3
    )
    save(layout, manifest)


def fields_stage(
    layout: IndexLayout, manifest: Manifest, progress: Progress, save: Save = write_manifest
) -> None:
    """Write the metadata tables of each corpus read to its end that has none (also those of
    corpora built before metadata was kept: their tables then list the documents only)."""
    from indexer.store.fields import build_fields

    pending = [
        p for p, corpus in enumerate(manifest.corpora) if corpus.done and corpus.fields is None
    ]
    if not pending:
        return
    started = time.perf_counter()
    for position in pending:
        corpus = manifest.corpora[position]
        rows = None if corpus.metadata is None else document_rows(corpus.metadata.path)
        record, joined = build_fields(layout, manifest, position, rows)
        manifest.corpora[position] = dataclasses.replace(
            corpus, fields=record, metadata=joined or corpus.metadata
        )
        whose = "" if len(manifest.corpora) == 1 else f" of {corpus.path}"
        progress.step(f"wrote the metadata tables{whose}")
    manifest.timings["fields_s"] = round(
        manifest.timings.get("fields_s", 0.0) + time.perf_counter() - started, 3
    )
    save(layout, manifest)


def pending_steps(manifest: Manifest) -> int:
    """The steps the stages after the stream have left: each corpus's metadata tables, each
    segment's lexicon, and each segment's index of each layer that the manifest lacks."""
    tables = sum(1 for corpus in manifest.corpora if corpus.done and corpus.fields is None)
    lexicons = sum(1 for segment in manifest.segments if segment.lexicon is None)
    indexes = sum(
        1
        for segment in manifest.segments
        for layer in manifest.layers
        if layer not in segment.indexes
    )
    return tables + lexicons + indexes


def metadata_record(path: str | Path | None) -> MetadataRecord | None:
    """The record of a ``--metadata`` file, read once to check it before anything is written."""
    if path is None:
        return None
    rows = document_rows(path)
    return MetadataRecord(path=rows.path, fingerprint=rows.fingerprint, rows=len(rows.rows))


def document_rows(path: str | Path) -> DocumentRows:
    """A ``--metadata`` file read and checked (CorpusError naming the file and line)."""
    from indexer.corpus import fingerprint
    from indexer.corpus.metadata import read_metadata

    read = read_metadata(path)
    return DocumentRows(
        path=str(path), fingerprint=fingerprint(path), names=tuple(read.fields), rows=read.rows
    )


def count_types(layout: IndexLayout, manifest: Manifest) -> int:
    """Distinct tokens over every segment's lexicon."""
    if len(manifest.segments) == 1:
        lexicon = manifest.segments[0].lexicon
        return 0 if lexicon is None else lexicon.types
    tokens: set[str] = set()
    for segment in manifest.segments:
        tokens.update(read_lexicon_tokens(layout, segment.id))
    return len(tokens)


def _segment_note(manifest: Manifest, position: int, what: str) -> str:
    """``what``, naming the segment when there are several."""
    if len(manifest.segments) == 1:
        return what
    return f"segment {manifest.segments[position].id}: {what}"


#: Most layers whose Flat index files are written at the same time (one thread each).
MAX_FLAT_WRITERS = 4


def index_stage(
    layout: IndexLayout,
    manifest: Manifest,
    config: IndexConfig,
    progress: Progress,
    save: Save = write_manifest,
) -> None:
    """Build, measure and save each segment's index of each layer that the manifest does not
    record yet.

    Flat indexes are written straight from the stored vectors, the layers side by side on
    threads (the work is reading, normalizing, hashing and writing, which run outside the
    GIL); other indexes are built one layer at a time, FAISS using every core for each.
    """
    for position in range(len(manifest.segments)):
        pending = [
            layer for layer in manifest.layers if layer not in manifest.segments[position].indexes
        ]
        if pending:
            _index_segment(layout, manifest, position, pending, config, progress, save)


def _index_segment(
    layout: IndexLayout,
    manifest: Manifest,
    position: int,
    pending: list[int],
    config: IndexConfig,
    progress: Progress,
    save: Save,
) -> None:
    first, end = manifest.segment_range(position)
    plan = plan_index(end - first, manifest.dim, config)
    shards = manifest.segment_shards(position)
    segment = manifest.segments[position].id
    if plan.family != "flat":
        for layer in pending:
            vectors = layer_vectors(layout, manifest, layer, shards)
            _build_layer(layout, manifest, position, layer, vectors, plan, config, progress)
            save(layout, manifest)
        return
    names = ", ".join(map(str, pending))
    what = f"layer {names}: writing a {plan.factory} index"
    if len(pending) > 1:
        what = f"layers {names}: writing {plan.factory} indexes"
    note = f"{what} ({plan.reason})"
    progress.note(_segment_note(manifest, position, note))
    workers = max(1, min(len(pending), os.cpu_count() or 1, MAX_FLAT_WRITERS))
    with ThreadPoolExecutor(workers, thread_name_prefix="flat-index") as pool:
        jobs = [
            (
                layer,
                pool.submit(
                    _write_flat_layer,
                    layer_vectors(layout, manifest, layer, shards),
                    layout.index(segment, layer),
                ),
            )
            for layer in pending
        ]
        for layer, job in jobs:
            record, seconds = job.result()
            recall = _exact_recall(plan, config)
            _record(layout, manifest, position, layer, record, plan, recall, seconds, 0.0, progress)
            save(layout, manifest)


def _write_flat_layer(vectors: LayerVectors, path: Path) -> tuple[dict[str, int | str], float]:
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    record = write_flat_index(vectors, path)
    return record, time.perf_counter() - started


def _build_layer(
    layout: IndexLayout,
    manifest: Manifest,
    position: int,
    layer: int,
    vectors: LayerVectors,
    plan: IndexPlan,
    config: IndexConfig,
    progress: Progress,
) -> None:
    note = f"layer {layer}: building {plan.factory} ({plan.reason})"
    progress.note(_segment_note(manifest, position, note))
    started = time.perf_counter()
    index = build_index(vectors, plan, config, progress=progress.bars)
    built = time.perf_counter()
    recall = measure_recall(index, vectors, config, lossy=plan.lossy)
    measured = time.perf_counter()
    path = layout.index(manifest.segments[position].id, layer)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_index(index, path)
    del index
    vectors.release()
    record = file_record(path)
    _record(
        layout,
        manifest,
        position,
        layer,
        record,
        plan,
        recall,
        built - started,
        measured - built,
        progress,
    )


def _record(
    layout: IndexLayout,
    manifest: Manifest,
    position: int,
    layer: int,
    record: dict[str, int | str],
    plan: IndexPlan,
    recall: RecallReport,
    build_s: float,
    recall_s: float,
    progress: Progress,
) -> None:
    """Enter a segment's saved index of a layer in the manifest; report it."""
    segment = manifest.segments[position]
    entry = IndexRecord(
        path=layout.relative(layout.index(segment.id, layer)),
        bytes=int(record["bytes"]),
        sha256=str(record["sha256"]),
        plan=plan.to_dict(),
        recall=RecallRecord(**recall.to_dict(), measured=recall.n_queries > 0),
        build_s=round(build_s, 3),
        recall_s=round(recall_s, 3),
    )
    indexes = {**segment.indexes, layer: entry}
    manifest.segments[position] = dataclasses.replace(
        segment, indexes=dict(sorted(indexes.items()))
    )
    note = (
        f"layer {layer}: {plan.factory}, recall@{recall.k} {recall.recall_at_k:.3f} "
        f"in {build_s:.1f} s"
    )
    progress.step(_segment_note(manifest, position, note))


def _exact_recall(plan: IndexPlan, config: IndexConfig) -> RecallReport:
    """An exact (Flat) index has recall 1 by construction: reported, not measured."""
    k = min(config.recall_k, plan.n_vectors)
    return RecallReport(
        k=k, n_queries=0, recall_at_k=1.0, exact=True, search_ms_per_query=0.0, candidates=k
    )
