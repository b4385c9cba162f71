"""Build each page's template context: plain dicts of text and links, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

from pipeline import urls
from pipeline.config import Config
from pipeline.content.connection_map import connection_map, hub_map
from pipeline.content.connections import EMPTY as EMPTY_GRAPH
from pipeline.content.connections import Graph
from pipeline.content.language import (
    Mentions,
    Name,
    agree,
    capitalise,
    fix_articles,
    make_name,
    pair_titles,
    phrase,
    split_sentences,
    variant,
)
from pipeline.content.linktext import Citations, link_text, plain, relation_sentence
from pipeline.content.page_context import HubContext, PairContext
from pipeline.content.proofread import similar
from pipeline.content.wording import KIND_FIELDS, Wording, role_order, symmetric_keys
from pipeline.data.links import EDITOR
from pipeline.data.pairs import PUBLISHED, Neighbours, related_partners
from pipeline.data.sources import citation_entity, citation_parts, source_key

RELATED_PER_TOPIC = 4


@dataclass(frozen=True)
class Topic:
    """One topic as pages need it."""

    slug: str
    name: Name
    kind: str
    description: str
    category: str
    effects: tuple[str, ...]
    strategies: tuple[str, ...]
    sources: tuple[str, ...]
    updated_on: str


def topic_records(topics_df) -> dict[str, Topic]:
    """Turn the validated topics DataFrame into Topic values keyed by slug."""
    out = {}
    for r in topics_df.itertuples(index=False):
        out[r.slug] = Topic(
            r.slug,
            make_name(r.name, r.name_in_text, r.abbreviation, getattr(r, "number", "")),
            r.kind,
            r.description,
            r.category,
            tuple(filter(None, map(phrase, r.effects))),
            tuple(filter(None, map(phrase, r.strategies))),
            r.sources,
            r.updated_on,
        )
    return out


def _per_topic(memo: dict[int, tuple[Topic, Wording, Any]], t: Topic, wording: Wording, limit: int, make) -> Any:
    """make(), remembered for the topic and wording (keyed by the topic's id; holding both objects
    keeps the ids unique). The memo is emptied when it grows past `limit` topics."""
    held = memo.get(id(t))
    if held is None or held[0] is not t or held[1] is not wording:
        if len(memo) > limit:
            memo.clear()
        held = memo[id(t)] = (t, wording, make())
    return held[2]


_PLAIN_FIELDS: dict[int, tuple[Topic, Wording, dict[str, dict[str, str]]]] = {}


class _Fields(dict):
    """Fills sentence placeholders in order, so abbreviations are introduced once."""

    def __init__(self, mentions: Mentions, roles: dict[str, Topic], wording: Wording, extra: dict[str, str]):
        super().__init__(extra)
        self.mentions, self.roles, self.wording = mentions, roles, wording
        # The names verbs must agree with, the same for every sentence of the page.
        self.plural = [n for t in roles.values() if t.name.plural for n in (t.name.text, t.name.short)]
        # Without an abbreviation a topic's fields read the same everywhere: made once per topic
        # and role letter, and put in this page's dict at once.
        for letter, topic in roles.items():
            if not topic.name.abbreviation:
                self.update(self._plain(letter, topic))

    def _plain(self, letter: str, topic: Topic) -> dict[str, str]:
        """Every field of a topic without an abbreviation in one role: '{a}', '{A}', '{a_aspect}' …"""
        by_letter = _per_topic(_PLAIN_FIELDS, topic, self.wording, 65536, dict)
        fields = by_letter.get(letter)
        if fields is None:
            phrases = self.wording.kinds.get(topic.kind, {})
            fields = by_letter[letter] = {}
            for part in ("", *(p for p in KIND_FIELDS if p in phrases)):
                suffix = f"_{part}" if part else ""
                fields[letter + suffix] = self._field(topic, part, False)
                fields[letter.upper() + suffix] = self._field(topic, part, True)
        return fields

    def __missing__(self, key: str) -> str:
        # A topic with an abbreviation is named differently once introduced: filled in page order.
        letter, _, part = key.partition("_")
        return self._field(self.roles[letter.lower()], part, letter.isupper())

    def _field(self, topic: Topic, part: str, capital: bool) -> str:
        if not part:
            return self.mentions(topic.slug, capital)
        phrases = self.wording.kinds[topic.kind]
        if f"{part}_bare" in phrases and not topic.name.text.lower().startswith("the "):
            part = f"{part}_bare"
        text = phrases[part].format(x=self.mentions(topic.slug))
        return capitalise(text) if capital else text


def _fill(template: str, fields: _Fields) -> str:
    text = capitalise(template.format_map(fields).strip())
    plural = fields.plural
    return fix_articles(agree(text, plural) if plural else text)


def _pick(options: list[Any], key: str, count: int) -> list[Any]:
    """Choose `count` distinct options, starting at a deterministic offset."""
    if not options:
        return []
    start = options.index(variant(key, options))
    return [options[(start + i) % len(options)] for i in range(min(count, len(options)))]


def _strategies(a: Topic, b: Topic, x: Topic, page: str, wording: Wording, fields: _Fields) -> list[dict[str, str]]:
    items = []
    own = wording.own_strategy
    for topic in (a, b):
        for i, s in enumerate(topic.strategies[:2]):
            if any(similar(s, t) for t in a.strategies[:2] if topic is b):
                continue  # the first topic gives the same advice: say it once
            fields["topic"] = fields.mentions(topic.slug)
            fields["strategy"] = s
            items.append({"title": "", "text": _fill(variant(f"{page}|own|{topic.slug}|{i}", own), fields) + "."})
    y_kind = b.kind if x is a else a.kind
    keys = symmetric_keys(x.kind, y_kind)
    steps: list[dict[str, str]] = []
    wanted = max(2, 6 - len(items))
    for k in keys:
        if len(steps) >= wanted:  # later keys only add steps after the ones shown
            break
        for step in _pick(wording.strategies.get(k, []), f"{page}|steps|{k}", 2 if k != "*+*" else 3):
            if step["title"] not in {s["title"] for s in steps}:
                steps.append(step)
    for step in steps[:wanted]:
        items.append({"title": step["title"], "text": _fill(step["text"], fields)})
    return items


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


@lru_cache(maxsize=16384)
def _first_sentence(text: str) -> tuple[str, ...]:
    """split_sentences(text)[:1] of a topic's description, split once per description."""
    return tuple(split_sentences(text)[:1])


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


