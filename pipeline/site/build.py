"""The build: validated data in, a complete staged site out, swapped in only when whole.

A build is a short sequence of stages (see _build): fingerprint the inputs and leave an unchanged
site alone; prepare the render job (site/job.py) and render or reuse the pair pages in workers
(site/workers.py); make the other pages of both trees (site/sitepages.py) and finish them
(site/trees.py); audit the staged site (after_write); swap both trees in; write deploy/
(site/deploy.py); record the manifest for the next build (site/fingerprint.py).
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.data.pairs import PUBLISHED, join_count, pair_index
from pipeline.data.validate import STATUSES
from pipeline.locks import hold
from pipeline.memory import give_back
from pipeline.site.cards import prune_cache as prune_cards
from pipeline.site.deploy import write_deploy
from pipeline.site.fingerprint import (
    MANIFEST_VERSION,
    Fingerprints,
    fingerprints,
    load_manifest,
    review_inputs,
    save_manifest,
)
from pipeline.site.history import keep_page_lists, previous_pages
from pipeline.site.inputs import Inputs, load_inputs
from pipeline.site.job import AuditSetup, RenderJob, draft_sameness, prepare, reuse_of
from pipeline.site.pairpage import render_pair_page
from pipeline.site.quick import cache_dir, default_deploy_dir, default_preview_dir
from pipeline.site.result import BuildResult, PageSummary, PairSummary, summaries_from_manifest
from pipeline.site.sitepages import site_pages
from pipeline.site.stale import approved_pages_changed, review_changes
from pipeline.site.trees import PageCards, finish_tree, link_icons, sorted_urls, what_changed
from pipeline.site.workers import ChunkResult, chunk_ranges, render_all
from pipeline.site.write import Staging, empty_trash, recover

__all__ = [
    "BuildResult",
    "Inputs",
    "PageSummary",
    "PairSummary",
    "build",
    "load_inputs",
    "render_pair_page",
]


def build(
    inputs: Inputs,
    out: Path,
    workers: int | None = None,
    progress: bool = True,
    after_write=None,
    audit_records: bool = False,
    preview: Path | None = None,
    deploy: Path | None = None,
    wait: bool = True,
) -> BuildResult:
    """Build the whole site into a staging folder and swap it in when complete.

    Two trees: `out` gets the published pages (approved and noindex), `preview` (default: preview/
    beside `out`) the drafts (review), each staged and swapped in whole; `deploy` (default: deploy/
    beside `out`) gets the host's redirect and 404 rules, outside both.

    Incremental: a manifest of per-page input fingerprints (next to the output, in .build-cache/)
    lets an unchanged page be hard-linked from the current output into the staging folder instead
    of rendered again; when no input, template, wording, configuration or code changed at all,
    the output is left exactly as it is and nothing is written.

    With `audit_records`, the workers also hand the SEO audit a record of each page they render
    and `after_write(staging_root, result)` finds them in result.audit_records, so the audit does
    not read those files again.

    One build at a time writes `out`: another one waits for its lock (or, without `wait`, raises
    locks.Busy).
    """
    with hold(Path(out), "build", wait=wait):
        out = Path(out)
        request = _Request(
            out=out,
            preview=Path(preview) if preview is not None else default_preview_dir(out),
            deploy=Path(deploy) if deploy is not None else default_deploy_dir(out),
            workers=workers,
            progress=progress,
            after_write=after_write,
            audit=audit_records and after_write is not None,
        )
        return _build(inputs, request)


@dataclass(frozen=True)
class _Request:
    """What build() was asked for."""

    out: Path
    preview: Path
    deploy: Path
    workers: int | None
    progress: bool
    after_write: Any
    audit: bool  # the render workers hand the audit its records

    @property
    def cache(self) -> Path:
        return cache_dir(self.out)


def _build(inputs: Inputs, request: _Request) -> BuildResult:
    fps = fingerprints(inputs)
    old = _tidy_and_load(request)
    if old is not None and old["site"] == fps.site and request.deploy.is_dir():
        return _unchanged(old, request.out)
    result = BuildResult(out=request.out)
    trash = request.cache / "trash"
    with (
        Staging(request.out, trash=trash, spare=request.cache / "spare") as staging,
        Staging(request.preview, trash=trash, spare=cache_dir(request.preview) / "spare") as pstaging,
    ):
        job = _job(inputs, request, fps, old, staging, pstaging, result)
        columns = _render_pair_pages(job, result, request)
        cards = PageCards(job.cfg, result, request.cache, staging)  # drawn while the other pages are made
        hubs = _other_pages(job, result, staging, pstaging, request.cache, cards)
        what_changed(inputs, result, request.out, *_page_lists(request))
        result.sameness = draft_sameness(job)
        # Read before the audit, which shows them in the report: the approved pages whose text changed.
        reworded = approved_pages_changed(result, staging.root, request.out)
        result.review_stale = review_changes(inputs, fps, old, result, reworded)
        cards.place()
        _audit(request, staging, result)
        pstaging.commit()
        staging.commit()
    keep_page_lists(
        request.cache, [request.out, request.cache / "spare", request.preview, cache_dir(request.preview) / "spare"]
    )
    prune_cards(request.cache)
    write_deploy(inputs, result, request.deploy)
    gc.unfreeze()
    save_manifest(request.out, request.preview, _manifest(inputs, fps, job, columns, hubs, result))
    return result


def _tidy_and_load(request: _Request) -> dict[str, Any] | None:
    """Remove what killed builds left (even when nothing else is done); the last build's manifest."""
    trash = request.cache / "trash"
    recover(request.out, trash)
    recover(request.preview, trash)
    empty_trash(trash)  # folders whose background deletion was stopped
    return load_manifest(request.out, request.preview) if request.out.exists() else None


