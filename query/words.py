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
    """The ascending occurrence ids of ``word``; an unknown word is one error that says what
    to type instead (:func:`unknown_word`)."""
    if word in lexicon:
        return lexicon.occurrences(word)
    raise QueryError(unknown_word(lexicon, word))


def unknown_word(lexicon: Lexicons, word: str) -> str:
    """Why ``word`` finds nothing, and the options that would: the word in another case
    (``--any-case``) or the closest words, and a lemma of that name or close to it
    (``--lemma``) where the index has lemmas."""
    tokens = lexicon.tokens
    folded = word.casefold()
    variants = sorted(token for token in tokens if token.casefold() == folded)
    if variants:
        forms = ", ".join(repr(v) for v in variants)
        message = (
            f"{word!r} does not occur in this case; it occurs as {forms}: add --any-case "
            f"(or give --word {variants[0]})"
        )
    else:
        suggestions = closest_words(word, tokens)
        hint = (
            "closest words in the corpus: " + ", ".join(suggestions)
            if suggestions
            else "no similar word either"
        )
        message = f"{word!r} does not occur in the corpus; {hint}"
    lemmas = lexicon.lemmas
    named = [word] if word in lemmas else closest_words(word, lemmas, n=2)
    if named:
        message += "; every form of a lemma: " + " or ".join(f"--lemma {n}" for n in named)
    return message


def no_occurrence(lexicon: Lexicons, label: str, lemma: str | None) -> str:
    """Why a selection (named ``label``) finds nothing; an unknown ``lemma`` names the closest
    lemmas of the index."""
    message = f"no occurrence of {label}"
    lemmas = lexicon.lemmas
    if lemma is not None and lemmas and lemma not in lemmas:
        closest = closest_words(lemma, lemmas)
        known = ", ".join(closest) if closest else "none similar"
        message += f"; the lemma {lemma!r} is not in the index (closest lemmas: {known})"
    return message
