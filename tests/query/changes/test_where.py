"""--where (DuckDB over the fields), --lemma, --pos and --any-case, and the metadata tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from indexer.builder.pipeline import build
from indexer.errors import CorpusError, QueryError
from query.index import SenseIndex
from tests.indexer.corpus.test_annotations import words_with_lemma_and_pos


@pytest.fixture(scope="module")
def index(period_index: Path) -> SenseIndex:
    return SenseIndex.open(period_index)


def documents(path: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for line in path.read_text().splitlines():
        record = json.loads(line)
        out[record["doc_id"]] = {k: record[k] for k in ("period", "year", "genre")}
    return out


def test_metadata_tables_are_typed_and_read_by_pandas_and_duckdb(period_index, planted_corpus):
    import duckdb

    table = pd.read_parquet(period_index / "fields" / "corpus=0" / "documents.parquet")
    assert str(table["year"].dtype) == "int64"
    assert table["period"].map(type).eq(str).all()
    expected = documents(planted_corpus)
    assert {row.doc_id: {"period": row.period, "year": row.year, "genre": row.genre}
            for row in table.itertuples()} == expected  # fmt: skip
    found = duckdb.execute(
        f"SELECT count(*) FROM read_parquet('{period_index}/fields/*/documents.parquet') "
        "WHERE period = '1990s'"
    ).fetchall()
    assert found == [(90,)]


def test_where_keeps_exactly_the_matching_occurrences(index, planted_corpus):
    docs = documents(planted_corpus)
    every = index.occurrences("bank")
    kept = index.occurrences("bank", where="year >= 2015 AND genre = 'news'")
    want = [
        item.occurrence
        for item in every
        if docs[item.doc_id]["year"] >= 2015 and docs[item.doc_id]["genre"] == "news"
    ]
    assert kept.ids.tolist() == want and 0 < len(want) < len(every)
    positions = index.occurrences("bank", where="position = 6 AND period = '1990s'")
    assert all(item.position == 6 for item in positions)
    assert len(positions.ids) == sum(
        1 for item in every if item.position == 6 and docs[item.doc_id]["period"] == "1990s"
    )


def test_where_filters_neighbors_and_senses(index, planted_corpus):
    docs = documents(planted_corpus)
    for scope in ("same-word", "all"):
        found = index.neighbors("bank", k=5, limit=2, scope=scope, where="period = '2010s'")
        assert found.hits and all(docs[h.doc_id]["period"] == "2010s" for h in found.hits)
        assert all(q.occurrence in set(index.select("bank")) for q in found.queries)
    senses = index.senses("bank", where="period = '1990s'", keep=False)
    assert sorted(s.size for s in senses.senses) == [27, 153]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("yeer > 1990", "unknown field 'yeer'"),
        ("year >", "syntax error"),
        ("1=1; DROP TABLE sentence_rows", "syntax error|one condition"),
        ("year IN (SELECT 1 FROM read_csv('/etc/passwd'))", "disabled"),
        ("year IN (SELECT 1 FROM glob('/*'))", "disabled"),
    ],
)
def test_bad_or_hostile_where_is_one_line(index, condition, message):
    with pytest.raises(QueryError, match=message) as raised:
        index.occurrences("bank", where=condition)
    assert "\n" not in str(raised.value)


CONLLU = """# newdoc id = doc-a
# meta::year = 1994
# meta::genre = news
# sent_id = a1
1\tBanks\tbank\tNOUN\t_\t_\t0\t_\t_\t_
2\tbank\tbank\tVERB\t_\t_\t0\t_\t_\t_
3-4\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
3\tdo\tdo\tAUX\t_\t_\t0\t_\t_\t_
4\tn't\tnot\tPART\t_\t_\t0\t_\t_\t_
5\t.\t.\tPUNCT\t_\t_\t0\t_\t_\t_

# newdoc id = doc-b
# meta::year = 2016
# meta::genre = fiction
# sent_id = b1
1\tThe\tthe\tDET\t_\t_\t0\t_\t_\t_
2\tbank\tbank\tNOUN\t_\t_\t0\t_\t_\t_
3\tBANK\t_\tNOUN\t_\t_\t0\t_\t_\t_
4\tbanked\tbank\tVERB\t_\t_\t0\t_\t_\t_
5\t.\t.\tPUNCT\t_\t_\t0\t_\t_\t_

