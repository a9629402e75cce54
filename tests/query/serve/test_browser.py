"""The web page of ``query serve`` in a real browser: headless Chromium, driven by Selenium, on
the real server (a subprocess) over a small index of the demo model.

Each check compares what the page shows with the API's own answer, fetched from the same
server. Debian's ``chromium`` and ``chromium-driver`` are used as installed (no browser is
downloaded: Selenium Manager never runs); without them the tests skip, saying so.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import numpy as np
import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver as Chrome
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from indexer.builder.pipeline import build
from tests.query.serve.conftest import start, stop
from tools.sample_corpus import generate

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
)
WAIT_S = 15


# ---- Fixtures: the browser, the index, the server ----------------------------------------


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chrome]:
    """Headless Chromium (skips when Debian's chromium or chromium-driver is missing)."""
    if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
        pytest.skip(
            f"{CHROMIUM} or {CHROMEDRIVER} is missing: chromium and chromium-driver (Debian "
            "packages) are needed: apt-get install chromium chromium-driver"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "1")  # belt and braces: Selenium Manager stays offline
        browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of 300 seeded sample sentences, built with the bundled demo model; those of
    "bank" come three times over, as a corpus's boilerplate would."""
    root = tmp_path_factory.mktemp("browser-index")
    sentences = [sentence.text for sentence in generate(300, 5)]
    repeated = [text for text in sentences if "bank" in text.split(" ")]
    corpus = root / "corpus.txt"
    corpus.write_text("".join(f"{t}\n" for t in [*sentences, *repeated, *repeated]), "utf-8")
    build(corpus, model="demo", out=str(root / "index"), progress=False)
    return root / "index"


@pytest.fixture(scope="module")
def server(index_dir: Path) -> Iterator[str]:
    """``query serve`` on a free port, as a subprocess; its base URL, once /healthz answers."""
    running = start({index_dir.name: index_dir})
    yield f"{running.url}/"
    stop(running)


@pytest.fixture(scope="module")
def api(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def index_name(api: httpx.Client) -> str:
    answer = api.get("/api/indexes").json()
    assert len(answer["indexes"]) == 1
    return str(answer["indexes"][0]["name"])


@pytest.fixture
def page(driver: Chrome, server: str) -> Chrome:
    """The page, freshly loaded, once it has read the index list (the layer options)."""
    driver.get(server)
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#layer option"))
    return driver


# ---- Helpers -----------------------------------------------------------------------------


def wait(driver: WebDriver, condition: Any) -> Any:
    return WebDriverWait(driver, WAIT_S).until(condition)


def get(api: httpx.Client, path: str, **params: Any) -> Any:
    answer = api.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def search(page: WebDriver, word: str) -> None:
    box = page.find_element(By.ID, "word")
    box.clear()
    box.send_keys(word)
    page.find_element(By.CSS_SELECTOR, "#search-form button[type=submit]").click()


def query_group(page: WebDriver, occurrence: object) -> list[WebElement]:
    """The hits shown once the page shows the search from ``occurrence`` (or "sentence")."""
    selector = f'.query-group[data-occurrence="{occurrence}"]'
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, f"{selector} .hit"))
    return page.find_elements(By.CSS_SELECTOR, "#results .hit")


def assert_hits_shown(hits: list[WebElement], answer: dict[str, Any]) -> None:
    """The page's hit lines are the API's hits: same occurrences in the same order, the word
    highlighted, distances to 4 decimals, ids and duplicates shown."""
    expected = answer["hits"]
    assert expected
    shown = [int(hit.get_attribute("data-occurrence") or -1) for hit in hits]
    assert shown == [h["occurrence"] for h in expected]
    for line, hit in zip(hits, expected, strict=True):
        assert line.find_element(By.TAG_NAME, "mark").text == hit["token"]
        distance = float(line.find_element(By.CLASS_NAME, "distance").text)
        assert distance == pytest.approx(hit["distance"], abs=5.1e-5)
        where = line.find_element(By.CLASS_NAME, "where").text
        assert where == f"{hit['doc_id']} · sent {hit['sent_id']} · #{hit['occurrence']}"
        dupes = line.find_elements(By.CLASS_NAME, "dupes")
        assert [d.text for d in dupes] == (
            [f"(+{hit['duplicates']} identical)"] if hit["duplicates"] else []
        )


