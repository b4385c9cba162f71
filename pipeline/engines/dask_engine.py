"""The Dask engine: the same site as `build.build`, rendered by a dask.distributed cluster.

    python -m pipeline build --engine dask                      # a LocalCluster of 2 processes
    python -m pipeline build --engine dask --scheduler tcp://10.0.0.5:8786 --out s3://bucket/site

How it works:

- The client validates the inputs and prepares, once, the render job (`site/job.py`'s
  `RenderJob`: topic records, editor rows, related-link neighbours, links graph, wording,
  configuration, site values and, with `RenderJob.portable()`, the *sources* of the templates, so
  workers need no copy of the repository's templates folder). The job is pickled and sent to every
  worker once (`client.scatter(..., broadcast=True)`); tasks only carry a range of first-topic
  indices.
- Each task generates its own pairs (`job.pair_rows`: the cross join is never materialised
  anywhere), renders them with the local engine's `pairpage.render_pairs`, writes each page through
  fsspec under the target, and returns the same `workers.ChunkResult` as the local engine's
  `render_chunk`: per page (i, j, status code, updated_on, words, own share), plus rejected URLs and
  wording warnings.
- The client turns the records into `PageSummary`s and assembles hubs, home, about, 404,
  sitemaps, robots.txt, redirects and the page list with `sitepages.site_pages`, exactly as the
  local engine does, so both engines give byte-identical sites.

Targets: a local folder (a path or file://) is built in the same staging folder as the local
engine and swapped in atomically when complete (the audit runs on the staged site first). Any
other fsspec URL (s3://, gs://, az://, …) is written in place: pages are overwritten one by one,
the page list (.pages.txt), sitemaps and redirects last, then pages the previous build had and
this one does not are deleted. Readers may see a mix of old and new pages while it runs; see
docs/scaling.md.

The Dask engine always renders every pair page (no hard-link reuse: that is a local-disk trick);
for a local target it removes the local engine's manifest, so the next local build is a full one.
"""

from __future__ import annotations

import gc
import os
import threading
from pathlib import Path
from typing import Any

from pipeline import urls
from pipeline.data.pairs import PUBLISHED, join_count
from pipeline.data.validate import STATUSES
from pipeline.processes import die_with_parent
from pipeline.site.build import BuildResult, PageSummary
from pipeline.site.cards import cards_for
from pipeline.site.deploy import write_deploy
from pipeline.site.fingerprint import code_fp
from pipeline.site.history import PAGES_FILE, pages_text, removed_pages, write_page_list
from pipeline.site.images import icon_files
from pipeline.site.inputs import Inputs
from pipeline.site.job import PairRow, RenderJob, pair_rows, prepare
from pipeline.site.pairpage import render_pairs
from pipeline.site.quick import cache_dir, default_deploy_dir, default_preview_dir
from pipeline.site.sitepages import site_pages
from pipeline.site.trees import PageCards, link_icons, what_changed
from pipeline.site.workers import ChunkResult, chunk_ranges
from pipeline.urls import is_remote

# Per worker process: the token of the render job whose Jinja environment it made last.
_WORKER: dict[str, Any] = {}
_WORKER_LOCK = threading.Lock()


# ---------------------------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------------------------


def _local_path(target: str | os.PathLike) -> Path:
    text = os.fspath(target)
    return Path(text.removeprefix("file://"))


def _filesystem(root: str, storage_options: dict[str, Any] | None):
    """The fsspec filesystem and the root path inside it (local folders create parents on write)."""
    import fsspec.core

    options = dict(storage_options or {})
    if not is_remote(root):
        options.setdefault("auto_mkdir", True)
        root = str(_local_path(root))
    fs, path = fsspec.core.url_to_fs(root, **options)
    return fs, path.rstrip("/")


# ---------------------------------------------------------------------------------------------
# Worker side
# ---------------------------------------------------------------------------------------------


