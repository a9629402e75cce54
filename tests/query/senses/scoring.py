"""The adjusted Rand index (Hubert and Arabie 1985) between two labelings, for the tests."""

from __future__ import annotations

from collections.abc import Sequence
from math import comb

import numpy as np


def adjusted_rand_index(
    a: Sequence[object] | np.ndarray, b: Sequence[object] | np.ndarray
) -> float:
    """1 for the same partition (whatever the label names), about 0 for unrelated ones.

    >>> adjusted_rand_index(["x", "x", "y", "y"], [1, 1, 0, 0])
    1.0
    >>> round(adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1]), 3)
    -0.5
    """
    rows = np.unique(np.asarray(a), return_inverse=True)[1].reshape(-1)
    cols = np.unique(np.asarray(b), return_inverse=True)[1].reshape(-1)
    table = np.zeros((rows.max() + 1, cols.max() + 1), dtype=np.int64)
    np.add.at(table, (rows, cols), 1)
    pairs = sum(comb(int(x), 2) for x in table.ravel())
    row_pairs = sum(comb(int(x), 2) for x in table.sum(axis=1))
    col_pairs = sum(comb(int(x), 2) for x in table.sum(axis=0))
    expected = row_pairs * col_pairs / comb(int(table.sum()), 2)
    most = (row_pairs + col_pairs) / 2
    if most == expected:
        return 1.0
    return float((pairs - expected) / (most - expected))
