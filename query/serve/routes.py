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
    Lemma = Annotated[str | None, Query(min_length=1, max_length=limits.word_chars)]
    Pos = Annotated[str | None, Query(min_length=1, max_length=20)]
    Where = Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=limits.where_chars,
            description="SQL condition over occurrence, sentence and document fields",
        ),
    ]
    FieldName = Annotated[str, Query(min_length=1, max_length=limits.word_chars)]
    Bins = Annotated[str | None, Query(min_length=1, max_length=500)]

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
            info = one.summary()
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
        data = served(request, index).summary().to_dict()
        data.pop("path", None)
        for corpus in data.get("corpora", []):
            corpus.pop("path", None)
            if corpus.get("metadata"):
                corpus["metadata"].pop("path", None)
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
        request: Request,
        index: Index,
        word: Annotated[str | None, Query(min_length=1, max_length=limits.word_chars)] = None,
        limit: Limit = 20,
        lemma: Lemma = None,
        pos: Pos = None,
        any_case: bool = False,
        where: Where = None,
    ) -> Response:
        """The occurrences of ``word`` (or of a lemma, a part of speech, where a filter holds)
        in corpus order (the first ``limit``)."""
        from query.render import occurrences_data

        one = served(request, index)
        found = await one.call(
            lambda: one.index.occurrences(
                word, limit=limit, lemma=lemma, pos=pos, any_case=any_case, where=where
            )
        )
        return _answer(occurrences_data(found))

    @router.get("/{index}/fields")
    async def fields(request: Request, index: Index) -> Response:
        """The fields filters and groups can name: name, type, level."""
        one = served(request, index)
        found = await one.call(lambda: one.index.fields.fields)
        return _answer(
            {
                "fields": [
                    {"name": f.name, "type": f.type, "level": f.level} for f in found.values()
                ],
                "metadata": await one.call(one.index.fields.metadata_names),
                "annotated": await one.call(lambda: one.index.reader.lexicon.annotated),
            }
        )

    @router.get("/{index}/groups")
    async def groups(request: Request, index: Index, by: FieldName, bins: Bins = None) -> Response:
        """The groups of field ``by`` (or of its bins) with their occurrence counts."""
        from query.changes.groups import field_groups, parse_bins

        one = served(request, index)
        edges = parse_bins(bins)
        labels, counts = await one.call(lambda: field_groups(one.index.fields, by, edges))
        return _answer(
            {
                "by": by,
                "groups": [
                    {"group": label, "occurrences": count}
                    for label, count in zip(labels, counts, strict=True)
                ],
            }
        )

    @router.get("/{index}/compare")
    async def compare(
        request: Request,
        index: Index,
        by: FieldName,
        word: Annotated[str | None, Query(min_length=1, max_length=limits.word_chars)] = None,
        layer: Layer = options.LAYER,
        bins: Bins = None,
        lemma: Lemma = None,
        pos: Pos = None,
        any_case: bool = False,
        where: Where = None,
    ) -> Response:
        """The word's occurrences per group of ``by``: sense shares and change scores (the
        record of ``query compare --format json``)."""
        from query.changes.compare import compare as compare_groups
        from query.changes.groups import parse_bins
        from query.selection import Selection

        one = served(request, index)
        selection = Selection(word, lemma, pos, any_case, where)
        edges = parse_bins(bins)
        result = await one.kept(
            ("compare", selection, by, edges, layer),
            lambda: compare_groups(one.index, selection, by, bins=edges, layer=layer, keep=False),
        )
        return _answer(result.to_dict())

    @router.get("/{index}/changes")
    async def changes(
        request: Request,
        index: Index,
        by: FieldName,
        source: Annotated[str, Query(alias="from", min_length=1, max_length=200)],
        target: Annotated[str, Query(alias="to", min_length=1, max_length=200)],
        layer: Layer = options.LAYER,
        bins: Bins = None,
        min_count: Annotated[int, Query(ge=1, le=1_000_000)] = options.MIN_COUNT,
        score: Annotated[str, Query(pattern="^(apd|prt|jsd)$")] = options.CHANGE_SCORE,
        n: Annotated[int, Query(ge=1, le=limits.limit)] = 50,
        where: Where = None,
    ) -> Response:
        """Every word with ``min_count`` occurrences in both groups, ranked by change (the
        records of ``query changes --format json``)."""
        from query.changes.groups import parse_bins
        from query.changes.vocabulary import word_changes

        one = served(request, index)
        edges = parse_bins(bins)
        result = await one.kept(
            ("changes", by, source, target, edges, layer, min_count, score, where),
            lambda: word_changes(
                one.index,
                by,
                source,
                target,
                bins=edges,
                layer=layer,
                score=score,
                min_count=min_count,
                n=None,
                where=where,
            ),
        )
        return _answer(result.to_records()[:n])

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
        lemma: Lemma = None,
        pos: Pos = None,
        any_case: bool = False,
        where: Where = None,
    ) -> Response:
        """The occurrences nearest to a word in a context, to an occurrence, or to each of the
        word's first ``limit`` occurrences (the records of ``query neighbors --format json``)."""
        from query.render import neighbors_data
        from query.selection import Selection

        one = served(request, index)
        if context is not None:
            tokens, _, _ = context_query(context, word, position)
            await one.batcher.ready(tokens)
        quick = (
            scope == "same-word"
            and context is None
            and (word is not None or lemma is not None or pos is not None)
            and one.quick_search(
                Selection(word, lemma, pos, any_case, where),
                layer,
                queries=1 if occurrence is not None else limit,
            )
        )
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
                lemma=lemma,
                pos=pos,
                any_case=any_case,
                where=where,
            ),
            quick=quick,
        )
        return _answer(neighbors_data(result))

    @router.get("/{index}/senses")
    async def senses(
        request: Request,
        index: Index,
        word: Annotated[str | None, Query(min_length=1, max_length=limits.word_chars)] = None,
        layer: Layer = options.LAYER,
        senses: Senses = "auto",
        examples: Examples = options.EXAMPLES,
        dedupe: bool = options.SENSE_DEDUPE,
        lemma: Lemma = None,
        pos: Pos = None,
        any_case: bool = False,
        where: Where = None,
    ) -> Response:
        """The word's senses (the records of ``query senses --format json``)."""
        from query.selection import Selection

        one = served(request, index)
        selection = Selection(word, lemma, pos, any_case, where)
        result = await _senses(one, selection, layer, senses, examples, dedupe)
        return _answer(result.to_json())

    @router.get("/{index}/senses/map")
    async def senses_map(
        request: Request,
        index: Index,
        word: Annotated[str | None, Query(min_length=1, max_length=limits.word_chars)] = None,
        layer: Layer = options.LAYER,
        senses: Senses = "auto",
        max_points: Annotated[int, Query(ge=1, le=limits.map_points)] = 1000,
        lemma: Lemma = None,
        pos: Pos = None,
        any_case: bool = False,
        where: Where = None,
    ) -> Response:
        """The 2-D map of the word's occurrences (PCA), a seeded sample of ``max_points``."""
        from query.selection import Selection
        from query.senses.projection import sense_map

        one = served(request, index)
        selection = Selection(word, lemma, pos, any_case, where)
        result = await _senses(one, selection, layer, senses, options.EXAMPLES, False)

        def draw() -> tuple[Any, list[Any]]:
            drawn = sense_map(one.index, result, max_points)
            return drawn, one.index.rows.lookup(result.occurrence_ids[drawn.rows])

        drawn, records = await one.call(draw)
        rows = drawn.rows
        n = result.n_occurrences
        return _answer(
            {
                "word": result.word,
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
    one: Any, selection: Any, layer: int, setting: str, examples: int, dedupe: bool
) -> Any:
    n = None if setting == "auto" else int(setting)
    return await one.senses_of(selection, layer, n, examples, dedupe)


async def _distances(one: Any, items: list[Any], layers: list[int]) -> Response:
    from query.render import distances_data

    table = await one.call(lambda: one.index.distances(items, layers=layers))
    return _answer(distances_data(table))


def _answer(data: dict[str, Any] | list[Any]) -> Response:
    """A JSON answer: the CLI's ``--format json`` records, written once and compactly."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(text, media_type="application/json")
