"""The summary of an index directory: one record built from its manifest, as text and JSON.

``indexer info DIR``, ``query info --index DIR`` and ``SenseIndex.info()`` show it; the end of
a build reports from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypedDict

from indexer.display import Preview
from indexer.sizes import clock_text, counted, format_size
from indexer.store.files import tree_bytes
from indexer.store.manifest import Manifest, read_manifest
from indexer.store.records import CorpusRecord

#: The reader's counts of skipped or changed input (``ReadStats`` fields), as people read them:
#: the noun counted, and what happened to it.
SKIP_LABELS = {
    "skipped_encoding": ("sentence", "with invalid UTF-8 skipped"),
    "skipped_long": ("long sentence", "skipped"),
    "split_long": ("long sentence", "split into windows"),
    "empty": ("empty sentence", "skipped"),
    "truncated_tokens": ("over-long token", "cut"),
    "replaced_encoding": ("line", "with invalid UTF-8 repaired"),
}


def input_line(skipped: Mapping[str, int]) -> str:
    """What the reader skipped or changed, as one line.

    >>> input_line({"skipped_long": 2, "split_long": 0, "empty": 1})
    'input: 2 long sentences skipped; 1 empty sentence skipped'
    >>> input_line({})
    'input: nothing skipped'
    """
    counts = [
        f"{counted(n, noun)} {what}"
        for key, (noun, what) in SKIP_LABELS.items()
        if (n := skipped.get(key, 0))
    ]
    return "input: " + ("; ".join(counts) if counts else "nothing skipped")


class LayerIndexInfo(TypedDict):
    """One layer's FAISS indexes in the summary, over the segments: factory string (the
    distinct ones, joined by " + "), the lowest recall@``recall_k``, whether every index is
    exact, the files' total size and build seconds."""

    factory: str
    recall_k: int
    recall: float
    exact: bool
    bytes: int
    build_s: float


