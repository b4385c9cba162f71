"""Build a pair page's template context: plain dicts of text and links, no I/O.

The parts live beside it: `topic` (Topic and the per-topic pieces), `fill` (sentence templates
filled with the page's names), `linktext` (the link and effects sections), `steps` (the strategies
list), `sourcelinks` (cited sources), `describe` (meta descriptions), `hub` (hub pages).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline import urls
from pipeline.config import Config
from pipeline.content.connection_map import connection_map
from pipeline.content.connections import EMPTY as EMPTY_GRAPH
from pipeline.content.connections import Graph
from pipeline.content.describe import description_fillers, first_sentence, meta_description, pair_summary, paragraphs
from pipeline.content.fill import Fields, MentionNames, fill, filler
from pipeline.content.hub import hub_context, hub_title
from pipeline.content.language import Mentions, capitalise, pair_titles, split_sentences, variant
from pipeline.content.linktext import Citations, LinkText, find, link_text, plain
from pipeline.content.page_context import PairContext
from pipeline.content.sourcelinks import cited_sources, pair_sources, source_label, source_link
from pipeline.content.steps import has_steps, strategies
from pipeline.content.topic import Topic, about_entity, per_topic, topic_block, topic_records
from pipeline.content.wording import Wording, role_order
from pipeline.data.pairs import PUBLISHED, Neighbours, related_partners

RELATED_PER_TOPIC = 4

__all__ = [  # what other rooms import from here
    "RELATED_PER_TOPIC",
    "Topic",
    "hub_context",
    "hub_title",
    "meta_description",
    "pair_context",
    "pair_summary",
    "source_label",
    "source_link",
    "topic_records",
]


@dataclass(frozen=True)
class _Pieces:
    """The parts of a pair page's context that depend on one topic alone, made once per topic.
    Pages share these dicts: nothing may change them."""

    block: dict[str, Any]  # topic_block
    about: dict[str, str]  # about_entity
    hub: dict[str, str]  # the link to the topic's hub
    sources: dict[str, dict[str, Any]]  # its sources' links, by URL


_PIECES: dict[int, tuple[Topic, Wording, _Pieces]] = {}


def _pieces(t: Topic, wording: Wording) -> _Pieces:
    return per_topic(
        _PIECES,
        t,
        wording,
        16384,
        lambda: _Pieces(
            block=topic_block(t),
            about=about_entity(t),
            hub={"url": urls.hub_url(t.slug), "label": f"All about {t.name.display}"},
            sources={url: source_link(url, wording) for url in t.sources},
        ),
    )


@dataclass
class _Page:
    """What every part of one pair page's context is made from."""

    row: dict[str, Any]
    a: Topic
    b: Topic
    slug: str
    topics: dict[str, Topic]
    wording: Wording
    mentions: Mentions
    fields: Fields
    draft: bool  # built into the preview; a published page links only published ones
    public: list[str]  # from a draft, the linked pages that are on the public site (linked there)
    carries: str = "none"  # what the page can say of the link (page.toml's intro and summary keys)

    def say(self, block: str, key: str = "") -> str:
        """One of page.toml's sentences for this page, picked by its slug (and `key`), with the page's names."""
        return fill(variant(f"{self.slug}|{key or block}", self.wording.page[block]), self.fields)


