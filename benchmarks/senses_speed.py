"""Benchmark: ``SenseIndex.senses`` on one word of 100,000 and 1,000,000 occurrences.

The index is written by the real build with the synthetic sense encoder of
``benchmarks.query_latency`` (256-dim vectors; the word has one to three synthetic senses, its
occurrences spread over a corpus of 20% more tokens). Each measurement runs in a fresh process:
open the index, induce the senses (reading the vectors, clustering, labelling, picking the
examples, keeping the result), then answer again from the kept result in a new process.
Memory is the process's peak resident size during the induction over the size at its start
(opened index, lexicon read), next to the word's float32 vectors.

    python -m benchmarks.senses_speed                       # 100,000 and 1,000,000
    python -m benchmarks.senses_speed --counts 100000 --dir /data/bench
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.query_latency import LAYER, WORD, build_index

MEASURE = """
import json, resource, sys, time
from query import SenseIndex
def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) / 1024
index = SenseIndex.open(sys.argv[1])
index.occurrence_ids(sys.argv[2])
before = rss()
started = time.perf_counter()
result = index.senses(sys.argv[2], layer=int(sys.argv[3]), refresh=sys.argv[4] == "1")
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "before_mib": before, "peak_mib": peak,
                  "senses": len(result), "cached": result.cached,
                  "occurrences": result.n_occurrences, "clustered": result.clustered}))
"""


def measure(path: Path, refresh: bool) -> dict[str, float]:
    """One ``senses`` call in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), WORD, str(LAYER), "1" if refresh else "0"],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="100000,1000000", help="occurrences of the word")
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--dir", type=Path, default=None, help="where the indexes are kept")
    parser.add_argument("--cached-runs", type=int, default=5)
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="elmo-senses-"))
    work.mkdir(parents=True, exist_ok=True)
    for count in (int(c) for c in args.counts.split(",")):
        path = work / f"senses-{count}"
        options = argparse.Namespace(
            occurrences=int(count * 1.2),
            word_count=count,
            vocabulary=20_000,
            dim=args.dim,
            index="flat",
            train_sample=50_000,
            threads=0,
            seed=0,
        )
        started = time.perf_counter()
        build_index(path, options)
        print(f"index     {path}: built in {time.perf_counter() - started:.0f} s", flush=True)
        fresh = measure(path, refresh=True)
        cached = [measure(path, refresh=False) for _ in range(args.cached_runs)]
        vectors_mib = count * args.dim * 4 / 2**20
        extra = fresh["peak_mib"] - fresh["before_mib"]
        print(
            f"{count:,} occurrences, dim {args.dim}: {fresh['senses']} senses in "
            f"{fresh['seconds']:.2f} s (clustered {fresh['clustered']:,}); memory {extra:.0f} MiB "
            f"over the opened index ({vectors_mib:.0f} MiB of float32 vectors, "
            f"{extra - vectors_mib:+.0f} MiB beyond); kept result read in median "
            f"{1000 * statistics.median(c['seconds'] for c in cached):.1f} ms "
            f"({len(cached)} fresh processes, cached={all(c['cached'] for c in cached)})",
            flush=True,
        )


if __name__ == "__main__":
    main()
