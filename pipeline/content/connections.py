"""What is known to connect two topics: the links graph, direct links, bridges and chains.

Pure functions over the edges DataFrame of pipeline.data.links; the wording of each statement is
in templates/wording/links.toml and is filled in by pipeline.content.fill.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from hashlib import blake2b

# Relations that say which way one topic changes another: chains of them are "how A affects B".
CAUSAL = frozenset({"raises", "lowers", "worsens", "eases"})
BRIDGES_PER_PAGE = 3
CHAINS_PER_PAGE = 2


@dataclass(frozen=True)
class Edge:
    """One statement "subject relation object", with what backs it."""

    subject: str
    relation: str
    object: str
    sources: tuple[str, ...]
    note: str = ""
    checked: bool = False

    def other(self, slug: str) -> str:
        return self.object if self.subject == slug else self.subject


@dataclass(frozen=True)
class Bridge:
    """A topic both topics of a page link to, with the two links (first touches the page's a)."""

    via: str
    first: Edge
    second: Edge


@dataclass(frozen=True)
class Graph:
    """Every edge, by topic and by unordered pair; `fingerprint` changes when any edge does."""

    by_topic: dict[str, tuple[Edge, ...]] = field(default_factory=dict)
    between: dict[tuple[str, str], tuple[Edge, ...]] = field(default_factory=dict)
    fingerprint: int = 0

    def direct(self, a: str, b: str) -> tuple[Edge, ...]:
        return self.between.get((a, b) if a < b else (b, a), ())

    def neighbours(self, slug: str) -> set[str]:
        return {e.other(slug) for e in self.by_topic.get(slug, ())}


EMPTY = Graph()


def make_graph(edges) -> Graph:
    """The Graph of an edges DataFrame (pipeline.data.links.edges), or of None."""
    if edges is None or not len(edges):
        return EMPTY
    by_topic: dict[str, list[Edge]] = {}
    between: dict[tuple[str, str], list[Edge]] = {}
    for r in edges.itertuples(index=False):
        e = Edge(r.subject, r.relation, r.object, tuple(r.sources), r.note, bool(r.checked))
        by_topic.setdefault(e.subject, []).append(e)
        by_topic.setdefault(e.object, []).append(e)
        key = (e.subject, e.object) if e.subject < e.object else (e.object, e.subject)
        between.setdefault(key, []).append(e)
    fp = blake2b(repr(sorted(between.items())).encode("utf-8"), digest_size=8).digest()
    return Graph(
        {k: tuple(v) for k, v in by_topic.items()},
        {k: tuple(v) for k, v in between.items()},
        int.from_bytes(fp, "big", signed=True),
    )


def _rank(edge: Edge) -> tuple:
    """Links with a relation of their own before editor pages, checked before unchecked."""
    return (edge.relation == "editor", not edge.checked, edge.subject, edge.relation, edge.object)


def _best(edges: tuple[Edge, ...]) -> Edge:
    return min(edges, key=_rank)


def bridges(graph: Graph, a: str, b: str, limit: int = BRIDGES_PER_PAGE, skip: frozenset = frozenset()) -> list[Bridge]:
    """Up to `limit` topics linked to both a and b, best-backed first (then by slug)."""
    shared = (graph.neighbours(a) & graph.neighbours(b)) - {a, b} - skip
    found = []
    for via in shared:
        first, second = _best(graph.direct(a, via)), _best(graph.direct(via, b))
        found.append(Bridge(via, first, second))
    found.sort(key=lambda br: (_rank(br.first)[:2], _rank(br.second)[:2], br.via))
    return found[:limit]


def chains(graph: Graph, a: str, b: str, limit: int = CHAINS_PER_PAGE) -> list[Bridge]:
    """Up to `limit` paths a → c → b whose two links both say which way one topic changes the next."""
    found = []
    for e1 in graph.by_topic.get(a, ()):
        if e1.subject != a or e1.relation not in CAUSAL or e1.object == b:
            continue
        for e2 in graph.by_topic.get(e1.object, ()):
            if e2.subject == e1.object and e2.object == b and e2.relation in CAUSAL:
                found.append(Bridge(e1.object, e1, e2))
    found.sort(key=lambda br: (_rank(br.first)[:2], _rank(br.second)[:2], br.via))
    seen: set[str] = set()
    unique = [br for br in found if not (br.via in seen or seen.add(br.via))]
    return unique[:limit]


def shared_items(first: tuple[str, ...], second: tuple[str, ...]) -> list[str]:
    """Phrases both lists hold (the same words, case aside), in the first list's order."""
    other = {s.lower() for s in second}
    return [s for s in first if s.lower() in other]


def is_low_value(graph: Graph, a, b) -> bool:
    """True when nothing is known to connect topics a and b (Topic values): no link, no bridge,
    no shared effect or strategy. Such a page says so in one sentence and stays out of the index."""
    if graph.direct(a.slug, b.slug) or bridges(graph, a.slug, b.slug, 1):
        return False
    return not (shared_items(a.effects, b.effects) or shared_items(a.strategies, b.strategies))
