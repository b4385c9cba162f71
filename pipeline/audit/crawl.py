"""Reading the site: walking the folder, the content-hash cache and parsing pages in parallel."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from pipeline.audit.model import AUDIT_VERSION, NUM_PERM, SAMPLE_MASK, SHINGLE
from pipeline.audit.page_checks import _Severity
from pipeline.audit.parse import MINHASH_SCHEME, _minhash, content_hash, parse_page, stat_key
from pipeline.audit.store import _RENDERED, RecordStore, Spill
from pipeline.config import Config
from pipeline.processes import die_with_parent

# ---------------------------------------------------------------------------------------------
# Reading the site: walk, cache, parse in parallel


def walk(root: Path) -> tuple[list[str], set[str]]:
    """(HTML files, the other files) as sorted site-relative POSIX paths, without following links."""
    every: list[str] = []
    stack = [(str(root), "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as it:
            for entry in it:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, rel + "/"))
                elif entry.is_file():
                    every.append(rel)
    every.sort()
    return [f for f in every if f.endswith(".html")], {f for f in every if not f.endswith(".html")}


class _SiteFiles:
    """The site's files, for `in` tests: its pages through the store's index (once read, every page
    is a row of the store, marked in `in_site`) and the few other files in a set, instead of a set of
    every path (the paths of half a million pages are ~70 MB)."""

    def __init__(self, store: RecordStore, in_site: np.ndarray, others: set[str], count: int):
        self.store, self.in_site, self.others, self.count = store, in_site, others, count

    def __contains__(self, rel: str) -> bool:
        if rel in self.others:
            return True
        i = self.store.index.get(rel)
        return i is not None and bool(self.in_site[i])

    def __len__(self) -> int:
        return self.count


def _cache_params(cfg: Config) -> list:
    # Per-page findings are kept in the cache, so the settings they depend on are part of its key.
    return [
        AUDIT_VERSION,
        NUM_PERM,
        SHINGLE,
        SAMPLE_MASK,
        cfg.base_url,
        MINHASH_SCHEME,
        repr(cfg.audit),
    ]


def load_cache(path: Path | None, cfg: Config) -> RecordStore | None:
    """The previous audit's store; None when the cache is missing, unreadable or from other settings."""
    import pickle

    if path is None or not path.exists():
        return None
    f = None
    try:
        f = open(path, "rb")  # stays open: the signatures and samples are read from it later
        if pickle.load(f) != _cache_params(cfg):
            f.close()
            return None
        state = pickle.load(f)
        offset = f.tell()
        for k in _RAW_COLUMNS:  # their bytes follow the pickle, in this order (see save_cache)
            state[k] = Spill.part_of(f, offset, state[k])
            offset += len(state[k])
        if os.fstat(f.fileno()).st_size != offset:
            raise EOFError("the cache is cut short")
        store = RecordStore.__new__(RecordStore)
        store.__setstate__(state)
        store.cfg, store.sev = cfg, _Severity(cfg)
        return store
    except (OSError, EOFError, ValueError, TypeError, KeyError, AttributeError, pickle.UnpicklingError):
        if f is not None:
            f.close()
        return None


