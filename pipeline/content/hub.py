"""A topic's hub page: what it is, what it brings, what helps, its sourced connections and its pairs."""

from __future__ import annotations

from typing import Any

from pipeline import urls
from pipeline.config import Config
from pipeline.content.connection_map import hub_map
from pipeline.content.connections import EMPTY as EMPTY_GRAPH
from pipeline.content.connections import Graph
from pipeline.content.describe import count_phrase, description_fillers, hub_groups, meta_description
from pipeline.content.fill import Fields, MentionNames, fill, filler
from pipeline.content.language import Mentions, Name, capitalise, split_sentences
from pipeline.content.linktext import relation_sentence
from pipeline.content.page_context import HubContext
from pipeline.content.sourcelinks import source_label, source_links
from pipeline.content.topic import Topic, about_entity, topic_block
from pipeline.content.wording import Wording
from pipeline.data.links import EDITOR


def _hub_map(topic: Topic, graph: Graph, topics: dict[str, Topic] | None, wording: Wording, heading: str) -> Any:
    """The hub's connection map, its links worded as on pair pages; None for a topic without links.
    The links of the hub's sourced list (under `heading`) are its text equivalent."""
    if not topics or not graph.by_topic.get(topic.slug):
        return None
    fill = filler(Mentions(MentionNames(topics)), wording)
    listed = frozenset(_listed(topic, graph, topics))
    word = lambda e: relation_sentence(e, topics, wording, fill)  # noqa: E731
    return hub_map(topic, graph, topics, wording.links["map"], word, listed, heading)


def _listed(topic: Topic, graph: Graph, topics: dict[str, Topic]) -> list:
    """The topic's links the hub lists with their sources (not editors' pages)."""
    return [
        e
        for e in graph.by_topic.get(topic.slug, ())
        if e.relation != EDITOR and e.subject in topics and e.object in topics
    ]


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
    for e in _listed(topic, graph, topics):
        fill = filler(Mentions(MentionNames(topics)), wording)  # each sentence introduces its names anew
        text = capitalise(relation_sentence(e, topics, wording, fill))
        text = f"{text} ({e.note})." if e.note else f"{text}."
        out.append({"text": text, "sources": [{"url": u, "label": source_label(u, wording)} for u in e.sources]})
    return out


def _hub_pairs(
    topic: Topic, partners: list[Topic], statuses: dict[str, str], summaries: dict[tuple[str, str], str]
) -> list[dict[str, str]]:
    """The pair pages the topic appears on, each with its status and one-line summary."""
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
    return pairs


def _hub_description(topic: Topic, partners: list[Topic], cfg: Config, wording: Wording) -> str:
    """ "Topic: its definition's first sentence", completed when short with page.toml's [description]
    sentences true of this guide (its pair pages, effects, strategies)."""
    first = split_sentences(topic.description)[0] if topic.description else ""
    others = count_phrase(len(partners), "other topic", "other topics")
    fields = Fields(Mentions(MentionNames({topic.slug: topic})), {"a": topic}, wording, {"others": others})
    groups = hub_groups(len(partners), bool(topic.effects), bool(topic.strategies))
    return meta_description(
        [f"{topic.name.display}: {first}", first],
        description_fillers(wording.descriptions, groups, (topic.kind,), lambda t: fill(t, fields)),
        cfg.audit.description_min,
        cfg.audit.description_max - 2,
    )


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
    linked_with = f"What {topic.name.heading} {topic.name.verb('Is')} Linked With"
    return {
        "kind": "hub",
        "url": url,
        "title": hub_title(topic.name, cfg.audit.title_max),
        "h1": topic.name.display,
        "description": _hub_description(topic, partners, cfg, wording),
        "bring_heading": f"What {topic.name.heading} Can Bring",
        "map_heading": "Known Links at a Glance",
        "pairs_heading": f"How {topic.name.heading} {topic.name.verb('Connects')} with Other Topics",
        "connections_heading": linked_with,
        "topic": topic_block(topic),
        "about": [about_entity(topic)],  # JSON-LD: a condition's hub is a MedicalWebPage about it
        "effects": [capitalise(e) for e in topic.effects],
        "strategies": [capitalise(s) for s in topic.strategies],
        "sources": source_links(wording, topic.sources),
        "disclaimer": wording.disclaimer,
        "pairs": _hub_pairs(topic, partners, statuses, summaries or {}),
        "connection_map": _hub_map(topic, graph, topics, wording, linked_with),
        "connections": _sourced_connections(topic, graph, topics or {}, wording),
        "updated_on": topic.updated_on,
        "breadcrumbs": [{"url": urls.HOME, "label": "Home"}, {"url": url, "label": topic.name.display}],
    }
