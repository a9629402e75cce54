"""ElmoForManyLangs folders: token mapping, config resolution, bad files, end-to-end parity.

The elmoformanylangs package is the oracle here; the library itself never imports it.
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from elmoformanylangs import Embedder
from elmoformanylangs.elmo import read_list
from elmoformanylangs.frontend import create_one_batch

import indexer
from indexer.encoder.efml import is_efml_folder, load_efml
from indexer.encoder.efml_config import BUNDLED_CONFIG_NAMES, BUNDLED_CONFIGS, resolve_config_path
from indexer.encoder.efml_mapper import EfmlMapper, read_lexicon
from indexer.encoder.encoder import Encoder
from indexer.encoder.loader import load_encoder
from indexer.errors import ModelFormatError
from tests.indexer.encoder.efml_fixtures import CONFIG_NAME, SPECIALS, make_efml_folder

#: Ordinary, unknown-character, over-long (max_chars 12 keeps 10), boundary-lookalike and
#: non-ASCII tokens, in sentences of different lengths.
SENTENCES = [
    ["the", "cat", "sat", "on", "a", "mat", "."],
    ["alma", "körte", "ő", "über", "Ábel"],
    ["abcdefghijklmnop", "ßq", "x"],
    ["abcdefghijklmnopő", "<bos>", "<eos>", "a\u3000b", "", "ж"],
    ["á"],
    ["the", "the", "cat", "the", "mat", "on", "the", "mat", ".", "a", "cat", "sat"],
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_efml_folder(tmp_path_factory.mktemp("efml"))


def cpu_embedder(folder: Path) -> Embedder:
    """The package's Embedder, kept on the CPU (it takes CUDA whenever it is available)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(torch.cuda, "is_available", lambda: False)
        return Embedder(str(folder))


@pytest.fixture(scope="module")
def embedder(folder: Path) -> Embedder:
    return cpu_embedder(folder)


def _oracle_rows(sentences, word2id, char2id, config):
    """(words, chars) per sentence, boundaries included, from the package's own batching.

    The batch is sorted longest first beforehand, as ``sents2elmo`` does (``create_one_batch``
    pairs its own sort with the wrong lengths, so it is only right on a sorted batch).
    """
    data, _ = read_list(sentences, config["token_embedder"]["max_characters_per_token"])
    order = sorted(range(len(data)), key=lambda i: -len(data[i]))
    words, chars, lens, _ = create_one_batch([data[i] for i in order], word2id, char2id, config)
    out = {}
    for row, i in enumerate(order):
        assert lens[row] == len(sentences[i]) + 2
        w = None if words is None else words[row, : lens[row]].numpy()
        out[i] = (w, chars[row, : lens[row]].numpy())
    return [out[i] for i in range(len(data))]


def _our_rows(mapper: EfmlMapper, sentence):
    bound_c = mapper.boundary_char_ids()
    chars = np.concatenate([bound_c[:1], mapper.char_ids(sentence), bound_c[1:]])
    if not mapper.has_words:
        return None, chars
    bound_w = mapper.boundary_word_ids()
    words = np.concatenate([bound_w[:1], mapper.word_ids(sentence), bound_w[1:]])
    return words, chars


def test_library_does_not_import_the_package() -> None:
    for path in Path(indexer.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n.split(".")[0] == "elmoformanylangs" for n in names), path


# -- (a) token mapping ---------------------------------------------------------------------


def test_vocabularies_read_as_the_package_reads_them(folder: Path, embedder: Embedder) -> None:
    model = load_efml(folder)
    assert model.mapper.char2id == embedder.char_lexicon
    assert model.mapper.word2id == embedder.word_lexicon
    assert "\u3000" in model.mapper.char2id  # written as "\u3000\t<id>", stripped to one field
    assert model.mapper.max_chars == 12 and model.mapper.has_words


def test_mapper_matches_create_one_batch(folder: Path, embedder: Embedder) -> None:
    mapper = load_efml(folder).mapper
    expected = _oracle_rows(
        SENTENCES, embedder.word_lexicon, embedder.char_lexicon, embedder.config
    )
    for sentence, (words, chars) in zip(SENTENCES, expected, strict=True):
        our_words, our_chars = _our_rows(mapper, sentence)
        np.testing.assert_array_equal(our_chars, chars, err_msg=str(sentence))
        np.testing.assert_array_equal(our_words, words, err_msg=str(sentence))


