"""One topic as pages need it (`Topic`), and the parts of a page that depend on one topic alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pipeline import urls
from pipeline.content.language import Name, make_name, phrase

T = TypeVar("T")


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


def per_topic(memo: dict[int, tuple[Topic, Any, Any]], t: Topic, wording: Any, limit: int, make: Callable[[], T]) -> T:
    """make(), remembered for the topic and wording (keyed by the topic's id; holding both objects
    keeps the ids unique). The memo is emptied when it grows past `limit` topics."""
    held = memo.get(id(t))
    if held is None or held[0] is not t or held[1] is not wording:
        if len(memo) > limit:
            memo.clear()
        held = memo[id(t)] = (t, wording, make())
    return held[2]


def topic_block(t: Topic) -> dict[str, Any]:
    """'What Is X?' and its definition, as pair pages and hubs show a topic."""
    return {
        "slug": t.slug,
        "name": t.name.display,
        "heading": f"What {t.name.verb('Is')} {t.name.heading}?",
        "description": t.description,
        "kind": t.kind,
        "url": urls.hub_url(t.slug),
    }


def about_entity(t: Topic) -> dict[str, str]:
    """The topic as the JSON-LD `about` of a page."""
    kind = "MedicalCondition" if t.kind == "condition" else "Thing"
    return {"@type": kind, "name": t.name.display, "description": t.description}
