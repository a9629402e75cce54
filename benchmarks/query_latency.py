"""Benchmark: query latency and recall on a synthetic index of a million occurrences.

The index is written by the real build (``run_build``: corpus reader, shard writer, lexicon,
FAISS stage) with a synthetic encoder in place of the model: each word type has a centre and
one to three senses, the sense of an occurrence is chosen by the token before it, and noise
is added, so that occurrences of a word cluster by "sense". One word, ``bank``, occurs
exactly ``--word-count`` times. Measured:

- warm ``neighbors(scope="same-word")`` latency through the Python API (median over queries);
- ``scope="all"`` recall@k against exact search over every occurrence, and its latency;
- the ``query neighbors`` command's cold start (wall time of a fresh process).

    python benchmarks/query_latency.py                    # temporary index, removed after
    python benchmarks/query_latency.py --dir /data/bench  # built once, reused by later runs
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.builder.config import BuildConfig
from indexer.builder.pipeline import run_build
from indexer.errors import IndexStateError
from indexer.store.manifest import read_complete_manifest
from indexer.vectors import unit_rows
from query import SenseIndex

#: The installed ``query`` command beside this interpreter, else the module.
QUERY_COMMAND = (
    [str(Path(sys.executable).parent / "query")]
    if (Path(sys.executable).parent / "query").is_file()
    else [sys.executable, "-m", "query.cli"]
)
WORD = "bank"
LAYER = 2
CHUNK = 65536


class SenseEncoder:
    """Synthetic encoder: vector = shared mean + word centre + sense offset + noise.

    Only layer 2 is computed; the other two layers are views of it (they are not stored).
    """

    family = "synthetic"
    num_layers = 3

    def __init__(self, vocabulary: Sequence[str], dim: int, seed: int, state: str = "warm"):
        rng = np.random.default_rng(seed)
        self.dim, self.state = dim, state
        self.identity = f"synthetic-senses-{len(vocabulary)}-{dim}-{seed}"
        self.ids = {token: i for i, token in enumerate(vocabulary)}
        spectrum = (1.0 / np.sqrt(1.0 + np.arange(dim) / 8.0)).astype(np.float32)
        rotation, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
        self.basis = (spectrum[:, None] * rotation).astype(np.float32)
        mean = 2.0 * self.basis[0]
        n = len(vocabulary)
        self.centres = mean + rng.standard_normal((n, dim), dtype=np.float32) @ self.basis
        self.senses = 0.6 * rng.standard_normal((n, 3, dim), dtype=np.float32) @ self.basis
        self.n_senses = rng.integers(1, 4, size=n)
        self.spread = rng.uniform(0.15, 0.45, size=n).astype(np.float32)
        self.rng = np.random.default_rng([seed, 1])

    def describe(self) -> dict[str, Any]:
        return {"identity": self.identity, "family": self.family, "dim": self.dim}

    def embed_sentences(
        self,
        sentences: Iterable[Sequence[str]],
        *,
        batch_tokens: int = 8192,
        carry_batch_size: int = 64,
        dtype: str = "float32",
    ) -> Iterator[np.ndarray]:
        batch = [list(s) for s in sentences]
        lengths = [len(s) for s in batch]
        ids = np.array([self.ids[t] for s in batch for t in s], dtype=np.int64)
        before = np.concatenate([[0], ids[:-1]])
        starts = np.cumsum(lengths) - np.array(lengths)
        before[starts] = 0
        sense = (before * 2654435761 % 1000003) % self.n_senses[ids]
        noise = self.rng.standard_normal((len(ids), self.dim), dtype=np.float32) @ self.basis
        vectors = self.centres[ids] + self.senses[ids, sense] + self.spread[ids, None] * noise
        vectors = vectors.astype(dtype, copy=False)
        for start, n in zip(starts.tolist(), lengths, strict=True):
            yield np.broadcast_to(vectors[start : start + n], (3, n, self.dim))

    def export_state(self) -> dict[str, np.ndarray]:
        return {}

    def import_state(self, state: dict[str, np.ndarray]) -> None:
        pass


def vocabulary(size: int) -> list[str]:
    return [WORD] + [f"w{i}" for i in range(size - 1)]


def write_corpus(path: Path, n_tokens: int, word_count: int, vocab: list[str], seed: int) -> None:
    """``n_tokens`` tokens, Zipf over ``vocab[1:]``, ``WORD`` at ``word_count`` random places."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, len(vocab)) ** 1.05
    stream = rng.choice(np.arange(1, len(vocab)), size=n_tokens, p=weights / weights.sum())
    stream[rng.choice(n_tokens, size=word_count, replace=False)] = 0
    with path.open("w", encoding="utf-8") as out:
        at = 0
        while at < n_tokens:
            n = int(min(max(5, rng.normal(18, 7)), 40))
            out.write(" ".join(vocab[i] for i in stream[at : at + n]) + "\n")
            at += n


def build_index(out: Path, args: argparse.Namespace) -> float:
    """Build (or reuse) the synthetic index in ``out``; returns the build seconds (0: reused)."""
    try:
        manifest = read_complete_manifest(out)
        if manifest.n_occurrences == args.occurrences:
            print(f"reusing   {out} ({manifest.n_occurrences:,} occurrences)")
            return 0.0
    except IndexStateError:
        pass
    vocab = vocabulary(args.vocabulary)
    corpus = out.parent / f"{out.name}-corpus.txt"
    started = time.perf_counter()
    write_corpus(corpus, args.occurrences, args.word_count, vocab, args.seed)
    config = BuildConfig(
        out=out,
        layers=(LAYER,),
        index=args.index,
        shard_rows=CHUNK,
        overwrite=True,
        progress=False,
        index_options={"train_sample": args.train_sample, "threads": args.threads},
    )
    report = run_build(
        corpus, config, load_encoder=lambda c: SenseEncoder(vocab, args.dim, args.seed)
    )
    corpus.unlink()
    seconds = time.perf_counter() - started
    index = report.indexes[LAYER]
    print(
        f"build     {report.tokens:,} occurrences, {report.types:,} types, {report.shards} "
        f"shards, {index['factory']} (build recall@{index['recall_k']} {index['recall']:.3f}) "
        f"in {seconds:.1f} s"
    )
    return seconds


