"""`python -m pipeline pairs`: add the join's candidate pairs to data/pairs.csv for editors.

What editors already wrote is never lost or reordered: the file's existing bytes are kept exactly
(byte-order mark, line ends, quoting, column order, rows the build would reject), and only the
pairs it does not list yet, in either order, are appended with empty editorial cells, in the
file's own column order and line ends. The new file replaces the old one atomically.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.data.load import read_csv
from pipeline.data.validate import PAIR_REQUIRED, REQUIRED, validate_topics
from pipeline.problems import ContractError

PAIR_HEADER = ("topic_a", "topic_b", "status", "relationship", "sources", "reviewed_by", "reviewed_on")


@dataclass(frozen=True)
class Added:
    path: Path
    added: int
    listed: int


def candidate_rows(slugs: list[str], listed: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """Every unordered pair of the join, in canonical order, that pairs.csv does not list yet."""
    ordered = sorted(set(slugs))
    return [(a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :] if (a, b) not in listed]


def add_candidates(data_dir: Path) -> Added:
    """Append the missing candidate pairs to data_dir/pairs.csv; raise ContractError if the data is broken."""
    topics_path, pairs_path = data_dir / "topics.csv", data_dir / "pairs.csv"
    topics_t, problems = read_csv(topics_path, REQUIRED["topics"])
    if topics_t is not None and topics_t.header:
        topics, more = validate_topics(topics_t)
        problems += more
    blank = pairs_path.is_file() and not pairs_path.read_bytes().lstrip(b"\xef\xbb\xbf").strip()
    pairs_t, more = (None, []) if blank else read_csv(pairs_path, PAIR_REQUIRED, optional=True)
    problems += more
    if problems:
        raise ContractError(problems)
    listed = set()
    if pairs_t is not None:
        for row in pairs_t.rows:
            a, b = row.get("topic_a", ""), row.get("topic_b", "")
            listed.add(tuple(sorted((a, b))))
    new = candidate_rows(list(topics["slug"]), listed)
    old = b"" if pairs_t is None else pairs_path.read_bytes()
    header = pairs_t.header if pairs_t is not None and pairs_t.header else None
    if new:
        _write_atomically(pairs_path, old + _rows_bytes(old, header, new))
    return Added(pairs_path, len(new), len(listed))


def _rows_bytes(old: bytes, header: tuple[str, ...] | None, rows: list[tuple[str, str]]) -> bytes:
    """The bytes to append: a header if the file has none, then one row per pair in the file's own style."""
    newline = "\r\n" if b"\r\n" in old else "\n"
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator=newline)
    prefix = ""
    if header is None:
        header = PAIR_HEADER
        writer.writerow(header)
    elif not old.endswith((b"\n", b"\r")):
        prefix = newline  # the last row keeps its bytes; the new rows start on a line of their own
    for a, b in rows:
        writer.writerow([a if col == "topic_a" else b if col == "topic_b" else "" for col in header])
    return (prefix + buf.getvalue()).encode("utf-8")


def _write_atomically(path: Path, data: bytes) -> None:
    """Write a sibling temporary file, flush it to disk, then rename it over the file in one step."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
