"""Text, CoNLL-U and JSONL parsing: tokens, ids, document breaks, malformed lines."""

from __future__ import annotations

import pytest

from indexer.corpus import Sentence
from indexer.corpus.formats import parse_conllu
from indexer.corpus.lines import Line
from indexer.errors import CorpusError


def test_text_splits_on_any_whitespace_and_blank_lines_end_documents(make_corpus, read_corpus):
    path = make_corpus("c.txt", "The  cat\tsat .\r\nIt\u00a0purred\n\n \t \n\nA dog .\n\n")
    sentences, stats = read_corpus(path)
    assert sentences == [
        Sentence(("The", "cat", "sat", "."), "d0", None, 1),
        Sentence(("It", "purred"), "d0", None, 2),
        Sentence(("A", "dog", "."), "d1", None, 6),
    ]
    assert (stats.sentences, stats.tokens, stats.empty) == (3, 9, 0)


def test_text_without_final_newline_and_with_bom(make_corpus, read_corpus):
    path = make_corpus("c.txt", b"\xef\xbb\xbfa b\nc")
    sentences, _ = read_corpus(path)
    assert [s.tokens for s in sentences] == [("a", "b"), ("c",)]


CONLLU = """\
# newdoc id = news-1
# sent_id = s1
# text = I can't go.
1\tI\tI\tPRON\t_\t_\t3\tnsubj\t_\t_
2-3\tcan't\t_\t_\t_\t_\t_\t_\t_\t_
2\tca\tcan\tAUX\t_\t_\t3\taux\t_\t_
3\tn't\tnot\tPART\t_\t_\t0\troot\t_\t_
3.1\tgo\tgo\tVERB\t_\t_\t_\t_\t0:root\t_
4\tgo\tgo\tVERB\t_\t_\t3\txcomp\t_\t_
5\t.\t.\tPUNCT\t_\t_\t3\tpunct\t_\t_

# sent_id = s2
1\tYes\tyes\tINTJ\t_\t_\t0\troot\t_\t_

# newdoc
1\tNo\tno\tINTJ\t_\t_\t0\troot\t_\t_

# newdoc id = news-3
# sent_id = s4
1\tOk\tok\tINTJ\t_\t_\t0\troot\t_\t_
"""


def test_conllu_forms_ids_and_documents(make_corpus, read_corpus):
    sentences, stats = read_corpus(make_corpus("c.conllu", CONLLU))
    assert sentences == [
        Sentence(
            ("I", "ca", "n't", "go", "."),
            "news-1",
            "s1",
            1,
            ("I", "can", "not", "go", "."),
            ("PRON", "AUX", "PART", "VERB", "PUNCT"),
        ),
        Sentence(("Yes",), "news-1", "s2", 12, ("yes",), ("INTJ",)),
        Sentence(("No",), "d1", None, 15, ("no",), ("INTJ",)),
        Sentence(("Ok",), "news-3", "s4", 18, ("ok",), ("INTJ",)),
    ]
    assert (stats.sentences, stats.tokens, stats.empty) == (4, 8, 0)


def test_conllu_comment_only_block_counts_as_empty(make_corpus, read_corpus):
    text = "# sent_id = a\n\n\n# sent_id = b\n1\tx\t_\t_\t_\t_\t_\t_\t_\t_\n"
    sentences, stats = read_corpus(make_corpus("c.conllu", text))
    assert sentences == [Sentence(("x",), "d0", "b", 4, (None,), (None,))]
    assert stats.empty == 1


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("1\tx\t_\t_\t_\t_\t_\t_\t_\n", 2, "expected 10 tab-separated columns, found 9"),
        ("x\tx\t_\t_\t_\t_\t_\t_\t_\t_\n", 2, "bad word ID 'x'"),
        ("2\tx\t_\t_\t_\t_\t_\t_\t_\t_\n", 2, "word ID 2 where 1 was due"),
        ("1\t\t_\t_\t_\t_\t_\t_\t_\t_\n", 2, "empty FORM"),
        ("1\tx\t_\t_\t_\t_\t_\t_\t_\t_\n# sent_id = 2\n", 3, "comment inside a sentence"),
        ("1\tx\t_\t_\t_\t_\t_\t_\t_\t_\n1\ty\t_\t_\t_\t_\t_\t_\t_\t_\n", 3, "word ID 1 where 2"),
    ],
)
def test_malformed_conllu_names_file_and_line(make_corpus, read_corpus, body, line, message):
    path = make_corpus("bad.conllu", "# sent_id = 1\n" + body)
    with pytest.raises(CorpusError, match=message) as caught:
        read_corpus(path)
    assert (caught.value.path, caught.value.line) == (str(path), line)
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_conllu_parser_reads_lines_without_disk():
    lines = [Line(1, "1\ta\t_\t_\t_\t_\t_\t_\t_\t_"), Line(2, ""), Line(3, "# newdoc id = z")]
    lines.append(Line(4, "1\tb\t_\t_\t_\t_\t_\t_\t_\t_", bad=True))
    raw = list(parse_conllu(lines, "mem"))
    assert [(r.tokens, r.doc_id, r.source_line, r.bad) for r in raw] == [
        (["a"], "d0", 1, False),
        (["b"], "z", 3, True),
    ]


def test_jsonl_ids_documents_and_empty(make_corpus, read_corpus):
    text = "\n".join(
        [
            '{"tokens": ["a", "b"], "id": "x1", "doc_id": "A"}',
            '{"tokens": ["c"], "doc_id": "A", "extra": 1}',
            "",
            '{"tokens": [], "id": 7}',
            '{"tokens": ["d"], "id": 8}',
            '{"tokens": ["e"], "doc_id": "B"}',
            '{"tokens": ["f"]}',
        ]
    )
    sentences, stats = read_corpus(make_corpus("c.jsonl", text))
    assert sentences == [
        Sentence(("a", "b"), "A", "x1", 1),
        Sentence(("c",), "A", None, 2, fields={"extra": 1}),
        Sentence(("d",), "d1", "8", 5),
        Sentence(("e",), "B", None, 6),
        Sentence(("f",), "d3", None, 7),
    ]
    assert (stats.sentences, stats.tokens, stats.empty) == (5, 6, 1)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ('{"tokens": ["a", ', "invalid JSON"),
        ('["a", "b"]', "expected an object"),
        ('{"words": ["a"]}', 'no "tokens"'),
        ('{"tokens": "a b"}', "must be a list of strings, found str"),
        ('{"tokens": ["a", 3]}', r'"tokens"\[1\] must be a string, found 3'),
        ('{"tokens": ["a"], "id": [1]}', '"id" must be a string or an integer'),
        ('{"tokens": ["a"], "doc_id": true}', '"doc_id" must be a string or an integer'),
    ],
)
def test_malformed_jsonl_names_file_and_line(make_corpus, read_corpus, record, message):
    path = make_corpus("bad.jsonl", '{"tokens": ["ok"]}\n\n' + record + "\n")
    with pytest.raises(CorpusError, match=message) as caught:
        read_corpus(path)
    assert (caught.value.path, caught.value.line) == (str(path), 3)
