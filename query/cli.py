"""Command line of the query side: ``query neighbors``, ``query occurrences``, ``query senses``,
``query compare``, ``query changes``, ``query distances``, ``query serve``, ``query info``.

Each command parses options, makes one ``SenseIndex`` call and prints the result. The index
module (numpy, pyarrow) is imported when a command runs; torch only for a context sentence,
FAISS only for ``--scope all`` and to compute senses, matplotlib only for ``--plot``.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from indexer.console import configure_logging, make_app
from indexer.errors import QueryError, check_choice
from indexer.layers import parse_layers
from indexer.store.layout import DEFAULT_INDEX_DIR
from query import options

if TYPE_CHECKING:
    from query.index import SenseIndex
    from query.pairs import Item

app = make_app(
    help="Find the occurrences of a word used the same way, by cosine distance on an ELMo layer.",
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
DedupeOption = Annotated[
    bool, typer.Option(help="Show occurrences in identical sentences once, with their count.")
]
PlotOption = Annotated[Path | None, typer.Option(help="Also draw a picture: FILE.png or FILE.svg.")]
LemmaOption = Annotated[str | None, typer.Option(help="Occurrences of this lemma (CoNLL-U LEMMA).")]
PosOption = Annotated[
    str | None, typer.Option(help="Occurrences with this part of speech (CoNLL-U UPOS).")
]
AnyCaseOption = Annotated[
    bool, typer.Option("--any-case", help="Match the word (and lemma) in any case.")
]
WhereOption = Annotated[
    str | None,
    typer.Option(
        help="SQL condition over occurrence, sentence and document fields, e.g. "
        "\"year >= 1990 AND genre = 'news'\" (needs the [sql] extra)."
    ),
]
FieldsOption = Annotated[
    str | None,
    typer.Option(
        "--fields",
        help="Sentence or document fields to add as columns, e.g. year,genre (lemma and UPOS "
        "are shown wherever the index has them).",
    ),
]
ByOption = Annotated[str, typer.Option(help="The metadata field whose groups are compared.")]
BinsOption = Annotated[
    str | None,
    typer.Option(help="Group a numeric or date field into bins: edges, e.g. 1990,2000,2010."),
]


@app.callback()
def _configure(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Log errors only.")] = False,
) -> None:
    configure_logging(verbose=verbose, quiet=quiet, default=logging.WARNING)


def _open(index: Path, model: str | None, device: str) -> SenseIndex:
    from query.index import SenseIndex

    return SenseIndex.open(index, model=model, device=device)


def _check_format(fmt: str) -> None:
    from query.render import FORMATS

    check_choice("--format", fmt, FORMATS, QueryError)


def _bold() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


@app.command()
def neighbors(
    word: Annotated[str | None, typer.Option(help="The word to look up.")] = None,
    layer: Annotated[int, typer.Option(help="Layer to compare on.")] = options.LAYER,
    index: IndexOption = Path(DEFAULT_INDEX_DIR),
    k: Annotated[int, typer.Option("-k", "--k", help="Neighbours per query.")] = options.K,
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
    ] = options.SCOPE,
    limit: Annotated[
        int, typer.Option(help="With neither --context nor --occurrence: queries (0: all).")
    ] = options.LIMIT,
    dedupe: DedupeOption = False,
    lemma: LemmaOption = None,
    pos: PosOption = None,
    any_case: AnyCaseOption = False,
    where: WhereOption = None,
    fields: FieldsOption = None,
    fmt: FormatOption = "table",
    model: ModelOption = None,
    device: DeviceOption = options.DEVICE,
) -> None:
    """The occurrences nearest to a word in a context, to an occurrence, or to each occurrence."""
    from query.render import render_neighbors

    _check_format(fmt)
    result = _open(index, model, device).neighbors(
        word,
        layer=layer,
        k=k,
        context=context,
        position=position,
        occurrence=occurrence,
        scope=scope,
        limit=limit or None,
        dedupe=dedupe,
        lemma=lemma,
        pos=pos,
        any_case=any_case,
        where=where,
        fields=fields,
    )
    typer.echo(render_neighbors(result, fmt, bold=_bold()))


@app.command()
def occurrences(
    word: Annotated[str | None, typer.Option(help="The word (exact form).")] = None,
    lemma: LemmaOption = None,
    pos: PosOption = None,
    any_case: AnyCaseOption = False,
    where: WhereOption = None,
    index: IndexOption = Path(DEFAULT_INDEX_DIR),
    limit: Annotated[int, typer.Option(help="Occurrences listed (0: all).")] = 20,
    fields: FieldsOption = None,
    fmt: FormatOption = "table",
) -> None:
    """The occurrences of a word, lemma or part of speech in corpus order, in context."""
    from query.render import render_occurrences

    _check_format(fmt)
    result = _open(index, None, options.DEVICE).occurrences(
        word, limit or None, lemma=lemma, pos=pos, any_case=any_case, where=where, fields=fields
    )
    typer.echo(render_occurrences(result, fmt, bold=_bold()))


@app.command()
def senses(
    word: Annotated[str | None, typer.Option(help="The word whose senses to find.")] = None,
    layer: Annotated[int, typer.Option(help="Layer to cluster on.")] = options.LAYER,
    n: Annotated[
        str, typer.Option("--senses", help="auto (found by silhouette) or a number.")
    ] = "auto",
    index: IndexOption = Path(DEFAULT_INDEX_DIR),
    examples: Annotated[
        int, typer.Option(help="Typical occurrences shown per sense.")
    ] = options.EXAMPLES,
    context: Annotated[
        str | None,
        typer.Option(help="Tag the word in this sentence with its sense ([[w]] marks it)."),
    ] = None,
    plot: PlotOption = None,
    dedupe: DedupeOption = options.SENSE_DEDUPE,
    refresh: Annotated[
        bool, typer.Option(help="Compute again rather than read the kept result.")
    ] = False,
    lemma: LemmaOption = None,
    pos: PosOption = None,
    any_case: AnyCaseOption = False,
    where: WhereOption = None,
    fields: FieldsOption = None,
    assignments: Annotated[
        bool,
        typer.Option(
            "--assignments",
            help="Write every occurrence's sense and its distance to the sense's centre "
            "instead of the senses.",
        ),
    ] = False,
    example_rows: Annotated[
        bool,
        typer.Option(
            "--example-rows",
            help="Write the senses' examples, one row each with its sense and the --fields, "
            "instead of one row per sense.",
        ),
    ] = False,
    fmt: FormatOption = "table",
    model: ModelOption = None,
    device: DeviceOption = options.DEVICE,
) -> None:
    """The senses of a word over all its occurrences: sizes, labels, typical uses, a map."""
    from query.render import render_assignments, render_examples, render_senses

    _check_format(fmt)
    if assignments and context is not None:
        raise QueryError("--assignments writes the corpus's occurrences; tag --context without it")
    if assignments and example_rows:
        raise QueryError("--assignments and --example-rows each write rows of their own: give one")
    wanted = _parse_senses(n)
    if plot is not None:
        from query.plots import picture_format

        picture_format(plot)
    opened = _open(index, model, device)
    result = opened.senses(
        word,
        layer=layer,
        n=wanted,
        examples=examples,
        dedupe=dedupe,
        refresh=refresh,
        lemma=lemma,
        pos=pos,
        any_case=any_case,
        where=where,
        fields=fields,
    )
    tag = result.assign(context) if context is not None else None
    if assignments:
        typer.echo(render_assignments(result, fmt))
    elif example_rows:
        typer.echo(render_examples(result, fmt, bold=_bold()))
    else:
        typer.echo(render_senses(result, fmt, tag=tag, bold=_bold()))
    if plot is not None:
        typer.echo(f"wrote {opened.plot_senses(result, plot, context=tag)}", err=True)


def _parse_senses(value: str) -> int | None:
    if value == "auto":
        return None
    try:
        return int(value)
    except ValueError:
        raise QueryError(f"--senses must be auto or a number, got {value!r}") from None


@app.command()
def compare(
    by: ByOption,
    word: Annotated[str | None, typer.Option(help="The word (exact form).")] = None,
    lemma: LemmaOption = None,
    pos: PosOption = None,
    any_case: AnyCaseOption = False,
    where: WhereOption = None,
    bins: BinsOption = None,
    layer: Annotated[int, typer.Option(help="Layer to compare on.")] = options.LAYER,
    index: IndexOption = Path(DEFAULT_INDEX_DIR),
    plot: PlotOption = None,
    fmt: FormatOption = "table",
) -> None:
    """A word's occurrences per group of a field: sense shares, and APD, PRT and JSD between
    groups."""
    from query.render import render_comparison

    _check_format(fmt)
    if plot is not None:
        from query.plots import picture_format

        picture_format(plot)
    result = _open(index, None, options.DEVICE).compare(
        by, word, bins=bins, layer=layer, lemma=lemma, pos=pos, any_case=any_case, where=where
    )
    typer.echo(render_comparison(result, fmt))
    if plot is not None:
        from query.changes.plot import plot_shares

        typer.echo(f"wrote {plot_shares(result, plot)}", err=True)


@app.command()
def changes(
    by: ByOption,
    source: Annotated[str, typer.Option("--from", help="The group compared from.")],
    target: Annotated[str, typer.Option("--to", help="The group compared to.")],
    bins: BinsOption = None,
    min_count: Annotated[
        int, typer.Option(help="Occurrences a word needs in each group.")
    ] = options.MIN_COUNT,
    score: Annotated[
        str,
        typer.Option(help="prt (mean vectors), apd (pairwise distances) or jsd (senses)."),
    ] = options.CHANGE_SCORE,
    n: Annotated[int, typer.Option("-n", help="Words shown (0: all).")] = options.CHANGES_SHOWN,
    where: WhereOption = None,
    words: Annotated[
        str | None,
        typer.Option(help="Rank only these target words: comma-separated, or @FILE (one a line)."),
    ] = None,
    layer: Annotated[int, typer.Option(help="Layer to compare on.")] = options.LAYER,
    index: IndexOption = Path(DEFAULT_INDEX_DIR),
    fmt: FormatOption = "table",
) -> None:
    """Every word with --min-count occurrences in both groups, ranked by how its use changed."""
    from query.render import render_changes

    _check_format(fmt)
    result = _open(index, None, options.DEVICE).changes(
        by,
        source,
        target,
        bins=bins,
        layer=layer,
        score=score,
        min_count=min_count,
        n=n or None,
        where=where,
        words=None if words is None else _target_words(words),
    )
    typer.echo(render_changes(result, fmt))


def _target_words(text: str) -> list[str]:
    """``a,b,c``, or the words of a file (one a line) named as ``@FILE``."""
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as err:
            raise QueryError(f"cannot read the target words: {err.strerror or err}") from err
        found = [line.strip() for line in lines if line.strip()]
    else:
        found = [word.strip() for word in text.split(",") if word.strip()]
    if not found:
        raise QueryError("--words names no word")
    return found


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
    layers: Annotated[str, typer.Option(help="Layers, e.g. 0,1,2.")] = ",".join(
        map(str, options.DISTANCE_LAYERS)
    ),
    index: IndexOption = Path(DEFAULT_INDEX_DIR),
    plot: PlotOption = None,
    fmt: FormatOption = "table",
    model: ModelOption = None,
    device: DeviceOption = options.DEVICE,
) -> None:
    """Per layer, the cosine distances between the word in SENTENCES and stored occurrences."""
    from query.plots import picture_format, plot_distances
    from query.render import render_distances

    _check_format(fmt)
    if plot is not None:
        picture_format(plot)
    wanted = parse_layers(layers)
    items: list[Item] = [text if word is None else (text, word) for text in sentences or []]
    items.extend(occurrence or [])
    if not items:
        raise QueryError("give sentences (with --word or [[word]]) and/or --occurrence IDs")
    table = _open(index, model, device).distances(items, layers=wanted)
    typer.echo(render_distances(table, fmt))
    if plot is not None:
        typer.echo(f"wrote {plot_distances(table, plot)}", err=True)


@app.command()
def serve(
    index: Annotated[
        list[str] | None,
        typer.Option(help="An index directory, or NAME=DIR (repeatable: several indexes)."),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    token: Annotated[
        str | None,
        typer.Option(
            help="Bearer token every request but /healthz must give (needed off loopback; "
            "default: $ELMO_INDEX_TOKEN)."
        ),
    ] = None,
    workers: Annotated[int, typer.Option(help="Server processes.")] = 1,
    cors: Annotated[
        list[str] | None, typer.Option(help="An origin allowed cross-origin (repeatable).")
    ] = None,
    batch_window_ms: Annotated[
        float,
        typer.Option(
            help="How long a context sentence waits to be embedded with others (0: alone)."
        ),
    ] = 5.0,
    connection_seconds: Annotated[
        float,
        typer.Option(
            help="With several --workers: a keep-alive connection is closed with its first "
            "answer after this long, and its client reconnects, so that connections spread "
            "evenly over the processes (0: kept open)."
        ),
    ] = 5.0,
    model: ModelOption = None,
    device: DeviceOption = options.DEVICE,
) -> None:
    """Serve the JSON API and the web page (FastAPI on uvicorn).

    \b
    It needs the serve extra:  pip install 'elmo-sense-index[serve]'
    """
    from query.serve.config import ServeSettings, parse_indexes, token_from_environment

    try:
        from query.serve.app import run
    except ImportError as err:
        raise QueryError(
            f"query serve needs its extra ({err.name} is missing): "
            "pip install 'elmo-sense-index[serve]'"
        ) from err
    settings = ServeSettings(
        indexes=parse_indexes(index or [DEFAULT_INDEX_DIR]),
        host=host,
        port=port,
        token=token_from_environment(token),
        workers=workers,
        cors_origins=tuple(cors or ()),
        batch_window_ms=batch_window_ms,
        connection_seconds=connection_seconds,
        model=model,
        device=device,
    )
    run(settings, report=lambda line: typer.echo(line, err=True))


@app.command()
def info(
    index: IndexOption = Path(DEFAULT_INDEX_DIR),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Model, layers, counts and FAISS indexes of an index directory (as `indexer info`)."""
    import json

    summary = _open(index, None, options.DEVICE).info()
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo("\n".join(summary.lines()))


def main() -> None:
    """Entry point of the ``query`` command."""
    app()


if __name__ == "__main__":
    main()
