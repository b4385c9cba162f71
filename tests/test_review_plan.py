"""The review report tells a reviewer what to fix first: priorities, why and how, per-check CSVs, segments,
change tracking per finding, and the new checks (noindex links, reviewers, sources, structured data, icons)."""

from __future__ import annotations

import csv
import json
import re

import lxml.html
import numpy as np
from conftest import ROOT

from pipeline.audit import CHECKS, audit_site
from pipeline.audit.model import GUIDE, finding_priority
from pipeline.audit.similarity import page_shares
from pipeline.report import review as report
from pipeline.report.priorities import finding_keys
from tests.test_audit import CFG, html, small_site_pages, write_site


def _by_check(result) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in result.findings:
        out.setdefault(f.check, set()).add(f.url)
    return out


def test_every_check_has_a_priority_why_how_and_a_docs_entry():
    docs = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^### ([a-z0-9-]+)$", docs, flags=re.M))
    assert set(CHECKS) == set(GUIDE) == headings
    for check, (priority, why, fix) in GUIDE.items():
        assert priority in (1, 2, 3) and why and fix
        section = docs.split(f"### {check}\n", 1)[1].split("\n### ", 1)[0]
        assert f"Priority {priority}" in section and why in section and fix in section, check
    assert finding_priority("reviewer-missing", "warning") == 1
    assert finding_priority("reviewer-missing", "warning", noindex=True) == 2
    assert finding_priority("link-noindex", "info") == 3


def _graph(
    page: str = "MedicalWebPage", about: str = "MedicalCondition", reviewer: str | None = "Person", citation=None
):
    web: dict = {"@type": page, "about": [{"@type": about, "name": "X"}]}
    if reviewer:
        web["reviewedBy"] = {"@type": reviewer, "name": "R"}
    if citation is not None:
        web["citation"] = citation
    return json.dumps({"@context": "https://schema.org", "@graph": [web, {"@type": "BreadcrumbList"}]})


def test_new_checks_find_what_a_professional_review_found(tmp_path):
    pages = small_site_pages()
    # An indexable pair page that: cuts its description, has no og:image, claims MedicalWebPage about a brain
    # network, cites a bare URL and an untitled CreativeWork, and names an organisation as its reviewer.
    pages["a-and-b/"] = html(
        "a-and-b/",
        title="A and B: How They Connect, Explained",
        description="A description that runs on and on about the two topics until it is cut off mid-way through a "
        "sentence by a careless truncation step…",
        links=("../", "../topics/a/", "../c-and-d/"),
        jsonld=_graph(
            about="Thing",
            reviewer="Organization",
            citation=["https://x.org/a", {"@type": "CreativeWork", "url": "https://doi.org/10.1/x"}],
        ),
        og=False,
    )
    # A noindex draft linked from the indexable pair, and an indexable page linked only from the draft.
    pages["c-and-d/"] = html("c-and-d/", noindex=True, links=("../", "../e-and-f/"))
    pages["e-and-f/"] = html("e-and-f/", links=("../",))
    result = audit_site(write_site(tmp_path, pages), CFG)
    found = _by_check(result)
    assert found["link-noindex"] == {"a-and-b/"}
    assert found["inlinks-from-noindex"] == {"e-and-f/"}
    assert found["description-cut"] == {"a-and-b/"}
    assert found["og-image-missing"] == {"a-and-b/"}
    assert found["jsonld-mismatch"] == {"a-and-b/"}
    assert found["reviewer-missing"] == {"a-and-b/"}
    messages = {f.message for f in result.findings if f.check == "source-untitled"}
    assert messages == {"source without a title: https://x.org/a", "source without a title: https://doi.org/10.1/x"}
    assert "favicon-missing" not in found  # every page declares an icon
    noindex_link = next(f for f in result.findings if f.check == "link-noindex")
    assert noindex_link.message == "links to 1 noindex page(s) among its 3 internal links, such as /c-and-d/"
    inlinks = {p.url: p.inlinks for p in result.pages}
    assert inlinks["e-and-f/"] == 0 and inlinks["c-and-d/"] == 1  # links in are counted from indexable pages


def test_pages_without_an_icon_get_one_site_finding(tmp_path):
    pages = {u: t.replace('<link rel="icon" href="data:,">', "") for u, t in small_site_pages().items()}
    result = audit_site(write_site(tmp_path, pages), CFG)
    icon = [f for f in result.site_findings if f.check == "favicon-missing"]
    assert len(icon) == 1 and icon[0].message.startswith('4 of 4 pages declare no <link rel="icon">')


