"""FAISS indexing stage: plan, build, measure recall, save and load one index per layer.

FAISS is imported with the modules that use it, on first use of their names, so that the light
parts (``indexer.index.config``) serve the query side without it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from indexer.index.build import build_index
    from indexer.index.config import IndexConfig
    from indexer.index.params import apply_search_params, index_params
    from indexer.index.plan import IndexPlan, plan_index
    from indexer.index.recall import RecallReport, measure_recall
    from indexer.index.store import load_index, save_index

_HOMES = {
    "IndexConfig": "config",
    "IndexPlan": "plan",
    "RecallReport": "recall",
    "apply_search_params": "params",
    "build_index": "build",
    "index_params": "params",
    "load_index": "store",
    "measure_recall": "recall",
    "plan_index": "plan",
    "save_index": "store",
}

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'indexer.index' has no attribute {name!r}")
    return getattr(importlib.import_module(f"indexer.index.{home}"), name)
