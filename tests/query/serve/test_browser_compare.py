"""The metadata views of the ``query serve`` page in a real browser (headless Chromium, as in
``test_browser.py``): the "Only where" filter, Compare and Changes, on the real server over the
bundled period corpus (``period_index``: a planted change of ``bank`` from the 1990s to the
2010s) and, beside it, an index without metadata.

Each check compares what the page shows with the API's own answer from the same server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from PIL import Image
from selenium.webdriver.chrome.webdriver import WebDriver as Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.query.serve import test_browser as browser
from tests.query.serve.conftest import demo_index, start, stop
from tests.query.serve.test_browser import console_errors, get, search, wait

#: Headless Chromium, one per module (skips when Debian's chromium or its driver is missing).
driver = browser.driver

PERIODS = "periods"
PLAIN = "plain"
FILTER = "period = '1990s'"
BINS = "1990,2000,2010,2020,2030"


# ---- Fixtures: the server over both indexes, the page ------------------------------------


@pytest.fixture(scope="module")
def server(period_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``query serve`` over the period index (first: the page's default) and a plain one."""
    plain = demo_index(tmp_path_factory.mktemp("browser-plain"), 60, seed=7)
    running = start({PERIODS: period_index, PLAIN: plain})
    yield f"{running.url}/"
    stop(running)


@pytest.fixture(scope="module")
def api(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=30) as client:
        yield client


@pytest.fixture
def page(driver: Chrome, server: str) -> Chrome:
    """The page, freshly loaded, once it has read the indexes and their fields."""
    driver.get(server)
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#layer option"))
    return driver


# ---- Helpers -----------------------------------------------------------------------------


def choose(page: WebDriver, select_id: str, value: str) -> None:
    Select(page.find_element(By.ID, select_id)).select_by_value(value)


def option_values(page: WebDriver, select_id: str) -> list[str | None]:
    return [
        o.get_attribute("value")
        for o in page.find_elements(By.CSS_SELECTOR, f"#{select_id} option")
    ]


def rows(page: WebDriver, table: str) -> list[Any]:
    return page.find_elements(By.CSS_SELECTOR, f"{table} tbody tr")


# ---- Tests -------------------------------------------------------------------------------


