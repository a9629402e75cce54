"""The lexicon and postings match a direct count over the occurrence shards."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow.parquet as pq
import pytest

from indexer.errors import QueryError
from indexer.store.layout import IndexLayout
from indexer.store.lexicon import Lexicon, build_lexicon
from indexer.store.shards import ShardMeta, occurrences_table, write_table


def write_shards(layout: IndexLayout, tokens_per_shard: list[list[str]]) -> list:
    paths, first = [], 0
    for index, tokens in enumerate(tokens_per_shard):
        data = ShardMeta(index, index, first, [tuple(tokens)], ["d"], [None], [1])
        write_table(layout.occurrences_part(index), occurrences_table(data))
        paths.append(layout.occurrences_part(index))
        first += len(tokens)
    return paths


def test_lexicon_counts_and_postings(tmp_path):
    rng = np.random.default_rng(3)
    words = ["bank", "river", "zebra", "Äpfel", "a", "b"]
    shards = [list(rng.choice(words, size=int(rng.integers(1, 60)))) for _ in range(5)]
    layout = IndexLayout(tmp_path)
    flat = [t for s in shards for t in s]
    record = build_lexicon(layout, write_shards(layout, shards), len(flat))

    table = pq.read_table(layout.lexicon).to_pydict()
    assert table["token"] == sorted(set(flat))
    assert dict(zip(table["token"], table["count"], strict=True)) == Counter(flat)
    assert table["offset"] == list(np.cumsum([0, *table["count"][:-1]]))
    postings = np.load(layout.postings)
    assert sorted(postings.tolist()) == list(range(len(flat)))
    assert record.types == len(set(flat))

    lexicon = Lexicon.open(tmp_path)
    for word in set(flat):
        assert lexicon.occurrences(word).tolist() == [i for i, t in enumerate(flat) if t == word]
    assert lexicon.count("nope") == 0 and "nope" not in lexicon
    with pytest.raises(QueryError, match="'nope' does not occur"):
        lexicon.occurrences("nope")
