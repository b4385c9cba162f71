"""Render workers: each takes the render job and a chunk of the pair table (a range of first topics),
reuses or renders its pages, writes them into the staged trees and returns compact records."""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pipeline import urls
from pipeline.data.pairs import PUBLISHED, pair_index
from pipeline.data.validate import STATUSES
from pipeline.processes import die_with_parent
from pipeline.site.facts import disagreement, in_sample, rendered_record
from pipeline.site.fingerprint import related_fp
from pipeline.site.job import PairRow, RenderJob, pair_rows, related_links
from pipeline.site.pairpage import RenderedPair, render_pairs

# Pages rendered, written and parsed for the audit a batch at a time (see render_pairs).
BATCH = 64
_STATUS_CODE = {s: i for i, s in enumerate(STATUSES)}


def pair_record(i: int, j: int, r: RenderedPair) -> tuple:
    """What a render worker returns for a rendered pair page: (i, j, status code, updated_on, words,
    own share)."""
    return i, j, _STATUS_CODE[r.status], r.page["updated_on"], r.total, r.own / max(r.total, 1)


@dataclass
class ChunkResult:
    """A chunk's pages in pair-table order: their records (see pair_record; status code -1 for a
    rejected pair), the fingerprints the next build's manifest keeps (of the page's own inputs, `base`,
    and of its related links, `rel`), rejected URLs, wording warnings by URL and, when the job asks for
    them, the audit's records of the published pages rendered (an audit.RecordStore)."""

    pages: list[tuple | None] = field(default_factory=list)
    base: list[int] = field(default_factory=list)
    rel: list[int] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    rendered: int = 0
    reused: int = 0
    records: Any = None

    def reject(self, pair: PairRow) -> None:
        self.rejected.append(pair.url)
        self._add((pair.i, pair.j, -1, "", 0, 0.0), 0, 0)

    def reserve(self, base: int) -> int:
        """A place for a page rendered later with its batch (see fill)."""
        self._add(None, base, 0)
        return len(self.pages) - 1

    def fill(self, place: int, pair: PairRow, page: RenderedPair, rel_fp: int) -> None:
        self.pages[place] = pair_record(pair.i, pair.j, page)
        self.rel[place] = rel_fp
        if page.faults:
            self.warnings[pair.url] = page.faults
        self.rendered += 1

    def reuse(self, pair: PairRow, old: dict[str, Any], k: int, base: int, rel_fp: int) -> None:
        """The page as the last build (its manifest `old`, place `k`) made it."""
        updated = old["dates"][old["updated"][k]]
        self._add(
            (pair.i, pair.j, int(old["status"][k]), updated, int(old["words"][k]), float(old["own"][k])), base, rel_fp
        )
        if pair.url in old["warnings"]:
            self.warnings[pair.url] = old["warnings"][pair.url]
        self.reused += 1

    def _add(self, record: tuple | None, base: int, rel_fp: int) -> None:
        self.pages.append(record)
        self.base.append(base)
        self.rel.append(rel_fp)


@dataclass(slots=True)
class _Pending:
    """A page to render with its batch: its place in the chunk's lists, its row, and its tree."""

    place: int
    pair: PairRow
    draft: bool


def render_chunk(job: RenderJob, chunk: tuple[int, int]) -> ChunkResult:
    """Reuse or render and write the pairs whose first topic is slugs[start:stop]."""
    result = ChunkResult(records=_audit_store(job))
    todo: list[_Pending] = []
    for pair in pair_rows(job, chunk):
        if pair.row["status"] == "rejected":
            result.reject(pair)
            continue
        base = _base_fp(job, pair)
        draft = pair.row["status"] not in PUBLISHED
        if _reused(job, pair, base, draft, result):
            continue
        todo.append(_Pending(result.reserve(base), pair, draft))
        if len(todo) >= BATCH:
            _render_batch(job, todo, result)
            todo = []
    _render_batch(job, todo, result)
    return result


