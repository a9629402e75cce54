"""The examples in the docstrings of the modules every package shares hold."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "name",
    [
        "indexer.display",
        "indexer.errors",
        "indexer.files",
        "indexer.layers",
        "indexer.sizes",
        "indexer.vectors",
    ],
)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
