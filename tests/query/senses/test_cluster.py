"""Sense induction on seeded synthetic clouds on the sphere: groups found, one cloud kept whole,
a forced number, the sampled path beyond the bound, and rare words."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.errors import QueryError
from query.senses.cluster import SenseSettings, assign, induce, separation, silhouette
from tests.query.senses.scoring import adjusted_rand_index


def clouds(
    sizes: list[int], spread: float, dim: int = 32, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Unit rows around ``len(sizes)`` random directions (cosine spread about ``spread``)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(sizes), dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    rows = np.concatenate(
        [
            c + rng.normal(scale=spread / np.sqrt(dim), size=(n, dim))
            for c, n in zip(centres, sizes, strict=True)
        ]
    )
    truth = np.repeat(np.arange(len(sizes)), sizes)
    order = rng.permutation(len(rows))
    rows = rows[order] / np.linalg.norm(rows[order], axis=1, keepdims=True)
    return rows.astype(np.float32), truth[order]


def test_separate_groups_are_found_largest_first():
    x, truth = clouds([300, 200, 100], spread=0.4)
    found = induce(x)
    assert found.k == 3
    assert adjusted_rand_index(truth, found.labels) == 1.0
    assert np.bincount(found.labels).tolist() == [300, 200, 100]
    assert max(found.scores, key=found.scores.__getitem__) == 3
    assert found.separations[3] > 0.12 and found.clustered == 600
    np.testing.assert_allclose(np.linalg.norm(found.centres, axis=1), 1.0, rtol=1e-5)
    labels, distances = assign(x, found.centres)
    assert np.array_equal(labels, found.labels)
    np.testing.assert_allclose(
        distances, 1 - np.einsum("ij,ij->i", x, found.centres[labels]), atol=1e-6
    )


def test_one_cloud_is_one_sense():
    x, _ = clouds([800], spread=0.6)
    found = induce(x)
    assert found.k == 1
    assert set(found.labels.tolist()) == {0}
    assert all(s < 0.12 for s in found.separations.values()), found.separations
    mean = x.mean(axis=0)
    np.testing.assert_allclose(found.centres[0], mean / np.linalg.norm(mean), atol=1e-5)


def test_close_groups_are_not_senses_but_can_be_forced():
    x, truth = clouds([300, 300], spread=0.4, seed=3)
    near = x.copy()
    near[truth == 1] = 0.97 * x[truth == 0][: (truth == 1).sum()] + 0.03 * x[truth == 1]
    near /= np.linalg.norm(near, axis=1, keepdims=True)
    assert induce(near).k == 1
    forced = induce(x, SenseSettings(n=2))
    assert forced.k == 2 and forced.scores == {} and forced.separations == {}
    assert adjusted_rand_index(truth, forced.labels) == 1.0


def test_beyond_the_bound_a_sample_is_clustered_and_every_row_assigned():
    x, truth = clouds([1500, 1000], spread=0.4, seed=5)
    settings = SenseSettings(cluster_bound=400, selection_sample=300, silhouette_sample=200)
    found = induce(x, settings)
    assert found.clustered == 400 and len(found.labels) == 2500
    assert adjusted_rand_index(truth, found.labels) == 1.0
    assert np.array_equal(found.labels, assign(x, found.centres)[0])
    again = induce(x, settings)
    assert np.array_equal(again.labels, found.labels)  # seeded


def test_a_rare_word_has_one_sense_and_none_is_an_error():
    x, _ = clouds([3, 3], spread=0.1)
    assert induce(x).k == 1
    with pytest.raises(QueryError, match="no occurrence"):
        induce(np.empty((0, 4), dtype=np.float32))
    with pytest.raises(QueryError, match="from 1 to 8, got 0"):
        SenseSettings(n=0)


def test_silhouette_and_separation_values():
    x = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=np.float32)
    assert silhouette(x, np.array([0, 0, 1, 1])) == pytest.approx(1.0)
    assert silhouette(x, np.array([0, 1, 0, 1])) == pytest.approx(-0.5)
    assert separation(np.array([[1, 0], [0, 1]], dtype=np.float32)) == pytest.approx(1.0)
