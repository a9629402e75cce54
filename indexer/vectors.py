"""Vectors as every package stores and compares them: element types by name, unit-length rows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from indexer.errors import IndexStateError

#: The element types stored vectors can have, by the name settings and the manifest use.
VECTOR_DTYPES: dict[str, type[np.floating]] = {"float16": np.float16, "float32": np.float32}
#: The types a build can store: the float types, and ``int8`` codes with a per-dimension scale
#: and offset (``indexer.store.quantize``).
STORED_DTYPES: dict[str, type[np.number]] = {**VECTOR_DTYPES, "int8": np.int8}


def encoded_dtype(dtype: str) -> str:
    """The float type vectors stored as ``dtype`` are encoded in (int8 codes are made from
    float32 vectors).

    >>> encoded_dtype("int8"), encoded_dtype("float16")
    ('float32', 'float16')
    """
    return "float32" if dtype == "int8" else dtype


def unit_rows(vectors: np.ndarray, rows: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
    """A float32 copy of ``vectors`` (one row, or rows) with unit-norm rows; zero rows stay zero.

    A row holding a NaN or an infinite value raises :class:`IndexStateError` naming it (its
    number in ``rows``, the stored rows ``vectors`` came from, where given). Rows whose squares
    overflow float32 are scaled in float64.

    >>> unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]], dtype=np.float16)).tolist()
    [[0.6000000238418579, 0.800000011920929], [0.0, 0.0]]
    """
    x = np.array(vectors, dtype=np.float32, ndmin=2)
    squares = np.einsum("ij,ij->i", x, x)
    if not np.isfinite(squares).all():  # a NaN or inf, or finite values whose squares overflow
        finite = np.isfinite(x).all(axis=1)
        if not finite.all():
            at = int(np.argmin(finite))
            bad = at if rows is None else int(rows[at])
            raise IndexStateError(f"vector of row {bad} holds a NaN or infinite value")
        squares = np.linalg.norm(x.astype(np.float64), axis=1) ** 2
    with np.errstate(divide="ignore"):
        scale = np.where(squares > 0, 1.0 / np.sqrt(squares), 0.0).astype(np.float32)
    x *= scale[:, None]
    return x
