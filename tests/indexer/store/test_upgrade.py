"""``indexer upgrade``: a format-1 directory (written by the previous version, kept in
``tests/data/format1``) becomes a format-2 one in place, killed at any step or not."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from indexer.builder import BuildConfig, run_build
from indexer.cli import app
from indexer.errors import IndexStateError
from indexer.store import upgrade as upgrade_module
from indexer.store.manifest import read_manifest
from indexer.store.reader import IndexReader
from indexer.store.upgrade import upgrade_index
from indexer.store.verify import verify_index
from tests.indexer.builder.fakes import loader
from tests.indexer.builder.test_build import all_vectors

FORMAT1 = Path(__file__).resolve().parents[2] / "data" / "format1"
CONFIG: dict[str, Any] = {"layers": (0, 2), "shard_rows": 150}


@pytest.fixture
def old(tmp_path) -> Path:
    """A private copy of the format-1 index; its corpus is beside it."""
    shutil.copytree(FORMAT1, tmp_path / "format1")
    return tmp_path / "format1" / "index"


def fresh_build(tmp_path: Path) -> Path:
    out = tmp_path / "fresh"
    run_build(FORMAT1 / "corpus.txt", BuildConfig(out=out, **CONFIG), load_encoder=loader())
    return out


def test_opening_a_format1_directory_names_the_upgrade(old):
    with pytest.raises(IndexStateError, match=r"format version 1.*`indexer upgrade .*`"):
        IndexReader(old)
    with pytest.raises(IndexStateError, match="indexer upgrade"):
        run_build(old.parent / "corpus.txt", BuildConfig(out=old, **CONFIG), load_encoder=loader())


def test_upgrade_converts_in_place_without_re_encoding(old, tmp_path):
    vectors_before = {p.name: p.read_bytes() for p in (old / "vectors" / "layer=2").iterdir()}
    result = CliRunner().invoke(app, ["upgrade", str(old)])
    assert result.exit_code == 0, result.output
    assert "from format version 1 to 2" in result.stdout and "12.1 KiB" in result.stdout
    manifest = read_manifest(old)
    assert manifest.format_version == 2 and manifest.complete
    assert not (old / "matrix").exists()
    assert sorted(p.relative_to(old).as_posix() for p in (old / "lexicon").rglob("*")) == [
        "lexicon/segment=0",
        "lexicon/segment=0/lexicon.parquet",
        "lexicon/segment=0/postings.npy",
    ]
    assert sorted(p.name for p in (old / "index" / "segment=0").iterdir()) == [
        "layer=0.faiss",
        "layer=2.faiss",
    ]
    assert verify_index(old) == []
    assert {p.name: p.read_bytes() for p in (old / "vectors" / "layer=2").iterdir()} == (
        vectors_before
    )

    fresh = fresh_build(tmp_path)
    # Format 1 had no lemma and upos columns; a reader takes them as null, as a fresh build of
    # a plain-text corpus writes them.
    built_occurrences = pd.read_parquet(fresh / "occurrences")
    assert built_occurrences["lemma"].isna().all() and built_occurrences["upos"].isna().all()
    pd.testing.assert_frame_equal(
        pd.read_parquet(old / "occurrences"),
        built_occurrences.drop(columns=["lemma", "upos"]),
    )
    for layer in (0, 2):
        assert np.array_equal(all_vectors(old, layer), all_vectors(fresh, layer))
    upgraded, built = IndexReader(old), IndexReader(fresh)
    assert upgraded.lexicon.tokens == built.lexicon.tokens
    assert upgraded.lexicon.occurrences("bank").tolist() == (
        built.lexicon.occurrences("bank").tolist()
    )
    assert manifest.corpora[0].fingerprint == read_manifest(fresh).corpora[0].fingerprint
    assert manifest.types == read_manifest(fresh).types
    ids = built.lexicon.occurrences("bank")
    assert np.array_equal(upgraded.vectors(2).take(ids), built.vectors(2).take(ids))

    # The upgraded index is a format-2 one: a rerun is done, a corpus can be appended.
    corpus = old.parent / "corpus.txt"
    again = run_build(corpus, BuildConfig(out=old, **CONFIG), load_encoder=loader())
    assert again.already_complete
    more = tmp_path / "more.txt"
    more.write_text("the bank of the river\nmore words here\n", encoding="utf-8")
    run_build(more, BuildConfig(out=old, append=True, **CONFIG), load_encoder=loader())
    assert [s.id for s in read_manifest(old).segments] == [0, 1]
    assert upgrade_index(old).line().endswith("already in format version 2; nothing to do")


@pytest.mark.parametrize("step", ["before the manifest", "after the manifest"])
def test_an_upgrade_killed_at_either_side_of_the_manifest_finishes_when_run_again(
    old, tmp_path, monkeypatch, step
):
    class Killed(BaseException):
        pass

    def die(*args: object) -> None:
        raise Killed

    target = "write_manifest" if step == "before the manifest" else "_remove_legacy"
    monkeypatch.setattr(upgrade_module, target, die)
    with pytest.raises(Killed):
        upgrade_index(old)
    version = json.loads((old / "manifest.json").read_text())["format_version"]
    assert version == (1 if step == "before the manifest" else 2)
    assert (old / "matrix").is_dir() and (old / "lexicon" / "segment=0").is_dir()
    monkeypatch.undo()
    upgrade_index(old)
    assert verify_index(old) == [] and not (old / "matrix").exists()
    assert not (old / "lexicon" / "lexicon.parquet").exists()
    assert not list(old.rglob("*.tmp"))
    reader = IndexReader(old)
    assert reader.lexicon.count("bank") == len(reader.lexicon.occurrences("bank")) > 0


def test_manifests_of_the_first_builds_upgrade(old):
    """The first builds recorded runs without a device and recalls without ``measured``."""
    path = old / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for run in data["runs"]:
        run.pop("device", None)
    for entry in data["indexes"].values():
        entry["recall"].pop("measured", None)
        entry["recall"].pop("candidates", None)
    path.write_text(json.dumps(data), encoding="utf-8")
    upgrade_index(old)
    manifest = read_manifest(old)
    assert [run.device for run in manifest.runs] == [None]
    assert manifest.segments[0].indexes[2].recall.measured is False  # Flat: exact, not measured
    assert "device" not in manifest.runs[0].to_dict()
