"""The connection map: a small picture of how topics link, laid out for an inline SVG.

Pure and deterministic: positions are computed from the links alone, and templates/_map.html
draws them (no JavaScript). Every map carries a title, a description and a text equivalent, said
once: the page's own sourced statements (the pair page's link and effects sections, the hub's list of
links), which the figure names with aria-describedby; only links those do not state (a hub's arrow to
an editor's page) are listed under the map.
"""

from __future__ import annotations

import math
from typing import Any

from pipeline import urls
from pipeline.content.connections import Edge, Graph
from pipeline.content.topic import per_topic

WIDTH = 640
ROW = 64  # vertical room per topic in the middle column
CHAR = 7.0  # average width of a character of the node labels, in px at font-size 13
HUB_NEIGHBOURS = 8
# The ids of the page elements that state a map's links in words (templates/pair.html, hub.html).
PAIR_TEXT, EFFECTS_TEXT, HUB_TEXT = "link-text", "effects-text", "linked-with"


def _label(topic) -> str:
    name = topic.name
    return name.abbreviation if name.abbreviation and len(name.display) > 24 else name.display


def _node(topic, x: float, y: float, main: bool) -> dict[str, Any]:
    label = _label(topic)
    w = max(70.0, len(label) * CHAR + 20)
    return {
        "x": round(x - w / 2, 1),
        "y": round(y - 15, 1),
        "w": round(w, 1),
        "h": 30,
        "cx": round(x, 1),
        "cy": round(y, 1),
        "label": label,
        "url": urls.hub_url(topic.slug),
        "main": main,
    }


_NODES: dict[int, tuple[Any, None, dict[tuple[Any, ...], dict[str, Any]]]] = {}


def _node_once(topic, x: float, y: float, main: bool) -> dict[str, Any]:
    """_node, made once per topic and place (a pair page's topics stand in a few places); maps
    share the nodes, which nothing may change."""
    placed = per_topic(_NODES, topic, None, 16384, dict)
    key = (x, y, main, type(x), type(y))  # 52 == 52.0, but _node's round() keeps the type
    node = placed.get(key)
    if node is None:
        node = placed[key] = _node(topic, x, y, main)
    return node


def _edge(e: Edge, nodes: dict[str, dict[str, Any]], labels: dict[str, str], bend: float = 0.0) -> dict[str, Any]:
    """A line (or, with `bend`, a curve) from the subject's box to the object's, arrowed unless symmetric."""
    s, o = nodes[e.subject], nodes[e.object]
    (x1, y1), (x2, y2) = _rim(s, o), _rim(o, s)
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    path = f"M{x1:.1f},{y1:.1f} L{x2:.1f},{y2:.1f}"
    if bend:
        cy = 2 * bend - my  # the curve's peak is at y = bend
        path = f"M{x1:.1f},{y1:.1f} Q{mx:.1f},{cy:.1f} {x2:.1f},{y2:.1f}"
        my = bend
    return {
        "path": path,
        "lx": round(mx, 1),
        "ly": round(my - 4, 1),
        "label": labels[e.relation],
        "arrow": e.relation != "often-co-occurs-with",
    }


def _rim(box: dict[str, Any], toward: dict[str, Any]) -> tuple[float, float]:
    """Where the line from a box's centre toward another box leaves the box."""
    dx, dy = toward["cx"] - box["cx"], toward["cy"] - box["cy"]
    if dx == dy == 0:
        return box["cx"], box["cy"]
    sx = (box["w"] / 2) / abs(dx) if dx else math.inf
    sy = (box["h"] / 2 + 2) / abs(dy) if dy else math.inf
    t = min(sx, sy)
    return box["cx"] + dx * t, box["cy"] + dy * t


def _item(e: Edge, topics: dict, sentence: str) -> list[dict[str, str]]:
    """One link of the text equivalent as runs: its sentence, each topic's name linked to its hub."""
    runs, rest = [], sentence
    for slug in (e.subject, e.object):
        name = topics[slug].name
        for form in (name.text, name.short, name.display, name.text[:1].upper() + name.text[1:]):
            at = rest.find(form)
            if at >= 0:
                runs += [
                    {"text": rest[:at], "url": "", "cites": []},
                    {"text": form, "url": urls.hub_url(slug), "cites": []},
                ]
                rest = rest[at + len(form) :]
                break
    return [r for r in [*runs, {"text": rest + ".", "url": "", "cites": []}] if r["text"]]


