"""The examples in the index modules' docstrings hold."""

from __future__ import annotations

import doctest

import pytest

from indexer.index import config, plan, vectors


@pytest.mark.parametrize("module", [plan, config, vectors])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0
