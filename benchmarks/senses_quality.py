"""Benchmark: senses found with the demo model on unseen sentences with known senses, per word.

The corpus is that of ``tests/query/senses``: ``--per-sense`` unseen generator sentences of
each sense of each ambiguous word, the control ``crane`` used as a bird only. Printed per word:
the true and the found number of senses, the adjusted Rand index, and the silhouettes and
separations of the numbers tried.

    python -m benchmarks.senses_quality
    python -m benchmarks.senses_quality --per-sense 200 --seed 5 --layer 1
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from indexer.builder.pipeline import build
from query.index import SenseIndex
from tests.query.senses.conftest import CONTROL, PER_SENSE, SEED, training_lines
from tests.query.senses.scoring import adjusted_rand_index
from tools.sample_corpus import ambiguous_words, sense_sentences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-sense", type=int, default=PER_SENSE)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--layer", type=int, default=2)
    args = parser.parse_args()
    sentences = sense_sentences(args.per_sense, args.seed, training_lines(), one_sense=(CONTROL,))
    with tempfile.TemporaryDirectory(prefix="elmo-senses-") as work:
        corpus = Path(work) / "corpus.txt"
        corpus.write_text("".join(f"{s.text}\n" for s in sentences), encoding="utf-8")
        build(corpus, model="demo", out=str(Path(work) / "index"), progress=False)
        index = SenseIndex.open(Path(work) / "index")
        head = ("word", "true senses", "found", "adjusted Rand index", "silhouette by k")
        print("| " + " | ".join((*head, "separation by k")) + " |")
        print("| --- | --- | --- | --- | --- | --- |")
        for word, senses in ambiguous_words().items():
            result = index.senses(word, layer=args.layer, keep=False)
            true = [s.sense for s in sentences if s.word == word]
            n_true = 1 if word == CONTROL else len(senses)
            scores = ", ".join(f"{k}: {v:.2f}" for k, v in result.scores.items())
            separations = ", ".join(f"{k}: {v:.2f}" for k, v in result.separations.items())
            name = f"{word} (control)" if word == CONTROL else word
            print(
                f"| {name} | {n_true} | {len(result)} | "
                f"{adjusted_rand_index(true, result.labels):.3f} | {scores} | {separations} |"
            )


if __name__ == "__main__":
    main()
