"""Real tiny indexes for the query tests: a random tiny ELMo model, a seeded corpus, built once."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from indexer.builder.pipeline import build
from tests.indexer.encoder.fixtures import make_allennlp_model

NOTEBOOK = (
    "The bank is located at the bank of Thames .",
    "The bank is closed on Sundays .",
    "Can you see that nice swan at the river bank ?",
)

_OPENINGS = ["the", "a", "my", "our", "that"]
_NOUNS = ["bank", "river", "money", "swan", "shore", "loan", "water", "account"]
_VERBS = ["near", "at", "by", "from", "into", "beside"]
_ENDS = [".", "!", "?"]


def make_corpus(n: int, seed: int = 0) -> list[str]:
    """The notebook's sentences, then ``n`` seeded sentences where ``bank`` is frequent."""
    rng = np.random.default_rng(seed)
    sentences = list(NOTEBOOK)
    for _ in range(n):
        words = []
        for _ in range(int(rng.integers(2, 5))):
            words += [rng.choice(_OPENINGS), rng.choice(_NOUNS), rng.choice(_VERBS)]
        words += [rng.choice(_OPENINGS), rng.choice(_NOUNS), rng.choice(_ENDS)]
        sentences.append(" ".join(str(w) for w in words))
    return sentences


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """The tiny model runs fastest on one thread (and a shared machine stays responsive)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@dataclass(frozen=True)
class BuiltIndex:
    """An index directory, its corpus sentences and the model it was built with."""

    path: Path
    model: Path
    sentences: list[str]

    def tokens(self) -> list[str]:
        return [t for s in self.sentences for t in s.split(" ")]

    def stored_vectors(self, layer: int) -> np.ndarray:
        """All vectors of ``layer`` read from the Parquet shards (not the raw matrix), float64."""
        table = pq.read_table(self.path / "vectors" / f"layer={layer}")
        occ = table.column("occ_id").to_numpy()
        flat = table.column("vector").combine_chunks().flatten().to_numpy(zero_copy_only=False)
        vectors = flat.reshape(len(occ), -1).astype(np.float64)
        return vectors[np.argsort(occ)]

    def copy(self, where: Path) -> Path:
        """A private copy of the index directory, to damage."""
        return Path(shutil.copytree(self.path, where / "copy"))


def _build(root: Path, sentences: list[str], **options: object) -> BuiltIndex:
    model = make_allennlp_model(root / "model", seed=0)
    corpus = root / "corpus.txt"
    corpus.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    out = root / "index"
    build(corpus, model=str(model), out=out, shard_rows=150, device="cpu", **options)
    return BuiltIndex(out, model, sentences)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltIndex:
    """Every layer (0, 1, 2) of the tiny model over about 80 sentences, several shards."""
    return _build(tmp_path_factory.mktemp("query-index"), make_corpus(80, seed=3))


@pytest.fixture(scope="session")
def built_layer2(tmp_path_factory: pytest.TempPathFactory) -> BuiltIndex:
    """Layer 2 only, float32 vectors."""
    return _build(
        tmp_path_factory.mktemp("query-index-l2"),
        make_corpus(20, seed=4),
        layers=(2,),
        dtype="float32",
    )


PERIODS = Path(__file__).resolve().parents[2] / "configs" / "sample" / "periods.jsonl"


@pytest.fixture(scope="session")
def planted_corpus() -> Path:
    """The bundled period corpus: document metadata and planted change
    (:mod:`tools.period_corpus`)."""
    return PERIODS


@pytest.fixture(scope="session")
def period_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled period corpus built with the demo model (layer 2 only)."""
    out = tmp_path_factory.mktemp("periods") / "index"
    build(PERIODS, model="demo", out=out, layers=(2,), overwrite=True)
    return out
