"""Shard files: values, schemas, digests, and that pandas and pyarrow read them directly."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from indexer.store.layout import IndexLayout
from indexer.store.shard_writer import ShardWriter
from indexer.store.shards import ShardMeta, load_state

SENTENCES = [("the", "bank", "."), ("a", "river", "bank"), ("money",)]


def meta(index: int = 3, first_occ: int = 100) -> ShardMeta:
    return ShardMeta(
        index=index,
        first_sentence=10,
        first_occurrence=first_occ,
        sentences=SENTENCES,
        doc_ids=["d0", "d0", "d1"],
        sent_keys=["s1", None, "s3"],
        source_lines=[1, 2, 5],
        state={"h": np.ones((2, 3), np.float32)},
    )


def vectors(dtype: str) -> dict[int, np.ndarray]:
    return {
        layer: (np.arange(28).reshape(7, 4) * (layer + 1) / 7).astype(dtype) for layer in (0, 2)
    }


def write(tmp_path, dtype: str):
    layout = IndexLayout(tmp_path)
    writer = ShardWriter(layout, 3, 100, 4, dtype, (0, 2))
    whole = vectors(dtype)
    for part in (slice(0, 5), slice(5, None)):
        first = writer.advance(len(whole[0][part]))
        for layer, v in whole.items():
            writer.add_layer(layer, first, v[part])
    record = writer.commit(meta())
    return layout, whole, record


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_shard_writer(tmp_path, dtype):
    layout, whole, record = write(tmp_path, dtype)
    assert (record.first_occurrence, record.n_occurrences, record.n_sentences) == (100, 7, 3)
    for name, info in record.files.items():
        raw = (tmp_path / name).read_bytes()
        assert info == {"bytes": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}

    occ = pd.read_parquet(tmp_path / "occurrences" / "part-00003.parquet")
    assert occ["occ_id"].tolist() == list(range(100, 107))
    assert occ["sent_id"].tolist() == [10, 10, 10, 11, 11, 11, 12]
    assert occ["position"].tolist() == [0, 1, 2, 0, 1, 2, 0]
    assert occ["doc_id"].tolist() == ["d0"] * 6 + ["d1"]
    assert occ["token"].tolist() == [t for s in SENTENCES for t in s]
    assert occ["lemma"].isna().all() and occ["upos"].isna().all()  # the sentences had none
    schema = pq.read_schema(tmp_path / "occurrences" / "part-00003.parquet")
    assert str(schema.field("position").type) == "int32"
    metadata = pq.ParquetFile(tmp_path / "occurrences" / "part-00003.parquet").metadata
    assert "RLE_DICTIONARY" in str(metadata.row_group(0).column(4).encodings)

    assert pd.read_parquet(tmp_path / "sentences")["text"].tolist()[1] == "a river bank"
    assert pq.read_table(tmp_path / "sentences").to_pydict() == {
        "sent_id": [10, 11, 12],
        "doc_id": ["d0", "d0", "d1"],
        "sent_key": ["s1", None, "s3"],
        "source_line": [1, 2, 5],
        "first_occ": [100, 103, 106],
        "n_tokens": [3, 3, 1],
        "text": ["the bank .", "a river bank", "money"],
        "fields": [None, None, None],
    }

    vec = pq.read_table(tmp_path / "vectors" / "layer=2")
    assert vec.schema.field("vector").type.list_size == 4
    assert vec.column("occ_id").to_pylist() == list(range(100, 107))
    flat = vec.column("vector").combine_chunks().flatten().to_numpy(zero_copy_only=False)
    assert np.array_equal(flat.reshape(7, 4), whole[2])
    vector_file = pq.ParquetFile(tmp_path / "vectors" / "layer=2" / "part-00003.parquet")
    assert vector_file.num_row_groups == 2
    occ_stats = vector_file.metadata.row_group(1).column(0).statistics
    assert (occ_stats.min, occ_stats.max) == (105, 106)
    assert vector_file.metadata.row_group(1).column(1).statistics is None
    assert pd.read_parquet(tmp_path / "vectors").shape == (14, 3)  # hive column "layer"
    assert np.array_equal(load_state(layout, record)["h"], np.ones((2, 3)))
    assert not list(tmp_path.rglob("*.tmp"))


def test_commit_checks_the_row_count(tmp_path):
    layout = IndexLayout(tmp_path)
    writer = ShardWriter(layout, 0, 100, 4, "float16", (0,))
    writer.add_layer(0, writer.advance(6), np.zeros((6, 4), np.float16))
    with pytest.raises(ValueError, match="6 vectors from occurrence 100, but 7"):
        writer.commit(meta(index=0))
    writer.abort()
    assert not list(tmp_path.rglob("*.tmp"))


def test_annotations_and_fields_are_stored_beside_the_tokens(tmp_path):
    layout = IndexLayout(tmp_path)
    writer = ShardWriter(layout, 0, 0, 4, "float32", (0,))
    writer.add_layer(0, writer.advance(7), vectors("float32")[0])
    data = meta()
    annotated = ShardMeta(
        index=0,
        first_sentence=0,
        first_occurrence=0,
        sentences=data.sentences,
        doc_ids=data.doc_ids,
        sent_keys=data.sent_keys,
        source_lines=data.source_lines,
        lemmas=[("the", "bank", None), None, ("money",)],
        upos=[("DET", "NOUN", "PUNCT"), None, ("NOUN",)],
        fields=[{"year": 1994, "genre": "news"}, None, {}],
    )
    writer.commit(annotated)
    occ = pq.read_table(tmp_path / "occurrences").to_pydict()
    assert occ["lemma"] == ["the", "bank", None, None, None, None, "money"]
    assert occ["upos"] == ["DET", "NOUN", "PUNCT", None, None, None, "NOUN"]
    sentences = pq.read_table(tmp_path / "sentences").to_pydict()
    assert sentences["fields"] == ['{"genre":"news","year":1994}', None, None]