def console_errors(driver: Chrome) -> list[Any]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


# ---- Tests -------------------------------------------------------------------------------


def test_the_page_loads_nothing_from_elsewhere(page: Chrome, server: str) -> None:
    origin = urlparse(server).netloc
    tags = page.find_elements(By.CSS_SELECTOR, "script[src], link[href]")
    assert len(tags) >= 2
    for tag in tags:
        url = tag.get_attribute("src") or tag.get_attribute("href") or ""
        assert urlparse(url).netloc == origin, url
    loaded = page.execute_script(
        "return performance.getEntriesByType('resource').map((e) => e.name)"
    )
    assert loaded, "the page fetched nothing"
    assert all(urlparse(url).netloc == origin for url in loaded), loaded
    assert page.find_element(By.ID, "index-field").is_displayed() is False  # one index
    for field in page.find_elements(By.CSS_SELECTOR, "input, select"):
        labelled = field.get_attribute("aria-label")
        ids = field.get_attribute("id")
        assert labelled or page.find_elements(By.CSS_SELECTOR, f'label[for="{ids}"]'), ids
    assert page.find_element(By.ID, "results").get_attribute("aria-live") == "polite"
    assert console_errors(page) == []


def test_a_word_shows_the_api_neighbours_and_a_hit_searches_from_itself(
    page: Chrome, api: httpx.Client, index_name: str
) -> None:
    search(page, "bank")
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#results .hit"))
    hits = page.find_elements(By.CSS_SELECTOR, "#results .hit")
    params = {"word": "bank", "layer": 2, "scope": "same-word", "k": 10}
    answer = get(api, f"/api/{index_name}/neighbors", **params)
    assert_hits_shown(hits, answer)
    groups = page.find_elements(By.CSS_SELECTOR, ".query-group")
    assert [int(g.get_attribute("data-occurrence") or -1) for g in groups] == [
        q["occurrence"] for q in answer["queries"]
    ]

    chosen = answer["hits"][3]["occurrence"]
    hits[3].find_element(By.CSS_SELECTOR, "button.kwic").click()
    hits = query_group(page, chosen)
    from_hit = get(api, f"/api/{index_name}/neighbors", occurrence=chosen, layer=2, k=10)
    assert [q["occurrence"] for q in from_hit["queries"]] == [chosen]
    assert_hits_shown(hits, from_hit)
    assert parse_qs(urlparse(page.current_url).query)["occurrence"] == [str(chosen)]
    assert console_errors(page) == []


def test_an_unknown_word_offers_the_closest_words(
    page: WebDriver, api: httpx.Client, index_name: str
) -> None:
    search(page, "bnak")
    links = wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#suggestions a"))
    expected = get(api, f"/api/{index_name}/suggest", word="bnak")["suggestions"]
    assert "bank" in expected
    assert [link.text for link in links] == expected
    assert page.find_elements(By.CSS_SELECTOR, "#results .hit") == []

    next(link for link in links if link.text == "bank").click()
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#results .hit"))
    assert page.find_element(By.ID, "word").get_attribute("value") == "bank"
    assert page.find_element(By.ID, "suggestions").text == ""


def test_your_own_sentence_is_a_query(page: WebDriver, api: httpx.Client, index_name: str) -> None:
    sentence = "they sat on the [[bank]] of the river ."
    page.find_element(By.ID, "context").send_keys(sentence)
    page.find_element(By.CSS_SELECTOR, "#context-form button[type=submit]").click()
    hits = query_group(page, "sentence")
    answer = get(api, f"/api/{index_name}/neighbors", context=sentence, layer=2, k=10)
    assert answer["queries"][0]["occurrence"] is None
    assert_hits_shown(hits, answer)
    query = page.find_element(By.CSS_SELECTOR, ".query-group .kwic-line.query")
    assert query.find_element(By.TAG_NAME, "mark").text == "bank"


