"""Short texts about a page made of its own whole sentences: meta descriptions and one-line summaries."""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import combinations

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

    Each lead (or, when every lead is too long, its longest run of whole sentences) is tried with every combination of the `extra` sentences, in order; the first that lands
    in [lo, hi] is used, else the longest that fits under `hi`: a complete shorter text, never a cut.
    """
    leads = [leads] if isinstance(leads, str) else leads
    starts = [lead for lead in leads if len(lead) <= hi] or [_clauses(lead, hi) for lead in leads]
    extras = [e for e in dict.fromkeys(extra) if e and len(e) <= hi][:8]  # at most 8 fillers, 3 at a time
    best = ""
    for start in [s for s in starts if s]:
        for k in range(min(len(extras), 3) + 1):
            for combo in combinations(extras, k):
                text = " ".join((start, *(e for e in combo if e not in start)))
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
