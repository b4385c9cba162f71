"""The pair table: the topics self-joined into every unordered pair once, with the editors' pairs.csv overlaid."""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipeline.data.validate import STATUSES
from pipeline.problems import ContractError, Problem
from pipeline.urls import pair_slug

# Statuses whose pages are on the public site; `review` pages go to the preview, `rejected` nowhere.
PUBLISHED = ("approved", "noindex")


def join_count(n_topics: int) -> int:
    """How many pages the self-join of n topics produces."""
    return n_topics * (n_topics - 1) // 2


def check_scale(n_topics: int, max_pages: int, file: str) -> None:
    """Stop before a join that would produce more pages than configured."""
    n = join_count(n_topics)
    if n > max_pages:
        raise ContractError(
            [
                Problem(
                    file,
                    0,
                    "",
                    f"{n_topics} topics make {n:,} pair pages, more than max_pages = {max_pages:,} "
                    "in the site configuration; raise the limit or remove topics",
                )
            ]
        )


SLUG_CODE = np.int16  # topic codes: 32,767 topics is far beyond max_pages


def pair_index(i: int, j: int, n: int) -> int:
    """Position of pair (i, j), i < j, in the canonical order of n sorted slugs."""
    return i * (2 * n - i - 1) // 2 + (j - i - 1)


def editor_rows(editorial: pd.DataFrame, default_status: str) -> list[dict[str, Any]]:
    """The editors' pairs.csv rows as the renderer reads them, in file order."""
    rows = []
    for r in editorial.to_dict("records") if len(editorial) else ():
        rows.append(
            {
                "a": r["a"],
                "b": r["b"],
                "status": r["status"] or default_status,
                "relationship": r["relationship"] or "",
                "sources": r["sources"] if isinstance(r["sources"], tuple) else (),
                "reviewed_by": r["reviewed_by"] or "",
                "reviewed_on": r["reviewed_on"] or "",
                # An editor's <title> and meta description for the page (empty: the generated ones).
                "title": " ".join((r.get("title") or "").split()),
                "description": " ".join((r.get("description") or "").split()),
                # Only a status an editor chose overrides the quality gate; a row with an empty status
                # (as `python -m pipeline pairs` appends) takes the default like an unlisted pair.
                "editorial": bool(r["status"]),
            }
        )
    return rows


def pair_table(slugs: Sequence[str], editorial: pd.DataFrame, default_status: str) -> pd.DataFrame:
    """The self-join: one row per unordered pair of `slugs` (sorted), in canonical order, with the
    editors' overlay from pairs.csv.

    Columns: `a`, `b` (categoricals over the sorted slugs: two bytes a row each), `row` (the pair's
    row in `editorial`, -1 when pairs.csv does not list it), `status` (categorical: the editor's
    status, else `default_status`) and `editorial` (an editor chose the status). Row k is the pair
    pair_index(i, j, n); at 2,000 topics the 2 million rows take about 12 MB.
    """
    ordered = sorted(slugs)
    n = len(ordered)
    total = n * (n - 1) // 2
    firsts = np.arange(n, dtype=SLUG_CODE)
    i = np.repeat(firsts, n - 1 - firsts.astype(np.int64))
    j = np.empty(total, dtype=SLUG_CODE)
    for a in range(n - 1):  # each first topic's run: its partners in order (no int64 temporaries)
        start = a * (2 * n - a - 1) // 2
        j[start : start + n - 1 - a] = firsts[a + 1 :]
    categories = pd.Index(ordered, dtype=object)
    row = np.full(total, -1, dtype=np.int32)
    status = np.full(total, STATUSES.index(default_status), dtype=np.int8)
    chosen = np.zeros(total, dtype=bool)
    if len(editorial):
        code = {s: k for k, s in enumerate(ordered)}
        ea = editorial["a"].map(code).to_numpy(dtype=np.int64)
        eb = editorial["b"].map(code).to_numpy(dtype=np.int64)
        k = ea * (2 * n - ea - 1) // 2 + (eb - ea - 1)
        row[k] = np.arange(len(editorial), dtype=np.int32)
        given = editorial["status"].fillna("").to_numpy(dtype=object)
        status[k] = [STATUSES.index(s or default_status) for s in given]
        chosen[k] = given != ""
    return pd.DataFrame(
        {
            "a": pd.Categorical.from_codes(i, categories=categories, validate=False),
            "b": pd.Categorical.from_codes(j, categories=categories, validate=False),
            "row": row,
            "status": pd.Categorical.from_codes(status, categories=pd.Index(STATUSES), validate=False),
            "editorial": chosen,
        },
        copy=False,
    )


