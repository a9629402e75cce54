"""An index of 10 million occurrences on this machine: build, disk, memory, queries, optimize.

    python -m benchmarks.scale --tokens 10000000 --segments 2 --workdir /data/scale --keep

Generates the sample corpus (``tools/sample_corpus.py``) in ``--segments`` files, builds the
first with the demo model and appends the others (``indexer build ... --append``), each in a
fresh process whose resident memory is sampled (peak of the streaming stage and of the index
stage apart). Then it reports the bytes on disk per occurrence by file kind; in a fresh process,
the resident memory of an open ``SenseIndex``, same-word ``neighbors`` of the word whose count
is closest to ``--word-occurrences`` (cold, then warm median and p95), ``scope="all"``
recall@10 against exact search over every stored vector of layer 2 and its latency; the
``query`` command's cold start; then ``indexer optimize`` and the queries again; and a table
for 100M and 1B tokens extrapolated from the per-occurrence costs measured.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

MIB = 1024 * 1024
BIN = Path(sys.executable).parent
LAYER = 2


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants that are running (``/proc``)."""
    out, pids = [], [pid]
    while pids:
        current = pids.pop()
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        out.append(current)
        pids.extend(int(child) for child in children)
    return out


def rss_tree(pid: int, field: str = "VmRSS") -> int:
    """Resident bytes of process ``pid`` and its children (``/proc``): ``field`` of their
    status, ``VmRSS`` (all) or ``RssAnon`` (not backed by files)."""
    total = 0
    for current in process_tree(pid):
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        rss = [int(x.split()[1]) for x in status.splitlines() if x.startswith(field + ":")]
        total += 1024 * sum(rss)  # none for a process that has just exited
    return total


def run_build(args: list[str]) -> dict[str, float]:
    """Run ``indexer build ARGS``; its wall seconds and peak RSS before and after the lexicon."""
    command = [str(BIN / "indexer"), "build", *args, "--progress", "--progress-interval", "600"]
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peaks = {"stream": 0, "index": 0}
    stage = ["stream"]

    def watch_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "indexer build: index 1/" in line:  # the first step after the stream
                stage[0] = "index"
            sys.stderr.write(line)

    reader = threading.Thread(target=watch_stderr, daemon=True)
    reader.start()
    while proc.poll() is None:
        peaks[stage[0]] = max(peaks[stage[0]], rss_tree(proc.pid))
        time.sleep(0.2)
    reader.join()
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode:
        raise SystemExit(f"build failed ({proc.returncode}): {out}")
    print(out.rstrip())
    return {
        "seconds": time.perf_counter() - started,
        "stream_peak_mib": peaks["stream"] / MIB,
        "index_peak_mib": peaks["index"] / MIB,
    }


def disk_bytes(root: Path) -> dict[str, int]:
    """Bytes under ``root`` by first path component (vectors and index also by layer)."""
    found: dict[str, int] = {}
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        parts = path.relative_to(root).parts
        key = parts[0]
        if key.startswith("."):
            continue  # the lock
        layer = next((p for p in parts if p.startswith("layer=")), None)
        if key in ("vectors", "index") and layer is not None:
            key = f"{key}/{layer.removesuffix('.faiss')}"
        found[key] = found.get(key, 0) + path.stat().st_size
    return dict(sorted(found.items()))


