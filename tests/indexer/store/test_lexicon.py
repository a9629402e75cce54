"""The lexicon and postings match a direct count over the occurrence shards."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow.parquet as pq
import pytest

from indexer.errors import QueryError
from indexer.store.layout import IndexLayout
from indexer.store.lexicon import Lexicon, Lexicons, build_lexicon
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
    record = build_lexicon(layout, 4, write_shards(layout, shards), len(flat))
    assert sorted(record.files) == [
        "lexicon/segment=4/lexicon.parquet",
        "lexicon/segment=4/postings.npy",
    ]

    table = pq.read_table(layout.lexicon(4)).to_pydict()
    assert table["token"] == sorted(set(flat))
    assert dict(zip(table["token"], table["count"], strict=True)) == Counter(flat)
    assert table["offset"] == list(np.cumsum([0, *table["count"][:-1]]))
    postings = np.load(layout.postings(4))
    assert sorted(postings.tolist()) == list(range(len(flat)))
    assert record.types == len(set(flat))

    lexicon = Lexicon.open(layout, 4)
    for word in set(flat):
        assert lexicon.occurrences(word).tolist() == [i for i, t in enumerate(flat) if t == word]
    assert lexicon.count("nope") == 0 and "nope" not in lexicon
    with pytest.raises(QueryError, match="'nope' does not occur"):
        lexicon.occurrences("nope")


def test_lexicons_of_several_segments_read_as_one(tmp_path):
    layout = IndexLayout(tmp_path)
    first = [["bank", "river", "bank"], ["zebra", "bank"]]
    second = [["river", "bank", "okapi"]]
    paths = write_shards(layout, first + second)
    build_lexicon(layout, 0, paths[:2], 5)
    build_lexicon(layout, 1, paths[2:], 3)
    both = Lexicons([Lexicon.open(layout, 0), Lexicon.open(layout, 1)])
    assert both.occurrences("bank").tolist() == [0, 2, 4, 6]
    assert both.occurrences("okapi").tolist() == [7]
    assert both.tokens == {"bank": 4, "okapi": 1, "river": 2, "zebra": 1}
    assert (len(both), both.count("river"), "zebra" in both, "nope" in both) == (4, 2, True, False)
    with pytest.raises(QueryError, match="'nope' does not occur"):
        both.occurrences("nope")
