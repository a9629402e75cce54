"""The encoder on a CUDA device: exact against the golden outputs and the CPU (``-m gpu``).

cuBLAS and cuDNN pick kernels by matrix size, so on a GPU a sentence's vectors agree across
batchings to float32 rounding, not bit for bit as on the CPU; these tests hold that bound.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from indexer.encoder.loader import load_encoder
from indexer.encoder.model import BiLMSpec
from tests.indexer.encoder.fixtures import make_allennlp_model
from tests.indexer.encoder.test_encoder import corpus

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device"),
]

#: Largest difference allowed between two float32 computations of the same vectors (under
#: ``carry``, rounding differences add up from batch to batch: 1.1e-5 was seen on an H100).
ROUNDING = 3e-5


@pytest.fixture(scope="module")
def wide_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wide enough for TF32 products to show (a 10-bit mantissa errs by about 1e-3)."""
    spec = BiLMSpec(
        char_dim=16,
        filters=((1, 32), (2, 32), (3, 64), (4, 128)),
        n_highway=1,
        projection_dim=64,
        cell_dim=256,
    )
    return make_allennlp_model(tmp_path_factory.mktemp("wide-model"), seed=3, spec=spec)


def worst(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    assert [x.shape for x in a] == [y.shape for y in b]
    return max(float(np.abs(x - y).max(initial=0.0)) for x, y in zip(a, b, strict=True))


def test_golden_outputs_on_cuda(reference_dir: Path) -> None:
    sentences = json.loads((reference_dir / "sentences.json").read_text(encoding="utf-8"))
    encoder = load_encoder(reference_dir, state="carry", device="cuda")
    diffs = []
    for i in range(10):
        outputs = encoder.embed_batch([sentences[k][i].split() for k in range(3)])
        for k in range(3):
            with h5py.File(reference_dir / f"lm_embeddings_{k}.hdf5", "r") as f:
                expected = np.concatenate(f[str(i)][...], axis=-1)
            diffs.append(float(np.abs(outputs[k][2] - expected).max()))
    assert max(diffs) < ROUNDING


@pytest.mark.parametrize("state", ["warm", "zero", "carry"])
def test_cuda_matches_cpu(wide_model: Path, state: str) -> None:
    sentences = corpus(80, seed=7)
    cpu = load_encoder(wide_model, state=state, device="cpu")
    gpu = load_encoder(wide_model, state=state, device="cuda")
    on_cpu = list(cpu.embed_sentences(sentences, carry_batch_size=16))
    on_gpu = list(gpu.embed_sentences(sentences, carry_batch_size=16))
    assert worst(on_cpu, on_gpu) < ROUNDING


def test_tf32_settings_are_restored(wide_model: Path) -> None:
    before = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = True
    try:
        cpu = load_encoder(wide_model, device="cpu").embed_sentence("the bank closed".split())
        gpu = load_encoder(wide_model, device="cuda").embed_sentence("the bank closed".split())
        assert np.abs(cpu - gpu).max() < ROUNDING
        assert torch.backends.cuda.matmul.allow_tf32
        assert torch.backends.cudnn.allow_tf32 == before[0]
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = before


@pytest.mark.parametrize("state", ["warm", "zero"])
def test_cuda_batching_changes_vectors_only_by_rounding(wide_model: Path, state: str) -> None:
    encoder = load_encoder(wide_model, state=state, device="cuda")
    sentences = corpus(120, seed=8)
    alone = [encoder.embed_sentence(s) for s in sentences]
    for batch_tokens in (16, 300, 8192):
        streamed = list(encoder.embed_sentences(sentences, batch_tokens=batch_tokens))
        assert worst(alone, streamed) < ROUNDING
