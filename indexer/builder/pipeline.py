"""``build``: check the output directory, load the model, stream the corpus, index, report."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from indexer.builder.committer import ShardCommitter
from indexer.builder.config import BuildConfig, BuildReport
from indexer.builder.indexing import (
    fields_stage,
    index_stage,
    lexicon_stage,
    metadata_record,
    pending_steps,
)
from indexer.builder.memory import release_free_memory
from indexer.builder.plan import appending_config, decide_start, resolve_layers
from indexer.builder.progress import Progress, make_progress
from indexer.builder.run import (
    complete_run,
    encoder_device,
    load_model,
    make_report,
    model_name,
    settings_block,
)
from indexer.builder.runner import (
    BuildEncoder,
    StreamPlan,
    finished_corpus,
    no_sentences,
    stream_corpus,
)
from indexer.corpus import CorpusReader, fingerprint, open_corpus
from indexer.errors import ConfigError
from indexer.store.directory import clear_index, discard_uncommitted, exclusive, read_existing
from indexer.store.layout import IndexLayout
from indexer.store.manifest import Manifest, now, write_manifest
from indexer.store.records import CorpusRecord, RunRecord, SegmentRecord
from indexer.store.shards import load_state

EncoderLoader = Callable[[BuildConfig], BuildEncoder]


def build(
    corpus: str | Path | Sequence[str | Path],
    config: BuildConfig | None = None,
    /,
    **options: Any,
) -> BuildReport:
    """Build an index directory from a tokenized corpus (``"-"`` reads stdin), or from several
    (files, folders, globs: each file a segment, in order).

    ``options`` are :class:`BuildConfig` fields and override ``config``; for example
    ``build("corpus.txt", model="demo", out="my-index", layers=(2,), overwrite=True)``, or
    ``build(["a.txt", "b.txt"], engine="ray", workers=4)``. A killed build resumes when run
    again with the same settings.
    """
    chosen = configure(config, options)
    if chosen.engine == "ray":
        from indexer.builder.distributed import RayOptions, build_distributed

        inputs = [corpus] if isinstance(corpus, (str, Path)) else list(corpus)
        return build_distributed(inputs, chosen, RayOptions.of(chosen))
    if isinstance(corpus, (str, Path)) and not _several(corpus):
        return run_build(corpus, chosen)
    return build_files(corpus if not isinstance(corpus, (str, Path)) else [corpus], chosen)


def _several(corpus: str | Path) -> bool:
    """Whether ``corpus`` names a folder or a glob rather than one file (or stdin)."""
    text = str(corpus)
    return text != "-" and (Path(text).is_dir() or any(ch in text for ch in "*?["))


def build_files(inputs: Sequence[str | Path], config: BuildConfig) -> BuildReport:
    """Several corpus files in one process: the first built, each next one appended as a new
    segment; on a rerun the files already recorded are skipped and an unfinished one resumed."""
    from indexer.builder.parts import expand_inputs

    files = expand_inputs(inputs)
    layout = IndexLayout(Path(config.out))
    existing = None if config.overwrite else read_existing(layout)
    recorded = [corpus.fingerprint for corpus in existing.corpora] if existing else []
    report = None
    for position, path in enumerate(files):
        if position < len(recorded) - 1 and recorded[position] == fingerprint(path):
            continue
        step = (
            config if position == 0 else dataclasses.replace(config, overwrite=False, append=True)
        )
        report = run_build(path, step)
    assert report is not None
    return report


def configure(config: BuildConfig | None, options: Mapping[str, Any]) -> BuildConfig:
    """``config`` (default: all defaults) with ``options`` replaced."""
    known = {field.name for field in dataclasses.fields(BuildConfig)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ConfigError(f"unknown build option {unknown[0]!r}; known: {', '.join(sorted(known))}")
    return dataclasses.replace(config or BuildConfig(), **options)


def run_build(
    corpus: str | Path,
    config: BuildConfig,
    *,
    load_encoder: EncoderLoader | None = None,
    progress: Progress | None = None,
) -> BuildReport:
    """:func:`build` with its stages injectable: the encoder loader (default
    :func:`load_model`) and the progress sink (default from ``config.progress``)."""
    started = time.perf_counter()
    layout = IndexLayout(Path(config.out))
    if not config.overwrite:
        before = read_existing(layout)  # refuse a foreign directory before the model is loaded
        if config.append and before is not None:
            config = appending_config(config, before)
    metadata = metadata_record(config.metadata)
    progress = progress or make_progress(config.progress, config.progress_interval)
    with open_corpus(corpus, config.reader_config()) as reader:
        encoder = (load_encoder or load_model)(config)
        layers = resolve_layers(config.layers, encoder.num_layers)
        settings = settings_block(config, encoder, reader.format, layers)
        corpus_record = CorpusRecord(
            path=str(corpus),
            format=reader.format,
            bytes=reader.total_bytes,
            fingerprint=fingerprint(corpus),
            first_shard=0,
            metadata=metadata,
        )
        with exclusive(layout):
            existing = None if config.overwrite else read_existing(layout)
            start = decide_start(
                existing,
                settings,
                corpus_record.fingerprint,
                resume=config.resume,
                append=config.append,
                where=str(layout.root),
            )
            if start == "done" and existing is not None:
                return make_report(layout, existing, started, 0, len(existing.shards), done=True)
            if existing is None:
                clear_index(layout)
                manifest = Manifest(
                    settings=settings,
                    model={"name": model_name(config), **encoder.describe()},
                    corpora=[corpus_record],
                    segments=[SegmentRecord(id=0, first_shard=0)],
                )
                write_manifest(layout, manifest)
            else:
                manifest = existing
                discard_uncommitted(layout, manifest)
                if start == "append":
                    add_corpus(manifest, corpus_record)
                    write_manifest(layout, manifest)
            resumed_from = len(manifest.shards)
            manifest.runs.append(
                RunRecord(
                    started=now(), resumed_from_shard=resumed_from, device=encoder_device(encoder)
                )
            )
            try:
                encoded = 0
                if not manifest.corpora[-1].done:
                    encoded = _stream(reader, encoder, layout, manifest, config, progress)
                del encoder  # the stages below need no model: free it and its token cache
                release_free_memory()
                progress.stage("index", pending_steps(manifest))
                fields_stage(layout, manifest, progress)
                lexicon_stage(layout, manifest, progress)
                index_stage(layout, manifest, config.index_config(), progress)
            finally:
                progress.close()
            complete_run(layout, manifest, started, encoded)
    return make_report(layout, manifest, started, encoded, resumed_from, appended=start == "append")


def add_corpus(manifest: Manifest, corpus: CorpusRecord) -> None:
    """Enter ``corpus`` in a finished manifest as the next corpus, in a new segment that starts
    after the committed shards."""
    first_shard = len(manifest.shards)
    manifest.corpora.append(dataclasses.replace(corpus, first_shard=first_shard))
    next_id = max(segment.id for segment in manifest.segments) + 1
    manifest.segments.append(SegmentRecord(id=next_id, first_shard=first_shard))
    manifest.complete = False


def _stream(
    reader: CorpusReader,
    encoder: BuildEncoder,
    layout: IndexLayout,
    manifest: Manifest,
    config: BuildConfig,
    progress: Progress,
) -> int:
    """Encode and commit the shards not yet committed; record the corpus counts."""
    if config.state == "carry" and manifest.shards:
        encoder.import_state(load_state(layout, manifest.shards[-1]))
    corpus = manifest.corpora[-1]
    corpus_first_sentence, _ = manifest.shard_start(corpus.first_shard)
    plan = StreamPlan.of(
        config,
        manifest,
        first_shard=len(manifest.shards),
        first_sentence=manifest.n_sentences,
        first_occurrence=manifest.n_occurrences,
        skip_sentences=manifest.n_sentences - corpus_first_sentence,
    )
    started = time.perf_counter()
    # On the CPU, chunks are written while the encoder waits (see ShardCommitter); a GPU
    # encoder goes on while its chunks are written.
    on_gpu = encoder_device(encoder).startswith("cuda")
    committer = ShardCommitter(layout, manifest, pending=2 if on_gpu else 0)
    try:
        counts = stream_corpus(reader, encoder, committer, plan, progress)
    except BaseException:
        with contextlib.suppress(Exception):
            committer.close()
        raise
    committer.close()
    stats = reader.stats
    if stats.sentences == 0:
        raise no_sentences(stats, corpus.path)
    manifest.corpora[-1] = finished_corpus(corpus, stats, counts)
    elapsed = time.perf_counter() - started
    manifest.timings["encode_s"] = round(manifest.timings.get("encode_s", 0.0) + elapsed, 3)
    write_manifest(layout, manifest)
    return counts.encoded_tokens
