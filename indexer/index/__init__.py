"""FAISS indexing stage: plan, build, measure recall, save and load one index per layer."""

from indexer.index.build import build_index
from indexer.index.config import IndexConfig
from indexer.index.params import apply_search_params, index_params
from indexer.index.plan import IndexPlan, plan_index
from indexer.index.recall import RecallReport, measure_recall
from indexer.index.store import load_index, save_index

__all__ = [
    "IndexConfig",
    "IndexPlan",
    "RecallReport",
    "apply_search_params",
    "build_index",
    "index_params",
    "load_index",
    "measure_recall",
    "plan_index",
    "save_index",
]
