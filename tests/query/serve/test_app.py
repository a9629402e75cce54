"""``Served.summary``: the index's summary, walked from its files once and kept for
``SUMMARY_SECONDS``, then walked again (so that files written meanwhile show)."""

from __future__ import annotations

from pathlib import Path

import pytest

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
