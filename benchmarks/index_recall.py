"""Benchmark: build the auto-chosen FAISS index over a synthetic clustered layer, report recall.

The matrix imitates contextual word vectors: a shared mean direction (high average cosine),
a decaying spectrum under a random rotation (anisotropy), Zipf-sized word clusters with one
to three sense sub-clusters each, written as a float16 memmap in a temporary folder.

    python benchmarks/index_recall.py --n 1000000 --dim 256 --max-memory 512M
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from indexer.index import (
    IndexConfig,
    build_index,
    measure_recall,
    plan_index,
    save_index,
)
from indexer.sizes import format_size, parse_size

CHUNK = 65536


def make_clustered_matrix(
    path: Path,
    n: int,
    dim: int,
    *,
    clusters: int,
    dup_share: float = 0.0,
    seed: int = 0,
    dtype: str = "float16",
) -> np.memmap:
    """Write an (n, dim) clustered, anisotropic matrix to ``path`` and memory-map it.

    ``dup_share`` of the rows are exact copies of their word's centre, like ELMo's
    context-independent layer 0.
    """
    rng = np.random.default_rng(seed)
    rotation, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    spectrum = (1.0 / np.sqrt(1.0 + np.arange(dim) / 8.0)).astype(np.float32)
    basis = (spectrum[:, None] * rotation).astype(np.float32)
    mean = 1.5 * basis[0] / np.linalg.norm(basis[0]) * np.sqrt(dim) * spectrum.mean()
    centres = mean + rng.standard_normal((clusters, dim), dtype=np.float32) @ basis
    senses = (
        centres[:, None, :]
        + 0.5 * rng.standard_normal((clusters, 3, dim), dtype=np.float32) @ basis
    )
    n_senses = rng.integers(1, 4, size=clusters)
    spread = rng.uniform(0.2, 0.6, size=clusters).astype(np.float32)
    weights = 1.0 / np.arange(1, clusters + 1) ** 1.05
    weights /= weights.sum()
    out = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(n, dim))
    for start in range(0, n, CHUNK):
        rows = min(CHUNK, n - start)
        word = rng.choice(clusters, size=rows, p=weights)
        sense = rng.integers(0, n_senses[word])
        noise = rng.standard_normal((rows, dim), dtype=np.float32) @ basis
        block = senses[word, sense] + spread[word, None] * noise
        dup = rng.random(rows) < dup_share
        block[dup] = centres[word[dup]]
        out[start : start + rows] = block
    out.flush()
    return np.load(path, mmap_mode="r")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--dtype", choices=["float16", "float32"], default="float16")
    parser.add_argument("--clusters", type=int, default=20_000, help="word types")
    parser.add_argument("--dup-share", type=float, default=0.0, help="rows equal to a centre")
    parser.add_argument("--kind", default="auto")
    parser.add_argument("--max-memory", default="4G")
    parser.add_argument("--flat-max-vectors", type=int, default=IndexConfig.flat_max_vectors)
    parser.add_argument("--train-sample", type=int, default=IndexConfig.train_sample)
    parser.add_argument("--nprobe", type=int, default=None)
    parser.add_argument("--ef-search", type=int, default=None)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", type=Path, default=None, help="where the matrix goes (temp)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    config = IndexConfig(
        kind=args.kind,
        max_memory=parse_size(args.max_memory),
        seed=args.seed,
        train_sample=args.train_sample,
        recall_queries=args.queries,
        nprobe=args.nprobe,
        ef_search=args.ef_search,
        flat_max_vectors=args.flat_max_vectors,
        threads=args.threads,
    )
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        started = time.perf_counter()
        matrix = make_clustered_matrix(
            Path(tmp) / "layer.npy",
            args.n,
            args.dim,
            clusters=args.clusters,
            dup_share=args.dup_share,
            seed=args.seed,
            dtype=args.dtype,
        )
        elapsed = time.perf_counter() - started
        print(f"data      {args.n:,} x {args.dim} {args.dtype} in {elapsed:.1f} s")
        plan = plan_index(args.n, args.dim, config)
        print(f"plan      {plan.factory} {plan.search_params()} ({plan.reason})")
        started = time.perf_counter()
        index = build_index(matrix, plan, config, progress=True)
        build_s = time.perf_counter() - started
        save_index(index, Path(tmp) / "layer.faiss")
        size = os.path.getsize(Path(tmp) / "layer.faiss")
        estimate = "n/a" if plan.estimated_bytes is None else format_size(plan.estimated_bytes)
        print(f"build     {build_s:.1f} s; file {format_size(size)}, estimated {estimate}")
        started = time.perf_counter()
        report = measure_recall(index, matrix, config)
        print(
            f"recall@{report.k} {report.recall_at_k:.4f} over {report.n_queries} queries; "
            f"{report.search_ms_per_query:.3f} ms/query (batched); "
            f"measured in {time.perf_counter() - started:.1f} s"
        )


if __name__ == "__main__":
    main()
