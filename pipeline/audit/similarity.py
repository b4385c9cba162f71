"""Text similarity across pages: MinHash near-duplicates with LSH banding, and each page's own-text share."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from pipeline.audit.model import LSH_BANDS, MAX_CANDIDATES, NUM_PERM
from pipeline.audit.store import Spill


def lsh_params(threshold: float, num_perm: int = NUM_PERM, bands: int = LSH_BANDS) -> tuple[int, int]:
    """(bands, rows): the most selective banding that still finds a pair at `threshold` 98% of the time."""
    best = 1
    for rows in range(1, num_perm // bands + 1):
        if 1 - (1 - threshold**rows) ** bands >= 0.98:
            best = rows
    return bands, best


class _Signatures:
    """MinHash signatures (rows of equal width) read where they are, so that the near-duplicate pass
    does not copy every signature (512 bytes a page) into memory: an array, or uint32 rows in a
    bytearray or a Spill (the build's temporary file, or the audit cache), read a block of rows at a
    time for sequential passes and a row at a time for comparisons. Row `p` is row `rows[p]` of the
    buffer. (Not a memory map: on this kernel a fault maps a whole large folio of the page cache,
    so scattered reads would map most of the file into the process.)
    """

    BLOCK = 4096  # rows per block of a sequential pass

    def __init__(self, buf: np.ndarray | bytearray | Spill, rows: np.ndarray | None = None, width: int | None = None):
        self.buf = buf
        self.width = buf.shape[1] if isinstance(buf, np.ndarray) else width
        self.dtype = buf.dtype if isinstance(buf, np.ndarray) else np.dtype(np.uint32)
        self.size = self.dtype.itemsize * self.width  # bytes a row
        self.total = len(buf) if isinstance(buf, np.ndarray) else len(buf) // self.size
        self.rows = np.arange(self.total, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.rows)

    def _read(self, start: int, count: int) -> np.ndarray:
        """Buffer rows start…start + count."""
        if isinstance(self.buf, np.ndarray):
            return self.buf[start : start + count]
        data = self.buf[start * self.size : (start + count) * self.size]
        return np.frombuffer(data, dtype=self.dtype).reshape(-1, self.width)

    def row(self, p: int) -> np.ndarray:
        return self._read(int(self.rows[p]), 1)[0]

    def take(self, positions) -> np.ndarray:
        """Rows `positions`, read one by one (for a few rows)."""
        return np.array([self.row(p) for p in np.asarray(positions).tolist()], dtype=self.dtype).reshape(-1, self.width)

    def blocks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(positions, their rows) for every row, a block of the buffer at a time, in the buffer's order."""
        where = np.full(self.total, -1, dtype=np.int64)  # buffer row → position
        where[self.rows] = np.arange(len(self.rows))
        for start in range(0, self.total, self.BLOCK):
            dest = where[start : start + self.BLOCK]
            keep = np.flatnonzero(dest >= 0)
            if len(keep):
                yield dest[keep], self._read(start, len(dest))[keep]

    def columns(self, lo: int, hi: int, positions: np.ndarray | None = None) -> np.ndarray:
        """Columns lo…hi of every row (or of rows `positions`), in position order."""
        out = np.empty((len(self), hi - lo), dtype=self.dtype)
        for at, block in self.blocks():
            out[at] = block[:, lo:hi]
        return out if positions is None else out[positions]


def _identical_rows(m: np.ndarray | _Signatures) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group identical rows of a 2-D array: (first row of each group, group of each row, group sizes),
    groups numbered in the order np.unique gives them. Rows are hashed column by column into 64 bits
    (a block of rows at a time, no sort of 512-byte keys) and rows that share a hash are compared whole.
    """
    sig = m if isinstance(m, _Signatures) else _Signatures(m)
    h = np.empty(len(sig), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for at, block in sig.blocks():
            hb = np.zeros(len(block), dtype=np.uint64)
            for c in range(block.shape[1]):
                hb = hb * np.uint64(0x100000001B3) ^ block[:, c].astype(np.uint64)
            h[at] = hb
    _, first, group, counts = np.unique(h, return_index=True, return_inverse=True, return_counts=True)
    del h
    group = group.ravel()
    for g in np.flatnonzero(counts > 1).tolist():  # same hash: prove the rows equal, or split them
        rows = np.flatnonzero(group == g)
        same = sig.take(rows)
        if not (same == same[0]).all():
            keys = np.ascontiguousarray(same).view(np.dtype((np.void, same.dtype.itemsize * same.shape[1]))).ravel()
            _, sub_first, sub = np.unique(keys, return_index=True, return_inverse=True)
            sub = sub.ravel()
            for k in range(1, len(sub_first)):
                new = len(first)
                first = np.append(first, rows[sub_first[k]])
                counts = np.append(counts, (sub == k).sum())
                group[rows[sub == k]] = new
            first[g], counts[g] = rows[sub_first[0]], (sub == 0).sum()
    return first, group, counts


def near_duplicates(signatures: np.ndarray, ids: list[int], threshold: float) -> dict[int, tuple[int, float]]:
    """Each page's most similar page among its LSH candidates: {id: (other id, estimated Jaccard)}.

    `signatures` holds one MinHash per row (uint32, NUM_PERM columns) for the pages in `ids`.
    See `nearest_rows`, which answers the same in two arrays.
    """
    other, sim = nearest_rows(signatures, threshold)
    return {ids[r]: (ids[o], float(sim[r])) for r, o in enumerate(other.tolist()) if o >= 0}


def nearest_rows(signatures: np.ndarray | _Signatures, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Each row's most similar row among its LSH candidates: (other row or -1, estimated Jaccard).

    Linear in pages: pages are bucketed by bands of their signature; only pages that share a
    bucket are compared. Identical signatures are grouped first so that many identical pages
    cannot make one huge bucket. The signatures are read a block or a few rows at a time (see
    `_Signatures`); what is kept per page is a few integers per band.
    """
    sig = signatures if isinstance(signatures, _Signatures) else _Signatures(signatures)
    n_rows = len(sig)
    best_row = np.full(n_rows, -1, dtype=np.int32)
    best_sim = np.zeros(n_rows, dtype=np.float64)
    if n_rows < 2:
        return best_row, best_sim
    reps, group, same = _identical(sig, best_row, best_sim)
    if len(reps) < 2:
        return best_row, best_sim
    buckets = _Buckets(sig, reps, threshold)
    low = _low_bytes(sig)
    rng = np.random.default_rng(0)
    for n, row in enumerate(reps):
        cands = [c for c in buckets.candidates(n, row) if c != row]
        if not cands:
            continue
        if len(cands) > MAX_CANDIDATES:
            cands = list(rng.choice(cands, MAX_CANDIDATES, replace=False))
        best, similarity = _best_candidate(sig, low, row, cands)
        for m in same.get(int(group[row]), (row,)):
            if best_row[m] < 0 or best_sim[m] < similarity:
                best_row[m], best_sim[m] = best, similarity
    return best_row, best_sim


def _identical(
    sig: _Signatures, best_row: np.ndarray, best_sim: np.ndarray
) -> tuple[list[int], np.ndarray, dict[int, list[int]]]:
    """Pages with identical signatures form one group, represented by its first row; each member's
    nearest row is another member (similarity 1). Returns the representatives in ascending order,
    each row's group and the rows of each group of two or more."""
    first, group, counts = _identical_rows(sig)
    same: dict[int, list[int]] = {}  # group → its rows, for groups of two or more
    for row in np.flatnonzero(counts[group] > 1).tolist():
        same.setdefault(int(group[row]), []).append(row)
    for members in same.values():
        for m in members:
            best_row[m], best_sim[m] = (members[1] if m == members[0] else members[0]), 1.0
    return np.sort(first).tolist(), group, same


class _Buckets:
    """LSH banding: in each band, pages whose band of the signature is identical share a bucket,
    named by its smallest row (reps are in ascending order).

    That is what datasketch's MinHashLSH does (a dict keyed by the band's bytes), done with one sort
    per band: the library's index took ~20 s and ~200 MB at 125,000 pages for the same buckets. Each
    page's candidates are then gathered band by band as MinHashLSH.query does (a set filled from each
    band's bucket set, in band order; bucket sets filled in insertion order), so the candidates, their
    order and the sampling in nearest_rows are the same as the library's. Rows fit in int32 (fewer
    than 2**31 pages)."""

    def __init__(self, sig: _Signatures, reps: list[int], threshold: float):
        bands, rows = lsh_params(threshold)
        rep_rows = np.asarray(reps, dtype=np.int32)
        self.bucket_t = np.empty((len(reps), bands), dtype=np.int32)  # per rep and band, its bucket's smallest row
        self.alone_t = np.empty((len(reps), bands), dtype=bool)  # the rep is alone in its bucket
        self.members: list[tuple[np.ndarray, np.ndarray]] = []  # per band: bucket ids sorted, the reps' rows so
        self.cache: dict[tuple[int, int], list[int]] = {}
        for k in range(bands):
            band = sig.columns(k * rows, (k + 1) * rows, rep_rows)  # one band of every rep, read a block at a time
            keys = band.view(np.dtype((np.void, band.dtype.itemsize * rows))).ravel()
            _, first, inverse, counts = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
            del band, keys
            bucket = rep_rows[first[inverse.ravel()]]
            self.bucket_t[:, k] = bucket
            self.alone_t[:, k] = counts[inverse.ravel()] == 1
            del first, inverse, counts
            by = np.argsort(bucket, kind="stable")  # reps were inserted in ascending order: keep it per bucket
            self.members.append((bucket[by], rep_rows[by]))
            del bucket, by

    def bucket_list(self, k: int, b: int) -> list[int]:
        """The rows of a bucket in the order its set (filled as DictSetStorage.insert fills it) yields them."""
        keys = self.cache.get((k, b))
        if keys is None:
            ids_sorted, rows_sorted = self.members[k]
            key = np.int32(b)  # a Python int would make searchsorted convert the whole int32 array
            lo, hi = ids_sorted.searchsorted(key, "left"), ids_sorted.searchsorted(key, "right")
            out: set[int] = set()
            for r in rows_sorted[lo:hi].tolist():
                out.update((r,))
            keys = list(out)
            if hi - lo > 8:  # large buckets are met again and again; small ones are cheap to redo
                self.cache[(k, b)] = keys
        return keys

    def candidates(self, n: int, row: int) -> list[int]:
        """The rows sharing a bucket with rep number `n` (row `row`, itself included), in MinHashLSH.query's order."""
        found: set[int] = set()
        for k, (b, lone) in enumerate(zip(self.bucket_t[n].tolist(), self.alone_t[n].tolist())):
            if lone:
                found.add(row)
                continue
            found.update(self.bucket_list(k, b))  # added one by one, in the bucket set's order
        return list(found)


def _low_bytes(sig: _Signatures) -> np.ndarray:
    """The low byte of each value of every row (128 bytes a page in memory), for _best_candidate's bound."""
    low = np.empty((len(sig), sig.width), dtype=np.uint8)
    for at, block in sig.blocks():
        low[at] = block.astype(np.uint8)  # uint32 → uint8 keeps the low byte
    return low


def _best_candidate(sig: _Signatures, low: np.ndarray, row: int, cands: list[int]) -> tuple[int, float]:
    """The candidate most similar to `row`, and that similarity.

    Candidates are compared first on the low byte of each value: two rows agree on at least as many
    low bytes as values, so that count bounds the similarity from above, and only candidates whose
    bound reaches the best exact count so far are read whole. The winner is the one a comparison of
    whole rows picks: the most equal values, the first candidate among equals (np.argmax); its
    similarity is that count / NUM_PERM (what .mean() gives)."""
    bound = (low[cands] == low[row]).sum(axis=1)
    mine = sig.row(row)
    best_k, best_equal = -1, -1
    for k in np.argsort(-bound, kind="stable").tolist():
        if bound[k] < best_equal:
            break
        equal = int((sig.row(cands[k]) == mine).sum())
        if equal > best_equal or (equal == best_equal and k < best_k):
            best_k, best_equal = k, equal
    return int(cands[best_k]), best_equal / sig.width


def unique_shares(samples: list[np.ndarray], boilerplate_share: float) -> list[float | None]:
    """Per page, the share of sampled shingles found on few pages (at most boilerplate_share of them).

    A shingle on more than that share of pages is site-wide boilerplate (template text, navigation,
    call to action). Memory linear in pages: see `page_shares`.
    """
    lengths = np.array([len(s) for s in samples], dtype=np.int64)
    return _unique_shares(np.concatenate(samples) if samples else np.zeros(0, np.uint32), lengths, boilerplate_share)


def _unique_shares(every: np.ndarray, lengths: np.ndarray, boilerplate_share: float) -> list[float | None]:
    """unique_shares() of pages whose samples are concatenated in `every`, `lengths[i]` for page i."""
    ends = np.cumsum(lengths, dtype=np.int64)
    shares = page_shares(
        bytearray(np.ascontiguousarray(every, dtype=np.uint32).tobytes()),
        ends,
        np.arange(len(lengths)),
        boilerplate_share,
    )
    return [None if s != s else float(s) for s in shares.tolist()]


def _sample_blocks(ends: np.ndarray, step: int) -> Iterator[tuple[int, int]]:
    """Ranges lo…hi of pages whose samples (values up to ends[i] for page i) total about `step` values."""
    lo = 0
    while lo < len(ends):
        before = int(ends[lo - 1]) if lo else 0
        hi = max(lo + 1, int(np.searchsorted(ends, before + step, "right")))
        yield lo, hi
        lo = hi


def page_shares(
    buf: bytearray | Spill, ends: np.ndarray, pages: np.ndarray, boilerplate_share: float, boilerplate_pages: int = 0
) -> np.ndarray:
    """Unique-text share of each of `pages` (rows of a store whose uint32 shingle samples are `buf`,
    row i's ending at value ends[i]), NaN for a page without samples. Only the samples of `pages`
    count, each page's being distinct values.

    The samples stay where they are (a Spill is a file): they are read a block at a time, once to
    count values per range of their top bits, once per range to find the values on more than the
    cutoff of pages, and once to count each page's own values. What is held at once is one range's
    values (an eighth of the samples), the common values and a few numbers per page.
    """
    n = len(pages)
    out = np.full(n, np.nan)
    samples = _Samples(buf, ends, pages)
    lengths = samples.lengths
    if not n or not lengths[pages].sum():
        return out
    cutoff = max(1, int(boilerplate_share * n))
    if boilerplate_pages > 0:  # "more than a few pages": a shared definition is boilerplate on any site size
        cutoff = max(1, min(cutoff, boilerplate_pages))
    sums = _own_values(samples, _common_values(samples, cutoff))
    has = lengths[pages] > 0
    out[has] = sums[pages[has]] / lengths[pages[has]]
    return out


class _Samples:
    """A store's shingle samples, read a block of pages at a time: each block's values, and which of
    them belong to the pages that count."""

    def __init__(self, buf: bytearray | Spill, ends: np.ndarray, pages: np.ndarray):
        self.ends = np.asarray(ends, dtype=np.int64)
        self.lengths = np.diff(self.ends, prepend=0)
        self.counted = np.zeros(len(self.ends), dtype=bool)
        self.counted[pages] = True
        self.view = buf if isinstance(buf, Spill) else memoryview(buf)
        self.blocks = list(_sample_blocks(self.ends, 1 << 18))

    def values(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """The values of pages lo…hi, and for each whether its page counts."""
        start = int(self.ends[lo - 1]) if lo else 0
        v = np.frombuffer(self.view[4 * start : 4 * int(self.ends[hi - 1])], dtype=np.uint32)
        return v, np.repeat(self.counted[lo:hi], self.lengths[lo:hi])


def _common_values(samples: _Samples, cutoff: int) -> np.ndarray:
    """The values on more than `cutoff` of the counted pages, sorted.

    A value is on more than `cutoff` pages when, in sorted order, it equals the value `cutoff` places on:
    no table of every distinct value and its count is needed. Sorted a range of values at a time."""
    shift = np.uint32(29)  # eight ranges: the top three bits
    per_range = np.zeros(8, dtype=np.int64)
    for lo, hi in samples.blocks:
        v, keep = samples.values(lo, hi)
        per_range += np.bincount(v[keep] >> shift, minlength=8)
    parts = []
    for r in range(8):
        part = np.empty(int(per_range[r]), dtype=np.uint32)
        at = 0
        for lo, hi in samples.blocks:
            v, keep = samples.values(lo, hi)
            got = v[keep & ((v >> shift) == r)]
            part[at : at + len(got)] = got
            at += len(got)
        part.sort()
        if len(part) > cutoff:
            parts.append(np.unique(part[cutoff:][part[cutoff:] == part[: len(part) - cutoff]]))
        del part
    return np.concatenate(parts) if parts else np.zeros(0, np.uint32)


def _own_values(samples: _Samples, common: np.ndarray) -> np.ndarray:
    """Each page's own values (not common), summed per page over the pages that have samples only
    (an empty page's start would cut its neighbour's run short)."""
    ends, lengths = samples.ends, samples.lengths
    sums = np.zeros(len(ends), dtype=np.int64)
    for lo, hi in samples.blocks:
        v, _ = samples.values(lo, hi)
        if len(common):
            own = common[np.minimum(np.searchsorted(common, v), len(common) - 1)] != v
        else:
            own = np.ones(len(v), dtype=bool)
        rows = lo + np.flatnonzero(lengths[lo:hi] > 0)
        if len(rows):
            first = (ends - lengths)[rows] - (int(ends[lo - 1]) if lo else 0)
            sums[rows] = np.add.reduceat(own, first, dtype=np.int64)
    return sums
