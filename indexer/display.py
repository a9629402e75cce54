"""Short views of query results for a terminal or a notebook: a one-line ``repr`` and a small
HTML table (``_repr_html_``) of the first rows."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

#: Rows a notebook's HTML view shows at most.
PREVIEW_ROWS = 10
#: Characters a value takes at most in a view.
CELL_CHARS = 120
#: Characters of a result's summary in its ``repr`` at most.
REPR_CHARS = 200


def shorten(text: str, chars: int = CELL_CHARS) -> str:
    """``text`` cut to at most ``chars`` characters at a space, ending with ``…`` when cut.

    >>> shorten("the bank of the river", 12), shorten("the bank", 12)
    ('the bank …', 'the bank')
    """
    if len(text) <= chars:
        return text
    cut = text[: chars - 2]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return f"{cut} …"


class Preview:
    """A result that prints as ``<Name: summary>`` and shows in a notebook as its summary above
    a table of its first rows; a subclass gives :meth:`summary` and :meth:`preview`."""

    #: Rows the HTML view shows at most.
    preview_rows = PREVIEW_ROWS

    def summary(self) -> str:
        """One line saying what the result holds."""
        raise NotImplementedError

    def preview(self) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
        """Column names and the first rows of the HTML view (none by default)."""
        return (), []

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {shorten(self.summary(), REPR_CHARS)}>"

    def _repr_html_(self) -> str:
        columns, rows = self.preview()
        parts = [f"<p><b>{html.escape(type(self).__name__)}</b>: {html.escape(self.summary())}</p>"]
        if columns:
            head = "".join(f"<th>{html.escape(str(name))}</th>" for name in columns)
            body = "".join(
                "<tr>" + "".join(f"<td>{html.escape(_cell(value))}</td>" for value in row) + "</tr>"
                for row in rows[: self.preview_rows]
            )
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
            if len(rows) > self.preview_rows:
                parts.append(f"<p>({len(rows) - self.preview_rows:,} more rows)</p>")
        return "\n".join(parts)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return shorten(str(value))
