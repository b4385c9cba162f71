"""The site's topic categories, read as a crawler reads them: from the home page's index of topics by
category (a section per category: its heading, then links to the topics' hubs). A hub belongs to its
topic's category; a pair page to both of its topics' categories. The review report segments pages by
them (pipeline.report.priorities)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pipeline.audit.parse import kind_of, resolve

_HUB_PREFIX = "topics/"


def home_categories(root: Path, base_url: str) -> dict[str, str]:
    """Hub URL ('topics/x/') → the category it is listed under on the home page; {} without one."""
    import lxml.html

    home = Path(root) / "index.html"
    if not home.is_file():
        return {}
    try:
        doc = lxml.html.fromstring(home.read_bytes())
    except (ValueError, lxml.etree.ParserError):
        return {}
    found: dict[str, str] = {}
    for section in doc.iter("section"):
        heading = next(section.iter("h2", "h3", "h4"), None)
        name = " ".join(heading.text_content().split()) if heading is not None else ""
        if not name:
            continue
        for a in section.iter("a"):
            how, target = resolve("", a.get("href") or "", base_url)
            if how == "internal" and target and kind_of(target) == "hub":
                found.setdefault(target, name)
    return found


def page_categories(url: str, hubs: Mapping[str, str]) -> tuple[str, ...]:
    """The categories of a page: its topic's for a hub, both topics' for a pair page (once each, in
    the order of the URL), none for any other page or a topic the home page does not list."""
    kind = kind_of(url)
    if kind == "hub":
        return (hubs[url],) if url in hubs else ()
    if kind != "pair":
        return ()
    slug = url[:-1]
    start = slug.find("-and-")
    while start > 0:  # topic slugs may hold "-and-" themselves: the split where both sides are topics
        a, b = f"{_HUB_PREFIX}{slug[:start]}/", f"{_HUB_PREFIX}{slug[start + 5 :]}/"
        if a in hubs and b in hubs:
            return tuple(dict.fromkeys((hubs[a], hubs[b])))
        start = slug.find("-and-", start + 1)
    return ()
