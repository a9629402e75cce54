"""``indexer build --engine ray``: parts encoded by Ray actors, committed in corpus order.

The driver scans the corpus files (no model), plans the parts (:mod:`indexer.builder.parts`),
and hands them to a pool of actors that keep the model loaded. Each actor writes its part's
shard files into the output directory (a filesystem every worker sees) exactly as a
single-process build writes them, and returns their records; the driver records the parts in
the manifest in order, as each prefix of the plan is done, so occurrence ids, sentence ids and
files are those of ``--engine local``. Then the lexicon and FAISS stages run as in a local
build. A failed or killed actor is restarted by Ray and its part encoded again (its files are
written under temporary names and renamed, so a retry writes the same bytes); a killed driver
resumes, when the same command runs again, after the last part it recorded.

Ray is an optional dependency, imported here only.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.builder.config import BuildConfig, BuildReport
from indexer.builder.indexing import (
    fields_stage,
    index_stage,
    lexicon_stage,
    metadata_record,
    pending_steps,
)
from indexer.builder.parts import (
    PART_SHARDS,
    CorpusScan,
    Part,
    expand_inputs,
    plan_parts,
    scan_corpus,
)
from indexer.builder.plan import resolve_layers, settings_changes
from indexer.builder.progress import make_progress
from indexer.builder.run import complete_run, make_report, model_name, settings_block
from indexer.errors import ConfigError, IndexStateError
from indexer.store.directory import clear_index, discard_uncommitted, exclusive, read_existing
from indexer.store.layout import IndexLayout
from indexer.store.manifest import Manifest, now, write_manifest
from indexer.store.records import RunRecord, SegmentRecord, ShardRecord

logger = logging.getLogger(__name__)

INSTALL = "pip install 'elmo-sense-index[ray]'"


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide a distributed build runs.

    ``address``: None starts a Ray instance on this machine (``workers * threads_per_worker``
    CPUs), ``"auto"`` joins the cluster this machine belongs to, else a cluster address.
    """

    address: str | None = None
    workers: int = 2
    threads_per_worker: int = 1
    gpus_per_worker: float = 0.0
    part_shards: int = PART_SHARDS
    max_retries: int = 3

    @classmethod
    def of(cls, config: BuildConfig) -> RayOptions:
        return cls(
            address=config.ray_address,
            workers=config.workers,
            threads_per_worker=config.threads_per_worker,
            gpus_per_worker=config.gpus_per_worker,
            part_shards=config.part_shards,
        )

    def __post_init__(self) -> None:
        if self.workers < 1 or self.threads_per_worker < 1 or self.gpus_per_worker < 0:
            raise ConfigError(
                "--workers and --threads-per-worker must be at least 1, --gpus-per-worker at "
                f"least 0; got {self.workers}, {self.threads_per_worker}, {self.gpus_per_worker}"
            )


@dataclass(frozen=True)
class EncoderFacts:
    """What the driver knows of the model, from a worker (the driver never loads it)."""

    identity: str
    family: str
    dim: int
    num_layers: int
    description: dict[str, Any]