def test_a_phrase_on_more_than_a_few_pages_is_not_a_pages_own_text():
    # 100 pages; the first 10 share a "definition" (value 7); each page has one value of its own.
    samples = [np.array(sorted({7, 1000 + i}) if i < 10 else [1000 + i], dtype=np.uint32) for i in range(100)]
    ends = np.cumsum([len(s) for s in samples])
    buf = bytearray(np.concatenate(samples).tobytes())
    pages = np.arange(100)
    by_share = page_shares(buf, ends, pages, 0.2)  # 10 pages < 20% of 100: the definition counted as own text
    by_pages = page_shares(buf, ends, pages, 0.2, boilerplate_pages=5)  # on more than 5 pages: boilerplate
    assert by_share[0] == 1.0 and by_pages[0] == 0.5 and by_pages[50] == 1.0


def test_report_orders_what_to_fix_first_writes_a_csv_per_check_and_tracks_each_finding(tmp_path):
    pages = small_site_pages()
    pages["a-and-b/"] = html(
        "a-and-b/",
        title="A and B: How They Connect, Explained",
        links=("../", "../topics/a/"),
        jsonld=_graph(reviewer=None),
    )
    site = write_site(tmp_path / "site", pages)
    reports = tmp_path / "reports"
    result = audit_site(site, CFG)
    report.write_reports(result, CFG, reports, site, report.previous_findings(result, reports))
    report.save_state(reports, result.hashes(), finding_keys(result))
    doc = lxml.html.parse(str(reports / "seo-review.html")).getroot()
    first = doc.xpath("//section[@id='fix']//ol[@class='plan']/li")[0]
    assert "Fix first" in first.text_content() and "reviewer-missing" in first.text_content()
    assert "YMYL" in first.text_content() and "data/people.csv" in first.text_content()
    assert first.xpath(".//a[contains(@href, 'checks.md#reviewer-missing')]")
    with open(reports / "findings" / "reviewer-missing.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["url"], r["status"], r["priority"], r["change"]) for r in rows] == [("/a-and-b/", "indexable", "1", "")]
    segments = [
        [" ".join(td.text_content().split()) for td in tr.xpath("td")]
        for tr in doc.xpath("//table[@class='seg-table']/tbody/tr")
    ]
    assert ["indexable", "pair", "1", "1 (100%)", "reviewer-missing 1"] in segments, segments
    # The editor fixes the reviewer: the next report says the finding is fixed, and its CSV is gone.
    # …and a hub loses its og:image: a new finding, marked new in its CSV and in the page table.
    pages["a-and-b/"] = html(
        "a-and-b/", title="A and B: How They Connect, Explained", links=("../", "../topics/a/"), jsonld=_graph()
    )
    pages["topics/b/"] = pages["topics/b/"].replace(
        '<meta property="og:image" content="https://example.org/card.png">', ""
    )
    write_site(tmp_path / "site", pages)
    result = audit_site(site, CFG)
    report.write_reports(result, CFG, reports, site, report.previous_findings(result, reports))
    text = lxml.html.parse(str(reports / "seo-review.html")).getroot().text_content()
    assert "Fixed since the previous build: reviewer-missing" in " ".join(text.split())
    assert not (reports / "findings" / "reviewer-missing.csv").exists()
    with open(reports / "findings" / "og-image-missing.csv", encoding="utf-8") as f:
        assert [(r["url"], r["change"]) for r in csv.DictReader(f)] == [("/topics/b/", "new")]
    html_text = (reports / "seo-review.html").read_text(encoding="utf-8")
    assert '"no og:image: shared links show no picture",1]' in html_text
    assert "+1 new" in " ".join(text.split())


def test_a_hub_that_leads_to_no_approved_pair_page_is_a_thin_guide(tmp_path):
    pages = small_site_pages()
    # Hub b now links to a noindex pair only, hub c to no pair at all; hub a still leads to the indexable a-and-b.
    pages["topics/b/"] = pages["topics/b/"].replace("../../a-and-b/", "../../b-and-c/")
    pages["b-and-c/"] = html("b-and-c/", title="B and C: How They Connect, Explained", noindex=True, links=("../",))
    pages["topics/c/"] = html("topics/c/", title="Topic C: Links and Strategies Here", links=("../../",))
    home = json.dumps({"@type": "WebPage"})
    pages[""] = html(
        "",
        title="Home Page of the Little Test Library",
        links=("topics/a/", "topics/b/", "topics/c/"),
        crumbs=False,
        jsonld=home,
    )
    result = audit_site(write_site(tmp_path, pages), CFG)
    thin = {f.url: f.message for f in result.findings if f.check == "hub-no-approved"}
    assert thin == {
        "topics/b/": "links to no approved (indexable) pair page: its 1 pair link(s) all go to pages not indexed",
        "topics/c/": "links to no approved (indexable) pair page: it links to no pair page",
    }
    assert finding_priority("hub-no-approved", "warning") == 2
