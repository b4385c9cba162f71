"""The audit as one call (audit_site) and the comparison with the previous build."""

from __future__ import annotations

import hashlib
import os
import time
from array import array
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import numpy as np

from pipeline.audit.crawl import _SiteFiles, load_cache, read_pages, save_cache, walk
from pipeline.audit.model import (
    AUDIT_VERSION,
    MIN_SHINGLES,
    NUM_PERM,
    SAMPLE_MASK,
    SEVERITIES,
    AuditResult,
    Finding,
    PageRecord,
    PageRow,
)
from pipeline.audit.page_checks import _add, _Severity
from pipeline.audit.parse import _KIND_CODE, PAGE_KINDS, file_of
from pipeline.audit.similarity import _Signatures, lsh_params, nearest_rows, page_shares
from pipeline.audit.site_checks import (
    duplicate_findings,
    hub_findings,
    link_graph,
    og_image_findings,
    robots_findings,
    sitemap_findings,
)
from pipeline.audit.store import _ERROR, _ICON, _NOINDEX, RecordStore
from pipeline.audit.taxonomy import home_categories
from pipeline.config import Config
from pipeline.memory import give_back

# ---------------------------------------------------------------------------------------------
# The audit


class _PageView(NamedTuple):
    url: str
    noindex: bool
    parse_error: str


def audit_site(
    root: Path,
    cfg: Config,
    previous: dict | None = None,
    *,
    cache_file: Path | None = None,
    workers: int | None = None,
    known: RecordStore | dict[str, PageRecord] | None = None,
    crawl: bool = False,
) -> AuditResult:
    """Audit the built site in `root`.

    `previous` maps URL → content hash of the previous build (see `AuditResult.hashes`); pages
    are then marked added or changed and removed ones listed. `cache_file` keeps parsed pages
    between runs, keyed by content hash. `known`: a RecordStore (or rel → PageRecord) of pages the
    caller made from exactly the bytes of those files. With `crawl` (the `audit` command), records
    the renderer made during a build are not taken from the cache: every such page is parsed.
    """
    t0 = time.perf_counter()
    root = Path(root)
    sev = _Severity(cfg)
    store, order, in_site, files, parsed = _read_site(root, cfg, sev, cache_file, workers, known, crawl)
    t_read = time.perf_counter()
    findings = [f for i in order for f in store.findings.get(i) or ()]
    findings += duplicate_findings(store, order, sev)
    graph_findings, depth, inlinks, outlinks = link_graph(store, order, files, sev, cfg.audit.max_click_depth)
    findings += graph_findings
    findings += hub_findings(store, order, sev)
    store.drop_links()
    about_files = _file_findings(root, store, order, cfg, sev)
    t_site = time.perf_counter()

    # Text: near-duplicates and unique share, over content pages (not the 404 page).
    give_back()  # the link graph's arrays, before the text pass's
    text = _text_results(store, order, cfg, cache_file)
    store.drop_text()  # what only the cache and the text checks needed
    give_back()  # the text pass's signatures and candidate pairs, before the findings and reports
    findings += _text_findings(store, order, text, cfg, sev)
    t_text = time.perf_counter()

    site, per_page = _attribute(store, in_site, findings, about_files)
    rows = PageRows(store, order, text, depth, inlinks, outlinks, per_page)
    result = AuditResult(rows, findings, site)
    result.categories = home_categories(root, cfg.base_url)
    if previous is not None:
        compare(result, previous)
    result.stats = {
        "pages": len(order),
        "parsed": parsed,
        "cached": len(order) - parsed,
        "files": len(files),
        "seconds": time.perf_counter() - t0,
        "read_seconds": t_read - t0,
        "site_seconds": t_site - t_read,
        "text_seconds": t_text - t_site,
        "lsh_params": lsh_params(cfg.audit.near_duplicate_threshold),
    }
    return result


def _read_site(
    root: Path,
    cfg: Config,
    sev: _Severity,
    cache_file: Path | None,
    workers: int | None,
    known: RecordStore | dict[str, PageRecord] | None,
    crawl: bool,
) -> tuple[RecordStore, array, np.ndarray, _SiteFiles, int]:
    """Every page's record (from `known`, the cache or its file) in a store, the cache saved when it
    changed. Returns the store, the pages' rows in walk order, which rows are pages of the site, the
    site's files and how many pages were parsed."""
    pages, others = walk(root)
    cache = load_cache(cache_file, cfg)
    if isinstance(known, RecordStore):
        store = known
    else:
        store = RecordStore(cfg, sev, spill=cache_file.parent if cache_file is not None else None)
        for rec in (known or {}).values():
            store.add(rec)
    parsed, rekeyed = read_pages(root, pages, cfg, cache, store, workers, trust_rendered=not crawl)
    unchanged = parsed == rekeyed == 0 and cache is not None and len(cache.rel) == len(pages)
    del cache
    order = array("q", [store.index[rel] for rel in pages])  # 8 bytes a page, not an int object each
    in_site = _members(len(store), order)
    files = _SiteFiles(store, in_site, others, len(pages) + len(others))
    del pages, others  # the store has every page's path: no second copy through the site-wide checks
    if cache_file is not None and not unchanged:
        save_cache(cache_file, store, cfg)
    return store, order, in_site, files, parsed