def _base_fp(job: RenderJob, pair: PairRow) -> int:
    """The fingerprint of a pair page's own inputs: the pair pages' site-wide inputs, its editor row,
    its two topics and what it reads of the links (0 without fingerprints)."""
    fps = job.fps
    if fps is None:
        return 0
    a, b = pair.a, pair.b
    return hash(
        (fps.kind["pair"], fps.row.get((a, b), 0), fps.topic.get(a, 0), fps.topic.get(b, 0), job.linkfp.pair(a, b))
    )


def _reused(job: RenderJob, pair: PairRow, base: int, draft: bool, result: ChunkResult) -> bool:
    """Whether the page is the last build's (same inputs, same related links) and was hard-linked in."""
    reuse = job.reuse
    if reuse is None or not reuse.kind_same:
        return False
    oi, oj = reuse.index.get(pair.a), reuse.index.get(pair.b)
    if oi is None or oj is None:
        return False
    old = reuse.old
    k = pair_index(oi, oj, reuse.n)
    if old["status"][k] < 0 or old["base"][k] != base:
        return False
    rel_fp = int(old["rel"][k])
    if not reuse.rel_same:
        rel_fp = related_fp(*related_links(job, pair.a, pair.b, draft))
    if rel_fp != old["rel"][k]:
        return False
    tree = job.drafts if draft else job.pages
    if not tree.link_page(reuse.preview if draft else reuse.out, urls.output_path(pair.url)):
        return False
    result.reuse(pair, old, k, base, rel_fp)
    return True


def _render_batch(job: RenderJob, todo: list[_Pending], result: ChunkResult) -> None:
    """Render, write and hand to the audit a batch of pages, each step over the whole batch."""
    if not todo:
        return
    names = job.names
    made = render_pairs(job, [(p.pair.row, names[p.pair.a] | names[p.pair.b]) for p in todo])
    written = _write(job, todo, made)
    if result.records is not None:
        _audit_records(job, written, result.records)
    for p, page in zip(todo, made):
        rel_fp = related_fp(page.ctx["related"], page.ctx["public"]) if job.fps else 0
        result.fill(p.place, p.pair, page, rel_fp)


def _write(job: RenderJob, todo: list[_Pending], made: list[RenderedPair]) -> list[tuple]:
    """Write each page into its staged tree; (path, HTML, bytes, stat) of the published ones."""
    published = []
    for p, page in zip(todo, made):
        rel = urls.output_path(p.pair.url)
        data = page.html.encode("utf-8")
        if p.draft:  # the audit reads the published site only
            job.drafts.write_page(rel, data, stat=False)
        else:
            published.append((rel, page.html, data, job.pages.write_page(rel, data)))
    return published


def _audit_store(job: RenderJob):
    """The audit's store for this chunk's records (its per-page checks run as records are added)."""
    if job.audit is None:
        return None
    from pipeline.audit import RecordStore

    return RecordStore(job.cfg, job.audit.severity)


def _audit_records(job: RenderJob, written: list[tuple], records) -> None:
    """The audit's record of each page written, made from the HTML in hand (site/facts.py); a fixed
    sample is parsed back from its bytes, and where the two differ the parsed record is kept, with a
    renderer-record finding naming the page and the fields."""
    from pipeline.audit import Finding, parse_page, stat_key

    sev = records.sev("renderer-record")
    made = []
    for rel, html, data, st in written:
        rec = rendered_record(rel, html, data, job.audit.base_url)
        rec.stat = stat_key(st)
        wrong: list[str] = []
        sampled = in_sample(rec.url)
        if sampled:
            parsed = parse_page(rel, data, job.audit.base_url, rec.hash)
            parsed.stat = rec.stat
            wrong = disagreement(rec, parsed)
            rec = parsed if wrong else rec
        made.append((rec, wrong, sampled))
    for rec, wrong, sampled in made:
        row = records.add(rec, rendered=not sampled)
        if wrong and sev is not None:
            message = "the renderer's record differs from the parsed page in " + ", ".join(wrong)
            records.findings.setdefault(row, []).append(Finding("renderer-record", sev, rec.url, message))