@dataclass(frozen=True, repr=False)
class IndexInfo(Preview):
    """A summary of one index directory (``complete`` once its build finished).

    ``model`` is the name the build was given (None: the registry's default); ``state`` the
    encoder's state policy; ``corpora`` the inputs, in order (path, format, bytes). Counts cover
    the committed shards; ``documents`` and ``types`` are 0 until the corpus, and the
    lexicon, are done; ``segments`` is how many segments the shards are grouped in.
    """

    path: str
    complete: bool
    format_version: int
    model: str | None
    identity: str
    family: str
    state: str
    layers: tuple[int, ...]
    dtype: str
    dim: int
    corpora: tuple[Mapping[str, Any], ...]
    corpus_done: bool
    segments: int
    shards: int
    occurrences: int
    sentences: int
    documents: int
    types: int
    skipped: Mapping[str, int]
    indexes: Mapping[int, LayerIndexInfo]
    timings: Mapping[str, float]
    bytes_on_disk: int

    @classmethod
    def from_manifest(cls, root: str | Path, manifest: Manifest) -> IndexInfo:
        """The summary of ``manifest``, the manifest of the directory ``root``."""
        settings, stats = manifest.settings, manifest.reader_stats()
        name = manifest.model.get("name")
        return cls(
            path=str(root),
            complete=manifest.complete,
            format_version=manifest.format_version,
            model=None if name is None else str(name),
            identity=settings.model.identity,
            family=settings.model.family,
            state=settings.state,
            layers=manifest.layers,
            dtype=manifest.dtype,
            dim=manifest.dim,
            corpora=tuple(_corpus_summary(c) for c in manifest.corpora),
            corpus_done=manifest.corpus_done,
            segments=len(manifest.segments),
            shards=len(manifest.shards),
            occurrences=manifest.n_occurrences,
            sentences=manifest.n_sentences,
            documents=manifest.n_documents,
            types=manifest.types,
            skipped={key: int(stats.get(key, 0)) for key in SKIP_LABELS},
            indexes=_layer_indexes(manifest),
            timings=dict(manifest.timings),
            bytes_on_disk=tree_bytes(Path(root)),
        )

    def to_dict(self) -> dict[str, Any]:
        """The summary as a JSON object."""
        data = asdict(self)
        data["layers"] = list(self.layers)
        data["corpora"] = [dict(corpus) for corpus in self.corpora]
        data["skipped"] = dict(self.skipped)
        data["indexes"] = {str(layer): dict(entry) for layer, entry in self.indexes.items()}
        data["timings"] = dict(self.timings)
        return data

    def summary(self) -> str:
        layers = ", ".join(map(str, self.layers))
        return (
            f"{self.path}: {self.occurrences:,} occurrences in {self.sentences:,} sentences, "
            f"layers {layers}, model {self.model or 'registry default'}"
            + ("" if self.complete else " (incomplete)")
        )

    preview_rows = 100

    def preview(self) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
        return ("summary",), [(line,) for line in self.lines()]

    def lines(self) -> list[str]:
        """The summary as text lines."""
        if self.complete:
            state = "complete"
        else:
            state = (
                f"incomplete: {counted(self.shards, 'shard')} committed "
                f"({counted(self.occurrences, 'occurrence')}); "
                "run the same `indexer build` command again to resume"
            )
        lines = [
            f"{self.path}: {state} (format version {self.format_version})",
            f"model: {self.model or 'registry default'}, {self.family} {self.identity[:12]}, "
            f"state {self.state}",
            f"layers: {', '.join(map(str, self.layers))} ({self.dtype}, dim {self.dim})",
        ]
        for corpus in self.corpora:
            size = f", {format_size(corpus['bytes'])}" if corpus["bytes"] else ""
            lines.append(f"corpus: {corpus['path']} ({corpus['format']}{size})")
            if corpus.get("fields"):
                shown = ", ".join(f"{f['name']} ({f['type']})" for f in corpus["fields"])
                lines.append(f"  metadata fields: {shown}")
            if corpus.get("metadata"):
                joined = corpus["metadata"]
                lines.append(
                    f"  joined {joined['path']}: {counted(joined['rows'], 'row')}, "
                    f"{counted(joined['missing_documents'], 'document')} without a row, "
                    f"{counted(joined['unknown_documents'], 'row')} naming no document"
                )
        if self.corpus_done:
            lines.append(
                f"counts: {counted(self.sentences, 'sentence')}, "
                f"{counted(self.occurrences, 'token')}, {counted(self.documents, 'document')}, "
                f"{counted(self.types, 'token type')}, {counted(self.shards, 'shard')}"
                + (f" in {self.segments} segments" if self.segments > 1 else "")
            )
            lines.append(input_line(self.skipped))
        for layer, entry in self.indexes.items():
            lines.append(
                f"index layer {layer}: {entry['factory']}, recall@{entry['recall_k']} "
                f"{entry['recall']:.3f}{' (exact)' if entry['exact'] else ''}, "
                f"{format_size(entry['bytes'])}, built in {entry['build_s']:.1f} s"
            )
        if self.timings:
            parts = [f"{key.removesuffix('_s')} {clock_text(s)}" for key, s in self.timings.items()]
            lines.append("time: " + ", ".join(parts))
        lines.append(f"size on disk: {format_size(self.bytes_on_disk)}")
        return lines


def _corpus_summary(corpus: CorpusRecord) -> dict[str, Any]:
    """A corpus as the summary shows it: path, format, size, and its metadata fields and the
    metadata file joined, where it has them."""
    out: dict[str, Any] = {"path": corpus.path, "format": corpus.format, "bytes": corpus.bytes}
    if corpus.fields is not None and corpus.fields.fields:
        out["fields"] = [info.to_dict() for info in corpus.fields.fields]
    if corpus.metadata is not None:
        out["metadata"] = corpus.metadata.to_dict()
    return out


def _layer_indexes(manifest: Manifest) -> dict[int, LayerIndexInfo]:
    """Per layer indexed in every segment, its indexes summed up (see :class:`LayerIndexInfo`)."""
    found: dict[int, LayerIndexInfo] = {}
    for layer in manifest.layers:
        entries = [s.indexes[layer] for s in manifest.segments if layer in s.indexes]
        if not entries or len(entries) < len(manifest.segments):
            continue
        found[layer] = {
            "factory": " + ".join(dict.fromkeys(entry.factory for entry in entries)),
            "recall_k": entries[0].recall.k,
            "recall": min(entry.recall.recall_at_k for entry in entries),
            "exact": all(entry.recall.exact for entry in entries),
            "bytes": sum(entry.bytes for entry in entries),
            "build_s": round(sum(entry.build_s for entry in entries), 3),
        }
    return found


def read_info(root: str | Path) -> IndexInfo:
    """The summary of the index directory ``root``, finished or not."""
    return IndexInfo.from_manifest(root, read_manifest(root))