def test_the_senses_view_lists_the_senses_and_draws_the_map(
    page: WebDriver, api: httpx.Client, index_name: str, tmp_path: Path
) -> None:
    search(page, "bank")
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#results .hit"))
    page.find_element(By.ID, "senses-tab").click()
    points = wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#sense-map circle.point"))
    senses = get(api, f"/api/{index_name}/senses", word="bank", layer=2)
    drawn = get(api, f"/api/{index_name}/senses/map", word="bank", layer=2)
    shown = page.find_elements(By.CSS_SELECTOR, "#senses .sense")
    assert [s.get_attribute("data-sense") for s in shown] == [
        str(s["sense"]) for s in senses["senses"]
    ]
    assert len(points) == len(drawn["points"]) == drawn["drawn"]
    by_id = {p["occurrence"]: p for p in drawn["points"]}
    assert {int(p.get_attribute("data-occurrence") or -1) for p in points} == set(by_id)
    for point in points:
        expected = by_id[int(point.get_attribute("data-occurrence") or -1)]
        assert point.get_attribute("data-sense") == str(expected["sense"])

    top = points[-1]  # drawn last, so nothing covers it
    ActionChains(page).move_to_element(top).perform()
    tip = wait(page, lambda d: d.find_element(By.ID, "map-tip").is_displayed())
    assert tip
    point = by_id[int(top.get_attribute("data-occurrence") or -1)]
    text = page.find_element(By.CSS_SELECTOR, "#map-tip .tip-sentence").text
    assert text == point["sentence"]

    picture = tmp_path / "page.png"
    assert page.save_screenshot(str(picture))
    with Image.open(picture) as image:
        assert image.format == "PNG"
        assert image.width >= 800 and image.height >= 600
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 100  # text, marks, bars and points: not blank

    top.click()
    hits = query_group(page, point["occurrence"])
    answer = get(api, f"/api/{index_name}/neighbors", occurrence=point["occurrence"], k=10)
    assert_hits_shown(hits, answer)


def test_ticked_lines_get_a_distance_table_per_layer(
    page: WebDriver, api: httpx.Client, index_name: str
) -> None:
    search(page, "bank")
    hits = wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#results .hit"))[:3]
    ids = [int(hit.get_attribute("data-occurrence") or -1) for hit in hits]
    for hit in hits:
        hit.find_element(By.CLASS_NAME, "pick").click()
    page.find_element(By.ID, "distances-tab").click()
    tables = wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#distances table.matrix"))
    answer = api.post(f"/api/{index_name}/distances", json={"items": ids, "layers": [0, 1, 2]})
    expected = answer.json()
    assert [t.get_attribute("data-layer") for t in tables] == ["0", "1", "2"]
    for table, layer in zip(tables, expected["layers"], strict=True):
        cells = [
            [float(cell.text) for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")
        ]
        assert cells == [
            [pytest.approx(d, abs=5.1e-5) for d in row] for row in expected["matrices"][str(layer)]
        ]


def test_an_api_error_is_shown_in_the_status_line(
    page: WebDriver, api: httpx.Client, index_name: str
) -> None:
    box = page.find_element(By.ID, "k")
    box.clear()
    box.send_keys("0")
    search(page, "bank")
    answer = api.get(f"/api/{index_name}/neighbors", params={"word": "bank", "k": 0})
    assert answer.status_code == 400
    message = answer.json()["error"]["message"]
    wait(page, lambda d: d.find_element(By.ID, "status").text == message)
    assert "error" in (page.find_element(By.ID, "status").get_attribute("class") or "")


# ---- Layout: the fold, distinct examples, the map's scale --------------------------------


@pytest.fixture
def laptop(page: Chrome) -> Iterator[Chrome]:
    """The page in a viewport of exactly 1280 x 800 CSS pixels (a laptop's screen)."""
    metrics = {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False}
    page.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        yield page
    finally:
        page.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def top_of(page: WebDriver, selector: str) -> tuple[float, float]:
    """The top and bottom of the first element matching ``selector``, in the viewport."""
    box = page.execute_script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return [r.top, r.bottom];",
        selector,
    )
    return float(box[0]), float(box[1])


