"""Occurrences in identical sentences shown once: ranked results collapsed by sentence text.

Real corpora repeat boilerplate. Under the default state policy identical sentences give
identical vectors, so the copies of a sentence sit at the same distance in a ranking, side by
side; a ranked list scanned up to the last shown distance has counted every copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar


class _HasSentence(Protocol):
    @property
    def sentence(self) -> str: ...


R = TypeVar("R", bound=_HasSentence)


def dedupe(
    ranked: Sequence[R], distances: Sequence[float], n: int
) -> tuple[list[tuple[R, int]], bool]:
    """Up to ``n`` records of distinct sentences, nearest first, each with the number of the
    others in an identical sentence; and whether the scan went past the last shown distance
    (so that no copy of a shown sentence can follow).

    >>> from collections import namedtuple
    >>> Row = namedtuple("Row", "sentence")
    >>> rows = [Row("a"), Row("a"), Row("b"), Row("a"), Row("c"), Row("d")]
    >>> shown, complete = dedupe(rows, [0.1, 0.1, 0.2, 0.2, 0.3, 0.4], 2)
    >>> [(row.sentence, copies) for row, copies in shown], complete
    ([('a', 2), ('b', 0)], True)
    """
    groups: dict[str, int] = {}
    shown: list[tuple[R, int]] = []
    last: float | None = None
    for record, distance in zip(ranked, distances, strict=True):
        if last is not None and distance > last:
            return shown, True
        at = groups.get(record.sentence)
        if at is not None:
            shown[at] = (shown[at][0], shown[at][1] + 1)
            continue
        if len(shown) < n:
            groups[record.sentence] = len(shown)
            shown.append((record, 0))
            if len(shown) == n:
                last = distance
    return shown, False
