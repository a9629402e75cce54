"""``query compare``: one word's occurrences per group of a field, the share of each of its
senses there, and the change scores between every two groups."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from indexer.display import Preview
from indexer.errors import QueryError
from query.changes.groups import Groups, make_groups
from query.changes.scores import GroupSums, jsd
from query.selection import Selection

if TYPE_CHECKING:
    from query.index import SenseIndex
    from query.senses.cluster import SenseSettings

#: Occurrences whose vectors are read at a time.
READ_BLOCK = 65_536
#: Most groups compared (each pair of them is scored).
MAX_COMPARED = 20

GROUP_FIELDS = ("group", "count", "sense", "label", "share")
PAIR_FIELDS = ("from", "to", "count_from", "count_to", "apd", "prt", "jsd")


@dataclass(frozen=True)
class GroupShares:
    """One group: its occurrences, and the share of each sense among them."""

    group: str
    count: int
    shares: tuple[float, ...]


@dataclass(frozen=True)
class PairScores:
    """The change scores between two groups (``source`` before ``target`` in group order)."""

    source: str
    target: str
    count_from: int
    count_to: int
    apd: float
    prt: float
    jsd: float

    def to_record(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "count_from": self.count_from,
            "count_to": self.count_to,
            "apd": round(self.apd, 6),
            "prt": round(self.prt, 6),
            "jsd": round(self.jsd, 6),
        }


@dataclass(frozen=True, repr=False)
class Comparison(Preview):
    """``word``'s groups by ``field`` on ``layer``: per group its count and sense shares, the
    senses' labels, the scores of every pair of groups; ``ungrouped`` occurrences had no
    value (or fell outside the bins); ``order`` names every group in order, the bins that
    hold none of the occurrences too (:attr:`empty`)."""

    word: str
    layer: int
    field: str
    senses: tuple[str, ...]
    groups: tuple[GroupShares, ...]
    pairs: tuple[PairScores, ...]
    ungrouped: int
    order: tuple[str, ...] = ()

    @property
    def empty(self) -> tuple[str, ...]:
        """The groups (bins) with no occurrence, in order."""
        present = {group.group for group in self.groups}
        return tuple(label for label in self.order if label not in present)

    def share_records(self) -> list[dict[str, Any]]:
        """One record per group and sense (CSV rows)."""
        return [
            {
                "group": group.group,
                "count": group.count,
                "sense": sense,
                "label": label,
                "share": round(share, 6),
            }
            for group in self.groups
            for sense, (label, share) in enumerate(zip(self.senses, group.shares, strict=True))
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "word": self.word,
            "layer": self.layer,
            "by": self.field,
            "senses": [{"sense": i, "label": label} for i, label in enumerate(self.senses)],
            "groups": [
                {
                    "group": group.group,
                    "count": group.count,
                    "shares": [round(share, 6) for share in group.shares],
                }
                for group in self.groups
            ],
            "pairs": [pair.to_record() for pair in self.pairs],
            "ungrouped": self.ungrouped,
            "empty": list(self.empty),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` with one row per group and sense (``GROUP_FIELDS``)."""
        from query.results import frame

        return frame(self.share_records(), GROUP_FIELDS)

    def summary(self) -> str:
        scores = "; ".join(
            f"{p.source} -> {p.target} APD {p.apd:.4f} PRT {p.prt:.4f} JSD {p.jsd:.4f}"
            for p in self.pairs[:3]
        )
        return (
            f"{self.word} on layer {self.layer} by {self.field}: {len(self.groups)} groups, "
            f"{len(self.senses)} senses; {scores}"
        )

    def preview(self) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
        head = ("group", "count", *(f"sense {i}: {label}" for i, label in enumerate(self.senses)))
        rows = [
            (group.group, group.count, *(f"{share:.1%}" for share in group.shares))
            for group in self.groups
        ]
        return head, rows


def compare(
    index: SenseIndex,
    selection: Selection,
    by: str,
    *,
    bins: tuple[float, ...] | None = None,
    layer: int,
    settings: SenseSettings | None = None,
    keep: bool = True,
) -> Comparison:
    """Compare the groups of ``by`` for the occurrences of ``selection`` on ``layer``; the
    senses it needs are kept in the index directory (``keep``) as :meth:`SenseIndex.senses`
    keeps them."""
    index.reader.check_layer(layer)
    ids = index.select(selection)
    if len(ids) == 0:
        raise index.nothing_found(selection)
    groups = make_groups(by, index.fields.values(by, ids), bins)
    present = np.bincount(groups.codes[groups.codes >= 0], minlength=len(groups.labels))
    kept = [g for g in range(len(groups.labels)) if present[g] > 0]
    if len(kept) < 2:
        found = ", ".join(groups.labels[g] for g in kept) or "none"
        raise QueryError(
            f"{selection.label!r} occurs in fewer than two groups of {by!r} (found: {found})"
        )
    if len(kept) > MAX_COMPARED:
        raise QueryError(
            f"{by!r} makes {len(kept)} groups for {selection.label!r}; compare at most "
            f"{MAX_COMPARED} (use --bins, or --where to keep fewer)"
        )
    senses = index.senses(
        selection.word,
        layer,
        settings=settings,
        examples=1,
        keep=keep,
        **selection.filters(),
    )
    labels = _labels_of(senses.occurrence_ids, senses.labels, ids)
    k = len(senses.senses)
    sums = _group_sums(index, ids, groups, layer)
    shares = []
    for g in kept:
        mine = labels[groups.codes == g]
        shares.append(np.bincount(mine, minlength=k) / max(len(mine), 1))
    group_rows = tuple(
        GroupShares(groups.labels[g], int(present[g]), tuple(float(x) for x in share))
        for g, share in zip(kept, shares, strict=True)
    )
    pairs = []
    for (i, a), (j, b) in itertools.combinations(enumerate(kept), 2):
        apd_score, prt_score = sums.scores(0, a, b)
        pairs.append(
            PairScores(
                groups.labels[a],
                groups.labels[b],
                int(present[a]),
                int(present[b]),
                apd_score,
                prt_score,
                jsd(shares[i], shares[j]),
            )
        )
    return Comparison(
        word=selection.label,
        layer=layer,
        field=by,
        senses=tuple(sense.label_text for sense in senses.senses),
        groups=group_rows,
        pairs=tuple(pairs),
        ungrouped=int(np.sum(groups.codes < 0)),
        order=tuple(groups.labels),
    )


def _labels_of(sense_ids: np.ndarray, sense_labels: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The sense of each of ``ids`` (all among ``sense_ids``, ascending)."""
    if len(sense_ids) == len(ids) and np.array_equal(sense_ids, ids):
        return np.asarray(sense_labels, dtype=np.int64)
    at = np.searchsorted(sense_ids, ids)
    return np.asarray(sense_labels, dtype=np.int64)[at]


def _group_sums(index: SenseIndex, ids: np.ndarray, groups: Groups, layer: int) -> GroupSums:
    vectors = index.reader.vectors(layer)
    sums = GroupSums(1, len(groups.labels), vectors.dim)
    for start in range(0, len(ids), READ_BLOCK):
        chosen = slice(start, start + READ_BLOCK)
        codes = groups.codes[chosen]
        inside = codes >= 0
        block = vectors.take(ids[chosen][inside])
        sums.add(np.zeros(int(inside.sum()), dtype=np.int64), codes[inside], block)
        vectors.release()
    return sums
