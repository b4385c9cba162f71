"""Match search queries and page URLs from the demand exports to topics and pairs.

A query names a topic by its name, its `name_in_text`, its abbreviation or its slug's words, and by
simple variants (singular or plural of the last word, the hyphenated words written together) that
no other topic shares, so a variant never makes a false match. The two topics may come in either
order and with any words around them: "anxiety and depression", "depression vs anxiety", "does
ptsd affect sleep", "anxiety depression". A query naming exactly two topics counts toward their
pair; one naming one topic counts toward that topic (its hub) and, weakly, toward its pairs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from pipeline import urls
from pipeline.data.demand import Row, read_demand

_NOT_WORD = re.compile(r"[^a-z0-9]+")


# ASCII: letters and digits kept (lower-cased), apostrophes dropped, '&' read as ' and ', the rest a space.
_ASCII = str.maketrans(
    {
        chr(c): (chr(c).lower() if chr(c).isalnum() else "" if chr(c) == "'" else " and " if chr(c) == "&" else " ")
        for c in range(128)
    }
)


def normalise(text: str) -> str:
    """Lower case, accents and punctuation gone, '&' read as 'and': 'Déjà-Vu & Stress' → 'deja vu and stress'."""
    if text.isascii():  # most queries: one translate instead of the Unicode steps
        return " ".join(text.translate(_ASCII).split())
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower().replace("&", " and ")
    text = text.replace("'", "").replace("’", "")
    return _NOT_WORD.sub(" ", text).strip()


def _variants(phrase: str) -> set[str]:
    words = phrase.split()
    if not words:
        return set()
    last = words[-1]
    out = set()
    if len(last) >= 4 and last.isalpha():
        if last.endswith("s") and not last.endswith("ss"):
            out.add(" ".join([*words[:-1], last[:-1]]))
        else:
            out.add(" ".join([*words[:-1], last + "s"]))
    if len(words) > 1 and len(phrase) >= 8:
        out.add("".join(words))  # 'people pleasing' → 'peoplepleasing'
    return out


@dataclass(frozen=True)
class Names:
    """Every phrase that names a topic (normalised) → its slug, and the longest phrase in words."""

    phrases: dict[str, str]
    longest: int
    first: frozenset[str] = frozenset()  # the first word of every phrase


def topic_names(topics: pd.DataFrame) -> Names:
    """The phrases that name each topic: its own names first, then variants no other topic shares."""
    own: dict[str, set[str]] = {}
    variants: dict[str, set[str]] = {}
    for row in topics.to_dict("records"):
        slug = row["slug"]
        names = {normalise(str(row.get("name") or "")), normalise(slug.replace("-", " "))}
        in_text = normalise(str(row.get("name_in_text") or ""))
        names |= {in_text, in_text.removeprefix("the ")}
        abbreviation = normalise(str(row.get("abbreviation") or ""))
        if len(abbreviation) >= 2:
            names.add(abbreviation)
        names.discard("")
        for name in names:
            own.setdefault(name, set()).add(slug)
        for name in names:
            for v in _variants(name):
                variants.setdefault(v, set()).add(slug)
    phrases = {p: next(iter(s)) for p, s in own.items() if len(s) == 1}
    for p, s in variants.items():
        if len(s) == 1 and p not in own:
            phrases[p] = next(iter(s))
    longest = max((len(p.split()) for p in phrases), default=1)
    return Names(phrases, longest, frozenset(p.split()[0] for p in phrases))


def mentioned(query: str, names: Names) -> list[str]:
    """The topics a normalised query names, in order, each once (longest phrase first at each word)."""
    words = query.split()
    found: list[str] = []
    k = 0
    first = names.first
    while k < len(words):
        if words[k] not in first:  # most words of most queries
            k += 1
            continue
        for n in range(min(names.longest, len(words) - k), 0, -1):
            slug = names.phrases.get(" ".join(words[k : k + n]))
            if slug is not None:
                if slug not in found:
                    found.append(slug)
                k += n
                break
        else:
            k += 1
    return found


# Per target, per query: (demand, file, unit). Where two files hold one query, the larger number counts.
Entries = dict[str, tuple[int, str, str]]


@dataclass
class Demand:
    """What the exports say, matched: toward pairs (a, b), toward topics (hubs), toward page URLs."""

    pairs: dict[tuple[str, str], Entries] = field(default_factory=dict)
    topics: dict[str, Entries] = field(default_factory=dict)
    pages: dict[str, Entries] = field(default_factory=dict)  # site-relative URL → its rows
    page_exports: list[str] = field(default_factory=list)  # the Pages.csv files read
    notes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.pairs or self.topics or self.pages or self.page_exports)


def total(entries: Entries | None) -> int:
    return sum(v for v, _, _ in entries.values()) if entries else 0


def describe(entries: Entries | None) -> str:
    """'5,400 searches/month (semrush.csv); 2,000 impressions (Queries.csv)'."""
    if not entries:
        return ""
    by_unit: dict[str, tuple[int, set[str]]] = {}
    for value, file, unit in entries.values():
        n, files = by_unit.get(unit, (0, set()))
        by_unit[unit] = (n + value, files | {file})
    return "; ".join(f"{n:,} {unit} ({', '.join(sorted(files))})" for unit, (n, files) in sorted(by_unit.items()))


def _page_key(url: str, base_path: str, slugs: set[str]) -> str | None:
    """The site-relative URL of a page URL from an export, canonical for pairs; None if not ours."""
    path = urlsplit(url.strip()).path if "://" in url else url.strip()
    if not path.startswith(base_path):
        return None
    rel = path[len(base_path) :].lstrip("/")
    if rel and not rel.endswith((".html", ".xml", ".txt", "/")):
        rel += "/"
    rel = rel.removesuffix("index.html")
    if rel.startswith("topics/"):
        return rel if rel[len("topics/") : -1] in slugs else None
    key = rel.rstrip("/")
    start = key.find("-and-")
    while start > 0:
        a, b = key[:start], key[start + 5 :]
        if a in slugs and b in slugs:
            return urls.pair_url(*sorted((a, b)))
        start = key.find("-and-", start + 1)
    return rel


def _put(where: dict, key, query: str, row: Row) -> None:
    entries = where.setdefault(key, {})
    held = entries.get(query)
    if held is None or row.value > held[0]:
        entries[query] = (row.value, row.file, row.unit)


def load_demand(data_dir: Path, topics: pd.DataFrame, base_url: str) -> Demand:
    """Read data_dir/demand/ and match every row; raises ContractError on an unknown or bad file."""
    names = topic_names(topics)
    slugs = set(topics["slug"])
    base_path = urlsplit(base_url).path.rstrip("/") + "/"
    demand = Demand()
    page_files: set[str] = set()

    def keep(row: Row):
        if row.pages:
            page_files.add(row.file)
            key = _page_key(row.query, base_path, slugs)
            return ("page", key, row.query, row) if key is not None else None
        if not row.value:
            return None
        topics_named = mentioned(normalise(row.query), names)
        if len(topics_named) == 2:
            return ("pair", tuple(sorted(topics_named)), normalise(row.query), row)
        if len(topics_named) == 1:
            return ("topic", topics_named[0], normalise(row.query), row)
        return None

    kept, demand.notes = read_demand(data_dir, keep)
    where: Mapping[str, dict] = {"pair": demand.pairs, "topic": demand.topics, "page": demand.pages}
    for kind, key, query, row in kept:
        _put(where[kind], key, query, row)
    demand.page_exports = sorted(page_files)
    return demand
