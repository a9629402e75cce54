"""What ``SenseIndex.info()`` returns: an index's model, layers, counts and FAISS indexes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from indexer.store.manifest import Manifest


@dataclass(frozen=True)
class IndexInfo:
    """A summary of one finished index directory."""

    path: str
    model: str | None
    identity: str
    family: str
    state: str
    layers: tuple[int, ...]
    dtype: str
    dim: int
    occurrences: int
    sentences: int
    documents: int
    types: int
    indexes: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_manifest(cls, root: Path, manifest: Manifest) -> IndexInfo:
        settings = manifest.settings
        model = manifest.model.get("name")
        indexes = {
            int(layer): {
                "factory": entry.get("plan", {}).get("factory"),
                "recall_k": entry.get("recall", {}).get("k"),
                "recall": entry.get("recall", {}).get("recall_at_k"),
            }
            for layer, entry in sorted(manifest.indexes.items(), key=lambda kv: int(kv[0]))
        }
        return cls(
            path=str(root),
            model=None if model is None else str(model),
            identity=str(settings["model"]["identity"]),
            family=str(settings["model"].get("family", "")),
            state=str(settings.get("state", "")),
            layers=manifest.layers,
            dtype=manifest.dtype,
            dim=manifest.dim,
            occurrences=manifest.n_occurrences,
            sentences=manifest.n_sentences,
            documents=int(manifest.counts.get("documents", 0)),
            types=int(manifest.counts.get("types", 0)),
            indexes=indexes,
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["layers"] = list(self.layers)
        data["indexes"] = {str(k): dict(v) for k, v in self.indexes.items()}
        return data

    def lines(self) -> list[str]:
        """The summary as text lines."""
        lines = [
            f"index: {self.path}",
            f"model: {self.model or 'registry default'} ({self.family} {self.identity[:12]}, "
            f"state {self.state})",
            f"layers: {', '.join(map(str, self.layers))} ({self.dtype}, dim {self.dim})",
            f"corpus: {self.occurrences:,} occurrences, {self.sentences:,} sentences, "
            f"{self.documents:,} documents, {self.types:,} token types",
        ]
        for layer, entry in self.indexes.items():
            recall = entry.get("recall")
            recall_text = "" if recall is None else f", recall@{entry.get('recall_k')} {recall:.3f}"
            lines.append(f"FAISS layer {layer}: {entry.get('factory')}{recall_text}")
        return lines
