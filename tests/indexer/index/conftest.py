"""Seeded builders of small clustered vector matrices for the index tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer.index.params import omp_threads


@pytest.fixture(autouse=True, scope="session")
def one_faiss_thread():
    """Tiny indexes build faster on one thread than on OpenMP threads fighting for busy cores."""
    with omp_threads(1):
        yield


def clustered(
    n: int, d: int, *, clusters: int = 20, spread: float = 0.3, seed: int = 0
) -> np.ndarray:
    """(n, d) float32 rows around ``clusters`` centres that share a mean direction."""
    rng = np.random.default_rng(seed)
    mean = np.zeros(d, dtype=np.float32)
    mean[0] = 2.0
    centres = mean + rng.standard_normal((clusters, d)).astype(np.float32)
    labels = rng.integers(clusters, size=n)
    noise = rng.standard_normal((n, d)).astype(np.float32)
    return (centres[labels] + spread * noise).astype(np.float32)


def unit_rows(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture(scope="session")
def matrix() -> np.ndarray:
    return clustered(3000, 32)


@pytest.fixture
def memmap_matrix(tmp_path: Path, matrix: np.ndarray) -> np.memmap:
    """The same rows as ``matrix``, stored as a raw row-major float16 file and memory-mapped."""
    path = tmp_path / "layer.f16"
    matrix.astype(np.float16).tofile(path)
    return np.memmap(path, dtype=np.float16, mode="r", shape=matrix.shape)
