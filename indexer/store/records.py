"""The typed parts of ``manifest.json``: settings, corpora, segments, shards, lexicons, indexes
and runs.

Each record has one reader (``from_dict``, from the JSON object) and one writer (``to_dict``,
to it); the writer gives back the keys in the order and the values as they were read, so that a
manifest read and written again is the same bytes. A file is recorded as ``{"bytes", "sha256"}``
(:func:`indexer.store.files.file_record`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

#: What the manifest records of one file: ``{"bytes": size, "sha256": digest}``.
FileEntry = dict[str, Any]


@dataclass(frozen=True)
class ModelSettings:
    """The model a build's vectors come from, as far as a rerun must match it."""

    identity: str
    family: str
    dim: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSettings:
        return cls(identity=data["identity"], family=data["family"], dim=data["dim"])

    def to_dict(self) -> dict[str, Any]:
        return {"identity": self.identity, "family": self.family, "dim": self.dim}


@dataclass(frozen=True)
class Settings:
    """The settings a rerun, or an appended corpus, must match to share a directory.

    ``reader`` holds the reader's options (:class:`indexer.corpus.ReaderConfig`'s fields, with
    the format detected from the first corpus) and ``index`` the indexing options
    (``IndexConfig``'s fields), as the build recorded them: their owners are those classes,
    compared here key by key. ``carry_batch_size`` is None unless the state policy is
    ``carry``.
    """

    model: ModelSettings
    state: str
    layers: tuple[int, ...]
    dtype: str
    reader: Mapping[str, Any]
    shard_rows: int
    carry_batch_size: int | None
    index: Mapping[str, Any]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Settings:
        return cls(
            model=ModelSettings.from_dict(data["model"]),
            state=data["state"],
            layers=tuple(data["layers"]),
            dtype=data["dtype"],
            reader=dict(data["reader"]),
            shard_rows=data["shard_rows"],
            carry_batch_size=data["carry_batch_size"],
            index=dict(data["index"]),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (also what a rerun's settings are compared with, key by key)."""
        return {
            "model": self.model.to_dict(),
            "state": self.state,
            "layers": list(self.layers),
            "dtype": self.dtype,
            "reader": dict(self.reader),
            "shard_rows": self.shard_rows,
            "carry_batch_size": self.carry_batch_size,
            "index": dict(self.index),
        }


@dataclass(frozen=True)
class ShardRecord:
    """One committed shard: its rows and the files (sizes, sha256) that hold them.

    ``files`` maps a path relative to the index root to its file entry; ``state`` is the
    encoder state file saved after the shard (``carry`` policy), or None.
    """

    index: int
    first_sentence: int
    n_sentences: int
    first_occurrence: int
    n_occurrences: int
    files: dict[str, FileEntry]
    state: str | None = None

    @property
    def end_occurrence(self) -> int:
        return self.first_occurrence + self.n_occurrences

    @property
    def end_sentence(self) -> int:
        return self.first_sentence + self.n_sentences

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ShardRecord:
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LexiconRecord:
    """A segment's lexicon: how many token types, and its files; ``annotation_keys`` counts the
    ``(token, lemma, upos)`` keys of its annotation lexicon (None: it has none)."""

    types: int
    files: dict[str, FileEntry]
    annotation_keys: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LexiconRecord:
        return cls(
            types=data["types"],
            files=dict(data["files"]),
            annotation_keys=data.get("annotation_keys"),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"types": self.types, "files": dict(self.files)}
        if self.annotation_keys is not None:
            out["annotation_keys"] = self.annotation_keys
        return out


@dataclass(frozen=True)
class RecallRecord:
    """A layer's recall@k as the build found it: the fields of ``RecallReport``, and whether it
    was measured (an exact Flat index has recall 1 by construction); ``candidates`` is None in
    the manifests of builds that did not re-rank."""

    k: int
    n_queries: int
    recall_at_k: float
    exact: bool
    search_ms_per_query: float
    measured: bool
    candidates: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RecallRecord:
        # The first builds did not record ``measured``: what they measured had queries. Builds
        # before re-ranked recall recorded no ``candidates`` (their recall counted k results).
        return cls(**{"measured": data["n_queries"] > 0, **data})

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


@dataclass(frozen=True)
class IndexRecord:
    """One layer's saved FAISS index: its file, the plan it was built from, its recall, times.

    ``plan`` is ``IndexPlan.to_dict()`` (``indexer.index.IndexPlan.from_dict`` reads it back).
    """

    path: str
    bytes: int
    sha256: str
    plan: Mapping[str, Any]
    recall: RecallRecord
    build_s: float
    recall_s: float

    @property
    def factory(self) -> str:
        """The FAISS factory string the index was built from."""
        return str(self.plan["factory"])

    @property
    def file(self) -> FileEntry:
        """The index file's entry, as the other files are recorded."""
        return {"bytes": self.bytes, "sha256": self.sha256}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IndexRecord:
        return cls(
            path=data["path"],
            bytes=data["bytes"],
            sha256=data["sha256"],
            plan=dict(data["plan"]),
            recall=RecallRecord.from_dict(data["recall"]),
            build_s=data["build_s"],
            recall_s=data["recall_s"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "plan": dict(self.plan),
            "recall": self.recall.to_dict(),
            "build_s": self.build_s,
            "recall_s": self.recall_s,
        }


@dataclass(frozen=True)
class FieldInfo:
    """One metadata field of a corpus: its column ``name``, Arrow-backed ``type`` (``integer``,
    ``float``, ``boolean``, ``date`` or ``string``) and ``level`` (``document``: constant over
    each document, or given by the metadata file; ``sentence``: varies within a document)."""

    name: str
    type: str
    level: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FieldInfo:
        return cls(name=data["name"], type=data["type"], level=data["level"])

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "level": self.level}


@dataclass(frozen=True)
class MetadataRecord:
    """What joining a ``--metadata`` file found: its ``path`` and ``fingerprint``, its ``rows``,
    the corpus's documents it has no row for, and its rows naming no document of the corpus."""

    path: str
    fingerprint: str
    rows: int = 0
    missing_documents: int = 0
    unknown_documents: int = 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MetadataRecord:
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FieldsRecord:
    """A corpus's metadata tables (``fields/corpus=N/``): their files, the fields, the number
    of documents."""

    files: dict[str, FileEntry]
    fields: tuple[FieldInfo, ...]
    documents: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FieldsRecord:
        return cls(
            files=dict(data["files"]),
            fields=tuple(FieldInfo.from_dict(entry) for entry in data["fields"]),
            documents=data["documents"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": dict(self.files),
            "fields": [entry.to_dict() for entry in self.fields],
            "documents": self.documents,
        }


@dataclass(frozen=True)
class CorpusRecord:
    """One input of the index: the corpus of the build, then each appended one, in order.

    ``fingerprint`` identifies its content (:func:`indexer.corpus.fingerprint`); its sentences
    are the shards from ``first_shard`` to the next corpus's. ``done`` is true once every one
    of them is committed; the counts and ``reader_stats`` (``ReadStats`` fields) are known then.
    ``metadata`` is the ``--metadata`` file joined to its documents (None: none); ``fields``
    its metadata tables once written (None before, and in directories of earlier versions).
    """

    path: str
    format: str
    bytes: int | None
    fingerprint: str
    first_shard: int
    done: bool = False
    sentences: int = 0
    tokens: int = 0
    documents: int = 0
    reader_stats: Mapping[str, int] = field(default_factory=dict)
    metadata: MetadataRecord | None = None
    fields: FieldsRecord | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CorpusRecord:
        metadata, fields = data.get("metadata"), data.get("fields")
        return cls(
            **{
                **data,
                "reader_stats": dict(data.get("reader_stats", {})),
                "metadata": None if metadata is None else MetadataRecord.from_dict(metadata),
                "fields": None if fields is None else FieldsRecord.from_dict(fields),
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object; ``metadata`` and ``fields`` only where they are set (so that the
        manifests of earlier versions are written back as they were read)."""
        out = {
            key: getattr(self, key)
            for key in (
                "path",
                "format",
                "bytes",
                "fingerprint",
                "first_shard",
                "done",
                "sentences",
                "tokens",
                "documents",
            )
        }
        out["reader_stats"] = dict(self.reader_stats)
        if self.metadata is not None:
            out["metadata"] = self.metadata.to_dict()
        if self.fields is not None:
            out["fields"] = self.fields.to_dict()
        return out


@dataclass(frozen=True)
class SegmentRecord:
    """One immutable segment: the shards from ``first_shard`` to the next segment's, their
    lexicon and one FAISS index per stored layer, whose ids are the occurrence ids less the
    segment's first occurrence. ``id`` names the segment's folders (``segment=ID``) and is
    never reused in a directory. The lexicon and indexes are None and empty until built."""

    id: int
    first_shard: int
    lexicon: LexiconRecord | None = None
    indexes: Mapping[int, IndexRecord] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SegmentRecord:
        lexicon = data.get("lexicon")
        return cls(
            id=data["id"],
            first_shard=data["first_shard"],
            lexicon=None if lexicon is None else LexiconRecord.from_dict(lexicon),
            indexes={
                int(layer): IndexRecord.from_dict(entry)
                for layer, entry in data.get("indexes", {}).items()
            },
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "first_shard": self.first_shard,
            "lexicon": None if self.lexicon is None else self.lexicon.to_dict(),
            "indexes": {str(layer): entry.to_dict() for layer, entry in self.indexes.items()},
        }

    def files(self) -> dict[str, FileEntry]:
        """The segment's own files (lexicon and indexes) by path from the root."""
        found = dict(self.lexicon.files) if self.lexicon is not None else {}
        for entry in self.indexes.values():
            found[entry.path] = entry.file
        return found


@dataclass(frozen=True)
class RunRecord:
    """One run of the build command: when it started, the shard it resumed from, its device
    (None in the runs of the first builds, which did not record it); the tokens it encoded and
    its seconds once it finished (None for a run that was stopped)."""

    started: str
    resumed_from_shard: int
    device: str | None = None
    encoded_tokens: int | None = None
    seconds: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunRecord:
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object; a stopped run has no ``encoded_tokens`` and ``seconds``."""
        return {key: value for key, value in asdict(self).items() if value is not None}
