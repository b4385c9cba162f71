"""What an editor's review rests on, as a short hash stored in pairs.csv's `input_hash` at approval.

A review of a pair reads both topics' descriptions and sources and the pair's own relationship
text and sources. `input_hash` digests each of those three parts separately (4 hex digits each, 12
in all), so when a stored hash no longer matches, `changed_parts` can say which part was edited
since the review. Whitespace at the ends of a text, line-ending style and the order and spacing of
sources do not count as changes; any other edit does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from hashlib import blake2b

HASH_LENGTH = 12
PART = HASH_LENGTH // 3
_HEX = re.compile(r"^[0-9a-f]{12}$")
# The three parts, in the hash's order: what each is made of and how to name it to an editor.
PARTS = ("topic_a", "topic_b", "pair")


def _sources(value) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and value != value):  # None or NaN: no sources
        return ()
    if isinstance(value, str):
        return tuple(sorted(value.split()))
    return tuple(sorted(str(v).strip() for v in value if str(v).strip()))


def _text(value) -> str:
    if not isinstance(value, str):
        return ""
    return "\n".join(line.rstrip() for line in value.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n"))


def _digest(text: str, sources: tuple[str, ...]) -> str:
    data = text.encode("utf-8") + b"\0" + "\n".join(sources).encode("utf-8")
    return blake2b(data, digest_size=8).hexdigest()[:PART]


def part_hashes(topic_a: Mapping, topic_b: Mapping, pair: Mapping) -> tuple[str, str, str]:
    """The three 4-digit digests: topic A's description+sources, topic B's, the pair's relationship+sources."""
    return (
        _digest(_text(topic_a.get("description")), _sources(topic_a.get("sources"))),
        _digest(_text(topic_b.get("description")), _sources(topic_b.get("sources"))),
        _digest(_text(pair.get("relationship")), _sources(pair.get("sources"))),
    )


def input_hash(topic_a: Mapping, topic_b: Mapping, pair: Mapping) -> str:
    """12 hex digits over both topics' description and sources and the pair's relationship and
    sources; topic_a and topic_b in the pair's canonical order (slug a < slug b)."""
    return "".join(part_hashes(topic_a, topic_b, pair))


def is_input_hash(value: str) -> bool:
    """Whether `value` is written as input_hash writes (12 lower-case hex digits)."""
    return bool(_HEX.match(value))


def changed_parts(stored: str, topic_a: Mapping, topic_b: Mapping, pair: Mapping) -> list[str]:
    """Which of "topic_a", "topic_b", "pair" changed since `stored` was taken ([] if none did)."""
    now = part_hashes(topic_a, topic_b, pair)
    return [name for k, name in enumerate(PARTS) if stored[k * PART : (k + 1) * PART] != now[k]]