def connection_map(a, b, said, topics: dict, labels: dict[str, str], bridges_stated: bool = True) -> dict[str, Any]:
    """The map of a pair page: its two topics, their direct links, and the bridges and chains. On a
    page whose link section is an editor's text (`bridges_stated` false) the bridges' links are
    listed under the map, since the page states them nowhere else."""
    vias = [*said.bridges, *said.chains]
    n = len(vias)
    top = 56 if said.direct else 20
    height = top + max(1, n) * ROW + 10
    mid = top + max(1, n) * ROW / 2
    nodes = {a.slug: _node_once(a, 105, mid, True), b.slug: _node_once(b, WIDTH - 105, mid, True)}
    for i, br in enumerate(vias):
        nodes[br.via] = _node_once(topics[br.via], WIDTH / 2, top + ROW / 2 + i * ROW, False)
    edges = []
    if said.direct:
        for k, e in enumerate(said.direct):
            edges.append(_edge(e, nodes, labels, bend=16 + 14 * k if n else 0.0))
            if not n:
                edges[-1]["ly"] = round(mid - 6 - 14 * k, 1)
    for br in vias:
        edges.append(_edge(br.first, nodes, labels))
        edges.append(_edge(br.second, nodes, labels))
    pairs = [(a.name.display, b.name.display)]
    what = f"{len(said.direct)} direct link(s) and {n} topic(s) both connect to" if edges else "no known link"
    # Every link drawn is stated with its sources in the link section (direct links, bridges) or in
    # "How A Affects B" (chains): those are the map's text equivalent, not a second list.
    text_ids = [PAIR_TEXT] + ([EFFECTS_TEXT] if said.chains else [])
    unstated = [x for br in said.bridges for x in (br.first, br.second)]
    return {
        "id": f"map-{a.slug}-{b.slug}",
        "width": WIDTH,
        "height": round(height),
        "title": f"How {pairs[0][0]} and {pairs[0][1]} connect",
        "desc": f"A map of {pairs[0][0]} and {pairs[0][1]}: {what}. Each arrow points from a topic to the one it "
        "affects and is labelled with the relation; the page states each link in words, with its sources.",
        "nodes": list(nodes.values()),
        "edges": edges,
        "items": [] if bridges_stated else [_item(e, topics, said.worded[e]) for e in dict.fromkeys(unstated)],
        "text_ids": text_ids,
        "text_label": f"The Link Between {a.name.heading} and {b.name.heading}",
    }


def hub_map(
    topic, graph: Graph, topics: dict, labels: dict[str, str], word=None, listed: frozenset = frozenset(), heading=""
) -> dict[str, Any]:
    """The map of a hub: the topic in the middle and up to eight topics it links to, around it. Links in
    `listed` are stated with their sources under `heading` (the hub's list, the map's text equivalent);
    only the others are listed under the map."""
    chosen: dict[str, Edge] = {}
    for e in sorted(graph.by_topic.get(topic.slug, ()), key=lambda e: (e.relation == "editor", e.other(topic.slug))):
        chosen.setdefault(e.other(topic.slug), e)
    around = sorted(chosen)[:HUB_NEIGHBOURS]
    height = 300 if around else 80
    cx, cy = WIDTH / 2, height / 2
    nodes = {topic.slug: _node(topic, cx, cy, True)}
    for i, slug in enumerate(around):
        angle = -math.pi / 2 + 2 * math.pi * i / len(around)
        nodes[slug] = _node(topics[slug], cx + 230 * math.cos(angle), cy + 115 * math.sin(angle), False)
    edges = [_edge(chosen[s], nodes, labels) for s in around]
    name = topic.name.display
    return {
        "id": f"map-{topic.slug}",
        "width": WIDTH,
        "height": height,
        "title": f"What {name} connects to",
        "desc": f"A map of {name} and {len(around)} topic(s) it has a sourced link with; each arrow is labelled "
        "with the relation, and the page states each link in words.",
        "nodes": list(nodes.values()),
        "edges": edges,
        "items": [_item(chosen[s], topics, word(chosen[s])) for s in around if chosen[s] not in listed],
        "text_ids": [HUB_TEXT] if any(chosen[s] in listed for s in around) else [],
        "text_label": heading,
    }
