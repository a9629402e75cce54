"""An index directory opened for reading: finished manifest, lexicons, vectors, shard tables.

Opening reads the manifest only; the segments' lexicons and each layer's vector files are
opened on first use and kept, a shard's tables are read when asked for. Sizes and row counts
are checked against the manifest (cheap, no hashing): a damaged or half-written directory
gives one :class:`IndexStateError` naming the file. ``indexer info --verify`` checks every digest.
Reading imports neither pandas nor FAISS (pyarrow's ``ParquetFile``, not ``read_table``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from indexer.errors import IndexStateError, QueryError
from indexer.store.columns import numeric_column
from indexer.store.files import size_problem
from indexer.store.layer_vectors import LayerVectors
from indexer.store.layout import IndexLayout
from indexer.store.lexicon import Annotations, Lexicon, Lexicons
from indexer.store.manifest import Manifest, read_complete_manifest
from indexer.store.records import FileEntry, ShardRecord

#: The columns of ``sentences/*.parquet`` that keyword-in-context lookups read.
KWIC_COLUMNS = ("sent_id", "doc_id", "first_occ", "n_tokens", "text")

_REBUILD = "the index is damaged (rebuild it with `indexer build ... --overwrite`)"


def layer_vectors(
    layout: IndexLayout, manifest: Manifest, layer: int, shards: Sequence[ShardRecord] | None = None
) -> LayerVectors:
    """One stored layer's vectors over ``shards`` (default: all), read in place from their
    vector files: row ``i`` is the ``i``-th occurrence of those shards."""
    chosen = manifest.shards if shards is None else shards
    int8 = None
    if manifest.int8 is not None:
        from indexer.store.quantize import Int8Scale

        int8 = Int8Scale.from_dict(manifest.int8[layer])
    return LayerVectors(
        [layout.vectors_part(layer, shard.index) for shard in chosen],
        [shard.n_occurrences for shard in chosen],
        manifest.dim,
        manifest.dtype,
        int8,
    )


def check_sizes(root: Path, files: Mapping[str, FileEntry]) -> None:
    """Raise :class:`IndexStateError` naming the first of ``files`` (paths from ``root``) whose
    size is not the recorded one."""
    for name, record in files.items():
        problem = size_problem(root / name, record)
        if problem is not None:
            raise IndexStateError(f"file is {problem}; {_REBUILD}", path=root / name)


def read_shard_table(path: Path, columns: Sequence[str], rows: int) -> pa.Table:
    """Read ``columns`` of one shard file, which must hold ``rows`` rows; a missing, unreadable
    or short file is named."""
    try:
        table = pq.ParquetFile(path).read(columns=list(columns))
    except FileNotFoundError as err:
        raise IndexStateError("shard file is missing; the index is damaged", path=path) from err
    except (OSError, pa.ArrowException, ValueError) as err:
        raise IndexStateError(f"shard file is corrupt: {err}", path=path) from err
    if table.num_rows != rows:
        raise IndexStateError(
            f"shard file has {table.num_rows} rows, the manifest {rows}; the index is damaged",
            path=path,
        )
    return table


@dataclass(frozen=True, eq=False)
class SentenceRows:
    """One shard's sentences as keyword-in-context lookups read them (``KWIC_COLUMNS``); the
    strings stay Arrow arrays, and a row's are made Python strings when it is looked up."""

    sent_ids: np.ndarray
    first_occ: np.ndarray
    n_tokens: np.ndarray
    doc_ids: pa.ChunkedArray
    texts: pa.ChunkedArray

    def text(self, row: int) -> str:
        return str(self.texts[row].as_py())

    def doc_id(self, row: int) -> str:
        return str(self.doc_ids[row].as_py())


@dataclass(frozen=True)
class SegmentIndex:
    """One segment's FAISS index file of a layer: its ids are occurrence ids less ``first``;
    it holds ``n`` vectors; ``plan`` is the plan it was built from (``IndexPlan.to_dict()``);
    its recall was measured re-ranking ``candidates`` (None: not recorded) for ``recall_k``."""

    path: Path
    first: int
    n: int
    plan: Mapping[str, Any]
    candidates: int | None
    recall_k: int


