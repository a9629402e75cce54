"""Memory figures of the test process itself, from Linux's ``/proc/self/status``."""

from __future__ import annotations

from pathlib import Path

import pytest

STATUS = Path("/proc/self/status")


def status_kib(field: str) -> int:
    """The ``field`` line of ``/proc/self/status`` (``RssAnon``, ``RssFile``...) in KiB; the
    calling test is skipped where the system does not give it."""
    if STATUS.exists():
        for line in STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    pytest.skip(f"no {field} in /proc/self/status on this system")
