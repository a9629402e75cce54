"""``query changes``: every word with enough occurrences in two groups, ranked by how much its
use differs between them.

One pass over the layer's vectors (only the occurrences of the two groups whose word is
frequent enough in both) sums each word's unit and raw vectors per group, which gives APD and
PRT exactly. JSD needs each word's senses: they are induced, as ``query senses`` does, on a
seeded sample of at most ``sample`` occurrences per group (kept from the same pass), and the
shares of the sample are compared. Memory: the sums (two float64 vectors per word and group)
and the samples (float16, ``2 * sample * dim`` values per word).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from indexer.display import Preview
from indexer.errors import QueryError, at_least, check_choice
from query import options
from query.changes.groups import make_groups
from query.changes.scores import SCORES, GroupSums, jsd
from query.senses.cluster import SenseSettings, induce

if TYPE_CHECKING:
    from query.index import SenseIndex

logger = logging.getLogger(__name__)

#: Occurrences whose vectors are read at a time.
READ_BLOCK = 65_536
#: Occurrences per word and group that JSD's senses are induced from, at most.
JSD_SAMPLE = 500
CHANGE_FIELDS = ("rank", "word", "score", "count_from", "count_to")


@dataclass(frozen=True)
class WordChange:
    """One word's change: its ``score`` (the one asked for) and its counts in the groups;
    ``apd`` and ``prt`` always, ``jsd`` when it was asked for."""

    word: str
    score: float
    count_from: int
    count_to: int
    apd: float
    prt: float
    jsd: float | None = None

    def to_record(self) -> dict[str, Any]:
        return {
            "word": self.word,
            "score": round(self.score, 6),
            "count_from": self.count_from,
            "count_to": self.count_to,
        }


@dataclass(frozen=True, repr=False)
class Changes(Preview):
    """The words ranked by ``score`` between groups ``source`` and ``target`` of ``field``
    (highest first; the first ``n``), out of ``eligible`` words with ``min_count`` occurrences
    in both; ``sample`` is JSD's sample size per group (None for APD and PRT: exact)."""

    field: str
    source: str
    target: str
    score: str
    layer: int
    min_count: int
    eligible: int
    sample: int | None
    words: tuple[WordChange, ...]

    def to_records(self) -> list[dict[str, Any]]:
        return [word.to_record() for word in self.words]

    def to_json(self) -> str:
        return json.dumps(self.to_records(), ensure_ascii=False, indent=2)

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` with one row per word (``CHANGE_FIELDS`` without the rank)."""
        from query.results import frame

        return frame(self.to_records(), CHANGE_FIELDS[1:])

    def summary(self) -> str:
        top = ", ".join(f"{w.word} {w.score:.4f}" for w in self.words[:5])
        return (
            f"{self.score.upper()} on layer {self.layer}, {self.field} {self.source} -> "
            f"{self.target}: {len(self.words):,} of {self.eligible:,} words shown; top: {top}"
        )

    def preview(self) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
        rows = [
            (rank, w.word, w.score, w.count_from, w.count_to)
            for rank, w in enumerate(self.words, start=1)
        ]
        return ("rank", "word", "score", self.source, self.target), rows


def word_changes(
    index: SenseIndex,
    by: str,
    source: str,
    target: str,
    *,
    bins: tuple[float, ...] | None = None,
    layer: int,
    score: str = options.CHANGE_SCORE,
    min_count: int = options.MIN_COUNT,
    n: int | None = options.CHANGES_SHOWN,
    where: str | None = None,
    words: Sequence[str] | None = None,
    sample: int = JSD_SAMPLE,
    settings: SenseSettings | None = None,
) -> Changes:
    """Rank every word (or only ``words``: a list of target words) by its change between
    groups ``source`` and ``target`` of ``by``."""
    check_choice("score", score, SCORES, QueryError)
    at_least("min_count", min_count, error=QueryError)
    if sample < 2:
        raise QueryError(f"the JSD sample must be at least 2, got {sample}")
    index.reader.check_layer(layer)
    fields = index.fields
    groups = make_groups(by, fields.column(by), bins)
    a, b = groups.index(source, "--from"), groups.index(target, "--to")
    if a == b:
        raise QueryError("--from and --to name the same group")
    per_sentence = np.full(len(groups.codes), -1, dtype=np.int8)
    per_sentence[groups.codes == a] = 0
    per_sentence[groups.codes == b] = 1
    if where is not None:
        per_sentence[~_sentences_where(index, where)] = -1
    n_tokens = np.asarray(fields.sentences.column("n_tokens").to_numpy(), dtype=np.int64)
    group_of = np.repeat(per_sentence, n_tokens)
    vocabulary, word_of = _word_ids(index)
    inside = group_of >= 0
    counts = np.bincount(
        word_of[inside].astype(np.int64) * 2 + group_of[inside], minlength=2 * len(vocabulary)
    ).reshape(len(vocabulary), 2)
    for group, label in ((0, source), (1, target)):
        if counts[:, group].sum() == 0:
            raise QueryError(f"group {label!r} of {by!r} has no occurrence")
    frequent = (counts[:, 0] >= min_count) & (counts[:, 1] >= min_count)
    if words is not None:
        frequent &= _targets(vocabulary, words)
    eligible = np.flatnonzero(frequent)
    key_of = np.full(len(vocabulary), -1, dtype=np.int64)
    key_of[eligible] = np.arange(len(eligible))
    chosen = np.flatnonzero(inside & (key_of[word_of] >= 0))
    keys, chosen_groups = key_of[word_of[chosen]], group_of[chosen].astype(np.int64)
    sampled = _sample(keys, chosen_groups, sample, 0) if score == "jsd" else None
    vectors = index.reader.vectors(layer)
    sums = GroupSums(len(eligible), 2, vectors.dim)
    kept = None if sampled is None else np.empty((len(sampled), vectors.dim), dtype=np.float16)
    for start in range(0, len(chosen), READ_BLOCK):
        part = slice(start, start + READ_BLOCK)
        block = vectors.take(chosen[part])
        sums.add(keys[part], chosen_groups[part], block)
        if sampled is not None and kept is not None:
            lo, hi = np.searchsorted(sampled, [start, min(start + READ_BLOCK, len(chosen))])
            rows = np.asarray(block[sampled[lo:hi] - start], dtype=np.float32)
            norms = np.sqrt(np.einsum("ij,ij->i", rows, rows))
            kept[lo:hi] = rows / np.where(norms > 0, norms, 1.0)[:, None]
        vectors.release()
    jsds = None
    if sampled is not None and kept is not None:
        jsds = _sample_jsd(keys[sampled], chosen_groups[sampled], kept, len(eligible), settings)
    out = []
    for key, word in enumerate(eligible.tolist()):
        apd_score, prt_score = sums.scores(key, 0, 1)
        jsd_score = None if jsds is None else float(jsds[key])
        value = {"apd": apd_score, "prt": prt_score, "jsd": jsd_score}[score]
        assert value is not None
        out.append(
            WordChange(
                vocabulary[word],
                value,
                int(counts[word, 0]),
                int(counts[word, 1]),
                apd_score,
                prt_score,
                jsd_score,
            )
        )
    out.sort(key=lambda change: (-change.score, change.word))
    logger.info("%d words with %d occurrences in both groups", len(eligible), min_count)
    return Changes(
        field=by,
        source=source,
        target=target,
        score=score,
        layer=layer,
        min_count=min_count,
        eligible=len(eligible),
        sample=sample if score == "jsd" else None,
        words=tuple(out if n is None else out[:n]),
    )


def _targets(vocabulary: list[str], words: Sequence[str]) -> np.ndarray:
    """Which words of the vocabulary are targets; a target that does not occur is named."""
    position = {word: i for i, word in enumerate(vocabulary)}
    missing = [word for word in words if word not in position]
    if missing:
        raise QueryError(f"target word {missing[0]!r} does not occur in the corpus")
    chosen = np.zeros(len(vocabulary), dtype=bool)
    chosen[[position[word] for word in words]] = True
    return chosen


def _sentences_where(index: SenseIndex, where: str) -> np.ndarray:
    """Per sentence, whether a filter over sentence and document fields holds; a filter that
    names occurrence fields is refused (it would not say which occurrences of a word count)."""
    from query.fields import _OCCURRENCE_NAMES

    if _OCCURRENCE_NAMES.search(where):
        raise QueryError(
            f"--where {where!r}: changes filter sentences and documents; occurrence fields "
            "(token, lemma, upos, position, occ_id) cannot be used here"
        )
    return index.fields.sentence_mask(where)


def _word_ids(index: SenseIndex) -> tuple[list[str], np.ndarray]:
    """Every word of the lexicon, and each occurrence's word (an index into them)."""
    lexicon = index.reader.lexicon
    words = list(lexicon.tokens)
    position = {word: i for i, word in enumerate(words)}
    word_of = np.empty(index.reader.n_occurrences, dtype=np.int32)
    for part in lexicon.parts:
        rows = np.empty(len(part.tokens), dtype=np.int32)
        for token, row in part.tokens.items():
            rows[row] = position[token]
        word_of[np.asarray(part.postings)] = np.repeat(rows, part.counts)
    return words, word_of


def _sample(keys: np.ndarray, groups: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Ascending positions of at most ``size`` occurrences per (key, group), seeded."""
    rng = np.random.default_rng(seed)
    cell = keys * 2 + groups
    order = np.lexsort((rng.random(len(cell)), cell))
    sorted_cells = cell[order]
    starts = np.flatnonzero(np.r_[True, sorted_cells[1:] != sorted_cells[:-1]])
    rank = np.arange(len(cell)) - np.repeat(starts, np.diff(np.r_[starts, len(cell)]))
    return np.sort(order[rank < size])


def _sample_jsd(
    keys: np.ndarray,
    groups: np.ndarray,
    unit: np.ndarray,
    n_keys: int,
    settings: SenseSettings | None,
) -> np.ndarray:
    """Per key, the JSD between its two groups' sense shares in its sample (FAISS on one
    thread: a sample is too small to share out, and OpenMP threads that wait for each other
    cost more than they give on a busy machine)."""
    from indexer.index.params import omp_threads

    chosen = replace(settings or SenseSettings(), silhouette_sample=1_000)
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(n_keys + 1))
    out = np.zeros(n_keys)
    with omp_threads(1):
        _each_jsd(keys, groups, unit, order, bounds, chosen, out)
    return out


def _each_jsd(
    keys: np.ndarray,
    groups: np.ndarray,
    unit: np.ndarray,
    order: np.ndarray,
    bounds: np.ndarray,
    chosen: SenseSettings,
    out: np.ndarray,
) -> None:
    for key in range(len(out)):
        rows = order[bounds[key] : bounds[key + 1]]
        clustering = induce(np.asarray(unit[rows], dtype=np.float32), chosen)
        if clustering.k == 1:
            continue
        mine = groups[rows]
        labels = clustering.labels
        p = np.bincount(labels[mine == 0], minlength=clustering.k)
        q = np.bincount(labels[mine == 1], minlength=clustering.k)
        out[key] = jsd(p, q)
