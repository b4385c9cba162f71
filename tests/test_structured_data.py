"""Structured data says what the page shows: on every page of the small site, the JSON-LD's page node
has the page's own canonical URL, title, headline, description and language; its breadcrumbs are the
visible ones with absolute URLs; its dates are the dates the page shows; its citations are the
page's listed sources and its reviewer the one the byline names."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin

import pytest
from conftest import preview_of
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from pipeline.content.structured import to_json, to_script


def _pages(out):
    """Every page of the public tree and of the drafts' preview."""
    return sorted([*out.rglob("*.html"), *preview_of(out).rglob("*.html")])


def _one(doc, xpath: str) -> str:
    (value,) = doc.xpath(xpath)
    return value if isinstance(value, str) else value.text_content()


def _graph(doc) -> dict:
    (script,) = doc.xpath('//script[@type="application/ld+json"]')
    data = json.loads(script.text)
    assert data["@context"] == "https://schema.org"
    return data


def _page_node(data: dict, canonical: str) -> dict:
    nodes = [n for n in data["@graph"] if n.get("url") == canonical]
    assert len(nodes) == 1, f"one node for the page itself ({canonical}), got {len(nodes)}"
    return nodes[0]


def test_every_page_has_json_ld_that_matches_what_it_shows(small_site):
    out, _ = small_site
    pages = _pages(out)
    assert len(pages) > 20
    kinds, checked = set(), 0
    for path in pages:
        doc = lxml_html.fromstring(path.read_bytes())
        where = path.relative_to(out.parent).as_posix()
        canonicals = doc.xpath('//link[@rel="canonical"]/@href')
        if not canonicals:  # drafts in the preview and the 404 page have none, by design
            if doc.xpath('//script[@type="application/ld+json"]'):
                _graph(doc)  # still valid JSON-LD
            continue
        canonical = canonicals[0]
        node = _page_node(_graph(doc), canonical)
        checked += 1
        kinds.add(node["@type"])
        assert node["name"] == _one(doc, "/html/head/title"), where
        assert node["headline"] == _one(doc, "//h1").strip(), where
        assert node["description"] == _one(doc, '//meta[@name="description"]/@content'), where
        assert node["inLanguage"] == _one(doc, "/html/@lang"), where
        _check_breadcrumbs(doc, _graph(doc), canonical, where)
        _check_review_and_dates(doc, node, where)
        _check_citations(doc, node, where)
    assert checked >= 10 and {"MedicalWebPage", "WebPage"} <= kinds


def _check_breadcrumbs(doc, data: dict, canonical: str, where: str) -> None:
    crumbs = doc.xpath('//nav[@class="crumbs"]//li')
    lists = [n for n in data["@graph"] if n["@type"] == "BreadcrumbList"]
    if not crumbs:
        assert not lists, where
        return
    (trail,) = lists
    items = trail["itemListElement"]
    assert [i["position"] for i in items] == list(range(1, len(crumbs) + 1)), where
    assert [i["name"] for i in items] == [li.text_content().strip() for li in crumbs], where
    links = [urljoin(canonical, a.get("href")) for li in crumbs[:-1] for a in li.xpath("./a")]
    assert [i["item"] for i in items] == [*links, canonical], where


def _check_review_and_dates(doc, node: dict, where: str) -> None:
    shown_dates = set(doc.xpath("//time/@datetime"))
    if "lastReviewed" in node:
        assert node["lastReviewed"] in shown_dates, where
    if "reviewedBy" in node:
        byline = " ".join(p.text_content() for p in doc.xpath('//p[@class="byline"]'))
        assert f"Reviewed by {node['reviewedBy']['name']}" in byline, where
    if "dateModified" in node and doc.xpath('//p[@class="byline"]//time'):
        # Pair pages show "Updated <date>" unless it is the review date, which they show instead.
        assert node["dateModified"] in shown_dates, where


def _check_citations(doc, node: dict, where: str) -> None:
    listed = doc.xpath('//*[@class="sources"]//a/@href')
    cited = [c["url"] if isinstance(c, dict) else c for c in node.get("citation", [])]
    assert cited == listed, where


@pytest.mark.parametrize("kind", ["pair", "hub"])
def test_a_condition_s_pair_and_hub_pages_are_medical_web_pages_about_their_topics(small_site, kind):
    out, _ = small_site
    path = (
        out
        / ("compassion-fatigue-and-default-mode-network" if kind == "pair" else "topics/compassion-fatigue")
        / "index.html"
    )
    doc = lxml_html.fromstring(path.read_bytes())
    canonical = doc.xpath('//link[@rel="canonical"]/@href')
    graph = _graph(doc)
    node = _page_node(graph, canonical[0]) if canonical else next(n for n in graph["@graph"] if "headline" in n)
    assert node["@type"] == "MedicalWebPage"
    if kind == "hub":  # the condition it is about, as a MedicalCondition: the audit finds no jsonld-mismatch
        assert [(a["@type"], a["name"]) for a in node["about"]] == [("MedicalCondition", _one(doc, "//h1").strip())]
    if kind == "pair":
        names = [a["name"] for a in node["about"]]
        headings = [h.text_content() for h in doc.xpath("//h2")]
        assert len(names) == 2 and all(any(n in h for h in headings) for n in names), (names, headings)


def test_the_audit_finds_no_structured_data_that_does_not_fit_the_built_pages(small_site):
    """The renderer and the audit agree: every MedicalWebPage says which condition it is about."""
    from pipeline.audit import audit_site
    from pipeline.config import load_config

    out, _ = small_site
    cfg = load_config(Path(__file__).parent.parent / "site.toml")
    found = [(f.url, f.message) for f in audit_site(out, cfg).findings if f.check == "jsonld-mismatch"]
    assert found == []


# JSON-LD values as pages make them: text (any character, control characters and U+2028 included),
# whole numbers, booleans, nulls, lists and objects with text keys.
_JSON_LD = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(_JSON_LD)
def test_to_json_writes_what_the_json_module_writes(data):
    """The fast encoder (orjson) gives the very text of json.dumps with the options pages use, so that
    switching encoders changed no page: key order, separators, escapes and non-ASCII text."""
    plain = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert to_json(data) == plain


def test_to_script_cannot_close_its_script_element():
    text = to_script({"name": "</script><b>&amp;"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"name": "</script><b>&amp;"}
