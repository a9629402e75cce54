"""Change scores between two groups of one word's occurrences.

- APD: average pairwise cosine distance between an occurrence of one group and one of the
  other. With unit vectors ``u``, ``mean(1 - u_i . v_j) = 1 - mean(u) . mean(v)``, so it is
  computed exactly from the groups' mean unit vectors, whatever their sizes.
- PRT: cosine distance between the groups' mean (raw) vectors.
- JSD: Jensen-Shannon divergence (base 2, from 0 to 1) between the groups' sense distributions.

APD also grows with how varied a word's uses are within each group (a polysemous word whose
shares stay has a high APD); PRT and JSD do not, which makes them the better rankers of change.
"""

from __future__ import annotations

import numpy as np

SCORES = ("apd", "prt", "jsd")


def apd(mean_unit_a: np.ndarray, mean_unit_b: np.ndarray) -> float:
    """Average pairwise cosine distance from the mean unit vectors of the two groups.

    >>> round(apd(np.array([1.0, 0.0]), np.array([0.0, 1.0])), 3)
    1.0
    """
    return float(1.0 - np.dot(mean_unit_a, mean_unit_b))


def prt(mean_a: np.ndarray, mean_b: np.ndarray) -> float:
    """Cosine distance between the mean vectors (0 where either is zero).

    >>> round(prt(np.array([1.0, 1.0]), np.array([2.0, 2.0])), 6)
    0.0
    """
    norms = float(np.linalg.norm(mean_a) * np.linalg.norm(mean_b))
    if norms == 0.0:
        return 0.0
    return float(1.0 - np.dot(mean_a, mean_b) / norms)


def jsd(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon divergence, base 2, of two distributions (normalised here).

    >>> jsd(np.array([1.0, 0.0]), np.array([0.0, 1.0])), jsd(np.array([3, 1]), np.array([6, 2]))
    (1.0, 0.0)
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2

    def kl(x: np.ndarray) -> float:
        nonzero = x > 0
        return float(np.sum(x[nonzero] * np.log2(x[nonzero] / m[nonzero])))

    return max(0.0, (kl(p) + kl(q)) / 2)


class GroupSums:
    """Per (key, group) the count, the sum of unit vectors and the sum of raw vectors,
    accumulated block by block (float64)."""

    def __init__(self, n_keys: int, n_groups: int, dim: int) -> None:
        self.n_groups = n_groups
        self.counts = np.zeros((n_keys, n_groups), dtype=np.int64)
        self.unit = np.zeros((n_keys, n_groups, dim), dtype=np.float64)
        self.raw = np.zeros((n_keys, n_groups, dim), dtype=np.float64)

    def add(self, keys: np.ndarray, groups: np.ndarray, vectors: np.ndarray) -> None:
        """Add ``vectors`` (rows) to the cells ``(keys, groups)``."""
        if len(keys) == 0:
            return
        cell = keys.astype(np.int64) * self.n_groups + groups
        order = np.argsort(cell, kind="stable")
        cell = cell[order]
        raw = np.asarray(vectors, dtype=np.float32)[order]
        norms = np.sqrt(np.einsum("ij,ij->i", raw, raw))
        unit = raw / np.where(norms > 0, norms, 1.0)[:, None]
        starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
        cells = cell[starts]
        flat_counts = self.counts.reshape(-1)
        flat_unit = self.unit.reshape(-1, self.unit.shape[-1])
        flat_raw = self.raw.reshape(-1, self.raw.shape[-1])
        flat_counts[cells] += np.diff(np.r_[starts, len(cell)])
        flat_unit[cells] += np.add.reduceat(unit, starts, axis=0, dtype=np.float64)
        flat_raw[cells] += np.add.reduceat(raw, starts, axis=0, dtype=np.float64)

    def scores(self, key: int, a: int, b: int) -> tuple[float, float]:
        """APD and PRT of ``key`` between groups ``a`` and ``b`` (each with occurrences)."""
        na, nb = self.counts[key, a], self.counts[key, b]
        return (
            apd(self.unit[key, a] / na, self.unit[key, b] / nb),
            prt(self.raw[key, a] / na, self.raw[key, b] / nb),
        )
