"""Building indexes: ids, self-match, zero vectors, memmapped float16 input, errors."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from indexer.errors import ConfigError, IndexStateError
from indexer.index import IndexConfig, build_index, index_params, plan_index
from indexer.index.params import omp_threads
from indexer.index.plan import choose_nlist, estimate_bytes
from tests.indexer.index.conftest import unit_rows

N, D = 3000, 32
NLIST = choose_nlist(N, IndexConfig().train_sample)


def config_for(family: str) -> IndexConfig:
    """A config whose plan for the test matrix is ``family``."""
    if family in ("flat", "hnsw"):
        return IndexConfig(kind=family)
    if family == "ivf-pq":
        return IndexConfig(kind="ivf", max_memory=estimate_bytes(family, N, D, nlist=NLIST, pq_m=8))
    return IndexConfig(kind="ivf", max_memory=estimate_bytes(family, N, D, nlist=NLIST))


FAMILIES = ["flat", "hnsw", "ivf-flat", "ivf-fp16", "ivf-sq8", "ivf-pq"]
# share of stored vectors whose own id comes first when searched for
SELF_TOP1 = {"ivf-sq8": 0.9, "ivf-pq": 0.5}


@pytest.mark.parametrize("family", FAMILIES)
def test_search_returns_occurrence_ids_and_finds_itself(matrix, family):
    config = config_for(family)
    plan = plan_index(N, D, config)
    assert plan.family == family
    ids = np.arange(N)
    index = build_index(matrix, plan, config)
    assert index.ntotal == N
    rows = np.arange(0, N, 30)
    _, labels = index.search(unit_rows(matrix[rows]), 10)
    assert np.isin(labels, ids).all()
    self_first = np.mean(labels[:, 0] == ids[rows])
    assert self_first >= SELF_TOP1.get(family, 1.0)
    assert np.mean([ids[r] in found for r, found in zip(rows, labels, strict=True)]) >= 0.95


@pytest.mark.parametrize("family", ["flat", "hnsw", "ivf-sq8"])
def test_default_ids_are_row_numbers(matrix, family):
    config = config_for(family)
    index = build_index(matrix, plan_index(N, D, config), config)
    assert not isinstance(index, faiss.IndexIDMap)  # no wrapper for ids 0..N-1
    _, labels = index.search(unit_rows(matrix[[5, 2999]]), 1)
    assert labels[:, 0].tolist() == [5, 2999]


def test_memmapped_float16_matrix(memmap_matrix):
    config = config_for("ivf-fp16")
    index = build_index(memmap_matrix, plan_index(N, D, config), config)
    _, labels = index.search(unit_rows(memmap_matrix[[17, 1234]]), 1)
    assert labels[:, 0].tolist() == [17, 1234]


def test_factory_string(matrix):
    config = IndexConfig(kind="L2norm,IVF16,Flat", nprobe=4)
    plan = plan_index(N, D, config)
    index = build_index(matrix, plan, config)
    assert index_params(index) == {"nprobe": 4}
    _, labels = index.search(unit_rows(matrix[5:6]), 10)
    assert 5 in labels[0]


def test_search_params_are_set_from_the_plan(matrix):
    for family, params in [("hnsw", {"efSearch": 128}), ("ivf-flat", {"nprobe": 32})]:
        config = config_for(family)
        plan = plan_index(N, D, config)
        assert plan.search_params() == params
        assert index_params(build_index(matrix, plan, config)) == params


def test_vectors_are_normalized_and_zero_vectors_stay_zero(matrix):
    scaled = matrix.copy()
    scaled[::2] *= 1000.0
    scaled[7] = 0.0
    index = build_index(scaled, plan_index(N, D, IndexConfig()), IndexConfig())
    stored = index.reconstruct_n(0, N)
    expected = unit_rows(matrix)
    expected[7] = 0.0
    assert np.allclose(stored, expected, atol=1e-6)
    assert not np.isnan(stored).any() and (stored[7] == 0).all()

    scores, labels = index.search(stored[:1], 3)
    assert labels[0, 0] == 0 and np.isclose(scores[0, 0], 1.0, atol=1e-5)
    assert not np.isnan(scores).any()


def test_zero_vectors_in_an_ivf_index(matrix):
    with_zeros = matrix.copy()
    with_zeros[100:400] = 0.0
    config = config_for("ivf-sq8")
    index = build_index(with_zeros, plan_index(N, D, config), config)
    scores, labels = index.search(unit_rows(matrix[:5]), 5)
    assert not np.isnan(scores).any()
    assert labels[:, 0].tolist() == [0, 1, 2, 3, 4]


def test_training_draws_across_the_matrix(matrix, monkeypatch):
    seen = {}
    from indexer.index import build as build_module

    real = build_module.read_normalized

    def spy(m, rows):
        seen["rows"] = rows
        return real(m, rows)

    monkeypatch.setattr(build_module, "read_normalized", spy)
    config = IndexConfig(kind="IVF8,Flat", train_sample=500)
    build_index(matrix, plan_index(N, D, config), config)
    rows = seen["rows"]
    assert len(rows) == 500 and rows.min() < 100 and rows.max() > N - 100


def test_errors_name_the_problem(matrix):
    bad = IndexConfig(kind="IVFbogus,Flat")
    with pytest.raises(ConfigError, match="'IVFbogus,Flat'"):
        build_index(matrix, plan_index(N, D, bad), bad)
    too_many = IndexConfig(kind="IVF5000,Flat")
    with pytest.raises(ConfigError, match="cannot train 'IVF5000,Flat' on 3000 vectors"):
        build_index(matrix, plan_index(N, D, too_many), too_many)
    with pytest.raises(IndexStateError, match="3000 x 32 but the index plan is for 3000 x 16"):
        build_index(matrix, plan_index(N, 16, IndexConfig()), IndexConfig())
    with pytest.raises(IndexStateError, match="float16 or float32"):
        build_index(matrix.astype(np.float64), plan_index(N, D, IndexConfig()), IndexConfig())
    broken = matrix.copy()
    broken[1234, 3] = np.nan
    with pytest.raises(IndexStateError, match="row 1234"):
        build_index(broken, plan_index(N, D, IndexConfig()), IndexConfig())


def test_threads_setting_is_restored():
    before = faiss.omp_get_max_threads()
    with omp_threads(before + 1):
        assert faiss.omp_get_max_threads() == before + 1
    assert faiss.omp_get_max_threads() == before
    with omp_threads(0):
        assert faiss.omp_get_max_threads() == before
