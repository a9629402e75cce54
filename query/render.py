"""Query results as text for the CLI: an aligned keyword-in-context table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from query.changes.compare import GROUP_FIELDS, Comparison
from query.changes.vocabulary import CHANGE_FIELDS, Changes
from query.kwic import KwicLine, kwic_text
from query.results import KWIC_FIELDS, DistanceTable, Neighbors, OccurrenceList, StoredToken
from query.senses.result import ASSIGNMENT_FIELDS, SENSE_FIELDS, Senses, SenseTag

FORMATS = ("table", "json", "csv")
KWIC_WIDTH = 40


def neighbors_data(result: Neighbors) -> dict[str, Any]:
    """The ``--format json`` answer of a neighbours query: its query points and its hits."""
    queries = [
        {
            "word": point.word,
            "occurrence": point.occurrence,
            "sentence": point.sentence,
            "position": point.position,
        }
        for point in result.queries
    ]
    head = {"word": result.word, "layer": result.layer, "scope": result.scope, "k": result.k}
    return {**head, "queries": queries, "hits": result.to_records(), "query": result.query}


def render_neighbors(result: Neighbors, fmt: str, *, bold: bool = False) -> str:
    if fmt == "json":
        return _json(neighbors_data(result))
    if fmt == "csv":
        return _kwic_csv(result.fields, result.hits)
    return neighbors_table(result, bold=bold)


def title(query: str) -> str:
    """How a table's header names its query (a :attr:`Selection.label`): a word quoted, a
    selection of several parts as it was given.

    >>> title("bank"), title("lemma=bank pos=NOUN"), title("bank where year < 2000")
    ("'bank'", 'lemma=bank pos=NOUN', 'bank where year < 2000')
    """
    return query if " " in query or "=" in query else repr(query)


def neighbors_table(result: Neighbors, *, bold: bool = False) -> str:
    """Per query point a header line, then one row per hit: rank, distance, ids, the extra
    columns, KWIC."""
    lines = [
        f"{title(result.query)} on layer {result.layer}, {result.k} nearest, scope {result.scope}",
    ]
    header = ("rank", "distance", "occurrence", "doc", "sent", "position", *result.columns)
    for point, hits in result.groups():
        where = "context" if point.occurrence is None else f"occurrence {point.occurrence}"
        lines.append("")
        lines.append(f"query ({where}): {point.kwic(KWIC_WIDTH).render(bold=bold)}")
        if not hits:
            lines.append("  (no other occurrence)")
            continue
        rows = [
            (
                str(hit.rank),
                f"{hit.distance:.4f}",
                str(hit.occurrence),
                hit.doc_id,
                str(hit.sent_id),
                str(hit.position),
                *_cells(hit, result.columns),
            )
            for hit in hits
        ]
        contexts = aligned([hit.kwic(KWIC_WIDTH) for hit in hits], bold=bold)
        contexts = [
            line + _copies(hit.duplicates) for line, hit in zip(contexts, hits, strict=True)
        ]
        lines.extend(_columns(header, rows, contexts))
    return "\n".join(lines)


def occurrences_data(result: OccurrenceList) -> dict[str, Any]:
    """The ``--format json`` answer of listed occurrences: the word, its count, the records."""
    return {"word": result.word, "count": len(result.ids), "occurrences": result.to_records()}


def render_occurrences(result: OccurrenceList, fmt: str, *, bold: bool = False) -> str:
    """Listed occurrences: ids, the extra columns and keyword-in-context lines, or JSON / CSV
    records."""
    if fmt == "json":
        return _json(occurrences_data(result))
    if fmt == "csv":
        return _kwic_csv(result.fields, result.items)
    lines = [f"{title(result.word)}: {len(result.ids):,} occurrences, {len(result.items):,} shown"]
    rows = [
        (
            str(item.occurrence),
            item.doc_id,
            str(item.sent_id),
            str(item.position),
            *_cells(item, result.columns),
        )
        for item in result.items
    ]
    if rows:
        kwic = aligned([item.kwic(KWIC_WIDTH) for item in result.items], bold=bold)
        header = ("occurrence", "doc", "sent", "position", *result.columns)
        lines.extend(_columns(header, rows, kwic))
    return "\n".join(lines)


def _cells(item: StoredToken, columns: Sequence[str]) -> list[str]:
    """The extra columns of a listed token as table cells (``_`` where it has no value)."""
    return [_cell(item.extra.get(name)) for name in columns]


def _cell(value: Any) -> str:
    return "_" if value is None else str(value)


def _kwic_csv(fields: Sequence[str], items: Sequence[StoredToken]) -> str:
    """CSV records of listed tokens, with their keyword in context as ``left``, ``node`` and
    ``right`` (cut at token boundaries)."""
    records = []
    for item in items:
        line = item.kwic(KWIC_WIDTH)
        records.append(
            {**item.to_record(), "left": line.left, "node": line.keyword, "right": line.right}
        )
    return _csv((*fields, *KWIC_FIELDS), records)


def render_comparison(result: Comparison, fmt: str) -> str:
    """Per group its count and sense shares, then the scores of each pair of groups."""
    if fmt == "json":
        return result.to_json()
    if fmt == "csv":
        return _csv(GROUP_FIELDS, result.share_records())
    lines = [f"{title(result.word)} on layer {result.layer} by {result.field}"]
    for i, label in enumerate(result.senses):
        lines.append(f"  sense {i}: {label}")
    head = ("group", "count", *(f"sense {i}" for i in range(len(result.senses))))
    rows = [
        (group.group, f"{group.count:,}", *(f"{share:.1%}" for share in group.shares))
        for group in result.groups
    ]
    lines.append("")
    lines.extend(_columns(head, rows, None))
    lines.append("")
    pair_rows = [
        (p.source, p.target, f"{p.apd:.4f}", f"{p.prt:.4f}", f"{p.jsd:.4f}") for p in result.pairs
    ]
    lines.extend(_columns(("from", "to", "APD", "PRT", "JSD"), pair_rows, None))
    if result.ungrouped:
        lines.append(f"({result.ungrouped:,} occurrences without a value of {result.field})")
    return "\n".join(lines)


def render_changes(result: Changes, fmt: str) -> str:
    """Words ranked by change score, with their counts."""
    records = result.to_records()
    if fmt == "json":
        return _json(records)
    if fmt == "csv":
        return _csv(CHANGE_FIELDS, [{"rank": i, **r} for i, r in enumerate(records, start=1)])
    sample = "" if result.sample is None else f", senses of up to {result.sample} per group"
    lines = [
        f"{result.score.upper()} on layer {result.layer}, {result.field} {result.source} -> "
        f"{result.target}: {result.eligible:,} words with {result.min_count}+ occurrences in "
        f"both{sample}"
    ]
    rows = [
        (str(i), w.word, f"{w.score:.4f}", f"{w.count_from:,}", f"{w.count_to:,}")
        for i, w in enumerate(result.words, start=1)
    ]
    if rows:
        head = ("rank", "word", "score", result.source, result.target)
        lines.extend(_columns(head, rows, None))
    else:
        lines.append("(no word has that many occurrences in both groups)")
    return "\n".join(lines)


def render_senses(
    result: Senses, fmt: str, *, tag: SenseTag | None = None, bold: bool = False
) -> str:
    if fmt == "json":
        data = result.to_json()
        if tag is not None:
            data["context"] = tag.to_record()
        return _json(data)
    if fmt == "csv":
        return _csv(SENSE_FIELDS, result.to_records())
    return senses_table(result, tag=tag, bold=bold)


def assignments_data(result: Senses) -> dict[str, Any]:
    """The ``--format json`` answer of ``query senses --assignments``: the senses' labels and
    every occurrence's sense and distance to its centre."""
    return {
        "word": result.word,
        "layer": result.layer,
        "senses": [{"sense": sense.sense, "label": sense.label_text} for sense in result],
        "assignments": result.assignment_records(),
    }


