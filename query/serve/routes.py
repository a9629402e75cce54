"""The JSON API: one route per question the command line answers, with the CLI's option names
and its ``--format json`` records, every parameter bounded (``Limits``).

No ``from __future__ import annotations`` here: FastAPI reads the parameter annotations, made
in :func:`api` from the limits, at run time.
"""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response
from pydantic import BaseModel, Field

from indexer.errors import QueryError
from indexer.layers import parse_layers
from query import options
from query.context import context_query
from query.serve.config import IndexNotServed, Limits
from query.words import closest_words

SENSES_PATTERN = r"^(auto|[1-8])$"


class DistancesBody(BaseModel):
    """``POST /api/{index}/distances``: stored occurrence ids, or ``[sentence]`` /
    ``[sentence, word]`` / ``[sentence, word, position]`` items, and the layers."""

    items: list[int | list[str | int]] = Field(min_length=1, max_length=50)
    layers: list[int] = Field(default=list(options.DISTANCE_LAYERS), min_length=1, max_length=8)


def api(limits: Limits) -> APIRouter:
    """The routes under ``/api``, bounded by ``limits``."""
    router = APIRouter(prefix="/api")
    Index = Annotated[str, Path(max_length=100, description="An index name given at start.")]
    Word = Annotated[str, Query(min_length=1, max_length=limits.word_chars)]
    Layer = Annotated[int, Query(ge=0, le=limits.layer)]
    K = Annotated[int, Query(ge=1, le=limits.k)]
    Limit = Annotated[int, Query(ge=1, le=limits.limit)]
    Context = Annotated[str | None, Query(min_length=1, max_length=limits.context_chars)]
    Senses = Annotated[str, Query(pattern=SENSES_PATTERN, description="auto or 1 to 8")]
    Examples = Annotated[int, Query(ge=1, le=limits.examples)]

    def served(request: Request, name: str) -> Any:
        found = request.app.state.indexes.get(name)
        if found is None:
            known = ", ".join(sorted(request.app.state.indexes))
            raise IndexNotServed(f"no index is served as {name!r}; served: {known}")
        return found

    @router.get("/indexes")
    async def indexes(request: Request) -> Response:
        """The indexes served, by name."""
        out = []
        for name, one in request.app.state.indexes.items():
            info = one.index.info()
            out.append(
                {
                    "name": name,
                    "occurrences": info.occurrences,
                    "layers": list(info.layers),
                    "model": info.model,
                }
            )
        return _answer({"indexes": out})

    @router.get("/{index}/info")
    async def info(request: Request, index: Index) -> Response:
        """The index's summary, as ``query info --json`` (without the server's paths)."""
        data = served(request, index).index.info().to_dict()
        data.pop("path", None)
        for corpus in data.get("corpora", []):
            corpus.pop("path", None)
        return _answer(data)

    @router.get("/{index}/suggest")
    async def suggest(request: Request, index: Index, word: Word) -> Response:
        """Whether ``word`` occurs, how often, and the closest words of the corpus."""
        one = served(request, index)
        lexicon = await one.call(lambda: one.index.reader.lexicon)
        known = word in lexicon
        return _answer(
            {
                "word": word,
                "known": known,
                "count": lexicon.count(word) if known else 0,
                "suggestions": []
                if known
                else await one.call(lambda: closest_words(word, lexicon.tokens)),
            }
        )

    @router.get("/{index}/occurrences")
    async def occurrences(
        request: Request, index: Index, word: Word, limit: Limit = 20
    ) -> Response:
        """The occurrences of ``word`` in corpus order (the first ``limit``)."""
        one = served(request, index)
        found = await one.call(lambda: one.index.occurrences(word, limit=limit))
        return _answer({"word": word, "count": len(found.ids), "occurrences": found.to_records()})

    @router.get("/{index}/neighbors")
    async def neighbors(
        request: Request,
        index: Index,
        word: Annotated[str | None, Query(min_length=1, max_length=limits.word_chars)] = None,
        layer: Layer = options.LAYER,
        k: K = options.K,
        scope: Annotated[str, Query(pattern="^(same-word|all)$")] = options.SCOPE,
        limit: Annotated[int, Query(ge=1, le=limits.k)] = 5,
        occurrence: Annotated[int | None, Query(ge=0)] = None,
        context: Context = None,
        position: Annotated[int | None, Query(ge=0, le=limits.context_chars)] = None,
        dedupe: bool = False,
    ) -> Response:
        """The occurrences nearest to a word in a context, to an occurrence, or to each of the
        word's first ``limit`` occurrences (the records of ``query neighbors --format json``)."""
        from query.render import render_neighbors

        one = served(request, index)
        if context is not None:
            tokens, _, _ = context_query(context, word, position)
            await one.batcher.ready(tokens)
        result = await one.call(
            lambda: one.index.neighbors(
                word,
                layer=layer,
                k=k,
                context=context,
                position=position,
                occurrence=occurrence,
                scope=scope,
                limit=limit,
                dedupe=dedupe,
            )
        )
        return _answer(render_neighbors(result, "json"))

    @router.get("/{index}/senses")
    async def senses(
        request: Request,
        index: Index,
        word: Word,
        layer: Layer = options.LAYER,
        senses: Senses = "auto",
        examples: Examples = options.EXAMPLES,
        dedupe: bool = False,
    ) -> Response:
        """The word's senses (the records of ``query senses --format json``)."""
        one = served(request, index)
        result = await _senses(one, word, layer, senses, examples, dedupe)
        return _answer(result.to_json())

    @router.get("/{index}/senses/map")
    async def senses_map(
        request: Request,
        index: Index,
        word: Word,
        layer: Layer = options.LAYER,
        senses: Senses = "auto",
        max_points: Annotated[int, Query(ge=1, le=limits.map_points)] = 1000,
    ) -> Response:
        """The 2-D map of the word's occurrences (PCA), a seeded sample of ``max_points``."""
        from query.senses.projection import sense_map

        one = served(request, index)
        result = await _senses(one, word, layer, senses, options.EXAMPLES, False)

        def draw() -> tuple[Any, list[Any]]:
            drawn = sense_map(one.index, result, max_points)
            return drawn, one.index.rows.lookup(result.occurrence_ids[drawn.rows])

        drawn, records = await one.call(draw)
        rows = drawn.rows
        n = result.n_occurrences
        return _answer(
            {
                "word": word,
                "layer": layer,
                "axes": list(drawn.axes),
                "total": n,
                "drawn": len(rows),
                "senses": [
                    {"sense": s.sense, "label": s.label_text, "size": s.size} for s in result
                ],
                "points": [
                    {
                        "occurrence": record.occurrence,
                        "sense": int(result.labels[row]),
                        "x": float(x),
                        "y": float(y),
                        "sentence": record.sentence,
                        "position": record.position,
                    }
                    for row, (x, y), record in zip(
                        rows.tolist(), drawn.points.tolist(), records, strict=True
                    )
                ],
            }
        )

    @router.get("/{index}/distances")
    async def distances(
        request: Request,
        index: Index,
        occurrence: Annotated[list[int], Query(min_length=1, max_length=limits.items)],
        layers: Annotated[str, Query(max_length=100)] = ",".join(map(str, options.DISTANCE_LAYERS)),
    ) -> Response:
        """Per layer, the cosine distances between stored occurrences."""
        return await _distances(
            served(request, index), list(occurrence), list(parse_layers(layers))
        )

    @router.post("/{index}/distances")
    async def distances_of(
        request: Request, index: Index, body: Annotated[DistancesBody, Body()]
    ) -> Response:
        """Per layer, the cosine distances between stored occurrences and words in sentences."""
        items: list[Any] = []
        for item in body.items:
            if isinstance(item, int):
                items.append(item)
            elif not item or not isinstance(item[0], str) or len(item) > 3:
                raise QueryError("an item is an occurrence id or [sentence, word?, position?]")
            elif len(item[0]) > limits.context_chars:
                raise QueryError(f"items: a sentence is over {limits.context_chars} characters")
            else:
                items.append(item[0] if len(item) == 1 else tuple(item))
        return await _distances(served(request, index), items, body.layers)

    return router


async def _senses(
    one: Any, word: str, layer: int, setting: str, examples: int, dedupe: bool
) -> Any:
    n = None if setting == "auto" else int(setting)
    return await one.senses_of(word, layer, n, examples, dedupe)


async def _distances(one: Any, items: list[Any], layers: list[int]) -> Response:
    from query.render import render_distances

    table = await one.call(lambda: one.index.distances(items, layers=layers))
    return _answer(render_distances(table, "json"))


def _answer(data: str | dict[str, Any]) -> Response:
    """A JSON answer, written once (records made by the CLI's renderer are sent as they are)."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return Response(text, media_type="application/json")