def measure_queries(root: Path, word_occurrences: int, queries: int) -> dict[str, Any]:
    """Run :func:`_query_figures` in a fresh process (a clean resident size); its figures."""
    code = (
        "import json, sys; from benchmarks.scale import _query_figures; "
        f"print(json.dumps(_query_figures({str(root)!r}, {word_occurrences}, {queries})))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _rss_mib() -> float:
    return rss_tree(int(Path("/proc/self/stat").read_text().split()[0])) / MIB


def _query_figures(root: str, word_occurrences: int, queries: int) -> dict[str, Any]:
    from query import SenseIndex

    figures: dict[str, Any] = {}
    idx = SenseIndex.open(root)
    figures["rss_open_mib"] = _rss_mib()
    counts = idx.reader.lexicon.tokens
    word = min(counts, key=lambda w: abs(counts[w] - word_occurrences))
    ids = idx.occurrence_ids(word)
    rng = np.random.default_rng(0)
    chosen = rng.choice(ids, size=min(50, len(ids)), replace=False).tolist()
    started = time.perf_counter()
    idx.neighbors(word, layer=LAYER, occurrence=chosen[0], k=10)
    figures.update(word=word, word_count=len(ids), same_word_cold_ms=_ms(started))
    times = []
    for occ in chosen:
        started = time.perf_counter()
        idx.neighbors(word, layer=LAYER, occurrence=occ, k=10)
        times.append(_ms(started))
    figures.update(same_word_median_ms=statistics.median(times), same_word_p95_ms=_p95(times))
    n = idx.reader.n_occurrences
    sample = np.sort(rng.choice(n, size=queries, replace=False))
    started = time.perf_counter()
    idx.neighbors(occurrence=int(sample[0]), layer=LAYER, k=10, scope="all")
    figures["all_cold_ms"] = _ms(started)
    kth = _exact_kth(idx, sample)
    hits, times = 0, []
    for occ, limit in zip(sample.tolist(), kth.tolist(), strict=True):
        started = time.perf_counter()
        found = idx.neighbors(occurrence=occ, layer=LAYER, k=10, scope="all")
        times.append(_ms(started))
        hits += min(10, sum(hit.distance <= limit + 1e-5 for hit in found))
    figures.update(
        all_recall_at_10=hits / (10 * len(sample)),
        all_median_ms=statistics.median(times),
        all_p95_ms=_p95(times),
        rss_after_mib=_rss_mib(),
        occurrence=int(chosen[0]),
    )
    return figures


def _exact_kth(idx: Any, sample: np.ndarray) -> np.ndarray:
    """The 10th smallest exact cosine distance of each sampled occurrence to any other."""
    vectors = idx.reader.vectors(LAYER)
    queries = vectors.take(sample).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    best = np.full((len(sample), 10), np.inf, dtype=np.float32)
    step = 262_144
    for start in range(0, len(vectors), step):
        block = vectors[start : start + step].astype(np.float32)
        block /= np.maximum(np.linalg.norm(block, axis=1, keepdims=True), 1e-30)
        d = 1 - queries @ block.T
        own = (sample >= start) & (sample < start + len(block))
        d[np.nonzero(own)[0], sample[own] - start] = np.inf
        best = np.sort(np.partition(np.hstack([best, d]), 9, axis=1)[:, :10], axis=1)
        vectors.release()
    return best[:, -1]


def _ms(started: float) -> float:
    return 1000 * (time.perf_counter() - started)


def _p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def cold_start(root: Path, word: str, occurrence: int, runs: int = 5) -> float:
    """Median wall seconds of ``query neighbors`` in fresh processes."""
    command = [str(BIN / "query"), "neighbors", "--word", word, "--occurrence", str(occurrence)]
    command += ["--index", str(root), "-k", "10"]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def extrapolate(per_layer_overhead: float, tables: float, index_s_per_occ: float) -> list[str]:
    """A markdown table for 100M and 1B tokens, small and original models, 3 layers."""
    # Tokens/s of a whole build. 2 CPU cores: the encoder's rate (README, Performance).
    # One GPU: small, `indexer build --device cuda` measured on an H100 (bound by its CPU-side
    # writes, the encoder alone does 166k); original, that CPU-side rate in bytes written per
    # second (its vectors are 4 times larger), below its encoder's 54k.
    models = {"small": (256, 9_800, 69_800), "original": (1024, 1_060, 17_450)}
    lines = [
        "| tokens | model | disk | build, 2 CPU cores | build, one GPU |",
        "| --- | --- | --- | --- | --- |",
    ]
    for tokens in (100_000_000, 1_000_000_000):
        for name, (dim, cpu, gpu) in models.items():
            disk = tokens * (3 * (2 * dim + per_layer_overhead) + tables)
            index_h = tokens * index_s_per_occ * dim / 128 / 3600
            lines.append(
                f"| {tokens:,} | {name} | {disk / 1e9:,.0f} GB | "
                f"{tokens / cpu / 3600 + index_h:,.0f} h | {tokens / gpu / 3600 + index_h:,.1f} h |"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=10_000_000)
    parser.add_argument("--segments", type=int, default=2, help="the build, then appends")
    parser.add_argument("--word-occurrences", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200, help="scope=all queries")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--report", type=Path, default=None, help="print the report of a saved --json run"
    )
    args = parser.parse_args()
    from benchmarks.machine import gemm_gflops
    from tools.sample_corpus import generate, write_lines

    if args.report is not None:
        saved = json.loads(args.report.read_text())
        report(saved["figures"], saved["manifest"])
        return
    work = args.workdir or Path(tempfile.mkdtemp(prefix="elmo-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    root = work / "index"
    sentences = [s.text for s in generate(round(args.tokens / 11.7), seed=7)]
    per_part = -(-len(sentences) // args.segments)
    parts = []
    for k in range(args.segments):
        parts.append(work / f"part-{k}.txt")
        write_lines(parts[-1], sentences[k * per_part : (k + 1) * per_part])
    figures: dict[str, Any] = {"gemm_gflops": gemm_gflops()}
    builds = []
    for k, part in enumerate(parts):
        builds.append(
            run_build(
                [str(part), "--model", "demo", "--out", str(root)] + (["--append"] if k else [])
            )
        )
    manifest = json.loads((root / "manifest.json").read_text())
    n = sum(shard["n_occurrences"] for shard in manifest["shards"])
    build_s = sum(b["seconds"] for b in builds)
    figures.update(
        occurrences=n,
        build_s=build_s,
        build_tokens_per_s=n / build_s,
        encode_tokens_per_s=n / manifest["timings"]["encode_s"],
        stream_peak_mib=max(b["stream_peak_mib"] for b in builds),
        index_peak_mib=max(b["index_peak_mib"] for b in builds),
        disk=disk_bytes(root),
    )
    before = measure_queries(root, args.word_occurrences, args.queries)
    before["cli_cold_s"] = cold_start(root, before["word"], before["occurrence"])
    started = time.perf_counter()
    subprocess.run([str(BIN / "indexer"), "optimize", str(root), "--no-progress"], check=True)
    figures["optimize_s"] = time.perf_counter() - started
    after = measure_queries(root, args.word_occurrences, args.queries)
    after["cli_cold_s"] = cold_start(root, after["word"], after["occurrence"])
    figures.update(segments=before, optimized=after, disk_optimized=disk_bytes(root))
    report(figures, manifest)
    if args.json:
        args.json.write_text(json.dumps({"figures": figures, "manifest": manifest}, indent=2))


def report(figures: dict[str, Any], manifest: dict[str, Any]) -> None:
    n, dim = figures["occurrences"], manifest["settings"]["model"]["dim"]
    layers = manifest["settings"]["layers"]
    print(f"\nmatrix products: {figures['gemm_gflops']:.0f} GFLOP/s; {n:,} occurrences, dim {dim}")
    print(
        f"build: {figures['build_s']:.0f} s, {figures['build_tokens_per_s']:,.0f} tokens/s "
        f"(encoding {figures['encode_tokens_per_s']:,.0f}); peak RSS streaming "
        f"{figures['stream_peak_mib']:.0f} MiB, index stage {figures['index_peak_mib']:.0f} MiB"
    )
    disk = figures["disk_optimized"]
    print("| file kind | bytes | bytes per occurrence |\n| --- | --- | --- |")
    for key, size in disk.items():
        print(f"| {key} | {size:,} | {size / n:.1f} |")
    layer_bytes = [
        (disk.get(f"vectors/layer={layer}", 0) + disk.get(f"index/layer={layer}", 0)) / n
        for layer in layers
    ]
    tables = sum(disk.get(k, 0) for k in ("occurrences", "sentences", "lexicon")) / n
    print(
        f"per stored layer, vectors + index: {max(layer_bytes):.1f} bytes/occurrence "
        f"(target 2d + 64 = {2 * dim + 64}); tables {tables:.1f} (target 40); "
        f"total {sum(disk.values()) / n:.0f} bytes per token"
    )
    for label, key in (("2 segments", "segments"), ("optimized", "optimized")):
        q = figures[key]
        print(
            f"{label}: open SenseIndex {q['rss_open_mib']:.0f} MiB; same-word '{q['word']}' "
            f"({q['word_count']:,}): cold {q['same_word_cold_ms']:.0f} ms, warm median "
            f"{q['same_word_median_ms']:.2f} ms, p95 {q['same_word_p95_ms']:.2f} ms; scope=all "
            f"recall@10 {q['all_recall_at_10']:.4f}, median {q['all_median_ms']:.1f} ms, p95 "
            f"{q['all_p95_ms']:.1f} ms; RSS after {q['rss_after_mib']:.0f} MiB; "
            f"CLI cold start {q['cli_cold_s']:.2f} s"
        )
    print(f"optimize: {figures['optimize_s']:.0f} s")
    index_s = sum(
        e["build_s"] + e["recall_s"] for s in manifest["segments"] for e in s["indexes"].values()
    )
    overhead = max(layer_bytes) - 2 * dim
    for line in extrapolate(overhead, tables, index_s / n):
        print(line)


if __name__ == "__main__":
    main()
