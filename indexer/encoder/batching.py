"""Pure batch planning: length-bucketed batches under a padded-token budget."""

from __future__ import annotations

from collections.abc import Sequence


def plan_batches(
    lengths: Sequence[int], batch_tokens: int, max_batch_size: int = 512
) -> list[list[int]]:
    """Group sentence indices into batches, longest first, each costing at most ``batch_tokens``.

    The cost of a batch is ``rows * longest_row`` (the padded size the LSTM computes). Indices are
    sorted by length, descending, so batches hold sentences of similar length and each batch lists
    its indices in descending length order. A sentence longer than the budget gets a batch alone.

    >>> plan_batches([3, 9, 4, 8], batch_tokens=18)
    [[1, 3], [2, 0]]
    """
    if batch_tokens < 1:
        raise ValueError(f"batch_tokens must be positive, got {batch_tokens}")
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for index in order:
        length = max(1, lengths[index])
        if current and (
            (len(current) + 1) * max(longest, length) > batch_tokens
            or len(current) >= max_batch_size
        ):
            batches.append(current)
            current, longest = [], 0
        current.append(index)
        longest = max(longest, length)
    if current:
        batches.append(current)
    return batches
