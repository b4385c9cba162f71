"""Filling the wording's sentence templates with a page's topic names, in page order.

`{a}`, `{A}`, `{a_aspect}` … name a topic in one role (see templates/wording/kinds.toml); `Mentions`
introduces an abbreviation once, so fields are filled in the order the page reads them.
"""

from __future__ import annotations

from typing import Any

from pipeline.content.language import Mentions, Name, agree, capitalise, fix_articles, variant
from pipeline.content.topic import Topic, per_topic
from pipeline.content.wording import KIND_FIELDS, Wording

_PLAIN_FIELDS: dict[int, tuple[Topic, Wording, dict[str, dict[str, str]]]] = {}


class Fields(dict):
    """Fills sentence placeholders in order, so abbreviations are introduced once."""

    __slots__ = ("mentions", "roles", "wording", "plural")

    def __init__(self, mentions: Mentions, roles: dict[str, Topic], wording: Wording, extra: dict[str, str]):
        # Without an abbreviation a topic's fields read the same everywhere: made once per topic
        # and role letter (and for the roles together, once per page), and copied in at once.
        # The names verbs must agree with are the same for every sentence of the page.
        plain, self.plural = _role_fields(roles, wording)
        if extra:
            super().__init__(extra)
            self.update(plain)
        else:
            super().__init__(plain)
        self.mentions, self.roles, self.wording = mentions, roles, wording

    def __missing__(self, key: str) -> str:
        # A topic with an abbreviation is named differently once introduced: filled in page order.
        letter, _, part = key.partition("_")
        return _field(self.mentions, self.wording, self.roles[letter.lower()], part, letter.isupper())


_ROLE_FIELDS: dict[tuple[Any, ...], tuple[tuple[Topic, ...], Wording, dict[str, str], list[str]]] = {}


def _role_fields(roles: dict[str, Topic], wording: Wording) -> tuple[dict[str, str], list[str]]:
    """The fields of the roles' topics without an abbreviation, and the plural names of all of them
    (the names verbs agree with), for these roles (remembered for the last few role sets; holding
    the topics keeps their ids unique)."""
    topics = tuple(roles.values())
    key = (*roles, *map(id, topics))
    held = _ROLE_FIELDS.get(key)
    if held is None or held[0] != topics or held[1] is not wording:  # equal topics have equal fields
        fields: dict[str, str] = {}
        for letter, topic in roles.items():
            if not topic.name.abbreviation:
                fields.update(_plain(letter, topic, wording))
        plural = [n for t in roles.values() if t.name.plural for n in (t.name.text, t.name.short)]
        if len(_ROLE_FIELDS) > 64:
            _ROLE_FIELDS.clear()
        held = _ROLE_FIELDS[key] = (topics, wording, fields, plural)
    return held[2], held[3]


def _plain(letter: str, topic: Topic, wording: Wording) -> dict[str, str]:
    """Every field of a topic without an abbreviation in one role: '{a}', '{A}', '{a_aspect}' …"""
    by_letter = per_topic(_PLAIN_FIELDS, topic, wording, 65536, dict)
    fields = by_letter.get(letter)
    if fields is None:
        phrases = wording.kinds.get(topic.kind, {})
        fields = by_letter[letter] = {}
        mentions = Mentions({topic.slug: topic.name})
        for part in ("", *(p for p in KIND_FIELDS if p in phrases)):
            suffix = f"_{part}" if part else ""
            fields[letter + suffix] = _field(mentions, wording, topic, part, False)
            fields[letter.upper() + suffix] = _field(mentions, wording, topic, part, True)
    return fields


def _field(mentions: Mentions, wording: Wording, topic: Topic, part: str, capital: bool) -> str:
    if not part:
        return mentions(topic.slug, capital)
    phrases = wording.kinds[topic.kind]
    if f"{part}_bare" in phrases and not topic.name.text.lower().startswith("the "):
        part = f"{part}_bare"
    text = phrases[part].format(x=mentions(topic.slug))
    return capitalise(text) if capital else text


def fill(template: str, fields: Fields) -> str:
    """The template filled, capitalised, with a/an and verb agreement corrected."""
    raw = template.format_map(fields)
    done = _FILLED.get(raw)
    if done is None:  # capitalised, and with its articles fixed: the same for the same text
        text = capitalise(raw.strip())
        if len(_FILLED) >= 4096:
            _FILLED.clear()
        done = _FILLED[raw] = (text, fix_articles(text))
    plural = fields.plural
    if plural:
        agreed = agree(done[0], plural)
        if agreed != done[0]:
            return fix_articles(agreed)
    return done[1]


def fill_plain(template: str, fields: Fields) -> str:
    """fill() as first written, without remembering (a test checks that the two agree)."""
    text = capitalise(template.format_map(fields).strip())
    plural = fields.plural
    return fix_articles(agree(text, plural) if plural else text)


# fill()'s filled texts (before verb agreement, which depends on the page), capitalised and with
# their articles fixed: a sentence about one topic, or with no topic in it, recurs on many pages.
_FILLED: dict[str, tuple[str, str]] = {}


def pick(options: list[Any], key: str, count: int) -> list[Any]:
    """Choose `count` distinct options, starting at a deterministic offset."""
    if not options:
        return []
    start = options.index(variant(key, options))
    return [options[(start + i) % len(options)] for i in range(min(count, len(options)))]


class MentionNames(dict):
    """The Name of any topic, looked up when a page first mentions it (a page names a few topics of many)."""

    __slots__ = ("topics",)

    def __init__(self, topics: dict[str, Topic]):
        super().__init__()
        self.topics = topics

    def __missing__(self, slug: str) -> Name:
        name = self[slug] = self.topics[slug].name
        return name


def filler(mentions: Mentions, wording: Wording):
    """fill(template, roles, extra) for linktext: a sentence with the page's names in page order."""

    made: dict[tuple[Any, ...], tuple[tuple[Topic, ...], Fields]] = {}  # fill() never changes a Fields

    def fill_roles(template: str, roles: dict[str, Topic], extra: dict[str, str]) -> str:
        if extra:
            return fill(template, Fields(mentions, roles, wording, extra))
        topics = tuple(roles.values())
        key = (*roles, *map(id, topics))
        held = made.get(key)
        if held is None or held[0] != topics:
            held = made[key] = (topics, Fields(mentions, roles, wording, extra))
        return fill(template, held[1])

    return fill_roles
