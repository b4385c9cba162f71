"""Render page contexts with Jinja2: autoescape on, undefined variables are errors."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from pipeline import urls
from pipeline.config import Config
from pipeline.content.page_context import SiteContext
from pipeline.content.structured import page_graph, to_script
from pipeline.site.cards import card_meta
from pipeline.site.jinja_fast import PageEnvironment

TEMPLATES = {
    "pair": "pair.html",
    "hub": "hub.html",
    "index": "index.html",
    "about": "about.html",
    "404": "404.html",
    "person": "person.html",
    "policy": "editorial-policy.html",
}


def environment(folder: Path) -> jinja2.Environment:
    """The one Jinja environment: strict, escaped, cached."""
    return PageEnvironment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
        auto_reload=False,
        cache_size=50,
    )


def site_context(cfg: Config) -> SiteContext:
    """Site-wide values every template sees."""
    lang = cfg.language
    return {
        "name": cfg.name,
        "base_url": cfg.base_url,
        "language": lang,
        "locale": lang.replace("-", "_") if "-" in lang else {"en": "en_US"}.get(lang, lang),
        "author": cfg.author,
        "brand": cfg.cta.brand,
    }


@lru_cache(maxsize=4096)
def long_date(iso: str) -> str:
    """'2026-11-25' → 'November 25, 2026', without depending on the machine's locale."""
    if not iso:
        return ""
    d = date.fromisoformat(iso)
    months = (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    )
    return f"{months[d.month - 1]} {d.day}, {d.year}"


def finish(page: dict[str, Any], site: dict[str, Any], indexable: bool) -> dict[str, Any]:
    """Add what depends on the site: canonical URL, robots, structured data."""
    page = dict(page)
    page["canonical"] = urls.absolute(site["base_url"], page["url"])
    page.setdefault("draft", False)  # a page of the preview tree: banner, noindex
    page.setdefault("public", frozenset())
    page["indexable"] = indexable and not page["draft"]
    page.setdefault("breadcrumbs", [])
    page.setdefault("reviewed_on", "")
    page["reviewed_on_text"] = long_date(page["reviewed_on"])
    page.setdefault("updated_on", "")
    page["updated_on_text"] = long_date(page["updated_on"])
    page["jsonld"] = Markup(to_script(page_graph(page, site)))
    page["card"] = card_meta(page, site)  # og:image: the social card of a published page (site/cards.py)
    return page


def render(env: jinja2.Environment, page: dict[str, Any], site: dict[str, Any]) -> str:
    """Render one finished page to HTML."""
    here = page["url"]
    public = page.get("public")  # from the preview: pages linked where they are published
    if page["kind"] == "404":

        def rel(to: str) -> str:
            return urls.absolute(site["base_url"], to)
    elif public:
        base = site["base_url"]

        def rel(to: str) -> str:
            return urls.absolute(base, to) if to in public else urls.relative(here, to)
    else:

        def rel(to: str) -> str:
            return urls.relative(here, to)

    template = env.get_template(TEMPLATES[page["kind"]])
    return template.render(page=page, site=site, rel=rel, home=urls.HOME, about=urls.ABOUT, policy=urls.POLICY)