def pair_context(
    row: dict[str, Any],
    topics: dict[str, Topic],
    nb: Neighbours,
    wording: Wording,
    cfg: Config,
    graph: Graph = EMPTY_GRAPH,
) -> PairContext:
    """Everything the pair page template shows, for one pair."""
    a, b = topics[row["a"]], topics[row["b"]]
    slug, url = urls.pair_slug(a.slug, b.slug), urls.pair_url(a.slug, b.slug)
    mentions = Mentions(MentionNames(topics))
    fields = Fields(mentions, {"a": a, "b": b}, wording, {})
    p = _Page(row, a, b, slug, topics, wording, mentions, fields, row["status"] not in PUBLISHED, [])
    h1, title = pair_titles(a.name, b.name, cfg.audit.title_max)
    title = row.get("title") or title  # an editor's title (pairs.csv) for <title> and og:title; the h1 stays
    found = find(a, b, graph)
    p.carries = "editor" if row["relationship"] else found.carries
    intro = _intro(p, has_steps(a, b, found.direct, topics, wording))
    cites = Citations(lambda u: source_label(u, wording))
    fill_roles = filler(mentions, wording)
    said = link_text(a, b, slug, graph, topics, wording, fill_roles, cites, found)
    said.link, said.effects = _published_links([said.link, said.effects], said, a.slug, b.slug, nb, p.draft, p.public)
    links = _link_parts(p, said)
    lead, items = strategies(a, b, said.direct, slug, topics, wording, fields, fill_roles, cites)
    steps = {"strategies_lead": lead, "strategies": items}
    cta_lead = p.say("cta_lead", "cta")
    pa, pb = _pieces(a, wording), _pieces(b, wording)
    related = _related(p, nb)
    return {
        "kind": "pair",
        "url": url,
        "slug": slug,
        "status": row["status"],
        "draft": p.draft,
        "public": frozenset(p.public),
        "editorial": bool(row["relationship"]),
        "title": title,
        "h1": h1,
        "description": _description(p, cfg, bool(said.direct), bool(items)),
        "intro": intro,
        "a": pa.block,
        "b": pb.block,
        **links,  # type: ignore[typeddict-item]
        **steps,  # type: ignore[typeddict-item]
        "related": related,
        "hubs": [pa.hub, pb.hub],
        "sources": cited_sources(cites, pair_sources(wording, row["sources"], pa.sources, pb.sources), wording),
        "connection_map": connection_map(a, b, said, topics, wording.links["map"], not row["relationship"]),
        **_review(row, a, b, url),  # type: ignore[typeddict-item]
        "cta": _cta(cfg, cta_lead, slug),
        "disclaimer": wording.disclaimer,
        "about": [pa.about, pb.about],
    }


def _intro(p: _Page, steps: bool) -> str:
    """The introduction: what the page carries, and that it ends with steps when it does."""
    intro = p.say(f"intro.{p.carries}", "intro")
    return f"{intro} {p.say('intro_steps')}" if steps else intro


def _link_parts(p: _Page, said: LinkText) -> dict[str, Any]:
    """The link section (the editor's text first, if any) and the effects section, with their leads."""
    a, b, page = p.a, p.b, p.slug
    editorial = bool(p.row["relationship"])
    link_runs = said.link
    if editorial:
        link_runs = [[{"text": q, "url": "", "cites": []}] for q in paragraphs(p.row["relationship"])]
        link_runs += said.link[: len(said.direct)]  # the editor's text, then the direct links
    # What the pipeline wrote of the link section (not the editor's text, not the links' notes): proofread.
    link_generated = [plain(q, notes=False) for q in said.link if not editorial or q in link_runs]
    unchecked = said.unchecked and not editorial
    return {
        "link_heading": f"The Link Between {a.name.heading} and {b.name.heading}",
        "link": [plain(q) for q in link_runs],
        "link_runs": link_runs,
        "link_generated": link_generated,
        "link_note": variant(f"{page}|note", p.wording.page["unchecked_note"]) if unchecked else "",
        "low_value": said.low_value and not editorial,
        "effects_runs": said.effects,
        "effects_heading": f"How {a.name.heading} {a.name.verb('Affects')} {b.name.heading}",
        "effects_lead": p.say("effects_lead") if said.effects else "",
        "effects": [plain(q) for q in said.effects],
    }


def _related(p: _Page, nb: Neighbours) -> list[dict[str, str]]:
    """Other pairs of each topic (editor-written and same-category first); a draft notes the published ones."""
    related = []
    topics, status, public = p.topics, nb.status, nb.default_published
    for topic, other in ((p.a, p.b), (p.b, p.a)):
        s, name = topic.slug, topic.name.display
        for t in related_partners(nb, s, other.slug, p.slug, RELATED_PER_TOPIC, not p.draft):
            if s < t:  # sorted(), without its call
                x, y, names = s, t, f"{name} and {topics[t].name.display}"
            else:
                x, y, names = t, s, f"{topics[t].name.display} and {name}"
            url = urls.pair_url(x, y)
            related.append({"url": url, "label": names})
            if p.draft:  # nb.is_published(x, y), inline
                given = status.get((x, y))
                if public if given is None else given in PUBLISHED:
                    p.public.append(url)
    return related