def _file_findings(root: Path, store: RecordStore, order: array, cfg: Config, sev: _Severity) -> list[Finding]:
    """What the sitemap, robots.txt, the favicon and the og:image files bring up (some name a page, some the site)."""
    sm = sitemap_findings(root, store, order, cfg, sev)
    robots = root / "robots.txt"
    views = (_PageView(store.url(i), bool(store.flags[i] & _NOINDEX), store.errors.get(i, "")) for i in order)
    rb = robots_findings(
        robots.read_text(encoding="utf-8", errors="replace") if robots.exists() else None, views, cfg, sev
    )
    return sm + rb + _favicon_findings(root, store, order, cfg, sev) + og_image_findings(root, store, order, sev)


def _text_findings(store: RecordStore, order: array, text: TextResults, cfg: Config, sev: _Severity) -> list[Finding]:
    """near-duplicate and low-unique-share, from the text pass's answers."""
    findings: list[Finding] = []
    for p in np.flatnonzero(text.similarity >= cfg.audit.near_duplicate_threshold).tolist():
        i, sim = order[p], float(text.similarity[p])
        message = f"{sim:.0%} similar to /{store.url(order[text.nearest[p]])} (estimated Jaccard of word shingles)"
        _add(findings, sev, "near-duplicate", store.url(i), [message], bool(store.flags[i] & _NOINDEX))
    for p in np.flatnonzero(text.share < cfg.audit.min_unique_share).tolist():
        i, share = order[p], float(text.share[p])
        message = (
            f"{share:.0%} of its text is its own (minimum {cfg.audit.min_unique_share:.0%}); the rest is "
            "shared with many pages"
        )
        _add(findings, sev, "low-unique-share", store.url(i), [message], bool(store.flags[i] & _NOINDEX))
    return findings


def _attribute(
    store: RecordStore, in_site: np.ndarray, findings: list[Finding], about_files: list[Finding]
) -> tuple[list[Finding], dict[str, list[Finding]]]:
    """Sitemap, robots and favicon findings that name a built page belong to that page; the rest to the
    site. Adds them to `findings` (sorted by severity, check and URL); returns the site's and each page's."""

    def current(url: str) -> bool:
        i = store.index.get(file_of(url))
        return i is not None and store.url(i) == url and bool(in_site[i])

    site = [f for f in about_files if not current(f.url)]
    findings += [f for f in about_files if current(f.url)]
    per_page: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        per_page[f.url].append(f)
    findings += site
    findings.sort(key=lambda f: (SEVERITIES.index(f.severity), f.check, f.url))
    return site, per_page


def _favicon_findings(root: Path, store: RecordStore, order: Sequence[int], cfg: Config, sev) -> list[Finding]:
    """favicon-missing: pages without <link rel="icon"> make browsers ask the host's root for /favicon.ico."""
    flags, kinds = store.flags, store.kind
    bare = sum(1 for i in order if not flags[i] & (_ICON | _ERROR) and kinds[i] != _KIND_CODE["404"])
    under_path = bool(urlsplit(cfg.base_url).path.strip("/"))
    out: list[Finding] = []
    if bare and (under_path or not (root / "favicon.ico").is_file()):
        where = "the host's root, outside this site," if under_path else "the site, which has none,"
        _add(
            out,
            sev,
            "favicon-missing",
            "favicon.ico",
            [f'{bare:,} of {len(order):,} pages declare no <link rel="icon">: browsers ask {where} for /favicon.ico'],
        )
    return out


def _members(rows: int, order: Sequence[int]) -> np.ndarray:
    """Which of a store's rows are in `order`, as a mask (a set of half a million ints is ~30 MB)."""
    mask = np.zeros(rows, dtype=bool)
    mask[np.asarray(order, dtype=np.int64)] = True
    return mask


