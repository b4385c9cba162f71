"""A real browser: Debian's Chromium driven by Playwright opens a built pair page and the SEO report.

Checks that pages render without console errors and without horizontal scrolling on a phone, and
that the report's sorting, filters and search change the rows shown as they should. Screenshots go
to the test's temporary folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, cli_build

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
PAIR = "compassion-fatigue-and-default-mode-network"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (`make test` installs it)"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("browser")
    out = root / "output"
    # Unlisted pairs published as noindex, so that the report has pages of every status to filter.
    config = root / "site.toml"
    text = (ROOT / "site.toml").read_text(encoding="utf-8")
    config.write_text(text.replace('default_status = "review"', 'default_status = "noindex"'), encoding="utf-8")
    assert cli_build(FIXTURES / "small", out, config=config) == 0
    return out, root / "reports"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Tab:
    """A page in its own context, recording console errors and uncaught exceptions."""

    def __init__(self, browser, path: Path, viewport: dict):
        self.errors: list[str] = []
        self.context = browser.new_context(viewport=viewport)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_load_state("load")

    def overflow(self) -> int:
        """How far the page scrolls sideways (0 when it fits the viewport)."""
        return self.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")

    def close(self):
        self.context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_pair_page_renders_cleanly(built, browser, viewport, tmp_path):
    out, _ = built
    tab = Tab(browser, out / PAIR / "index.html", viewport)
    try:
        assert tab.page.locator("h1").count() == 1
        assert tab.page.locator("h1").is_visible()
        assert tab.overflow() == 0
        tab.page.screenshot(path=str(tmp_path / f"pair-{viewport['width']}.png"), full_page=True)
        assert tab.errors == []
    finally:
        tab.close()


def test_a_draft_in_the_preview_shows_its_banner(built, browser, tmp_path):
    out, _ = built
    tab = Tab(browser, out.parent / "preview" / "mindfulness-and-post-traumatic-stress-disorder" / "index.html", PHONE)
    try:
        banner = tab.page.locator(".draft-banner")
        assert banner.is_visible() and banner.inner_text().startswith("Draft — not published.")
        assert tab.overflow() == 0
        tab.page.screenshot(path=str(tmp_path / "draft-375.png"), full_page=False)
        assert tab.errors == []
    finally:
        tab.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_report_renders_cleanly(built, browser, viewport, tmp_path):
    _, reports = built
    tab = Tab(browser, reports / "seo-review.html", viewport)
    try:
        rows = tab.page.locator("#rows tr")
        assert rows.count() > 0
        assert tab.overflow() == 0
        tab.page.screenshot(path=str(tmp_path / f"report-{viewport['width']}.png"), full_page=True)
        assert tab.errors == []
    finally:
        tab.close()


def _column(page, n: int) -> list[str]:
    return page.locator(f"#rows tr td:nth-child({n})").all_inner_texts()


def _count(page) -> int:
    return int(page.locator("#count").inner_text().split(" of ")[0].replace(",", ""))


def test_report_sorts_filters_and_searches(built, browser, tmp_path):
    _, reports = built
    tab = Tab(browser, reports / "seo-review.html", DESKTOP)
    page = tab.page
    try:
        total = _count(page)
        assert total == page.locator("#rows tr").count() > 10

        # Sorting: the Words header sorts by words, largest first; a second click reverses.
        page.click("th[data-key=words] button")
        words = [int(w.replace(",", "")) for w in _column(page, 3)]
        assert words == sorted(words, reverse=True) and words[0] > words[-1]
        assert page.get_attribute("th[data-key=words]", "aria-sort") == "descending"
        page.click("th[data-key=words] button")
        assert [int(w.replace(",", "")) for w in _column(page, 3)] == sorted(words)
        page.click("th[data-key=page] button")
        urls = page.locator("#rows .url").all_inner_texts()
        assert urls == sorted(urls)

        # Status filter: only noindex pages remain, and fewer than before.
        page.select_option("#f-status", "noindex")
        statuses = _column(page, 2)
        assert statuses and set(statuses) == {"noindex"} and len(statuses) < total
        assert _count(page) == len(statuses)
        page.select_option("#f-status", "")

        # Finding filter: every row shown has that finding.
        value = page.eval_on_selector("#f-finding", "s => [...s.options].find(o => o.value.startsWith('check:')).value")
        label = page.eval_on_selector("#f-finding", f"s => s.querySelector('option[value=\"{value}\"]').textContent")
        check = label.split(" (")[0]
        page.select_option("#f-finding", value)
        shown = page.locator("#rows tr")
        assert 0 < shown.count() < total
        for i in range(shown.count()):
            assert check in shown.nth(i).locator(".badge").all_inner_texts()
        assert _count(page) == int(label.split("(")[1].rstrip(")").replace(",", ""))
        page.select_option("#f-finding", "")

        # Search: only pages whose URL, title or similar page mentions the text.
        page.fill("#q", "default mode")
        page.wait_for_function(f"document.querySelector('#count').textContent.split(' of ')[0] !== '{total}'")
        hits = page.locator("#rows tr")
        assert 0 < hits.count() < total
        for i in range(hits.count()):
            assert "default mode" in hits.nth(i).inner_text().lower() or "default-mode" in hits.nth(i).inner_text()
        page.fill("#q", "no page is called this")
        page.wait_for_function("document.querySelector('#count').textContent.startsWith('0 of')")
        assert "No page matches" in page.locator("#rows").inner_text()
        page.screenshot(path=str(tmp_path / "report-filtered.png"), full_page=False)

        # Reset brings every page back; a bar in the findings chart filters by its check.
        page.click("#reset")
        assert _count(page) == total
        bar = page.locator(".fbars .fname").first
        bar_check = bar.get_attribute("data-finding")
        bar.click()
        assert page.eval_on_selector("#f-finding", "s => s.selectedOptions[0].textContent").startswith(bar_check)
        assert 0 < _count(page) < total
        assert tab.errors == []
    finally:
        tab.close()


def test_report_links_open_the_built_pages(built, browser):
    _, reports = built
    tab = Tab(browser, reports / "seo-review.html", DESKTOP)
    try:
        href = tab.page.locator("#rows a.page-title").first.get_attribute("href")
        target = (reports / href).resolve()
        assert target.is_file() and target.name == "index.html" or target.suffix == ".html"
        tab.page.locator("#rows a.page-title").first.click()
        tab.page.wait_for_load_state("load")
        assert tab.page.locator("h1").count() == 1
        assert tab.errors == []
    finally:
        tab.close()
