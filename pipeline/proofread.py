"""Find the known wording faults in generated sentences, so the build can warn about them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipeline.language import with_article

_DOUBLED = re.compile(r"\b(\w+)\s+\1\b", re.IGNORECASE)
_STACKED = re.compile(r"\b(?:the|a|an)\s+(?:the|a|an)\b", re.IGNORECASE)
_ARTICLE = re.compile(r"\b(a|an)\s+([\w’'-]+)", re.IGNORECASE)
# Nouns that only fit some kinds: "symptoms of the amygdala" is a fault.
KIND_NOUNS = {
    "symptoms": {"condition"},
    "diagnosis": {"condition"},
    "disorder": {"condition"},
}
_ALLOWED_DOUBLES = {"that", "had", "is"}


@dataclass(frozen=True)
class Fault:
    """One wording fault: which kind, and the sentence it is in."""

    kind: str
    sentence: str
    detail: str


@lru_cache(maxsize=8192)
def _name_rules(
    text: str, kind: str, bare: str
) -> tuple[tuple[tuple[str, str, re.Pattern], ...], tuple[str, re.Pattern] | None]:
    """The kind-noun and missing-article patterns for one topic name, compiled once."""
    nouns = tuple(
        (noun, noun + " ", re.compile(rf"\b{noun} (?:of|in) {re.escape(text.lower())}\b"))
        for noun, kinds in KIND_NOUNS.items()
        if kind not in kinds
    )
    article = (bare.lower(), re.compile(rf"(?<!the )\b{re.escape(bare.lower())}\b")) if bare != text else None
    return nouns, article


def check_sentence(sentence: str, names: dict[str, tuple[str, str]]) -> list[Fault]:
    """Faults in one sentence; `names` maps each topic's text name to (kind, name without article)."""
    faults = []
    for m in _DOUBLED.finditer(sentence):
        if m.group(1).lower() not in _ALLOWED_DOUBLES:
            faults.append(Fault("doubled word", sentence, m.group(0)))
    for m in _ARTICLE.finditer(sentence):
        want = with_article(m.group(2)).split(" ", 1)[0]
        if want.lower() != m.group(1).lower():
            faults.append(Fault("a/an", sentence, f"{m.group(0)!r} should be '{want} {m.group(2)}'"))
    low = sentence.lower()
    for text, (kind, bare) in names.items():
        nouns, article = _name_rules(text, kind, bare)
        for noun, probe, pattern in nouns:
            # The substring test is only a fast pre-check; the pattern decides.
            if probe in low and pattern.search(low):
                faults.append(Fault("kind mismatch", sentence, f"'{noun}' of {text} ({kind})"))
        if article is not None and article[0] in low and article[1].search(low):
            faults.append(Fault("missing article", sentence, f"'{bare}' without 'the'"))
    for m in _STACKED.finditer(sentence):
        faults.append(Fault("doubled article", sentence, m.group(0)))
    for open_, close in (("(", ")"), ("“", "”"), ("[", "]")):
        if sentence.count(open_) != sentence.count(close):
            faults.append(Fault("unbalanced", sentence, f"{open_}…{close}"))
    if sentence and sentence[0].isalpha() and sentence[0].islower():
        faults.append(Fault("lower-case start", sentence, sentence[:20]))
    return faults


def topic_names(*topics) -> dict[str, tuple[str, str]]:
    """Map each topic's text name to its kind and its name without a leading article."""
    out = {}
    for t in topics:
        text = t.name.text
        bare = text[4:] if text.lower().startswith("the ") else text
        out[text] = (t.kind, bare)
    return out
