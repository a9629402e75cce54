"""A wheel of the checkout, installed into a fresh virtual environment, works from any folder.

The wheel is built from a copy of the sources (so no stale ``build/`` of the checkout leaks in)
and installed with ``--no-deps``; the dependencies are those of the running interpreter, reached
through a ``.pth`` line naming its site-packages (a plain path line, so the editable install's
own ``.pth`` finder there is not run and the checkout is not importable). No network is used.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "indexer", "query", "tools")
"""What is copied to build the wheel; ``tools`` too, to check that the wheel leaves it out."""
SENTENCES = 200
TIMEOUT_S = 300


@dataclass(frozen=True)
class Install:
    """A fresh virtual environment with the wheel installed, and how to run its commands."""

    wheel: Path
    venv: Path
    site_packages: Path
    env: dict[str, str]
    work: Path

    def run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        """Run ``args`` (the first one a name in the venv's bin/) in ``work``; must exit 0."""
        command = [str(self.venv / "bin" / args[0]), *map(str, args[1:])]
        return _run(command, cwd=self.work, env=self.env)


def _run(
    command: list[str], *, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    assert result.returncode == 0, f"{command} exited {result.returncode}:\n{result.stderr}"
    return result


def _dependency_dirs() -> list[str]:
    """The running interpreter's site-packages, where the dependencies are installed."""
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([*site.getsitepackages(), paths["purelib"], paths["platlib"]]))


@pytest.fixture(scope="module")
def install(tmp_path_factory: pytest.TempPathFactory) -> Install:
    for module in ("pip", "venv"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"the {module} module is not available to {sys.executable}")
    tmp = tmp_path_factory.mktemp("install")
    source = tmp / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "-q"]
    wheels = tmp / "wheels"
    build = ["wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(wheels)]
    _run([*pip, *build, str(source)], cwd=tmp)
    (wheel,) = wheels.glob("elmo_sense_index-*.whl")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp)
    python = str(venv / "bin" / "python")
    _run([*pip, "--python", python, "install", "--no-deps", "--no-index", str(wheel)], cwd=tmp)
    where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site_packages = Path(_run([python, "-c", where], cwd=tmp).stdout.strip())
    (site_packages / "dependencies.pth").write_text("\n".join(_dependency_dirs()) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.pop("ELMO_INDEX_REGISTRY", None)
    env.update(PYTHONNOUSERSITE="1", ELMO_INDEX_CACHE=str(tmp / "cache"), VIRTUAL_ENV=str(venv))
    work = tmp / "work"
    work.mkdir()
    return Install(wheel, venv, site_packages, env, work)


def test_the_wheel_ships_the_run_time_data_and_not_the_tools(install):
    names = set(zipfile.ZipFile(install.wheel).namelist())
    demo = "indexer/models/demo/"
    assert {
        "indexer/py.typed",
        "query/py.typed",
        "indexer/models/registry.toml",
        f"{demo}options.json",
        f"{demo}weights.hdf5",
        f"{demo}metadata.json",
        f"{demo}README.md",
        "indexer/encoder/efml_configs/cnn_0_100_512_4096_sample.json",
        "indexer/encoder/efml_configs/cnn_50_100_512_4096_sample.json",
    } <= names
    assert (ROOT / demo / "weights.hdf5").read_bytes() == zipfile.ZipFile(install.wheel).read(
        f"{demo}weights.hdf5"
    )
    dist_info = "-".join(install.wheel.name.split("-")[:2]) + ".dist-info"
    assert {name.split("/")[0] for name in names} == {"indexer", "query", dist_info}
    assert not [name for name in names if "sample_" in name or name.endswith("train/demo.py")]


def test_the_fresh_environment_imports_the_installed_copy(install):
    code = (
        "import importlib.util, indexer, query\n"
        "from indexer.encoder.registry import default_registry_path, load_registry\n"
        "print(indexer.__file__, query.__file__, default_registry_path(),"
        " load_registry().get('demo').local_dir, importlib.util.find_spec('tools'), sep='\\n')"
    )
    lines = install.run("python", "-c", code).stdout.splitlines()
    site_packages = install.site_packages
    assert lines == [
        str(site_packages / "indexer" / "__init__.py"),
        str(site_packages / "query" / "__init__.py"),
        str(site_packages / "indexer" / "models" / "registry.toml"),
        str(site_packages / "indexer" / "models" / "demo"),
        "None",
    ]
    assert not any(line.startswith(str(ROOT)) for line in lines)


def test_build_query_and_list_models_from_another_folder(install):
    lines = (ROOT / "configs/sample/corpus.txt").read_text(encoding="utf-8").splitlines()
    lines = lines[:SENTENCES]
    (install.work / "corpus.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    tokens = sum(len(line.split()) for line in lines)
    built = install.run("indexer", "build", "corpus.txt", "--model", "demo", "--out", "idx")
    assert f"corpus: {SENTENCES} sentences, {tokens:,} tokens, 1 document" in built.stdout
    assert "128-dim float16 vectors, layers 0,1,2" in built.stdout
    assert (install.work / "idx" / "manifest.json").is_file()

    neighbors = ["neighbors", "--word", "bank", "--layer", "2", "--index", "idx"]
    found = install.run("query", *neighbors, "-k", "3", "--limit", "2")
    assert "'bank' on layer 2, 3 nearest, scope same-word" in found.stdout
    assert found.stdout.count("[[bank]]") == 2 * (1 + 3)  # two queries, three hits each

    listed = install.run("indexer", "models", "list").stdout
    assert re.search(r"^small \(default\)\s+256\s+no\s", listed, re.MULTILINE), listed
    assert re.search(r"^demo\s+128\s+bundled\s+A demonstration model", listed, re.MULTILINE)
