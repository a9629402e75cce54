"""End-to-end ``indexer build`` throughput next to the encoder's own, same model and corpus.

    python -m benchmarks.build_throughput --model small --tokens 50000 --threads 2 --device cpu

The encoder figure runs ``embed_sentences`` over the corpus's sentences (as the reader gives
them) and discards the vectors; the build figure is ``indexer.build`` from call to return:
model loading, reading, encoding, shard writing, lexicon, FAISS indexes and recall included.
The two alternate ``--repeat`` times; the best of each is reported, and the ratio of each
adjacent pair (less sensitive to a machine whose speed drifts), with the matrix-product rate
measured before each pair.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.machine import gemm_gflops
from benchmarks.synthetic import news_like_sentences, official_size_model, write_corpus
from indexer.builder import BuildConfig, run_build
from indexer.corpus import open_corpus
from indexer.encoder.loader import load_encoder
from indexer.store import read_manifest


def encoder_rate(model: Path, corpus: Path, args: argparse.Namespace) -> tuple[float, float]:
    """(seconds to load the model, tokens/s of embed_sentences over the corpus)."""
    started = time.perf_counter()
    encoder = load_encoder(model, state=args.state, device=args.device)
    loaded = time.perf_counter() - started
    with open_corpus(corpus) as reader:
        sentences = [s.tokens for s in reader]
    n_tokens = sum(map(len, sentences))
    # Warm up on other text (other content words), so that the token cache starts as cold as
    # the build's freshly loaded encoder.
    for _ in encoder.embed_sentences(news_like_sentences(2000, seed=2), batch_tokens=8192):
        pass
    started = time.perf_counter()
    for _ in encoder.embed_sentences(sentences, batch_tokens=args.batch_tokens):
        pass
    if encoder.device.type == "cuda":
        torch.cuda.synchronize()
    return loaded, n_tokens / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="small", help="small|medium|original or a model path")
    parser.add_argument("--tokens", type=int, default=50_000)
    parser.add_argument("--batch-tokens", type=int, default=8192)
    parser.add_argument("--state", default="warm")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--work-dir", default=None, help="where models and corpora are kept")
    parser.add_argument("--repeat", type=int, default=3, help="alternated runs; best of each")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="elmo-build-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    model = Path(args.model)
    if not model.exists():
        model = official_size_model(args.model, work / f"model-{args.model}")
    corpus = work / f"corpus-{args.tokens}.txt"
    if not corpus.exists():
        write_corpus(corpus, args.tokens, seed=1)

    config = BuildConfig(
        out=work / "index",
        model=str(model),
        state=args.state,
        device=args.device,
        batch_tokens=args.batch_tokens,
        overwrite=True,
    )
    encoder_runs, build_runs, load_runs, gemm_runs = [], [], [], []
    for _ in range(args.repeat):  # alternated, so that a busy spell hits both alike
        gemm_runs.append(gemm_gflops())
        load_s, encoder_tps = encoder_rate(model, corpus, args)
        started = time.perf_counter()
        report = run_build(corpus, config)
        build_runs.append(report.tokens / (time.perf_counter() - started))
        encoder_runs.append(encoder_tps)
        load_runs.append(load_s)
    timings = read_manifest(config.out).timings
    result = {
        "model": args.model,
        "device": args.device,
        "threads": torch.get_num_threads(),
        "tokens": report.tokens,
        "encoder_tokens_per_s": round(max(encoder_runs)),
        "build_tokens_per_s": round(max(build_runs)),
        "build_vs_encoder": round(max(build_runs) / max(encoder_runs), 3),
        "runs_encoder": [round(x) for x in encoder_runs],
        "runs_build": [round(x) for x in build_runs],
        "pair_ratios": [round(b / e, 3) for e, b in zip(encoder_runs, build_runs, strict=True)],
        "median_pair_ratio": round(
            statistics.median(b / e for e, b in zip(encoder_runs, build_runs, strict=True)), 3
        ),
        "cpu_gemm_gflops_per_pair": [round(x) for x in gemm_runs],
        "model_load_s": round(min(load_runs), 2),
        "last_build_stage_seconds": timings,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
