"""Labels of senses: the context words most distinctive of each sense against the word's others.

A context word of an occurrence is a token within ``window`` tokens of it, counted once per
occurrence, lower-cased, and holding at least one letter or digit (punctuation never labels a
sense); the word itself is left out. A word ``w`` scores for sense ``s`` by its share of the
Kullback-Leibler divergence between the sense's contexts and all the word's contexts::

    score(w, s) = P(w | s) * log(P(w | s) / P(w))

with ``P(w | s)`` the fraction of the sense's occurrences that have ``w`` in context and
``P(w)`` that fraction over all the word's occurrences, times how informative ``w`` is in the
corpus::

    log(1 / C(w)),  C(w) = min(1, 2 * window * corpus frequency of w)

(``C(w)`` is about the chance that ``w`` falls within a window of any token). A word as common
in every sense scores 0, however frequent; a function word that happens to lean to one sense
("at the bank") weighs little against the content words of that sense ("deposited"); a word
seen only with one sense scores most when it is also common there. Words seen fewer than
``min_count`` times with the sense are not used. A word of one sense has no other sense to be
told from: its label is then scored against the corpus, ``P(w) = C(w)``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

#: Tokens each side of the word that count as its context.
WINDOW = 8
#: Words in a label.
LABEL_WORDS = 4
#: Occurrences of a sense a label word must be seen with.
MIN_COUNT = 2


def context_words(
    tokens: Sequence[str], position: int, word: str, window: int = WINDOW
) -> set[str]:
    """The distinct context words of the token at ``position``.

    >>> sorted(context_words("We sat on the bank of the river .".split(), 4, "bank", 3))
    ['of', 'on', 'river', 'sat', 'the']
    """
    folded = word.lower()
    before = tokens[max(0, position - window) : position]
    after = tokens[position + 1 : position + 1 + window]
    near = [*before, *after]
    return {
        lower
        for token in near
        if (lower := token.lower()) != folded and any(ch.isalnum() for ch in lower)
    }


def distinctive_words(
    contexts: Iterable[tuple[int, set[str]]],
    k: int,
    n: int = LABEL_WORDS,
    min_count: int = MIN_COUNT,
    corpus: Callable[[str], float] | None = None,
) -> list[list[str]]:
    """Per sense ``0..k-1``, its ``n`` most distinctive context words, best first.

    ``contexts`` gives, per occurrence, its sense and its context words; ``corpus`` is
    ``C(w)`` (:func:`corpus_background`; None: every word equally informative).

    >>> contexts = [(0, {"the", "river"}), (0, {"the", "river", "mud"}), (1, {"the", "loan"}),
    ...             (1, {"the", "loan", "cash"}), (1, {"the", "cash"})]
    >>> distinctive_words(contexts, 2, n=2)
    [['river'], ['cash', 'loan']]
    """
    by_sense = [Counter[str]() for _ in range(k)]
    sizes = [0] * k
    for sense, words in contexts:
        by_sense[sense].update(words)
        sizes[sense] += 1
    total = sum(sizes)
    overall: Counter[str] = Counter()
    for counts in by_sense:
        overall.update(counts)
    labels = []
    for sense, counts in enumerate(by_sense):
        scored = []
        for w, count in counts.items():
            if count < min_count:
                continue
            p_sense = count / sizes[sense]
            in_corpus = 0.5 if corpus is None else min(1.0, max(corpus(w), 1e-12))
            p_all = overall[w] / total if k > 1 or corpus is None else in_corpus
            score = p_sense * math.log(p_sense / p_all) * math.log(1.0 / in_corpus)
            if score > 0:
                scored.append((-score, w))
        labels.append([w for _, w in sorted(scored)[:n]])
    return labels


def corpus_background(
    count: Callable[[str], int], n_tokens: int, window: int = WINDOW
) -> Callable[[str], float]:
    """``C(w)`` from corpus counts: about the chance that a folded word falls within ``window``
    tokens of a given token (its forms ``w``, ``W...`` and ``WORD`` counted)."""

    def probability(folded: str) -> float:
        forms = {folded, folded.capitalize(), folded.upper()}
        return 2 * window * sum(count(form) for form in forms) / max(n_tokens, 1)

    return probability
