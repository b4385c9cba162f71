"""The link and effects sections of a pair page, from the links graph: sentences with their sources.

A section is a list of paragraphs; a paragraph is a list of runs {"text", "url", "cites"}: text,
linked to a page of the site when `url` is set, followed by numbered citations of its sources.
The wording comes from templates/wording/links.toml; `fill(template, roles, extra)` (from
pipeline.content.fill) fills a sentence with the topics' names in page order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipeline import urls
from pipeline.content.connections import Bridge, Edge, Graph, bridges, chains, shared_items
from pipeline.content.language import variant
from pipeline.content.topic import per_topic
from pipeline.content.wording import Wording, directed_keys
from pipeline.data.links import SYMMETRIC as SYMMETRIC_RELATIONS

Fill = Callable[[str, dict[str, Any], dict[str, str]], str]


@dataclass
class Citations:
    """The page's numbered sources, in order of first citation."""

    label: Callable[[str], str]
    order: dict[str, int] = field(default_factory=dict)

    def cite(self, sources: tuple[str, ...]) -> list[dict[str, Any]]:
        out = []
        for url in sources:
            n = self.order.setdefault(url, len(self.order) + 1)
            out.append({"n": n, "url": url, "label": self.label(url)})
        return out


@dataclass
class LinkText:
    """What the links say on one page: the two sections and whether the page has anything to say."""

    link: list[list[dict[str, Any]]]  # paragraphs of runs
    effects: list[list[dict[str, Any]]]  # bullets of runs
    low_value: bool
    unchecked: bool  # some statement rests on a link nobody has checked against its sources
    direct: list[Edge]
    bridges: list[Bridge]
    chains: list[Bridge]
    worded: dict[Edge, str] = field(default_factory=dict)  # each link used, as one sentence (the map's list)


def plain(runs: list[dict[str, Any]], notes: bool = True) -> str:
    """A paragraph's text without its citations (and without the links' notes, with notes=False)."""
    return "".join(r["text"] for r in runs if notes or not r.get("note"))


def relation_sentence(edge: Edge, topics: dict, wording: Wording, fill: Fill) -> str:
    """One link worded for its kinds: 'chronic stress raises cortisol levels' (lower-case start kept)."""
    s, o = topics[edge.subject], topics[edge.object]
    return fill(_relation_template(edge, topics, wording), {"s": s, "o": o}, {})


def _relation_template(edge: Edge, topics: dict, wording: Wording) -> str:
    table = wording.links[f"relation.{edge.relation}"]
    kinds = directed_keys(topics[edge.subject].kind, topics[edge.object].kind)
    return next(table[k] for k in kinds if k in table)


def _edge_runs(edge: Edge, word: Callable[[Edge], str], cites: Citations) -> list[dict[str, Any]]:
    text = word(edge)
    if not edge.note:
        return [{"text": f"{text}.", "url": "", "cites": cites.cite(edge.sources)}]
    return [
        {"text": f"{text} (", "url": "", "cites": []},
        {"text": edge.note, "url": "", "cites": [], "note": True},  # the editor's words: never proofread
        {"text": ").", "url": "", "cites": cites.cite(edge.sources)},
    ]


def _clause(edge: Edge, topics, wording: Wording, word: Callable[[Edge], str]) -> str:
    """A link worded to stand inside a sentence: it starts lower-case unless a name keeps capitals."""
    s, o = topics[edge.subject], topics[edge.object]
    text = word(edge)
    template = _relation_template(edge, topics, wording)
    lead = {"{S}": s, "{O}": o}.get(template[:3])
    first = text.split(" ", 1)[0]
    # 'Chronic stress …' → 'chronic stress …'; never 'PTSD' → 'pTSD' (an abbreviation) or a proper name.
    if (lead is None or lead.name.text[:1].islower()) and not any(c.isupper() for c in first[1:]):
        text = text[:1].lower() + text[1:]
    return text


def _pair_url(x: str, y: str) -> str:
    return urls.pair_url(*sorted((x, y)))


