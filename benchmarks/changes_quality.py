"""Benchmark: how well ``query changes`` finds planted change, and the error of JSD's sample.

    python -m benchmarks.changes_quality                      # the bundled period corpus
    python -m benchmarks.changes_quality --index DIR --json run.json

On an index of period-corpus sentences (by default the bundled ``configs/sample/periods.jsonl``,
built here with the demo model), for each score: every planted word's and control word's score
(``tools.period_corpus``), whether every planted word scores above every control, and the
Spearman correlation between planted magnitude and score. Then JSD's sampling error: the
planted, control and most frequent words scored with the default sample (``JSD_SAMPLE`` per
group) and with a sample ``--large`` times bigger, their absolute differences summarised.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.machine import describe_machine

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
PERIODS = REPO / "configs" / "sample" / "periods.jsonl"
LAYER = 2


def spearman(x: list[float], y: list[float]) -> float:
    rx = np.argsort(np.argsort(x)).astype(float)
    ry = np.argsort(np.argsort(y)).astype(float)
    return float(np.corrcoef(rx, ry)[0, 1])


def planted_figures(index: Any) -> dict[str, Any]:
    """Per score, the planted and control words' scores, separation and Spearman."""
    from query.changes.vocabulary import word_changes
    from tools.period_corpus import control_words, planted_magnitudes

    planted, controls = planted_magnitudes(), list(control_words())
    out: dict[str, Any] = {}
    for score in ("prt", "apd", "jsd"):
        started = time.perf_counter()
        result = word_changes(
            index, "period", "1990s", "2010s", layer=LAYER, score=score,
            words=[*planted, *controls], n=None,
        )  # fmt: skip
        scores = {change.word: change.score for change in result.words}
        words = sorted(planted)
        out[score] = {
            "scores": {word: round(scores[word], 6) for word in [*words, *controls]},
            "separated": min(scores[w] for w in planted) > max(scores[w] for w in controls),
            "spearman": round(spearman([planted[w] for w in words], [scores[w] for w in words]), 3),
            "seconds": round(time.perf_counter() - started, 2),
        }
    return out


def sample_error(index: Any, large: int, frequent: int) -> dict[str, Any]:
    """JSD of the default sample against a ``large`` times bigger one."""
    from query.changes.vocabulary import JSD_SAMPLE, word_changes
    from tools.period_corpus import control_words, planted_magnitudes

    lexicon = index.reader.lexicon
    common = sorted(lexicon.tokens, key=lambda w: -lexicon.tokens[w])[:frequent]
    targets = list(dict.fromkeys([*planted_magnitudes(), *control_words(), *common]))

    def run(sample: int) -> dict[str, float]:
        result = word_changes(
            index, "period", "1990s", "2010s", layer=LAYER, score="jsd", words=targets,
            n=None, sample=sample,
        )  # fmt: skip
        return {change.word: change.score for change in result.words}

    started = time.perf_counter()
    small = run(JSD_SAMPLE)
    small_s = time.perf_counter() - started
    started = time.perf_counter()
    big = run(JSD_SAMPLE * large)
    big_s = time.perf_counter() - started
    diffs = np.array([abs(small[w] - big[w]) for w in small])
    return {
        "words": len(small),
        "sample": JSD_SAMPLE,
        "reference_sample": JSD_SAMPLE * large,
        "mean_abs_error": round(float(diffs.mean()), 4),
        "p90_abs_error": round(float(np.quantile(diffs, 0.9)), 4),
        "max_abs_error": round(float(diffs.max()), 4),
        "worst": max(small, key=lambda w: abs(small[w] - big[w])),
        "seconds": round(small_s, 1),
        "reference_seconds": round(big_s, 1),
        "per_word": {w: [round(small[w], 4), round(big[w], 4)] for w in small},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="an index of period-corpus sentences")
    parser.add_argument("--large", type=int, default=10, help="reference sample / default")
    parser.add_argument("--frequent", type=int, default=20, help="most frequent words added")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    from indexer.builder.pipeline import build
    from query.index import SenseIndex

    with tempfile.TemporaryDirectory() as scratch:
        root = args.index
        if root is None:
            root = Path(scratch) / "index"
            build(PERIODS, model="demo", out=root, layers=(LAYER,), overwrite=True)
        index = SenseIndex.open(root)
        figures: dict[str, Any] = {
            "machine": describe_machine(),
            "index": str(root) if args.index else str(PERIODS),
            "occurrences": index.reader.n_occurrences,
            "planted": planted_figures(index),
            "jsd_sample_error": sample_error(index, args.large, args.frequent),
        }
    for score, found in figures["planted"].items():
        print(
            f"{score}: planted above controls {found['separated']}, "
            f"Spearman {found['spearman']}, {found['seconds']} s; {found['scores']}"
        )
    error = figures["jsd_sample_error"]
    print(
        f"JSD sample {error['sample']} vs {error['reference_sample']} per group over "
        f"{error['words']} words: mean |error| {error['mean_abs_error']}, p90 "
        f"{error['p90_abs_error']}, max {error['max_abs_error']} ({error['worst']})"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
