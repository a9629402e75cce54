"""Keyword-in-context lines, closest-word suggestions and context parsing (pure functions)."""

from __future__ import annotations

import pytest

from indexer.errors import QueryError
from query.context import locate, model_reference, tokenize
from query.kwic import BOLD, RESET, KwicLine, kwic, kwic_text
from query.render import aligned
from query.words import closest_words


def test_kwic_trims_whole_tokens_to_the_window():
    tokens = "one two three four five bank six seven eight nine ten".split()
    line = kwic(tokens, 5, width=10)
    assert line == KwicLine("… four five", "bank", "six seven …")
    assert kwic(tokens, 5, width=100).render() == " ".join(tokens).replace("bank", "[[bank]]")
    assert kwic(["averyveryverylongword", "bank"], 1, width=3).left == "averyveryverylongword"
    with pytest.raises(IndexError):
        kwic(tokens, 11)


def test_render_bold_and_fallback():
    assert KwicLine("the", "bank", "").render(bold=True) == f"the {BOLD}bank{RESET}"
    assert kwic_text("the bank", 1, "bank") == KwicLine("the", "bank", "")
    # a token held a space ("New York"): the word is found in the text at or after its position
    assert kwic_text("New York bank", 1, "bank") == KwicLine("New York", "bank", "")
    assert kwic_text("New York and New York", 2, "New York") == KwicLine(
        "New York and", "New York", ""
    )
    long = " ".join(["w"] * 30) + " New York " + " ".join(["v"] * 30)
    line = kwic_text(long, 30, "New York", width=9)
    assert line == KwicLine("… w w w w w", "New York", "v v v v v …")
    assert kwic_text("New York bank", 1, "Paris") == KwicLine("New York bank", "Paris", "")


def test_aligned_keywords_share_a_column():
    lines = aligned([KwicLine("a b c", "x", "d"), KwicLine("", "x", "e"), KwicLine("z", "x", "")])
    assert [line.index("[[x]]") for line in lines] == [6, 6, 6]


def test_closest_words():
    vocabulary = ["bank", "banks", "Bank", "river", "tank", "money"]
    assert closest_words("bnak", vocabulary)[:2] == ["bank", "banks"]
    assert closest_words("BANK", vocabulary)[:2] == ["Bank", "bank"]
    assert closest_words("zzzzzzzz", vocabulary) == []
    assert len(closest_words("bank", [f"bank{i}" for i in range(100)], n=5)) == 5


def test_tokenize_and_locate():
    assert tokenize(["a", "b"]) == ["a", "b"]
    assert locate(["the", "bank", "bank"], "bank") == 1
    assert locate(["the", "bank", "bank"], "bank", 2) == 2
    with pytest.raises(QueryError, match="does not contain"):
        locate(["the"], "bank")


def test_model_reference_prefers_override_then_name(built):
    from indexer.store import read_manifest

    manifest = read_manifest(built.path)
    assert model_reference(manifest, "elsewhere") == "elsewhere"
    assert model_reference(manifest, None) == str(built.model)
    manifest.model.clear()
    with pytest.raises(QueryError, match="records no model"):
        model_reference(manifest, None)
