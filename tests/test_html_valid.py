"""The built pages are valid HTML: the Nu HTML checker (vnu.jar, as `make validate` runs it) finds no error
and no warning (nor info) in the small site's public tree, its preview, the people pages, the review report
and the editors' review app's queue and pair page.

Slow (a Java start and a build); skipped, saying why, where Java or vnu.jar is missing: `make validate`
installs both (vnu.jar into .tools/; VNU_JAR names another copy). Needs no network."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, build_site, preview_of

from tests.test_people import _data as people_data

pytestmark = pytest.mark.slow

VNU_JAR = Path(
    os.environ.get("VNU_JAR") or ROOT / ".tools" / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
)


def _vnu(*paths: Path) -> list[dict]:
    java = shutil.which("java")
    if java is None:
        pytest.skip("no java on PATH (make validate installs Debian's default-jre-headless)")
    if not VNU_JAR.is_file():
        pytest.skip(f"no vnu.jar at {VNU_JAR} (make validate installs it, or set VNU_JAR)")
    cmd = [java, "-jar", str(VNU_JAR), "--format", "json", "--also-check-css", "--also-check-svg", "--skip-non-html"]
    done = subprocess.run([*cmd, *map(str, paths)], capture_output=True, text=True, timeout=300)
    return json.loads(done.stderr or '{"messages": []}')["messages"]  # errors, warnings and info alike


def _review_pages(folder: Path) -> list[Path]:
    """The editors' review app's queue and pair page over a copy of the small fixture, saved as files."""
    import warnings

    from conftest import FIXTURES

    from pipeline.config import load_config
    from pipeline.review import publish
    from pipeline.review.app import create_app
    from pipeline.site.build import load_inputs

    with warnings.catch_warnings():  # Starlette suggests httpx2; the pinned httpx is what its TestClient needs
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    data, out, reports = folder / "data", folder / "output", folder / "reports"
    shutil.copytree(FIXTURES / "small", data)
    cfg = load_config(ROOT / "site.toml")
    publish.rebuild(load_inputs(data, ROOT / "templates", cfg), out, reports)
    client = TestClient(create_app(data, ROOT / "templates", cfg, out, reports), base_url="http://127.0.0.1:8001")
    pages = []
    for name, path in (("queue", "/"), ("pair", "/pairs/mindfulness/post-traumatic-stress-disorder")):
        response = client.get(path)
        assert response.status_code == 200
        pages.append(folder / f"review-{name}.html")
        pages[-1].write_text(response.text, encoding="utf-8")
    return pages


def test_the_small_site_and_its_report_are_valid_html(small_site, tmp_path):
    from pipeline.audit import audit_site
    from pipeline.config import load_config
    from pipeline.report import review as report

    out, _ = small_site
    cfg = load_config(ROOT / "site.toml")
    html, _ = report.write_reports(audit_site(out, cfg), cfg, tmp_path / "reports", out)
    people = tmp_path / "people" / "output"  # the same data with named reviewers: people pages and bylines
    build_site(people_data(tmp_path / "people"), people)
    review = _review_pages(tmp_path / "review")
    pair = people / "compassion-fatigue-and-default-mode-network"
    problems = _vnu(out, preview_of(out), html, people / "people", pair, *review)
    shown = [f"{m.get('url', '')}:{m.get('lastLine', '')}: {m.get('type')}: {m.get('message')}" for m in problems]
    assert shown == []


def test_the_checker_finds_what_it_should(tmp_path):
    """The check is not vacuous: a page with a stray end tag and no lang is reported."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!doctype html><html><head><title>x</title></head><body><p>a</div></body></html>")
    messages = _vnu(bad)
    found = {m["type"] for m in messages} | {m.get("subType", "") for m in messages}
    assert "error" in found and "warning" in found
