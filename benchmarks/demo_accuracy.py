"""Benchmark: the demo model's senses of its words in ordinary hand-written sentences.

On the sample-corpus index (``configs/sample/corpus.txt`` built with the demo model, here in a
temporary folder unless ``--index`` names one), each word's occurrences are clustered into its
true number of senses (``senses(word, n=...)``) and every sentence of
``configs/sample/ordinary.tsv`` is tagged with ``assign``. Accuracy is counted under the best
one-to-one mapping of sense ids to the hand-given senses. No ordinary sentence may be a line of
the corpus.

    python -m benchmarks.demo_accuracy
    python -m benchmarks.demo_accuracy --index elmo-index --layer 1 --show-errors
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer.builder.pipeline import build
from query.index import SenseIndex
from tools.ordinary import OrdinarySentence, ordinary_senses, read_ordinary
from tools.sample_corpus import SAMPLE_DIR

CORPUS = SAMPLE_DIR / "corpus.txt"


@dataclass(frozen=True)
class WordAccuracy:
    """One word's tagged sentences: how many were right under the best mapping, and which not."""

    word: str
    right: int
    total: int
    wrong: tuple[str, ...]

    @property
    def accuracy(self) -> float:
        return self.right / self.total


def best_mapping(
    gold: Sequence[str], found: Sequence[int], senses: Sequence[str]
) -> dict[int, str]:
    """The one-to-one map of found ids to ``senses`` that gets most of ``gold`` right.

    >>> sorted(best_mapping(["a", "a", "b"], [1, 1, 0], ["a", "b"]).items())
    [(0, 'b'), (1, 'a')]
    """
    ids = sorted(set(found) | set(range(len(senses))))
    best: dict[int, str] = {}
    best_right = -1
    for chosen in itertools.permutations(ids, len(senses)):
        mapping = dict(zip(chosen, senses, strict=True))
        right = sum(mapping.get(f) == g for f, g in zip(found, gold, strict=True))
        if right > best_right:
            best, best_right = mapping, right
    return best


def word_accuracy(
    index: SenseIndex,
    word: str,
    sentences: Sequence[OrdinarySentence],
    senses: Sequence[str],
    layer: int,
) -> WordAccuracy:
    """Tag ``sentences`` (all of ``word``) with the word's ``len(senses)`` senses on ``layer``."""
    result = index.senses(word, layer=layer, n=len(senses), keep=False)
    found = [result.assign(s.marked).sense for s in sentences]
    gold = [s.sense for s in sentences]
    mapping = best_mapping(gold, found, senses)
    wrong = tuple(
        f"{s.sense} tagged {mapping.get(f, f'#{f}')}: {s.marked}"
        for s, f in zip(sentences, found, strict=True)
        if mapping.get(f) != s.sense
    )
    return WordAccuracy(word, len(sentences) - len(wrong), len(sentences), wrong)


def unseen(sentences: Sequence[OrdinarySentence], corpus: Path) -> None:
    """Raise if any sentence is a line of ``corpus``."""
    lines = set(corpus.read_text(encoding="utf-8").splitlines())
    seen = [s.text for s in sentences if s.text in lines]
    if seen:
        raise SystemExit(f"{len(seen)} ordinary sentences are lines of {corpus}: {seen[:3]}")


def evaluate(index: SenseIndex, layer: int) -> list[WordAccuracy]:
    """Every word of the ordinary sentences, in file order."""
    sentences = read_ordinary()
    return [
        word_accuracy(index, word, [s for s in sentences if s.word == word], senses, layer)
        for word, senses in ordinary_senses(sentences).items()
    ]


def report(results: Sequence[WordAccuracy], layer: int, show_errors: bool) -> None:
    print(f"layer {layer}")
    print("| word | right | sentences | accuracy |")
    print("| --- | --- | --- | --- |")
    for r in results:
        print(f"| {r.word} | {r.right} | {r.total} | {r.accuracy:.2f} |")
    right = sum(r.right for r in results)
    total = sum(r.total for r in results)
    print(f"| all | {right} | {total} | {right / total:.3f} |")
    if show_errors:
        for r in results:
            for line in r.wrong:
                print(f"  {r.word}: {line}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--index", type=Path, help="an index of the corpus (built here if not given)"
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--model", default="demo", help="the model to build with (no --index)")
    parser.add_argument("--layer", type=int, action="append", help="layers to score (default 2)")
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args(argv)
    unseen(read_ordinary(), args.corpus)
    layers = args.layer or [2]
    with tempfile.TemporaryDirectory(prefix="elmo-demo-accuracy-") as work:
        path = args.index
        if path is None:
            path = Path(work) / "index"
            build(args.corpus, model=args.model, out=str(path), progress=False)
        index = SenseIndex.open(path)
        for layer in layers:
            report(evaluate(index, layer), layer, args.show_errors)


if __name__ == "__main__":
    main()