def _sources(wording: Wording, *groups: tuple[str, ...]) -> list[dict[str, str]]:
    seen, out = set(), []
    for group in groups:
        for url in group:
            if url not in seen:
                seen.add(url)
                out.append(source_link(url, wording))
    return out


@dataclass(frozen=True)
class _Pieces:
    """The parts of a pair page's context that depend on one topic alone, made once per topic.
    Pages share these dicts: nothing may change them."""

    block: dict[str, Any]  # _topic_block
    about: dict[str, str]  # _about_entity
    hub: dict[str, str]  # the link to the topic's hub
    sources: dict[str, dict[str, str]]  # its sources' links, by URL


_PIECES: dict[int, tuple[Topic, Wording, _Pieces]] = {}


def _pieces(t: Topic, wording: Wording) -> _Pieces:
    return _per_topic(
        _PIECES,
        t,
        wording,
        16384,
        lambda: _Pieces(
            block=_topic_block(t),
            about=_about_entity(t),
            hub={"url": urls.hub_url(t.slug), "label": f"All about {t.name.display}"},
            sources={url: source_link(url, wording) for url in t.sources},
        ),
    )


def _pair_sources(wording: Wording, own: tuple[str, ...], a: _Pieces, b: _Pieces) -> list[dict[str, str]]:
    """_sources(wording, own, a's sources, b's sources), the topics' links made once per topic."""
    if own:
        return _sources(wording, own, tuple(a.sources), tuple(b.sources))
    out = list(a.sources.values())
    out += [link for url, link in b.sources.items() if url not in a.sources]
    return out


def _cited_sources(cites: Citations, rest: list[dict[str, Any]], wording: Wording) -> list[dict[str, Any]]:
    """The page's sources: those cited in the text first, numbered as cited, then the others (each a
    source_link, a reference when sources.csv describes it)."""
    known = {source_key(s["url"]): s for s in rest}
    out = [known.get(source_key(url)) or source_link(url, wording) for url in cites.order]
    cited = {source_key(url) for url in cites.order}
    return out + [s for s in rest if source_key(s["url"]) not in cited]