def test_mapper_rows_spelled_out(folder: Path) -> None:
    mapper = load_efml(folder).mapper
    c, pad = mapper.char2id, mapper.char2id["<pad>"]
    # begin and end of word swapped, as the package's batching code has them
    row = [c["<eow>"], c["c"], c["a"], c["t"], c["<bow>"]] + [pad] * 7
    assert mapper.char_ids(["cat"]).tolist() == [row]
    bos = [c["<eow>"], c["<bos>"], c["<bow>"]] + [pad] * 9
    assert mapper.boundary_char_ids()[0].tolist() == bos
    assert mapper.char_ids(["<bos>"]).tolist() == [bos]
    long = mapper.char_ids(["abcdefghijklmnop", "ßb"])
    assert long[0, -1] == c["<bow>"] and long[0, 10] == c["j"]
    assert long[1, :4].tolist() == [c["<eow>"], c["<oov>"], c["b"], c["<bow>"]]
    w = mapper.word2id
    assert w is not None
    # the truncated form is what is looked up
    assert mapper.word_ids(["abcdefghijklmnop", "cat", "zzz"]).tolist() == [
        w["abcdefghij"], w["cat"], w["<oov>"]
    ]  # fmt: skip


def test_boundary_word_falls_back_to_oov(embedder: Embedder) -> None:
    word2id = {t: i for t, i in embedder.word_lexicon.items() if t != "<eos>"}
    mapper = EfmlMapper(embedder.char_lexicon, word2id, 12)
    assert mapper.boundary_word_ids().tolist() == [word2id["<bos>"], word2id["<oov>"]]
    expected = _oracle_rows(SENTENCES[:2], word2id, embedder.char_lexicon, embedder.config)
    for sentence, (words, _) in zip(SENTENCES[:2], expected, strict=True):
        np.testing.assert_array_equal(_our_rows(mapper, sentence)[0], words)


def test_char_only_model(tmp_path: Path) -> None:
    folder = make_efml_folder(tmp_path, word_dim=0)
    model = load_efml(folder)
    assert not model.mapper.has_words and model.weights.token.word_embedding is None
    with pytest.raises(NotImplementedError):
        model.mapper.word_ids(["a"])
    embedder = cpu_embedder(folder)
    expected = _oracle_rows(SENTENCES, None, embedder.char_lexicon, embedder.config)
    for sentence, (_, chars) in zip(SENTENCES, expected, strict=True):
        np.testing.assert_array_equal(_our_rows(model.mapper, sentence)[1], chars)


def test_dic_lines_split_like_codecs(tmp_path: Path) -> None:
    path = tmp_path / "char.dic"
    path.write_bytes("a\t0\r\n\u3000\t1\nb\t2\r<oov>\t3\n<pad>\t4\n".encode())
    assert read_lexicon(path, ["<oov>"]) == {"a": 0, "\u3000": 1, "b": 2, "<oov>": 3, "<pad>": 4}
    path.write_bytes("a\t0\n\u2028\t1\n".encode())  # U+2028 ends a line for codecs too
    with pytest.raises(ModelFormatError) as err:
        read_lexicon(path, [])
    assert err.value.path == str(path) and err.value.line == 2


# -- (b) config resolution -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("in_folder", "absolute"), [(True, False), (True, True), (False, False), (False, True)]
)
def test_config_path_resolution(tmp_path: Path, in_folder: bool, absolute: bool) -> None:
    folder = make_efml_folder(tmp_path, config_in_folder=in_folder, absolute_config_path=absolute)
    config_path = json.loads((folder / "config.json").read_text())["config_path"]
    assert os.path.isabs(config_path) == absolute
    resolved = resolve_config_path(folder, config_path)
    expected_dir = folder if in_folder else tmp_path / "efml-model-configs"
    assert resolved.resolve() == (expected_dir / CONFIG_NAME).resolve()
    if in_folder and absolute:
        assert not Path(config_path).exists()  # the fallback to the folder's own copy
    assert load_efml(folder).config == cpu_embedder(folder).config


