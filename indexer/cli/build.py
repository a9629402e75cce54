"""`indexer build` and `indexer info`: options in, one library call, a summary out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from indexer.builder import BuildConfig, build, format_summary
from indexer.layers import parse_layers
from indexer.sizes import size_option
from indexer.store.layout import DEFAULT_INDEX_DIR
from indexer.store.manifest import read_manifest
from indexer.store.summary import read_info
from indexer.store.verify import verify_index


def build_command(
    corpus: Annotated[
        list[str],
        typer.Argument(
            help="Tokenized corpus: text (one sentence per line, tokens separated by spaces), "
            "CoNLL-U or JSONL; gzip, bz2, xz or zstd compressed or not; '-' reads stdin. "
            "Several files, a folder or a glob: each file a segment, in order."
        ),
    ],
    model: Annotated[
        str | None,
        typer.Option(
            help="Model name from `indexer models list`, or a model directory.",
            show_default="registry default",
        ),
    ] = None,
    out: Annotated[Path, typer.Option(help="Index directory to write.")] = Path(DEFAULT_INDEX_DIR),
    layers: Annotated[
        str | None, typer.Option(help="Layers to store and index, e.g. 0,1,2.", show_default="all")
    ] = None,
    format: Annotated[str, typer.Option(help="auto, text, conllu or jsonl.")] = BuildConfig.format,
    errors: Annotated[
        str, typer.Option(help="Invalid UTF-8: strict (stop at file:line), replace or skip.")
    ] = BuildConfig.errors,
    max_sentence_tokens: Annotated[
        int, typer.Option(help="Longest sentence encoded whole.")
    ] = BuildConfig.max_sentence_tokens,
    long_sentences: Annotated[
        str, typer.Option(help="Longer sentences: split into windows, or skip.")
    ] = BuildConfig.long_sentences,
    dtype: Annotated[
        str,
        typer.Option(help="Stored vectors: float16, float32, or int8 (per-dimension scale)."),
    ] = BuildConfig.dtype,
    index: Annotated[
        str, typer.Option(help="auto, flat, hnsw, ivf, or a FAISS factory string.")
    ] = BuildConfig.index,
    max_index_memory: Annotated[
        str, typer.Option(help="Memory budget of one layer's index (auto choice), e.g. 4G.")
    ] = size_option(BuildConfig.max_index_memory),
    state: Annotated[
        str, typer.Option(help="biLSTM state policy: warm, zero or carry.")
    ] = BuildConfig.state,
    batch_tokens: Annotated[
        int, typer.Option(help="Padded tokens per encoder batch.")
    ] = BuildConfig.batch_tokens,
    shard_rows: Annotated[
        int, typer.Option(help="Occurrences per shard.")
    ] = BuildConfig.shard_rows,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = BuildConfig.device,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted build; fail if none.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Delete the index in --out and start again.")
    ] = False,
    append: Annotated[
        bool,
        typer.Option(
            "--append", help="Add CORPUS to the finished index in --out as a new segment."
        ),
    ] = False,
    progress: Annotated[
        bool, typer.Option(help="Bar on a terminal, else a line every --progress-interval.")
    ] = True,
    progress_interval: Annotated[
        float, typer.Option(help="Seconds between progress lines when not on a terminal.")
    ] = BuildConfig.progress_interval,
    engine: Annotated[
        str,
        typer.Option(help="local (this process) or ray (pip install 'elmo-sense-index[ray]')."),
    ] = BuildConfig.engine,
    ray_address: Annotated[
        str | None,
        typer.Option(
            help="Ray cluster: auto (the one this machine is in) or ADDRESS.",
            show_default="a Ray instance on this machine",
        ),
    ] = None,
    workers: Annotated[int, typer.Option(help="Ray workers.")] = BuildConfig.workers,
    threads_per_worker: Annotated[
        int, typer.Option(help="CPU threads of each Ray worker.")
    ] = BuildConfig.threads_per_worker,
    gpus_per_worker: Annotated[
        float, typer.Option(help="GPUs of each Ray worker (with --device cuda).")
    ] = BuildConfig.gpus_per_worker,
    part_shards: Annotated[
        int, typer.Option(help="Shards of one Ray worker's part.")
    ] = BuildConfig.part_shards,
    metadata: Annotated[
        Path | None,
        typer.Option(
            help="Document fields to join: a CSV, TSV or JSONL file with a doc_id column."
        ),
    ] = None,
) -> None:
    """Embed every token of CORPUS and write an index directory (resumes when run again)."""
    config = BuildConfig(
        out=out,
        model=model,
        layers=None if layers is None else parse_layers(layers),
        format=format,
        errors=errors,
        max_sentence_tokens=max_sentence_tokens,
        long_sentences=long_sentences,
        dtype=dtype,
        index=index,
        max_index_memory=max_index_memory,
        state=state,
        batch_tokens=batch_tokens,
        shard_rows=shard_rows,
        device=device,
        resume=resume,
        overwrite=overwrite,
        append=append,
        progress=progress,
        progress_interval=progress_interval,
        engine=engine,
        ray_address=ray_address,
        workers=workers,
        threads_per_worker=threads_per_worker,
        gpus_per_worker=gpus_per_worker,
        part_shards=part_shards,
        metadata=metadata,
    )
    try:
        report = build(corpus[0] if len(corpus) == 1 else corpus, config)
    except KeyboardInterrupt as err:
        raise KeyboardInterrupt(resume_hint(corpus)) from err
    typer.echo(format_summary(report))


def resume_hint(corpus: list[str]) -> str:
    """What to do after Ctrl-C stopped a build of ``corpus``."""
    if "-" in corpus:
        return "a build from stdin cannot resume; run it again with --overwrite"
    return "the committed shards are kept: run the same command again to resume"


def info_command(
    index_dir: Annotated[Path, typer.Argument(help="Index directory.", show_default=True)] = Path(
        DEFAULT_INDEX_DIR
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
    verify: Annotated[
        bool, typer.Option("--verify", help="Check every file's size and sha256 too.")
    ] = False,
) -> None:
    """Describe an index directory: state, model, counts, indexes and their recall, size."""
    if as_json:
        typer.echo(json.dumps(read_manifest(index_dir).to_dict(), indent=2))
    else:
        typer.echo("\n".join(read_info(index_dir).lines()))
    if verify:
        problems = verify_index(index_dir)
        for problem in problems:
            typer.echo(f"damaged: {problem}", err=True)
        if problems:
            raise typer.Exit(code=1)
        typer.echo("verified: every file matches the manifest")
