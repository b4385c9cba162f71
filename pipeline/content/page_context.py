"""What each page template may read: the keys of every page's context, declared once.

A template sees `page` (one of the contexts below, finished by `pipeline.site.render.finish`, which
adds the keys of `Finished`), `site` (`SiteContext`), `rel(url)` (a link relative to the page) and the
URLs `home`, `about` and `policy`. `tests/test_page_context.py` checks both ways: every variable a
template reads is declared here (jinja2.meta and the templates' syntax trees), and the contexts the
build makes have exactly the declared keys. A new key goes here first.
"""

from __future__ import annotations

from typing import TypedDict

from markupsafe import Markup


class Link(TypedDict):
    url: str  # site-relative, made by pipeline.urls
    label: str


class SourceLink(TypedDict):
    """A cited source (content/context.py, source_link): a reference when data/sources.csv gives its title
    ('<lead> <title>. <container>.', the title linking to it), else a link labelled by where it goes."""

    url: str  # the DOI's resolver address for a DOI, else the cited URL
    label: str  # link text when there is no title
    lead: str  # 'Authors (Year).' or ""
    title: str  # "" when sources.csv gives none
    container: str  # the journal, book or site, or ""
    jsonld: dict  # its schema.org citation (ScholarlyArticle / CreativeWork)


class Cta(TypedDict):
    """The Bringwise call to action at the foot of a pair page (templates/_cta.html)."""

    lead: str
    brand: str
    headline: str
    text: str
    button: str
    url: str  # with UTM parameters naming the page


class TopicBlock(TypedDict):
    """One topic as a page shows it: 'What Is X?' and its definition."""

    slug: str
    name: str
    heading: str
    description: str
    kind: str
    url: str  # its hub


class Strategy(TypedDict):
    """A step of the strategies list (content/steps.py): one from a sourced link between the page's two
    topics (citing the link's sources) or one of a topic's own steps from topics.csv (no citations)."""

    text: str
    cites: list[Cite]


class PersonLink(TypedDict):
    """A person in people.csv as a link: 'Reviewed by <name>, <credentials>' (content/people.py)."""

    id: str
    name: str
    credentials: str
    role: str
    url: str
    same_as: list[str]


class Cite(TypedDict):
    n: int  # its number in the page's Sources list
    url: str
    label: str


class Run(TypedDict, total=False):
    """A stretch of a generated paragraph (content/linktext.py): text, linked to a page of the site when
    `url` is set, then its numbered citations; `note` marks a links.csv note (the editor's words)."""

    text: str
    url: str
    cites: list[Cite]
    note: bool


class MapNode(TypedDict):
    x: float
    y: float
    w: float
    h: int
    cx: float
    cy: float
    label: str
    url: str  # the topic's hub
    main: bool  # one of the page's own topics


class MapEdge(TypedDict):
    path: str  # SVG path data
    lx: float
    ly: float
    label: str  # the relation, as links.toml [map] words it
    arrow: bool  # False for a symmetric relation


class ConnectionMap(TypedDict):
    """The inline SVG map of a pair page or hub (content/connection_map.py, templates/_map.html)."""

    id: str
    width: int
    height: int
    title: str
    desc: str
    nodes: list[MapNode]
    edges: list[MapEdge]
    items: list[list[Run]]  # links drawn that the page states nowhere else, as sentences (a hub's editor pages)
    text_ids: list[str]  # ids of the page's elements that state the drawn links with their sources
    text_label: str  # the heading of the first of them, for the caption's link


class Card(TypedDict):
    """A published page's social card (site/cards.py, card_meta): a 1200×630 PNG beside the page."""

    url: str  # absolute, with ?v=<key> (a new address when the card changes)
    width: int
    height: int
    alt: str


class Finished(TypedDict):
    """What render.finish adds to every page's context."""

    canonical: str
    indexable: bool
    breadcrumbs: list[Link]
    reviewed_on: str
    reviewed_on_text: str
    updated_on: str
    updated_on_text: str
    jsonld: Markup  # the page's JSON-LD graph (content/structured.py), as a script's text
    draft: bool  # a page of the preview tree: the "Draft — not published" banner, noindex, no canonical
    public: frozenset[str]  # from the preview: linked pages that are published, linked at their public URL
    card: Card | None  # og:image: the page's social card (site/cards.py); None for drafts and the 404 page


class _Page(TypedDict):
    kind: str  # a key of pipeline.site.render.TEMPLATES
    url: str
    title: str
    h1: str
    description: str
    updated_on: str