def _unchanged(old: dict[str, Any], out: Path) -> BuildResult:
    """Nothing changed since the last build: its result, the output left as it was."""
    result = summaries_from_manifest(old)
    result.out = out
    result.unchanged = True
    return result


def _job(
    inputs: Inputs, request: _Request, fps: Fingerprints, old, staging: Staging, pstaging: Staging, result: BuildResult
) -> RenderJob:
    """The render job of this build (and, when the workers hand the audit its records, their store)."""
    audit = None
    if request.audit:
        from pipeline.audit import RecordStore, _minhash, _Severity

        _minhash(np.zeros(1, dtype=np.uint32))  # lxml and the permutations set up once, before forking
        audit = AuditSetup(inputs.cfg.base_url, _Severity(inputs.cfg))
        # Each chunk's records come as compact columns (its workers ran the per-page checks), appended in chunk order.
        result.audit_records = RecordStore(inputs.cfg, audit.severity, spill=request.cache)
    reuse = reuse_of(old, fps, request.out, request.preview)
    return prepare(inputs, staging.pages, pstaging.pages, fps, reuse, audit)


@dataclass
class _PairColumns:
    """Per pair of the table, in canonical order: what the manifest keeps for the next build."""

    total: int
    status: np.ndarray = field(init=False)
    words: np.ndarray = field(init=False)
    own: np.ndarray = field(init=False)
    base: np.ndarray = field(init=False)
    rel: np.ndarray = field(init=False)
    updated: np.ndarray = field(init=False)  # an index into `dates`
    dates: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        total = self.total
        self.status = np.empty(total, dtype=np.int8)
        self.words = np.empty(total, dtype=np.int32)
        self.own = np.empty(total, dtype=np.float64)
        self.base = np.empty(total, dtype=np.int64)
        self.rel = np.empty(total, dtype=np.int64)
        self.updated = np.empty(total, dtype=np.int32)

    def collect(self, part: ChunkResult, slugs: tuple[str, ...], result: BuildResult) -> None:
        """A chunk's pages into the columns and the result's pair summaries."""
        pages = part.pages
        if not pages:
            return
        k0 = pair_index(pages[0][0], pages[0][1], len(slugs))
        k1 = k0 + len(pages)
        self.base[k0:k1] = part.base
        self.rel[k0:k1] = part.rel
        for k, (i, j, code, upd, w, share) in enumerate(pages, k0):
            self.status[k] = code
            if code < 0:
                continue
            self.words[k], self.own[k] = w, share
            self.updated[k] = self.dates.setdefault(upd, len(self.dates))
            result.pages.append(PairSummary(slugs[i], slugs[j], STATUSES[code], upd, w, share))
        result.rejected.extend(part.rejected)
        if part.records is not None:
            result.audit_records.extend(part.records)
        self.warnings.update(part.warnings)
        result.rendered += part.rendered
        result.reused += part.reused

    def date_list(self) -> list[str]:
        dates = [""] * len(self.dates)
        for d, i in self.dates.items():
            dates[i] = d
        return dates