def _bridge_runs(
    br: Bridge, template: str, a, b, topics, wording: Wording, fill: Fill, word, cites: Citations
) -> list[dict[str, Any]]:
    """'Both connect to rumination: <first>, and <second>.', each clause linked to its pair page
    and followed by its citations, the via topic linked to its hub."""
    first = _clause(br.first, topics, wording, word)
    second = _clause(br.second, topics, wording, word)
    via = topics[br.via]
    sentence = fill(template, {"a": a, "b": b, "v": via}, {"first": first, "second": second})
    pieces = [
        (first, _pair_url(a.slug, br.via), br.first.sources),
        (second, _pair_url(br.via, b.slug), br.second.sources),
    ]
    runs: list[dict[str, Any]] = []
    rest = sentence
    for text, url, sources in pieces:
        at = rest.find(text)
        if at < 0:
            at = rest.find(text[:1].upper() + text[1:])
        if at < 0:  # the wording changed the clause (it should not): cite at the end
            continue
        if at:
            runs.append({"text": rest[:at], "url": "", "cites": []})
        runs.append({"text": rest[at : at + len(text)], "url": url, "cites": cites.cite(sources)})
        rest = rest[at + len(text) :]
    if rest:
        runs.append({"text": rest, "url": "", "cites": []})
    return _link_via(runs, via)


def _same(br: Bridge) -> str:
    """'same_object' or 'same_subject' when both links of a bridge say one thing of the via topic, else ''."""
    e1, e2 = br.first, br.second
    if e1.relation != e2.relation:
        return ""
    if e1.relation in SYMMETRIC_RELATIONS or e1.relation == "editor" or (e1.object == br.via and e2.object == br.via):
        return "same_object"
    return "same_subject" if e1.subject == br.via and e2.subject == br.via else ""


def _same_runs(br: Bridge, shape: str, a, b, topics, wording: Wording, fill: Fill, cites: Citations):
    """A bridge whose two links share relation and end, in one sentence citing both."""
    template = wording.links[f"bridge.{shape}"][br.first.relation]
    if isinstance(template, dict):  # worded by kind: the via topic's, or the kind both page topics share
        kind = topics[br.via].kind if shape == "same_object" else (a.kind if a.kind == b.kind else "*")
        template = template.get(kind, template["*"])
    text = fill(template, {"a": a, "b": b, "v": topics[br.via]}, {})
    runs = [{"text": text, "url": "", "cites": cites.cite(br.first.sources) + cites.cite(br.second.sources)}]
    return _link_via(runs, topics[br.via])


def _link_via(runs: list[dict[str, Any]], via) -> list[dict[str, Any]]:
    """Link the first plain mention of the via topic to its hub."""
    for i, r in enumerate(runs):
        if r["url"]:
            continue
        names = (via.name.text, via.name.short)
        for form in (*names, *(n[:1].upper() + n[1:] for n in names)):
            at = r["text"].find(form)
            if at >= 0:
                before, after = r["text"][:at], r["text"][at + len(form) :]
                new = [{"text": before, "url": "", "cites": []}] if before else []
                new.append({"text": form, "url": urls.hub_url(via.slug), "cites": []})
                new.append({"text": after, "url": "", "cites": r["cites"]})
                return runs[:i] + new + runs[i + 1 :]
    return runs


ELSEWHERE = 4  # topics named for each side of a page that nothing connects


def _elsewhere(t, graph: Graph, topics: dict, words: dict[str, str], fill: Fill) -> list[dict[str, Any]]:
    """'Awe is linked with gratitude and optimism.' (each linked to its hub), or 'Awe has no sourced links yet.'"""
    others = sorted(graph.neighbours(t.slug), key=lambda s: topics[s].name.display.lower())[:ELSEWHERE]
    if not others:
        return [{"text": fill(words["alone"], {"a": t}, {}) + " ", "url": "", "cites": []}]
    names = [topics[o].name.text for o in others]
    sentence = fill(words["others"], {"a": t}, {"items": _join(names)})
    runs: list[dict[str, Any]] = []
    rest = sentence
    for o, name in zip(others, names):
        at = rest.find(name)
        if at < 0:
            continue
        runs.append({"text": rest[:at], "url": "", "cites": []})
        runs.append({"text": name, "url": urls.hub_url(o), "cites": []})
        rest = rest[at + len(name) :]
    runs.append({"text": rest + " ", "url": "", "cites": []})
    return [r for r in runs if r["text"]]


_ELSEWHERE: dict[int, tuple[Any, Graph, dict[tuple[int, int], tuple[dict, dict, list[dict[str, Any]]]]]] = {}


def _elsewhere_once(t, graph: Graph, topics: dict, words: dict[str, str], fill: Fill) -> list[dict[str, Any]]:
    """_elsewhere, made once per topic when the topic has no abbreviation (its sentence then reads
    the same on every page; pages share the runs, which nothing may change)."""
    if t.name.abbreviation:
        return _elsewhere(t, graph, topics, words, fill)
    by_tables = per_topic(_ELSEWHERE, t, graph, 16384, dict)
    made = by_tables.get((id(topics), id(words)))
    if made is None or made[0] is not topics or made[1] is not words:  # holding both keeps the ids unique
        made = by_tables[(id(topics), id(words))] = (topics, words, _elsewhere(t, graph, topics, words, fill))
    return made[2]


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" and {items[-1]}"


