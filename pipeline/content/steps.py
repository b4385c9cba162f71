"""The "Practical Strategies When Dealing with Both" list of a pair page."""

from __future__ import annotations

from pipeline.content.fill import Fields, fill, pick
from pipeline.content.language import variant
from pipeline.content.proofread import similar
from pipeline.content.topic import Topic
from pipeline.content.wording import Wording, symmetric_keys


def strategies(a: Topic, b: Topic, x: Topic, page: str, wording: Wording, fields: Fields) -> list[dict[str, str]]:
    items = []
    own = wording.own_strategy
    for topic in (a, b):
        for i, s in enumerate(topic.strategies[:2]):
            if any(similar(s, t) for t in a.strategies[:2] if topic is b):
                continue  # the first topic gives the same advice: say it once
            fields["topic"] = fields.mentions(topic.slug)
            fields["strategy"] = s
            items.append({"title": "", "text": fill(variant(f"{page}|own|{topic.slug}|{i}", own), fields) + "."})
    y_kind = b.kind if x is a else a.kind
    keys = symmetric_keys(x.kind, y_kind)
    steps: list[dict[str, str]] = []
    wanted = max(2, 6 - len(items))
    for k in keys:
        if len(steps) >= wanted:  # later keys only add steps after the ones shown
            break
        for step in pick(wording.strategies.get(k, []), f"{page}|steps|{k}", 2 if k != "*+*" else 3):
            if step["title"] not in {s["title"] for s in steps}:
                steps.append(step)
    for step in steps[:wanted]:
        items.append({"title": step["title"], "text": fill(step["text"], fields)})
    return items
