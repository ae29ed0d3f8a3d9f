"""The pages of `outreach serve` in a real browser: Debian's Chromium, headless, driven through
chromedriver. The report of a simulated campaign opens under its strict Content-Security-Policy
with its stylesheet applied and nothing refused; its charts' bars and its tables carry the
figures `outreach status` gives; search and paging work without a script; a screenshot is kept
(OUTREACH_ARTIFACTS); and the unsubscribe page's one button records the suppression."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections import defaultdict
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from serve_support import NAME, Server, address, cli, links, path_of, simulate, suppressed, write_campaign  # noqa: E402

selenium = pytest.importorskip("selenium")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

LEADS = 120
ARTIFACTS = Path(os.environ.get("OUTREACH_ARTIFACTS", "test-artifacts"))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A store with a simulated campaign that had replies, bounces and an unsubscribe, served."""
    directory = tmp_path_factory.mktemp("browser")
    campaign = write_campaign(directory, LEADS, steps=3)
    inbound = directory / "inbound.jsonl"
    lines = [{"at": "2026-12-01T12:00:00Z", "lead": address(n), "type": "reply", "campaign": NAME} for n in range(0, 30, 3)]
    lines += [{"at": "2026-12-02T12:00:00Z", "lead": address(n), "type": "bounce", "campaign": NAME} for n in (1, 4)]
    lines += [{"at": "2026-12-02T13:00:00Z", "lead": address(7), "type": "unsubscribe", "campaign": NAME}]
    inbound.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    store = directory / "state.db"
    outbox = directory / "outbox"
    result = cli("simulate", campaign, "--store", store, "--outbox", outbox, "--inbound", inbound, "--days", 6)
    assert result.returncode == 0, result.stderr
    with Server(store) as server:
        yield store, links(outbox), server


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.fail("chromium and chromedriver are needed (cmake/install-deps.sh installs them)")
    options = Options()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1200,2400", f"--user-data-dir={tmp_path_factory.mktemp('profile')}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def answered(browser):
    """The answer page's message, once the browser has loaded it after the button."""
    return WebDriverWait(browser, 20).until(expected_conditions.presence_of_element_located((By.ID, "done")))


def number(element, attribute: str) -> int:
    return int(element.get_attribute(attribute))


def test_the_report_shows_what_the_store_says_and_keeps_its_policy(site, browser):
    store, _, server = site
    summary = json.loads(cli("status", "--store", store, "--json").stdout)["campaigns"][0]
    browser.get(f"http://127.0.0.1:{server.port}/campaigns/{NAME}")
    assert browser.title == f"Campaign {NAME}"

    # The stylesheet is applied (allowed by its hash), and the browser refused nothing.
    body = browser.find_element(By.TAG_NAME, "body")
    assert body.value_of_css_property("max-width") == "1040px"
    refused = [entry for entry in browser.get_log("browser") if "Content Security Policy" in entry["message"]]
    assert refused == []

    # Sends per day: one bar a day, a segment a mailbox, each drawn to the same scale.
    expected = defaultdict(dict)
    for day in summary["days"]:
        expected[day["date"]][day["mailbox"]] = day["sent"]
    bars = browser.find_elements(By.CSS_SELECTOR, "#sends-per-day g.day")
    assert [bar.get_attribute("data-date") for bar in bars] == sorted(expected)
    drawn = []  # (height, sends) of every segment
    for bar in bars:
        date = bar.get_attribute("data-date")
        assert number(bar, "data-sent") == sum(expected[date].values())
        segments = {rect.get_attribute("data-mailbox"): rect for rect in bar.find_elements(By.TAG_NAME, "rect")}
        assert {m: number(r, "data-sent") for m, r in segments.items()} == expected[date]
        for rect in segments.values():
            assert rect.size["height"] > 0
            drawn.append((float(rect.get_attribute("height")), number(rect, "data-sent")))
    scale = sum(height for height, _ in drawn) / sum(sends for _, sends in drawn)
    assert all(abs(height - sends * scale) < 0.2 for height, sends in drawn)  # heights are written to 0.1

    # The funnel, per step and variant.
    rows = browser.find_elements(By.CSS_SELECTOR, "#funnel tbody tr")
    shown = [(number(r, "data-step"), r.get_attribute("data-variant"), number(r, "data-sent"), number(r, "data-replied"))
             for r in rows]
    assert shown == [(step["step"], v["name"], v["sent"], v["replied"]) for step in summary["steps"] for v in step["variants"]]
    assert sum(v["replied"] for step in summary["steps"] for v in step["variants"]) == 10

    # Lead statuses, and the figures at the top.
    statuses = {g.get_attribute("data-status"): number(g, "data-count")
                for g in browser.find_elements(By.CSS_SELECTOR, "#lead-statuses g.status")}
    assert statuses == summary["leads"]
    sent = sum(v["sent"] for step in summary["steps"] for v in step["variants"])
    tile = browser.find_element(By.CSS_SELECTOR, '[data-figure="sent"] b')
    assert tile.text == str(sent)
    assert browser.find_element(By.CSS_SELECTOR, "#status").text == summary["status"]

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(1200, 2400)
    assert browser.save_screenshot(str(ARTIFACTS / "report.png"))
    print(f"screenshot: {ARTIFACTS / 'report.png'}")


def test_the_leads_are_searched_and_paged_without_a_script(site, browser):
    _, _, server = site
    browser.get(f"http://127.0.0.1:{server.port}/campaigns/{NAME}")
    count = browser.find_element(By.ID, "lead-count")
    assert number(count, "data-count") == LEADS
    assert len(browser.find_elements(By.CSS_SELECTOR, "#leads tbody tr")) == 50
    browser.find_element(By.CSS_SELECTOR, "a[rel=next]").click()
    WebDriverWait(browser, 20).until(lambda b: "page=2" in b.current_url)
    assert "page 2 of 3" in browser.find_element(By.CSS_SELECTOR, "nav.pages").text
    first = browser.find_element(By.CSS_SELECTOR, "#leads tbody tr td").text
    assert first == address(50)

    box = browser.find_element(By.CSS_SELECTOR, "input[type=search]")
    box.clear()
    box.send_keys("replied")
    box.submit()
    WebDriverWait(browser, 20).until(lambda b: "q=replied" in b.current_url)
    rows = browser.find_elements(By.CSS_SELECTOR, "#leads tbody tr")
    assert number(browser.find_element(By.ID, "lead-count"), "data-count") == len(rows) == 10
    assert all(row.find_elements(By.TAG_NAME, "td")[1].text == "replied" for row in rows)

    browser.get(f"http://127.0.0.1:{server.port}/")
    link = browser.find_element(By.CSS_SELECTOR, f'#campaigns tr[data-campaign="{NAME}"] a')
    link.click()
    WebDriverWait(browser, 20).until(lambda b: b.title == f"Campaign {NAME}")


def test_the_unsubscribe_page_changes_nothing_until_its_button_is_pressed(site, browser):
    store, found, server = site
    url = f"http://127.0.0.1:{server.port}{path_of(found[address(100)])}"
    browser.get(url)
    assert address(100) not in suppressed(store)
    browser.find_element(By.ID, "unsubscribe").click()
    assert answered(browser).text.startswith("This address gets no more mail")
    assert address(100) in suppressed(store)
    # Opened and pressed again: harmless, and still answered.
    browser.get(url)
    browser.find_element(By.ID, "unsubscribe").click()
    assert answered(browser).text.startswith("This address gets no more mail")
    assert suppressed(store).count(address(100)) == 1
    refused = [entry for entry in browser.get_log("browser") if "Content Security Policy" in entry["message"]]
    assert refused == []