@dataclass(frozen=True)
class Found:
    """What connects a page's two topics, before any of it is worded."""

    direct: list[Edge]  # links between the two (not editors' pages)
    chains: list[Bridge]  # a → v → b, both links saying which way one changes the other
    bridges: list[Bridge]  # topics both are linked to (not those of the chains)
    shared: list[tuple[str, list[str]]]  # ("effects" | "strategies", items both topics' rows list)

    @property
    def carries(self) -> str:
        """What the page can say of the link: "direct", "chain", "bridge", "shared" or "none"."""
        for key, value in (("direct", self.direct), ("chain", self.chains), ("bridge", self.bridges)):
            if value:
                return key
        return "shared" if self.shared else "none"


def find(a, b, graph: Graph) -> Found:
    """The direct links, chains, bridges and shared items of two topics."""
    if graph.by_topic.get(a.slug) and graph.by_topic.get(b.slug):
        direct = sorted((e for e in graph.direct(a.slug, b.slug) if e.relation != "editor"), key=lambda e: e.relation)
        found_chains = chains(graph, a.slug, b.slug)
        found_bridges = bridges(graph, a.slug, b.slug, skip=frozenset(c.via for c in found_chains))
    else:  # a topic without links has no direct link, chain or bridge
        direct, found_chains, found_bridges = [], [], []
    shared = []
    if (a.effects and b.effects) or (a.strategies and b.strategies):
        for key, mine, theirs in (("effects", a.effects, b.effects), ("strategies", a.strategies, b.strategies)):
            items = shared_items(mine, theirs)
            if items:
                shared.append((key, items))
    return Found(direct, found_chains, found_bridges, shared)


def link_text(
    a,
    b,
    page: str,
    graph: Graph,
    topics: dict,
    wording: Wording,
    fill: Fill,
    cites: Citations,
    found: Found | None = None,
) -> LinkText:
    """The link section (direct links, bridges, shared effects and strategies, or one honest sentence
    when there is none) and the effects section (chains of links from a to b) of one page."""
    w = wording.links
    found = found or find(a, b, graph)
    direct, found_chains, found_bridges = found.direct, found.chains, found.bridges
    worded: dict[Edge, str] = {}

    def word(e: Edge) -> str:
        """Each link's sentence, made once a page (names in page order: an abbreviation is introduced once)."""
        if e not in worded:
            worded[e] = relation_sentence(e, topics, wording, fill)
        return worded[e]

    link = [_edge_runs(e, word, cites) for e in direct]
    for i, br in enumerate(found_bridges):
        shape = _same(br)
        if shape:
            link.append(_same_runs(br, shape, a, b, topics, wording, fill, cites))
            continue
        lead = variant(f"{page}|bridge|{i}", w["bridge"]["lead"])
        link.append(_bridge_runs(br, lead, a, b, topics, wording, fill, word, cites))
    for key, items in found.shared:
        text = fill(w["shared"][key], {"a": a, "b": b}, {"items": _join([f"“{i}”" for i in items])})
        link.append([{"text": text, "url": "", "cites": []}])
    low_value = not link and not found_chains
    if not link and found_chains:  # linked only by way of other topics: the effects section says how
        link = [[{"text": fill(w["none"]["chain_only"], {"a": a, "b": b}, {}), "url": "", "cites": []}]]
    if low_value:
        link = [[{"text": fill(w["none"]["text"], {"a": a, "b": b}, {}), "url": "", "cites": []}]]
        elsewhere = [run for t in (a, b) for run in _elsewhere_once(t, graph, topics, w["none"], fill)]
        elsewhere[-1] = dict(elsewhere[-1], text=elsewhere[-1]["text"].rstrip())
        link.append(elsewhere)
    effects = []
    for i, ch in enumerate(found_chains):
        lead = variant(f"{page}|chain|{i}", w["effects"]["chain"])
        effects.append(_bridge_runs(ch, lead, a, b, topics, wording, fill, word, cites))
    used = [*direct, *(e for br in (*found_bridges, *found_chains) for e in (br.first, br.second))]
    unchecked = any(not e.checked for e in used)
    return LinkText(
        link, effects, low_value, unchecked, direct, found_bridges, found_chains, {e: word(e) for e in used}
    )
