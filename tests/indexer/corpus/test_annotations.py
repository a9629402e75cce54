"""Lemmas, parts of speech and metadata fields of the corpus's sentences; text field values."""

from __future__ import annotations

import doctest
import random
from pathlib import Path

import pytest

from indexer.corpus import Sentence, json_value, parse_value, values
from indexer.errors import CorpusError


def word(index: int | str, form: str, lemma: str = "_", upos: str = "_") -> str:
    return f"{index}\t{form}\t{lemma}\t{upos}\t_\t_\t_\t_\t_\t_\n"


ANNOTATED = (
    "# newdoc id = a\n"
    "# meta::author = Ann Lee\n"
    "# meta::year = 2019\n"
    "# meta::score = 3.5\n"
    "# meta::public = true\n"
    "# meta::zip = 02134\n"
    "# sent_id = a1\n"
    + word(1, "I", "I", "PRON")
    + word("2-3", "can't")
    + word(2, "ca", "can", "AUX")
    + word(3, "n't", "not", "PART")
    + word("3.1", "go", "go", "VERB")
    + word(4, "go", "_", "VERB")
    + word(5, ".", ".", "_")
    + "\n# sent_id = a2\n"
    + word(1, "Yes", "yes", "INTJ")
    + "\n# newdoc id = b\n"
    + "# meta::author = Bo\n"
    + "# meta::url = http://x.org/?q=1\n"
    + word(1, "No", "no", "INTJ")
    + "\n# newdoc id = c\n"
    + word(1, "Ok", "ok", "INTJ")
)


def test_conllu_lemmas_and_upos_skip_ranges_and_empty_nodes(make_corpus, read_corpus):
    sentences, _ = read_corpus(make_corpus("c.conllu", ANNOTATED))
    assert [(s.tokens, s.lemmas, s.upos) for s in sentences] == [
        (
            ("I", "ca", "n't", "go", "."),
            ("I", "can", "not", None, "."),
            ("PRON", "AUX", "PART", "VERB", None),
        ),
        (("Yes",), ("yes",), ("INTJ",)),
        (("No",), ("no",), ("INTJ",)),
        (("Ok",), ("ok",), ("INTJ",)),
    ]


def test_conllu_meta_lines_give_each_document_its_fields(make_corpus, read_corpus):
    sentences, _ = read_corpus(make_corpus("c.conllu", ANNOTATED))
    first = {"author": "Ann Lee", "year": 2019, "score": 3.5, "public": True, "zip": "02134"}
    assert [(s.doc_id, s.fields) for s in sentences] == [
        ("a", first),
        ("a", first),
        ("b", {"author": "Bo", "url": "http://x.org/?q=1"}),
        ("c", None),
    ]
    assert sentences[0].fields is sentences[1].fields
    assert [type(v) for v in sentences[0].fields.values()] == [str, int, float, bool, str]


def test_conllu_meta_before_newdoc_and_in_mid_document(make_corpus, read_corpus):
    text = (
        "# meta::genre = news\n# newdoc id = a\n"
        + word(1, "x")
        + "\n"
        + word(1, "y")
        + "\n# meta::genre = blog\n# meta::n = \n"
        + word(1, "z")
        + "\n# newdoc id = gone\n# meta::lost = 1\n\n# newdoc id = b\n"
        + word(1, "w")
        + "\n# meta::n = 4\n\n"  # a comment-only block sets the field of the next sentence
        + word(1, "v")
    )
    sentences, stats = read_corpus(make_corpus("c.conllu", text))
    assert [(s.tokens, s.doc_id, s.fields) for s in sentences] == [
        (("x",), "a", {"genre": "news"}),
        (("y",), "a", {"genre": "news"}),
        (("z",), "a", {"genre": "blog"}),
        (("w",), "b", None),
        (("v",), "b", {"n": 4}),
    ]
    assert sentences[0].fields is sentences[1].fields
    assert stats.empty == 2


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ("# meta::author Ann", "meta line without ' = ' between key and value: 'author Ann'"),
        ("# meta:: = Ann", "meta line with an empty key"),
    ],
)
def test_malformed_meta_line_names_file_and_line(make_corpus, read_corpus, meta, message):
    path = make_corpus("bad.conllu", word(1, "a") + "\n# newdoc id = d\n" + meta + "\n")
    with pytest.raises(CorpusError, match=message) as caught:
        read_corpus(path)
    assert (caught.value.path, caught.value.line) == (str(path), 4)


def test_split_windows_keep_lemmas_aligned_and_fields(make_corpus, read_corpus):
    forms = ["w0", "w1", "longword", "w3", "w4"]
    lemmas = ["l0", "_", "long", "l3", "l4"]
    pairs = enumerate(zip(forms, lemmas, strict=True))
    body = "".join(word(i + 1, form, lemma, "X") for i, (form, lemma) in pairs)
    text = "# newdoc id = D\n# meta::k = v\n# sent_id = s\n" + body
    sentences, stats = read_corpus(
        make_corpus("c.conllu", text), max_sentence_tokens=2, max_token_chars=4
    )
    assert sentences == [
        Sentence(("w0", "w1"), "D", "s#w0", 1, ("l0", None), ("X", "X"), {"k": "v"}),
        Sentence(("long", "w3"), "D", "s#w1", 1, ("long", "l3"), ("X", "X"), {"k": "v"}),
        Sentence(("w4",), "D", "s#w2", 1, ("l4",), ("X",), {"k": "v"}),
    ]
    assert sentences[0].fields is sentences[2].fields
    assert (stats.split_long, stats.truncated_tokens) == (1, 1)