class PageRows(Sequence):
    """AuditResult.pages: the report's rows, made one at a time from the store's columns."""

    def __init__(
        self,
        store: RecordStore,
        order: list[int],
        text: TextResults,
        depth: np.ndarray,
        inlinks: np.ndarray,
        outlinks: np.ndarray,
        per_page: dict[str, list[Finding]],
    ):
        self.store, self.order, self.text = store, order, text
        self.depth, self.inlinks, self.outlinks, self.per_page = depth, inlinks, outlinks, per_page
        self.change: dict[int, str] = {}  # position → "added" | "changed"
        self._members: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.order)

    def has_url(self, url: str) -> bool:
        i = self.store.index.get(file_of(url))
        return i is not None and self.store.url(i) == url and bool(self._in_site()[i])

    def _in_site(self) -> np.ndarray:
        if self._members is None:
            self._members = _members(len(self.store), self.order)
        return self._members

    def url_hashes(self) -> Iterator[tuple[str, str]]:
        """(URL, content hash) of each row, without making the rows."""
        st = self.store
        for i in self.order:
            yield st.url(i), st.hash_of_index(i)

    def indexable_count(self) -> int:
        flags = self.store.flags
        return sum(1 for i in self.order if not flags[i] & _NOINDEX)

    def __getitem__(self, p):
        if isinstance(p, slice):
            return [self[k] for k in range(*p.indices(len(self)))]
        if p < 0:
            p += len(self)
        st, i = self.store, self.order[p]
        url = st.url(i)
        near, share = int(self.text.nearest[p]), self.text.share[p]
        return PageRow(
            url=url,
            file=st.rel[i],
            kind=PAGE_KINDS[st.kind[i]],
            indexable=not st.flags[i] & _NOINDEX,
            title=st.title[i],
            description_length=st.desc_len[i],
            words=st.words[i],
            # NaN: not measured. A numpy float, as the share always was: the report's round() of one
            # rounds halves as numpy does (0.5375 → 0.538), not as Python's does for a float (0.537).
            unique_share=None if np.isnan(share) else share,
            nearest=st.url(self.order[near]) if near >= 0 else "",
            similarity=float(self.text.similarity[p]) if near >= 0 else None,
            depth=int(self.depth[p]) if self.depth[p] >= 0 else None,
            inlinks=int(self.inlinks[p]),
            outlinks=int(self.outlinks[p]),
            hash=st.hash_of_index(i),
            change=self.change.get(p, ""),
            findings=sorted(self.per_page.get(url, []), key=lambda f: (SEVERITIES.index(f.severity), f.check)),
        )

    def __iter__(self) -> Iterator[PageRow]:
        for p in range(len(self.order)):
            yield self[p]

    def summary_rows(self) -> Iterator[tuple[str, str, bool, int, Any, float | None, list[Finding]]]:
        """(url, kind, indexable, words, unique share, similarity, findings in any order) of each
        row, as its PageRow has them, without making the rows (for the report's summary pass)."""
        st, text, per_page = self.store, self.text, self.per_page
        kinds, flags, words = st.kind, st.flags, st.words
        nearest, similarity, share = text.nearest.tolist(), text.similarity, text.share
        none: list[Finding] = []
        for p, i in enumerate(self.order):
            url = st.url(i)
            s = share[p]
            yield (
                url,
                PAGE_KINDS[kinds[i]],
                not flags[i] & _NOINDEX,
                words[i],
                None if np.isnan(s) else s,
                float(similarity[p]) if nearest[p] >= 0 else None,
                per_page.get(url, none),
            )


class TextResults(NamedTuple):
    """The text pass's answers, per position in the audit's page order: arrays, not a dict per page."""

    nearest: np.ndarray  # int32: position of the most similar page found, -1 for none
    similarity: np.ndarray  # float64: its estimated Jaccard similarity (NaN for none)
    share: np.ndarray  # float64: unique-text share, NaN when not measured (too short, or not a content page)


def _text_results(store: RecordStore, order: list[int], cfg: Config, cache_file: Path | None) -> TextResults:
    """Nearest page and unique-text share of every content page.

    Both depend on every page at once; when no page changed since the last audit, the previous
    answers are reused from a small file next to the page cache.
    """
    flags, kinds = store.flags, store.kind
    content = [p for p, i in enumerate(order) if not flags[i] & _ERROR and kinds[i] != _KIND_CODE["404"]]
    digest = _text_key(store, order, content, cfg)
    result = TextResults(
        np.full(len(order), -1, dtype=np.int32), np.full(len(order), np.nan), np.full(len(order), np.nan)
    )
    path = cache_file.with_name(cache_file.name + ".text") if cache_file is not None else None
    if path is not None and _load_text_results(path, digest, store, order, content, result):
        return result
    _nearest_pages(store, order, content, cfg, result)
    _unique_shares_of(store, order, content, cfg, result)
    if path is not None:
        _save_text_results(path, digest, store, order, content, result)
    return result


