"""A word's senses over all its occurrences: read the vectors, cluster, label, pick examples, and
keep the result in the index directory for the next call.

Memory: the word's vectors as float32 (read in blocks, normalised in place) plus the k-means's
per-occurrence labels and distances (8 bytes an occurrence) and a constant (the label sample's
sentences, the examples).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from indexer.store.columns import numeric_column
from indexer.store.senses import SenseFiles, SenseMeta, index_source, read_sense_files
from indexer.store.senses import write_sense_files as store_sense_files
from query.context import context_query
from query.dedupe import dedupe
from query.selection import Selection
from query.senses.cluster import SenseSettings, induce
from query.senses.labels import (
    LABEL_WORDS,
    context_words,
    corpus_background,
    distinctive_words,
)
from query.senses.result import Sense, SenseExample, Senses, SenseTag

if TYPE_CHECKING:
    from query.index import SenseIndex

logger = logging.getLogger(__name__)

#: Occurrences per sense whose sentences are read for its label (a seeded sample).
LABEL_SAMPLE = 2_000
#: Typical occurrences kept per sense in the stored result (the nearest to its centre).
EXAMPLES_KEPT = 50
#: Occurrences whose vectors are read at a time.
READ_BLOCK = 65_536


def word_senses(
    index: SenseIndex,
    selection: Selection,
    layer: int,
    settings: SenseSettings,
    *,
    examples: int,
    dedupe_examples: bool = False,
    refresh: bool = False,
    keep: bool = True,
) -> Senses:
    """The senses of the ``selection``'s occurrences on ``layer`` (named by its key): the
    stored result if it is current, else computed (and stored when ``keep``). A selection
    with a ``where`` filter is never kept: its occurrences change with the metadata."""
    reader = index.reader
    reader.check_layer(layer)
    ids = index.select(selection)
    if len(ids) == 0:
        raise index.nothing_found(selection)
    word = selection.key
    source = index_source(reader.manifest)
    stored = None
    keep = keep and selection.where is None
    if not refresh and selection.where is None:
        stored = read_sense_files(reader.layout, layer, word, settings.name, source)
    if stored is None:
        stored = _compute(index, word, layer, settings, ids, source)
        if keep:
            try:
                store_sense_files(reader.layout, stored)
            except OSError as err:
                logger.warning("cannot keep the senses in the index directory: %s", err)
        cached = False
    else:
        cached = True
    found = _result(index, stored, examples, dedupe_examples, cached)
    form = None if selection.any_case else selection.word
    return replace(found, word=selection.label, form=form)


def unit_vectors(index: SenseIndex, ids: np.ndarray, layer: int) -> np.ndarray:
    """(n, dim) float32 L2-normalised vectors of ``ids`` (zero rows stay zero)."""
    vectors = index.reader.vectors(layer)
    out = np.empty((len(ids), vectors.dim), dtype=np.float32)
    for start in range(0, len(ids), READ_BLOCK):
        block = out[start : start + READ_BLOCK]
        block[...] = vectors.take(ids[start : start + READ_BLOCK])
        norms = np.sqrt(np.einsum("ij,ij->i", block, block))
        block /= np.where(norms > 0, norms, 1.0)[:, None]
        vectors.release()  # the file pages read stay in the page cache, not in this process
    return out


def _compute(
    index: SenseIndex,
    word: str,
    layer: int,
    settings: SenseSettings,
    ids: np.ndarray,
    source: str,
) -> SenseFiles:
    unit = unit_vectors(index, ids, layer)
    clustering = induce(unit, settings)
    del unit
    labels, distances, k = clustering.labels, clustering.distances, clustering.k
    sizes = np.bincount(labels, minlength=k)
    spread = np.bincount(labels, weights=distances, minlength=k) / np.maximum(sizes, 1)
    rng = np.random.default_rng(settings.seed)
    label_rows = np.concatenate(
        [_seeded(np.flatnonzero(labels == s), LABEL_SAMPLE, rng) for s in range(k)]
    )
    looked_up = index.rows.lookup(ids[label_rows])
    contexts = (
        (int(labels[row]), context_words(record.sentence.split(" "), record.position, record.token))
        for row, record in zip(label_rows.tolist(), looked_up, strict=True)
    )
    corpus = corpus_background(reader_count(index), index.reader.n_occurrences)
    words = distinctive_words(contexts, k, LABEL_WORDS, corpus=corpus)
    example_rows = [
        _nearest(np.flatnonzero(labels == s), distances, EXAMPLES_KEPT) for s in range(k)
    ]
    flat = np.concatenate(example_rows)
    records = index.rows.lookup(ids[flat])
    total = len(ids)
    senses = pa.table(
        {
            "sense": np.arange(k, dtype=np.int32),
            "size": sizes.astype(np.int64),
            "share": sizes / total,
            "label": words,
            "spread": spread.astype(np.float32),
            "centre": list(clustering.centres),
        }
    )
    sense_of = np.repeat(np.arange(k, dtype=np.int32), [len(rows) for rows in example_rows])
    ranks = np.concatenate([np.arange(1, len(rows) + 1, dtype=np.int32) for rows in example_rows])
    examples = pa.table(
        {
            "sense": sense_of,
            "rank": ranks,
            "occurrence": ids[flat],
            "distance": distances[flat],
            "token": [r.token for r in records],
            "doc_id": [r.doc_id for r in records],
            "sent_id": [r.sent_id for r in records],
            "position": [r.position for r in records],
            "sentence": [r.sentence for r in records],
        }
    )
    assignments = pa.table({"occurrence": ids, "sense": labels, "distance": distances})
    meta = SenseMeta(
        word=word,
        layer=layer,
        setting=settings.name,
        source=source,
        occurrences=total,
        clustered=clustering.clustered,
        scores=clustering.scores,
        separations=clustering.separations,
    )
    logger.info("%r on layer %d: %d senses over %d occurrences", word, layer, k, total)
    return SenseFiles(meta, senses, assignments, examples)


def _result(
    index: SenseIndex, files: SenseFiles, examples: int, dedupe_examples: bool, cached: bool
) -> Senses:
    meta = files.meta
    table = files.senses.to_pydict()
    kept = files.examples.to_pydict()
    assignments = files.assignments
    ids = numeric_column(assignments, "occurrence", np.int64)
    labels = numeric_column(assignments, "sense", np.int32)
    distances = numeric_column(assignments, "distance", np.float32)
    by_sense: dict[int, list[SenseExample]] = {}
    for i, sense in enumerate(kept["sense"]):
        by_sense.setdefault(int(sense), []).append(
            SenseExample(**{name: kept[name][i] for name in kept})
        )
    senses = []
    for i, sense in enumerate(table["sense"]):
        ranked = by_sense.get(int(sense), [])
        size = int(table["size"][i])
        if len(ranked) < size and (dedupe_examples or examples > len(ranked)):
            ranked = _ranked(
                index, int(sense), ranked, ids, labels, distances, examples, dedupe_examples
            )
        senses.append(
            Sense(
                sense=int(sense),
                size=size,
                share=float(table["share"][i]),
                label=tuple(table["label"][i]),
                spread=float(table["spread"][i]),
                examples=_examples(ranked, examples, dedupe_examples),
            )
        )
    centres = np.concatenate(
        [_list_values(chunk) for chunk in files.senses.column("centre").chunks]
    ).reshape(len(senses), -1)
    return Senses(
        word=meta.word,
        layer=meta.layer,
        setting=meta.setting,
        senses=tuple(senses),
        occurrence_ids=ids,
        labels=labels,
        distances=distances,
        centres=centres,
        scores=meta.scores,
        separations=meta.separations,
        clustered=meta.clustered,
        cached=cached,
        tagger=lambda senses, context, position: tag(index, senses, context, position),
    )


def _list_values(chunk: pa.ListArray) -> np.ndarray:
    """The float32 values of a list column's chunk (not ``flatten``: that imports
    pyarrow.compute, a tenth of a second)."""
    start, stop = chunk.offsets[0].as_py(), chunk.offsets[len(chunk)].as_py()
    values = chunk.values
    data = np.frombuffer(values.buffers()[1], dtype=np.float32, count=len(values) + values.offset)
    return data[values.offset + start : values.offset + stop]


def tag(
    index: SenseIndex, senses: Senses, context: str | Sequence[str], position: int | None
) -> SenseTag:
    """The sense of the word in a new sentence: its nearest sense centre."""
    tokens, word, at = context_query(context, senses.form, position)
    vector = np.asarray(index.embedder.embed(tokens)[senses.layer, at], dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    unit = vector / norm if norm > 0 else vector
    distances = np.clip(1.0 - senses.centres @ unit, 0.0, 2.0)
    return SenseTag(
        word=word,
        sentence=" ".join(tokens),
        position=at,
        sense=int(np.argmin(distances)),
        distances=tuple(float(d) for d in distances),
    )


def _ranked(
    index: SenseIndex,
    sense: int,
    kept: list[SenseExample],
    ids: np.ndarray,
    labels: np.ndarray,
    distances: np.ndarray,
    n: int,
    dedupe_examples: bool,
) -> list[SenseExample]:
    """``kept`` (the stored nearest occurrences of ``sense``) followed by the next ones, read
    until ``n`` are shown (``dedupe_examples``: ``n`` distinct sentences, every copy of them
    counted) or the sense has no more."""
    rows = np.flatnonzero(labels == sense)
    rows = rows[np.lexsort((ids[rows], distances[rows]))]
    ranked = list(kept)
    while len(ranked) < len(rows):
        if not dedupe_examples and len(ranked) >= n:
            break
        if dedupe_examples:
            _, complete = dedupe(ranked, [e.distance for e in ranked], n)
            if complete:
                break
        more = rows[len(ranked) : len(ranked) + max(len(ranked), EXAMPLES_KEPT)]
        for rank, row, record in zip(
            range(len(ranked) + 1, len(ranked) + len(more) + 1),
            more.tolist(),
            index.rows.lookup(ids[more]),
            strict=True,
        ):
            ranked.append(
                SenseExample(
                    sense=sense, rank=rank, distance=float(distances[row]), **record.own_record()
                )
            )
    return ranked


def _examples(
    ranked: list[SenseExample], n: int, dedupe_examples: bool
) -> tuple[SenseExample, ...]:
    if not dedupe_examples:
        return tuple(ranked[:n])
    shown, _ = dedupe(ranked, [example.distance for example in ranked], n)
    return tuple(replace(example, duplicates=copies) for example, copies in shown)


def _nearest(rows: np.ndarray, distances: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` rows of ``rows`` nearest to their centre, nearest first (ties: corpus order)."""
    if len(rows) > n:
        cut = np.argpartition(distances[rows], n - 1)[:n]
        rows = rows[cut]
    return rows[np.lexsort((rows, distances[rows]))]


def _seeded(rows: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    if len(rows) <= size:
        return rows
    return np.sort(rng.choice(rows, size=size, replace=False))


def reader_count(index: SenseIndex) -> Callable[[str], int]:
    """A token's number of occurrences in the corpus (0 for a token it does not hold)."""
    lexicon = index.reader.lexicon

    def count(token: str) -> int:
        return lexicon.count(token) if token in lexicon else 0

    return count