class _MentionNames(dict):
    """The Name of any topic, looked up when a page first mentions it (a page names a few topics of many)."""

    def __init__(self, topics: dict[str, Topic]):
        super().__init__()
        self.topics = topics

    def __missing__(self, slug: str) -> Name:
        name = self[slug] = self.topics[slug].name
        return name


def meta_description(leads: str | list[str], extra: list[str], lo: int = 120, hi: int = 158) -> str:
    """A 120–160 character summary made of the page's own whole sentences, never cut with "…".

    Each lead (or, when every lead is too long, its longest run of whole sentences) is tried with every combination of the `extra` sentences, in order; the first that lands
    in [lo, hi] is used, else the longest that fits under `hi`: a complete shorter text, never a cut.
    """
    from itertools import combinations

    leads = [leads] if isinstance(leads, str) else leads
    starts = [lead for lead in leads if len(lead) <= hi] or [_clauses(lead, hi) for lead in leads]
    extras = [e for e in dict.fromkeys(extra) if e and len(e) <= hi][:8]  # at most 8 fillers, 3 at a time
    best = ""
    for start in [s for s in starts if s]:
        for k in range(min(len(extras), 3) + 1):
            for combo in combinations(extras, k):
                text = " ".join((start, *(e for e in combo if e not in start)))
                if lo <= len(text) <= hi:
                    return text
                if len(best) < len(text) <= hi:
                    best = text
    return best or next((e for e in extras), "")


def _clauses(text: str, hi: int) -> str:
    """The longest run of whole sentences of `text` within `hi` characters; "" when none fits
    (a sentence cut at a comma can say something untrue, so none is)."""
    text = " ".join(text.split())
    out = ""
    for sentence in split_sentences(text):
        if len(f"{out} {sentence}".strip()) > hi:
            break
        out = f"{out} {sentence}".strip()
    return out


