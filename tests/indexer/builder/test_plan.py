"""Pure planning: shard cuts, layer choice, settings comparison, start decision."""

from __future__ import annotations

from dataclasses import replace

import pytest

from indexer.builder.plan import (
    decide_start,
    plan_shards,
    resolve_layers,
    settings_changes,
)
from indexer.errors import ConfigError, IndexStateError
from indexer.store.manifest import Manifest
from indexer.store.records import CorpusRecord
from tests.indexer.store.samples import sample_settings


@pytest.mark.parametrize(
    ("lengths", "rows", "multiple", "expected"),
    [
        ([5, 5, 5], 10, 1, [[5, 5], [5]]),
        ([20, 1, 1], 10, 1, [[20], [1, 1]]),
        ([3] * 7, 10, 1, [[3] * 4, [3] * 3]),
        ([3] * 7, 10, 3, [[3] * 6, [3]]),
        ([40, 1, 1, 1, 1], 10, 2, [[40, 1], [1, 1, 1]]),
        ([], 10, 1, []),
    ],
)
def test_plan_shards(lengths, rows, multiple, expected):
    assert list(plan_shards(lengths, int, rows, multiple)) == expected


def test_plan_shards_cuts_depend_only_on_the_items():
    lengths = [(7 * i) % 13 + 1 for i in range(200)]
    whole = list(plan_shards(lengths, int, 50, 4))
    assert [n for shard in whole for n in shard] == lengths
    # Restarting after any complete shard gives the remaining shards unchanged.
    done = sum(len(s) for s in whole[:3])
    assert list(plan_shards(lengths[done:], int, 50, 4)) == whole[3:]


def test_resolve_layers():
    assert resolve_layers(None, 3) == (0, 1, 2)
    assert resolve_layers((2,), 3) == (2,)
    with pytest.raises(ConfigError, match=r"layer 3 does not exist.*0 to 2"):
        resolve_layers((0, 3), 3)


def test_settings_changes_name_each_difference():
    old = {"model": {"identity": "a" * 64, "dim": 8}, "layers": [0, 1], "dtype": "float16"}
    new = {"model": {"identity": "b" * 64, "dim": 8}, "layers": [0, 1], "dtype": "float16"}
    assert settings_changes(old, old) == []
    (change,) = settings_changes(old, new)
    assert change.startswith("model.identity: 'aaaaaaaaaaaaaaaaaaaa...") and "-> 'bbbb" in change
    assert settings_changes({"a": 1}, {"b": 2}) == ["a: 1 -> None", "b: None -> 2"]


def corpus(fingerprint: str = "abc", first_shard: int = 0, done: bool = False, path="a.txt"):
    return CorpusRecord(
        path=path,
        format="text",
        bytes=10,
        fingerprint=fingerprint,
        first_shard=first_shard,
        done=done,
    )


def manifest(settings, *corpora: CorpusRecord, complete: bool = False) -> Manifest:
    return Manifest(settings=settings, corpora=list(corpora or [corpus()]), complete=complete)


def test_decide_start():
    settings = sample_settings(dtype="float16")
    partial = manifest(settings)
    complete = manifest(settings, corpus(done=True), complete=True)
    assert decide_start(None, settings, "abc", resume=False, where="x") == "fresh"
    assert decide_start(partial, settings, "abc", resume=False, where="x") == "resume"
    assert decide_start(partial, settings, "abc", resume=True, where="x") == "resume"
    assert decide_start(complete, settings, "abc", resume=False, where="x") == "done"
    with pytest.raises(IndexStateError, match=r"^x: there is no build to resume"):
        decide_start(None, settings, "abc", resume=True, where="x")
    with pytest.raises(IndexStateError, match="dtype: 'float32' -> 'float16'"):
        decide_start(
            manifest(replace(settings, dtype="float32")), settings, "abc", resume=False, where="x"
        )
    with pytest.raises(IndexStateError, match=r"corpus_fingerprint: 'abc' -> 'xyz'.*--append"):
        decide_start(complete, settings, "xyz", resume=False, where="x")
    with pytest.raises(IndexStateError, match="pipe"):
        decide_start(
            manifest(settings, corpus("stdin")), settings, "stdin", resume=False, where="x"
        )
    piped_done = manifest(settings, corpus("stdin", done=True))
    assert decide_start(piped_done, settings, "stdin", resume=False, where="x") == "resume"


def test_decide_start_of_an_append():
    settings = sample_settings(dtype="float16")
    built = manifest(settings, corpus(done=True), complete=True)
    other_format = replace(settings, reader={"format": "conllu"})

    def start(existing, fingerprint, **options):
        return decide_start(
            existing,
            options.pop("settings", settings),
            fingerprint,
            resume=False,
            where="x",
            append=True,
        )

    assert start(built, "more") == "append"
    assert start(built, "more", settings=other_format) == "append"  # the detected format
    assert start(built, "abc") == "done"  # already the last corpus
    appending = manifest(settings, corpus(done=True), corpus("more", 3, path="b.txt"))
    assert start(appending, "more") == "resume"
    with pytest.raises(IndexStateError, match=r"append of b\.txt is not finished"):
        start(appending, "other")
    with pytest.raises(IndexStateError, match=r"append of b\.txt is not finished.*--append"):
        decide_start(appending, settings, "abc", resume=False, where="x")
    with pytest.raises(IndexStateError, match="the build is not finished"):
        start(manifest(settings), "more")
    with pytest.raises(IndexStateError, match=r"holds no index to append to"):
        start(None, "more")
    with pytest.raises(
        IndexStateError, match=r"cannot be appended \(dtype: 'float16' -> 'float32'"
    ):
        start(built, "more", settings=replace(settings, dtype="float32"))
    with pytest.raises(IndexStateError, match="needs a corpus file"):
        start(built, "stdin")