def render_assignments(result: Senses, fmt: str) -> str:
    """Every occurrence's sense (``ASSIGNMENT_FIELDS``): JSON, CSV, or a table."""
    if fmt == "json":
        return _json(assignments_data(result))
    records = result.assignment_records()
    if fmt == "csv":
        return _csv(ASSIGNMENT_FIELDS, records)
    lines = [
        f"{title(result.word)} on layer {result.layer}: the sense of each of "
        f"{result.n_occurrences:,} occurrences"
    ]
    rows = [(str(r["occurrence"]), str(r["sense"]), f"{r['distance']:.4f}") for r in records]
    if rows:
        lines.extend(_columns(ASSIGNMENT_FIELDS, rows, None))
    return "\n".join(lines)


def examples_data(result: Senses) -> dict[str, Any]:
    """The ``--format json`` answer of ``query senses --example-rows``: the senses' labels and
    every shown example as a record (:attr:`Senses.example_fields`)."""
    return {
        "word": result.word,
        "layer": result.layer,
        "senses": [{"sense": sense.sense, "label": sense.label_text} for sense in result],
        "examples": result.example_records(),
    }


def render_examples(result: Senses, fmt: str, *, bold: bool = False) -> str:
    """Every sense's examples, one row each with its sense, rank and distance, the extra
    columns and its keyword in context: JSON, CSV (``left``, ``node``, ``right``), or a table."""
    if fmt == "json":
        return _json(examples_data(result))
    items = [example for sense in result.senses for example in sense.examples]
    if fmt == "csv":
        return _kwic_csv(result.example_fields, items)
    lines = [f"{title(result.word)} on layer {result.layer}: {len(items):,} examples"]
    rows = [
        (
            str(item.sense),
            str(item.rank),
            f"{item.distance:.4f}",
            str(item.occurrence),
            item.doc_id,
            str(item.sent_id),
            str(item.position),
            *_cells(item, result.columns),
        )
        for item in items
    ]
    if rows:
        kwic = aligned([item.kwic(KWIC_WIDTH) for item in items], bold=bold)
        kwic = [line + _copies(item.duplicates) for line, item in zip(kwic, items, strict=True)]
        header = ("sense", "rank", "distance", "occurrence", "doc", "sent", "position")
        lines.extend(_columns((*header, *result.columns), rows, kwic))
    return "\n".join(lines)