class PairContext(_Page):
    """A pair page (content/context.py, pair_context)."""

    slug: str
    status: str
    draft: bool  # a review page: built into the preview tree
    public: frozenset[str]  # of its related links, those published (linked at their public URL)
    editorial: bool  # the link section is the editor's text
    intro: str
    a: TopicBlock
    b: TopicBlock
    link_heading: str
    link: list[str]  # paragraphs, as plain text (word counts, the meta description)
    link_runs: list[list[Run]]  # the same paragraphs with their page links and citations, as shown
    link_generated: list[str]  # what the pipeline wrote of them, without notes: proofread
    link_note: str  # "" unless a link the section states is not yet checked
    low_value: bool  # nothing is known to connect the two topics: the page says so and is never indexed
    effects_runs: list[list[Run]]  # "How X Affects Y" bullets (chains of links); none: no section
    connection_map: ConnectionMap
    effects_heading: str
    effects_lead: str
    effects: list[str]
    strategies_lead: str  # "" when the page has no strategies list
    strategies: list[Strategy]  # only what is specific to the two topics; may be empty
    related: list[Link]
    hubs: list[Link]
    sources: list[SourceLink]
    reviewed_by: str
    reviewer: PersonLink | None  # when reviewed_by names a person in people.csv
    reviewed_on: str
    breadcrumbs: list[Link]
    cta: Cta
    disclaimer: str
    about: list[dict[str, str]]  # schema.org entities of the two topics, for the JSON-LD


class HubPair(TypedDict):
    url: str
    label: str
    partner: str
    status: str
    summary: str  # the page's one-line summary (its editor's first sentence), or ""


class Connection(TypedDict):
    """A sourced statement that the topic bears on another (from the links data, when it exists)."""

    text: str
    sources: list[Link]


class HubContext(_Page):
    """A topic's hub (content/context.py, hub_context)."""

    bring_heading: str
    map_heading: str
    connection_map: ConnectionMap | None  # None when the topic has no links
    pairs_heading: str
    topic: TopicBlock
    effects: list[str]
    strategies: list[str]
    sources: list[SourceLink]
    disclaimer: str
    pairs: list[HubPair]  # published pairs on the public site; every built pair in the preview
    connections_heading: str
    connections: list[Connection]
    breadcrumbs: list[Link]
    about: list[dict[str, str]]  # schema.org entity of the topic, for the JSON-LD


class TopicLink(TypedDict):
    url: str
    name: str


class Category(TypedDict):
    name: str
    topics: list[TopicLink]


class Guide(TypedDict):
    url: str
    label: str
    summary: str


class HomeContext(_Page):
    """The index of all topics (site/sitepages.py)."""

    intro: str
    disclaimer: str
    featured: list[Guide]  # the editor-written guides: the approved pages
    categories: list[Category]


class AboutContext(_Page):
    """How the pages are made and reviewed (site/sitepages.py)."""

    disclaimer: str
    total_pages: int
    editorial_pages: int
    indexable_pages: int
    people: list[PersonLink]
    breadcrumbs: list[Link]


class NotFoundContext(_Page):
    """/404.html (site/sitepages.py): its links are absolute, since it is served at any URL."""


class ReviewedPage(TypedDict):
    url: str
    label: str
    reviewed_on: str
    reviewed_on_text: str


class PersonContext(_Page):
    """A person's page (content/people.py, person_context)."""

    person: PersonLink
    bio: str
    profiles: list[Link]
    reviewed: list[ReviewedPage]
    breadcrumbs: list[Link]


class PolicyCounts(TypedDict):
    topics: int
    approved: int
    noindex: int
    review: int
    reviewed: int


class PolicyContext(_Page):
    """The editorial policy (content/policy.py, policy_context)."""

    people: list[PersonLink]
    counts: PolicyCounts
    author: str
    default_status: str
    min_words: int
    min_unique_share: str
    contact: str
    contact_href: str
    contact_label: str
    disclaimer: str
    breadcrumbs: list[Link]


class SiteContext(TypedDict):
    """Site-wide values every template sees as `site` (site/render.py, site_context)."""

    name: str
    base_url: str
    language: str
    locale: str
    author: str
    brand: str


# The context each page kind is made with (the keys of pipeline.site.render.TEMPLATES).
PAGE_CONTEXTS: dict[str, type] = {
    "pair": PairContext,
    "hub": HubContext,
    "index": HomeContext,
    "about": AboutContext,
    "404": NotFoundContext,
    "person": PersonContext,
    "policy": PolicyContext,
}

# What render() passes to every template besides `page` and `site`.
TEMPLATE_GLOBALS: dict[str, str] = {
    "rel": "rel(url): the site-relative URL as a link from this page (absolute on the 404 page)",
    "home": "the home page's site-relative URL",
    "about": "the about page's site-relative URL",
    "policy": "the editorial policy's site-relative URL",
}
