"""What users read: columns (position, lemma, UPOS, --fields), KWIC, headers, suggestions,
sense assignments and the results' reprs, on the API and through the command line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from indexer.builder.pipeline import build
from indexer.errors import QueryError
from query import SenseIndex
from query.cli import app
from query.kwic import ELLIPSIS, KwicLine, kwic
from query.results import HIT_FIELDS, OCCURRENCE_FIELDS
from tests.query.changes.test_where import CONLLU, documents

runner = CliRunner()


def ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def fails(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 1, result.output
    return result.stderr


def conllu_rows(text: str) -> list[tuple[str | None, ...]]:
    """(form, lemma, upos) of every word of a CoNLL-U text, in order (``_`` as None)."""
    rows = []
    for line in text.split("\n"):
        columns = line.split("\t")
        if len(columns) < 4 or "-" in columns[0] or "." in columns[0]:
            continue
        rows.append((columns[1], *(None if c == "_" else c for c in columns[2:4])))
    return rows


@pytest.fixture(scope="module")
def conllu(built, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("conllu-output")
    corpus = folder / "corpus.conllu"
    corpus.write_text(CONLLU * 3)
    out = folder / "index"
    build(corpus, model=str(built.model), out=out, overwrite=True)
    return out


@pytest.fixture(scope="module")
def periods(period_index) -> SenseIndex:
    return SenseIndex.open(period_index)


# -- columns -------------------------------------------------------------------------------


def test_lemma_and_upos_are_columns_of_an_annotated_index(conllu):
    index = SenseIndex.open(conllu)
    words = conllu_rows(CONLLU * 3)
    found = index.occurrences(lemma="bank")
    assert found.columns == ("lemma", "upos")
    assert found.fields == (*OCCURRENCE_FIELDS, "lemma", "upos")
    for item in found:
        assert (item.token, item.extra["lemma"], item.extra["upos"]) == words[item.occurrence]
    assert {(i.token, i.extra["upos"]) for i in found} == {
        ("Banks", "NOUN"), ("bank", "VERB"), ("bank", "NOUN"), ("banked", "VERB")
    }  # fmt: skip
    frame = found.to_pandas()
    assert list(frame.columns) == list(found.fields)
    assert frame["upos"].tolist() == [words[o][2] for o in found.ids.tolist()]

    out = ok("occurrences", "--lemma", "bank", "--index", str(conllu))
    lines = out.splitlines()
    assert lines[0] == "lemma=bank: 12 occurrences, 12 shown"
    assert lines[1].split() == ["occurrence", "doc", "sent", "position", "lemma", "upos", "context"]
    first = found[0]
    assert lines[2].split()[:6] == [
        str(first.occurrence), first.doc_id, str(first.sent_id), str(first.position), "bank",
        first.extra["upos"],
    ]  # fmt: skip
    # BANK has no lemma: the cell says so
    bank = index.occurrences("BANK")
    assert bank[0].extra == {"lemma": None, "upos": "NOUN"}
    row = ok("occurrences", "--word", "BANK", "--index", str(conllu)).splitlines()[2].split()
    assert row[4:6] == ["_", "NOUN"]


def test_a_text_index_shows_no_lemma_column(built):
    found = SenseIndex.open(built.path).occurrences("bank", 3)
    assert found.columns == () and list(found.to_records()[0]) == list(OCCURRENCE_FIELDS)
    out = ok("occurrences", "--word", "bank", "--index", str(built.path), "--limit", "3")
    assert out.splitlines()[1].split() == ["occurrence", "doc", "sent", "position", "context"]
    table = ok("neighbors", "--word", "bank", "--index", str(built.path), "--limit", "1", "-k", "2")
    assert "rank  distance  occurrence  doc  sent  position  context" in table
    assert " pos " not in table


def test_fields_add_metadata_columns_in_every_format(periods, period_index, planted_corpus):
    docs = documents(planted_corpus)
    found = periods.occurrences("bank", 5, fields="year,genre")
    assert found.columns == ("year", "genre")
    for item in found:
        assert item.extra == {k: docs[item.doc_id][k] for k in ("year", "genre")}
    assert list(found.to_pandas().columns) == [*OCCURRENCE_FIELDS, "year", "genre"]

    index = str(period_index)
    data = json.loads(ok("occurrences", "--word", "bank", "--index", index, "--limit", "5",
                         "--fields", "year,genre", "--format", "json"))  # fmt: skip
    assert data["occurrences"] == found.to_records()
    rows = list(csv.DictReader(io.StringIO(ok(
        "occurrences", "--word", "bank", "--index", index, "--limit", "5", "--fields",
        "year,genre", "--format", "csv",
    ))))  # fmt: skip
    assert list(rows[0]) == [*OCCURRENCE_FIELDS, "year", "genre", "left", "node", "right"]
    for row, item in zip(rows, found, strict=True):
        assert (row["year"], row["genre"]) == (str(item.extra["year"]), item.extra["genre"])
        line = item.kwic()
        assert (row["left"], row["node"], row["right"]) == (line.left, "bank", line.right)
        shown = f"{row['left']} {row['node']} {row['right']}".strip(f" {ELLIPSIS}")
        assert f" {shown} " in f" {item.sentence} "
    table = ok("occurrences", "--word", "bank", "--index", index, "--limit", "5",
               "--fields", "year,genre").splitlines()  # fmt: skip
    assert table[1].split() == ["occurrence", "doc", "sent", "position", "year", "genre",
                                "context"]  # fmt: skip
    assert table[2].split()[4:6] == [str(found[0].extra["year"]), found[0].extra["genre"]]

    hits = periods.neighbors("bank", limit=2, k=3, fields=["period"])
    assert hits.fields == (*HIT_FIELDS, "period")
    assert all(hit.extra["period"] == docs[hit.doc_id]["period"] for hit in hits)
    data = json.loads(ok("neighbors", "--word", "bank", "--index", index, "--limit", "2",
                         "-k", "3", "--fields", "period", "--format", "json"))  # fmt: skip
    assert data["hits"] == hits.to_records()
    out = ok("neighbors", "--word", "bank", "--index", index, "--limit", "2", "-k", "3",
             "--fields", "period")  # fmt: skip
    heads = [line.split() for line in out.splitlines() if line.lstrip().startswith("rank")]
    assert heads == [["rank", "distance", "occurrence", "doc", "sent", "position", "period",
                      "context"]] * 2  # fmt: skip

    senses = periods.senses("bank", examples=3, fields="genre")
    assert senses.columns == ("genre",)
    for sense in senses:
        assert all(e.extra["genre"] == docs[e.doc_id]["genre"] for e in sense.examples)
    assert list(senses.examples().columns)[-1] == "genre"
    data = json.loads(ok("senses", "--word", "bank", "--index", index, "--examples", "3",
                         "--fields", "genre", "--format", "json"))  # fmt: skip
    assert data["senses"][0]["examples"] == [e.to_record() for e in senses[0].examples]
    out = ok("senses", "--word", "bank", "--index", index, "--examples", "3", "--fields", "genre")
    heads = [line.split() for line in out.splitlines() if line.split()[:1] == ["occurrence"]]
    assert heads == [["occurrence", "genre", "context"]] * len(senses)


def test_an_unknown_field_names_the_known_ones(periods):
    with pytest.raises(QueryError, match=r"unknown field 'yeer'.*genre, period, year"):
        periods.occurrences("bank", fields="yeer")


# -- KWIC ------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [5, 12, 20, 33])
def test_kwic_cuts_at_token_boundaries(width):
    tokens = (
        "Kira said that Yusuf deposited two hundred dollars at the bank before it closed".split()
    )
    at = tokens.index("bank")
    line = kwic(tokens, at, width)
    left = line.left.removeprefix(f"{ELLIPSIS} ").split(" ")
    right = line.right.removesuffix(f" {ELLIPSIS}").split(" ")
    assert left == tokens[at - len(left) : at]  # whole tokens, ending next to the word
    assert right == tokens[at + 1 : at + 1 + len(right)]
    assert line.left.startswith(ELLIPSIS) == (len(left) < at)
    assert line.right.endswith(ELLIPSIS) == (len(right) < len(tokens) - at - 1)
    assert len(" ".join(left)) <= width or len(left) == 1


def test_kwic_of_a_stored_token_that_holds_a_space(built, tmp_path):
    corpus = tmp_path / "c.jsonl"
    tokens = ["we", "left", "New York", "for", "the", "bank", "by", "the", "river", "."]
    corpus.write_text(json.dumps({"tokens": tokens}) + "\n")
    build(corpus, model=str(built.model), out=tmp_path / "index")
    index = SenseIndex.open(tmp_path / "index")
    found = index.occurrences("bank")[0]
    assert (found.position, found.sentence) == (5, " ".join(tokens))
    # cut between the text's words (the text cannot tell where "New York" begins)
    assert found.kwic(width=12) == KwicLine(f"{ELLIPSIS} York for the", "bank", "by the river …")
    assert index.occurrences("New York")[0].kwic().render() == (
        "we left [[New York]] for the bank by the river ."
    )


# -- headers ---------------------------------------------------------------------------------


def test_headers_name_the_query_as_given(conllu, period_index):
    out = ok("neighbors", "--lemma", "bank", "--pos", "NOUN", "--index", str(conllu), "-k", "1")
    assert out.splitlines()[0] == "lemma=bank pos=NOUN on layer 2, 1 nearest, scope same-word"
    hits = SenseIndex.open(conllu).neighbors(lemma="bank", pos="NOUN", k=1)
    assert hits.query == "lemma=bank pos=NOUN" and hits.word == "Banks"
    condition = "year >= 2005 AND genre = 'news'"
    out = ok("senses", "--word", "bank", "--where", condition, "--index", str(period_index))
    assert out.startswith(f"bank where {condition} on layer 2: ")
    assert "where-" not in out
    out = ok("occurrences", "--word", "bank", "--where", condition, "--index", str(period_index))
    assert out.startswith(f"bank where {condition}: ")
    senses = SenseIndex.open(period_index).senses("bank", where=condition, keep=False)
    assert senses.word == f"bank where {condition}"
    assert json.loads(ok("senses", "--word", "bank", "--where", condition, "--index",
                         str(period_index), "--format", "json"))["word"] == senses.word  # fmt: skip
    tag = senses.assign("We sat on the bank of the river .")  # the form is searched for
    assert (tag.word, tag.position) == ("bank", 4)
    plain = ok("senses", "--word", "bank", "--index", str(period_index), "--examples", "1")
    assert plain.startswith("'bank' on layer 2: ")


# -- suggestions -----------------------------------------------------------------------------


def test_another_case_suggests_any_case(built):
    message = fails("neighbors", "--word", "Bank", "--index", str(built.path))
    assert message == (
        "error: 'Bank' does not occur in this case; it occurs as 'bank': add --any-case "
        "(or give --word bank)\n"
    )


def test_an_unknown_form_suggests_its_lemma(conllu, built):
    message = fails("occurrences", "--word", "bankz", "--index", str(conllu))
    assert "'bankz' does not occur in the corpus" in message
    assert "every form of a lemma: --lemma bank" in message
    # a lemma given as --word: every one of its forms is another form
    index = SenseIndex.open(conllu)
    with pytest.raises(QueryError, match=r"every form of a lemma: --lemma not$"):
        index.occurrences("not")
    with pytest.raises(QueryError) as raised:
        index.neighbors(lemma="banks")
    assert str(raised.value) == (
        "no occurrence of lemma=banks; the lemma 'banks' is not in the index (closest lemmas: bank)"
    )
    # no lemma to offer where the index has none
    with pytest.raises(QueryError) as raised:
        SenseIndex.open(built.path).occurrences("bankz")
    assert "--lemma" not in str(raised.value)


# -- sense assignments -----------------------------------------------------------------------


def test_assignments_from_the_command_line_equal_the_api(period_index, periods):
    want = periods.senses("bank").assignments()
    index = str(period_index)
    rows = list(csv.DictReader(io.StringIO(
        ok("senses", "--word", "bank", "--index", index, "--assignments", "--format", "csv")
    )))  # fmt: skip
    assert len(rows) == len(want) == 360
    assert [int(r["occurrence"]) for r in rows] == want["occurrence"].tolist()
    assert [int(r["sense"]) for r in rows] == want["sense"].tolist()
    assert [float(r["distance"]) for r in rows] == pytest.approx(want["distance"].tolist())
    data = json.loads(
        ok("senses", "--word", "bank", "--index", index, "--assignments", "--format", "json")
    )
    assert [a["occurrence"] for a in data["assignments"]] == want["occurrence"].tolist()
    assert [a["sense"] for a in data["assignments"]] == want["sense"].tolist()
    assert len(data["senses"]) == 2 and data["word"] == "bank"
    message = fails("senses", "--word", "bank", "--index", index, "--assignments", "--context",
                    "the [[bank]] .")  # fmt: skip
    assert message == (
        "error: --assignments writes the corpus's occurrences; tag --context without it\n"
    )


def test_example_rows_carry_their_sense_and_fields(period_index, periods):
    senses = periods.senses("bank", examples=3, fields="period,genre")
    want = senses.example_records()
    docs = {o.occurrence: o.doc_id for o in periods.occurrences("bank")}
    index = str(period_index)
    args = ("senses", "--word", "bank", "--index", index, "--examples", "3", "--example-rows",
            "--fields", "period,genre")  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(ok(*args, "--format", "csv"))))
    assert len(rows) == len(want) == 3 * len(senses.senses)
    assert [int(r["occurrence"]) for r in rows] == [w["occurrence"] for w in want]
    assert [int(r["sense"]) for r in rows] == [w["sense"] for w in want]
    for row in rows:
        assert row["doc_id"] == docs[int(row["occurrence"])]
        assert row["period"] in ("1990s", "2010s") and row["genre"]
        tokens = row["sentence"].split()
        assert tokens[int(row["position"])] == row["node"] == "bank"
        assert row["left"].removeprefix(f"{ELLIPSIS} ") in " ".join(tokens[: int(row["position"])])
    data = json.loads(ok(*args, "--format", "json"))
    assert data["examples"] == json.loads(json.dumps(want))
    table = ok(*args).splitlines()
    assert table[0] == f"'bank' on layer 2: {len(want)} examples"
    assert table[1].split()[:9] == [
        "sense", "rank", "distance", "occurrence", "doc", "sent", "position", "period", "genre"
    ]  # fmt: skip
    assert len(table) == 2 + len(want)
    message = fails(*args, "--assignments")
    assert (
        message
        == "error: --assignments and --example-rows each write rows of their own: give one\n"
    )


# -- reprs -----------------------------------------------------------------------------------


def check_views(result: Any, *facts: str, limit: int = 240) -> None:
    text = repr(result)
    assert len(text) <= limit and text == str(result)
    for fact in facts:
        assert fact in text, (fact, text)
    page = result._repr_html_()
    assert "<table>" in page and len(page) < 20_000


def test_results_print_short(periods):
    senses = periods.senses("bank")
    check_views(senses, "Senses", "bank", "layer 2", "2 senses", "360 occurrences")
    assert senses[0].label[0] in repr(senses)
    hits = periods.neighbors("bank", k=10, limit=100)
    check_views(hits, "Neighbors", "1,000 hits", "100 queries")
    check_views(periods.occurrences("bank"), "OccurrenceList", "360 occurrences")
    check_views(periods.distances([1, 2, 3], layers=(2,)), "3 items", "layer 2")
    check_views(senses.assign("We sat on the [[bank]] of the river ."), "sense")
    comparison = periods.compare("period", "bank")
    check_views(comparison, "Comparison", "by period", "2 groups")
    changes = periods.changes("period", "1990s", "2010s", min_count=150, n=5)
    check_views(changes, "Changes", "bank")
    check_views(periods.info(), "occurrences", "layers 2", "model demo")
    check_views(periods.fields, "period")
    hit = hits[0]
    check_views(hit, "Hit", f"rank 1, distance {hit.distance:.4f}", f"occurrence {hit.occurrence}")
    assert "[[bank]]" in repr(hit)
    check_views(periods.occurrence(hit.occurrence), "Occurrence", hit.doc_id, "[[bank]]")
    check_views(senses[1], "Sense", f"sense 1: {senses[1].size:,} occurrences", "label:")
    check_views(senses[0].examples[0], "SenseExample", "[[bank]]")


def test_compare_and_changes_are_methods(periods):
    from query.changes.compare import compare
    from query.changes.vocabulary import word_changes
    from query.selection import Selection

    method = periods.compare("period", "bank")
    assert method.to_dict() == compare(periods, Selection("bank"), "period", layer=2).to_dict()
    assert list(method.to_pandas().columns) == ["group", "count", "sense", "label", "share"]
    years = periods.compare("year", "bank", bins="1990,2000,2010,2020")
    assert [(g.group, g.count) for g in years.groups] == [("1990-2000", 180), ("2010-2020", 180)]
    ranked = periods.changes("period", "1990s", "2010s", min_count=150, n=8)
    want = word_changes(periods, "period", "1990s", "2010s", layer=2, min_count=150, n=8)
    assert ranked.to_records() == want.to_records()
    assert ranked.words[0].word == "bank"
