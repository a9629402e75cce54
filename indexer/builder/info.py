"""What ``indexer info`` shows: an index directory's manifest in words."""

from __future__ import annotations

from pathlib import Path

from indexer.builder.progress import SKIP_LABELS, clock_text
from indexer.sizes import format_size
from indexer.store.files import tree_bytes
from indexer.store.manifest import Manifest, read_manifest


def describe_index(root: str | Path) -> str:
    """A few lines on the index at ``root``: state, model, corpus, counts, indexes, size."""
    manifest = read_manifest(root)
    return "\n".join(describe_manifest(manifest, Path(root)))


def describe_manifest(manifest: Manifest, root: Path) -> list[str]:
    settings, model, corpus = manifest.settings, manifest.model, manifest.corpus
    if manifest.complete:
        state = "complete"
    else:
        state = (
            f"incomplete: {len(manifest.shards)} shards committed "
            f"({manifest.n_occurrences:,} occurrences); run the same `indexer build` command "
            "again to resume"
        )
    name = model.get("name")
    lines = [
        f"{root}: {state} (format version {manifest.format_version})",
        f"model: {name}, {settings['model']['family']} {settings['model']['identity'][:12]}, "
        f"state {settings['state']}, dim {manifest.dim}",
        f"layers: {', '.join(map(str, manifest.layers))} ({manifest.dtype})",
    ]
    size = corpus.get("bytes")
    lines.append(
        f"corpus: {corpus.get('path')} ({corpus.get('format')}"
        + (f", {format_size(size)}" if size else "")
        + ")"
    )
    counts = manifest.counts
    if manifest.corpus_done:
        lines.append(
            f"counts: {counts.get('sentences', 0):,} sentences, {counts.get('tokens', 0):,} "
            f"tokens, {counts.get('documents', 0):,} documents, "
            f"{counts.get('types', 0):,} token types, {len(manifest.shards)} shards"
        )
        skipped = [
            f"{n:,} {label}"
            for key, label in SKIP_LABELS.items()
            if (n := manifest.reader_stats.get(key, 0))
        ]
        lines.append("input: " + ("; ".join(skipped) if skipped else "nothing skipped"))
    for layer, entry in sorted(manifest.indexes.items(), key=lambda item: int(item[0])):
        plan, recall = entry["plan"], entry["recall"]
        lines.append(
            f"index layer {layer}: {plan['factory']}, recall@{recall['k']} "
            f"{recall['recall_at_k']:.3f}{' (exact)' if recall['exact'] else ''}, "
            f"{format_size(entry['bytes'])}, built in {entry['build_s']:.1f} s"
        )
    timings = manifest.timings
    if timings:
        parts = [f"{key.removesuffix('_s')} {clock_text(value)}" for key, value in timings.items()]
        lines.append("time: " + ", ".join(parts))
    lines.append(f"size on disk: {format_size(tree_bytes(root))}")
    return lines
