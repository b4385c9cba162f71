"""Publishing follows review status: the public tree holds approved and noindex pages only, every
draft is in the preview tree with its banner, and nothing public links to a draft or outside."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest
from conftest import FIXTURES, ROOT, build_site, preview_of

from pipeline.config import load_config, parse_config
from pipeline.data.pairs import join_count


def _links(page: Path) -> list[str]:
    doc = lxml.html.parse(str(page)).getroot()
    return [a.get("href") for a in doc.iter("a")] + [link.get("href") for link in doc.iter("link")]


def _internal_target(page: Path, href: str) -> Path | None:
    """The file a relative link opens, or None for an absolute link."""
    if urlsplit(href).scheme:
        return None
    target = (page.parent / urlsplit(href).path).resolve()
    return target / "index.html" if target.is_dir() or href.endswith("/") else target


def test_the_public_tree_links_only_to_itself_and_published_pages(small_site):
    out, _ = small_site
    base = load_config(ROOT / "site.toml").base_url
    preview = preview_of(out).resolve()
    published = {f"{base}/{p.parent.relative_to(out).as_posix()}/" for p in out.rglob("index.html")}
    for page in out.rglob("*.html"):
        for href in _links(page):
            target = _internal_target(page, href)
            if target is None:
                # An absolute link to our own site must be a published page (canonical, og:url).
                assert (
                    not href.startswith(base)
                    or href in published
                    or href == f"{base}/"
                    or (out / href[len(base) + 1 :]).is_file()  # the favicon, from the 404 page
                ), (page, href)
                continue
            assert target.is_relative_to(out.resolve()) and not target.is_relative_to(preview), (page, href)
            assert target.is_file(), (page, href)
    assert not any("preview" in p.read_text(encoding="utf-8") for p in out.rglob("*.html"))


def test_every_draft_is_in_the_preview_with_its_banner_and_noindex(small_site):
    out, result = small_site
    preview = preview_of(out)
    drafts = [p for p in result.pages if p.kind == "pair" and p.status == "review"]
    assert len(drafts) == join_count(6) - 2
    for p in drafts:
        html = (preview / p.url / "index.html").read_text(encoding="utf-8")
        assert not (out / p.url).exists()
        assert "Draft — not published." in html and '<meta name="robots" content="noindex">' in html
        assert 'rel="canonical"' not in html  # a draft has no public address yet
    for page in preview.rglob("*.html"):  # hubs, home and about of the preview too
        assert "Draft — not published." in page.read_text(encoding="utf-8"), page
    # The preview's own links resolve inside it; its links to published pages go to the public site.
    approved = "compassion-fatigue-and-default-mode-network/"
    hub = (preview / "topics" / "compassion-fatigue" / "index.html").read_text(encoding="utf-8")
    assert f'href="https://bringwise.app/library/{approved}"' in hub
    for page in preview.rglob("*.html"):
        for href in _links(page):
            target = _internal_target(page, href)
            assert target is None or target.is_file(), (page, href)


def test_hubs_and_home_list_only_published_pages_with_their_summaries(small_site):
    out, _ = small_site
    hub = lxml.html.parse(str(out / "topics" / "compassion-fatigue" / "index.html")).getroot()
    pairs = hub.cssselect("ul.pairs li")
    assert [li.cssselect("a")[0].get("href") for li in pairs] == ["../../compassion-fatigue-and-default-mode-network/"]
    summary = pairs[0].cssselect(".summary")[0].text_content()
    page = (out / "compassion-fatigue-and-default-mode-network" / "index.html").read_text(encoding="utf-8")
    assert summary and summary in page  # taken from the page itself
    # A hub with no published pair has no empty list.
    lonely = lxml.html.parse(str(out / "topics" / "awe" / "index.html")).getroot()
    assert not lonely.cssselect("ul.pairs")
    home = lxml.html.parse(str(out / "index.html")).getroot()
    assert [a.get("href") for a in home.cssselect("ul.pairs a")] == ["compassion-fatigue-and-default-mode-network/"]
    sitemap = (out / "sitemap-1.xml").read_text(encoding="utf-8")
    assert "mindfulness-and-post-traumatic-stress-disorder" not in sitemap


@pytest.fixture(scope="module")
def noindex_site(tmp_path_factory):
    """Unlisted pairs published as noindex; one editor row keeps a pair in review."""
    text = (
        (ROOT / "site.toml")
        .read_text(encoding="utf-8")
        .replace('default_status = "review"', 'default_status = "noindex"')
    )
    out = tmp_path_factory.mktemp("noindex") / "output"
    return out, build_site(FIXTURES / "small", out, parse_config(text))


def test_related_links_of_published_pages_skip_drafts(noindex_site):
    out, result = noindex_site
    draft = "mindfulness-and-post-traumatic-stress-disorder/"
    assert (preview_of(out) / draft / "index.html").exists() and not (out / draft).exists()
    for page in out.glob("*-and-*/index.html"):
        assert all(draft not in (href or "") for href in _links(page)), page
    statuses = {p.status for p in result.pages if p.kind == "pair"}
    assert statuses == {"approved", "noindex", "review"}
    sitemap = (out / "sitemap-1.xml").read_text(encoding="utf-8")
    assert "compassion-fatigue-and-default-mode-network/" in sitemap and "awe-and-mindfulness/" not in sitemap


SMALL_SLUGS = [
    "awe",
    "compassion-fatigue",
    "default-mode-network",
    "mindfulness",
    "post-traumatic-stress-disorder",
    "procrastination",
]


def _approved_by_default(tmp_path: Path, rows: dict[int, str] | None = None) -> tuple[Path, Path]:
    """The small data with every pair listed as 'review' in pairs.csv (row k replaced by rows[k], or only
    rows[-1] when that is given), and a site.toml whose default_status is approved."""
    import shutil
    from itertools import combinations

    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "small", data)
    listed = [f"{a},{b},review,,,," for a, b in combinations(SMALL_SLUGS, 2)]
    rows = rows or {}
    listed = [rows[-1]] if -1 in rows else [rows.get(k, row) for k, row in enumerate(listed)]
    header = "topic_a,topic_b,status,relationship,sources,reviewed_by,reviewed_on\n"
    (data / "pairs.csv").write_text(header + "\n".join(listed) + "\n", encoding="utf-8")
    config = tmp_path / "site.toml"
    text = (ROOT / "site.toml").read_text(encoding="utf-8")
    config.write_text(text.replace('default_status = "review"', 'default_status = "approved"'), encoding="utf-8")
    return data, config


def test_the_quality_gate_keeps_a_default_approved_page_published_but_not_indexed(tmp_path):
    """A reviewed row with an empty status is approved by the default, and the quality gate still applies."""
    data, config = _approved_by_default(tmp_path, {1: "awe,default-mode-network,,,,ann,2026-11-25"})
    text = config.read_text(encoding="utf-8").replace("min_words = 450", "min_words = 100000", 1)
    result = build_site(data, tmp_path / "output", parse_config(text))
    unlisted = [p for p in result.pages if p.kind == "pair" and p.url == "awe-and-default-mode-network/"]
    out = tmp_path / "output" / "awe-and-default-mode-network" / "index.html"
    assert unlisted[0].status == "noindex" and out.exists()


def test_an_approved_default_never_publishes_a_page_without_a_reviewer(tmp_path, monkeypatch, capsys):
    """default_status = "approved" would publish pairs no editor listed: refused at the config key's line."""
    from pipeline.cli import main

    data, config = _approved_by_default(tmp_path, {-1: "awe,mindfulness,review,,,,"})
    line = config.read_text(encoding="utf-8").splitlines().index('default_status = "approved"') + 1
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "output"
    code = main(["build", "--data", str(data), "--config", str(config), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert f"site.toml:{line}: key 'default_status': default_status 'approved' would publish 14 pair page(s)" in err


def test_a_row_approved_by_the_default_needs_a_reviewer_a_date_and_a_source(tmp_path, monkeypatch, capsys):
    """Every pair listed, two with an empty status: the default makes them approved, so approval's rules apply."""
    from pipeline.cli import main

    rows = {
        0: "awe,compassion-fatigue,,,,,",  # line 2: a health page, nothing filled in
        1: "awe,default-mode-network,,,,ann,2026-11-25",  # line 3: reviewed, and no source needed
    }
    data, config = _approved_by_default(tmp_path, rows)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "output"
    code = main(["build", "--data", str(data), "--config", str(config), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    problems = [line.strip() for line in err.splitlines() if "pairs.csv:" in line]
    assert [p.split(": column ")[1].split("'")[1] for p in problems] == ["reviewed_by", "reviewed_on", "sources"]
    assert all(p.startswith(f"{data / 'pairs.csv'}:2:") for p in problems), problems
    assert all("default_status 'approved' applies" in p for p in problems)
    assert "would publish" not in err


LINKS = """subject,relation,object,sources,note,checked_by,checked_on
mindfulness,eases,post-traumatic-stress-disorder,https://example.org/mind-ptsd,in small trials,ann,2026-11-25
post-traumatic-stress-disorder,often-co-occurs-with,compassion-fatigue,https://example.org/ptsd-cf,,,
default-mode-network,is-part-of,post-traumatic-stress-disorder,https://example.org/dmn-ptsd,,,
"""


def test_bridges_and_hub_connections_never_link_a_published_page_to_a_draft(tmp_path):
    """A bridge through a draft pair keeps its words on a published page, without the link; the hub
    lists the topic's sourced links with their sources."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "small", data)
    (data / "links.csv").write_text(LINKS, encoding="utf-8")
    out = tmp_path / "output"
    build_site(data, out)
    page = out / "compassion-fatigue-and-default-mode-network" / "index.html"
    assert "post-traumatic stress disorder" in page.read_text(encoding="utf-8").lower()
    for href in _links(page):
        target = _internal_target(page, href)
        assert target is None or target.is_file(), href
    hub = lxml.html.parse(str(out / "topics" / "post-traumatic-stress-disorder" / "index.html")).getroot()
    items = hub.cssselect("ul.connections li")
    assert len(items) == 3 and "https://example.org/mind-ptsd" in [a.get("href") for a in items[-1].iter("a")] + [
        a.get("href") for li in items for a in li.iter("a")
    ]


def test_a_bridge_clause_through_a_draft_loses_its_link_on_a_published_page():
    from types import SimpleNamespace

    import pandas as pd

    from pipeline.content.context import _published_links
    from pipeline.data.pairs import neighbours

    topics = pd.DataFrame({"slug": ["a", "b", "c"], "category": ["x", "x", "x"]})
    rows = pd.DataFrame(
        {"a": ["a", "b"], "b": ["b", "c"], "status": ["approved", "approved"], "relationship": ["", ""]}
    )
    nb = neighbours(topics, rows, "review")  # a–b and b–c published, a–c a draft
    said = SimpleNamespace(bridges=[SimpleNamespace(via="b")], chains=[])
    runs = [
        [
            {"text": "a does x to b", "url": "a-and-b/", "cites": []},
            {"text": "b does y", "url": "b-and-c/", "cites": []},
        ]
    ]
    draft_link = [[{"text": "see", "url": "a-and-c/", "cites": []}]]
    (kept,) = _published_links([runs], said, "a", "c", nb, False, [])
    assert [r["url"] for r in kept[0]] == ["a-and-b/", "b-and-c/"]  # both published: kept
    said_ab = SimpleNamespace(bridges=[SimpleNamespace(via="c")], chains=[])
    (stripped,) = _published_links(
        [[[dict(r) for r in draft_link[0]] + [{"text": "t", "url": "b-and-c/", "cites": []}]]],
        said_ab,
        "a",
        "b",
        nb,
        False,
        [],
    )
    assert [r["url"] for r in stripped[0]] == ["", "b-and-c/"]  # a–c is a draft: its words stay, unlinked
    public: list[str] = []
    _published_links([[[{"text": "t", "url": "b-and-c/", "cites": []}]]], said_ab, "a", "b", nb, True, public)
    assert public == ["b-and-c/"]  # from a draft, a published page is linked at its public address


def test_structured_data_fits_the_page_and_the_home_page_is_a_website(small_site):
    import json

    out, _ = small_site

    def types(path: Path) -> set[str]:
        doc = lxml.html.parse(str(path)).getroot()
        data = json.loads(doc.cssselect('script[type="application/ld+json"]')[0].text)
        return {node["@type"] for node in data["@graph"]}

    assert "MedicalWebPage" in types(out / "compassion-fatigue-and-default-mode-network" / "index.html")
    assert "MedicalWebPage" in types(out / "topics" / "compassion-fatigue" / "index.html")  # a condition
    assert "WebPage" in types(out / "topics" / "awe" / "index.html")  # an emotion: not medical
    assert "MedicalWebPage" not in types(preview_of(out) / "awe-and-mindfulness" / "index.html")
    assert '<meta property="og:type" content="website">' in (out / "index.html").read_text(encoding="utf-8")
