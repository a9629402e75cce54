"""Keyword-in-context lines of the ``query serve`` page in a real browser (headless Chromium,
as in ``test_browser.py``): the contexts are cut at token boundaries to fit their column, with
"…" where tokens were left out, at a wide and a narrow window and again after a resize.

The lines are those of a word, "vault", that only a few sentences of the index hold: long
ones, one with a token wider than a narrow column, one with the word first, one with it last.
What the page shows is checked against the sentences the API gives for the same occurrences.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from selenium.webdriver.chrome.webdriver import WebDriver as Chrome
from selenium.webdriver.common.by import By

from indexer.builder.pipeline import build
from tests.query.serve import test_browser as browser
from tests.query.serve.conftest import start, stop
from tests.query.serve.test_browser import console_errors, get, wait
from tools.sample_corpus import generate

#: Headless Chromium, one per module (skips when Debian's chromium or its driver is missing).
driver = browser.driver

WORD = "vault"
LONG = (
    "in the early spring of that unusually wet year the farmers who had borrowed heavily "
    "against their fields walked together down the muddy road to the old vault under the bank "
    "on the corner of the square where the manager , a patient man with a grey moustache , "
    "listened to each of them in turn before he wrote anything down in his heavy ledger ."
)
SENTENCES = (
    LONG,
    "when the storm had passed and the river had gone back between its banks the clerks "
    "carried every box of papers that had been kept in the cellar up the narrow stairs and "
    "into the vault",
    "vault doors at the old bank were opened by the manager every morning at nine and closed "
    "again at five in the afternoon without fail for forty years .",
    "nobody understood the compartmentalisation-of-responsibilities vault procedure that the "
    "bank had written down .",
    "the vault was empty .",
    "they kept the gold in a vault .",
)
#: Viewports (CSS pixels): a laptop's, and a phone's (the page's narrow layout, under 52rem).
WIDE, NARROW = (1280, 800), (480, 800)

#: Each line shown in #results: its occurrence, its contexts' and word's text, and whether
#: each context fits its box (its text's box within the element's, and nothing scrolled).
LINES_JS = """
const inside = (span) => {
  const box = span.getBoundingClientRect();
  if (!span.firstChild) return span.scrollWidth <= span.clientWidth;
  const range = document.createRange();
  range.selectNodeContents(span);
  const text = range.getBoundingClientRect();
  return span.scrollWidth <= span.clientWidth && text.left >= box.left - 0.5
    && text.right <= box.right + 0.5;
};
return [...document.querySelectorAll("#results .kwic-line")].map((line) => {
  const [left, right, mark] = [".left", ".right", "mark"].map((s) => line.querySelector(s));
  const column = line.querySelector(".kwic").getBoundingClientRect();
  const word = mark.getBoundingClientRect();
  return {
    occurrence: Number(line.dataset.occurrence), hit: line.classList.contains("hit"),
    left: left.textContent, right: right.textContent, word: mark.textContent,
    leftFits: inside(left), rightFits: inside(right),
    wordShown: word.width > 0 && word.left >= column.left && word.right <= column.right,
    wordLeft: word.left,
    title: line.querySelector(".kwic").title,
  };
});
"""

#: Whether one token more than shown would still fit each context (it should not).
ONE_MORE_JS = """
const [span, text] = arguments;
const before = span.textContent;
span.textContent = text;
const fits = span.scrollWidth <= span.clientWidth;
span.textContent = before;
return fits;
"""


# ---- Fixtures: the index, the server, the page --------------------------------------------


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sample sentences and, among them, the sentences of "vault"."""
    root = tmp_path_factory.mktemp("browser-kwic-index")
    sentences = [sentence.text for sentence in generate(120, 11)]
    corpus = root / "corpus.txt"
    corpus.write_text(
        "".join(f"{t}\n" for t in [*sentences[:60], *SENTENCES, *sentences[60:]]), "utf-8"
    )
    build(corpus, model="demo", out=str(root / "index"), progress=False)
    return root / "index"


@pytest.fixture(scope="module")
def server(index_dir: Path) -> Iterator[str]:
    running = start({index_dir.name: index_dir})
    yield f"{running.url}/"
    stop(running)


