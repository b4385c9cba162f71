"""How much drafts of one kind pair say in the same words: mean 5-gram Jaccard, names masked.

For each pair of kinds (condition × practice, …), a deterministic sample of its draft pages (no
editor's text) is taken; each page's link section and effects section become sets of five-word
shingles with the page's two topic names replaced by placeholders; the Jaccard similarity of every
two pages of the same kind pair is averaged. A value near 1 means the pages only swap names; the
goal is under 0.25. Pure: the caller makes the contexts.

Unconnected drafts (nothing links their two topics: no link, bridge, chain or shared item) all carry
the same honest "not known to be directly connected" sentence; measured with the others they would
make every kind pair look alike. So the measure is over connected drafts only, and the unconnected
ones are counted instead: how many drafts have nothing to say (low-value pages).
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from hashlib import blake2b

N = 5
PAGES_PER_KIND_PAIR = (
    16  # sampled drafts per pair of kinds (120 comparisons each, fewer once unconnected ones are left out)
)
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
    """The measure for one build: overall means over connected drafts, and how many drafts are unconnected."""

    link: float | None  # mean over kind pairs of the connected drafts' link sections' mean Jaccard
    effects: float | None  # the same for "How X Affects Y" (drafts that have the section)
    pages: int  # connected drafts sampled
    kind_pairs: int  # kind pairs with at least two sampled connected drafts
    worst: tuple[str, float] | None  # the kind pair whose link sections are most alike
    drafts: int = 0  # every draft of the build (pairs without an editor's text)
    unconnected: int = 0  # of those, the drafts nothing links (low-value: one honest sentence)

    @property
    def unconnected_share(self) -> float:
        return self.unconnected / self.drafts if self.drafts else 0.0

    def lines(self) -> list[str]:
        """What the build summary prints."""
        out = []
        if self.link is not None:
            effects = f"{self.effects:.2f}" if self.effects is not None else "–"
            out.append(
                f"  sameness of connected drafts (mean 5-gram Jaccard within a kind pair, names masked; goal < {GOAL}): "
                f"link {self.link:.2f}, effects {effects} ({self.pages:,} drafts, {self.kind_pairs} kind pairs)"
            )
            out += [f"    most alike: {self.worst[0]} {self.worst[1]:.2f}"] if self.worst else []
        if self.drafts:
            out.append(
                f"  unconnected drafts (nothing links the two topics; low-value): {self.unconnected:,} of "
                f"{self.drafts:,} ({self.unconnected_share:.0%})"
            )
        return out


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
        chosen = list(itertools.islice((p for p in candidates if not skip(*p)), PAGES_PER_KIND_PAIR))
        if chosen:
            out[key] = chosen
    return out


def measure(samples: dict[str, list[tuple]], drafts: int = 0, unconnected: int = 0) -> Sameness:
    """The measure from each kind pair's drafts: (link text, effects text, names to mask[, low value])
    per page; low-value (unconnected) drafts are left out. `drafts` and `unconnected` count the build's."""
    link_means, effect_means, pages = {}, [], 0
    for key, sampled in samples.items():
        drafts_ = [d[:3] for d in sampled if not (len(d) > 3 and d[3])]
        pages += len(drafts_)
        link = mean_jaccard([shingles(text, names) for text, _, names in drafts_])
        if link is not None:
            link_means[key] = link
        with_effects = [shingles(e, names) for _, e, names in drafts_ if e]
        effects = mean_jaccard(with_effects)
        if effects is not None:
            effect_means.append(effects)
    if not link_means:
        return Sameness(None, None, pages, 0, None, drafts, unconnected)
    worst = max(link_means.items(), key=lambda kv: kv[1])
    return Sameness(
        sum(link_means.values()) / len(link_means),
        sum(effect_means) / len(effect_means) if effect_means else None,
        pages,
        len(link_means),
        worst,
        drafts,
        unconnected,
    )


def sample_connected(topics: dict, graph, skip: Callable[[str, str], bool]) -> dict[str, list[tuple[str, str]]]:
    """sample_pairs over the connected drafts only (those `skip` keeps that something links)."""
    from pipeline.content.linktext import find

    def left_out(a: str, b: str) -> bool:
        return skip(a, b) or find(topics[a], topics[b], graph).carries == "none"

    return sample_pairs({s: t.kind for s, t in topics.items()}, left_out)


def count_unconnected(topics: dict, graph, skip: Callable[[str, str], bool]) -> tuple[int, int]:
    """(drafts, unconnected): every pair (a < b) that `skip` does not leave out, and those of them
    nothing links: no direct link, no topic both link to (bridges and chains go through one) and no
    effect or step both rows list, as content.linktext.find decides, from sets made once per topic."""
    near = {slug: graph.neighbours(slug) - {slug} for slug in topics}
    effects = {slug: {x.lower() for x in t.effects} for slug, t in topics.items()}
    steps = {slug: {x.lower() for x in t.strategies} for slug, t in topics.items()}
    drafts = unconnected = 0
    for a, b in itertools.combinations(sorted(topics), 2):
        if skip(a, b):
            continue
        drafts += 1
        direct = b in near[a] and any(e.relation != "editor" for e in graph.direct(a, b))  # an editor's page: its own
        linked = direct or not near[a].isdisjoint(near[b] - {a})
        unconnected += not (linked or effects[a] & effects[b] or steps[a] & steps[b])
    return drafts, unconnected