def senses_table(result: Senses, *, tag: SenseTag | None = None, bold: bool = False) -> str:
    """A header, then per sense its size, share, spread, label and typical occurrences."""
    n = result.n_occurrences
    seen = (
        "every occurrence clustered"
        if result.clustered >= n
        else (f"{result.clustered:,} clustered, every one assigned")
    )
    scores = ", ".join(f"{k}: {v:.3f}" for k, v in sorted(result.scores.items()))
    head = (
        f"{title(result.word)} on layer {result.layer}: {len(result)} sense"
        f"{'s' if len(result) != 1 else ''} over {n:,} occurrences ({seen}"
        + (f"; silhouette by number of senses {scores}" if scores else "")
        + ("; kept result" if result.cached else "")
        + ")"
    )
    lines = [head]
    for sense in result.senses:
        lines.append("")
        lines.append(
            f"sense {sense.sense}: {sense.size:,} occurrences ({sense.share:.1%}), "
            f"spread {sense.spread:.3f}, label: {sense.label_text}"
        )
        if sense.examples:
            kwic = aligned([example.kwic(KWIC_WIDTH) for example in sense.examples], bold=bold)
            kwic = [
                line + _copies(example.duplicates)
                for example, line in zip(sense.examples, kwic, strict=True)
            ]
            if result.columns:
                rows = [
                    (str(example.occurrence), *_cells(example, result.columns))
                    for example in sense.examples
                ]
                table = _columns(("occurrence", *result.columns), rows, kwic)
                lines.extend(f"  {line}" for line in table)
            else:
                lines.extend(
                    f"  {example.occurrence:>10}  {line}"
                    for example, line in zip(sense.examples, kwic, strict=True)
                )
    if tag is not None:
        line = kwic_text(tag.sentence, tag.position, tag.word, KWIC_WIDTH).render(bold=bold)
        distances = ", ".join(f"{i}: {d:.4f}" for i, d in enumerate(tag.distances))
        lines.append("")
        lines.append(f"context: {line}")
        lines.append(
            f"  sense {tag.sense} ({result[tag.sense].label_text}); distance to each sense: "
            f"{distances}"
        )
    return "\n".join(lines)


def _copies(duplicates: int) -> str:
    return f"  (+{duplicates} identical)" if duplicates else ""


def distances_data(table: DistanceTable) -> dict[str, Any]:
    """The ``--format json`` answer of a distance table: items, matrices by layer, pairs."""
    items = [
        {
            "index": i,
            "label": item.label,
            "word": item.word,
            "sentence": item.sentence,
            "position": item.position,
            "occurrence": item.occurrence,
        }
        for i, item in enumerate(table.items)
    ]
    matrices = {str(layer): table.matrix(layer).tolist() for layer in table.layers}
    return {
        "layers": list(table.layers),
        "items": items,
        "matrices": matrices,
        "pairs": table.to_records(),
    }


def render_distances(table: DistanceTable, fmt: str) -> str:
    if fmt == "json":
        return _json(distances_data(table))
    records = table.to_records()
    if fmt == "csv":
        fields = ("a", "b", "a_label", "b_label", *(f"layer_{layer}" for layer in table.layers))
        return _csv(fields, records)
    lines = [f"{i}  {item.label}" for i, item in enumerate(table.items)]
    header = ("a", "b", *(f"layer {layer}" for layer in table.layers))
    rows = [
        (
            str(r["a"]),
            str(r["b"]),
            *(f"{r[f'layer_{layer}']:.4f}" for layer in table.layers),
        )
        for r in records
    ]
    if rows:
        lines.append("")
        lines.extend(_columns(header, rows, None))
    return "\n".join(lines)


def aligned(lines: Sequence[KwicLine], *, bold: bool = False) -> list[str]:
    """KWIC lines with the keywords in one column.

    >>> aligned([KwicLine("the", "bank", "of"), KwicLine("a river", "bank", "")])
    ['    the [[bank]] of', 'a river [[bank]]']
    """
    width = max((len(line.left) for line in lines), default=0)
    out = []
    for line in lines:
        keyword = KwicLine("", line.keyword, "").render(bold=bold)
        left = line.left.rjust(width) if width else ""
        out.append(" ".join(part for part in (left, keyword, line.right) if part))
    return out


def _columns(
    header: Sequence[str], rows: Sequence[Sequence[str]], tail: Sequence[str] | None
) -> list[str]:
    """Right-aligned columns, then (optionally) a free-text last column."""
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    head = "  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))
    lines = [head + ("  context" if tail is not None else "")]
    for i, row in enumerate(rows):
        line = "  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True))
        lines.append(line + (f"  {tail[i]}" if tail is not None else ""))
    return lines


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def _csv(fields: Sequence[str], records: Sequence[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(fields), lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue().rstrip("\n")