def random_conllu(seed: int, sentences: int) -> str:
    """Sentences of words with random lemmas and UPOS, some ``_``, ranges and empty nodes."""
    rng = random.Random(seed)
    lemmas, tags = ["bank", "run", "_", "be"], ["NOUN", "VERB", "_", "AUX"]
    blocks = []
    for number in range(sentences):
        lines = [f"# sent_id = {number}\n"]
        for index in range(1, rng.randint(1, 12) + 1):
            if rng.random() < 0.15:
                lines.append(word(f"{index}-{index + 1}", "mw", rng.choice(lemmas)))
            lines.append(word(index, f"f{index}", rng.choice(lemmas), rng.choice(tags)))
            if rng.random() < 0.1:
                lines.append(word(f"{index}.1", "e", "bank", "NOUN"))
        blocks.append("".join(lines))
    return "\n".join(blocks)


def words_with_lemma_and_pos(
    path: Path, lemma: str | None, upos: str | None
) -> list[tuple[int, int]]:
    """(sentence index, position) of each word with this LEMMA and UPOS (None: any), read
    directly."""
    found = []
    sentence, position, in_words = -1, 0, False
    for line in path.read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            in_words = False
            continue
        if line.startswith("#"):
            continue
        columns = line.split("\t")
        if "-" in columns[0] or "." in columns[0]:
            continue
        if not in_words:
            sentence, position, in_words = sentence + 1, 0, True
        if lemma in (None, columns[2]) and upos in (None, columns[3]):
            found.append((sentence, position))
        position += 1
    return found


@pytest.mark.parametrize(("lemma", "upos"), [("bank", "NOUN"), ("run", "VERB"), ("be", "_")])
def test_lemma_and_pos_lookup_matches_a_direct_reading(make_corpus, read_corpus, lemma, upos):
    path = make_corpus("r.conllu", random_conllu(seed=11, sentences=80))
    sentences, _ = read_corpus(path)
    want_upos = None if upos == "_" else upos
    found = [
        (index, position)
        for index, sentence in enumerate(sentences)
        for position, pair in enumerate(zip(sentence.lemmas, sentence.upos, strict=True))
        if pair == (lemma, want_upos)
    ]
    expected = words_with_lemma_and_pos(path, lemma, upos)
    assert found == expected and len(expected) > 5
    split, _ = read_corpus(path, max_sentence_tokens=3)
    joined: dict[int, list[str | None]] = {}
    for window in split:
        joined.setdefault(window.source_line, []).extend(window.lemmas)
    assert list(joined.values()) == [list(s.lemmas) for s in sentences]


def test_jsonl_fields_of_every_type_nulls_dropped_nested_as_json(make_corpus, read_corpus):
    text = "\n".join(
        [
            '{"tokens": ["a"], "id": 1, "doc_id": "D", "year": 2019, "score": 0.5,'
            ' "ok": false, "date": "2020-01-02", "gone": null,'
            ' "tags": ["x", "é"], "who": {"b": 1, "a": [true, null]}}',
            '{"tokens": ["b"], "doc_id": "D"}',
            '{"tokens": ["c"], "gone": null}',
        ]
    )
    sentences, _ = read_corpus(make_corpus("c.jsonl", text))
    assert sentences[0].fields == {
        "year": 2019,
        "score": 0.5,
        "ok": False,
        "date": "2020-01-02",
        "tags": '["x","é"]',
        "who": '{"a":[true,null],"b":1}',
    }
    assert [type(v) for v in sentences[0].fields.values()] == [int, float, bool, str, str, str]
    assert [s.fields for s in sentences[1:]] == [None, None]
    assert [(s.lemmas, s.upos) for s in sentences] == [(None, None)] * 3


def test_text_has_no_annotations(make_corpus, read_corpus):
    sentences, _ = read_corpus(make_corpus("c.txt", "a b\n"))
    assert sentences == [Sentence(("a", "b"), "d0", None, 1, None, None, None)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", 12),
        (" -3 ", -3),
        ("+0", 0),
        ("00", "00"),
        ("007", "007"),
        ("-01", "-01"),
        ("2.50", 2.5),
        ("1E-2", 0.01),
        ("5.", 5.0),
        ("NaN", "NaN"),
        ("-Infinity", "-Infinity"),
        ("1_000", "1_000"),
        ("TRUE", True),
        (" False ", False),
        ("2024-05-01", "2024-05-01"),
        ("0x10", "0x10"),
    ],
)
def test_parse_value(text, value):
    parsed = parse_value(text)
    assert (parsed, type(parsed)) == (value, type(value))


def test_json_value():
    assert json_value(1.0) == 1.0 and type(json_value(1.0)) is float
    assert json_value([]) == "[]" and json_value({}) == "{}"
    assert json_value([{"z": 1, "a": "ü"}]) == '[{"a":"ü","z":1}]'


def test_doctests():
    result = doctest.testmod(values)
    assert (result.failed, result.attempted > 0) == (0, True)
