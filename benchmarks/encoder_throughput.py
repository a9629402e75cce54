"""Encoder throughput (tokens/s) for a model on a synthetic news-style corpus.

python -m benchmarks.encoder_throughput --model small --tokens 50000
"""

from __future__ import annotations

import argparse
import logging
import resource
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.machine import gemm_gflops
from benchmarks.synthetic import news_like_sentences, official_size_model
from indexer.encoder.loader import load_encoder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="small", help="small|medium|original or a model path")
    parser.add_argument("--tokens", type=int, default=50_000)
    parser.add_argument("--batch-tokens", type=int, default=8192)
    parser.add_argument("--state", default="warm")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--cache-dir", default=None, help="where random models are kept")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    model = Path(args.model)
    if not model.exists():
        cache = Path(args.cache_dir or tempfile.gettempdir()) / f"elmo-bench-{args.model}"
        model = official_size_model(args.model, cache)
    encoder = load_encoder(model, state=args.state, device=args.device)
    sentences = list(news_like_sentences(args.tokens, seed=1))
    n_tokens = sum(len(s) for s in sentences)
    warm = list(news_like_sentences(2000, seed=2))
    for _ in encoder.embed_sentences(warm, batch_tokens=args.batch_tokens):
        pass
    if encoder.device.type == "cuda":
        torch.cuda.synchronize()
    gemm = gemm_gflops()
    start = time.perf_counter()
    rss_mid = 0
    for i, _ in enumerate(encoder.embed_sentences(sentences, batch_tokens=args.batch_tokens)):
        if i == len(sentences) // 2:
            rss_mid = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    if encoder.device.type == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    print(
        f"model={args.model} device={encoder.device} threads={torch.get_num_threads()} "
        f"sentences={len(sentences)} tokens={n_tokens} "
        f"mean_len={n_tokens / len(sentences):.1f} seconds={elapsed:.2f} "
        f"tokens_per_s={n_tokens / elapsed:.0f} cache_hits={encoder.cache.hits} "
        f"cache_misses={encoder.cache.misses} peak_rss_mib_half={rss_mid} "
        f"peak_rss_mib_end={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} "
        f"cpu_gemm_gflops_before={gemm:.0f} after={gemm_gflops():.0f}"
    )


if __name__ == "__main__":
    main()