def table_slice(table: pd.DataFrame, span: tuple[int, int], n: int) -> slice:
    """The table's rows whose first topic is slugs[start:stop] (a contiguous run)."""
    start, stop = span
    return slice(pair_index(start, start + 1, n), pair_index(stop, stop + 1, n) if stop < n else len(table))


def check_url_collisions(slugs: list[str], file: str) -> None:
    """Two different pairs must never share a URL ('a-and-b' + 'c' vs 'a' + 'b-and-c')."""
    if not any("-and-" in s for s in slugs):
        return
    seen: dict[str, tuple[str, str]] = {}
    ordered = sorted(slugs)
    problems = []
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            key = pair_slug(a, b)
            if key in seen:
                problems.append(
                    Problem(
                        file,
                        0,
                        "slug",
                        f"pairs {seen[key]} and {(a, b)} would share the URL '{key}/'; "
                        "give one topic a slug without '-and-'",
                    )
                )
            seen[key] = (a, b)
    if problems:
        raise ContractError(problems)


_blake2b = hashlib.blake2b


def _rank(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")


@dataclass(frozen=True)
class Neighbours:
    """What related-link choice needs to know about every topic, without the whole join."""

    category: dict[str, str]
    editorial: dict[str, tuple[str, ...]]
    rejected: frozenset[tuple[str, str]]
    by_category: dict[str, tuple[str, ...]]
    slugs: tuple[str, ...]
    spread: dict[str, tuple[str, ...]]  # per topic, its SPREAD_POOL partners by rendezvous rank
    # Publishing: the status of every pair an editor gave one, and whether the others are published
    # (the default status is approved or noindex); per topic, its partners in published pairs.
    status: dict[tuple[str, str], str] = field(default_factory=dict)
    default_published: bool = False
    published: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def is_published(self, a: str, b: str) -> bool:
        """Whether the pair page of a and b (in either order) is on the public site."""
        key = (a, b) if a < b else (b, a)
        status = self.status.get(key)
        return self.default_published if status is None else status in PUBLISHED


SPREAD_POOL = 24


def neighbours(topics: pd.DataFrame, editorial: pd.DataFrame, default_status: str = "review") -> Neighbours:
    """Index categories, editor-written partners and what is published, for choosing related links."""
    partners: dict[str, list[str]] = {}
    published: dict[str, list[str]] = {}
    rejected = set()
    statuses: dict[tuple[str, str], str] = {}
    for a, b, status, rel in editorial[["a", "b", "status", "relationship"]].itertuples(index=False):
        if status:
            statuses[(a, b)] = status
        if (status or default_status) in PUBLISHED:
            published.setdefault(a, []).append(b)
            published.setdefault(b, []).append(a)
        if status == "rejected":
            rejected.add((a, b))
        elif rel:
            partners.setdefault(a, []).append(b)
            partners.setdefault(b, []).append(a)
    category = dict(zip(topics["slug"], topics["category"]))
    by_cat: dict[str, list[str]] = {}
    for slug, cat in sorted(category.items()):
        by_cat.setdefault(cat, []).append(slug)
    return Neighbours(
        category=category,
        editorial={k: tuple(sorted(v)) for k, v in partners.items()},
        rejected=frozenset(rejected),
        by_category={k: tuple(v) for k, v in by_cat.items()},
        slugs=tuple(sorted(category)),
        spread=spread_pools(sorted(category)),
        status=statuses,
        default_published=default_status in PUBLISHED,
        published={k: tuple(sorted(v)) for k, v in published.items()},
    )


def spread_pools(slugs: list[str], size: int = SPREAD_POOL) -> dict[str, tuple[str, ...]]:
    """For each topic, the partners with the lowest rendezvous rank: adding or removing one topic
    changes a topic's pool only when that topic ranks among its lowest, so related links stay put."""
    return {
        s: tuple(heapq.nsmallest(size, (t for t in slugs if t != s), key=lambda t, s=s: _rank(f"{s}|{t}")))
        for s in slugs
    }


_SAME: dict[int, tuple[Neighbours, dict[str, _Candidates]]] = {}


@dataclass(frozen=True)
class _Candidates:
    """A topic's related-link candidates, with each slug's UTF-8 bytes (what the rank hashes)."""

    same: tuple[str, ...]  # its category but itself and those an editor rejected it with
    same_bytes: tuple[bytes, ...]
    spread: tuple[str, ...]  # its spread pool, in the pool's order
    spread_bytes: tuple[bytes, ...]


def _candidates(n: Neighbours, topic: str) -> _Candidates:
    """The topic's _Candidates, made once per topic (and Neighbours)."""
    held = _SAME.get(id(n))
    if held is None or held[0] is not n:  # holding n keeps its id unique
        _SAME.clear()
        held = _SAME[id(n)] = (n, {})
    found = held[1].get(topic)
    if found is None:
        rejected = n.rejected
        same = tuple(
            t
            for t in n.by_category.get(n.category[topic], ())
            if t != topic and ((topic, t) if topic < t else (t, topic)) not in rejected
        )
        spread = n.spread.get(topic, ())
        found = held[1][topic] = _Candidates(
            same, tuple(t.encode() for t in same), spread, tuple(t.encode() for t in spread)
        )
    return found


def _by_rank(copy, slugs: tuple[str, ...], encoded: tuple[bytes, ...]) -> list[str]:
    """`slugs` sorted by _rank(f"{page}|{t}") (stably), `copy` copying the hash of the page's prefix:
    the 8 digest bytes, big-endian, sort as the numbers do."""
    keys = []
    for e in encoded:
        h = copy()
        h.update(e)
        keys.append(h.digest())
    return [slugs[i] for i in sorted(range(len(keys)), key=keys.__getitem__)]


def related_partners(
    n: Neighbours, topic: str, other: str, page: str, count: int, published_only: bool = False
) -> list[str]:
    """Partners of `topic` to link from a page: editor-written pairs, then shared category, then a spread.

    With `published_only` (a page of the public site), only partners whose pair page is published.
    (related_partners_plain is the same, written plainly; a test checks the two agree.)"""
    if published_only and not n.default_published:
        return _published_partners(n, topic, other, page, count)
    chosen: list[str] = []
    rejected = n.rejected
    drafts = published_only and bool(n.status)

    def free(t: str) -> bool:
        """Whether partner t may be linked: not this page's topics, not chosen, not rejected, published
        where only published pages may be linked (called for the few partners looked at, not all)."""
        return (
            t != topic
            and t != other
            and t not in chosen
            and (not rejected or ((topic, t) if topic < t else (t, topic)) not in rejected)
            and (not drafts or n.is_published(topic, t))
        )

    for t in n.editorial.get(topic, ()):
        if len(chosen) < count and free(t):
            chosen.append(t)
    if len(chosen) >= count:
        return chosen[:count]
    # A copy of the hash of the page's prefix, updated with each slug, is far cheaper than a new hash.
    copy = _blake2b(f"{page}|".encode(), digest_size=8).copy
    cand = _candidates(n, topic)
    take = (count - len(chosen) + 1) // 2
    if cand.same:
        picked = []
        for t in _by_rank(copy, cand.same, cand.same_bytes):
            if t != other and t not in chosen and (not drafts or n.is_published(topic, t)):
                picked.append(t)
                if len(picked) == take:
                    break
        chosen += picked
    if len(chosen) < count and cand.spread:
        for t in _by_rank(copy, cand.spread, cand.spread_bytes):
            if free(t):
                chosen.append(t)
                if len(chosen) >= count:
                    break
    return chosen[:count]


def related_partners_plain(
    n: Neighbours, topic: str, other: str, page: str, count: int, published_only: bool = False
) -> list[str]:
    """related_partners as first written: each candidate ranked by _rank as it is sorted."""
    if published_only and not n.default_published:
        return _published_partners(n, topic, other, page, count)
    chosen: list[str] = []
    drafts = published_only and bool(n.status)

    def ok(t: str) -> bool:
        return (
            t != topic
            and t != other
            and t not in chosen
            and tuple(sorted((topic, t))) not in n.rejected
            and (not drafts or n.is_published(topic, t))
        )

    def rank(t: str) -> int:
        return _rank(f"{page}|{t}")

    for t in n.editorial.get(topic, ()):
        if ok(t) and len(chosen) < count:
            chosen.append(t)
    take = max(0, (count - len(chosen) + 1) // 2)
    if take:
        same = [
            t
            for t in n.by_category.get(n.category[topic], ())
            if t != topic and tuple(sorted((topic, t))) not in n.rejected and t != other and t not in chosen
        ]
        if drafts:
            same = [t for t in same if n.is_published(topic, t)]
        chosen += sorted(same, key=rank)[:take]
    if len(chosen) < count:
        for t in sorted(n.spread.get(topic, ()), key=rank):
            if len(chosen) >= count:
                break
            if ok(t):
                chosen.append(t)
    return chosen[:count]


def _published_partners(n: Neighbours, topic: str, other: str, page: str, count: int) -> list[str]:
    """related_partners among the few published pairs (unlisted pairs are drafts): editor-written
    ones first, then the same category, then the rest, each group in the page's own hash order."""
    candidates = [t for t in n.published.get(topic, ()) if t != other]
    if not candidates:
        return []
    editorial = set(n.editorial.get(topic, ()))
    category = n.category.get(topic)

    def key(t: str) -> tuple[bool, bool, int]:
        return (t not in editorial, n.category.get(t) != category, _rank(f"{page}|{t}"))

    return sorted(candidates, key=key)[:count]