@pytest.fixture(scope="module")
def api(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def stored(api: httpx.Client) -> dict[int, tuple[list[str], int]]:
    """Occurrence id -> the tokens of its sentence and the word's position, from the API."""
    (index,) = get(api, "/api/indexes")["indexes"]
    answer = get(api, f"/api/{index['name']}/occurrences", word=WORD, limit=100)
    found = {
        o["occurrence"]: (o["sentence"].split(" "), o["position"]) for o in answer["occurrences"]
    }
    assert sorted(" ".join(tokens) for tokens, _ in found.values()) == sorted(SENTENCES)
    return found


def viewport(page: Chrome, size: tuple[int, int]) -> None:
    metrics = {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False}
    page.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    wait(page, lambda d: d.execute_script("return innerWidth") == size[0])


@pytest.fixture
def page(driver: Chrome, server: str) -> Iterator[Chrome]:
    """The page at the wide viewport, showing the neighbours of "vault" (each of its six
    occurrences is a query or a hit of one)."""
    viewport(driver, WIDE)
    driver.get(f"{server}?word={WORD}&k=10")
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#results .hit"))
    try:
        yield driver
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


# ---- Checks ----------------------------------------------------------------------------


def kept(shown: str, tokens: list[str], side: str) -> int:
    """How many of ``tokens`` the context ``shown`` keeps, asserting that it is exactly those
    next to the word, whole, and that "…" stands at its far end when, and only when, some
    were left out."""
    parts = shown.split(" ") if shown else []
    if side == "left":
        cut = bool(parts) and parts[0] == "…"
        words = parts[1:] if cut else parts
        assert words == (tokens[len(tokens) - len(words) :] if words else []), shown
    else:
        cut = bool(parts) and parts[-1] == "…"
        words = parts[:-1] if cut else parts
        assert words == tokens[: len(words)], shown
    assert cut == (len(words) < len(tokens)), shown
    assert "…" not in words or "…" in tokens, shown
    return len(words)


def shown_text(context: list[str], n: int, side: str) -> str:
    """A context cut to its ``n`` tokens nearest the word, as the page shows it."""
    if n >= len(context):
        return " ".join(context)
    return " ".join(["…", *context[len(context) - n :]] if side == "left" else [*context[:n], "…"])


def check_lines(
    page: Chrome, stored: dict[int, tuple[list[str], int]]
) -> dict[int, tuple[int, int]]:
    """Every line's contexts as ``kept`` asserts, fitting, no more cut than needed, the word
    shown in one column; the tokens kept left and right of each occurrence's hit lines."""
    lines = page.execute_script(LINES_JS)
    assert {line["occurrence"] for line in lines} == set(stored)
    assert len(lines) > len(stored)  # the queries and their hits: an occurrence twice or more
    spans = page.find_elements(By.CSS_SELECTOR, "#results .kwic-line")
    counts: dict[int, tuple[int, int]] = {}
    for line, element in zip(lines, spans, strict=True):
        tokens, position = stored[line["occurrence"]]
        assert line["word"] == tokens[position] == WORD
        assert line["wordShown"], line
        assert line["leftFits"] and line["rightFits"], line
        assert line["title"].endswith(" ".join(tokens))  # the whole sentence, as its tooltip
        before, after = tokens[:position], tokens[position + 1 :]
        left, right = kept(line["left"], before, "left"), kept(line["right"], after, "right")
        for side, n, context in (("left", left, before), ("right", right, after)):
            if n < len(context):  # one token more would not have fitted
                span = element.find_element(By.CLASS_NAME, side)
                more = shown_text(context, n + 1, side)
                assert not page.execute_script(ONE_MORE_JS, span, more), (side, more, line)
        if line["hit"]:  # a hit's line is cut alike in every list (a query's is in bold)
            assert counts.setdefault(line["occurrence"], (left, right)) == (left, right)
    # the word in one column: the same word, so the same place on every line
    assert max(line["wordLeft"] for line in lines) - min(line["wordLeft"] for line in lines) < 1
    return counts


# ---- Tests -------------------------------------------------------------------------------


def test_contexts_are_cut_at_token_boundaries_at_any_width(
    page: Chrome, stored: dict[int, tuple[list[str], int]], tmp_path: Path
) -> None:
    by_sentence = {" ".join(tokens): occurrence for occurrence, (tokens, _) in stored.items()}
    long, short = by_sentence[LONG], by_sentence["the vault was empty ."]
    wide = check_lines(page, stored)
    tokens, position = stored[long]
    assert 0 < wide[long][0] < position  # the long sentence cut on both sides
    assert 0 < wide[long][1] < len(tokens) - position - 1
    assert wide[short] == (1, 3)  # a short one whole
    assert_screenshot(page, tmp_path / "wide.png", WIDE)

    before = contexts(page)
    viewport(page, NARROW)  # no reload: the page fits the lines again to their new width
    wait(page, lambda d: contexts(d) != before)
    narrow = check_lines(page, stored)
    assert narrow[long][0] < wide[long][0] and narrow[long][1] < wide[long][1]
    assert narrow[long][0] > 0  # still some context
    assert all(narrow[o][0] <= wide[o][0] and narrow[o][1] <= wide[o][1] for o in stored)
    hyphenated = by_sentence[SENTENCES[3]]
    assert narrow[hyphenated][0] == 0 < wide[hyphenated][0]  # the token wider than the column
    page.execute_script("document.querySelector('#results .query-group').scrollIntoView()")
    assert_screenshot(page, tmp_path / "narrow.png", NARROW)

    before = contexts(page)
    viewport(page, WIDE)
    wait(page, lambda d: contexts(d) != before)
    assert check_lines(page, stored) == wide
    assert console_errors(page) == []


def contexts(page: Chrome) -> list[str]:
    return list(
        page.execute_script(
            "return [...document.querySelectorAll('#results .left, #results .right')]"
            ".map((span) => span.textContent)"
        )
    )


def assert_screenshot(page: Chrome, picture: Path, size: tuple[int, int]) -> None:
    assert page.save_screenshot(str(picture))
    with Image.open(picture) as image:
        assert image.size == size
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50  # text and marks: not blank