def _environment(job: RenderJob):
    """The job's Jinja environment, made once per worker process and build (from the templates'
    sources the job carries: workers need no copy of the repository's templates folder)."""
    with _WORKER_LOCK:
        env = job.environment()
        if _WORKER.get("token") != job.token:
            from pipeline.content.language import with_article

            with_article("owl")  # load inflect once per worker, not inside the first task's timing
            _WORKER.clear()
            _WORKER.update(token=job.token)
        return env


def code_version() -> int:
    """The fingerprint of the pipeline code this process runs (workers must run the client's)."""
    return code_fp(False)


def render_partition(
    span: tuple[int, int],
    job: RenderJob,
    root: str,
    storage_options: dict[str, Any] | None = None,
    batch: int = 256,
    preview_root: str | None = None,
) -> ChunkResult:
    """Render and write every pair whose first topic is slugs[start:stop], `batch` pages at a time
    (published pages under `root`, drafts under `preview_root`); return per-page records."""
    _environment(job)
    fs, base = _filesystem(root, storage_options)
    _, preview_base = _filesystem(preview_root or root, storage_options)
    result = ChunkResult()
    todo: list[tuple[int, PairRow]] = []  # (place in the result, row) of pages to render

    def render_batch() -> None:
        """Render a batch one step at a time (render_pairs), send it in one fs.pipe, fill in its places."""
        names = job.names
        made = render_pairs(job, [(pair.row, names[pair.a] | names[pair.b]) for _, pair in todo])
        folder = {True: base, False: preview_base}
        fs.pipe(
            {
                f"{folder[pair.row['status'] in PUBLISHED]}/{urls.output_path(pair.url)}": page.html.encode("utf-8")
                for (_, pair), page in zip(todo, made)
            }
        )
        for (place, pair), page in zip(todo, made):
            result.fill(place, pair, page, 0)
        todo.clear()

    for pair in pair_rows(job, span):
        if pair.row["status"] == "rejected":
            result.reject(pair)
            continue
        todo.append((result.reserve(0), pair))
        if len(todo) >= batch:
            render_batch()
    if todo:
        render_batch()
    return result


# ---------------------------------------------------------------------------------------------
# Client side
# ---------------------------------------------------------------------------------------------


