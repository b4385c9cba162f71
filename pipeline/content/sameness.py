"""How much drafts of one kind pair say in the same words: mean 5-gram Jaccard, names masked.

For each pair of kinds (condition × practice, …), a deterministic sample of its draft pages (no
editor's text) is taken; each page's link section and effects section become sets of five-word
shingles with the page's two topic names replaced by placeholders; the Jaccard similarity of every
two pages of the same kind pair is averaged. A value near 1 means the pages only swap names; the
goal is under 0.25. Pure: the caller makes the contexts.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from hashlib import blake2b

N = 5
PAGES_PER_KIND_PAIR = 16  # sampled drafts per pair of kinds (120 comparisons each)
GOAL = 0.25
_WORD = re.compile(r"[\w’'-]+")


def shingles(text: str, names: Iterable[str], n: int = N) -> frozenset[int]:
    """The text's n-word shingles (hashed), every topic name replaced by the same placeholder word."""
    low = text.lower()
    for name in sorted({x.lower() for x in names if x}, key=len, reverse=True):
        low = low.replace(name, " name ")
    words = _WORD.findall(low)
    grams = (" ".join(words[i : i + n]) for i in range(max(0, len(words) - n + 1)))
    return frozenset(int.from_bytes(blake2b(g.encode(), digest_size=8).digest(), "big") for g in grams)


def mean_jaccard(sets: list[frozenset[int]]) -> float | None:
    """Mean Jaccard similarity over every two of `sets` (pairs where both are empty are skipped)."""
    values = [len(x & y) / len(x | y) for x, y in itertools.combinations(sets, 2) if x or y]
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class Sameness:
    """The measure for one build: overall means and the number of drafts sampled."""

    link: float | None  # mean over kind pairs of the link sections' mean Jaccard
    effects: float | None  # the same for "How X Affects Y" (drafts that have the section)
    pages: int  # drafts sampled
    kind_pairs: int  # kind pairs with at least two sampled drafts
    worst: tuple[str, float] | None  # the kind pair whose link sections are most alike

    def lines(self) -> list[str]:
        """What the build summary prints."""
        if self.link is None:
            return []
        effects = f"{self.effects:.2f}" if self.effects is not None else "–"
        line = (
            f"  sameness of drafts (mean 5-gram Jaccard within a kind pair, names masked; goal < {GOAL}): "
            f"link {self.link:.2f}, effects {effects} ({self.pages:,} drafts, {self.kind_pairs} kind pairs)"
        )
        return [line] + ([f"    most alike: {self.worst[0]} {self.worst[1]:.2f}"] if self.worst else [])


def sample_pairs(kinds: dict[str, str], skip: Callable[[str, str], bool]) -> dict[str, list[tuple[str, str]]]:
    """Up to PAGES_PER_KIND_PAIR pairs (a < b) per pair of kinds, chosen by a seeded shuffle."""
    by_kind: dict[str, list[str]] = {}
    for slug in sorted(kinds):
        by_kind.setdefault(kinds[slug], []).append(slug)
    out: dict[str, list[tuple[str, str]]] = {}
    for ka, kb in itertools.combinations_with_replacement(sorted(by_kind), 2):
        key = f"{ka} × {kb}"
        if ka == kb:
            candidates = list(itertools.combinations(by_kind[ka], 2))
        else:
            candidates = [tuple(sorted(p)) for p in itertools.product(by_kind[ka], by_kind[kb])]
        random.Random(key).shuffle(candidates)
        chosen = [p for p in candidates if not skip(*p)][:PAGES_PER_KIND_PAIR]
        if chosen:
            out[key] = chosen
    return out


def measure(samples: dict[str, list[tuple[str, str, list[str]]]]) -> Sameness:
    """The measure from each kind pair's drafts: (link text, effects text, names to mask) per page."""
    link_means, effect_means, pages = {}, [], 0
    for key, drafts in samples.items():
        pages += len(drafts)
        link = mean_jaccard([shingles(text, names) for text, _, names in drafts])
        if link is not None:
            link_means[key] = link
        with_effects = [shingles(e, names) for _, e, names in drafts if e]
        effects = mean_jaccard(with_effects)
        if effects is not None:
            effect_means.append(effects)
    if not link_means:
        return Sameness(None, None, pages, 0, None)
    worst = max(link_means.items(), key=lambda kv: kv[1])
    return Sameness(
        sum(link_means.values()) / len(link_means),
        sum(effect_means) / len(effect_means) if effect_means else None,
        pages,
        len(link_means),
        worst,
    )
