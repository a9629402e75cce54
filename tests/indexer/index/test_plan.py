"""Index planning: pure, no FAISS and no disk."""

from __future__ import annotations

import pytest

from indexer.errors import ConfigError, IndexStateError
from indexer.index.config import IndexConfig
from indexer.index.plan import (
    DEFAULT_EF_SEARCH,
    IndexPlan,
    choose_nlist,
    default_nprobe,
    estimate_bytes,
    plan_index,
)
from indexer.sizes import parse_size


@pytest.mark.parametrize(
    ("n", "d", "budget", "family", "factory"),
    [
        (10_000, 256, "4G", "flat", "Flat"),
        (100_000, 256, "4G", "flat", "Flat"),
        (100_001, 256, "4G", "ivf-pq", "IVF1265,PQ32"),
        (1_000_000, 256, "4G", "ivf-pq", "IVF2564,PQ32"),
        (10_000_000, 1024, "4G", "ivf-pq", "IVF2564,PQ32"),
        (1_000_000, 300, "4G", "ivf-pq", "IVF2564,PQ30"),
        (2_000_000, 256, "64M", "ivf-pq", "IVF2564,PQ16"),
        (50_000, 64, "1M", "ivf-pq", "IVF894,PQ4"),
    ],
)
def test_auto_grid(n, d, budget, family, factory):
    config = IndexConfig(max_memory=parse_size(budget))
    plan = plan_index(n, d, config)
    assert (plan.family, plan.factory) == (family, factory)
    assert plan.estimated_bytes is not None
    assert plan.estimated_bytes <= config.max_memory
    assert (plan.n_vectors, plan.dim, plan.metric) == (n, d, "ip")
    assert plan.reason
    assert plan.lossy == (family != "flat")


@pytest.mark.parametrize(
    ("n", "d", "budget", "family", "factory"),
    [
        (1_000_001, 256, "4G", "ivf-flat", "IVF2564,Flat"),
        (4_000_000, 256, "4G", "ivf-flat", "IVF2564,Flat"),
        (5_000_000, 256, "4G", "ivf-fp16", "IVF2564,SQfp16"),
        (1_100_000, 1024, "4G", "ivf-fp16", "IVF2564,SQfp16"),
        (500_000, 1024, "1G", "ivf-fp16", "IVF2564,SQfp16"),
        (2_000_000, 256, "1G", "ivf-fp16", "IVF2564,SQfp16"),
        (2_000_000, 256, "512M", "ivf-sq8", "IVF2564,SQ8"),
        (2_000_000, 256, "256M", "ivf-pq", "IVF2564,PQ64"),
        (10_000_000, 1024, "4G", "ivf-pq", "IVF2564,PQ256"),
        (50_000, 64, "4M", "ivf-sq8", "IVF894,SQ8"),
        (50_000, 64, "1M", "ivf-pq", "IVF894,PQ4"),
    ],
)
def test_ivf_grid_takes_the_least_lossy_that_fits(n, d, budget, family, factory):
    config = IndexConfig(kind="ivf", max_memory=parse_size(budget))
    plan = plan_index(n, d, config)
    assert (plan.family, plan.factory) == (family, factory)
    assert plan.estimated_bytes is not None and plan.estimated_bytes <= config.max_memory
    assert plan.lossy == (family in ("ivf-sq8", "ivf-pq"))


def test_auto_flat_limit_is_configurable():
    assert plan_index(5000, 32, IndexConfig(flat_max_vectors=4999)).family == "ivf-pq"
    assert plan_index(5000, 32, IndexConfig(flat_max_vectors=5000)).family == "flat"


def test_estimates_follow_the_documented_formulas():
    n, d = 1000, 100
    assert estimate_bytes("flat", n, d) == n * 400
    assert estimate_bytes("hnsw", n, d, hnsw_m=16) == n * (400 + 128 + 16)
    assert estimate_bytes("ivf-flat", n, d, nlist=10) == n * 408 + 10 * 400
    assert estimate_bytes("ivf-fp16", n, d, nlist=10) == n * 208 + 10 * 400
    assert estimate_bytes("ivf-sq8", n, d, nlist=10) == n * 108 + 10 * 400 + 800
    assert estimate_bytes("ivf-pq", n, d, nlist=10, pq_m=5) == n * 13 + 10 * 400 + 256 * 400