def save_cache(path: Path, store: RecordStore, cfg: Config) -> None:
    import pickle

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    state = store.__getstate__()
    raw = {k: state[k] for k in _RAW_COLUMNS}
    state.update({k: len(v) for k, v in raw.items()})
    with open(tmp, "wb") as f:  # pickle writes in frames: the columns are not copied into one big bytes object
        pickle.dump(_cache_params(cfg), f, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
        for k in _RAW_COLUMNS:  # signatures and samples as raw bytes after the pickle, never all in memory
            if isinstance(raw[k], Spill):
                raw[k].write_to(f)
            else:
                f.write(raw[k])
    os.replace(tmp, path)


_RAW_COLUMNS = ("mh", "sample")


def _parse_chunk(
    args: tuple[str, Config, list[tuple[int, str, str | None]]],
) -> tuple[RecordStore | None, list[int | None], list[int]]:
    """Worker: read each (item number, page, cached hash); answer None when its bytes have the cached
    hash, or else parse it into this chunk's own RecordStore (per-page checks included) and answer
    its row there. Also answers every file's stat key, taken before reading it."""
    root, cfg, items = args
    store: RecordStore | None = None
    out: list[int | None] = []
    keys: list[int] = []
    for _, rel, known in items:
        with open(os.path.join(root, rel), "rb") as f:
            keys.append(stat_key(os.fstat(f.fileno())))  # before reading: a later write changes the key
            data = f.read()
        digest = content_hash(data)
        if digest == known:
            out.append(None)
            continue
        if store is None:
            store = RecordStore(cfg)
        rec = parse_page(rel, data, cfg.base_url, digest)
        rec.stat = keys[-1]
        out.append(store.add(rec))
    return store, out, keys


def read_pages(
    root: Path,
    pages: list[str],
    cfg: Config,
    cache: RecordStore | None,
    store: RecordStore,
    workers: int | None = None,
    trust_rendered: bool = True,
) -> tuple[int, int]:
    """Add every page not yet in `store` to it, from the cache where the file is unchanged.

    Returns (pages parsed, unchanged pages whose stat key changed): when both are 0 and the cache
    has as many pages, the cache needs no rewriting. A page whose file has the stat key (inode, size,
    mtime) the cache has for it is unchanged without being read: this process checks those keys
    itself, and only files that must be read go to worker processes, where a file whose bytes have
    the cached hash is unchanged too. Pages already in `store` were parsed by the caller from exactly
    the bytes of those files (the build parses the pages it renders while it still holds them): they
    are not read again. Rows are added in the order of `pages`. Without `trust_rendered`, cached
    records the renderer made (not parsed from the file) count as unknown: those files are parsed.
    """
    items, parsed, rekeyed = _pages_to_find(pages, cache, store)
    if not trust_rendered and cache is not None:
        items = [(rel, -1 if j >= 0 and cache.flags[j] & _RENDERED else j) for rel, j in items]
    unread = _unread(root, items, cache)
    to_read = [
        (k, rel, cache.hash_of_index(j) if j >= 0 else None) for k, (rel, j) in enumerate(items) if not unread[k]
    ]
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if len(to_read) >= 2000 else 1
    chunk = max(16, min(256, len(to_read) // (workers * 4) or 1))
    jobs = [(str(root), cfg, to_read[i : i + chunk]) for i in range(0, len(to_read), chunk)]
    placer = _Placer(store, cache, items, parsed, rekeyed)
    if workers > 1 and len(jobs) > 1:
        _minhash(np.zeros(1, dtype=np.uint32))  # import and set up before forking, not once per worker
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
            for job, res in zip(jobs, pool.map(_parse_chunk, jobs)):
                placer.take(job, res)
    else:
        for job in jobs:
            placer.take(job, _parse_chunk(job))
    placer.unchanged_until(len(items))
    placer.flush()
    return placer.parsed, placer.rekeyed


def _pages_to_find(
    pages: list[str], cache: RecordStore | None, store: RecordStore
) -> tuple[list[tuple[str, int]], int, int]:
    """The pages not in `store`, each with its cache row or -1; and of those in it (the caller's), how
    many the cache does not have as they are (parsed) and how many it has under another stat key."""
    parsed = rekeyed = 0
    items: list[tuple[str, int]] = []
    for rel in pages:
        if rel in store.index:
            if cache is None or cache.hash_of(rel) != store.hash_of(rel):
                parsed += 1
            elif store.stat[store.index[rel]] != cache.stat[cache.index[rel]]:
                rekeyed += 1
        else:
            items.append((rel, cache.index.get(rel, -1) if cache is not None else -1))
    return items, parsed, rekeyed


def _unread(root: Path, items: list[tuple[str, int]], cache: RecordStore | None) -> np.ndarray:
    """For each item, whether its file has the stat key the cache has for it (unchanged without reading)."""
    unread = np.zeros(len(items), dtype=bool)
    for k, (rel, j) in enumerate(items):
        if j >= 0 and cache.stat[j]:
            try:
                unread[k] = stat_key(os.stat(os.path.join(root, rel))) == cache.stat[j]
            except OSError:
                pass  # reading it says what is wrong
    return unread


class _Placer:
    """Adds the pages to `store` in the order of `items`, as the parsed chunks come back: runs of
    unchanged pages copied from the cache together, parsed ones from their chunk's store."""

    def __init__(
        self, store: RecordStore, cache: RecordStore | None, items: list[tuple[str, int]], parsed: int, rekeyed: int
    ):
        self.store, self.cache, self.items = store, cache, items
        self.parsed, self.rekeyed = parsed, rekeyed
        self.placed = 0  # items[:placed] are in `store` or in `cached`
        self.cached: list[int] = []  # the cache's rows of unchanged pages, copied together (in page order)
        self.new_keys: list[tuple[int, int]] = []  # (place in `cached`, the file's new stat key)

    def flush(self) -> None:
        """Copy the cached rows waiting, with the new stat keys of those whose file was touched."""
        first = len(self.store)
        self.store.add_rows_from(self.cache, self.cached)
        for at, key in self.new_keys:
            self.store.stat[first + at] = key
        self.cached, self.new_keys = [], []

    def unchanged_until(self, stop: int) -> None:
        """Items placed..stop were not read: unchanged."""
        self.cached.extend(self.items[k][1] for k in range(self.placed, stop))
        self.placed = stop

    def take(self, job, res) -> None:
        """Place a chunk's pages: each unchanged one from the cache, each parsed one from the chunk's store."""
        parsed_here, out, keys = res
        first, last = job[2][0][0], job[2][-1][0]
        if parsed_here is not None and len(parsed_here) == len(out) == last - first + 1:
            # every page of the chunk was parsed, and no unread page lies between them
            self.unchanged_until(first)
            self.flush()
            self.parsed += len(out)
            self.store.extend(parsed_here)
            self.placed = last + 1
            return
        for (k, _, _), r, key in zip(job[2], out, keys):
            self.unchanged_until(k)
            self.placed = k + 1
            if r is None:
                j = self.items[k][1]
                if key != self.cache.stat[j]:
                    self.new_keys.append((len(self.cached), key))
                    self.rekeyed += 1
                self.cached.append(j)
            else:
                self.flush()
                self.parsed += 1
                self.store.add_from(parsed_here, r)
