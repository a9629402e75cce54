"""Document metadata files: CSV, TSV and JSONL keyed by doc_id, and their errors."""

from __future__ import annotations

import pytest

from indexer.corpus import DocumentMetadata, FieldValue, read_metadata
from indexer.errors import CorpusError

CSV = (
    "doc_id,author,year,score,public,zip\n"
    "007,Ann Lee,2019,3.5,true,02134\n"
    "\n"
    '12,"Lee, Bo",,-0.25,FALSE,\n'
    'x,"two\nlines",1e3,,,\n'
    "y,,,,,\n"
)


def test_csv_values_typed_doc_ids_kept_as_text_empty_cells_left_out(tmp_path):
    path = tmp_path / "meta.csv"
    path.write_bytes(b"\xef\xbb\xbf" + CSV.encode())
    metadata = read_metadata(path)
    first: dict[str, FieldValue] = {
        "author": "Ann Lee",
        "year": 2019,
        "score": 3.5,
        "public": True,
        "zip": "02134",
    }
    assert metadata == DocumentMetadata(
        path=str(path),
        fields=("author", "year", "score", "public", "zip"),
        rows={
            "007": first,
            "12": {"author": "Lee, Bo", "score": -0.25, "public": False},
            "x": {"author": "two\nlines", "year": 1000.0},
            "y": {},
        },
        lines={"007": 2, "12": 4, "x": 5, "y": 7},
    )
    assert type(metadata.rows["007"]["year"]) is int
    assert type(metadata.rows["x"]["year"]) is float


def test_tsv_with_doc_id_in_any_column(tmp_path):
    path = tmp_path / "meta.TSV"
    path.write_text("year\tdoc_id\tname\n2001\t01\tA B\n\t2\t x \n", encoding="utf-8")
    metadata = read_metadata(path)
    assert (metadata.fields, metadata.rows, metadata.lines) == (
        ("year", "name"),
        {"01": {"year": 2001, "name": "A B"}, "2": {"name": "x"}},
        {"01": 2, "2": 3},
    )


def test_jsonl_ids_to_text_nulls_left_out_nested_as_json(tmp_path):
    path = tmp_path / "meta.jsonl"
    path.write_text(
        '{"doc_id": 12, "year": 2019, "tags": ["a", "b"], "gone": null}\n'
        "\n"
        '{"author": "Ann", "doc_id": "007", "ok": true, "who": {"b": 2, "a": 1}}\r\n'
        '{"doc_id": "z", "note": "line\u2028sep"}\n',
        encoding="utf-8",
    )
    metadata = read_metadata(path)
    assert metadata.fields == ("year", "tags", "gone", "author", "ok", "who", "note")
    assert metadata.rows == {
        "12": {"year": 2019, "tags": '["a","b"]'},
        "007": {"author": "Ann", "ok": True, "who": '{"a":1,"b":2}'},
        "z": {"note": "line\u2028sep"},
    }
    assert metadata.lines == {"12": 1, "007": 3, "z": 4}


@pytest.mark.parametrize(
    ("name", "content", "line", "message"),
    [
        ("m.csv", "id,author\n1,A\n", 1, "no 'doc_id' column; the header names id, author"),
        ("m.tsv", "\n\nauthor\n", 3, "no 'doc_id' column"),
        ("m.csv", "doc_id,a,a\n", 1, "column 'a' named twice"),
        ("m.csv", "doc_id,,b\n", 1, "column 2 of the header has no name"),
        ("m.csv", "", 1, "no header row"),
        ("m.csv", "doc_id,a\nx,1\ny,2\n\nx,3\n", 5, "document 'x' given again; first on line 2"),
        ("m.csv", "doc_id,a\nx,1\ny,2,3\n", 3, "3 cells where the header has 2"),
        ("m.tsv", "doc_id\ta\tb\nx\t1\n", 2, "2 cells where the header has 3"),
        ("m.csv", 'doc_id,a\n"x\ny",1\n,2\n', 4, "empty doc_id"),
        ("m.tsv", "doc_id\ta\n \t1\n", 2, "empty doc_id"),
        ("m.jsonl", '{"doc_id": "a"}\n\n{"doc_id": "b"\n', 3, "invalid JSON"),
        ("m.jsonl", '{"doc_id": "a"}\n["b"]\n', 2, "expected an object .*, found list"),
        ("m.jsonl", '{"doc_id": "a"}\n{"id": "b"}\n', 2, 'the record has no "doc_id"'),
        ("m.jsonl", '{"doc_id": true}\n', 1, '"doc_id" must be a string or an integer'),
        ("m.jsonl", '{"doc_id": 1.5}\n', 1, '"doc_id" must be a string or an integer'),
        ("m.jsonl", '{"doc_id": ""}\n', 1, "empty doc_id"),
        ("m.jsonl", '{"doc_id": 7}\n{"doc_id": "7"}\n', 2, "document '7' given again; first on"),
    ],
)
def test_errors_name_file_and_line(tmp_path, name, content, line, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError, match=message) as caught:
        read_metadata(path)
    assert (caught.value.path, caught.value.line) == (str(path), line)
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_invalid_utf8_names_its_line(tmp_path):
    path = tmp_path / "m.csv"
    path.write_bytes(b"doc_id,a\nx,1\ny,\xff\n")
    with pytest.raises(CorpusError, match="invalid UTF-8 at byte 3 of the line") as caught:
        read_metadata(path)
    assert caught.value.line == 3


def test_missing_file_and_unknown_suffix(tmp_path):
    with pytest.raises(CorpusError, match="no such file") as caught:
        read_metadata(tmp_path / "absent.csv")
    assert (caught.value.path, caught.value.line) == (str(tmp_path / "absent.csv"), None)
    path = tmp_path / "m.json"
    path.write_text('{"doc_id": 1}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"must end in \.csv, \.tsv, \.jsonl; got '\.json'"):
        read_metadata(path)
