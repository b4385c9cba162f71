"""Sources as pages show them: a reference when data/sources.csv describes the source, else a link
labelled by where it goes."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

from pipeline.content.language import capitalise
from pipeline.content.linktext import Citations
from pipeline.content.wording import Wording
from pipeline.data.sources import citation_entity, citation_parts, source_key


def source_label(url: str, wording: Wording) -> str:
    """Link text that says where a source goes: 'Wikipedia: Default mode network'."""
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.")
    path = unquote(parts.path).strip("/")
    if host in ("doi.org", "dx.doi.org") and path:
        return wording.doi_label.format(doi=path)
    page = path.rsplit("/", 1)[-1] if path else ""
    page = re.sub(r"\.(html?|php|aspx?)$", "", page)
    page = capitalise(re.sub(r"[_-]+", " ", page).strip())
    publisher = wording.publishers.get(host, host)
    return f"{publisher}: {page}" if page else publisher


def source_link(url: str, wording: Wording) -> dict[str, Any]:
    """A source as pages show it: a reference ('Authors (Year). Title. Journal.') when data/sources.csv
    gives its title, else a link labelled by where it goes; `jsonld` is its schema.org citation."""
    ref = wording.references.get(source_key(url))
    if ref is None or not ref.title:
        label = source_label(url, wording)
        return {
            "url": url,
            "label": label,
            "lead": "",
            "title": "",
            "container": "",
            "jsonld": citation_entity(url, None),
        }
    lead, title, container = citation_parts(ref)
    link = ref.link or url
    return {
        "url": link,
        "label": title,
        "lead": lead,
        "title": title,
        "container": container,
        "jsonld": citation_entity(link, ref),
    }


def source_links(wording: Wording, *groups: tuple[str, ...]) -> list[dict[str, str]]:
    """The sources of every group, each once, in order."""
    seen, out = set(), []
    for group in groups:
        for url in group:
            if url not in seen:
                seen.add(url)
                out.append(source_link(url, wording))
    return out


def pair_sources(
    wording: Wording, own: tuple[str, ...], a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """source_links(wording, own, a's sources, b's sources), the topics' links (by URL) made once per topic."""
    if own:
        return source_links(wording, own, tuple(a), tuple(b))
    out = list(a.values())
    out += [link for url, link in b.items() if url not in a]
    return out


def cited_sources(cites: Citations, rest: list[dict[str, Any]], wording: Wording) -> list[dict[str, Any]]:
    """The page's sources: those cited in the text first, numbered as cited, then the others (each a
    source_link, a reference when sources.csv describes it)."""
    known = {source_key(s["url"]): s for s in rest}
    out = [known.get(source_key(url)) or source_link(url, wording) for url in cites.order]
    cited = {source_key(url) for url in cites.order}
    return out + [s for s in rest if source_key(s["url"]) not in cited]
