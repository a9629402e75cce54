"""Keyword in context: a sentence cut to a window around one token, that token highlighted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

ELLIPSIS = "…"
BOLD, RESET = "\x1b[1m", "\x1b[0m"


@dataclass(frozen=True)
class KwicLine:
    """The text left of the keyword, the keyword, and the text right of it (already trimmed)."""

    left: str
    keyword: str
    right: str

    def render(self, *, bold: bool = False) -> str:
        """``left [[keyword]] right``, or the keyword in bold (ANSI) when ``bold``.

        >>> KwicLine("the", "bank", "of").render()
        'the [[bank]] of'
        >>> KwicLine("", "bank", "").render()
        '[[bank]]'
        """
        keyword = f"{BOLD}{self.keyword}{RESET}" if bold else f"[[{self.keyword}]]"
        return " ".join(part for part in (self.left, keyword, self.right) if part)


def kwic(tokens: Sequence[str], position: int, width: int = 40) -> KwicLine:
    """Cut ``tokens`` to about ``width`` characters each side of the token at ``position``.

    Whole tokens are kept; a trimmed side starts or ends with ``…``. A side is never trimmed
    to nothing when it holds a token: the nearest token is kept even when it is longer.

    >>> kwic("a b the bank of the river".split(), 3, width=5)
    KwicLine(left='… b the', keyword='bank', right='of …')
    >>> kwic(["bank"], 0)
    KwicLine(left='', keyword='bank', right='')
    """
    if not 0 <= position < len(tokens):
        raise IndexError(f"position {position} is outside a sentence of {len(tokens)} tokens")
    left = _take(list(reversed(tokens[:position])), width)
    right = _take(list(tokens[position + 1 :]), width)
    left_text = " ".join(reversed(left))
    if len(left) < position:
        left_text = f"{ELLIPSIS} {left_text}"
    right_text = " ".join(right)
    if len(right) < len(tokens) - position - 1:
        right_text = f"{right_text} {ELLIPSIS}"
    return KwicLine(left_text, tokens[position], right_text)


def _take(tokens: list[str], width: int) -> list[str]:
    """The first tokens whose joined length stays within ``width`` (at least one)."""
    taken: list[str] = []
    used = -1
    for token in tokens:
        used += len(token) + 1
        if taken and used > width:
            break
        taken.append(token)
    return taken


def kwic_text(text: str, position: int, token: str, width: int = 40) -> KwicLine:
    """KWIC of a stored sentence text (tokens joined by single spaces).

    Where the text does not split back into the tokens (a token held a space), the token is
    found among the text's words, first at or after its position, and the words around it are
    cut as tokens; a token not found there is shown with the whole text left of it.

    >>> kwic_text("the bank of the river", 1, "bank").render()
    'the [[bank]] of the river'
    >>> kwic_text("in New York the bank", 3, "bank").render()
    'in New York the [[bank]]'
    >>> kwic_text("the New York bank", 1, "New York").render()
    'the [[New York]] bank'
    """
    words = text.split(" ")
    if 0 <= position < len(words) and words[position] == token:
        return kwic(words, position, width)
    parts = token.split(" ")
    starts = [i for i in range(len(words) - len(parts) + 1) if words[i : i + len(parts)] == parts]
    if not starts:
        return KwicLine(text, token, "")
    # the words before it are at least as many as the tokens before it
    at = next((start for start in starts if start >= position), starts[-1])
    return kwic([*words[:at], token, *words[at + len(parts) :]], at, width)
