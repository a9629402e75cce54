"""What ``query senses`` returns: a word's senses with labels and examples, and every occurrence's
sense, as records, JSON or DataFrames.

The record keys are what JSON and CSV output carry; scripts rely on them, so they only ever
gain fields at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from query.results import OCCURRENCE_FIELDS, StoredToken, frame

SENSE_FIELDS = ("sense", "size", "share", "label", "spread")
ASSIGNMENT_FIELDS = ("occurrence", "sense", "distance")
EXAMPLE_FIELDS = ("sense", "rank", "distance", *OCCURRENCE_FIELDS, "duplicates")


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Sense:
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


@dataclass(frozen=True)
class SenseTag:
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


Tagger = Callable[["Senses", "str | Sequence[str]", "int | None"], SenseTag]


@dataclass(frozen=True, eq=False)
class Senses:
    """The senses of ``word`` on ``layer`` found over all its occurrences.

    ``occurrence_ids``, ``labels`` and ``distances`` hold, per occurrence in corpus order, its
    sense and its cosine distance to that sense's centre; ``centres`` the (k, dim) unit centres;
    ``scores`` the silhouette of each number of senses considered, ``separations`` the smallest
    distance between two centres of each number tried (:mod:`query.senses.cluster`);
    ``clustered`` how many
    occurrences the final k-means saw (all, up to the documented bound); ``cached`` whether the
    result was read from the index directory.
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

    def to_records(self) -> list[dict[str, Any]]:
        """One record per sense (``SENSE_FIELDS``)."""
        return [sense.to_record() for sense in self.senses]

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` with one row per sense."""
        return frame(self.to_records(), SENSE_FIELDS)

    def example_records(self) -> list[dict[str, Any]]:
        """The examples of every sense (``EXAMPLE_FIELDS``)."""
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
