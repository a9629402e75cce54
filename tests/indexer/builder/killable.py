"""A build with the fake encoder, slowed down, as a process for the SIGKILL tests.

Usage: python -m tests.indexer.builder.killable CORPUS OUT SHARD_ROWS STATE DELAY [append]
"""

from __future__ import annotations

import sys

from indexer.builder import BuildConfig, run_build
from tests.indexer.builder.fakes import loader


def main(argv: list[str]) -> None:
    corpus, out, shard_rows, state, delay, *append = argv
    config = BuildConfig(
        out=out,
        shard_rows=int(shard_rows),
        state=state,
        carry_batch_size=4,
        append=append == ["append"],
    )
    run_build(corpus, config, load_encoder=loader(delay=float(delay)))


if __name__ == "__main__":
    main(sys.argv[1:])
