"""Command line of the query side: ``query neighbors``, ``query distances``, ``query info``.

Each command parses options, makes one ``SenseIndex`` call and prints the result. The index
module (numpy, pyarrow) is imported when a command runs; torch only for a context sentence,
FAISS only for ``--scope all``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from indexer.console import configure_logging, fail, run
from indexer.errors import ElmoIndexError, QueryError
from indexer.store.layout import DEFAULT_INDEX_DIR

if TYPE_CHECKING:
    from query.index import SenseIndex

app = typer.Typer(
    help="Find the occurrences of a word used the same way, by cosine distance on an ELMo layer.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

IndexOption = Annotated[
    Path, typer.Option("--index", help="Index directory written by `indexer build`.")
]
ModelOption = Annotated[
    str | None,
    typer.Option(help="Model to embed sentences with, when the index's own path has moved."),
]
DeviceOption = Annotated[str, typer.Option(help="Device for embedding: cpu, cuda or auto.")]
FormatOption = Annotated[str, typer.Option("--format", help="table, json or csv.")]


@app.callback()
def _configure(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Log errors only.")] = False,
) -> None:
    configure_logging(verbose=verbose, quiet=quiet, default=logging.WARNING)


def parse_marked(sentence: str, word: str | None) -> tuple[list[str], str, int | None]:
    """Tokens of ``sentence``, the word and its position: ``[[word]]`` marks it in the text.

    >>> parse_marked("the [[bank]] of the bank", None)
    (['the', 'bank', 'of', 'the', 'bank'], 'bank', 1)
    >>> parse_marked("the bank of", "bank")
    (['the', 'bank', 'of'], 'bank', None)
    """
    tokens = sentence.split()
    marked = [i for i, t in enumerate(tokens) if len(t) > 4 and t[:2] == "[[" and t[-2:] == "]]"]
    if len(marked) > 1:
        raise QueryError(f"mark one word with [[...]], not {len(marked)}: {sentence!r}")
    if not marked:
        if word is None:
            raise QueryError(f"give --word, or mark the word as [[word]] in {sentence!r}")
        return tokens, word, None
    at = marked[0]
    tokens[at] = tokens[at][2:-2]
    if word is not None and word != tokens[at]:
        raise QueryError(f"--word is {word!r} but the sentence marks {tokens[at]!r}")
    return tokens, tokens[at], at


@contextlib.contextmanager
def reported() -> Iterator[None]:
    """Turn a project error into one line on stderr and exit status 1 (no traceback)."""
    try:
        yield
    except ElmoIndexError as err:
        raise fail(err) from None


def _open(index: Path, model: str | None, device: str) -> SenseIndex:
    from query.index import SenseIndex

    return SenseIndex.open(index, model=model, device=device)


def _check_format(fmt: str) -> None:
    from query.render import FORMATS

    if fmt not in FORMATS:
        raise QueryError(f"--format must be one of {', '.join(FORMATS)}; got {fmt!r}")


def _bold() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


@app.command()
def neighbors(
    word: Annotated[str | None, typer.Option(help="The word to look up.")] = None,
    layer: Annotated[int, typer.Option(help="Layer to compare on.")] = 2,
    index: IndexOption = Path(DEFAULT_INDEX_DIR),
    k: Annotated[int, typer.Option("-k", "--k", help="Neighbours per query.")] = 10,
    context: Annotated[
        str | None,
        typer.Option(
            help="A sentence using the word, tokens separated by spaces ([[w]] marks it)."
        ),
    ] = None,
    position: Annotated[
        int | None, typer.Option(help="Position of the word in --context (0-based).")
    ] = None,
    occurrence: Annotated[
        int | None, typer.Option(help="Search from this stored occurrence.")
    ] = None,
    scope: Annotated[
        str, typer.Option(help="same-word (exact) or all (FAISS, then exact re-rank).")
    ] = "same-word",
    limit: Annotated[
        int, typer.Option(help="With neither --context nor --occurrence: queries (0: all).")
    ] = 100,
    fmt: FormatOption = "table",
    model: ModelOption = None,
    device: DeviceOption = "cpu",
) -> None:
    """The occurrences nearest to a word in a context, to an occurrence, or to each occurrence."""
    from query.render import render_neighbors

    with reported():
        _check_format(fmt)
        tokens: list[str] | None = None
        if context is not None:
            tokens, word, marked = parse_marked(context, word)
            if marked is not None and position not in (None, marked):
                raise QueryError(f"--position {position} disagrees with the [[...]] mark")
            position = marked if marked is not None else position
        result = _open(index, model, device).neighbors(
            word,
            layer=layer,
            k=k,
            context=tokens,
            position=position,
            occurrence=occurrence,
            scope=scope,
            limit=limit or None,
        )
        typer.echo(render_neighbors(result, fmt, bold=_bold()))


@app.command()
def distances(
    sentences: Annotated[
        list[str] | None,
        typer.Argument(help="Sentences using the word; [[word]] marks it where it repeats."),
    ] = None,
    word: Annotated[str | None, typer.Option(help="The word in the sentences.")] = None,
    occurrence: Annotated[
        list[int] | None, typer.Option(help="A stored occurrence to compare (repeatable).")
    ] = None,
    layers: Annotated[str, typer.Option(help="Layers, e.g. 0,1,2.")] = "0,1,2",
    index: IndexOption = Path(DEFAULT_INDEX_DIR),
    fmt: FormatOption = "table",
    model: ModelOption = None,
    device: DeviceOption = "cpu",
) -> None:
    """Per layer, the cosine distances between the word in SENTENCES and stored occurrences."""
    from query.pairs import Item
    from query.render import render_distances

    with reported():
        _check_format(fmt)
        wanted = parse_layers(layers)
        items: list[Item] = []
        for text in sentences or []:
            tokens, token, at = parse_marked(text, word)
            items.append((tokens, token) if at is None else (tokens, token, at))
        items.extend(occurrence or [])
        if not items:
            raise QueryError("give sentences (with --word or [[word]]) and/or --occurrence IDs")
        table = _open(index, model, device).distances(items, layers=wanted)
        typer.echo(render_distances(table, fmt))


@app.command()
def info(
    index: IndexOption = Path(DEFAULT_INDEX_DIR),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Model, layers, counts and FAISS indexes of an index directory."""
    import json

    with reported():
        summary = _open(index, None, "cpu").info()
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo("\n".join(summary.lines()))


def parse_layers(text: str) -> tuple[int, ...]:
    """``"0,1,2"`` as ``(0, 1, 2)``.

    >>> parse_layers("2, 0")
    (2, 0)
    """
    try:
        layers = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as err:
        raise QueryError(f"--layers must be integers separated by commas, got {text!r}") from err
    if not layers:
        raise QueryError(f"no layer in --layers {text!r}")
    return layers


def main() -> None:
    """Entry point of the ``query`` command: a project error is one line and exit status 1."""
    run(app)


if __name__ == "__main__":
    main()