class PartEncoder:
    """A Ray actor: keeps the model loaded and encodes parts into the output directory."""

    def __init__(self, config: BuildConfig, threads: int) -> None:
        import torch

        from indexer.builder.run import load_model

        torch.set_num_threads(threads)
        self.config = config
        self.encoder = load_model(config)

    def pid(self) -> int:
        import os

        return os.getpid()

    def describe(self) -> dict[str, Any]:
        return dict(self.encoder.describe())

    def encode(self, manifest: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
        """Write ``part``'s shards; their records (and the int8 scales the part fitted)."""
        from indexer.builder.committer import ShardCommitter
        from indexer.builder.runner import StreamPlan, stream_corpus
        from indexer.corpus import open_corpus

        config, work = self.config, Part(**part)
        state = Manifest.from_dict(manifest)
        state.shards = []
        plan = StreamPlan.of(
            config,
            state,
            first_shard=work.first_shard,
            first_sentence=work.first_sentence,
            first_occurrence=work.first_occurrence,
            skip_sentences=work.skip_sentences,
            max_shards=work.n_shards,
        )
        committer = ShardCommitter(IndexLayout(Path(config.out)), state, publish=False)
        with open_corpus(work.path, config.reader_config()) as reader:
            try:
                stream_corpus(reader, self.encoder, committer, plan, make_progress(False, 0))
            finally:
                committer.close()
        return {"shards": [s.to_dict() for s in state.shards], "int8": state.int8}


def build_distributed(
    inputs: Sequence[str | Path], config: BuildConfig, options: RayOptions
) -> BuildReport:
    """Build ``inputs`` (files, folders, globs) into ``config.out`` with Ray workers."""
    try:
        import ray
        from ray.util import ActorPool
    except ImportError as err:
        raise ConfigError(f"--engine ray needs Ray: {INSTALL}") from err
    if config.state == "carry":
        raise ConfigError(
            "--engine ray needs a state policy under which a sentence's vectors do not depend "
            "on what came before: --state warm or zero, not carry"
        )
    if config.append or config.resume:
        raise ConfigError("--engine ray resumes by itself; give neither --append nor --resume")
    started = time.perf_counter()
    layout = IndexLayout(Path(config.out))
    files = expand_inputs(inputs)
    metadata = metadata_record(config.metadata)
    scans = [scan_corpus(path, config.reader_config(), config.shard_rows) for path in files]
    if metadata is not None:
        scans = [
            dataclasses.replace(scan, record=dataclasses.replace(scan.record, metadata=metadata))
            for scan in scans
        ]
    parts = plan_parts(scans, options.part_shards)
    logger.info(
        "%d corpus files, %d shards, %d parts",
        len(scans),
        sum(len(s.shards) for s in scans),
        len(parts),
    )
    if not ray.is_initialized():
        if options.address is None:
            ray.init(
                num_cpus=options.workers * options.threads_per_worker,
                include_dashboard=False,
                log_to_driver=False,
            )
        else:
            ray.init(address=options.address, log_to_driver=False)
    actor: Any = ray.remote(PartEncoder).options(
        num_cpus=options.threads_per_worker,
        num_gpus=options.gpus_per_worker,
        max_restarts=-1,
        max_task_retries=options.max_retries,
    )
    workers: list[Any] = [
        actor.remote(config, options.threads_per_worker) for _ in range(options.workers)
    ]
    # Every worker has its model loaded before the first part is handed out.
    facts = _facts(ray.get([worker.describe.remote() for worker in workers])[0])
    layers = resolve_layers(config.layers, facts.num_layers)
    settings = settings_block(config, facts, scans[0].record.format, layers)  # type: ignore[arg-type]
    with exclusive(layout):
        manifest = _start(layout, config, settings, facts, scans)
        if manifest.complete:
            return make_report(layout, manifest, started, 0, len(manifest.shards), done=True)
        resumed_from = len(manifest.shards)
        manifest.runs.append(
            RunRecord(started=now(), resumed_from_shard=resumed_from, device=config.device)
        )
        todo = [p for p in parts if p.first_shard >= resumed_from]
        if todo and todo[0].first_shard != resumed_from:
            raise IndexStateError(
                "its recorded shards end inside a part of this plan; rerun with --overwrite",
                path=layout.root,
            )
        encode_started = time.perf_counter()
        encoded = 0
        if config.dtype == "int8" and manifest.int8 is None and todo:
            # The int8 scales are fitted on the first chunk: that part goes first, alone.
            first = ray.get(workers[0].encode.remote(manifest.to_dict(), todo[0].to_dict()))
            encoded += _record(layout, manifest, scans, todo[0], first)
            todo = todo[1:]
        pool = ActorPool(workers)
        shared = manifest.to_dict()
        results = pool.map(lambda w, p: w.encode.remote(shared, p.to_dict()), todo)
        for part, result in zip(todo, results, strict=True):
            encoded += _record(layout, manifest, scans, part, result)
        _finish_corpus(manifest, scans)
        elapsed = time.perf_counter() - encode_started
        manifest.timings["encode_s"] = round(manifest.timings.get("encode_s", 0.0) + elapsed, 3)
        write_manifest(layout, manifest)
        for worker in workers:
            ray.kill(worker)
        progress = make_progress(config.progress, config.progress_interval)
        try:
            progress.stage("index", pending_steps(manifest))
            fields_stage(layout, manifest, progress)
            lexicon_stage(layout, manifest, progress)
            index_stage(layout, manifest, config.index_config(), progress)
        finally:
            progress.close()
        complete_run(layout, manifest, started, encoded)
    return make_report(layout, manifest, started, encoded, resumed_from)


def _facts(description: dict[str, Any]) -> EncoderFacts:
    return EncoderFacts(
        identity=str(description["identity"]),
        family=str(description["family"]),
        dim=int(description["dim"]),
        num_layers=int(description["num_layers"]),
        description=description,
    )


def _start(
    layout: IndexLayout,
    config: BuildConfig,
    settings: Any,
    facts: EncoderFacts,
    scans: Sequence[CorpusScan],
) -> Manifest:
    """A new manifest, or the one of an interrupted (or finished) build of the same corpora."""
    existing = None if config.overwrite else read_existing(layout)
    if existing is not None:
        changes = settings_changes(existing.settings.to_dict(), settings.to_dict())
        planned = [scan.record.fingerprint for scan in scans]
        recorded = [corpus.fingerprint for corpus in existing.corpora]
        if recorded != planned[: len(recorded)]:
            changes.append("corpora: the files differ from those recorded")
        if changes:
            raise IndexStateError(
                "holds an index built with other settings or corpora ("
                + "; ".join(changes)
                + "); rerun with --overwrite, or choose another --out",
                path=layout.root,
            )
        discard_uncommitted(layout, existing)
        return existing
    clear_index(layout)
    first = dataclasses.replace(scans[0].record, done=False)
    manifest = Manifest(
        settings=settings,
        model={"name": model_name(config), **facts.description},
        corpora=[first],
        segments=[SegmentRecord(id=0, first_shard=0)],
    )
    write_manifest(layout, manifest)
    return manifest


def _record(
    layout: IndexLayout,
    manifest: Manifest,
    scans: Sequence[CorpusScan],
    part: Part,
    result: dict[str, Any],
) -> int:
    """Record one encoded part (the next in order): its corpus's entry first if it starts one."""
    shards = [ShardRecord.from_dict(s) for s in result["shards"]]
    want = list(range(part.first_shard, part.first_shard + part.n_shards))
    if [s.index for s in shards] != want or len(manifest.shards) != part.first_shard:
        raise IndexStateError(
            f"a worker returned shards {[s.index for s in shards]} for part {want}",
            path=layout.root,
        )
    while part.corpus >= len(manifest.corpora):
        _finish_corpus(manifest, scans)
        position = len(manifest.corpora)
        next_id = max(segment.id for segment in manifest.segments) + 1
        manifest.corpora.append(
            dataclasses.replace(scans[position].record, first_shard=part.first_shard, done=False)
        )
        manifest.segments.append(SegmentRecord(id=next_id, first_shard=part.first_shard))
    if manifest.int8 is None and result["int8"] is not None:
        manifest.int8 = {int(k): v for k, v in result["int8"].items()}
    manifest.shards.extend(shards)
    write_manifest(layout, manifest)
    return sum(s.n_occurrences for s in shards)


def _finish_corpus(manifest: Manifest, scans: Sequence[CorpusScan]) -> None:
    """Mark the last recorded corpus done, with the counts its scan found."""
    position = len(manifest.corpora) - 1
    scanned = scans[position].record
    manifest.corpora[position] = dataclasses.replace(
        scanned, first_shard=manifest.corpora[position].first_shard, done=True
    )
