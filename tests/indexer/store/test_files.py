"""What the manifest records of a file, and an index directory's size on disk."""

from __future__ import annotations

import hashlib

from indexer.files import sha256_file
from indexer.store.files import file_record, tree_bytes


def test_file_record_is_size_and_sha256(tmp_path):
    path = tmp_path / "part-00000.parquet"
    path.write_bytes(b"rows" * 1000)
    digest = hashlib.sha256(b"rows" * 1000).hexdigest()
    assert sha256_file(path) == digest
    assert file_record(path) == {"bytes": 4000, "sha256": digest}


def test_tree_bytes_counts_files_in_every_folder(tmp_path):
    (tmp_path / "vectors" / "layer=1").mkdir(parents=True)
    (tmp_path / "manifest.json").write_bytes(b"{}")
    (tmp_path / "vectors" / "layer=1" / "part-00000.parquet").write_bytes(b"x" * 10)
    assert tree_bytes(tmp_path) == 12
