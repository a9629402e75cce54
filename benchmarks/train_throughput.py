"""Training throughput (tokens/s) of a preset: stream positions per second of step time.

python -m benchmarks.train_throughput --preset tiny --threads 2 --steps 100

Every position is read by both the forward and the backward model. The first ``--warmup``
steps are run, checkpointed and then resumed, so the figure counts steady-state steps only
(evaluation and checkpoint writing excluded). ``--synthetic-tokens N`` trains on a generated
news-like corpus with a large vocabulary (sampled softmax) instead of the sample corpus.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from benchmarks.synthetic import write_corpus
from indexer.train import TrainResult, get_preset, train

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="tiny", help="preset name or .toml file")
    parser.add_argument("--corpus", type=Path, default=ROOT / "configs/sample/corpus.txt")
    parser.add_argument("--synthetic-tokens", type=int, default=0)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    preset = get_preset(args.preset)
    # few held-out sentences: the evaluation at the end of each run is not timed anyway
    overrides: dict[str, Any] = {
        "device": args.device,
        "eval_every": 10**9,
        "heldout_sentences": 50,
    }
    if args.batch_size:
        overrides["batch_size"] = args.batch_size
    with tempfile.TemporaryDirectory() as tmp:
        corpus = args.corpus
        if args.synthetic_tokens:
            corpus = write_corpus(Path(tmp) / "corpus.txt", args.synthetic_tokens, seed=0)
        out = Path(tmp) / "model"

        def run(steps: int, resume: bool) -> tuple[float, TrainResult]:
            config = dataclasses.replace(
                preset.train, max_steps=steps, epochs=None, checkpoint_every=steps, **overrides
            )
            result = train(corpus, out, dataclasses.replace(preset, train=config), resume=resume)
            return result.tokens_per_second, result

        run(args.warmup, resume=False)
        began = time.perf_counter()
        speed, result = run(args.warmup + args.steps, resume=True)
        wall = time.perf_counter() - began
    config = preset.train
    batch = overrides.get("batch_size", config.batch_size)
    print(
        f"preset={preset.name} device={args.device} threads={torch.get_num_threads()} "
        f"batch={batch} window={config.window} vocab={result.vocab_size} "
        f"sampled_softmax={result.sampled_softmax} steps={args.steps} "
        f"tokens_per_s={speed:.0f} ms_per_step={1000 * batch * config.window / speed:.1f} "
        f"wall_s={wall:.1f}"
    )


if __name__ == "__main__":
    main()
