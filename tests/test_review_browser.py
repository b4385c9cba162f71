"""The review app in a real browser (Debian's Chromium driven by Playwright), served by uvicorn.

An editor opens the queue, opens the first pair with the keyboard, writes text and sees the
preview follow, approves with `a`, and finds pairs.csv changed by exactly that row and the rebuilt
page indexable; an edit of the same row made outside the app then gets a 409 with both versions.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

from pipeline.config import load_config
from pipeline.review import publish
from pipeline.review.app import create_app
from pipeline.site.build import load_inputs

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
URL = "mindfulness-and-post-traumatic-stress-disorder/"
SOURCE = "https://www.nimh.nih.gov/health/topics/post-traumatic-stress-disorder-ptsd"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (`make test` installs it)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    """The app on a free port of 127.0.0.1, over a copy of the small fixture, in a thread."""
    import uvicorn

    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "small", data)
    cfg = load_config(ROOT / "site.toml")
    out, reports = tmp_path / "output", tmp_path / "reports"
    publish.rebuild(load_inputs(data, ROOT / "templates", cfg), out, reports)
    port = _free_port()
    app = create_app(data, ROOT / "templates", cfg, out, reports)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", data, out
    server.should_exit = True
    thread.join(5)


def test_an_editor_approves_with_the_keyboard(served):
    from playwright.sync_api import expect, sync_playwright

    base, data, out = served
    before = (data / "pairs.csv").read_bytes().split(b"\n")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/")
        expect(page.locator("table.rows tbody tr").first).to_have_class("current")
        page.keyboard.press("j")
        page.keyboard.press("k")
        page.keyboard.press("e")  # open the focused (first) pair
        page.wait_for_url(f"{base}/pairs/mindfulness/post-traumatic-stress-disorder")
        frame = page.frame_locator("iframe#preview")
        expect(frame.locator("h1")).to_contain_text("Mindfulness and Post-Traumatic Stress Disorder")
        page.keyboard.press("e")  # to the text
        page.keyboard.type("Mindfulness-based programmes are studied as one support for people with PTSD.")
        expect(frame.locator("body")).to_contain_text("studied as one support", timeout=5000)
        expect(page.locator("#diff-draft ins").first).to_be_visible()
        page.fill("#sources", SOURCE)  # a page about a condition is approved with a source
        page.keyboard.press("Escape")
        page.keyboard.press("a")  # no reviewer yet: the field asks for one, the preview shows approval
        expect(page.locator("#reviewed_by")).to_be_focused()
        page.keyboard.type("Ana Ruiz")
        expect(page.locator("#preview-state")).to_have_attribute("data-status", "approved", timeout=5000)
        page.keyboard.press("Enter")
        page.wait_for_url("**saved=1")
        expect(page.locator(".saved")).to_contain_text("published and indexable")

        after = (data / "pairs.csv").read_bytes().split(b"\n")
        assert after[0] == before[0] + b",input_hash", "only the review's input hash is added: notes stayed empty"
        assert [k for k, (x, y) in enumerate(zip(before, after)) if x != y] == [0, 4] and len(after) == len(before)
        assert after[4].startswith(b"mindfulness,post-traumatic-stress-disorder,approved,Mindfulness-based")
        assert b",Ana Ruiz," in after[4]

        page.goto(f"{base}/site/{URL}")
        assert page.locator('meta[name="robots"]').count() == 0, "the rebuilt page is indexable"
        assert "studied as one support" in (out / URL / "index.html").read_text(encoding="utf-8")

        # Someone edits the same row in a spreadsheet while the form is open: 409, both versions.
        page.goto(f"{base}/pairs/mindfulness/post-traumatic-stress-disorder")
        path = data / "pairs.csv"
        theirs = path.read_bytes().replace(b",Ana Ruiz,", b",Ben Ode,")
        path.write_bytes(theirs)
        page.keyboard.press("n")
        expect(page.locator("h1")).to_contain_text("changed in data/pairs.csv")
        expect(page.locator("tr.differs").filter(has_text="reviewed_by")).to_contain_text("Ben Ode")
        assert path.read_bytes() == theirs

        # Bulk from the queue: select a pair with x and set noindex with n, one write.
        page.goto(base + "/?q=awe")
        page.keyboard.press("x")
        expect(page.locator("[data-selected]")).to_have_text("1")
        first = page.locator("table.rows tbody tr").first.get_attribute("data-href").split("?")[0]
        page.keyboard.press("n")
        expect(page.locator(".saved")).to_contain_text("1 pair(s) set to noindex")
        a, b = first.removeprefix("/pairs/").split("/")
        assert f"{a},{b},noindex".encode() in path.read_bytes() or f"{b},{a},noindex".encode() in path.read_bytes()
        assert errors == []
        browser.close()
