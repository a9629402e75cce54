"""The encoder's choices and defaults, light to import: the build's settings and both programs'
options take them from here."""

from __future__ import annotations

#: biLSTM state policies: a fixed warm-up state, zero state, or carried from batch to batch.
STATE_POLICIES = ("warm", "zero", "carry")
DEFAULT_STATE = "warm"
#: Where a build runs the encoder: a CUDA GPU where one is present, else the CPU.
DEFAULT_DEVICE = "auto"
#: Padded tokens per encoder batch (``warm`` and ``zero``).
DEFAULT_BATCH_TOKENS = 8192
#: Consecutive sentences per batch under ``carry``, as the reference embedder batched them.
DEFAULT_CARRY_BATCH_SIZE = 64