def _render_pair_pages(job: RenderJob, result: BuildResult, request: _Request) -> _PairColumns:
    """Every pair page rendered or reused by the workers, in chunks of the pair table."""
    from tqdm import tqdm

    total = join_count(len(job.slugs))
    workers = request.workers or min(os.cpu_count() or 1, 2 if total > 2000 else 1)
    per_chunk = max(200, min(2500, total // (workers * 8) or 1))
    columns = _PairColumns(total)
    bar = tqdm(total=total, unit="page", desc="pair pages", disable=not request.progress, leave=False)

    def collect(part: ChunkResult) -> None:
        columns.collect(part, job.slugs, result)
        bar.update(len(part.pages))

    render_all(job, list(chunk_ranges(len(job.slugs), per_chunk, workers)), workers, collect)
    bar.close()
    for url in sorted(columns.warnings):
        result.warnings.extend(columns.warnings[url])
    result.pages.sort(key=lambda p: p.url)
    return columns


def _other_pages(
    job: RenderJob, result: BuildResult, staging: Staging, pstaging: Staging, cache: Path, cards: PageCards
) -> dict[str, dict[str, int]]:
    """Both trees' hubs, home, about, 404, people and policy pages, sitemaps and favicons; then each
    tree's page list (and, in a recycled folder, what it no longer has removed). The hubs' fingerprints."""
    hubs: dict[str, dict[str, int]] = {"hubs": {}, "preview_hubs": {}}
    drafts = [p.url for p in result.pages if p.status not in PUBLISHED]
    preview_made: list[str] = []
    files = site_pages(job, result, pstaging.root, hubs["preview_hubs"], pstaging.write_lines, "preview", preview_made)
    for rel, text in files.items():
        pstaging.write(rel, text)
    files = site_pages(job, result, staging.root, hubs["hubs"], staging.write_lines)
    for rel, text in files.items():
        staging.write(rel, text)
    del files
    for tree in (staging, pstaging):
        link_icons(job.cfg.name, cache, tree)
    cards.add_others()
    published = [p for p in result.pages if p.status in PUBLISHED]
    finish_tree(staging, cache, sorted_urls(published), published)
    in_preview = {*drafts, *preview_made}
    finish_tree(pstaging, cache, iter(sorted(in_preview)), None, in_preview)
    return hubs


def _page_lists(request: _Request) -> tuple[list[str] | None, list[str] | None]:
    """The live trees' page lists (read before the swap)."""
    return previous_pages(request.out, request.cache), previous_pages(request.preview, request.cache)


def _audit(request: _Request, staging: Staging, result: BuildResult) -> None:
    """after_write on the staged site (the audit, which may refuse it), then the records dropped."""
    if request.after_write is not None:
        give_back()  # what rendering freed, before the audit's site-wide pass
        request.after_write(staging.root, result)
    result.audit_records = {}


def _manifest(
    inputs: Inputs,
    fps: Fingerprints,
    job: RenderJob,
    columns: _PairColumns,
    hubs: dict[str, dict[str, int]],
    result: BuildResult,
) -> dict[str, Any]:
    """What the next build compares with: fingerprints, each pair's record, the other pages."""
    return {
        "version": MANIFEST_VERSION,
        "site": fps.site,
        "kind": fps.kind,
        "nb": fps.nb,
        "names": fps.names,
        "slugs": job.slugs,
        "status": columns.status,
        "words": columns.words,
        "own": columns.own,
        "base": columns.base,
        "rel": columns.rel,
        "updated": columns.updated,
        "dates": columns.date_list(),
        "warnings": columns.warnings,
        **hubs,
        "other_pages": [
            (p.url, p.kind, p.status, p.updated_on, p.words, p.own_share, p.a, p.b)
            for p in result.pages
            if p.kind != "pair"
        ],
        "redirected": result.redirected,
        "sameness": result.sameness,
        **review_inputs(inputs, fps),
    }