class IndexReader:
    """The readable parts of one finished index directory at ``root``."""

    def __init__(self, root: str | Path) -> None:
        self.layout = IndexLayout(Path(root))
        self.manifest = read_complete_manifest(self.layout.root)
        self._vectors: dict[int, LayerVectors] = {}

    @property
    def n_occurrences(self) -> int:
        return self.manifest.n_occurrences

    def check_layer(self, layer: int) -> None:
        """Raise QueryError unless ``layer`` was stored in this index."""
        if layer in self.manifest.layers:
            return
        stored = ", ".join(map(str, self.manifest.layers))
        has = f"layer {stored}" if len(self.manifest.layers) == 1 else f"layers {stored}"
        model_layers = self.manifest.model.get("num_layers")
        if isinstance(model_layers, int) and not 0 <= layer < model_layers:
            also = (
                ""
                if self.manifest.layers == tuple(range(model_layers))
                else f"; this index has {has}"
            )
            raise QueryError(
                f"layer {layer} does not exist: the model has layers 0 to {model_layers - 1}"
                + also,
                setting="layer",
            )
        raise QueryError(
            f"layer {layer} was not indexed; this index has {has} "
            "(build with --layers to add others)",
            setting="layer",
        )

    @cached_property
    def lexicon(self) -> Lexicons:
        """Token counts and postings of every segment; the files are checked against the
        manifest's sizes."""
        positions = range(len(self.manifest.segments))
        return Lexicons(
            [self._segment_lexicon(position) for position in positions],
            [self._segment_annotations(position) for position in positions],
        )

    def _segment_annotations(self, position: int) -> Annotations | None:
        segment = self.manifest.segments[position]
        if segment.lexicon is None or segment.lexicon.annotation_keys is None:
            return None
        try:
            return Annotations.open(self.layout, segment.id)
        except FileNotFoundError as err:
            raise IndexStateError("annotation lexicon file is missing", path=err.filename) from err
        except (OSError, ValueError, pa.ArrowException) as err:
            raise IndexStateError(
                f"annotation lexicon is corrupt: {err}",
                path=self.layout.annotations(segment.id).parent,
            ) from err

    def _segment_lexicon(self, position: int) -> Lexicon:
        segment = self.manifest.segments[position]
        assert segment.lexicon is not None  # read_complete_manifest checked it
        check_sizes(self.layout.root, segment.lexicon.files)
        try:
            lexicon = Lexicon.open(self.layout, segment.id)
        except FileNotFoundError as err:
            raise IndexStateError("lexicon file is missing", path=err.filename) from err
        except (OSError, ValueError, pa.ArrowException) as err:
            raise IndexStateError(
                f"lexicon is corrupt: {err}", path=self.layout.lexicon(segment.id).parent
            ) from err
        first, end = self.manifest.segment_range(position)
        postings = lexicon.postings
        if (
            len(postings) != end - first
            or (len(lexicon.counts) and int(lexicon.counts.sum()) != end - first)
            or (len(postings) and not first <= int(postings[0]) < end)
        ):
            raise IndexStateError(
                f"lexicon covers {len(postings)} occurrences, the manifest {end - first}; "
                "the index is damaged",
                path=self.layout.lexicon(segment.id).parent,
            )
        return lexicon

    def vectors(self, layer: int) -> LayerVectors:
        """One stored layer's vectors, read in place: row ``i`` is occurrence ``i``."""
        found = self._vectors.get(layer)
        if found is None:
            self.check_layer(layer)
            found = layer_vectors(self.layout, self.manifest, layer)
            names = {self.layout.relative(path) for path in found.paths}
            check_sizes(
                self.layout.root,
                {
                    n: e
                    for shard in self.manifest.shards
                    for n, e in shard.files.items()
                    if n in names
                },
            )
            self._vectors[layer] = found
        return found

    def index_files(self, layer: int) -> list[SegmentIndex] | None:
        """Each segment's FAISS index file of a stored layer, its size checked; None where a
        segment has no index for the layer."""
        self.check_layer(layer)
        found = []
        for position, segment in enumerate(self.manifest.segments):
            entry = segment.indexes.get(layer)
            if entry is None:
                return None
            check_sizes(self.layout.root, {entry.path: entry.file})
            first, end = self.manifest.segment_range(position)
            found.append(
                SegmentIndex(
                    self.layout.root / entry.path,
                    first,
                    end - first,
                    entry.plan,
                    entry.recall.candidates,
                    entry.recall.k,
                )
            )
        return found

    def sentences(self, shard: ShardRecord) -> SentenceRows:
        """The sentences of ``shard``, checked to cover its occurrences."""
        path = self.layout.sentences_part(shard.index)
        table = read_shard_table(path, KWIC_COLUMNS, shard.n_sentences)
        first_occ = numeric_column(table, "first_occ", np.int64)
        n_tokens = numeric_column(table, "n_tokens", np.int32).astype(np.int64)
        if (
            len(first_occ) == 0
            or int(first_occ[0]) != shard.first_occurrence
            or int(n_tokens.sum()) != shard.n_occurrences
        ):
            raise IndexStateError(
                "sentence rows do not cover the shard's occurrences; the index is damaged",
                path=path,
            )
        return SentenceRows(
            sent_ids=numeric_column(table, "sent_id", np.int64),
            first_occ=first_occ,
            n_tokens=n_tokens,
            doc_ids=table.column("doc_id"),
            texts=table.column("text"),
        )

    def tokens(self, shard: ShardRecord) -> list[str]:
        """The tokens of ``shard``'s occurrences, in order (from its occurrence file)."""
        path = self.layout.occurrences_part(shard.index)
        table = read_shard_table(path, ["token"], shard.n_occurrences)
        return list(table.column("token").to_pylist())
