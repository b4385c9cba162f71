"""Short texts about a page made of its own whole sentences: meta descriptions and one-line summaries."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from itertools import combinations, islice

from pipeline.content.language import capitalise, split_sentences


def paragraphs(text: str) -> list[str]:
    """An editor's text as paragraphs (blank-line separated), each on one line."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


@lru_cache(maxsize=16384)
def first_sentence(text: str) -> tuple[str, ...]:
    """split_sentences(text)[:1] of a topic's description, split once per description."""
    return tuple(split_sentences(text)[:1])


def meta_description(leads: str | list[str], extra: list[str], lo: int = 120, hi: int = 158) -> str:
    """A 120–160 character summary made of the page's own whole sentences, never cut with "…".

    Each lead (or, when every lead is too long, its longest run of whole sentences) is tried with every
    combination of up to three `extra` sentences, in order, then the extras alone; the first that lands in
    [lo, hi] is used, else the longest that fits under `hi`: a complete shorter text, never a cut.
    (meta_description_plain says it plainly; this one counts lengths before it joins any text.)
    """
    leads = [leads] if isinstance(leads, str) else leads
    starts = [lead for lead in leads if len(lead) <= hi] or [_clauses(lead, hi) for lead in leads]
    extras = [e for e in dict.fromkeys(extra) if e and len(e) <= hi][:10]  # at most 10 fillers, 3 at a time
    if any(t != t.strip() for t in (*starts, *extras)):  # lengths below assume no space at either end
        return meta_description_plain(leads, extra, lo, hi)
    best, best_len = None, 0  # the first longest text under hi: (start, k, which combination)
    for start in [*(s for s in starts if s), ""]:
        # A sentence adds its length and a space, unless the start says it already ("" says none).
        widths = [0 if e in start else len(e) + 1 for e in extras]
        base = len(start) if start else -1  # the extras alone: no space before the first
        low, high = lo - base, hi - base  # what the sentences added may come to
        for k in range(0 if start else 1, min(len(extras), 3) + 1):
            added = list(map(sum, combinations(widths, k)))
            at = next((i for i, n in enumerate(added) if low <= n <= high), -1)
            if at >= 0:
                return _joined(start, extras, k, at)
            longest = max((n for n in added if n <= high), default=-base - 1)
            if base + longest > best_len:
                best, best_len = (start, k, added.index(longest)), base + longest
    if best is None:
        return next((e for e in extras), "")
    start, k, at = best
    return _joined(start, extras, k, at)


def _joined(start: str, extras: list[str], k: int, at: int) -> str:
    """The text of the at-th combination of k extras after `start` (extras the start says left out)."""
    combo = next(islice(combinations(extras, k), at, None))
    return " ".join((start, *(e for e in combo if e not in start))).strip()


def meta_description_plain(leads: str | list[str], extra: list[str], lo: int = 120, hi: int = 158) -> str:
    """meta_description as first written: every combination joined, then measured."""
    leads = [leads] if isinstance(leads, str) else leads
    starts = [lead for lead in leads if len(lead) <= hi] or [_clauses(lead, hi) for lead in leads]
    extras = [e for e in dict.fromkeys(extra) if e and len(e) <= hi][:10]
    best = ""
    for start in [*(s for s in starts if s), ""]:
        for k in range(0 if start else 1, min(len(extras), 3) + 1):
            for combo in combinations(extras, k):
                text = " ".join((start, *(e for e in combo if e not in start))).strip()
                if lo <= len(text) <= hi:
                    return text
                if len(best) < len(text) <= hi:
                    best = text
    return best or next((e for e in extras), "")


def _clauses(text: str, hi: int) -> str:
    """The longest run of whole sentences of `text` within `hi` characters; "" when none fits
    (a sentence cut at a comma can say something untrue, so none is)."""
    text = " ".join(text.split())
    out = ""
    for sentence in split_sentences(text):
        if len(f"{out} {sentence}".strip()) > hi:
            break
        out = f"{out} {sentence}".strip()
    return out


def pair_summary(relationship: str) -> str:
    """A pair page's one-line summary for hubs and the home page: the first sentence of its editor's text."""
    first = paragraphs(relationship)[:1]
    return capitalise(split_sentences(first[0])[0]) if first and split_sentences(first[0]) else ""


# The [description] tables of page.toml and the pages each may be said of.
PAIR_GROUPS = ("pair", "pair_linked")  # every pair page; pages that state sourced links between the two
# Guides that list pair pages, with effects, with strategies; every guide (tried in this order).
HUB_GROUPS = ("hub_pairs", "hub_effects", "hub_strategies", "hub")


@lru_cache(maxsize=4096)
def _keys(group: str, kinds: tuple[str, ...]) -> tuple[str, ...]:
    """Lookup order within a table: most specific first, as in strategies.toml."""
    if group.startswith("pair"):
        x, y = kinds
        return (f"{x}+{y}", f"{x}+*", f"*+{y}", "*+*")
    return (kinds[0], "*")


def description_fillers(
    tables: dict[str, dict[str, list[str]]],
    groups: Iterable[str],
    kinds: tuple[str, ...],
    fill: Callable[[str], str],
) -> list[str]:
    """The sentences of every matching key of each group, most specific first, filled in, once each."""
    out: list[str] = []
    for group in groups:
        table = tables.get(group, {})
        for key in _keys(group, kinds):
            for template in table.get(key, ()):
                text = fill(template)
                if text not in out:
                    out.append(text)
    return out


def hub_groups(pairs: int, effects: bool, strategies: bool) -> list[str]:
    """The [description] tables true of a topic's guide, in the order they are tried."""
    return [g for g, has in zip(HUB_GROUPS, (pairs > 0, effects, strategies, True)) if has]


def count_phrase(n: int, one: str, many: str) -> str:
    """'one other topic', '3 other topics'."""
    return f"one {one}" if n == 1 else f"{n:,} {many}"