@pytest.mark.parametrize("d", [96, 100, 300, 1024])
def test_pq_m_divides_dim_and_is_the_largest_that_fits(d):
    n = 1_000_000
    nlist = choose_nlist(n, 100_000)
    budget = estimate_bytes("ivf-pq", n, d, nlist=nlist, pq_m=d // 4) + 1
    plan = plan_index(n, d, IndexConfig(kind="ivf", max_memory=budget))
    assert plan.family == "ivf-pq" and plan.pq_m is not None
    assert d % plan.pq_m == 0
    assert plan.pq_m == d // 4  # the next divisor up does not fit
    assert plan.factory == f"IVF{nlist},PQ{plan.pq_m}"


def test_budget_too_small_even_for_pq_names_the_minimum():
    nlist = choose_nlist(100_000, 100_000)
    minimum = estimate_bytes("ivf-pq", 100_000, 64, nlist=nlist, pq_m=1)
    with pytest.raises(ConfigError, match=f"needs at least .*{minimum} bytes"):
        plan_index(100_000, 64, IndexConfig(max_memory=minimum - 1))
    assert plan_index(100_000, 64, IndexConfig(max_memory=minimum)).pq_m == 1


def test_nlist_is_4_sqrt_n_with_39_training_points_per_centroid():
    assert choose_nlist(10_000, 100_000) == 256  # only 10,000 // 39 = 256 training points
    assert choose_nlist(40_000, 100_000) == 800
    assert choose_nlist(1_000_000, 100_000) == 2564
    assert choose_nlist(1_000_000, 1_000_000) == 4000
    assert choose_nlist(10**12, 10**12) == 65536
    assert choose_nlist(10, 100_000) == 1


def test_search_parameters_default_and_override():
    ivf = plan_index(1_000_000, 256, IndexConfig(kind="ivf"))
    assert ivf.nlist == 2564 and ivf.nprobe == default_nprobe(2564) == 80
    assert ivf.search_params() == {"nprobe": 80}
    hnsw = plan_index(10_000, 64, IndexConfig(kind="hnsw", ef_search=300, hnsw_m=16))
    assert hnsw.factory == "HNSW16,Flat" and hnsw.search_params() == {"efSearch": 300}
    assert plan_index(10_000, 64, IndexConfig(kind="hnsw")).ef_search == DEFAULT_EF_SEARCH
    assert plan_index(1000, 8, IndexConfig(kind="ivf", nprobe=1000)).nprobe == 25  # = nlist
    assert plan_index(1000, 8, IndexConfig()).search_params() == {}


def test_explicit_kinds():
    assert plan_index(1000, 8, IndexConfig(kind="FLAT")).factory == "Flat"
    assert plan_index(2_000_000, 8, IndexConfig(kind="flat")).factory == "Flat"
    assert plan_index(1000, 8, IndexConfig(kind="hnsw")).factory == "HNSW32,Flat"
    assert plan_index(40_000, 64, IndexConfig(kind="ivf")).factory == "IVF800,Flat"
    tight = estimate_bytes("ivf-sq8", 40_000, 64, nlist=800)
    ivf = plan_index(40_000, 64, IndexConfig(kind="ivf", max_memory=tight))
    assert ivf.factory == "IVF800,SQ8"


def test_explicit_kind_over_budget_is_a_config_error():
    with pytest.raises(ConfigError, match=r"'flat'.*over max_memory"):
        plan_index(2_000_000, 1024, IndexConfig(kind="flat"))
    with pytest.raises(ConfigError, match="HNSW32,Flat"):
        plan_index(2_000_000, 1024, IndexConfig(kind="hnsw"))


@pytest.mark.parametrize(
    ("factory", "nlist", "nprobe", "ef_search"),
    [
        ("IVF1024,SQ8", 1024, 32, None),
        ("IVF4096_HNSW32,PQ16", 4096, 128, None),
        ("HNSW16,Flat", None, None, DEFAULT_EF_SEARCH),
        ("PCA64,Flat", None, None, None),
        ("no such index", None, None, None),  # FAISS rejects it at build
    ],
)
def test_factory_strings_are_used_as_given(factory, nlist, nprobe, ef_search):
    plan = plan_index(100_000, 256, IndexConfig(kind=factory))
    assert (plan.family, plan.factory) == ("factory", factory)
    assert (plan.nlist, plan.nprobe, plan.ef_search) == (nlist, nprobe, ef_search)
    assert plan.estimated_bytes is None


def test_bad_sizes_and_config_values():
    with pytest.raises(ConfigError, match="0 vectors"):
        plan_index(0, 8, IndexConfig())
    with pytest.raises(ConfigError, match="dimension"):
        plan_index(10, 0, IndexConfig())
    with pytest.raises(ConfigError, match="max_memory"):
        IndexConfig(max_memory=0)
    with pytest.raises(ConfigError, match="nprobe"):
        IndexConfig(nprobe=0)
    with pytest.raises(ConfigError, match="kind"):
        IndexConfig(kind=" ")


def test_plan_dict_round_trip():
    plan = plan_index(2_000_000, 256, IndexConfig(max_memory=parse_size("256M")))
    data = plan.to_dict()
    assert data["factory"] == "IVF2564,PQ32" and data["pq_m"] == 32
    assert IndexPlan.from_dict(data) == plan
    with pytest.raises(IndexStateError, match="missing \\['factory'\\]"):
        IndexPlan.from_dict({k: v for k, v in data.items() if k != "factory"})
    with pytest.raises(IndexStateError, match="unknown \\['extra'\\]"):
        IndexPlan.from_dict({**data, "extra": 1})
    with pytest.raises(IndexStateError, match="family"):
        IndexPlan.from_dict({**data, "family": "lsh"})