def _text_key(store: RecordStore, order: list[int], content: list[int], cfg: Config) -> str:
    """What the text pass's answers depend on: its settings and every content page's file and hash."""
    a = cfg.audit
    settings = [
        AUDIT_VERSION,
        NUM_PERM,
        MIN_SHINGLES,
        SAMPLE_MASK,
        a.near_duplicate_threshold,
        a.boilerplate_share,
        a.boilerplate_pages,
    ]
    key = hashlib.blake2b(repr(settings).encode(), digest_size=16)
    for p in content:
        i = order[p]
        key.update(f"{store.rel[i]}\0{store.hash_of_index(i)}\n".encode())
    return key.hexdigest()


def _load_text_results(
    path: Path, digest: str, store: RecordStore, order: list[int], content: list[int], result: TextResults
) -> bool:
    """Fill `result` from the answers saved at `path` for the same `digest`; whether there were any."""
    import msgpack

    if not path.exists():
        return False
    try:
        saved = msgpack.unpackb(path.read_bytes(), raw=False)
        if saved.get("key") == digest:
            index = {store.rel[order[p]]: p for p in content}
            for a_, b_, sim in saved["near"]:
                result.nearest[index[a_]], result.similarity[index[a_]] = index[b_], sim
            result.share[content] = [np.nan if s is None else s for s in saved["share"]]
            return True
    except (ValueError, TypeError, KeyError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError):
        pass
    return False


def _nearest_pages(store: RecordStore, order: list[int], content: list[int], cfg: Config, result: TextResults) -> None:
    """Each content page long enough to compare: its most similar page (MinHash with LSH)."""
    shingles, mh_row = store.shingles, store.mh_row
    comparable = np.array(
        [p for p in content if shingles[order[p]] >= MIN_SHINGLES and mh_row[order[p]] >= 0], dtype=np.int64
    )
    signatures = _Signatures(store.mh, np.array([mh_row[order[p]] for p in comparable], dtype=np.int64), NUM_PERM)
    other, sim = nearest_rows(signatures, cfg.audit.near_duplicate_threshold)
    del signatures
    store.mh = bytearray()  # the cache is saved: the signatures are not needed again
    found = other >= 0
    result.nearest[comparable[found]] = comparable[other[found]]
    result.similarity[comparable[found]] = sim[found]


def _unique_shares_of(
    store: RecordStore, order: list[int], content: list[int], cfg: Config, result: TextResults
) -> None:
    """Each content page long enough to measure: the share of its text found on few other pages."""
    a = cfg.audit
    ends = np.frombuffer(store.sample_end, dtype=np.int64) // 4 if len(store.sample_end) else np.zeros(0, np.int64)
    pages = np.array([order[p] for p in content], dtype=np.int64)
    shares = page_shares(store.sample, ends, pages, a.boilerplate_share, a.boilerplate_pages)
    store.sample = bytearray()  # likewise
    measured = np.array([store.shingles[i] >= MIN_SHINGLES for i in pages.tolist()], dtype=bool)
    result.share[np.asarray(content, dtype=np.int64)[measured]] = shares[measured]


def _save_text_results(
    path: Path, digest: str, store: RecordStore, order: list[int], content: list[int], result: TextResults
) -> None:
    """Keep the answers next to the page cache, replaced whole, for an audit of the same pages."""
    import msgpack

    near = np.flatnonzero(result.nearest >= 0).tolist()
    payload = {
        "key": digest,
        "near": [
            [store.rel[order[p]], store.rel[order[q]], s]
            for p, q, s in zip(near, result.nearest[near].tolist(), result.similarity[near].tolist())
        ],
        "share": [None if s != s else s for s in result.share[content].tolist()],
    }
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    tmp.write_bytes(msgpack.packb(payload, use_bin_type=True))
    os.replace(tmp, path)


def compare(result: AuditResult, previous: dict[str, str]) -> None:
    """Mark pages added or changed since a build whose URL → hash map is `previous`; list removed ones."""
    result.has_previous = True
    rows = result.pages
    current: set[str] = set()
    if isinstance(rows, PageRows):  # from the store's columns, without making a row per page
        rows.change = {}
        for k, (url, digest) in enumerate(rows.url_hashes()):
            current.add(url)
            if url not in previous:
                rows.change[k] = "added"
            elif previous[url] != digest:
                rows.change[k] = "changed"
        st, order = rows.store, rows.order
        result.added = [st.url(order[k]) for k, c in rows.change.items() if c == "added"]
        result.changed = [st.url(order[k]) for k, c in rows.change.items() if c == "changed"]
    else:
        for p in rows:
            current.add(p.url)
            p.change = "added" if p.url not in previous else "changed" if previous[p.url] != p.hash else ""
        result.added = [p.url for p in rows if p.change == "added"]
        result.changed = [p.url for p in rows if p.change == "changed"]
    result.removed = sorted(u for u in previous if u not in current)
