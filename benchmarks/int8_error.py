"""The error of ``--dtype int8``: same-word cosine distances against a float32 build.

    python -m benchmarks.int8_error --sentences 20000 --words 20 --per-word 400

Builds the sample corpus (``tools/sample_corpus.py``, seeded) twice with the demo model, with
float32 and with int8 vectors, then for the most frequent words compares, per layer, the
matrices of cosine distances between up to ``--per-word`` of their occurrences (seeded
sample) and reports the largest and the mean absolute difference, and the vector bytes of both.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from indexer.builder import build
from query import SenseIndex
from tools.sample_corpus import generate, write_lines


def distances(idx: SenseIndex, ids: np.ndarray, layer: int) -> np.ndarray:
    vectors = idx.vectors(ids, layer).astype(np.float64)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return 1 - unit @ unit.T


def tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*.parquet"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=20_000)
    parser.add_argument("--words", type=int, default=20, help="most frequent words compared")
    parser.add_argument("--per-word", type=int, default=400, help="occurrences sampled per word")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus = root / "corpus.txt"
        write_lines(corpus, [s.text for s in generate(args.sentences, args.seed)])
        for dtype in ("float32", "int8"):
            build(corpus, model="demo", out=root / dtype, dtype=dtype)
        exact, coded = SenseIndex.open(root / "float32"), SenseIndex.open(root / "int8")
        lexicon = exact.reader.lexicon.tokens
        words = sorted(lexicon, key=lambda w: -lexicon[w])[: args.words]
        rng = np.random.default_rng(args.seed)
        print(f"{sum(lexicon.values()):,} occurrences; {len(words)} words, layers {exact.layers}")
        worst, means = 0.0, []
        for layer in exact.layers:
            layer_worst = 0.0
            for word in words:
                ids = exact.occurrence_ids(word)
                if len(ids) > args.per_word:
                    ids = np.sort(rng.choice(ids, args.per_word, replace=False))
                diff = np.abs(distances(coded, ids, layer) - distances(exact, ids, layer))
                layer_worst = max(layer_worst, float(diff.max()))
                means.append(float(diff.mean()))
            worst = max(worst, layer_worst)
            print(f"layer {layer}: max |int8 - float32| same-word distance {layer_worst:.5f}")
        print(f"all layers: max {worst:.5f}, mean {np.mean(means):.6f} (target: max < 0.01)")
        a, b = tree_bytes(root / "float32" / "vectors"), tree_bytes(root / "int8" / "vectors")
        print(f"vector files: float32 {a:,} bytes, int8 {b:,} ({b / a:.3f} of float32)")


if __name__ == "__main__":
    main()
