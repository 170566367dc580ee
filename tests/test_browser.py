"""The report in a real headless Chromium: hostile post text stays text, nothing runs, nothing
leaves the page, and the demo report is saved as a screenshot to look at."""

import os
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from monitor.config import Config
from monitor.demo import run_demo
from monitor.pipeline import import_files
from monitor.report import write_report
from tests.conftest import REPO, VADER, post

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

HOSTILE_NEGATIVE = [
    "<script>alert(1)</script> this is a terrible disaster",
    "<img src=x onerror=alert(1)> awful and sad",
    "Worst idea ever, click here",
]
HOSTILE_POSITIVE = [
    "מצוין! Great news for peace, the talks went really well today",  # right-to-left text
    "Great " + "a" * 400 + " love it",  # a very long word
    "😀 love it, wonderful 🎉🇺🇦",
]


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is absent: 'make test' installs Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


def open_page(browser, path: Path):
    """Open a report, recording dialogs, console errors, page errors and every request."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    seen = {"dialogs": [], "errors": [], "requests": []}
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    return page, seen


def test_hostile_text_is_shown_as_written_and_nothing_runs(browser, store, write_jsonl, tmp_path):
    records = [
        post(
            f"n{i}",
            "2025-11-20T10:00:00Z",
            text,
            tags=["witkoffukraine"],
            url="javascript:alert(1)" if i == 2 else f"https://example.org/n{i}",
        )
        for i, text in enumerate(HOSTILE_NEGATIVE)
    ] + [
        post(
            f"p{i}",
            "2025-11-20T11:00:00Z",
            text,
            tags=["witkoffukraine"],
            platform="bluesky",
            url=f"https://example.org/p{i}?a=1&b=<x>",
            author="‏مستخدم",
        )
        for i, text in enumerate(HOSTILE_POSITIVE)
    ]
    import_files(store, [write_jsonl(records)], VADER)
    config = replace(Config(), tags=("witkoffukraine",), reports_dir=tmp_path / "reports")
    index = write_report(store, config, date(2025, 11, 20), days=7)

    page, seen = open_page(browser, index)
    assert seen["dialogs"] == [] and seen["errors"] == []
    assert all(url.startswith("file://") for url in seen["requests"]), seen["requests"]
    assert page.evaluate("document.scripts.length") == 0
    images = page.eval_on_selector_all("img", "els => els.map(e => e.getAttribute('src'))")
    assert all(src.endswith(".png") and "/" not in src for src in images)
    assert page.eval_on_selector_all("img", "els => els.every(e => e.naturalWidth > 0)")

    shown = page.eval_on_selector_all(".posts p", "els => els.map(e => e.textContent)")
    for text in HOSTILE_NEGATIVE + HOSTILE_POSITIVE:
        assert text in shown
    links = page.eval_on_selector_all(
        ".posts a", "els => els.map(e => [e.getAttribute('href'), e.getAttribute('rel')])"
    )
    assert links and all(rel == "noopener noreferrer" for _, rel in links)
    assert all(href.startswith("https://example.org/") for href, _ in links)
    assert ["https://example.org/p0?a=1&b=<x>", "noopener noreferrer"] in links
    assert page.eval_on_selector_all("a[href^='javascript' i]", "els => els.length") == 0
    # The long word wraps inside its box instead of widening the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1200


def test_demo_report_in_chromium_with_a_full_page_screenshot(browser, tmp_path):
    index = run_demo(Config(), tmp_path / "data", tmp_path / "reports" / "demo")
    page, seen = open_page(browser, index)
    assert seen["dialogs"] == [] and seen["errors"] == []
    assert all(url.startswith("file://") for url in seen["requests"])
    assert page.locator(".banner").inner_text().startswith("Synthetic demo data")
    assert page.locator("h1").inner_text().startswith("Sentiment report for")
    assert page.locator(".card").count() == 2
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo-report.png"), full_page=True)
    assert (ARTIFACTS / "demo-report.png").stat().st_size > 100_000
