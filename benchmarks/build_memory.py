"""Peak memory of ``indexer build`` on corpora of several sizes: it should not grow with them.

    python -m benchmarks.build_memory --model small --sizes 50000,500000 --threads 2

Each build runs in a fresh process, which reports the peak resident set size of each stage
(``VmHWM`` of /proc/self/status, reset between stages; file-backed pages of memory-mapped files
count) and the peak of its anonymous memory (``RssAnon``, sampled every 20 ms).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.synthetic import official_size_model, write_corpus

MIB = 1024 * 1024


def _status(field: str) -> int:
    """A ``/proc/self/status`` memory field in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


class StagePeaks:
    """A progress sink that records the peak RSS of each stage of the build."""

    bars = False

    def __init__(self) -> None:
        self.current = "load model + stream"
        self.peaks: dict[str, float] = {}
        self.anon = 0
        self._done = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self._done.wait(0.02):
            self.anon = max(self.anon, _status("RssAnon"))

    def start(self, done: int, total: int | None, exact: bool) -> None:
        pass

    def advance(self, tokens: int, total: int | None, exact: bool) -> None:
        pass

    def stage(self, name: str, steps: int) -> None:
        self._next("lexicon")

    def step(self, message: str) -> None:
        pass

    def note(self, message: str) -> None:
        if message.startswith("layer") and (": building " in message or ": writing " in message):
            self._next("index " + message.split(":")[0])

    def _next(self, stage: str) -> None:
        self.peaks[self.current] = round(_status("VmHWM") / MIB, 1)
        _reset_peak()
        self.current = stage

    def close(self) -> None:
        self.peaks[self.current] = round(_status("VmHWM") / MIB, 1)
        self._done.set()


def child(corpus: str, out: str, model: str, threads: int, max_index_memory: str) -> None:
    import torch

    from indexer.builder import BuildConfig, run_build

    torch.set_num_threads(threads)
    peaks = StagePeaks()
    started = time.perf_counter()
    config = BuildConfig(
        out=out, model=model, device="cpu", overwrite=True, max_index_memory=max_index_memory
    )
    report = run_build(corpus, config, progress=peaks)
    result = {
        "tokens": report.tokens,
        "seconds": round(time.perf_counter() - started, 1),
        "peak_rss_mib": max(peaks.peaks.values()),
        "peak_anon_mib": round(peaks.anon / MIB, 1),
        "stage_peak_rss_mib": peaks.peaks,
        "indexes": {str(k): v["factory"] for k, v in report.indexes.items()},
    }
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="small")
    parser.add_argument("--sizes", default="50000,500000")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-index-memory", default="4G")
    parser.add_argument("--work-dir", default=None)
    parser.add_argument("--child", nargs=3, metavar=("CORPUS", "OUT", "MODEL"))
    args = parser.parse_args()
    if args.child:
        corpus, out, model_path = args.child
        child(corpus, out, model_path, args.threads, args.max_index_memory)
        return
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="elmo-build-mem-"))
    work.mkdir(parents=True, exist_ok=True)
    model = Path(args.model)
    if not model.exists():
        model = official_size_model(args.model, work / f"model-{args.model}")
    results = {}
    for size in map(int, args.sizes.split(",")):
        corpus = work / f"corpus-{size}.txt"
        if not corpus.exists():
            write_corpus(corpus, size, seed=1)
        command = [
            sys.executable,
            "-m",
            "benchmarks.build_memory",
            "--threads",
            str(args.threads),
            "--max-index-memory",
            args.max_index_memory,
            "--child",
            str(corpus),
            str(work / f"index-{size}"),
            str(model),
        ]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        results[size] = json.loads(output.strip().splitlines()[-1])
        print(size, json.dumps(results[size]), flush=True)
    sizes = sorted(results)
    small, large = results[sizes[0]], results[sizes[-1]]
    for key in ("peak_rss_mib", "peak_anon_mib"):
        print(f"{key}: {small[key]} -> {large[key]} ({large[key] / small[key] - 1:+.1%})")


if __name__ == "__main__":
    main()