# The render job of a pool's worker process: handed to it once, when it starts (see render_all).
_WORKER_JOB: list[RenderJob] = []


# Rendering makes and drops many small objects, few of them in cycles: with Python's default
# thresholds (700, 10, 10) a build at N = 200 ran ≈ 2,400 collections, 0.6 s of its CPU. Collected
# less often while rendering (the job's own objects are frozen, see job.py), then as before.
RENDER_GC_THRESHOLD = (20_000, 20, 20)


def _start_worker(parent: int, job: RenderJob) -> None:
    die_with_parent(parent)
    gc.set_threshold(*RENDER_GC_THRESHOLD)
    _WORKER_JOB[:] = [job]


def _worker_chunk(chunk: tuple[int, int]) -> ChunkResult:
    return render_chunk(_WORKER_JOB[0], chunk)


def render_all(job: RenderJob, chunks: list[tuple[int, int]], workers: int, collect) -> None:
    """render_chunk every chunk with `workers` processes in all, handing results to `collect` in chunk order.

    The calling process renders too: workers - 1 are forked (each given the job once, as it starts:
    forked, the job is inherited, never pickled), and it renders the next chunk itself whenever the
    one it must collect next is not finished. One process fewer holds a copy of the build's state (the
    whole tree's memory is what counts), and its own chunks are never pickled.
    """
    before = gc.get_threshold()
    gc.set_threshold(*RENDER_GC_THRESHOLD)
    try:
        _render_all(job, chunks, workers, collect)
    finally:
        gc.set_threshold(*before)


def _render_all(job: RenderJob, chunks: list[tuple[int, int]], workers: int, collect) -> None:
    if workers <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            collect(render_chunk(job, chunk))
        return
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        workers - 1, mp_context=ctx, initializer=_start_worker, initargs=(os.getpid(), job)
    ) as pool:
        try:
            _share(job, pool, chunks, 2 * (workers - 1), collect)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)  # fail now, not after the queued chunks
            raise


def _share(job: RenderJob, pool, chunks: list[tuple[int, int]], ahead: int, collect) -> None:
    """Chunks in order to `collect`, rendered by the pool (at most `ahead` queued, so its workers never
    wait) or by this process while the next one to collect is not ready."""
    queued: dict[int, Any] = {}
    mine: dict[int, ChunkResult] = {}
    handed = 0  # chunks given out so far, in order, to the pool or to this process

    def feed() -> None:
        nonlocal handed
        while handed < len(chunks) and sum(1 for f in queued.values() if not f.done()) < ahead:
            queued[handed] = pool.submit(_worker_chunk, chunks[handed])
            handed += 1

    feed()
    for k in range(len(chunks)):
        while (
            k not in mine
            and not (k in queued and queued[k].done())
            and handed < len(chunks)
            and len(mine) < ahead  # never far ahead of the collection: results wait in memory
        ):
            mine[handed] = render_chunk(job, chunks[handed])  # rather than wait
            handed += 1
            feed()
        collect(mine.pop(k) if k in mine else queued.pop(k).result())
        feed()


def chunk_ranges(n_topics: int, pages_per_chunk: int = 2500, workers: int = 1) -> Iterator[tuple[int, int]]:
    """Ranges of first topics holding about `pages_per_chunk` pairs each (the join is never materialised).

    With several workers, chunks shrink towards the end to a quarter of what is left per worker (not
    below 200 pages), so that the processes finish together instead of one rendering a last big
    chunk alone.
    """
    left = n_topics * (n_topics - 1) // 2
    start = 0
    while start < n_topics - 1:
        size = (
            pages_per_chunk
            if workers <= 1
            else max(min(pages_per_chunk, 200), min(pages_per_chunk, left // (4 * workers)))
        )
        stop, count = start, 0
        while stop < n_topics - 1 and (count == 0 or count + (n_topics - stop - 1) <= size):
            count += n_topics - stop - 1
            stop += 1
        yield start, stop
        left -= count
        start = stop
