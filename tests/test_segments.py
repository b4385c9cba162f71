"""The review report segments pages by topic category, as read from the home page's index: a hub in its
topic's category, a pair page in both of its topics' categories; in the report, seo-review.csv and
reports/segments.csv."""

from __future__ import annotations

import csv

import lxml.html
from conftest import ROOT

from pipeline.audit import audit_site
from pipeline.audit.taxonomy import home_categories, page_categories
from pipeline.config import load_config
from pipeline.report import review as report

HUBS = {
    "topics/acceptance-and-commitment-therapy/": "Therapies",
    "topics/avoidance/": "Habits & Behavior",
    "topics/anxiety/": "Mood & Anxiety",
    "topics/depression/": "Mood & Anxiety",
}


def test_a_pair_page_belongs_to_both_topics_categories_even_when_a_slug_holds_and():
    assert page_categories("acceptance-and-commitment-therapy-and-avoidance/", HUBS) == (
        "Therapies",
        "Habits & Behavior",
    )
    assert page_categories("anxiety-and-depression/", HUBS) == ("Mood & Anxiety",)  # once
    assert page_categories("topics/anxiety/", HUBS) == ("Mood & Anxiety",)
    assert page_categories("about/", HUBS) == page_categories("", HUBS) == ()
    assert page_categories("anxiety-and-unknown/", HUBS) == ()


def test_the_report_segments_the_small_site_by_category(small_site, tmp_path):
    out, _ = small_site
    cfg = load_config(ROOT / "site.toml")
    assert home_categories(out, cfg.base_url)["topics/compassion-fatigue/"] == "Stress & Burnout"
    result = audit_site(out, cfg)
    reports = tmp_path / "reports"
    report.write_reports(result, cfg, reports, out)

    doc = lxml.html.parse(str(reports / "seo-review.html")).getroot()
    tables = doc.xpath("//section[@id='segments']//table[@class='seg-table']")
    assert len(tables) == 2
    rows = [[" ".join(td.text_content().split()) for td in tr.xpath("td")] for tr in tables[1].xpath("tbody/tr")]
    by = {(r[0], r[1]): r for r in rows}
    # The approved pair compassion fatigue × default mode network counts in both categories, beside each hub.
    assert by[("indexable", "Stress & Burnout")][2] == "2" and by[("indexable", "Brain & Body")][2] == "2"
    assert by[("indexable", "Relationships & Emotions")][2] == "1"  # the awe hub, no published pair
    assert "hub-no-approved 1" in by[("indexable", "Relationships & Emotions")][4]

    with open(reports / "seo-review.csv", encoding="utf-8") as f:
        pages = {r["url"]: r["categories"] for r in csv.DictReader(f)}
    assert pages["/compassion-fatigue-and-default-mode-network/"] == "Stress & Burnout; Brain & Body"
    assert pages["/topics/awe/"] == "Relationships & Emotions" and pages["/about/"] == ""

    with open(reports / "segments.csv", encoding="utf-8") as f:
        segments = list(csv.DictReader(f))
    assert {"kind", "category"} == {s["by"] for s in segments}
    row = next(s for s in segments if s["by"] == "category" and s["segment"] == "Relationships & Emotions")
    assert row["status"] == "indexable" and row["pages"] == "1" and "hub-no-approved 1" in row["top_findings"]