def test_compare_shows_the_api_shares_and_scores(
    page: Chrome, api: httpx.Client, tmp_path: Path
) -> None:
    search(page, "bank")
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#results .hit"))
    page.find_element(By.ID, "compare-tab").click()
    assert page.find_element(By.ID, "compare").is_displayed()
    assert not page.find_element(By.ID, "compare-none").is_displayed()
    fields = get(api, f"/api/{PERIODS}/fields")
    assert option_values(page, "compare-by") == fields["metadata"] == ["genre", "period", "year"]
    choose(page, "compare-by", "year")
    assert page.find_element(By.ID, "compare-bins").is_displayed()  # an integer field
    choose(page, "compare-by", "period")
    assert not page.find_element(By.ID, "compare-bins").is_displayed()  # a string field
    page.find_element(By.CSS_SELECTOR, "#compare-form button[type=submit]").click()
    shown = wait(page, lambda d: rows(d, "#compare-result .compare-table"))

    expected = get(api, f"/api/{PERIODS}/compare", word="bank", by="period", layer=2)
    groups = expected["groups"]
    assert [(g["group"], g["count"]) for g in groups] == [("1990s", 180), ("2010s", 180)]
    senses = [s["sense"] for s in expected["senses"]]
    for row, group in zip(shown, groups, strict=True):
        assert row.find_element(By.CSS_SELECTOR, "th.group").text == group["group"]
        assert int(row.find_element(By.CSS_SELECTOR, "td.num").text) == group["count"]
        cells = row.find_elements(By.CSS_SELECTOR, "td.share-cell")
        assert [c.text for c in cells] == [f"{100 * share:.1f}%" for share in group["shares"]]
        segments = row.find_elements(By.CSS_SELECTOR, ".stack .segment")
        assert [int(s.get_attribute("data-sense") or -1) for s in segments] == senses
        assert [round(float(s.get_attribute("data-share") or "nan"), 3) for s in segments] == [
            round(share, 3) for share in group["shares"]
        ]
        bar = row.find_element(By.CSS_SELECTOR, ".stack")
        assert bar.get_attribute("role") == "img"
        assert (bar.get_attribute("aria-label") or "").startswith(f"{group['group']}: sense ")
    legend = page.find_elements(By.CSS_SELECTOR, "#compare-result .compare-legend li")
    assert [li.find_element(By.CLASS_NAME, "sense-name").text for li in legend] == [
        f"Sense {s['sense']}: {s['label']}" for s in expected["senses"]
    ]
    # each sense with its most typical occurrence: the first example of the senses the API gives
    typical = get(api, f"/api/{PERIODS}/senses", word="bank", layer=2, examples=1, dedupe=True)
    assert [s["sense"] for s in typical["senses"]] == senses
    for li, sense in zip(legend, typical["senses"], strict=True):
        (example,) = li.find_elements(By.CLASS_NAME, "sense-example")
        (first,) = sense["examples"]
        assert int(example.get_attribute("data-occurrence") or -1) == first["occurrence"]
        assert example.find_element(By.TAG_NAME, "mark").text == first["token"] == "bank"
        assert example.text == f"e.g. {first['sentence']}"
    assert len({li.find_element(By.CLASS_NAME, "sense-example").text for li in legend}) == 2

    (pair,) = expected["pairs"]
    (line,) = rows(page, "#compare-result .pairs-table")
    for score in ("apd", "prt", "jsd"):
        assert line.find_element(By.CSS_SELECTOR, f"td.{score}").text == f"{pair[score]:.4f}"

    picture = tmp_path / "compare.png"
    assert page.save_screenshot(str(picture))
    viewport = page.execute_script(
        "return [innerWidth * devicePixelRatio, innerHeight * devicePixelRatio]"
    )
    with Image.open(picture) as image:  # the window's viewport: its size less the browser's own
        assert image.format == "PNG"
        assert list(image.size) == [round(v) for v in viewport]
        assert image.width == page.get_window_size()["width"] == 1280
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50  # text, tables and bars: not blank
    assert console_errors(page) == []


def test_changes_ranks_the_api_words_and_a_word_searches(page: Chrome, api: httpx.Client) -> None:
    page.find_element(By.ID, "changes-tab").click()
    choose(page, "changes-by", "period")
    groups = [g["group"] for g in get(api, f"/api/{PERIODS}/groups", by="period")["groups"]]
    assert groups == ["1990s", "2010s"]
    wait(page, lambda d: option_values(d, "changes-from") == groups)
    assert option_values(page, "changes-to") == groups
    choose(page, "changes-from", "1990s")
    choose(page, "changes-to", "2010s")
    assert Select(page.find_element(By.ID, "changes-score")).first_selected_option.text == "PRT"
    box = page.find_element(By.ID, "changes-min")
    assert box.get_attribute("value") == "20"
    box.clear()
    box.send_keys("150")
    page.find_element(By.CSS_SELECTOR, "#changes-form button[type=submit]").click()
    shown = wait(page, lambda d: rows(d, "#changes-result .changes-table"))

    params = {"by": "period", "from": "1990s", "to": "2010s", "min_count": 150, "layer": 2}
    expected = get(api, f"/api/{PERIODS}/changes", **params)
    assert expected[0]["word"] == "bank"
    assert len(shown) == len(expected)
    first = shown[0].find_elements(By.TAG_NAME, "td")
    assert [c.text for c in first] == [
        "1",
        "bank",
        f"{expected[0]['score']:.4f}",
        str(expected[0]["count_from"]),
        str(expected[0]["count_to"]),
    ]
    assert [r.get_attribute("data-word") for r in shown] == [e["word"] for e in expected]

    second = expected[1]["word"]
    shown[1].find_element(By.CSS_SELECTOR, "button.word-link").click()
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#results .hit"))
    assert page.find_element(By.ID, "word").get_attribute("value") == second
    assert page.find_element(By.ID, "results").is_displayed()
    assert console_errors(page) == []


