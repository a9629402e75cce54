"""The model registry: the bundled registry.toml and the validation of hand-written ones."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from indexer.encoder.registry import (
    BUNDLED_MODELS_DIR,
    REGISTRY_ENV,
    ModelFile,
    default_registry_path,
    load_registry,
)
from indexer.errors import ConfigError, ModelNotFoundError
from indexer.models import real_path

ROOT = Path(__file__).resolve().parents[3]
ELMO_URL = "https://allennlp.s3.amazonaws.com/models/elmo/"
DIGEST = "ab" * 32


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "models.toml"
    path.write_text(text, encoding="utf-8")
    return path


TINY = """
default = "tiny"

[models.tiny]
family = "allennlp"
description = "A tiny model."
dim = 32

[[models.tiny.files]]
url = "http://127.0.0.1:1/m/tiny_options.json"
sha256 = "{digest}"

[[models.tiny.files]]
url = "http://127.0.0.1:1/m/tiny%20weights.hdf5"
name = "weights.hdf5"
sha256 = ""
"""


def test_shipped_registry_lists_the_official_models():
    registry = load_registry()
    assert registry.default == "small"
    assert registry.names() == ["small", "medium", "original", "original-5.5b", "demo"]
    dims = {name: registry.get(name).dim for name in registry.names()}
    assert dims == {
        "small": 256,
        "medium": 512,
        "original": 1024,
        "original-5.5b": 1024,
        "demo": 128,
    }
    small = registry.get("small")
    assert small.family == "allennlp"
    assert small.path is None
    assert small.files == (
        ModelFile(
            "elmo_2x1024_128_2048cnn_1xhighway_options.json",
            ELMO_URL
            + "2x1024_128_2048cnn_1xhighway/elmo_2x1024_128_2048cnn_1xhighway_options.json",
            None,
        ),
        ModelFile(
            "elmo_2x1024_128_2048cnn_1xhighway_weights.hdf5",
            ELMO_URL
            + "2x1024_128_2048cnn_1xhighway/elmo_2x1024_128_2048cnn_1xhighway_weights.hdf5",
            None,
        ),
    )
    big = registry.get("original-5.5b")
    assert [f.name for f in big.files] == [
        "elmo_2x4096_512_2048cnn_2xhighway_5.5B_options.json",
        "elmo_2x4096_512_2048cnn_2xhighway_5.5B_weights.hdf5",
    ]
    assert all(f.url.startswith(ELMO_URL + "2x4096_512_2048cnn_2xhighway_5.5B/") for f in big.files)


def test_demo_entry_points_inside_the_package():
    demo = load_registry().get("demo")
    assert demo.family == "allennlp"
    assert demo.files == ()
    assert demo.description.startswith("A demonstration model trained on the bundled sample corpus")
    assert demo.local_dir == BUNDLED_MODELS_DIR / "demo"
    options = json.loads((BUNDLED_MODELS_DIR / "demo" / "options.json").read_text())
    assert demo.dim == 2 * options["lstm"]["projection_dim"]
    assert ROOT / "indexer" / "models" == BUNDLED_MODELS_DIR


def test_registry_found_inside_the_package_and_overridden_by_env(tmp_path, monkeypatch):
    monkeypatch.delenv(REGISTRY_ENV, raising=False)
    assert default_registry_path() == ROOT / "indexer" / "models" / "registry.toml"
    assert default_registry_path() == BUNDLED_MODELS_DIR / "registry.toml"
    assert not (ROOT / "configs" / "models.toml").exists()  # one copy: the package's
    path = write(tmp_path, TINY.format(digest=DIGEST))
    monkeypatch.setenv(REGISTRY_ENV, str(path))
    assert default_registry_path() == path
    registry = load_registry()
    assert registry.names() == ["tiny"]
    tiny = registry.get("tiny")
    assert tiny.files == (
        ModelFile("tiny_options.json", "http://127.0.0.1:1/m/tiny_options.json", DIGEST),
        ModelFile("weights.hdf5", "http://127.0.0.1:1/m/tiny%20weights.hdf5", None),
    )


def test_checksums_are_lowercased(tmp_path):
    registry = load_registry(write(tmp_path, TINY.format(digest=DIGEST.upper())))
    assert registry.get("tiny").files[0].sha256 == DIGEST


def test_unknown_name_lists_known_names():
    with pytest.raises(ModelNotFoundError) as info:
        load_registry().get("huge")
    message = str(info.value)
    assert "'huge'" in message
    assert "small, medium, original, original-5.5b, demo" in message


def test_bad_toml_names_the_file(tmp_path):
    path = write(tmp_path, "default = \n[models.small\n")
    with pytest.raises(ConfigError) as info:
        load_registry(path)
    assert info.value.path == str(path)
    assert str(info.value).startswith(f"{path}: not valid TOML")


def test_missing_file_names_the_file_and_the_env_var(tmp_path):
    path = tmp_path / "absent.toml"
    with pytest.raises(ConfigError) as info:
        load_registry(path)
    assert info.value.path == str(path)
    assert REGISTRY_ENV in str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ('default = "tiny"', 'default = "other"', "'default' must name one of the models (tiny)"),
        ("dim = 32", "dim = 0", "models.tiny.dim must be a positive integer, got 0"),
        ("dim = 32", 'dim = "32"', "models.tiny.dim must be a positive integer, got '32'"),
        ('family = "allennlp"', "", "models.tiny.family must be a non-empty string, got None"),
        ("dim = 32", "dims = 32", "models.tiny: unknown key 'dims'"),
        ('sha256 = "{digest}"', 'sha256 = "abc"', "models.tiny.files[0].sha256 must be 64 hex"),
        ('sha256 = "{digest}"', "md5 = 1", "models.tiny.files[0]: unknown key 'md5'"),
        ("http://127.0.0.1:1/m/tiny_options", "ftp://h/tiny_options", "must be an http(s) URL"),
        ('name = "weights.hdf5"', 'name = "../x"', "models.tiny.files[1].name must be a plain"),
        ('name = "weights.hdf5"', 'name = "tiny_options.json"', "two files share a name"),
        ("dim = 32", 'dim = 32\npath = "demo"', "needs exactly one of 'files' and 'path'"),
    ],
)
def test_invalid_values_name_file_and_key(tmp_path, old, new, fragment):
    path = write(tmp_path, TINY.replace(old, new).replace("{digest}", DIGEST))
    with pytest.raises(ConfigError) as info:
        load_registry(path)
    assert info.value.path == str(path)
    assert fragment in str(info.value)


def test_model_names_must_be_safe_directory_names(tmp_path):
    path = write(tmp_path, 'default = "a/b"\n[models."a/b"]\nfamily = "allennlp"\n')
    with pytest.raises(ConfigError, match="model name 'a/b' must be letters"):
        load_registry(path)


def test_path_entry_needs_no_files(tmp_path):
    text = 'default = "mine"\n[models.mine]\nfamily = "allennlp"\ndescription = "d"\n'
    text += f'path = "{tmp_path}"\n'
    entry = load_registry(write(tmp_path, text)).get("mine")
    assert entry.local_dir == tmp_path
    assert entry.dim is None


def test_package_data_outside_the_filesystem_is_a_clear_error(tmp_path):
    archive = tmp_path / "site.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("indexer/models/registry.toml", 'default = "demo"\n')
    inside = zipfile.Path(archive, "indexer/models/registry.toml")
    with pytest.raises(ConfigError, match="package data is not a file on disk") as info:
        real_path(inside)
    assert info.value.path == str(inside)
    assert real_path(BUNDLED_MODELS_DIR / "demo") == ROOT / "indexer" / "models" / "demo"
