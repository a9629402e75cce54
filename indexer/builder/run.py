"""What every build run shares, on one machine or on Ray: the model it loads, the settings
block a rerun must match, and the run's completion record and report."""

from __future__ import annotations

import dataclasses
import time

from indexer.builder.config import BuildConfig, BuildReport
from indexer.builder.runner import BuildEncoder
from indexer.errors import ModelNotFoundError
from indexer.store.layout import IndexLayout
from indexer.store.manifest import Manifest, write_manifest
from indexer.store.records import ModelSettings, Settings
from indexer.store.summary import IndexInfo


def encoder_device(encoder: BuildEncoder) -> str:
    """Where ``encoder`` runs (``cpu``, ``cuda``...); ``cpu`` for encoders that do not say."""
    return str(getattr(encoder, "device", "cpu"))


def model_name(config: BuildConfig) -> str:
    """The model ``config`` names, else the registry's default model."""
    from indexer.encoder.registry import load_registry

    return config.model if config.model is not None else load_registry().default


def load_model(config: BuildConfig) -> BuildEncoder:
    """The encoder ``config`` names, or the registry's default model with a way out offline."""
    from indexer.encoder.loader import load_encoder

    if config.model is not None:
        return load_encoder(config.model, state=config.state, device=config.device)
    name = model_name(config)
    try:
        return load_encoder(name, state=config.state, device=config.device)
    except ModelNotFoundError as err:
        raise ModelNotFoundError(
            f"no --model given and the default model {name!r} is not available offline: run "
            f"`indexer models download {name}` (needs internet), or pass --model demo (bundled, "
            "works offline) or --model PATH (a model directory)"
        ) from err


def settings_block(
    config: BuildConfig, encoder: BuildEncoder, reader_format: str, layers: tuple[int, ...]
) -> Settings:
    """The settings a rerun, or an appended corpus, must match to share the directory."""
    reader = dataclasses.asdict(config.reader_config())
    reader["format"] = reader_format
    return Settings(
        model=ModelSettings(identity=encoder.identity, family=encoder.family, dim=encoder.dim),
        state=config.state,
        layers=tuple(layers),
        dtype=config.dtype,
        reader=reader,
        shard_rows=config.shard_rows,
        carry_batch_size=config.carry_batch_size if config.state == "carry" else None,
        index=dataclasses.asdict(config.index_config()),
    )


def complete_run(layout: IndexLayout, manifest: Manifest, started: float, encoded: int) -> None:
    """Record the run's tokens and seconds, mark the index complete, write the manifest."""
    seconds = time.perf_counter() - started
    manifest.runs[-1] = dataclasses.replace(
        manifest.runs[-1], encoded_tokens=encoded, seconds=round(seconds, 3)
    )
    manifest.timings["total_s"] = round(manifest.timings.get("total_s", 0.0) + seconds, 3)
    manifest.complete = True
    write_manifest(layout, manifest)


def make_report(
    layout: IndexLayout,
    manifest: Manifest,
    started: float,
    encoded: int,
    resumed_from: int,
    *,
    done: bool = False,
    appended: bool = False,
) -> BuildReport:
    """The :class:`BuildReport` of a manifest (through its summary) and of this run."""
    seconds = time.perf_counter() - started
    info = IndexInfo.from_manifest(layout.root, manifest)
    return BuildReport(
        out=layout.root,
        sentences=info.sentences,
        tokens=info.occurrences,
        documents=info.documents,
        types=info.types,
        skipped=info.skipped,
        shards=info.shards,
        layers=info.layers,
        dim=info.dim,
        dtype=info.dtype,
        indexes=info.indexes,
        seconds=seconds,
        encoded_tokens=encoded,
        tokens_per_second=encoded / seconds if seconds > 0 else 0.0,
        bytes_written=info.bytes_on_disk,
        resumed_from_shard=resumed_from,
        already_complete=done,
        appended=appended,
    )
