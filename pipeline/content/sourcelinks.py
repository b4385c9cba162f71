"""Sources as pages show them: a reference when data/sources.csv describes the source, else a link
labelled by where it goes."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

from pipeline.content.language import capitalise
from pipeline.content.linktext import Citations
from pipeline.content.wording import Wording
from pipeline.data.sources import citation_entity, citation_parts, source_key

# Path segments that name a kind of page, not the page: never a source's title.
GENERIC_SEGMENTS = frozenset(
    "index default home article articles view content contents doc docs document documents publication "
    "publications pub pubs en wiki item items news detail details page pages abstract full fulltext pdf html "
    "cearticle figure figures external topics topic health fact-sheets news-room faq pubmed".split()
)
_EXTENSION = re.compile(r"\.(s?html?|php|aspx?|long|pdf)$", re.IGNORECASE)
_IDENTIFIER = re.compile(r"^(PMC\d+|\d{6,})$", re.IGNORECASE)  # PubMed Central and PubMed ids
_ACRONYM = re.compile(r"[b-df-hj-np-tv-xz]{2,}")  # 'ptsd', 'cbt': no vowel, so not a word


def source_label(url: str, wording: Wording) -> str:
    """Link text that says where a source goes: 'Wikipedia: Default mode network', 'World Health
    Organization: Burn out an occupational phenomenon …'. The publisher's name (sources.toml) or the
    site, then a title read from the address: the most specific path segment made of words, without
    dates or numbers; else the page's PubMed (Central) id; else the publisher alone."""
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.")
    path = unquote(parts.path).strip("/")
    if host in ("doi.org", "dx.doi.org") and path:
        return wording.doi_label.format(doi=path)
    publisher = wording.publishers.get(host, host)
    segments = [_EXTENSION.sub("", seg) for seg in path.split("/") if seg]
    wiki = host.endswith(("wikipedia.org", "wikiversity.org"))  # MediaWiki: "_" is a space, "-" a hyphen
    for seg in reversed(segments):
        title = url_title(seg, hyphens=wiki)
        if title:
            return f"{publisher}: {title}"
    ids = [seg for seg in segments if _IDENTIFIER.match(seg)]
    return f"{publisher}: {ids[-1]}" if ids else publisher


def url_title(segment: str, hyphens: bool = False) -> str:
    """A readable title from one path segment ('28-05-2019-burn-out-an-occupational-phenomenon' →
    'Burn out an occupational phenomenon'; with `hyphens`, a MediaWiki title such as 'Self-compassion'
    keeps them, and '_' alone parts words), or "" when it holds no words (an id, a date, a generic
    word such as 'article')."""
    if segment.lower() in GENERIC_SEGMENTS:
        return ""
    tokens = [t for t in re.split(r"_+" if hyphens or "_" in segment else r"[-+\s]+", segment) if t]
    words = [t for t in tokens if not any(c.isdigit() for c in t)]  # dates, ids and numbers go
    alphabetic = [w for w in words if sum(c.isalpha() for c in w) >= 3]
    if not alphabetic or (len(alphabetic) == 1 and len(words) < len(tokens)):
        return ""  # no word, or one stray word among numbers ('f1-arhw-21-1-53')
    words = [w.upper() if _ACRONYM.fullmatch(w) else w for w in words]
    initials = "".join(w[0] for w in words[:-1]).lower()
    if len(words) > 2 and initials.endswith(words[-1].lower()):  # '… disorder ocd' → '… disorder (OCD)'
        words[-1] = f"({words[-1].upper()})"
    return capitalise(" ".join(words))


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
    if not cites.order:  # nothing cited: the others, in order
        return list(rest)
    known = {_key(s["url"]): s for s in rest}
    out = [known.get(_key(url)) or source_link(url, wording) for url in cites.order]
    cited = {_key(url) for url in cites.order}
    return out + [s for s in rest if _key(s["url"]) not in cited]


_key = lru_cache(maxsize=65536)(source_key)  # a source's key, worked out once per address
