"""What changed and why: the build summary names new pages, indexing changes and approved pages to review again."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import FIXTURES, ROOT, cli_build

SMALL = FIXTURES / "small"


def _build(data: Path, out: Path, capsys, templates: Path | None = None) -> list[str]:
    assert cli_build(data, out, "--no-audit", "--workers", "1", templates=templates) == 0
    return capsys.readouterr().out.splitlines()


def _edit_a_week(data: Path) -> str:
    """A week's edits: a description reworded (an approved page's text changes), a topic added, a pair
    approved. Returns pairs.csv's new text."""
    topics = (data / "topics.csv").read_text(encoding="utf-8").replace("It can dull empathy", "It can blunt empathy")
    topics += "Loneliness,emotion,Loneliness is the painful feeling of being without the connection one wants.\n"
    (data / "topics.csv").write_text(topics, encoding="utf-8")
    pairs = (data / "pairs.csv").read_text(encoding="utf-8")
    pairs = pairs.replace(
        "mindfulness,post-traumatic-stress-disorder,review,,,,",
        "mindfulness,post-traumatic-stress-disorder,approved,,https://www.nimh.nih.gov/health,Ana Ruiz,2026-12-01",
    )
    (data / "pairs.csv").write_text(pairs, encoding="utf-8")
    return pairs


def test_the_summary_says_what_changed_for_an_editor(tmp_path, capsys):
    data, out = tmp_path / "data", tmp_path / "output"
    shutil.copytree(SMALL, data)
    first = _build(data, out, capsys)
    assert not [line for line in first if "since the last build" in line or "indexable" in line]
    pairs = _edit_a_week(data)
    summary = _build(data, out, capsys)
    # The public site gains the new topic's hub; its pairs are drafts, in the preview.
    assert "  new pages since the last build: 1 (topics/loneliness/)" in summary
    assert "  now indexable (in the sitemap): 1 (mindfulness-and-post-traumatic-stress-disorder/)" in summary
    i = summary.index("  approved pages whose inputs changed since the last build, to review again: 1")
    assert (
        summary[i + 1]
        == "    compassion-fatigue-and-default-mode-network/: topics.csv line 2 (topic 'compassion-fatigue')"
    )
    # Back to review: no longer indexable. A new review date means the page was reviewed again.
    (data / "pairs.csv").write_text(
        pairs.replace("post-traumatic-stress-disorder,approved,", "post-traumatic-stress-disorder,review,").replace(
            "Bringwise editorial team,2026-11-25", "Bringwise editorial team,2026-12-02"
        ),
        encoding="utf-8",
    )
    summary = _build(data, out, capsys)
    assert (
        "  no longer indexable (noindex, out of the sitemap): 1 (mindfulness-and-post-traumatic-stress-disorder/)"
        in summary
    )
    assert not [line for line in summary if "to review again" in line]


def test_a_wording_change_names_its_key(tmp_path, capsys):
    data, out, templates = tmp_path / "data", tmp_path / "output", tmp_path / "templates"
    shutil.copytree(SMALL, data)
    shutil.copytree(ROOT / "templates", templates)
    _build(data, out, capsys, templates)
    page = templates / "wording" / "page.toml"
    text = page.read_text(encoding="utf-8")
    disclaimer = next(line for line in text.splitlines() if line.startswith("disclaimer"))
    page.write_text(
        text.replace(disclaimer, disclaimer.replace("medical advice", "medical or legal advice")), encoding="utf-8"
    )
    summary = _build(data, out, capsys, templates)
    assert "    compassion-fatigue-and-default-mode-network/: wording key(s) 'disclaimer'" in summary


def test_the_report_says_what_changed_for_an_editor(tmp_path, capsys):
    """The same lists as the build summary, in the review report's Changes section and in what-changed.csv."""
    import csv

    import lxml.html

    data, out, reports = tmp_path / "data", tmp_path / "output", tmp_path / "reports"
    shutil.copytree(SMALL, data)
    assert cli_build(data, out, "--workers", "1") == 0
    html = lxml.html.parse(str(reports / "seo-review.html")).getroot()
    assert "This is the first build" in html.get_element_by_id("changes").text_content()
    _edit_a_week(data)
    assert cli_build(data, out, "--workers", "1") == 0
    capsys.readouterr()
    html = lxml.html.parse(str(reports / "seo-review.html")).getroot()
    panels = {
        p.findtext("h3"): [" ".join(" ".join(li.itertext()).split()) for li in p.iter("li")]
        for p in html.cssselect("#changes .changes.editors .panel")
    }
    assert panels == {
        "Now indexable": ["/mindfulness-and-post-traumatic-stress-disorder/"],
        "No longer indexable": [],
        "Approved, text changed": [
            "/compassion-fatigue-and-default-mode-network/ changed by topics.csv line 2 (topic 'compassion-fatigue')"
        ],
        "New pages": ["/topics/loneliness/"],
        "Removed pages": [],
    }
    link = html.cssselect("#changes .changes.editors a")[0].get("href")
    assert (reports / link).resolve() == (out / "mindfulness-and-post-traumatic-stress-disorder" / "index.html")
    with open(reports / "what-changed.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [
        ["change", "url", "why"],
        ["now indexable", "/mindfulness-and-post-traumatic-stress-disorder/", ""],
        [
            "approved text changed",
            "/compassion-fatigue-and-default-mode-network/",
            "topics.csv line 2 (topic 'compassion-fatigue')",
        ],
        ["new", "/topics/loneliness/", ""],
    ]