def _description(p: _Page, cfg: Config, linked: bool, steps: bool) -> str:
    """The meta description: the editor's own (pairs.csv `description`), else their first sentence or a
    summary, completed when short with the definitions' first sentences and page.toml's [description]
    sentences true of this page (about sourced links or steps only when it has them)."""
    if p.row.get("description"):
        return p.row["description"]
    x, y = (p.a, p.b) if role_order(p.a.kind, p.b.kind) else (p.b, p.a)
    fields: list[Fields] = []  # the description's own, its names introduced afresh: made when a sentence has any

    def fill_one(template: str) -> str:
        if "{" not in template and "}" not in template:  # no names: the page's fields agree its verbs alike
            return fill(template, p.fields)
        if not fields:
            fields.append(Fields(Mentions(MentionNames(p.topics)), {"a": p.a, "b": p.b}, p.wording, {}))
        return fill(template, fields[0])

    groups = (*(g for g, has in (("pair_linked", linked), ("pair_steps", steps)) if has), "pair")
    more = _fillers(p, groups, (x.kind, y.kind), fill_one)
    generic = p.say(f"summary.{p.carries}", "summary")
    relationship = p.row["relationship"]
    leads = [capitalise(split_sentences(relationship)[0]), generic] if relationship else [generic]
    return meta_description(
        leads,
        [*leads[1:], *first_sentence(p.a.description), *first_sentence(p.b.description), *more],
        cfg.audit.description_min,
        cfg.audit.description_max - 2,
    )


_FILLERS: dict[tuple[Any, ...], tuple[dict, list[str]]] = {}


def _fillers(p: _Page, groups: tuple[str, ...], kinds: tuple[str, str], fill_one) -> list[str]:
    """description_fillers(...); when its sentences name no topic they read the same on every page
    with the same verb agreement (the page's plural names), so they are made once for those."""
    tables = p.wording.descriptions
    key = (id(tables), groups, kinds, *p.fields.plural)
    held = _FILLERS.get(key)
    if held is not None and held[0] is tables:  # holding the tables keeps their id unique
        return list(held[1])
    plain = [False]

    def fill_plain(template: str) -> str:
        plain[0] = plain[0] or "{" in template or "}" in template
        return fill_one(template)

    more = description_fillers(tables, groups, kinds, fill_plain)
    if not plain[0]:
        if len(_FILLERS) > 4096:
            _FILLERS.clear()
        _FILLERS[key] = (tables, more)
    return list(more)


def _review(row: dict[str, Any], a: Topic, b: Topic, url: str) -> dict[str, Any]:
    """Who reviewed the page and when, its last update, and its breadcrumbs."""
    return {
        "reviewed_by": row["reviewed_by"],
        "reviewer": row.get("reviewer"),  # a person_link() when reviewed_by names a person in people.csv
        "reviewed_on": row["reviewed_on"],
        "updated_on": row["reviewed_on"] or max(a.updated_on, b.updated_on),
        "breadcrumbs": [
            {"url": urls.HOME, "label": "Home"},
            {"url": urls.hub_url(a.slug), "label": a.name.display},
            {"url": url, "label": f"{a.name.display} and {b.name.display}"},
        ],
    }


def _cta(cfg: Config, lead: str, page: str) -> dict[str, str]:
    """The Bringwise call to action, its link tagged with the page."""
    c = cfg.cta
    return {
        "lead": lead,
        "brand": c.brand,
        "headline": c.headline,
        "text": c.text,
        "button": c.button,
        "url": urls.tracked(c.url, c.utm_source, c.utm_medium, c.utm_campaign, page),
    }


def _published_links(
    sections: list[list[list[dict[str, Any]]]], said, a: str, b: str, nb: Neighbours, draft: bool, public: list[str]
) -> list[list[list[dict[str, Any]]]]:
    """The link sections' runs as the page's tree may show them: on a published page, a clause that
    links a draft pair page keeps its text without the link; on a draft, a link to a published page
    is noted in `public` (linked at its public address)."""
    pages = {}
    for br in (*said.bridges, *said.chains):
        for x, y in ((a, br.via), (br.via, b)):
            pages[urls.pair_url(*sorted((x, y)))] = (x, y)
    if not pages:
        return sections
    out = []
    for paragraphs_ in sections:
        new = []
        for runs in paragraphs_:
            kept = []
            for r in runs:
                pair = pages.get(r["url"])
                if pair is not None and not draft and not nb.is_published(*pair):
                    r = dict(r, url="")
                elif pair is not None and draft and nb.is_published(*pair):
                    public.append(r["url"])
                kept.append(r)
            new.append(kept)
        out.append(new)
    return out
