"""Words of the lexicon: resolving a query word, and the closest words when it is unknown."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import numpy as np

from indexer.errors import QueryError
from indexer.store.lexicon import Lexicons


def closest_words(word: str, vocabulary: Iterable[str], n: int = 5) -> list[str]:
    """Up to ``n`` words of ``vocabulary`` closest to ``word``: case variants first, then by
    ``difflib`` similarity (only words of about the same length are compared, so a large
    vocabulary stays quick).

    >>> closest_words("bnak", ["bank", "banks", "river", "money"])
    ['bank', 'banks']
    >>> closest_words("BANK", ["bank", "Bank", "money"])
    ['Bank', 'bank']
    """
    lower = word.lower()
    slack = max(2, len(word) // 2)
    case_variants: list[str] = []
    pool: list[str] = []
    for token in vocabulary:
        if token.lower() == lower:
            case_variants.append(token)
        elif abs(len(token) - len(word)) <= slack:
            pool.append(token)
    matches = difflib.get_close_matches(word, pool, n=n, cutoff=0.6)
    if len(matches) < n:
        # Compare case-folded too, so that "BNAK" still finds "bank".
        folded: dict[str, str] = {}
        for token in pool:
            folded.setdefault(token.lower(), token)
        for hit in difflib.get_close_matches(lower, list(folded), n=n, cutoff=0.6):
            if folded[hit] not in matches:
                matches.append(folded[hit])
    return (sorted(case_variants) + matches)[:n]


def word_occurrences(lexicon: Lexicons, word: str) -> np.ndarray:
    """The ascending occurrence ids of ``word``; an unknown word names the closest ones."""
    if word in lexicon:
        return lexicon.occurrences(word)
    suggestions = closest_words(word, lexicon.tokens)
    hint = (
        "closest words in the corpus: " + ", ".join(suggestions)
        if suggestions
        else "no similar word either"
    )
    raise QueryError(f"{word!r} does not occur in the corpus; {hint}")