def _filler(mentions: Mentions, wording: Wording):
    """fill(template, roles, extra) for linktext: a sentence with the page's names in page order."""

    def fill(template: str, roles: dict[str, Topic], extra: dict[str, str]) -> str:
        return _fill(template, _Fields(mentions, roles, wording, extra))

    return fill


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
    page = urls.pair_slug(a.slug, b.slug)
    url = urls.pair_url(a.slug, b.slug)
    mentions = Mentions(_MentionNames(topics))
    x, y = (a, b) if role_order(a.kind, b.kind) else (b, a)
    fields = _Fields(mentions, {"a": a, "b": b, "x": x, "y": y}, wording, {})
    h1, title = pair_titles(a.name, b.name, cfg.audit.title_max)
    intro = _fill(variant(f"{page}|intro", wording.page["intro"]), fields)
    editorial = bool(row["relationship"])
    cites = Citations(lambda u: source_label(u, wording))
    said = link_text(a, b, page, graph, topics, wording, _filler(mentions, wording), cites)
    draft = row["status"] not in PUBLISHED  # built into the preview; a published page links only published ones
    public: list[str] = []  # from a draft, the linked pages that are on the public site (linked there)
    said.link, said.effects = _published_links([said.link, said.effects], said, a.slug, b.slug, nb, draft, public)
    link_runs = said.link
    if editorial:
        link_runs = [[{"text": p, "url": "", "cites": []}] for p in _paragraphs(row["relationship"])]
        link_runs += said.link[: len(said.direct)]  # the editor's text, then the direct links
    link = [plain(p) for p in link_runs]
    # What the pipeline wrote of the link section (not the editor's text, not the links' notes): proofread.
    link_generated = [plain(p, notes=False) for p in said.link if not editorial or p in link_runs]
    link_note = variant(f"{page}|note", wording.page["unchecked_note"]) if said.unchecked and not editorial else ""
    effects_lead = _fill(variant(f"{page}|effects_lead", wording.page["effects_lead"]), fields) if said.effects else ""
    effects = [plain(p) for p in said.effects]
    strategies_lead = _fill(variant(f"{page}|strategies_lead", wording.page["strategies_lead"]), fields)
    strategies = _strategies(a, b, x, page, wording, fields)
    cta_lead = _fill(variant(f"{page}|cta", wording.page["cta_lead"]), fields)
    pa, pb = _pieces(a, wording), _pieces(b, wording)
    related = []
    for topic, other in ((a, b), (b, a)):
        for t in related_partners(nb, topic.slug, other.slug, page, RELATED_PER_TOPIC, not draft):
            p, q = (topic.slug, t) if topic.slug < t else (t, topic.slug)  # sorted(), without its call
            related.append(
                {"url": urls.pair_url(p, q), "label": f"{topics[p].name.display} and {topics[q].name.display}"}
            )
            if draft and nb.is_published(p, q):
                public.append(related[-1]["url"])
    hubs = [pa.hub, pb.hub]
    generic = (
        f"How {mentions(a.slug)} and {mentions(b.slug)} connect: what each is, how one can affect the other, "
        "and practical steps for both."
    )
    leads = (
        [capitalise(split_sentences(row["relationship"])[0]), capitalise(generic)]
        if editorial
        else [capitalise(generic)]
    )
    description = meta_description(
        leads,
        [
            *_first_sentence(a.description),
            *_first_sentence(b.description),
        ],
        cfg.audit.description_min,
        cfg.audit.description_max - 2,
    )
    c = cfg.cta
    return {
        "kind": "pair",
        "url": url,
        "slug": page,
        "status": row["status"],
        "draft": draft,
        "public": frozenset(public),
        "editorial": editorial,
        "title": title,
        "h1": h1,
        "description": description,
        "intro": intro,
        "a": pa.block,
        "b": pb.block,
        "link_heading": f"The Link Between {a.name.heading} and {b.name.heading}",
        "link": link,
        "link_runs": link_runs,
        "link_generated": link_generated,
        "link_note": link_note,
        "low_value": said.low_value and not editorial,
        "effects_runs": said.effects,
        "effects_heading": f"How {a.name.heading} {a.name.verb('Affects')} {b.name.heading}",
        "effects_lead": effects_lead,
        "effects": effects,
        "strategies_lead": strategies_lead,
        "strategies": strategies,
        "related": related,
        "hubs": hubs,
        "sources": _cited_sources(cites, _pair_sources(wording, row["sources"], pa, pb), wording),
        "connection_map": connection_map(a, b, said, topics, wording.links["map"]),
        "reviewed_by": row["reviewed_by"],
        "reviewer": row.get("reviewer"),  # a person_link() when reviewed_by names a person in people.csv
        "reviewed_on": row["reviewed_on"],
        "updated_on": row["reviewed_on"] or max(a.updated_on, b.updated_on),
        "breadcrumbs": [
            {"url": urls.HOME, "label": "Home"},
            {"url": urls.hub_url(a.slug), "label": a.name.display},
            {"url": url, "label": f"{a.name.display} and {b.name.display}"},
        ],
        "cta": {
            "lead": cta_lead,
            "brand": c.brand,
            "headline": c.headline,
            "text": c.text,
            "button": c.button,
            "url": urls.tracked(c.url, c.utm_source, c.utm_medium, c.utm_campaign, page),
        },
        "disclaimer": wording.disclaimer,
        "about": [pa.about, pb.about],
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
    for paragraphs in sections:
        new = []
        for runs in paragraphs:
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


def _topic_block(t: Topic) -> dict[str, Any]:
    return {
        "slug": t.slug,
        "name": t.name.display,
        "heading": f"What {t.name.verb('Is')} {t.name.heading}?",
        "description": t.description,
        "kind": t.kind,
        "url": urls.hub_url(t.slug),
    }


def _about_entity(t: Topic) -> dict[str, str]:
    kind = "MedicalCondition" if t.kind == "condition" else "Thing"
    return {"@type": kind, "name": t.name.display, "description": t.description}


def _hub_map(topic: Topic, graph: Graph, topics: dict[str, Topic] | None, wording: Wording) -> Any:
    """The hub's connection map, its links worded as on pair pages; None for a topic without links."""
    if not topics or not graph.by_topic.get(topic.slug):
        return None
    fill = _filler(Mentions(_MentionNames(topics)), wording)
    return hub_map(topic, graph, topics, wording.links["map"], lambda e: relation_sentence(e, topics, wording, fill))


def hub_title(name: Name, limit: int = 60) -> str:
    """A hub's <title>: what the topic is and how it connects, shortened by pattern, never cut."""
    what = "What They Are" if name.plural else "What It Is"
    forms = [name.display] + ([name.abbreviation] if name.abbreviation else [])
    candidates = [f"{f}: {what} and How {'They Connect' if name.plural else 'It Connects'}" for f in forms]
    candidates += [f"{f}: {what}, Links and Tips" for f in forms] + [f"{f}: Links and Tips" for f in forms]
    fitting = [c for c in candidates if len(c) <= limit]
    return fitting[0] if fitting else min(candidates, key=len)


def _sourced_connections(
    topic: Topic, graph: Graph, topics: dict[str, Topic], wording: Wording
) -> list[dict[str, Any]]:
    """The topic's links of data/links.csv, each worded as one sentence with its sources (for its guide)."""
    out = []
    for e in graph.by_topic.get(topic.slug, ()):
        if e.relation == EDITOR or e.subject not in topics or e.object not in topics:
            continue
        fill = _filler(Mentions(_MentionNames(topics)), wording)  # each sentence introduces its names anew
        text = capitalise(relation_sentence(e, topics, wording, fill))
        text = f"{text} ({e.note})." if e.note else f"{text}."
        out.append({"text": text, "sources": [{"url": u, "label": source_label(u, wording)} for u in e.sources]})
    return out


def pair_summary(relationship: str) -> str:
    """A pair page's one-line summary for hubs and the home page: the first sentence of its editor's text."""
    first = _paragraphs(relationship)[:1]
    return capitalise(split_sentences(first[0])[0]) if first and split_sentences(first[0]) else ""


def hub_context(
    topic: Topic,
    partners: list[Topic],
    statuses: dict[str, str],
    cfg: Config,
    wording: Wording,
    graph: Graph = EMPTY_GRAPH,
    topics: dict[str, Topic] | None = None,
    summaries: dict[tuple[str, str], str] | None = None,
) -> HubContext:
    """A topic's guide: what it is, what it brings, what helps, its sourced connections (from the
    links data, when given) and the pair pages it appears on, each with its one-line summary."""
    url = urls.hub_url(topic.slug)
    summaries = summaries or {}
    pairs = []
    for p in partners:
        a, b = sorted((topic.slug, p.slug))
        pairs.append(
            {
                "url": urls.pair_url(a, b),
                "label": f"{topic.name.display} and {p.name.display}",
                "partner": p.name.display,
                "status": statuses.get(p.slug, ""),
                "summary": summaries.get((a, b), ""),
            }
        )
    first = split_sentences(topic.description)[0] if topic.description else ""
    description = meta_description(
        [f"{topic.name.display}: {first}", first],
        [
            f"See how {topic.name.text} connects with {len(partners)} other topic{'s' if len(partners) != 1 else ''}, "
            "with practical strategies for each."
            if partners
            else f"What {topic.name.text} can bring, and practical steps that can help.",
        ],
        cfg.audit.description_min,
        cfg.audit.description_max - 2,
    )
    return {
        "kind": "hub",
        "url": url,
        "title": hub_title(topic.name, cfg.audit.title_max),
        "h1": topic.name.display,
        "description": description,
        "bring_heading": f"What {topic.name.heading} Can Bring",
        "map_heading": "Known Links at a Glance",
        "pairs_heading": f"How {topic.name.heading} {topic.name.verb('Connects')} with Other Topics",
        "connections_heading": f"What {topic.name.heading} {topic.name.verb('Is')} Linked With",
        "topic": _topic_block(topic),
        "about": [_about_entity(topic)],  # JSON-LD: a condition's hub is a MedicalWebPage about it
        "effects": [capitalise(e) for e in topic.effects],
        "strategies": [capitalise(s) for s in topic.strategies],
        "sources": _sources(wording, topic.sources),
        "disclaimer": wording.disclaimer,
        "pairs": pairs,
        "connection_map": _hub_map(topic, graph, topics, wording),
        "connections": _sourced_connections(topic, graph, topics or {}, wording),
        "updated_on": topic.updated_on,
        "breadcrumbs": [{"url": urls.HOME, "label": "Home"}, {"url": url, "label": topic.name.display}],
    }