def test_the_results_start_above_the_fold_at_1280_by_800(laptop: Chrome, tmp_path: Path) -> None:
    assert laptop.execute_script("return [innerWidth, innerHeight, scrollY]") == [1280, 800, 0]
    search(laptop, "bank")
    wait(laptop, lambda d: d.find_elements(By.CSS_SELECTOR, "#results .hit"))
    picture = tmp_path / "fold.png"
    assert laptop.save_screenshot(str(picture))
    with Image.open(picture) as image:
        assert image.size == (1280, 800)
    top, bottom = top_of(laptop, "#results .hit")
    assert 0 < top < bottom <= 800  # the first hit whole, without scrolling
    assert top_of(laptop, "#results h2")[0] < 500
    laptop.find_element(By.ID, "senses-tab").click()
    wait(laptop, lambda d: d.find_elements(By.CSS_SELECTOR, "#senses .sense .example"))
    top, _ = top_of(laptop, "#senses .sense .example")
    assert 0 < top < 800
    assert laptop.execute_script("return scrollY") == 0


def test_the_senses_show_distinct_examples_and_the_map_its_scale(
    page: WebDriver, api: httpx.Client, index_name: str
) -> None:
    search(page, "bank")
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#results .hit"))
    page.find_element(By.ID, "senses-tab").click()
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#sense-map circle.point"))
    plain = get(api, f"/api/{index_name}/senses", word="bank", layer=2, dedupe=False)
    repeated = [s for s in plain["senses"] if len({e["sentence"] for e in s["examples"]}) < 5]
    assert repeated, "the index repeats no sentence among the typical ones: nothing is checked"
    deduped = get(api, f"/api/{index_name}/senses", word="bank", layer=2)  # the default
    assert deduped == get(api, f"/api/{index_name}/senses", word="bank", layer=2, dedupe=True)
    for shown, sense in zip(page.find_elements(By.CSS_SELECTOR, "#senses .sense"),
                            deduped["senses"], strict=True):  # fmt: skip
        lines = shown.find_elements(By.CSS_SELECTOR, ".example")
        ids = [int(line.get_attribute("data-occurrence") or -1) for line in lines]
        assert ids == [e["occurrence"] for e in sense["examples"]]
        sentences = [e["sentence"] for e in sense["examples"]]
        assert len(set(sentences)) == len(sentences) == len(lines)
        copies = [line.find_elements(By.CLASS_NAME, "dupes") for line in lines]
        assert [c[0].text if c else "" for c in copies] == [
            f"(+{e['duplicates']} identical)" if e["duplicates"] else "" for e in sense["examples"]
        ]

    drawn = get(api, f"/api/{index_name}/senses/map", word="bank", layer=2, max_points=1000)
    for axis, key, place in (("x", "x", "x1"), ("y", "y", "y1")):
        ticks = page.find_elements(By.CSS_SELECTOR, f"#sense-map .tick-{axis}")
        assert len(ticks) >= 3
        values = [float(t.get_attribute("data-value") or "nan") for t in ticks]
        coords = [p[key] for p in drawn["points"]]
        assert min(coords) - 1e-9 <= values[0] < values[-1] <= max(coords) + 1e-9
        steps = np.diff(values)
        assert np.allclose(steps, steps[0])  # evenly spaced round values
        labels = [t.find_element(By.TAG_NAME, "text").text.replace("\u2212", "-") for t in ticks]
        assert [float(label) for label in labels] == pytest.approx(values, abs=1e-9)
        where = [float(t.find_element(By.TAG_NAME, "line").get_attribute(place) or "nan")
                 for t in ticks]  # fmt: skip
        assert where == sorted(where, reverse=axis == "y")  # y grows upwards
    caption = page.find_element(By.CSS_SELECTOR, "#sense-map figcaption").text
    assert "the ticks: coordinates along each" in caption

    # each sense's centre: the mean of its points (the scale is linear: the mean of the circles)
    centres = page.find_elements(By.CSS_SELECTOR, "#sense-map g.centre")
    drawn_senses = sorted({p["sense"] for p in drawn["points"]})
    assert [int(c.get_attribute("data-sense") or -1) for c in centres] == drawn_senses
    for centre in centres:
        sense = centre.get_attribute("data-sense")
        circles = page.find_elements(By.CSS_SELECTOR, f'#sense-map circle[data-sense="{sense}"]')
        for axis in ("x", "y"):
            mean = np.mean([float(c.get_attribute(f"c{axis}") or "nan") for c in circles])
            assert float(centre.get_attribute(f"data-{axis}") or "nan") == pytest.approx(
                mean, abs=0.1
            )
