"""What ``query senses`` returns: a word's senses with labels and examples, and every occurrence's
sense, as records, JSON or DataFrames.

The record keys are what JSON and CSV output carry; scripts rely on them, so they only ever
gain fields at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from indexer.display import Preview, shorten
from query.results import OCCURRENCE_FIELDS, StoredToken, frame

SENSE_FIELDS = ("sense", "size", "share", "label", "spread")
ASSIGNMENT_FIELDS = ("occurrence", "sense", "distance")
EXAMPLE_FIELDS = ("sense", "rank", "distance", *OCCURRENCE_FIELDS, "duplicates")


@dataclass(frozen=True, repr=False)
class SenseExample(StoredToken):
    """A typical occurrence of a sense: ``rank`` 1 is the nearest to its centre. With
    ``dedupe``, ``duplicates`` counts the other occurrences in identical sentences."""

    sense: int
    rank: int
    distance: float
    occurrence: int
    token: str
    doc_id: str
    sent_id: int
    position: int
    sentence: str
    duplicates: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, repr=False)
class Sense(Preview):
    """One sense of a word: its id, size, share of the occurrences, label (its most distinctive
    context words), spread (mean cosine distance to its centre) and typical occurrences."""

    sense: int
    size: int
    share: float
    label: tuple[str, ...]
    spread: float
    examples: tuple[SenseExample, ...]

    @property
    def label_text(self) -> str:
        return ", ".join(self.label) if self.label else "(no distinctive context word)"

    def to_record(self) -> dict[str, Any]:
        """The sense without its examples, as one row of :meth:`Senses.to_pandas`."""
        return {
            "sense": self.sense,
            "size": self.size,
            "share": self.share,
            "label": self.label_text,
            "spread": self.spread,
        }

    def summary(self) -> str:
        return (
            f"sense {self.sense}: {self.size:,} occurrences ({self.share:.1%}), spread "
            f"{self.spread:.3f}, label: {self.label_text}"
        )

    def preview(self) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
        rows = [(e.rank, e.occurrence, e.distance, e.kwic().render()) for e in self.examples]
        return ("rank", "occurrence", "distance", "context"), rows


@dataclass(frozen=True, repr=False)
class SenseTag(Preview):
    """Which sense a word in a new sentence belongs to: the nearest centre.

    ``distances[i]`` is the cosine distance to sense ``i``'s centre.
    """

    word: str
    sentence: str
    position: int
    sense: int
    distances: tuple[float, ...]

    def to_record(self) -> dict[str, Any]:
        return {
            "word": self.word,
            "sentence": self.sentence,
            "position": self.position,
            "sense": self.sense,
            "distances": list(self.distances),
        }

    def summary(self) -> str:
        distances = ", ".join(f"{i}: {d:.4f}" for i, d in enumerate(self.distances))
        return f"{self.word!r} is sense {self.sense} (distance to each sense {distances})"

    def preview(self) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
        return ("sense", "distance"), [(i, d) for i, d in enumerate(self.distances)]


Tagger = Callable[["Senses", "str | Sequence[str]", "int | None"], SenseTag]


@dataclass(frozen=True, eq=False, repr=False)
class Senses(Preview):
    """The senses of ``word`` on ``layer`` found over all its occurrences.

    ``occurrence_ids``, ``labels`` and ``distances`` hold, per occurrence in corpus order, its
    sense and its cosine distance to that sense's centre; ``centres`` the (k, dim) unit centres;
    ``scores`` the silhouette of each number of senses considered, ``separations`` the smallest
    distance between two centres of each number tried (:mod:`query.senses.cluster`);
    ``clustered`` how many
    occurrences the final k-means saw (all, up to the documented bound); ``cached`` whether the
    result was read from the index directory. ``word`` names the query as it was given
    (:attr:`Selection.label`: the word, or its lemma, part of speech and filter); ``form`` is
    the exact form a context sentence is searched for when it marks none (None: it must mark
    one); ``columns`` are the extra columns of every example (:mod:`query.columns`).
    """

    word: str
    layer: int
    setting: str
    senses: tuple[Sense, ...]
    occurrence_ids: np.ndarray
    labels: np.ndarray
    distances: np.ndarray
    centres: np.ndarray
    scores: dict[int, float] = field(default_factory=dict)
    separations: dict[int, float] = field(default_factory=dict)
    clustered: int = 0
    cached: bool = False
    tagger: Tagger | None = field(default=None, repr=False)
    form: str | None = None
    columns: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.senses)

    def __iter__(self) -> Iterator[Sense]:
        return iter(self.senses)

    def __getitem__(self, index: int) -> Sense:
        return self.senses[index]

    @property
    def n_occurrences(self) -> int:
        return len(self.occurrence_ids)

    def assign(self, context: str | Sequence[str], position: int | None = None) -> SenseTag:
        """The sense of the word in ``context`` (``[[word]]`` or ``position`` marks it where it
        repeats), with its distance to every sense's centre."""
        if self.tagger is None:
            from indexer.errors import QueryError

            raise QueryError("these senses were not made by an open index; cannot embed")
        return self.tagger(self, context, position)

    def assignment_records(self) -> list[dict[str, Any]]:
        """Every occurrence with its sense and distance (``ASSIGNMENT_FIELDS``)."""
        return [
            {"occurrence": occ, "sense": sense, "distance": distance}
            for occ, sense, distance in zip(
                self.occurrence_ids.tolist(),
                self.labels.tolist(),
                self.distances.tolist(),
                strict=True,
            )
        ]

    def assignments(self) -> Any:
        """A ``pandas.DataFrame`` with the columns ``occurrence``, ``sense``, ``distance``."""
        import pandas as pd

        return pd.DataFrame(
            {
                "occurrence": self.occurrence_ids,
                "sense": self.labels,
                "distance": self.distances,
            }
        )

    def with_columns(
        self,
        columns: tuple[str, ...],
        fill: Callable[[Sequence[SenseExample]], tuple[SenseExample, ...]],
    ) -> Senses:
        """These senses with ``columns`` added to their examples by ``fill``."""
        if not columns:
            return self
        senses = tuple(replace(sense, examples=fill(sense.examples)) for sense in self.senses)
        return replace(self, senses=senses, columns=columns)

    def to_records(self) -> list[dict[str, Any]]:
        """One record per sense (``SENSE_FIELDS``)."""
        return [sense.to_record() for sense in self.senses]

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` with one row per sense."""
        return frame(self.to_records(), SENSE_FIELDS)

    @property
    def example_fields(self) -> tuple[str, ...]:
        """The keys of an example record: ``EXAMPLE_FIELDS``, then the extra columns."""
        return (*EXAMPLE_FIELDS, *self.columns)

    def examples(self) -> Any:
        """A ``pandas.DataFrame`` of every sense's examples (:attr:`example_fields`)."""
        return frame(self.example_records(), self.example_fields)

    def example_records(self) -> list[dict[str, Any]]:
        """The examples of every sense (:attr:`example_fields`)."""
        return [example.to_record() for sense in self.senses for example in sense.examples]

    def to_json(self) -> dict[str, Any]:
        """``{"word", "layer", "senses": [{"sense", "size", "share", "label", "spread",
        "label_words", "examples": [...]}, ...], "occurrences", "clustered", "scores",
        "separations"}``."""
        senses = []
        for sense in self.senses:
            record = sense.to_record()
            record["label_words"] = list(sense.label)
            record["examples"] = [example.to_record() for example in sense.examples]
            senses.append(record)
        return {
            "word": self.word,
            "layer": self.layer,
            "senses": senses,
            "occurrences": self.n_occurrences,
            "clustered": self.clustered,
            "scores": {str(k): v for k, v in self.scores.items()},
            "separations": {str(k): v for k, v in self.separations.items()},
        }

    def summary(self) -> str:
        senses = "; ".join(
            f"{sense.sense} {shorten(sense.label_text, 40)} ({sense.share:.0%})"
            for sense in self.senses
        )
        return (
            f"{self.word} on layer {self.layer}: {len(self.senses)} "
            f"sense{'s' if len(self.senses) != 1 else ''} over {self.n_occurrences:,} "
            f"occurrences: {senses}"
        )

    def preview(self) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
        rows = [
            (
                sense.sense,
                sense.size,
                f"{sense.share:.1%}",
                sense.spread,
                sense.label_text,
                sense.examples[0].kwic().render() if sense.examples else "",
            )
            for sense in self.senses
        ]
        return ("sense", "size", "share", "spread", "label", "most typical"), rows
