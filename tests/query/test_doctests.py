"""The examples in the query modules' docstrings hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["query.cache", "query.columns", "query.context", "query.dedupe", "query.kwic",
           "query.pairs", "query.render", "query.search", "query.words", "query.senses.cluster",
           "query.senses.labels", "query.senses.projection", "query.changes.plot",
           "tests.query.senses.scoring"]  # fmt: skip


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
