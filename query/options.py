"""Defaults and choices of the query API, light to import: the command line shows and uses them."""

from __future__ import annotations

#: The layer compared on when none is given (the top biLSTM layer of the ELMo models).
LAYER = 2
#: Neighbours per query.
K = 10
#: Occurrences of the word searched from when neither a context nor an occurrence is given.
LIMIT = 100
#: Where neighbours are searched: among the word's occurrences (exact), or among all (FAISS).
SCOPES = ("same-word", "all")
SCOPE = "same-word"
#: Where context sentences are embedded.
DEVICE = "cpu"
#: Layers of a distance table when none are given.
DISTANCE_LAYERS = (0, 1, 2)
#: Shards whose sentence texts an open index keeps in memory (as Arrow arrays: about 0.4 MiB a
#: shard of 65,536 occurrences). The hits of a query fall in many shards of a large corpus.
CACHE_SHARDS = 128
#: Bytes of float32 vectors of recently searched words an open index keeps for the next query.
CACHE_VECTORS = "256M"
#: Typical occurrences shown per sense.
EXAMPLES = 5
#: Whether a sense's examples show identical sentences once (a corpus that repeats a sentence
#: would otherwise show it as every one of a sense's most typical occurrences).
SENSE_DEDUPE = True
#: Points drawn at most on a map of a word's occurrences (a seeded sample beyond).
PLOT_POINTS = 20_000
#: Occurrences a word needs in each of two groups to be ranked by ``query changes``.
MIN_COUNT = 20
#: Words ``query changes`` shows unless told.
CHANGES_SHOWN = 50
#: The score words are ranked by unless told: exact, and blind to how varied a word's uses are
#: within each group (see :mod:`query.changes.scores`).
CHANGE_SCORE = "prt"
