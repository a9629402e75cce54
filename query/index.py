"""``SenseIndex``: find the occurrences of a word used the same way, by cosine distance."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from indexer.errors import QueryError, at_least, check_choice
from indexer.sizes import parse_size
from indexer.store.layout import DEFAULT_INDEX_DIR
from indexer.store.reader import IndexReader
from indexer.store.summary import IndexInfo
from query import options
from query.approximate import ApproximateSearch
from query.cache import BlockCache
from query.columns import extra_columns, parse_fields, with_columns
from query.context import ContextEmbedder, context_query
from query.dedupe import dedupe
from query.pairs import Item, distance_table, parse_item, sentence_item, stored_item
from query.results import (
    DistanceItem,
    DistanceTable,
    Hit,
    Neighbors,
    Occurrence,
    OccurrenceList,
    QueryPoint,
)
from query.rows import CorpusRows
from query.search import Candidates, as_float32, search_exact
from query.selection import Selection
from query.words import no_occurrence, word_occurrences

if TYPE_CHECKING:
    from query.changes.compare import Comparison
    from query.changes.vocabulary import Changes
    from query.fields import CorpusFields
    from query.senses.cluster import SenseSettings
    from query.senses.result import Senses, SenseTag

logger = logging.getLogger(__name__)


class SenseIndex:
    """Read side of an index directory written by ``indexer build``.

    Opening reads the manifest only; the lexicons and the vector files are memory-mapped on
    first use, FAISS is imported for ``scope="all"`` only, and the model (torch) is loaded for
    context sentences only.
    """

    def __init__(
        self,
        reader: IndexReader,
        *,
        model: str | Path | None = None,
        device: str = options.DEVICE,
        cache_shards: int = options.CACHE_SHARDS,
        cache_vectors: int | str = options.CACHE_VECTORS,
    ) -> None:
        self.reader = reader
        self.rows = CorpusRows(reader, cache_shards)
        self.embedder = ContextEmbedder(reader.manifest, model, device)
        self.blocks = BlockCache(parse_size(cache_vectors))
        self.approximate = ApproximateSearch(reader)

    @classmethod
    def open(
        cls,
        path: str | Path = DEFAULT_INDEX_DIR,
        *,
        model: str | Path | None = None,
        device: str = options.DEVICE,
        cache_shards: int = options.CACHE_SHARDS,
        cache_vectors: int | str = options.CACHE_VECTORS,
    ) -> SenseIndex:
        """Open a finished index directory.

        ``model`` overrides the model recorded in the manifest (used to embed context
        sentences; it must be the same model, which is checked); ``device`` runs it.
        ``cache_shards`` is how many shards' sentence texts stay in memory; ``cache_vectors``
        bounds the float32 vectors of recently searched words kept for the next query
        (e.g. ``"256M"``; 0 keeps none).
        """
        return cls(
            IndexReader(path),
            model=model,
            device=device,
            cache_shards=cache_shards,
            cache_vectors=cache_vectors,
        )

    @property
    def path(self) -> Path:
        return self.reader.layout.root

    @property
    def layers(self) -> tuple[int, ...]:
        return self.reader.manifest.layers

    def info(self) -> IndexInfo:
        """The index's summary (what ``query info`` and ``indexer info`` print)."""
        return IndexInfo.from_manifest(self.path, self.reader.manifest)

    def occurrence_ids(self, word: str) -> np.ndarray:
        """Ascending occurrence ids of ``word`` (an unknown word names the closest ones)."""
        return word_occurrences(self.reader.lexicon, word)

    def nothing_found(self, selection: Selection) -> QueryError:
        """The error of a selection with no occurrence, naming the closest lemmas when its
        lemma is unknown."""
        label, lemma = selection.label, selection.lemma
        return QueryError(no_occurrence(self.reader.lexicon, label, lemma))

    @cached_property
    def fields(self) -> CorpusFields:
        """The occurrence, sentence and document fields that filters and groups name."""
        from query.fields import CorpusFields

        return CorpusFields(self.reader)

    def select(self, selection: Selection | str) -> np.ndarray:
        """Ascending occurrence ids of a word, or of a :class:`Selection` (lemma, part of speech,
        any case, ``where`` filter); an unknown plain word names the closest ones."""
        if isinstance(selection, str):
            selection = Selection(selection)
        if selection.word is not None and not (
            selection.lemma or selection.pos or selection.any_case
        ):
            ids = self.occurrence_ids(selection.word)
        else:
            lexicon = self.reader.lexicon
            ids = lexicon.select(selection.word, selection.lemma, selection.pos, selection.any_case)
        if selection.where is not None and len(ids):
            ids = self.fields.where(selection.where, ids)
        return ids

    def occurrences(
        self,
        word: str | None = None,
        limit: int | None = None,
        *,
        lemma: str | None = None,
        pos: str | None = None,
        any_case: bool = False,
        where: str | None = None,
        fields: str | Sequence[str] | None = None,
    ) -> OccurrenceList:
        """The occurrences of ``word`` (or of a lemma, a part of speech, in any case, where a
        filter holds) in corpus order, with their sentences (first ``limit``).

        Each record carries ``lemma`` and ``upos`` where the index has them, and the sentence
        or document ``fields`` named (``"year,genre"`` or a list)."""
        selection = Selection(word, lemma, pos, any_case, where)
        columns = extra_columns(self, parse_fields(fields))
        ids = self.select(selection)
        listed = ids if limit is None else ids[: _positive("limit", limit)]
        items = with_columns(self, self.rows.lookup(listed), columns)
        return OccurrenceList(word=selection.label, ids=ids, items=items, columns=columns)

    def occurrence(self, occurrence_id: int) -> Occurrence:
        """One stored occurrence with its sentence."""
        return self.rows.lookup([int(occurrence_id)])[0]

    def vectors(self, occurrence_ids: Sequence[int] | np.ndarray, layer: int) -> np.ndarray:
        """(n, dim) float32 stored vectors of ``occurrence_ids`` on ``layer``."""
        ids = np.asarray(occurrence_ids, dtype=np.int64).reshape(-1)
        vectors = self.reader.vectors(layer)
        self.rows.check_ids(ids)
        return np.asarray(vectors.take(ids), dtype=np.float32)

    def neighbors(
        self,
        word: str | None = None,
        layer: int = options.LAYER,
        k: int = options.K,
        context: str | Sequence[str] | None = None,
        position: int | None = None,
        occurrence: int | None = None,
        scope: str = options.SCOPE,
        limit: int | None = options.LIMIT,
        candidates: int | None = None,
        dedupe: bool = False,
        *,
        lemma: str | None = None,
        pos: str | None = None,
        any_case: bool = False,
        where: str | None = None,
        fields: str | Sequence[str] | None = None,
    ) -> Neighbors:
        """The ``k`` occurrences nearest to a query, by cosine distance on ``layer``.

        The query is ``word`` in the ``context`` sentence (``position`` picks among repeats,
        or the sentence marks the word as ``[[word]]``; ``word`` may then be left out),
        or the stored ``occurrence``; with neither, each of the first ``limit`` occurrences
        of ``word`` (None: all) is searched from in turn. A stored query occurrence is never
        its own neighbour. ``scope="same-word"`` searches exactly among the occurrences of
        the word; ``scope="all"`` searches every occurrence through the layer's FAISS index
        and re-ranks its ``candidates`` by exact cosine (default ``max(4k, 40)``; for an index
        of compact codes ``max(100k, 1000)`` or, in proportion to k, as many as the build
        found it needs to reach recall@10 0.95: ``ApproximateSearch.default_candidates``).
        With ``dedupe``, hits in identical sentences are shown once, counted in ``duplicates``.
        ``lemma``, ``pos`` and ``any_case`` choose the occurrences searched from and, for
        ``same-word``, among (with a context, ``word`` or the ``[[w]]`` mark names the word in
        it); ``where`` (SQL over the fields) filters the query occurrences and every hit.
        Hits carry ``lemma`` and ``upos`` where the index has them, and the ``fields`` named.
        """
        check_choice("scope", scope, options.SCOPES, QueryError)
        _positive("k", k)
        columns = extra_columns(self, parse_fields(fields))
        if context is not None and occurrence is not None:
            raise QueryError("give a context sentence or an occurrence, not both")
        if position is not None and context is None:
            raise QueryError("position picks the word in a context sentence; give a context")
        self.reader.check_layer(layer)
        chosen = None
        if lemma is not None or pos is not None or any_case or where is not None:
            chosen = self._chosen(word, lemma, pos, any_case, where, context)
        points, vectors = self._query_points(
            word, layer, context, position, occurrence, limit, chosen
        )
        word = points[0].word
        block_of = chosen if chosen is not None and context is None else None
        if chosen is not None and context is not None:
            block_of = replace(chosen, word=chosen.word or word)
        exclude = [point.occurrence for point in points]

        def approximate(wanted_k: int) -> list[tuple[np.ndarray, np.ndarray]]:
            if candidates:
                wanted = max(_positive("candidates", candidates), wanted_k)
            else:
                wanted = self.approximate.default_candidates(layer, wanted_k)
            return self.approximate.search(layer, vectors, wanted_k, exclude, wanted)

        def search(wanted_k: int) -> list[tuple[np.ndarray, np.ndarray]]:
            if scope == "same-word":
                block = self.word_block(block_of or word, layer)
                return search_exact(vectors, block, wanted_k, exclude)
            if where is None:
                return approximate(wanted_k)
            return self._filtered(approximate, where, wanted_k)

        hits = self._deduped(points, search, k) if dedupe else self._hits(points, search(k))
        return Neighbors(
            word=word,
            layer=layer,
            scope=scope,
            k=k,
            queries=tuple(points),
            hits=with_columns(self, hits, columns),
            query=word if block_of is None else block_of.label,
            columns=columns,
        )

    def senses(
        self,
        word: str | None = None,
        layer: int = options.LAYER,
        n: int | None = None,
        *,
        examples: int = options.EXAMPLES,
        dedupe: bool = options.SENSE_DEDUPE,
        refresh: bool = False,
        keep: bool = True,
        settings: SenseSettings | None = None,
        lemma: str | None = None,
        pos: str | None = None,
        any_case: bool = False,
        where: str | None = None,
        fields: str | Sequence[str] | None = None,
    ) -> Senses:
        """The senses of ``word`` on ``layer``, induced from every one of its occurrences.

        ``n`` forces the number of senses (None: found by the criterion of
        :mod:`query.senses.cluster`); ``examples`` typical occurrences are shown per sense
        (``dedupe``, the default: identical sentences once, with their count). The result is
        kept in the index directory (``keep``) and read back by the next call while the index
        is unchanged (``refresh`` computes it again). Examples carry ``lemma`` and ``upos``
        where the index has them, and the ``fields`` named.
        """
        from query.senses.cluster import SenseSettings
        from query.senses.induce import word_senses

        chosen = settings or SenseSettings()
        if n is not None:
            chosen = replace(chosen, n=_positive("n", n))
        columns = extra_columns(self, parse_fields(fields))
        found = word_senses(
            self,
            Selection(word, lemma, pos, any_case, where),
            layer,
            chosen,
            examples=_positive("examples", examples),
            dedupe_examples=dedupe,
            refresh=refresh,
            keep=keep,
        )
        return found.with_columns(columns, lambda items: with_columns(self, items, columns))

    def compare(
        self,
        by: str,
        word: str | None = None,
        *,
        bins: str | Sequence[float] | None = None,
        layer: int = options.LAYER,
        lemma: str | None = None,
        pos: str | None = None,
        any_case: bool = False,
        where: str | None = None,
        settings: SenseSettings | None = None,
        keep: bool = True,
    ) -> Comparison:
        """``word``'s (or a lemma's, a part of speech's) occurrences per group of the field
        ``by`` (or per ``bins`` of a numeric or date field: edges): the share of each of its
        senses per group, and APD, PRT and JSD between every two groups. ``bins`` are edges
        (``"1990,2000,2010"`` or numbers): ``a-b`` holds ``a <= value < b``. The senses it
        needs are kept as :meth:`senses` keeps them (``keep``)."""
        from query.changes.compare import compare
        from query.changes.groups import parse_bins

        selection = Selection(word, lemma, pos, any_case, where)
        return compare(
            self, selection, by, bins=parse_bins(bins), layer=layer, settings=settings, keep=keep
        )

    def changes(
        self,
        by: str,
        source: str,
        target: str,
        *,
        bins: str | Sequence[float] | None = None,
        layer: int = options.LAYER,
        score: str = options.CHANGE_SCORE,
        min_count: int = options.MIN_COUNT,
        n: int | None = options.CHANGES_SHOWN,
        where: str | None = None,
        words: Sequence[str] | None = None,
    ) -> Changes:
        """Every word with ``min_count`` occurrences in both groups ``source`` and ``target``
        of the field ``by`` (or only ``words``), ranked by ``score`` (``prt``, ``apd`` or
        ``jsd``), the first ``n`` (None: all)."""
        from query.changes.groups import parse_bins
        from query.changes.vocabulary import word_changes

        return word_changes(
            self,
            by,
            source,
            target,
            bins=parse_bins(bins),
            layer=layer,
            score=score,
            min_count=min_count,
            n=n,
            where=where,
            words=words,
        )

    def plot_senses(
        self,
        senses: Senses,
        path: str | Path,
        *,
        max_points: int = options.PLOT_POINTS,
        size: tuple[int, int] | None = None,
        context: str | Sequence[str] | SenseTag | None = None,
    ) -> Path:
        """Draw the 2-D map of the word's occurrences coloured by sense, with each sense's
        centre (PNG or SVG by suffix). ``context``, a sentence (``[[word]]`` marks the word
        where it repeats) or what :meth:`Senses.assign` made of one, is placed on it as a star
        in the colour of its sense."""
        from query.senses.projection import draw_sense_map

        return draw_sense_map(
            self, senses, Path(path), max_points=max_points, size=size, context=context
        )

    def distances(
        self, items: Sequence[Item], layers: Sequence[int] = options.DISTANCE_LAYERS
    ) -> DistanceTable:
        """Per layer, the cosine-distance matrix between ``items``.

        An item is a stored occurrence (its id, or an ``Occurrence``/``Hit``) or a word in a
        sentence: ``(sentence, word)`` or ``(sentence, word, position)``. Layers that were
        not stored can be asked for when every item is a sentence.
        """
        wanted = tuple(layers)
        if not items:
            raise QueryError("give at least one occurrence or (sentence, word) pair")
        if not wanted:
            raise QueryError("give at least one layer")
        parsed = [parse_item(item) for item in items]
        if any(isinstance(item, int) for item in parsed):
            for layer in wanted:
                self.reader.check_layer(layer)
        embedded: dict[tuple[str, ...], np.ndarray] = {}
        rows: list[tuple[DistanceItem, int | np.ndarray]] = []  # a stored id, or embedded vectors
        for item in parsed:
            if isinstance(item, int):
                rows.append((stored_item(self.occurrence(item)), item))
                continue
            tokens, word, at = item
            key = tuple(tokens)
            if key not in embedded:
                embedded[key] = self._embed_layers(tokens, wanted)
            rows.append((sentence_item(tokens, word, at), embedded[key][:, at]))

        def vector(source: int | np.ndarray, layer: int) -> np.ndarray:
            return self.vectors([source], layer)[0] if isinstance(source, int) else source[layer]

        vectors = {
            layer: np.stack([vector(source, layer) for _, source in rows]) for layer in wanted
        }
        return distance_table([entry for entry, _ in rows], vectors)

    # -- internals --------------------------------------------------------------------------

    def _embed_layers(self, tokens: Sequence[str], layers: tuple[int, ...]) -> np.ndarray:
        """(num_layers, len(tokens), dim) vectors of a sentence, once ``layers`` are checked."""
        num_layers = self.embedder.num_layers
        bad = [layer for layer in layers if not 0 <= layer < num_layers]
        if bad:
            raise QueryError(
                f"layer {bad[0]} does not exist; the model has layers 0 to {num_layers - 1}"
            )
        return self.embedder.embed(list(tokens))

    def word_block(self, word: str | Selection, layer: int) -> Candidates:
        """The occurrences of ``word`` (or of a selection) with their float32 vectors on
        ``layer`` (cached)."""
        selection = Selection(word) if isinstance(word, str) else word

        def make() -> Candidates:
            ids = self.select(selection)
            if len(ids) == 0:
                raise self.nothing_found(selection)
            vectors = self.reader.vectors(layer)
            block = Candidates.of(ids, vectors.take(ids))
            vectors.release()  # the file pages read stay cached by the system, not counted here
            return block

        return self.blocks.get((selection.key, layer), make)

    def _chosen(
        self,
        word: str | None,
        lemma: str | None,
        pos: str | None,
        any_case: bool,
        where: str | None,
        context: str | Sequence[str] | None,
    ) -> Selection:
        """The selection of a query: with a context, the word may come from its mark."""
        if word is None and lemma is None and pos is None and context is not None:
            _, marked, _ = context_query(context, None, None)
            word = marked
        return Selection(word, lemma, pos, any_case, where)

    def _filtered(
        self,
        search: Callable[[int], list[tuple[np.ndarray, np.ndarray]]],
        where: str,
        k: int,
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """The first ``k`` hits per query that satisfy ``where``: more are searched until each
        query has ``k``, or every occurrence was searched."""
        wanted = 4 * k
        while True:
            found = search(wanted)
            every = np.unique(np.concatenate([ids for ids, _ in found])) if found else np.empty(0)
            allowed = self.fields.where(where, every.astype(np.int64))
            out = []
            for ids, distances in found:
                keep = np.isin(ids, allowed)
                out.append((ids[keep][:k], distances[keep][:k]))
            short = any(len(ids) < k for ids, _ in out)
            if not short or wanted >= self.rows.n_occurrences:
                return out
            wanted *= 4

    def _query_points(
        self,
        word: str | None,
        layer: int,
        context: str | Sequence[str] | None,
        position: int | None,
        occurrence: int | None,
        limit: int | None,
        chosen: Selection | None = None,
    ) -> tuple[list[QueryPoint], np.ndarray]:
        if occurrence is not None:
            found = self.occurrence(occurrence)
            if word is not None and word != found.token:
                raise QueryError(
                    f"occurrence {occurrence} is {found.token!r}, not {word!r}; leave out word "
                    "to search from it",
                    setting="word",
                )
            point = QueryPoint(found.token, found.occurrence, found.sentence, found.position)
            return [point], self.vectors([found.occurrence], layer)
        if context is not None:
            tokens, word, at = context_query(context, word, position)
            vectors = self.embedder.embed(tokens)[:, at]
            return [QueryPoint(word, None, " ".join(tokens), at)], as_float32(vectors[layer])
        if chosen is not None:
            ids = self.select(chosen)
            if len(ids) == 0:
                raise self.nothing_found(chosen)
        elif word is None:
            raise QueryError("give a word (with a context sentence or not) or an occurrence")
        else:
            ids = self.occurrence_ids(word)
        if limit is not None:
            ids = ids[: _positive("limit", limit)]
        points = [
            QueryPoint(row.token, row.occurrence, row.sentence, row.position)
            for row in self.rows.lookup(ids)
        ]
        return points, self.vectors(ids, layer)

    def _deduped(
        self,
        points: list[QueryPoint],
        search: Callable[[int], list[tuple[np.ndarray, np.ndarray]]],
        k: int,
    ) -> tuple[Hit, ...]:
        """The first ``k`` hits of distinct sentences per query point, each with the count of
        its copies: more are searched until every query has gone past its last shown hit."""
        wanted = 4 * k + 16
        while True:
            found = search(wanted)
            every = self._hits(points, found)
            exhausted = all(len(ids) < wanted for ids, _ in found)
            groups: dict[int | None, list[Hit]] = {}
            for hit in every:
                groups.setdefault(hit.query_occurrence, []).append(hit)
            out: list[Hit] = []
            complete = True
            for point in points:
                ranked = groups.get(point.occurrence, [])
                shown, done = dedupe(ranked, [hit.distance for hit in ranked], k)
                complete = complete and (done or len(ranked) < wanted)
                out.extend(
                    replace(hit, rank=rank, duplicates=copies)
                    for rank, (hit, copies) in enumerate(shown, start=1)
                )
            if complete or exhausted or wanted >= self.rows.n_occurrences:
                return tuple(out)
            wanted *= 4

    def _hits(
        self, points: list[QueryPoint], found: list[tuple[np.ndarray, np.ndarray]]
    ) -> tuple[Hit, ...]:
        every = np.unique(np.concatenate([ids for ids, _ in found])) if found else np.empty(0)
        records = dict(zip(every.tolist(), self.rows.lookup(every), strict=True))
        hits = []
        for point, (ids, distances) in zip(points, found, strict=True):
            for rank, (occ, distance) in enumerate(
                zip(ids.tolist(), distances.tolist(), strict=True), start=1
            ):
                row = records[occ]
                hits.append(
                    Hit(
                        query_occurrence=point.occurrence,
                        rank=rank,
                        occurrence=occ,
                        distance=float(distance),
                        token=row.token,
                        doc_id=row.doc_id,
                        sent_id=row.sent_id,
                        position=row.position,
                        sentence=row.sentence,
                    )
                )
        return tuple(hits)


def _positive(name: str, value: int) -> int:
    at_least(name, value, error=QueryError)
    return value
