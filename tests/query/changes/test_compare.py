"""query compare and query changes on the planted-change corpus: the planted words rank above
the controls, their scores follow the planted magnitudes, the shares are the planted ones."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from indexer.errors import QueryError
from query.changes.compare import compare
from query.changes.vocabulary import word_changes
from query.index import SenseIndex
from query.selection import Selection
from tools.period_corpus import PLANTED, control_words, planted_magnitudes


def spearman(x: list[float], y: list[float]) -> float:
    rx = np.argsort(np.argsort(x)).astype(float)
    ry = np.argsort(np.argsort(y)).astype(float)
    return float(np.corrcoef(rx, ry)[0, 1])


@pytest.fixture(scope="module")
def index(period_index: Path) -> SenseIndex:
    return SenseIndex.open(period_index)


@pytest.mark.parametrize("score", ["prt", "jsd"])
def test_planted_words_rank_above_controls_and_follow_their_magnitude(index, score):
    result = word_changes(index, "period", "1990s", "2010s", layer=2, score=score, n=None)
    scores = {change.word: change.score for change in result.words}
    planted = planted_magnitudes()
    controls = control_words()
    assert set(planted) | set(controls) <= set(scores)
    assert min(scores[w] for w in planted) > max(scores[w] for w in controls)
    words = sorted(planted)
    rho = spearman([planted[w] for w in words], [scores[w] for w in words])
    assert rho >= 0.8
    ranked = [change.word for change in result.words]
    assert ranked.index("bank") < ranked.index("match") < ranked.index("bat")
    assert all(change.count_from >= 20 and change.count_to >= 20 for change in result.words)


def test_apd_is_exact_mean_pairwise_distance(index):
    result = word_changes(index, "period", "1990s", "2010s", layer=2, score="apd", n=None)
    found = {change.word: change for change in result.words}
    bank = index.select("bank")
    periods = np.array(index.fields.values("period", bank).to_pylist())
    vectors = index.vectors(bank, 2).astype(np.float64)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    a, b = unit[periods == "1990s"], unit[periods == "2010s"]
    pairwise = float(np.mean(1.0 - a @ b.T))
    assert found["bank"].apd == pytest.approx(pairwise, abs=1e-5)
    assert (found["bank"].count_from, found["bank"].count_to) == (len(a), len(b))


def test_compare_gives_the_planted_shares(index):
    for word, (before, _after) in PLANTED.items():
        if word in ("spring", "crane"):
            continue
        result = compare(index, Selection(word), "period", layer=2)
        assert [group.group for group in result.groups] == ["1990s", "2010s"]
        assert [group.count for group in result.groups] == [180, 180]
        first = {group.group: group.shares for group in result.groups}
        # sense 0 is the larger one overall; find the sense holding the first sense's share
        shares_1990 = sorted(first["1990s"])
        assert shares_1990 == pytest.approx(sorted([before, 1 - before]), abs=0.02)
        pair = result.pairs[0]
        assert (pair.source, pair.target) == ("1990s", "2010s")
        assert pair.jsd >= 0 and pair.prt >= 0


def test_compare_by_bins_and_genre(index):
    result = compare(index, Selection("bank"), "year", bins=(1990, 2000, 2020), layer=2)
    assert [g.group for g in result.groups] == ["1990-2000", "2000-2020"]
    assert [g.count for g in result.groups] == [180, 180]
    genre = compare(index, Selection("bank"), "genre", layer=2)
    assert {g.group for g in genre.groups} == {"fiction", "news"}
    assert genre.pairs[0].jsd < result.pairs[0].jsd  # genre carries no planted change


def test_bad_comparisons_are_one_line(index):
    with pytest.raises(QueryError, match=r"unknown field 'perod'.*period"):
        compare(index, Selection("bank"), "perod", layer=2)
    with pytest.raises(QueryError, match="'1980s' is not a group of 'period'"):
        word_changes(index, "period", "1980s", "2010s", layer=2)
    with pytest.raises(QueryError, match="--bins needs a numeric or date field"):
        compare(index, Selection("bank"), "genre", bins=(1, 2), layer=2)
    with pytest.raises(QueryError, match="no occurrence of bank where"):
        compare(index, Selection("bank", where="year > 3000"), "period", layer=2)


def test_changes_cli_json(period_index):
    done = subprocess.run(
        [sys.executable, "-m", "query.cli", "changes", "--by", "period", "--from", "1990s",
         "--to", "2010s", "--min-count", "150", "-n", "3", "--index", str(period_index),
         "--format", "json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = json.loads(done.stdout)
    assert [row["word"] for row in rows][:2] == ["bank", "match"]
    assert set(rows[0]) == {"word", "score", "count_from", "count_to"}
    assert rows[0]["count_from"] == rows[0]["count_to"] == 180


def test_compare_cli_plot(period_index, tmp_path):
    svg = tmp_path / "shares.svg"
    done = subprocess.run(
        [sys.executable, "-m", "query.cli", "compare", "--by", "period", "--word", "bank",
         "--index", str(period_index), "--plot", str(svg)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "15.0%" in done.stdout and "85.0%" in done.stdout
    text = svg.read_text()
    assert text.count('id="sense-0') == 2 and text.count('id="sense-1') == 2


def test_changes_of_target_words_only(index):
    targets = [*planted_magnitudes(), *control_words()]
    result = word_changes(index, "period", "1990s", "2010s", layer=2, words=targets, n=None)
    assert sorted(change.word for change in result.words) == sorted(targets)
    assert [change.word for change in result.words][:4] == ["bank", "match", "bat", "plant"]
    with pytest.raises(QueryError, match="target word 'nowhere' does not occur"):
        word_changes(index, "period", "1990s", "2010s", layer=2, words=["nowhere"])