def test_the_filter_keeps_the_hits_to_documents_where_it_holds(
    page: Chrome, api: httpx.Client
) -> None:
    assert page.find_element(By.ID, "where-field").is_displayed()
    hint = page.find_element(By.ID, "where-hint").text
    assert all(name in hint for name in ("genre", "period", "year"))
    page.find_element(By.ID, "where").send_keys(FILTER)
    search(page, "bank")
    hits = wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#results .hit"))

    allowed = get(api, f"/api/{PERIODS}/occurrences", word="bank", where=FILTER, limit=1000)
    assert allowed["count"] == len(allowed["occurrences"]) == 180
    documents = {o["doc_id"] for o in allowed["occurrences"]}
    for hit in hits:
        where = hit.find_element(By.CLASS_NAME, "where").text  # "d012 · sent 3 · #45"
        assert where.split(" · ")[0] in documents, where
    occurrences = {o["occurrence"] for o in allowed["occurrences"]}
    lines = page.find_elements(By.CSS_SELECTOR, "#results .kwic-line")
    assert len(lines) > len(hits)  # the queries too are 1990s occurrences
    assert {int(line.get_attribute("data-occurrence") or -1) for line in lines} <= occurrences
    answer = get(api, f"/api/{PERIODS}/neighbors", word="bank", layer=2, k=10, where=FILTER)
    shown = [int(hit.get_attribute("data-occurrence") or -1) for hit in hits]
    assert shown == [h["occurrence"] for h in answer["hits"]]
    assert parse_qs(urlparse(page.current_url).query)["where"] == [FILTER]

    page.find_element(By.ID, "senses-tab").click()  # the senses of the filtered occurrences
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#senses .sense"))
    senses = get(api, f"/api/{PERIODS}/senses", word="bank", layer=2, where=FILTER)
    summary = page.find_element(By.CSS_SELECTOR, "#senses .summary").text
    assert summary.startswith(f"{senses['occurrences']} occurrences where {FILTER}")
    assert console_errors(page) == []


def test_an_index_without_metadata_has_no_filter_and_says_so(page: Chrome) -> None:
    assert page.find_element(By.ID, "index-field").is_displayed()  # two indexes
    choose(page, "index", PLAIN)
    wait(page, lambda d: not d.find_element(By.ID, "where-field").is_displayed())
    for view in ("compare", "changes"):
        page.find_element(By.ID, f"{view}-tab").click()
        assert "no metadata fields" in page.find_element(By.ID, f"{view}-none").text
        assert not page.find_element(By.ID, f"{view}-form").is_displayed()
    search(page, "bank")
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#results .hit"))
    assert "where" not in parse_qs(urlparse(page.current_url).query)
    assert console_errors(page) == []


def test_compare_names_the_bins_with_no_occurrence(page: Chrome, api: httpx.Client) -> None:
    search(page, "bank")
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#results .hit"))
    page.find_element(By.ID, "compare-tab").click()
    choose(page, "compare-by", "year")
    page.find_element(By.ID, "compare-bins").send_keys(BINS)
    page.find_element(By.CSS_SELECTOR, "#compare-form button[type=submit]").click()
    shown = wait(page, lambda d: rows(d, "#compare-result .compare-table"))

    expected = get(api, f"/api/{PERIODS}/compare", word="bank", by="year", bins=BINS, layer=2)
    assert expected["empty"] == ["2000-2010", "2020-2030"]
    groups = [g["group"] for g in expected["groups"]]
    assert groups == ["1990-2000", "2010-2020"]
    assert [row.get_attribute("data-group") for row in shown] == groups
    (said,) = page.find_elements(By.CSS_SELECTOR, "#compare-result .empty-groups")
    assert said.text == (
        "No occurrence of “bank” in year 2000-2010 or 2020-2030: these groups are left out "
        "of the tables."
    )
    page.find_element(By.ID, "compare-bins").clear()  # bins that every occurrence fills
    page.find_element(By.ID, "compare-bins").send_keys("1990,2000,2020")
    page.find_element(By.CSS_SELECTOR, "#compare-form button[type=submit]").click()
    wait(page, lambda d: len(rows(d, "#compare-result .compare-table")) == 2 and not
         d.find_elements(By.CSS_SELECTOR, "#compare-result .empty-groups"))  # fmt: skip
    assert console_errors(page) == []
