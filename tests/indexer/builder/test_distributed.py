"""``--engine ray`` on a real Ray instance started here (2 CPUs): the same index as a local
build, a worker killed with SIGKILL mid-build, a driver killed and run again, and the refusals."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.builder.pipeline import build
from indexer.errors import ConfigError
from indexer.store.manifest import read_manifest
from query.index import SenseIndex
from tools.sample_corpus import generate

ray = pytest.importorskip("ray", reason="the ray extra is not installed")

SHARD_ROWS = 1000
OPTIONS = {"model": "demo", "shard_rows": SHARD_ROWS, "progress": False}


def files_digest(root: Path) -> dict[str, str]:
    """sha256 of every file of an index directory but its manifest."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != "manifest.json"
    }


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A Ray instance of 2 CPUs for this module; its address."""
    ray.init(
        num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=200 * 2**20
    )
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("ray-corpora")
    out = []
    for i, (n, seed) in enumerate(((700, 1), (300, 2))):
        path = root / f"part-{i}.txt"
        path.write_text("".join(f"{s.text}\n" for s in generate(n, seed)), encoding="utf-8")
        out.append(path)
    return out


@pytest.fixture(scope="module")
def local(corpora: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local") / "index"
    build(corpora, out=str(out), **OPTIONS)
    return out


def test_a_ray_build_is_the_local_build(cluster, corpora, local, tmp_path):
    out = tmp_path / "index"
    report = build(corpora, out=str(out), engine="ray", workers=2, part_shards=2, **OPTIONS)
    assert files_digest(out) == files_digest(local)
    ray_manifest, local_manifest = read_manifest(out), read_manifest(local)
    assert [s.to_dict() for s in ray_manifest.shards] == [
        s.to_dict() for s in local_manifest.shards
    ]
    assert [c.to_dict() for c in ray_manifest.corpora] == [
        c.to_dict() for c in local_manifest.corpora
    ]
    assert len(ray_manifest.segments) == 2 and report.tokens == local_manifest.n_occurrences
    a, b = SenseIndex.open(out), SenseIndex.open(local)
    assert (
        a.neighbors("bank", k=5, limit=3).to_records()
        == b.neighbors("bank", k=5, limit=3).to_records()
    )


def _actor_pids() -> list[int]:
    found = subprocess.run(["pgrep", "-f", "ray::PartEncoder"], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def _wait_for_shards(out: Path, n: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if len(read_manifest(out).shards) >= n:
                return
        except Exception:
            pass
        time.sleep(0.05)
    raise AssertionError(f"no {n} shards recorded in {seconds} s")


def test_a_worker_killed_mid_build_is_restarted_and_the_index_is_the_same(
    cluster, corpora, local, tmp_path
):
    out = tmp_path / "index"
    errors: list[BaseException] = []

    def run() -> None:
        try:
            build(corpora, out=str(out), engine="ray", workers=2, part_shards=1, **OPTIONS)
        except BaseException as err:
            errors.append(err)

    driver = threading.Thread(target=run)
    driver.start()
    _wait_for_shards(out, 2)
    pids = _actor_pids()
    assert pids, "no worker process found"
    os.kill(pids[0], signal.SIGKILL)
    driver.join(timeout=240)
    assert not driver.is_alive() and not errors, errors
    assert len(read_manifest(out).shards) == len(read_manifest(local).shards)
    assert files_digest(out) == files_digest(local)


def test_a_killed_driver_resumes_from_the_recorded_parts(cluster, corpora, local, tmp_path):
    out = tmp_path / "index"
    command = [
        sys.executable, "-m", "indexer.cli", "build", *map(str, corpora), "--out", str(out),
        "--model", "demo", "--shard-rows", str(SHARD_ROWS), "--no-progress",
        "--engine", "ray", "--ray-address", cluster, "--workers", "2", "--part-shards", "1",
    ]  # fmt: skip
    driver = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_shards(out, 3)
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=30)
    recorded = len(read_manifest(out).shards)
    assert 3 <= recorded < len(read_manifest(local).shards)
    report = build(corpora, out=str(out), engine="ray", workers=2, part_shards=1, **OPTIONS)
    assert report.resumed_from_shard >= recorded
    assert files_digest(out) == files_digest(local)


def test_ray_refuses_the_carry_policy_and_a_pipe(corpora, tmp_path):
    with pytest.raises(ConfigError, match="not carry"):
        build(corpora, out=str(tmp_path / "a"), engine="ray", state="carry", **OPTIONS)
    with pytest.raises(ConfigError, match="not stdin"):
        build("-", out=str(tmp_path / "b"), engine="ray", **OPTIONS)


def test_without_ray_the_engine_says_how_to_install_it(corpora, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ConfigError, match=r"pip install 'elmo-sense-index\[ray\]'"):
        build(corpora, out=str(tmp_path / "c"), engine="ray", **OPTIONS)
