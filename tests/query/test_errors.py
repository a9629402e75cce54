"""Missing, unfinished and damaged index directories, and wrong models: one clear error each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from indexer.errors import IndexStateError, QueryError
from query import SenseIndex
from query.cli import app
from tests.indexer.encoder.fixtures import make_allennlp_model
from tests.query.conftest import NOTEBOOK

runner = CliRunner()


def cli_error(*args: str) -> str:
    """Run ``query ARGS``; require exit status 1 and one ``error:`` line; return that line."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output and result.stdout == ""
    return lines[0]


def edit_manifest(root: Path, **changes: object) -> None:
    path = root / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), encoding="utf-8")


def scramble(path: Path) -> None:
    """Overwrite a file with bytes that are no valid content, keeping its size."""
    path.write_bytes(
        bytes(range(7, 256)) * (path.stat().st_size // 249) + b"\0" * (path.stat().st_size % 249)
    )


def test_missing_directory(tmp_path):
    with pytest.raises(IndexStateError, match="index directory not found"):
        SenseIndex.open(tmp_path / "nope")
    assert "index directory not found" in cli_error(
        "neighbors", "--word", "bank", "--index", str(tmp_path / "nope")
    )


def test_not_an_index(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(IndexStateError, match="not a folder"):
        SenseIndex.open(tmp_path / "file")
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexStateError, match=r"no manifest\.json"):
        SenseIndex.open(tmp_path / "empty")


def test_unfinished_build(built, tmp_path):
    root = built.copy(tmp_path)
    edit_manifest(root, complete=False)
    with pytest.raises(IndexStateError, match="the build is not finished"):
        SenseIndex.open(root)
    assert "run the same `indexer build` command again" in cli_error(
        "neighbors", "--word", "bank", "--index", str(root)
    )


def test_manifest_not_json(built, tmp_path):
    root = built.copy(tmp_path)
    (root / "manifest.json").write_text("{ half", encoding="utf-8")
    assert "manifest is not valid JSON" in cli_error("info", "--index", str(root))


def test_truncated_or_corrupt_vector_file(built, tmp_path):
    root = built.copy(tmp_path)
    path = root / "vectors" / "layer=2" / "part-00000.parquet"
    path.write_bytes(path.read_bytes()[:-64])
    idx = SenseIndex.open(root)
    with pytest.raises(IndexStateError, match=r"file is .* bytes, expected"):
        idx.neighbors("bank", layer=2)
    assert idx.neighbors("bank", layer=1, k=1, limit=1)[0].token == "bank"
    assert "part-00000.parquet: file is" in cli_error(
        "neighbors", "--word", "bank", "--index", str(root)
    )
    scramble(root / "vectors" / "layer=1" / "part-00000.parquet")
    with pytest.raises(IndexStateError, match="vector file is corrupt"):
        SenseIndex.open(root).neighbors("bank", layer=1)


def test_corrupt_lexicon(built, tmp_path):
    root = built.copy(tmp_path)
    scramble(root / "lexicon" / "segment=0" / "lexicon.parquet")
    with pytest.raises(IndexStateError, match="lexicon is corrupt"):
        SenseIndex.open(root).occurrence_ids("bank")
    (root / "lexicon" / "segment=0" / "postings.npy").unlink()
    assert "postings.npy: file is missing" in cli_error(
        "neighbors", "--word", "bank", "--index", str(root)
    )


def test_corrupt_sentence_shard(built, tmp_path):
    root = built.copy(tmp_path)
    for path in (root / "sentences").glob("part-*.parquet"):
        scramble(path)
    with pytest.raises(IndexStateError, match="shard file is corrupt"):
        SenseIndex.open(root).neighbors("bank", k=1, limit=1)
    assert "shard file is corrupt" in cli_error("neighbors", "--word", "bank", "--index", str(root))


def test_corrupt_or_missing_faiss_index(built, tmp_path):
    root = built.copy(tmp_path)
    scramble(root / "index" / "segment=0" / "layer=2.faiss")
    idx = SenseIndex.open(root)
    with pytest.raises(IndexStateError, match="corrupt"):
        idx.neighbors("bank", layer=2, scope="all", occurrence=1)
    assert len(idx.neighbors("bank", layer=2, occurrence=1)) == 10
    data = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    del data["segments"][0]["indexes"]["1"]
    (root / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    assert "layer 1 has no FAISS index" in cli_error(
        "neighbors", "--word", "bank", "--layer", "1", "--scope", "all", "--index", str(root)
    )


def test_other_model_is_refused(built, tmp_path):
    other = make_allennlp_model(tmp_path / "other", seed=1)
    idx = SenseIndex.open(built.path, model=other)
    with pytest.raises(QueryError, match="is not the model this index was built with"):
        idx.neighbors("bank", context=NOTEBOOK[1])
    assert "is not the model this index was built with" in cli_error(
        "neighbors", "--word", "bank", "--context", NOTEBOOK[1], "--index", str(built.path),
        "--model", str(other),
    )  # fmt: skip


def test_moved_model_and_override(built, tmp_path):
    root = built.copy(tmp_path)
    data = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    data["model"]["name"] = str(tmp_path / "moved-away")
    (root / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(QueryError, match=r"cannot load the index's model .*moved-away"):
        SenseIndex.open(root).neighbors("bank", context=NOTEBOOK[1])
    result = SenseIndex.open(root, model=built.model).neighbors("bank", k=1, context=NOTEBOOK[1])
    assert result[0].sentence == NOTEBOOK[1]


def test_cli_reports_bad_queries(built):
    index = str(built.path)
    assert "closest words in the corpus: bank" in cli_error(
        "neighbors", "--word", "bnak", "--index", index
    )
    assert "--layer 5 does not exist: the model has layers 0 to 2" in cli_error(
        "neighbors", "--word", "bank", "--layer", "5", "--index", index
    )
    assert "does not contain 'bank'" in cli_error(
        "neighbors", "--word", "bank", "--context", "the river is wide", "--index", index
    )
    assert "--format must be one of" in cli_error(
        "neighbors", "--word", "bank", "--format", "xml", "--index", index
    )
    assert "--layers must be integers" in cli_error(
        "distances", "--word", "bank", NOTEBOOK[1], "--layers", "a,b", "--index", index
    )
    assert "give sentences" in cli_error("distances", "--index", index)
    assert "mark one word" in cli_error(
        "distances", "the [[bank]] of the [[river]]", "--index", index
    )