def exact_top_k(matrix: Any, queries: np.ndarray, own: np.ndarray, k: int) -> np.ndarray:
    """The k-th smallest exact cosine distance of each query over every other row."""
    q = unit_rows(queries)
    best = np.full((len(q), k), np.inf, dtype=np.float32)
    for start in range(0, len(matrix), CHUNK):
        block = np.asarray(matrix[start : start + CHUNK], dtype=np.float32)
        norms = np.sqrt(np.einsum("ij,ij->i", block, block))
        d = 1.0 - (q @ block.T) / np.where(norms > 0, norms, 1.0)
        rows = np.arange(start, start + len(block))
        d[own[:, None] == rows[None, :]] = np.inf
        merged = np.concatenate([best, d], axis=1)
        best = np.sort(np.partition(merged, k - 1, axis=1)[:, :k], axis=1)
    return best[:, -1]


def timed(call: Any) -> tuple[float, Any]:
    """Milliseconds of ``call()``, and what it returned."""
    started = time.perf_counter()
    result = call()
    return 1000 * (time.perf_counter() - started), result


def measure(path: Path, args: argparse.Namespace) -> None:
    rng = np.random.default_rng(args.seed + 7)
    idx = SenseIndex.open(path)
    ids = idx.occurrence_ids(WORD)
    print(f"word      {WORD!r}: {len(ids):,} occurrences of {idx.info().occurrences:,}")
    queries = rng.choice(ids, size=args.queries, replace=False)
    for occ in queries[:5]:
        idx.neighbors(WORD, layer=LAYER, k=args.k, occurrence=int(occ))
    same = [
        timed(lambda o=int(o): idx.neighbors(WORD, layer=LAYER, k=args.k, occurrence=o))[0]
        for o in queries
    ]
    print(
        f"same-word median {statistics.median(same):.2f} ms, p90 "
        f"{np.percentile(same, 90):.2f} ms, max {max(same):.2f} ms over {len(same)} warm queries"
    )
    cold = SenseIndex.open(path, cache_vectors=0)
    uncached = [
        timed(lambda o=int(o): cold.neighbors(WORD, layer=LAYER, k=args.k, occurrence=o))[0]
        for o in queries
    ]
    print(
        f"same-word without the word cache (rows gathered and upcast per query): median "
        f"{statistics.median(uncached):.2f} ms, p90 {np.percentile(uncached, 90):.2f} ms"
    )
    sweep, _ = timed(lambda: idx.neighbors(WORD, layer=LAYER, k=args.k, limit=100))
    print(f"same-word all-mentions sweep (100 queries x {len(ids):,}): {sweep:.0f} ms")

    matrix = idx.reader.vectors(LAYER)
    sample = np.sort(rng.choice(len(matrix), size=args.recall_queries, replace=False))
    kth = exact_top_k(matrix, np.asarray(matrix[sample]), sample, args.k)
    idx.neighbors(occurrence=int(sample[0]), layer=LAYER, k=args.k, scope="all")
    hits, times = 0, []
    for occ, limit in zip(sample.tolist(), kth.tolist(), strict=True):
        ms, result = timed(
            lambda o=occ: idx.neighbors(occurrence=o, layer=LAYER, k=args.k, scope="all")
        )
        times.append(ms)
        hits += min(args.k, sum(hit.distance <= limit + 1e-6 for hit in result))
    print(
        f"all       recall@{args.k} {hits / (args.k * len(sample)):.4f} vs exact search over "
        f"{len(sample)} queries; median {statistics.median(times):.2f} ms"
    )
    occurrence = str(int(queries[0]))
    for scope in ("same-word", "all"):
        command = [
            *QUERY_COMMAND, "neighbors", "--word", WORD, "--index",
            str(path), "--occurrence", occurrence, "--scope", scope, "--format", "json",
        ]  # fmt: skip
        walls = []
        for _ in range(args.cold_runs):
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            walls.append(time.perf_counter() - started)
        print(
            f"CLI cold  scope={scope}: median {statistics.median(walls):.2f} s "
            f"(min {min(walls):.2f} s) over {len(walls)} fresh processes"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="index directory (kept)")
    parser.add_argument("--occurrences", type=int, default=1_000_000)
    parser.add_argument("--word-count", type=int, default=10_000)
    parser.add_argument("--vocabulary", type=int, default=20_000)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--index", default="ivf", help="FAISS kind for the index stage")
    parser.add_argument("--train-sample", type=int, default=50_000)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--queries", type=int, default=50, help="timed same-word queries")
    parser.add_argument("--recall-queries", type=int, default=200, help="scope=all queries")
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    temporary = args.dir is None
    root = Path(tempfile.mkdtemp(prefix="query-bench-")) if temporary else args.dir.parent
    path = root / "index" if temporary else args.dir
    started = time.perf_counter()
    try:
        build_index(path, args)
        measure(path, args)
    finally:
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
    print(f"total     {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
