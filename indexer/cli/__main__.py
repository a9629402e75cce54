"""``python -m indexer.cli``: the ``indexer`` command."""

from indexer.cli import main

main()
