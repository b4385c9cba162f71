"""The compact column store that keeps every page's record between the parse and the site-wide checks."""

from __future__ import annotations

import hashlib
import os
import tempfile
from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from pipeline.audit.model import NUM_PERM, Finding, PageRecord
from pipeline.audit.page_checks import _Severity, page_findings
from pipeline.audit.parse import _KIND_CODE, _kind, resolve, url_of
from pipeline.config import Config

# ---------------------------------------------------------------------------------------------
# What the audit keeps of every page: compact columns


_NOINDEX, _ERROR, _TITLE_ONE, _DESC_ONE, _CANONICAL, _ICON = 1, 2, 4, 8, 16, 32
_RENDERED = 64  # the record is the renderer's (site/facts.py), not parsed from the file


def _h64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little", signed=True)


class Spill:
    """Append-only bytes in an unnamed temporary file rather than in memory: the MinHash signatures
    and shingle samples of every page (≈ 1 KB a page, 120 MB at 125,000 pages), which only the cache
    and the text pass read, once each. Supports what RecordStore does with a bytearray: `+=`, len(),
    slices; it pickles as a bytearray.
    """

    def __init__(self, folder: Path | None = None):
        if folder is not None:
            Path(folder).mkdir(parents=True, exist_ok=True)
        self._file = tempfile.TemporaryFile(dir=folder)
        self._base = 0  # where the bytes start in the file
        self._size = 0

    @classmethod
    def part_of(cls, file, offset: int, size: int) -> Spill:
        """Bytes `offset`…`offset + size` of an open file (the audit cache), read when asked."""
        spill = cls.__new__(cls)
        spill._file, spill._base, spill._size = file, offset, size
        return spill

    def write_to(self, f) -> None:
        """Copy the bytes into an open file, a megabyte at a time."""
        for start in range(0, self._size, 1 << 20):
            f.write(self[start : start + (1 << 20)])

    def __len__(self) -> int:
        return self._size

    def __iadd__(self, data) -> Spill:
        view = memoryview(data).cast("B")
        while len(view):  # pwrite may write less than asked (a full disk raises OSError instead)
            done = os.pwrite(self._file.fileno(), view, self._base + self._size)
            self._size += done
            view = view[done:]
        return self

    def __getitem__(self, key: slice) -> bytearray:
        start, stop, step = key.indices(self._size)
        if step != 1:
            raise ValueError("Spill slices are contiguous")
        return self._pread(start, max(0, stop - start))

    def read(self) -> bytearray:
        """All of it, in memory."""
        return self._pread(0, self._size)

    def _pread(self, start: int, size: int) -> bytearray:
        out = bytearray(size)
        view, got = memoryview(out), 0
        while got < size:
            n = os.preadv(self._file.fileno(), [view[got:]], self._base + start + got)
            if n <= 0:
                raise EOFError("the file is shorter than its bytes")
            got += n
        return out

    def __reduce__(self):
        return (bytearray, (self.read(),))


class _Strings:
    """An append-only list of strings held as UTF-8 in one bytearray with their end offsets: the
    string's bytes and 8 more each, instead of a str object (≈ 50 bytes plus its text) and a pointer."""

    __slots__ = ("data", "ends")

    def __init__(self):
        self.data = bytearray()
        self.ends = array("q")

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, i: int) -> str:
        return self.data[self.ends[i - 1] if i else 0 : self.ends[i]].decode()

    def __eq__(self, other) -> bool:
        return isinstance(other, _Strings) and self.data == other.data and self.ends == other.ends

    def append(self, text: str) -> None:
        self.data += text.encode()
        self.ends.append(len(self.data))

    def extend(self, other: _Strings) -> None:
        base = len(self.data)
        self.data += other.data
        self.ends.frombytes((np.frombuffer(other.ends, dtype=np.int64) + base).tobytes() if len(other) else b"")


