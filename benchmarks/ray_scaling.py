"""Benchmark: ``indexer build --engine ray`` with 2 workers of 1 thread against 1 worker of 1
thread, on the same corpus, on a Ray instance of this machine; and against ``--engine local``.

The corpus is the sample grammar's (``tools.sample_corpus.generate``), split in ``--files``
files; the model is the bundled demo model. Reported per run: the encoding stage's tokens/s
(``manifest.json``'s ``timings.encode_s``: the parts, from the first handed out to the last
recorded), the whole build's tokens/s (with the corpus scan, the lexicon and the FAISS stages,
which run in the driver), and whether the index files are the same as the local build's.

    python -m benchmarks.ray_scaling                      # 1,000,000 tokens
    python -m benchmarks.ray_scaling --tokens 300000 --files 2
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tools.sample_corpus import generate


def digest(root: Path) -> str:
    files = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != "manifest.json":
            files.update(str(path.relative_to(root)).encode())
            files.update(hashlib.sha256(path.read_bytes()).digest())
    return files.hexdigest()


def run(corpora: list[Path], out: Path, **options: Any) -> dict[str, float | str]:
    """One build in a fresh process (its own Ray instance), with torch on one thread."""
    script = (
        "import json, sys, time, torch\n"
        "torch.set_num_threads(1)\n"
        "from indexer.builder.pipeline import build\n"
        "args = json.loads(sys.argv[1])\n"
        "started = time.perf_counter()\n"
        "report = build(args['corpora'], out=args['out'], model='demo', overwrite=True,\n"
        "               progress=False, **args['options'])\n"
        "print(json.dumps({'tokens': report.tokens, 'seconds': time.perf_counter() - started}))\n"
    )
    request = {"corpora": [str(p) for p in corpora], "out": str(out), "options": options}
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(request)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    timings = json.loads((out / "manifest.json").read_text())["timings"]
    return {
        "encode_tokens_per_s": figures["tokens"] / timings["encode_s"],
        "build_tokens_per_s": figures["tokens"] / figures["seconds"],
        "digest": digest(out),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--part-shards", type=int, default=4)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="elmo-ray-"))
    work.mkdir(parents=True, exist_ok=True)
    sentences = [s.text for s in generate(round(args.tokens / 11.7), seed=13)]
    per_file = -(-len(sentences) // args.files)
    corpora = []
    for k in range(args.files):
        corpora.append(work / f"corpus-{k}.txt")
        corpora[-1].write_text(
            "".join(f"{t}\n" for t in sentences[k * per_file : (k + 1) * per_file])
        )
    local = run(corpora, work / "local")
    one = run(
        corpora,
        work / "ray-1",
        engine="ray",
        workers=1,
        threads_per_worker=1,
        part_shards=args.part_shards,
    )
    two = run(
        corpora,
        work / "ray-2",
        engine="ray",
        workers=2,
        threads_per_worker=1,
        part_shards=args.part_shards,
    )
    print(f"{args.tokens:,} tokens in {args.files} files, parts of {args.part_shards} shards")
    print("| run | encoding tokens/s | build tokens/s | files as the local build's |")
    print("| --- | --- | --- | --- |")
    for name, figures in (
        ("local, 1 thread", local),
        ("ray, 1 worker x 1 thread", one),
        ("ray, 2 workers x 1 thread", two),
    ):
        same = "yes" if figures["digest"] == local["digest"] else "NO"
        encode, whole = figures["encode_tokens_per_s"], figures["build_tokens_per_s"]
        print(f"| {name} | {encode:,.0f} | {whole:,.0f} | {same} |")
    ratio = float(two["encode_tokens_per_s"]) / float(one["encode_tokens_per_s"])
    whole = float(two["build_tokens_per_s"]) / float(one["build_tokens_per_s"])
    print(f"2 workers / 1 worker: encoding {ratio:.2f}x, whole build {whole:.2f}x (target 1.8x)")


if __name__ == "__main__":
    main()