"""


@pytest.fixture(scope="module")
def conllu_index(built, tmp_path_factory) -> SenseIndex:
    folder = tmp_path_factory.mktemp("conllu")
    corpus = folder / "corpus.conllu"
    corpus.write_text(CONLLU * 3)
    metadata = folder / "docs.csv"
    metadata.write_text("doc_id,region\ndoc-a,north\nghost,south\n")
    out = folder / "index"
    build(corpus, model=str(built.model), out=out, overwrite=True, metadata=metadata)
    return SenseIndex.open(out)


@pytest.mark.parametrize(
    ("lemma", "pos"), [("bank", "NOUN"), ("bank", None), (None, "NOUN"), ("not", "PART")]
)
def test_lemma_and_pos_give_exactly_the_annotated_occurrences(conllu_index, tmp_path, lemma, pos):
    corpus = tmp_path / "corpus.conllu"
    corpus.write_text(CONLLU * 3)
    found = conllu_index.occurrences(lemma=lemma, pos=pos)
    got = [(item.sent_id, item.position) for item in found]
    assert got == words_with_lemma_and_pos(corpus, lemma, pos) and got


def test_any_case_and_word_with_pos(conllu_index):
    assert len(conllu_index.occurrences("bank", any_case=True).ids) == 3 * 3
    assert len(conllu_index.occurrences("bank").ids) == 2 * 3
    assert len(conllu_index.occurrences("bank", pos="NOUN").ids) == 3
    # "Banks" is another form; "BANK" has no lemma but is a NOUN
    assert len(conllu_index.occurrences("BANK", any_case=True, pos="NOUN").ids) == 2 * 3


def test_conllu_metadata_and_the_metadata_file_are_joined(conllu_index):
    fields = conllu_index.fields.fields
    assert (fields["year"].type, fields["year"].level) == ("integer", "document")
    assert fields["region"].level == "document"
    years = conllu_index.occurrences("bank", where="year > 2000 AND region IS NULL")
    assert len(years.ids) == 3
    north = conllu_index.occurrences(lemma="bank", where="region = 'north'")
    assert {item.doc_id for item in north} == {"doc-a"}
    record = conllu_index.reader.manifest.corpora[0].metadata
    assert record is not None
    assert (record.rows, record.missing_documents, record.unknown_documents) == (2, 1, 1)


def test_a_text_corpus_has_no_lemmas(built):
    with pytest.raises(QueryError, match="no lemmas or parts of speech"):
        SenseIndex.open(built.path).occurrences(lemma="bank")


def test_a_broken_metadata_file_stops_the_build_before_writing(built, tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the bank .\n")
    metadata = tmp_path / "docs.csv"
    metadata.write_text("doc_id,year\nd0,1990\nd0,1991\n")
    out = tmp_path / "index"
    with pytest.raises(CorpusError, match=r"docs\.csv:3: document 'd0' given again"):
        build(corpus, model=str(built.model), out=out, overwrite=True, metadata=metadata)
    assert not out.exists()


def test_metadata_is_joined_to_a_finished_index_without_re_encoding(built, tmp_path):
    import shutil

    from indexer.builder.metadata import join_metadata

    root = tmp_path / "index"
    shutil.copytree(built.path, root)
    vectors = {p: p.read_bytes() for p in (root / "vectors").rglob("*.parquet")}
    manifest = (root / "manifest.json").read_bytes()
    broken = tmp_path / "broken.tsv"
    broken.write_text("doc_id\tdecade\nd0\t1990s\nd0\t2000s\n")
    with pytest.raises(CorpusError, match=r"broken\.tsv:3"):
        join_metadata(root, broken)
    assert (root / "manifest.json").read_bytes() == manifest

    table = tmp_path / "docs.tsv"
    table.write_text("doc_id\tdecade\tscore\nd0\t1990s\t0.5\nghost\t2000s\t1\n")
    report = join_metadata(root, table)
    assert "1 row naming no document" in report.lines()[0]
    index = SenseIndex.open(root)
    assert (index.fields.fields["score"].type, index.fields.fields["score"].level) == (
        "float",
        "document",
    )
    every = index.occurrences("bank")
    tagged = index.occurrences("bank", where="decade = '1990s' AND score > 0.25")
    assert tagged.ids.tolist() == [o.occurrence for o in every if o.doc_id == "d0"]
    assert {p: p.read_bytes() for p in (root / "vectors").rglob("*.parquet")} == vectors
    from indexer.store.verify import verify_index

    assert verify_index(root) == []


@pytest.mark.parametrize(("lemma", "pos"), [("bank", "NOUN"), ("run", "VERB"), ("bank", None)])
def test_lemma_lookup_on_a_random_conllu_index(built, tmp_path, lemma, pos):
    from tests.indexer.corpus.test_annotations import random_conllu

    corpus = tmp_path / "random.conllu"
    corpus.write_text(random_conllu(seed=5, sentences=120), encoding="utf-8")
    out = tmp_path / "index"
    build(corpus, model=str(built.model), out=out, overwrite=True, shard_rows=300)
    index = SenseIndex.open(out)
    assert len(index.reader.manifest.shards) > 1
    got = [(o.sent_id, o.position) for o in index.occurrences(lemma=lemma, pos=pos)]
    assert got == words_with_lemma_and_pos(corpus, lemma, pos) and got


def test_fields_and_lemmas_over_appended_corpora_and_after_optimize(built, tmp_path):
    from indexer.builder.optimize import optimize

    first = tmp_path / "a.conllu"
    first.write_text(CONLLU)
    second = tmp_path / "b.jsonl"
    second.write_text(
        "".join(
            json.dumps({"tokens": ["the", "bank", "."], "doc_id": f"w{i}", "year": 2020 + i}) + "\n"
            for i in range(3)
        )
    )
    out = tmp_path / "index"
    build(first, model=str(built.model), out=out, overwrite=True)
    build(second, model=str(built.model), out=out, append=True)

    def answers() -> tuple[list[int], list[int], list[int]]:
        index = SenseIndex.open(out)
        recent = index.occurrences("bank", where="year >= 2016").ids.tolist()
        nouns = index.occurrences(lemma="bank", pos="NOUN").ids.tolist()
        corpus = index.occurrences("bank", where="corpus = 1").ids.tolist()
        return recent, nouns, corpus

    before = answers()
    index = SenseIndex.open(out)
    bank = index.occurrences("bank")
    years = {"doc-a": 1994, "doc-b": 2016, "w0": 2020, "w1": 2021, "w2": 2022}
    assert before[0] == [o.occurrence for o in bank if years[o.doc_id] >= 2016]
    banks = index.occurrences("Banks").ids.tolist()  # doc-a's "Banks", lemma bank, a NOUN
    assert before[1] == sorted(banks + [o.occurrence for o in bank if o.doc_id == "doc-b"])
    assert before[2] == [o.occurrence for o in bank if o.doc_id.startswith("w")]
    assert len(index.reader.manifest.segments) == 2
    optimize(out)
    assert len(SenseIndex.open(out).reader.manifest.segments) == 1
    assert answers() == before
