"""Nothing lost between builds: the page list kept with the site, and redirects for renamed topics.

Each build writes `.pages.txt` into the site it stages (so it is swapped in with the pages it lists,
and a killed build can never leave it out of step). The next build reads it from the live output to
list the pages that disappear. It holds only the site-relative URLs of the pages the site serves
anyway, so deploying it along with the site is harmless.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from pipeline import urls

PAGES_FILE = ".pages.txt"
_HEADER = "# Pages of this build, one site-relative URL per line; the next build lists the ones that disappear.\n"


def pages_text(page_urls: Iterable[str]) -> str:
    """The page list of a build, sorted so the same site gives the same bytes."""
    return "".join(pages_lines(sorted(set(page_urls))))


def pages_lines(sorted_urls: Iterable[str]) -> Iterator[str]:
    """pages_text() as lines, from URLs already in sorted order (repeats are skipped)."""
    yield _HEADER
    previous = None
    for u in sorted_urls:
        if u != previous:
            yield f"{u}\n"
            previous = u


def previous_pages(out: Path) -> list[str] | None:
    """The pages of the site now in `out`: its page list, or its index.html files if it has none."""
    out = Path(out)
    try:
        text = (out / PAGES_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return _walk_pages(out) if out.is_dir() else None
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def _walk_pages(out: Path) -> list[str]:
    """Pages of a site built before page lists existed."""
    found = []
    for folder, dirs, files in os.walk(out):
        dirs.sort()
        if "index.html" in files:
            rel = Path(folder).relative_to(out).as_posix()
            found.append("" if rel == "." else f"{rel}/")
    return sorted(found)


def rename_redirects(
    topics: pd.DataFrame, pair_pages: list[tuple[str, str, str]], taken: set[str]
) -> list[tuple[str, str]]:
    """Permanent redirects from a renamed topic's old URLs to its new ones.

    `topics` has `slug` and `old_slugs` (a tuple per topic); `pair_pages` are the built pair pages as
    (a, b, url); `taken` are URLs that must not be redirected (live pages, other redirects). Every old
    URL of the topic's hub and of its pair pages, with the other topic under any of its slugs and in
    either order, goes to the page's one URL now.
    """
    if "old_slugs" not in topics.columns:
        return []
    old_of = {s: tuple(o) for s, o in zip(topics["slug"], topics["old_slugs"]) if isinstance(o, tuple) and o}
    if not old_of:
        return []
    moves: dict[str, str] = {}
    for slug, olds in sorted(old_of.items()):
        for o in olds:
            moves.setdefault(urls.hub_url(o), urls.hub_url(slug))
    for a, b, url in sorted(pair_pages, key=lambda p: p[2]):
        if a not in old_of and b not in old_of:
            continue
        for x in (a, *old_of.get(a, ())):
            for y in (b, *old_of.get(b, ())):
                for old in (urls.pair_url(x, y), urls.pair_url(y, x)):
                    if old != url and old not in taken:
                        moves.setdefault(old, url)
    return sorted(moves.items())


def removed_pages(previous: list[str] | None, now: Iterable[str]) -> list[str]:
    """Pages of the previous site that this build no longer has, sorted."""
    if not previous:
        return []
    return sorted(set(previous) - set(now))
