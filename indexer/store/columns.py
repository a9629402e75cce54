"""Arrow columns as numpy arrays without pyarrow's pandas shim (which costs a cold start)."""

from __future__ import annotations

from typing import Any

import numpy as np

from indexer.errors import IndexStateError


def numeric_column(table: Any, name: str, dtype: type[np.generic]) -> np.ndarray:
    """A primitive, null-free column of ``table`` as a numpy array of ``dtype``.

    ``ChunkedArray.to_numpy`` imports pandas on first use; reading the value buffers does not.
    """
    column = table.column(name)
    want = np.dtype(dtype)
    parts = []
    for chunk in column.chunks:
        if chunk.null_count:
            raise IndexStateError(f"column {name!r} holds missing values")
        width = chunk.type.bit_width // 8
        if width != want.itemsize:
            raise IndexStateError(f"column {name!r} is {chunk.type}, expected {want}")
        data = chunk.buffers()[1]
        parts.append(np.frombuffer(data, dtype=want, count=len(chunk), offset=chunk.offset * width))
    if not parts:
        return np.empty(0, dtype=want)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
