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
        by_letter = per_topic(_PLAIN_FIELDS, topic, self.wording, 65536, dict)
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


def fill(template: str, fields: Fields) -> str:
    """The template filled, capitalised, with a/an and verb agreement corrected."""
    text = capitalise(template.format_map(fields).strip())
    plural = fields.plural
    return fix_articles(agree(text, plural) if plural else text)


def pick(options: list[Any], key: str, count: int) -> list[Any]:
    """Choose `count` distinct options, starting at a deterministic offset."""
    if not options:
        return []
    start = options.index(variant(key, options))
    return [options[(start + i) % len(options)] for i in range(min(count, len(options)))]


class MentionNames(dict):
    """The Name of any topic, looked up when a page first mentions it (a page names a few topics of many)."""

    def __init__(self, topics: dict[str, Topic]):
        super().__init__()
        self.topics = topics

    def __missing__(self, slug: str) -> Name:
        name = self[slug] = self.topics[slug].name
        return name


def filler(mentions: Mentions, wording: Wording):
    """fill(template, roles, extra) for linktext: a sentence with the page's names in page order."""

    def fill_roles(template: str, roles: dict[str, Topic], extra: dict[str, str]) -> str:
        return fill(template, Fields(mentions, roles, wording, extra))

    return fill_roles