def partitions(n_topics: int, workers: int, per_partition: int = 2500) -> list[tuple[int, int]]:
    """Ranges of first-topic indices of about `per_partition` pairs each, at least ~4 per worker."""
    total = join_count(n_topics)
    size = max(1, min(per_partition, -(-total // (max(workers, 1) * 4))))
    return list(chunk_ranges(n_topics, size))


def _client(scheduler: str | None, workers: int):
    """A Client on the scheduler at `scheduler`, or on a new LocalCluster (processes, 1 thread each)."""
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=40,
        preload=[__name__],  # each worker process runs dask_setup below as it starts
        env={_PARENT: str(os.getpid())},
    )
    return Client(cluster), cluster


_PARENT = "BRINGWISE_DASK_PARENT"  # the pid of the build that started a LocalCluster's workers


def dask_setup(worker) -> None:
    """A LocalCluster worker's preload: die with the build that started it (a parent-death signal).

    distributed's own watch of its parent notices a dead parent only once a thread of the worker
    gets to run, seconds later while it starts; the kernel's signal needs no thread of ours."""
    parent = os.environ.get(_PARENT, "")
    if parent.isdigit():
        die_with_parent(int(parent))


def _check_code(client) -> None:
    """Refuse to build when a worker runs other pipeline code than the client (its pages would differ)."""
    mine = code_version()
    theirs = client.run(code_version)
    other = sorted(w for w, v in theirs.items() if v != mine)
    if other:
        raise RuntimeError(
            f"{len(other)} Dask worker(s) run a different version of the pipeline code than this "
            f"machine (e.g. {other[0]}); install the same commit on every worker"
        )


def build_dask(
    inputs: Inputs,
    out: str | os.PathLike,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: bool = True,
    after_write=None,
    storage_options: dict[str, Any] | None = None,
    client=None,
    preview: str | os.PathLike | None = None,
    deploy: str | os.PathLike | None = None,
) -> BuildResult:
    """Build the site with Dask into `out`: a local folder (staged, swapped in whole) or an fsspec URL.

    `after_write(staging_root, result)` runs before the swap, as in `build.build` (local targets only:
    the audit reads local files). Pass `client` to use an existing Client instead of `scheduler`.
    """
    remote = is_remote(out)
    made = client is None
    cluster = None
    if made:
        client, cluster = _client(scheduler, workers or 2)
    try:
        _check_code(client)
        if remote:
            target = os.fspath(out)
            return _build_remote(
                inputs,
                target,
                os.fspath(preview or f"{target.rstrip('/')}-preview"),
                Path(deploy or "deploy"),
                client,
                progress,
                storage_options or {},
            )
        local = _local_path(out)
        return _build_local(
            inputs,
            local,
            _local_path(preview) if preview is not None else default_preview_dir(local),
            _local_path(deploy) if deploy is not None else default_deploy_dir(local),
            client,
            progress,
            after_write,
        )
    finally:
        if made:
            client.close()
            if cluster is not None:
                cluster.close()


def _render_all(
    job: RenderJob, client, root: str, progress: bool, storage_options: dict[str, Any], preview_root: str
) -> BuildResult:
    """Scatter the render job once, run one task per partition, collect the records as build() does."""
    from distributed import as_completed
    from tqdm import tqdm

    result = BuildResult()
    n = len(job.slugs)
    spans = partitions(n, max(1, len(client.scheduler_info().get("workers", {})) or 1))
    # A list of one: scatter would spread a container's items as separate objects.
    [shared] = client.scatter([job.portable()], broadcast=True, hash=False)
    futures = client.map(
        render_partition,
        spans,
        job=shared,
        root=root,
        preview_root=preview_root,
        storage_options=storage_options,
        pure=False,
        key=[f"bringwise-pairs-{job.token[:8]}-{s}-{e}" for s, e in spans],
    )
    order = {f.key: k for k, f in enumerate(futures)}
    rejected: list[list[str]] = [[] for _ in futures]
    warnings: dict[str, list[str]] = {}
    bar = tqdm(total=join_count(n), unit="page", desc="pair pages (dask)", disable=not progress, leave=False)
    try:
        # Records become summaries as partitions finish (pages are sorted by URL below, so arrival
        # order does not matter); only rejected URLs keep partition order, as in build().
        for future in as_completed(futures):
            part = future.result()
            future.release()
            _summaries(part, job.slugs, result)
            rejected[order[future.key]] = part.rejected
            warnings.update(part.warnings)
            bar.update(len(part.pages))
    finally:
        bar.close()
    for urls_of_part in rejected:
        result.rejected.extend(urls_of_part)
    for url in sorted(warnings):
        result.warnings.extend(warnings[url])
    result.pages.sort(key=lambda p: p.url)
    shared.release()
    return result


def _summaries(part: ChunkResult, slugs: tuple[str, ...], result: BuildResult) -> None:
    for i, j, code, upd, w, share in part.pages:
        if code >= 0:
            a, c = slugs[i], slugs[j]
            result.pages.append(PageSummary(urls.pair_url(a, c), "pair", STATUSES[code], upd, w, share, a, c))
    result.rendered += part.rendered


def _build_local(
    inputs: Inputs, out: Path, preview: Path, deploy: Path, client, progress: bool, after_write
) -> BuildResult:
    from pipeline.site.history import previous_pages
    from pipeline.site.write import Staging, recover

    recover(out)
    recover(preview)
    cache = cache_dir(out)
    with Staging(out) as staging, Staging(preview) as pstaging:
        job = prepare(inputs)
        gc.unfreeze()
        result = _render_all(job, client, str(staging.root), progress, {}, str(pstaging.root))
        result.out = out
        made: list[str] = []
        for rel, text in site_pages(job, result, tree="preview", made=made).items():
            pstaging.write(rel, text)
        for rel, text in site_pages(job, result).items():
            staging.write(rel, text)
        for tree in (staging, pstaging):
            link_icons(inputs.cfg.name, cache, tree)
        PageCards(inputs.cfg, result, cache, staging).place()
        published = [p.url for p in result.pages if p.status in PUBLISHED]
        drafts = [p.url for p in result.pages if p.status not in PUBLISHED]
        write_page_list(cache, staging.root, pages_text(published).splitlines(keepends=True))
        write_page_list(cache, pstaging.root, pages_text([*drafts, *made]).splitlines(keepends=True))
        # What changed for an editor, as the local engine says it (removed pages among them).
        what_changed(inputs, result, out, previous_pages(out, cache), previous_pages(preview, cache))
        if after_write is not None:
            after_write(staging.root, result)
        # The local engine's manifest describes the site this build replaces: drop it, so the next
        # local build renders everything instead of trusting it.
        (cache / "manifest.pkl").unlink(missing_ok=True)
        pstaging.commit()
        staging.commit()
    write_deploy(inputs, result, deploy)
    return result


def _pipe_cards(inputs: Inputs, fs, base: str, published: list[str], cache: Path) -> None:
    """The social card of every published page (site/cards.py), drawn from the heads of the pages
    just written (read back from the target) and sent beside them."""
    paths = {f"{base}/{urls.output_path(u)}": u for u in published}
    heads = fs.cat(list(paths)) if paths else {}
    _, wanted = cards_for(
        ((paths[p], data) for p, data in sorted(heads.items()) if p in paths),
        cache,
        inputs.cfg.name,
        inputs.cfg.base_url,
    )
    if wanted:
        fs.pipe({f"{base}/{rel}": src.read_bytes() for rel, src in wanted})


def _build_remote(
    inputs: Inputs,
    target: str,
    preview: str,
    deploy: Path,
    client,
    progress: bool,
    storage_options: dict[str, Any],
) -> BuildResult:
    fs, base = _filesystem(target, storage_options)
    try:
        text = fs.cat_file(f"{base}/{PAGES_FILE}").decode("utf-8")
        previous = [line for line in text.splitlines() if line and not line.startswith("#")]
    except (FileNotFoundError, OSError, UnicodeDecodeError):
        previous = None
    job = prepare(inputs)
    gc.unfreeze()
    result = _render_all(job, client, target, progress, storage_options, preview)
    result.out = Path(target)  # informational only
    _, preview_base = _filesystem(preview, storage_options)
    fs.pipe(
        {f"{preview_base}/{rel}": text.encode("utf-8") for rel, text in site_pages(job, result, tree="preview").items()}
    )
    files = site_pages(job, result)
    icons = {rel: path.read_bytes() for rel, path in icon_files(inputs.cfg.name, cache_dir(deploy)).items()}
    fs.pipe({f"{root}/{rel}": data for root in (base, preview_base) for rel, data in icons.items()})
    published = [p.url for p in result.pages if p.status in PUBLISHED]
    files[PAGES_FILE] = pages_text(published)
    # The page list last: it names what the site holds once everything before it is written.
    fs.pipe({f"{base}/{rel}": text.encode("utf-8") for rel, text in files.items() if rel != PAGES_FILE})
    _pipe_cards(inputs, fs, base, published, cache_dir(deploy))
    fs.pipe_file(f"{base}/{PAGES_FILE}", files[PAGES_FILE].encode("utf-8"))
    result.removed = removed_pages(previous, published)
    write_deploy(inputs, result, deploy)  # the host's rules: a local folder, never in the bucket
    gone = [f"{base}/{urls.output_path(u)}" for u in result.removed]
    if gone:
        fs.rm(gone)
    return result
