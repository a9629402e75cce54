"""Which occurrences a query is about: a form, a lemma, a part of speech, a filter."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from indexer.errors import QueryError

#: Longest ``--where`` expression taken.
MAX_WHERE_CHARS = 2_000


@dataclass(frozen=True)
class Selection:
    """The occurrences of ``word`` (exact form; case-folded with ``any_case``), of ``lemma``,
    of part of speech ``pos`` (a UPOS tag), and where the SQL condition ``where`` over the
    occurrence, sentence and document fields holds (:mod:`query.fields`). Any can be left out,
    but one of word, lemma and pos must be given."""

    word: str | None = None
    lemma: str | None = None
    pos: str | None = None
    any_case: bool = False
    where: str | None = None

    def __post_init__(self) -> None:
        if self.word is None and self.lemma is None and self.pos is None:
            raise QueryError("give a word, a lemma (--lemma) or a part of speech (--pos)")
        for name in ("word", "lemma", "pos"):
            value = getattr(self, name)
            if value is not None and not value.strip():
                raise QueryError(f"{name} must not be empty")
        if self.where is not None:
            if not self.where.strip():
                object.__setattr__(self, "where", None)
            elif len(self.where) > MAX_WHERE_CHARS:
                raise QueryError(f"--where is longer than {MAX_WHERE_CHARS} characters")

    def filters(self) -> dict[str, Any]:
        """Everything but the word, as the keyword arguments of ``SenseIndex`` queries.

        >>> Selection("bank", pos="NOUN").filters()
        {'lemma': None, 'pos': 'NOUN', 'any_case': False, 'where': None}
        """
        return {
            "lemma": self.lemma,
            "pos": self.pos,
            "any_case": self.any_case,
            "where": self.where,
        }

    @property
    def plain(self) -> bool:
        """Whether this is just a word, as the lexicon holds it."""
        return (
            self.word is not None
            and self.lemma is None
            and self.pos is None
            and not self.any_case
            and self.where is None
        )

    @property
    def label(self) -> str:
        """How results name it: the word itself, else its parts.

        >>> Selection("bank").label, Selection(lemma="bank", pos="NOUN").label
        ('bank', 'lemma=bank pos=NOUN')
        >>> Selection("Bank", any_case=True, where="year < 2000").label
        'Bank any-case where year < 2000'
        """
        if self.plain:
            assert self.word is not None
            return self.word
        parts = []
        if self.word is not None:
            parts.append(self.word)
        if self.lemma is not None:
            parts.append(f"lemma={self.lemma}")
        if self.pos is not None:
            parts.append(f"pos={self.pos}")
        if self.any_case:
            parts.append("any-case")
        if self.where is not None:
            parts.append(f"where {self.where}")
        return " ".join(parts)

    @property
    def key(self) -> str:
        """A name for results kept on disk: the word itself for a plain word (as before
        selections existed), else the label with the filter replaced by its digest."""
        if self.plain:
            return self.label
        if self.where is None:
            return self.label
        digest = hashlib.sha256(self.where.encode()).hexdigest()[:16]
        return Selection(self.word, self.lemma, self.pos, self.any_case).label + f" where-{digest}"
