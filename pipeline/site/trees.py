"""Finishing a staged tree: its page list, its favicon files and social cards, removing what it no longer has, and
what the build changes on the public site."""

from __future__ import annotations

import heapq
import os
from collections.abc import Iterator
from pathlib import Path

from pipeline import urls
from pipeline.data.pairs import PUBLISHED
from pipeline.site.cards import Drawing, card_path, link_cards, page_heads
from pipeline.site.deploy import in_url_order
from pipeline.site.history import indexed_urls, pages_lines, previous_pages, removed_pages, write_page_list
from pipeline.site.images import icon_files
from pipeline.site.inputs import Inputs
from pipeline.site.result import BuildResult, PageSummary, PairSummary
from pipeline.site.write import Staging, link_into, replace_bytes


def what_changed(
    inputs: Inputs, result: BuildResult, out: Path, previous: list[str] | None, drafts_before: list[str] | None
) -> None:
    """What this build changes on the public site (read before the swap, from the live trees' page
    lists and sitemap): the pages it drops and adds, and the pages (published or drafts, before or
    now) it makes indexable or no longer indexable."""
    live = {p.url for p in result.pages if p.status in PUBLISHED}
    result.removed = removed_pages(previous, live)
    if previous:
        had = set(previous) | {urls.HOME}  # the page list leaves out the home page's empty URL
        existed = had | set(drafts_before or ())
        result.added = sorted(live - existed)
        indexed = set(indexed_urls(out, inputs.cfg.base_url))
        now = {p.url for p in result.pages if p.status == "approved"}
        built = {p.url for p in result.pages}
        result.now_indexable = sorted((now - indexed) & existed)
        result.not_indexable = sorted((indexed - now) & built)


def sorted_urls(pages: list[PageSummary | PairSummary]) -> Iterator[str]:
    """The pages' URLs in sorted order, made one at a time: the pair pages' (in URL order, see
    _in_url_order) merged with the few others, sorted."""
    pairs = in_url_order([p for p in pages if p.kind == "pair"])
    return heapq.merge((p.url for p in pairs), sorted(p.url for p in pages if p.kind != "pair"))


def finish_tree(
    staging: Staging, cache: Path, sorted_urls: Iterator[str], pages: list | None, made: set[str] | None = None
) -> None:
    """Keep the page list of a staged tree in the cache and, in a recycled staging folder, remove
    what the tree no longer has (its pages: `pages`' URLs, or the URLs in `made`)."""
    # The recycled site's own page list (or its pages, found by walking), read before this build's replaces it.
    listed = (previous_pages(staging.root, cache) or []) if staging.recycled else []
    write_page_list(cache, staging.root, pages_lines(sorted_urls))
    if staging.recycled:  # a fresh staging folder has nothing to remove: no set of every page's path
        urls_now = (p.url for p in pages) if pages is not None else made or ()
        staging.keep_only(
            {urls.output_path(u) for u in urls_now} | staging.paths,
            [rel for u in listed for rel in (urls.output_path(u), card_path(u))],  # a page goes with its card
        )


class PageCards:
    """The social card of every published page (site/cards.py), hard-linked beside it in the staged
    tree, drawn in the background: the published pages written so far are added when this is made,
    those written later with add_others, while the build makes its other pages; place() waits for
    the cards and links them beside their pages (before the audit, which checks them). Each card
    file is in the tree's paths from the moment its page is added."""

    def __init__(self, job_cfg, result: BuildResult, cache: Path, tree: Staging):
        self.result, self.tree = result, tree
        self.drawing = Drawing(cache, job_cfg.name, job_cfg.base_url, min(os.cpu_count() or 1, 2))
        self.added: set[str] = set()
        self.wanted: list = []
        self.add_others()

    def add_others(self) -> None:
        """The published pages not added yet (the home, hubs and other pages, once written)."""
        pages = [p.url for p in self.result.pages if p.status in PUBLISHED and p.url not in self.added]
        self.added.update(pages)
        wanted = self.drawing.add(page_heads(self.tree.root, pages))
        self.wanted += wanted
        self.tree.paths |= {rel for rel, _ in wanted}

    def place(self) -> None:
        self.result.cards = self.drawing.wait()
        link_cards(self.tree.root, self.wanted)


def link_icons(name: str, cache: Path, tree: Staging) -> None:
    """The favicon files (made once in the build cache) hard-linked into a staged tree."""
    for rel, src in icon_files(name, cache).items():
        if not link_into(str(src), str(tree.root / rel)):
            replace_bytes(str(tree.root / rel), src.read_bytes())
        tree.paths.add(rel)
