"""FAISS runtime mechanics: search parameters (nprobe, efSearch) and OpenMP threads."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import faiss

from indexer.errors import ConfigError


def innermost(index: Any) -> Any:
    """The index under ID maps, pre-transforms and refinement wrappers, downcast."""
    index = faiss.downcast_index(index)
    while True:
        if isinstance(index, faiss.IndexIDMap | faiss.IndexIDMap2 | faiss.IndexPreTransform):
            index = faiss.downcast_index(index.index)
        elif isinstance(index, faiss.IndexRefine):
            index = faiss.downcast_index(index.base_index)
        else:
            return index


def is_exact(index: Any) -> bool:
    """Whether ``index`` searches exhaustively over uncompressed vectors (a Flat index)."""
    return isinstance(innermost(index), faiss.IndexFlat)


def index_params(index: Any) -> dict[str, int]:
    """The runtime search parameters ``index`` holds now, e.g. ``{"nprobe": 160}``."""
    inner = innermost(index)
    if isinstance(inner, faiss.IndexIVF):
        return {"nprobe": int(inner.nprobe)}
    if isinstance(inner, faiss.IndexHNSW):
        return {"efSearch": int(inner.hnsw.efSearch)}
    return {}


def apply_search_params(index: Any, params: Mapping[str, int]) -> None:
    """Set runtime parameters such as ``IndexPlan.search_params()`` after a build or a load."""
    space = faiss.ParameterSpace()
    for name, value in params.items():
        try:
            space.set_index_parameter(index, name, value)
        except RuntimeError as err:
            raise ConfigError(
                f"cannot set search parameter {name}={value} on this index: {err}"
            ) from err


@contextmanager
def omp_threads(threads: int) -> Iterator[None]:
    """Run FAISS with ``threads`` OpenMP threads (0: leave the default), then restore it."""
    if threads <= 0:
        yield
        return
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)
