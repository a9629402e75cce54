"""A user's mistake on the query command line is one line naming the option as typed and what
to do: the library names its parameter, the command line its option."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.errors import QueryError
from query import SenseIndex
from tests.query.test_errors import cli_error


def test_a_check_made_in_the_library_names_the_option(built):
    index = str(built.path)
    assert cli_error("senses", "--word", "bank", "--senses", "0", "--index", index) == (
        "error: --senses must be at least 1, got 0"
    )
    assert cli_error("senses", "--word", "bank", "--examples", "0", "--index", index) == (
        "error: --examples must be at least 1, got 0"
    )
    assert cli_error("neighbors", "--word", "bank", "-k", "0", "--index", index) == (
        "error: --k must be at least 1, got 0"
    )
    assert cli_error("neighbors", "--word", "bank", "--scope", "every", "--index", index) == (
        "error: --scope must be one of same-word, all; got 'every'"
    )
    assert cli_error("occurrences", "--word", "bank", "--limit", "-1", "--index", index) == (
        "error: --limit must be at least 1, got -1"
    )
    # The library's own words stay its parameters' names.
    with pytest.raises(QueryError, match=r"^n must be at least 1, got 0$"):
        SenseIndex.open(built.path).senses("bank", n=0)


def test_a_layer_the_model_lacks_is_not_a_layer_to_build(built, built_layer2):
    assert cli_error("neighbors", "--word", "bank", "--layer", "3", "--index", str(built.path)) == (
        "error: --layer 3 does not exist: the model has layers 0 to 2"
    )
    only2 = str(built_layer2.path)
    assert cli_error("neighbors", "--word", "bank", "--layer", "7", "--index", only2) == (
        "error: --layer 7 does not exist: the model has layers 0 to 2; this index has layer 2"
    )
    assert cli_error("neighbors", "--word", "bank", "--layer", "1", "--index", only2) == (
        "error: --layer 1 was not indexed; this index has layer 2 (build with --layers to add "
        "others)"
    )


def test_an_occurrence_of_another_word_names_it_and_the_way_out(built):
    idx = SenseIndex.open(built.path)
    tokens = built.tokens()
    other = next(i for i, token in enumerate(tokens) if token != "bank")
    word = tokens[other]
    line = cli_error(
        "neighbors", "--word", "bank", "--occurrence", str(other), "--index", str(built.path)
    )
    assert line == (
        f"error: occurrence {other} is {word!r}, not 'bank'; leave out --word to search from it"
    )
    assert idx.neighbors(occurrence=other, k=2).queries[0].word == word


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("genre = news", "unknown field 'news' (string values are quoted: genre = 'news'); "),
        ("period = 1990s", " (string values are quoted: period = '1990s')"),
    ],
)
def test_a_bare_string_in_where_says_to_quote_it(period_index: Path, condition, message):
    line = cli_error(
        "occurrences", "--word", "bank", "--where", condition, "--index", str(period_index)
    )
    assert line.startswith(f"error: --where {condition!r}: ") and message in line


def test_the_options_of_changes_and_serve_are_named_as_typed(period_index: Path):
    index = str(period_index)
    groups = ("--by", "period", "--from", "1990s", "--to", "2010s", "--index", index)
    assert cli_error("changes", *groups, "--min-count", "0") == (
        "error: --min-count must be at least 1, got 0"
    )
    assert cli_error("changes", *groups, "--score", "cosine") == (
        "error: --score must be one of apd, prt, jsd; got 'cosine'"
    )
    assert cli_error("serve", "--index", index, "--workers", "0") == (
        "error: --workers must be from 1 to 64, got 0"
    )
    assert cli_error("serve", "--index", index, "--connection-seconds", "-1") == (
        "error: --connection-seconds must be at least 0, got -1.0"
    )
    assert cli_error("serve", "--index", index, "--batch-window-ms", "-5") == (
        "error: --batch-window-ms must be at least 0, got -5.0"
    )
