"""``Served``: the index's summary, walked from its files once and kept for
``SUMMARY_SECONDS``, then walked again (so that files written meanwhile show); which same-word
searches are quick (answered on the event loop): a kept block, small enough for the number of
query points, and no SQL filter."""

from __future__ import annotations

from pathlib import Path

import pytest

from query.selection import Selection
from query.serve import app as served_app
from query.serve.app import open_indexes
from query.serve.config import ServeSettings


def test_the_summary_is_kept_for_a_while(
    demo_indexes: dict[str, Path], monkeypatch: pytest.MonkeyPatch
):
    now = [1000.0]
    monkeypatch.setattr(served_app.time, "monotonic", lambda: now[0])
    one = open_indexes(ServeSettings(indexes={"news": demo_indexes["news"]}))["news"]
    first = one.summary()
    assert first.to_dict() == one.index.info().to_dict()
    now[0] += served_app.SUMMARY_SECONDS - 0.5
    assert one.summary() is first
    kept = demo_indexes["news"] / "senses" / "extra.bin"
    kept.parent.mkdir(exist_ok=True)
    try:
        kept.write_bytes(b"x" * 4096)
        assert one.summary() is first  # still kept
        now[0] += 1.0
        later = one.summary()
        assert later is not first
        assert later.bytes_on_disk == first.bytes_on_disk + 4096
    finally:
        kept.unlink()


def test_a_search_is_quick_once_its_block_is_kept_and_small_enough(
    demo_indexes: dict[str, Path], monkeypatch: pytest.MonkeyPatch
):
    one = open_indexes(ServeSettings(indexes={"news": demo_indexes["news"]}))["news"]
    bank = Selection("bank")
    assert not one.quick_search(bank, 2)  # nothing kept yet
    n = len(one.index.word_block("bank", 2).ids)
    assert n > 1
    monkeypatch.setattr(served_app, "QUICK_BLOCK", 3 * n)
    assert one.quick_search(bank, 2)
    assert one.quick_search(bank, 2, queries=3)
    assert not one.quick_search(bank, 2, queries=4)  # 4 searches of n are too many
    assert not one.quick_search(bank, 1)  # another layer's block is not kept
    assert not one.quick_search(Selection("bank", where="position > 0"), 2)
