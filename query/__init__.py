"""Find the occurrences of a word used in the same sense: search API (``SenseIndex``) and CLI.

``from query import SenseIndex`` loads the index reader on first use, so that the ``query``
command starts without it until a command needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from indexer.store.summary import IndexInfo
    from query.index import SenseIndex
    from query.results import DistanceTable, Hit, Neighbors, Occurrence, OccurrenceList
    from query.senses.cluster import SenseSettings
    from query.senses.result import Sense, SenseExample, Senses, SenseTag

__all__ = [
    "DistanceTable",
    "Hit",
    "IndexInfo",
    "Neighbors",
    "Occurrence",
    "OccurrenceList",
    "Sense",
    "SenseExample",
    "SenseIndex",
    "SenseSettings",
    "SenseTag",
    "Senses",
]

_HOMES = {
    "SenseIndex": "query.index",
    "IndexInfo": "indexer.store.summary",
    "DistanceTable": "query.results",
    "Hit": "query.results",
    "Neighbors": "query.results",
    "Occurrence": "query.results",
    "OccurrenceList": "query.results",
    "Sense": "query.senses.result",
    "SenseExample": "query.senses.result",
    "SenseSettings": "query.senses.cluster",
    "SenseTag": "query.senses.result",
    "Senses": "query.senses.result",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'query' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(home), name)
