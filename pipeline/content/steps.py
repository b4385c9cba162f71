"""The "Practical Strategies When Dealing with Both" list of a pair page: only what is specific to its
two topics (templates/wording/strategies.toml says how each step is worded).

First the steps that follow from sourced links between the two (each citing the link's sources),
then each topic's own steps from topics.csv. Nothing generic pads the list: a pair with nothing
specific to say has no list at all.
"""

from __future__ import annotations

from typing import Any

from pipeline.content.connections import Edge
from pipeline.content.fill import Fields, fill
from pipeline.content.language import Mentions, capitalise, variant
from pipeline.content.linktext import Citations, Fill
from pipeline.content.proofread import alike, shingles, similar
from pipeline.content.topic import Topic, per_topic
from pipeline.content.wording import Wording, directed_keys

OWN_PER_TOPIC = 2  # a topic's own steps shown on each of its pair pages


def link_steps(
    direct: list[Edge], topics: dict[str, Topic], wording: Wording, fill_roles: Fill, cites: Citations
) -> list[dict[str, Any]]:
    """A step for each direct link whose relation and kinds strategies.toml words; two links that
    come to the same step (A is treated by B, B eases A) give one step citing both."""
    out: list[dict[str, Any]] = []
    for e in direct:
        s, o = topics[e.subject], topics[e.object]
        table = wording.strategies.get(e.relation, {})
        key = next((k for k in directed_keys(s.kind, o.kind) if k in table), None)
        if key is None:
            continue
        text = fill_roles(table[key], {"s": s, "o": o}, {})
        same = next((step for step in out if step["text"] == text), None)
        if same is not None:
            same["cites"] += [c for c in cites.cite(e.sources) if c not in same["cites"]]
            continue
        out.append({"text": text, "cites": cites.cite(e.sources)})
    return out


def has_steps(a: Topic, b: Topic, direct: list[Edge], topics: dict[str, Topic], wording: Wording) -> bool:
    """Whether the page will have a strategies list (known before its sentences are made)."""
    if a.strategies or b.strategies:
        return True
    for e in direct:
        table = wording.strategies.get(e.relation, {})
        if any(k in table for k in directed_keys(topics[e.subject].kind, topics[e.object].kind)):
            return True
    return False


def own_steps(a: Topic, b: Topic, page: str, wording: Wording, fields: Fields) -> list[dict[str, Any]]:
    """Each topic's first steps from topics.csv, introduced by its kind's `steps` phrase; a step the
    first topic gives already is not said again for the second."""
    items = []
    firsts = _own(a, wording)[2]  # what similar() compares of a's steps
    for topic in (a, b):
        steps, phrase, sets = _own(topic, wording)
        for i, (step, bare) in enumerate(steps):
            if topic is b and any(alike(sets[i], first) for first in firsts):  # similar(step, a's step)
                continue
            fields["steps"] = phrase or wording.kinds[topic.kind]["steps"].format(x=fields.mentions(topic.slug))
            fields["strategy"] = step
            text = fill(variant(f"{page}|own|{topic.slug}|{i}", wording.own_strategy), fields) + "."
            items.append({"text": text, "cites": [], "topic": topic.slug, "bare": bare})
    return items


_Own = tuple[tuple[tuple[str, str], ...], str, tuple[frozenset, ...]]
_OWN: dict[int, tuple[Topic, Wording, _Own]] = {}


def _own(topic: Topic, wording: Wording) -> _Own:
    """A topic's first steps, each with its capitalised sentence; its kind's `steps` phrase with its
    name ("" for a topic with an abbreviation, named as the page has named it so far); and what
    similar() compares of each step."""
    return per_topic(_OWN, topic, wording, 16384, lambda: _make_own(topic, wording))


def _make_own(topic: Topic, wording: Wording) -> _Own:
    firsts = topic.strategies[:OWN_PER_TOPIC]
    steps = tuple((step, capitalise(step) + ".") for step in firsts)
    sets = tuple(shingles(step) for step in firsts)
    if not steps or topic.name.abbreviation:
        return steps, "", sets
    return steps, wording.kinds[topic.kind]["steps"].format(x=Mentions({topic.slug: topic.name})(topic.slug)), sets


def strategies(
    a: Topic,
    b: Topic,
    direct: list[Edge],
    page: str,
    topics: dict[str, Topic],
    wording: Wording,
    fields: Fields,
    fill_roles: Fill,
    cites: Citations,
) -> tuple[str, list[dict[str, Any]]]:
    """The list's lead sentence ("" when the list is empty) and its steps, none two alike."""
    linked = link_steps(direct, topics, wording, fill_roles, cites) if direct else []
    # A topic's own step that a link's step says already goes (two of one row's steps alike stay,
    # for the proofreader to report: the row is what needs fixing).
    own = own_steps(a, b, page, wording, fields)
    if linked:
        names = tuple(n for t in (a, b) for n in (t.name.text, t.name.short))
        own = [s for s in own if not any(similar(s["text"], x["text"], names) for x in linked)]
    by = {s.pop("topic") for s in own}
    bare = [s.pop("bare") for s in own]
    if not linked and not own:
        return "", []
    if linked:
        block = "links_own" if own else "links"
    else:
        block = "own" if len(by) == 2 else "own_one"
    roles = {"a": a, "b": b}
    if block == "own_one":  # the one topic whose steps the list holds is {a}; its lead names it, not each step
        roles = {"a": a, "b": b} if a.slug in by else {"a": b, "b": a}
        own = [dict(s, text=text) for s, text in zip(own, bare)]
    lead = fill_roles(variant(f"{page}|strategies_lead", wording.page[f"strategies_lead.{block}"]), roles, {})
    return lead, linked + own
