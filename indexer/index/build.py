"""Build one layer's FAISS index from its vector matrix, as an ``IndexPlan`` says."""

from __future__ import annotations

import logging
import time
from typing import Any

import faiss
import numpy as np
from tqdm import tqdm

from indexer.errors import ConfigError, IndexStateError
from indexer.index.config import IndexConfig
from indexer.index.params import apply_search_params, innermost, omp_threads
from indexer.index.plan import IndexPlan
from indexer.index.vectors import (
    TRAIN_STREAM,
    VectorMatrix,
    check_matrix,
    iter_normalized,
    read_normalized,
    sample_rows,
)

logger = logging.getLogger(__name__)


def build_index(
    matrix: VectorMatrix | np.ndarray,
    plan: IndexPlan,
    config: IndexConfig,
    progress: bool = False,
) -> Any:
    """Build ``plan``'s index over the L2-normalized rows of ``matrix`` (inner product = cosine).

    ``matrix`` is (N, d) float16 or float32 and may be a ``np.memmap``: it is read and
    normalized 65,536 rows at a time. Search returns row numbers, which are the occurrence ids.
    A trained index is trained on
    ``config.train_sample`` rows drawn at random across the whole matrix (seeded).
    """
    check_matrix(matrix)
    n, d = matrix.shape
    if (n, d) != (plan.n_vectors, plan.dim):
        raise IndexStateError(
            f"vector matrix is {n} x {d} but the index plan is for {plan.n_vectors} x {plan.dim}"
        )
    started = time.perf_counter()
    with omp_threads(config.threads):
        index = _new_index(plan)
        if not index.is_trained:
            _train(index, matrix, plan, config)
        with tqdm(total=n, unit="vec", desc=f"index {plan.factory}", disable=not progress) as bar:
            for _, chunk in iter_normalized(matrix):
                index.add(chunk)
                bar.update(len(chunk))
        apply_search_params(index, plan.search_params())
    logger.info(
        "built %s over %d vectors in %.1f s", plan.factory, n, time.perf_counter() - started
    )
    return index


def _new_index(plan: IndexPlan) -> Any:
    try:
        # index_factory returns the concrete class already; downcasting again would drop ownership
        index = faiss.index_factory(plan.dim, plan.factory, faiss.METRIC_INNER_PRODUCT)
    except RuntimeError as err:
        raise ConfigError(
            f"FAISS cannot make an index from factory string {plan.factory!r} "
            f"for dimension {plan.dim}: {err}"
        ) from err
    inner = innermost(index)
    if hasattr(inner, "do_polysemous_training"):
        # The factory turns it on for PQ; it only serves Hamming pre-filtering, which inner
        # product search does not use, and it makes PQ training 10-20 times slower.
        inner.do_polysemous_training = False
    return index


def _train(
    index: Any, matrix: VectorMatrix | np.ndarray, plan: IndexPlan, config: IndexConfig
) -> None:
    rows = sample_rows(matrix.shape[0], config.train_sample, config.seed, stream=TRAIN_STREAM)
    sample = read_normalized(matrix, rows)
    logger.info("training %s on %d sampled vectors", plan.factory, len(rows))
    try:
        index.train(sample)
    except RuntimeError as err:
        raise ConfigError(
            f"FAISS cannot train {plan.factory!r} on {len(rows)} vectors: {err}"
        ) from err