def _spans(ends: array, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of rows `rows` of a column of end offsets (row j spans ends[j - 1]…ends[j])."""
    at = np.frombuffer(ends, dtype=np.int64)
    return np.where(rows > 0, at[np.maximum(rows - 1, 0)], 0), at[rows]


def _run_offsets(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions of the runs [starts[k], starts[k] + lengths[k]), one run after another."""
    ends = np.cumsum(lengths)
    return np.repeat(starts - (ends - lengths), lengths) + np.arange(int(ends[-1]) if len(ends) else 0)


def _run_starts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal values begins (values non-empty)."""
    return np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))


def _ranges(starts: np.ndarray, ends: np.ndarray) -> Iterator[tuple[int, int]]:
    """The ranges [starts[k], ends[k]) in order, merged where one ends where the next starts."""
    if not len(starts):
        return
    breaks = np.flatnonzero(starts[1:] != ends[:-1]) + 1
    for a, b in zip(np.concatenate(([0], breaks)), np.concatenate((breaks, [len(starts)]))):
        if ends[b - 1] > starts[a]:
            yield int(starts[a]), int(ends[b - 1])


class RecordStore:
    """The audit's facts about every page, in columns: a few hundred bytes a page plus its MinHash
    (512 bytes) and shingle sample, instead of a PageRecord's 3–4 KB of Python objects.

    `add` takes one PageRecord, runs the per-page checks on it at once (their findings are kept
    only for pages that have some) and keeps what the site-wide checks and the report need: flags,
    the first title (report rows), the meta description's length and 64-bit hash (duplicates), the
    canonical only when it is not base URL + page URL, counts, links as integer ids of distinct
    targets in one flat array, MinHash signatures and samples in flat byte arrays.
    """

    _COLUMNS = (
        "index",
        "rel",
        "digest",
        "flags",
        "kind",
        "title",
        "desc_len",
        "desc_h",
        "canon",
        "words",
        "shingles",
        "stat",
        "targets",
        "target_list",
        "links",
        "link_end",
        "mh",
        "mh_row",
        "sample",
        "sample_end",
        "findings",
        "errors",
        "og",
    )

    _FIXED_WIDTH = ("flags", "kind", "desc_len", "desc_h", "words", "shingles", "stat")  # one array item a row

    def __init__(self, cfg: Config, sev: _Severity | None = None, spill: Path | None = None):
        """`spill`: keep signatures and samples in a temporary file in that folder (see Spill)."""
        self.cfg, self.sev = cfg, sev or _Severity(cfg)
        self.index: dict[str, int] = {}  # rel → row
        self.rel: list[str] = []
        self.digest = bytearray()  # 10-byte content hashes
        self.flags = array("B")
        self.kind = array("B")
        self.title = _Strings()  # first <title>, or ""
        self.desc_len = array("i")
        self.desc_h = array("q")
        self.canon: dict[int, str] = {}  # first canonical, when it is not base URL + page URL
        self.words = array("i")
        self.shingles = array("i")
        self.stat = array("q")  # stat_key() of each page's file, 0 when unknown
        self.targets: dict[str, int] = {}  # link target → id
        self.target_list: list[str] = []
        self.links = array("i")
        self.link_end = array("q")
        self.mh: bytearray | Spill = Spill(spill) if spill is not None else bytearray()
        self.mh_row = array("i")  # row in mh, -1 when the page has no MinHash
        self.sample: bytearray | Spill = Spill(spill) if spill is not None else bytearray()
        self.sample_end = array("q")  # byte offsets
        self.findings: dict[int, list[Finding]] = {}
        self.errors: dict[int, str] = {}
        self.og: dict[int, str] = {}  # the file in the site that a page's og:image names (pages that name one)

    def __getstate__(self) -> dict:
        return {k: getattr(self, k) for k in self._COLUMNS}

    def __setstate__(self, state: dict) -> None:
        for k in self._COLUMNS:
            setattr(self, k, state[k])

    def __len__(self) -> int:
        return len(self.rel)

    def __contains__(self, rel: str) -> bool:
        return rel in self.index

    def url(self, i: int) -> str:
        return url_of(self.rel[i])

    def hash_of_index(self, i: int) -> str:
        return self.digest[10 * i : 10 * i + 10].hex()

    def hash_of(self, rel: str) -> str | None:
        i = self.index.get(rel)
        return None if i is None else self.hash_of_index(i)

    def canonical(self, i: int) -> str | None:
        if not self.flags[i] & _CANONICAL:
            return None
        if i in self.canon:
            return self.canon[i]
        return self.cfg.base_url.rstrip("/") + "/" + self.url(i)

    def _target(self, t: str) -> int:
        k = self.targets.get(t)
        if k is None:
            k = self.targets[t] = len(self.target_list)
            self.target_list.append(t)
        return k

    def add(self, rec: PageRecord, rendered: bool = False) -> int:
        """Keep a page's record (`rendered`: made by the renderer, not parsed from the file); its row."""
        if rec.rel in self.index:
            return self.index[rec.rel]
        i = len(self.rel)
        self.index[rec.rel] = i
        self.rel.append(rec.rel)
        digest = bytes.fromhex(rec.hash)
        self.digest += digest if len(digest) == 10 else hashlib.blake2b(digest, digest_size=10).digest()
        flags = (_NOINDEX if rec.noindex else 0) | (_ERROR if rec.parse_error else 0)
        if len(rec.titles) == 1 and rec.titles[0]:
            flags |= _TITLE_ONE
        if len(rec.descriptions) == 1 and rec.descriptions[0]:
            flags |= _DESC_ONE
        if rec.icon:
            flags |= _ICON
        if rendered:
            flags |= _RENDERED
        if rec.canonicals:
            flags |= _CANONICAL
            if rec.canonicals[0] != self.cfg.base_url.rstrip("/") + "/" + rec.url:
                self.canon[i] = rec.canonicals[0]
        self.flags.append(flags)
        self.kind.append(_KIND_CODE[_kind(rec.url)])
        self.title.append(rec.titles[0] if rec.titles else "")
        self.desc_len.append(len(rec.descriptions[0]) if rec.descriptions else 0)
        self.desc_h.append(_h64(rec.descriptions[0]) if flags & _DESC_ONE else 0)
        self.words.append(rec.words)
        self.shingles.append(rec.shingles)
        self.stat.append(rec.stat)
        self.links.extend(self._target(t) for t in rec.links)
        self.link_end.append(len(self.links))
        if rec.minhash:
            self.mh_row.append(len(self.mh) // (4 * NUM_PERM))
            self.mh += rec.minhash
        else:
            self.mh_row.append(-1)
        self.sample += rec.sample
        self.sample_end.append(len(self.sample))
        if rec.parse_error:
            self.errors[i] = rec.parse_error
        if rec.og_image:
            kind, target = resolve(rec.url, rec.og_image, self.cfg.base_url)
            if kind == "internal" and target is not None:
                self.og[i] = target
        found = page_findings(rec, self.cfg, self.sev)
        if found:
            self.findings[i] = found
        return i

    def add_from(self, other: RecordStore, j: int) -> int:
        """Copy row `j` of another store (the cache), whose per-page findings were made with the same settings."""
        rel = other.rel[j]
        if rel in self.index:
            return self.index[rel]
        i = len(self.rel)
        self.index[rel] = i
        self.rel.append(rel)
        self.digest += other.digest[10 * j : 10 * j + 10]
        for name in self._FIXED_WIDTH:
            getattr(self, name).append(getattr(other, name)[j])
        self.title.append(other.title[j])
        if j in other.canon:
            self.canon[i] = other.canon[j]
        start = other.link_end[j - 1] if j else 0
        self.links.extend(self._target(other.target_list[t]) for t in other.links[start : other.link_end[j]])
        self.link_end.append(len(self.links))
        row = other.mh_row[j]
        if row >= 0:
            self.mh_row.append(len(self.mh) // (4 * NUM_PERM))
            self.mh += other.mh[row * 4 * NUM_PERM : (row + 1) * 4 * NUM_PERM]
        else:
            self.mh_row.append(-1)
        start = other.sample_end[j - 1] if j else 0
        self.sample += other.sample[start : other.sample_end[j]]
        self.sample_end.append(len(self.sample))
        if j in other.errors:
            self.errors[i] = other.errors[j]
        if j in other.og:
            self.og[i] = other.og[j]
        if j in other.findings:
            self.findings[i] = other.findings[j]
        return i

    def add_rows_from(self, other: RecordStore, rows: Sequence[int]) -> None:
        """Copy rows `rows` of another store (the cache), in that order: the same columns as add_from
        row by row, but each column copied at once (an incremental build reuses almost every row)."""
        if not rows:
            return
        if len(set(rows)) != len(rows) or any(other.rel[j] in self.index for j in rows):
            for j in rows:  # a page twice: as add_from would, keep the first
                self.add_from(other, j)
            return
        n0 = len(self.rel)
        idx = np.asarray(rows, dtype=np.int64)
        for k, j in enumerate(rows, n0):
            rel = other.rel[j]
            self.index[rel] = k
            self.rel.append(rel)
            self.title.append(other.title[j])
            if j in other.canon:
                self.canon[k] = other.canon[j]
            if j in other.errors:
                self.errors[k] = other.errors[j]
            if j in other.og:
                self.og[k] = other.og[j]
            if j in other.findings:
                self.findings[k] = other.findings[j]
        self.digest += np.frombuffer(other.digest, dtype=np.uint8).reshape(-1, 10)[idx].tobytes()
        for name in self._FIXED_WIDTH:
            column = getattr(other, name)
            getattr(self, name).frombytes(np.frombuffer(column, dtype=column.typecode)[idx].tobytes())
        # Links: the rows' slices of the flat id array, their ids mapped to this store's (new targets
        # numbered in order of first appearance, as add_from would).
        starts, ends = _spans(other.link_end, idx)
        lengths = ends - starts
        ids = np.frombuffer(other.links, dtype=np.int32)[_run_offsets(starts, lengths)]
        present, first = np.unique(ids, return_index=True)
        mapped = np.empty(len(present), dtype=np.int32)
        for k in np.argsort(first, kind="stable"):
            mapped[k] = self._target(other.target_list[present[k]])
        base = len(self.links)
        self.links.frombytes(mapped[np.searchsorted(present, ids)].tobytes())
        self.link_end.frombytes((base + np.cumsum(lengths)).astype(np.int64).tobytes())
        # Signatures and samples: read from the other store in runs of consecutive bytes.
        width = 4 * NUM_PERM
        mh_rows = np.frombuffer(other.mh_row, dtype=np.int32)[idx].astype(np.int64)
        have = np.flatnonzero(mh_rows >= 0)
        new_rows = np.full(len(rows), -1, dtype=np.int32)
        new_rows[have] = len(self.mh) // width + np.arange(len(have), dtype=np.int32)
        self.mh_row.frombytes(new_rows.tobytes())
        for a, b in _ranges(mh_rows[have] * width, (mh_rows[have] + 1) * width):
            self.mh += other.mh[a:b]
        starts, ends = _spans(other.sample_end, idx)
        self.sample_end.frombytes((len(self.sample) + np.cumsum(ends - starts)).astype(np.int64).tobytes())
        for a, b in _ranges(starts, ends):
            self.sample += other.sample[a:b]

    def extend(self, other: RecordStore) -> None:
        """Append every row of another store (a build worker's, made with the same settings) in its
        order: the same columns as adding its records here one by one, without running the per-page
        checks again."""
        if any(rel in self.index for rel in other.rel):  # a page twice: as add() would, keep the first
            for j in range(len(other.rel)):
                self.add_from(other, j)
            return
        n0 = len(self.rel)
        self.index.update(zip(other.rel, range(n0, n0 + len(other.rel))))
        self.rel += other.rel
        self.digest += other.digest
        for name in self._FIXED_WIDTH:
            getattr(self, name).extend(getattr(other, name))
        self.title.extend(other.title)
        self.canon.update((n0 + j, c) for j, c in other.canon.items())
        # Link targets new here get ids in the order they first appear in the other store's links,
        # which is its target_list's order: the ids add() would have given them.
        if len(other.links):
            ids = np.fromiter(map(self._target, other.target_list), dtype=np.int32, count=len(other.target_list))
            self.links.frombytes(ids[np.frombuffer(other.links, dtype=np.int32)].tobytes())
            self.link_end.frombytes(
                (np.frombuffer(other.link_end, dtype=np.int64) + (len(self.links) - len(other.links))).tobytes()
            )
        else:
            self.link_end.extend([len(self.links)] * len(other.link_end))
        rows = np.frombuffer(other.mh_row, dtype=np.int32)
        shifted = np.where(rows >= 0, rows + len(self.mh) // (4 * NUM_PERM), -1).astype(np.int32)
        self.mh_row.frombytes(shifted.tobytes())
        self.mh += other.mh
        self.sample_end.frombytes((np.frombuffer(other.sample_end, dtype=np.int64) + len(self.sample)).tobytes())
        self.sample += other.sample
        self.errors.update((n0 + j, e) for j, e in other.errors.items())
        self.og.update((n0 + j, t) for j, t in other.og.items())
        self.findings.update((n0 + j, f) for j, f in other.findings.items())

    def drop_links(self) -> None:
        self.targets, self.target_list, self.links, self.link_end = {}, [], array("i"), array("q")

    def drop_text(self) -> None:
        self.mh, self.sample = bytearray(), bytearray()
