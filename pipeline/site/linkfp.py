"""What each page reads of the links graph, as a fingerprint, so that an edit of data/links.csv
re-renders only the pages whose content it changes.

A pair page reads its direct links, the chains and bridges link_text picks (with the names of the
topics they go through and whether the pages they link are published) and, when nothing connects
its two topics, the first few topics each of them links to. A hub reads its topic's links and the
names of the topics at their other ends. Adding one link therefore changes the pair page of its two
topics, the pages that gain or lose a bridge or chain through it, the two hubs, and the unconnected
pages that name one of its topics' neighbours; every other page keeps its fingerprint.

The fingerprints are stable across processes (blake2b of reprs, then Python's hash of tuples of
ints, which does not depend on PYTHONHASHSEED), so they go into the build manifest.
"""

from __future__ import annotations

from hashlib import blake2b
from typing import Any

from pipeline.content.connections import Edge, Graph, shared_items
from pipeline.content.linktext import ELSEWHERE, find

# Markers between the parts of a page's fingerprint (no stable hash is this small).
_CHAIN, _BRIDGE, _ALONE = -1, -2, -3


def _stable(value: Any) -> int:
    return int.from_bytes(blake2b(repr(value).encode("utf-8"), digest_size=8).digest(), "big", signed=True)


class LinkFingerprints:
    """The links fingerprints of one build's pages: per topic and per link computed once, per page on demand.

    `topics` maps each slug to its Topic (pipeline.content.context); `nb` is the build's Neighbours
    (which pair pages are published)."""

    def __init__(self, graph: Graph, topics: dict[str, Any], nb) -> None:
        self.graph = graph
        self.nb = nb
        self._topics = topics
        # What a page shows of a topic it only mentions: its slug, names and kind (the wording of a link
        # depends on the kinds); not its description or lists, which only its own pages show.
        self._shown: dict[str, int] = {}
        self._edge: dict[Edge, int] = {}
        self._alone: dict[str, tuple[int, ...]] = {}

    def shown(self, slug: str) -> int:
        got = self._shown.get(slug)
        if got is None:
            t = self._topics[slug]
            got = self._shown[slug] = _stable((t.slug, t.name, t.kind))
        return got

    def edge(self, e: Edge) -> int:
        got = self._edge.get(e)
        if got is None:
            got = self._edge[e] = _stable(e)
        return got

    def _elsewhere(self, slug: str) -> tuple[int, ...]:
        """The topics an unconnected page names for `slug` (as linktext._elsewhere picks them)."""
        got = self._alone.get(slug)
        if got is None:
            topics = self._topics
            near = sorted(self.graph.neighbours(slug), key=lambda s: topics[s].name.display.lower())[:ELSEWHERE]
            got = self._alone[slug] = tuple(self.shown(s) for s in near)
        return got

    def pair(self, a: str, b: str) -> int:
        """The fingerprint of what the pair page of topics a and b reads of the links."""
        g = self.graph
        parts: list[int | bool] = []
        ta, tb = self._topics[a], self._topics[b]
        if a in g.by_topic or b in g.by_topic:  # else: no link, bridge or chain (most pages of a big site)
            found = find(ta, tb, g)
            parts += [self.edge(e) for e in g.direct(a, b)]  # editors' pages too: the map draws them
            published = self.nb.is_published
            for marker, vias in ((_CHAIN, found.chains), (_BRIDGE, found.bridges)):
                for br in vias:
                    parts += (marker, self.shown(br.via), self.edge(br.first), self.edge(br.second))
                    parts += (published(a, br.via), published(br.via, b))
            alone = found.carries == "none"
        else:
            alone = not (shared_items(ta.effects, tb.effects) or shared_items(ta.strategies, tb.strategies))
        if alone:  # a page nothing connects (linktext.link_text) names some topics each of its two links to
            parts += (_ALONE, *self._elsewhere(a), _ALONE, *self._elsewhere(b))
        return hash(tuple(parts))

    def hub(self, slug: str) -> int:
        """The fingerprint of what the hub of `slug` reads of the links: its links and their other ends."""
        parts: list[int] = []
        for e in self.graph.by_topic.get(slug, ()):
            parts += (self.edge(e), self.shown(e.other(slug)))
        return hash(tuple(parts))