def test_config_path_given_wins_over_folder_copy(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for where in (tmp_path / "sub", tmp_path):
        (where / "c.json").write_text("{}")
    assert resolve_config_path(tmp_path, "sub/c.json") == tmp_path / "sub" / "c.json"
    assert resolve_config_path(tmp_path, "/nowhere/c.json") == tmp_path / "c.json"


def test_bundled_configs_are_the_package_copies(tmp_path: Path) -> None:
    import elmoformanylangs

    package = Path(elmoformanylangs.__file__).parent / "configs"
    assert sorted(p.name for p in package.glob("*.json")) == sorted(BUNDLED_CONFIG_NAMES)
    for name in BUNDLED_CONFIG_NAMES:
        assert (BUNDLED_CONFIGS / name).read_bytes() == (package / name).read_bytes()
        # the published English model's config.json says "configs/<name>", not in the folder
        assert resolve_config_path(tmp_path, f"configs/{name}") == BUNDLED_CONFIGS / name
    with pytest.raises(ModelFormatError):
        resolve_config_path(tmp_path, "__init__.py")  # only the package's config files


def test_missing_config_names_folder_and_path(tmp_path: Path) -> None:
    folder = make_efml_folder(tmp_path)
    (folder / CONFIG_NAME).unlink()
    with pytest.raises(ModelFormatError) as err:
        load_efml(folder)
    assert err.value.path == str(folder) and CONFIG_NAME in str(err.value)


# -- (c) bad folders -----------------------------------------------------------------------


def test_is_efml_folder(tmp_path: Path, folder: Path) -> None:
    assert is_efml_folder(folder)
    assert not is_efml_folder(folder / "config.json")
    assert not is_efml_folder(tmp_path)


@pytest.mark.parametrize("name", ["token_embedder.pkl", "encoder.pkl"])
def test_missing_or_corrupt_pickle(tmp_path: Path, name: str) -> None:
    folder = make_efml_folder(tmp_path)
    data = (folder / name).read_bytes()
    (folder / name).write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFormatError) as err:
        load_efml(folder)
    assert err.value.path == str(folder / name)
    (folder / name).unlink()
    with pytest.raises(ModelFormatError) as err:
        load_efml(folder)
    assert err.value.path == str(folder / name)


def _edit_state(path: Path, edit) -> None:
    state = torch.load(path, weights_only=True)
    edit(state)
    torch.save(state, path)


@pytest.mark.parametrize(
    ("name", "key", "edit", "says"),
    [
        ("encoder.pkl", "forward_layer_1.state_projection.weight", "shape", "(8, 12)"),
        ("token_embedder.pkl", "convolutions.2.weight", "shape", "(8, 5, 3)"),
        ("token_embedder.pkl", "highways._layers.1.bias", "drop", "missing"),
        ("encoder.pkl", "backward_layer_0.state_linearity.bias", "drop", "missing"),
        ("encoder.pkl", "forward_layer_2.state_linearity.bias", "add", "unexpected"),
    ],
)
def test_state_dict_disagreeing_with_config(
    tmp_path: Path, name: str, key: str, edit: str, says: str
) -> None:
    folder = make_efml_folder(tmp_path)

    def change(state: dict) -> None:
        if edit == "shape":
            state[key] = state[key][:-1]
        elif edit == "drop":
            del state[key]
        else:
            state[key] = torch.zeros(3)

    _edit_state(folder / name, change)
    with pytest.raises(ModelFormatError) as err:
        load_efml(folder)
    assert err.value.path == str(folder / name)
    assert key in str(err.value) and says in str(err.value)


class _Payload:
    """Unpickling this runs os.mkdir: exactly what weights_only must refuse."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def test_pickle_with_code_is_refused(tmp_path: Path) -> None:
    folder = make_efml_folder(tmp_path)
    marker = tmp_path / "code-ran"
    state = torch.load(folder / "encoder.pkl", weights_only=True)
    state["payload"] = _Payload(marker)
    torch.save(state, folder / "encoder.pkl")
    with pytest.raises(ModelFormatError) as err:
        load_efml(folder)
    assert err.value.path == str(folder / "encoder.pkl")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("section", "key", "value", "says"),
    [
        ("token_embedder", "name", "lstm", "unsupported token_embedder.name 'lstm'"),
        ("encoder", "name", "lstm", "unsupported encoder.name 'lstm'"),
        ("token_embedder", "activation", "gelu", "unsupported token_embedder.activation"),
        ("token_embedder", "max_characters_per_token", 5, "max_characters_per_token"),
        ("encoder", "dim", "big", "encoder.dim"),
        ("encoder", "n_layers", None, "missing encoder.n_layers"),
    ],
)
def test_bad_model_config(tmp_path: Path, section: str, key: str, value, says: str) -> None:
    folder = make_efml_folder(tmp_path)
    config = json.loads((folder / CONFIG_NAME).read_text())
    if value is None:
        del config[section][key]
    else:
        config[section][key] = value
    (folder / CONFIG_NAME).write_text(json.dumps(config))
    with pytest.raises(ModelFormatError) as err:
        load_efml(folder)
    assert err.value.path == str(folder / CONFIG_NAME) and says in str(err.value)


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("a\t0\nb\t1\tx\n", 2, "token<TAB>id"),
        ("a\t0\n\nb\t1\n", 2, "token<TAB>id"),
        ("a\tzero\n", 1, "token<TAB>id"),
        ("a\t0\n<oov>\t1\n", None, "missing required entries"),
        ("".join(f"{t}\t{i + 1}\n" for i, t in enumerate(SPECIALS)), None, "out of range"),
    ],
)
def test_bad_char_dic(tmp_path: Path, text: str, line: int | None, says: str) -> None:
    folder = make_efml_folder(tmp_path)
    (folder / "char.dic").write_text(text, encoding="utf-8")
    with pytest.raises(ModelFormatError) as err:
        load_efml(folder)
    assert err.value.path == str(folder / "char.dic") and err.value.line == line
    assert says in str(err.value)


def test_identity(tmp_path: Path) -> None:
    one = load_efml(make_efml_folder(tmp_path, name="one")).identity
    assert len(one) == 64
    assert load_efml(make_efml_folder(tmp_path, name="two")).identity == one
    assert load_efml(make_efml_folder(tmp_path, seed=1, name="three")).identity != one
    edited = make_efml_folder(tmp_path, name="four")
    with (edited / "char.dic").open("a", encoding="utf-8") as out:
        out.write("<oov>\t41\n")  # a duplicate entry: same vocabulary size, other ids
    assert load_efml(edited).identity != one


# -- (d) end to end ------------------------------------------------------------------------


@pytest.mark.parametrize("word_dim", [6, 0])
def test_encoder_matches_elmoformanylangs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, word_dim: int
) -> None:
    folder = make_efml_folder(tmp_path, word_dim=word_dim)
    clipped = {"cell": False, "proj": False}
    clamp = torch.clamp

    def spy(x: torch.Tensor, low: float, high: float) -> torch.Tensor:
        kind = "cell" if x.shape[-1] == 12 else "proj"  # cell_dim 12, proj_dim 8
        clipped[kind] |= bool((x.abs() > high).any())
        return clamp(x, low, high)

    with monkeypatch.context() as patch:
        patch.setattr(torch, "clamp", spy)
        # one batch (< 64 sentences) from a fresh Embedder: zero initial state
        expected = cpu_embedder(folder).sents2elmo(SENTENCES, output_layer=-2)
    assert clipped == {"cell": True, "proj": True}  # the fixture exercises both clips

    model = load_efml(folder)
    encoder = Encoder.from_parts(
        model.weights, model.mapper, model.identity, "elmoformanylangs", state="zero"
    )
    ours = encoder.embed_batch(SENTENCES)
    for sentence, want, got in zip(SENTENCES, expected, ours, strict=True):
        assert got.shape == want.shape == (3, len(sentence), 16)
        assert np.abs(got - want).max() < 1e-5, sentence


def test_load_encoder_detects_the_folder(folder: Path) -> None:
    encoder = load_encoder(folder, state="zero", device="cpu")
    model = load_efml(folder)
    direct = Encoder.from_parts(
        model.weights, model.mapper, model.identity, "elmoformanylangs", state="zero"
    )
    assert encoder.identity == model.identity
    for got, want in zip(
        encoder.embed_batch(SENTENCES), direct.embed_batch(SENTENCES), strict=True
    ):
        np.testing.assert_array_equal(got, want)
