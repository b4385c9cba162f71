"""`python -m pipeline pairs`: add the join's candidate pairs to data/pairs.csv for editors.

What editors already wrote is never lost or reordered: the file's existing bytes are kept exactly
(byte-order mark, line ends, quoting, column order, rows the build would reject), and only the
pairs it does not list yet, in either order, are appended with empty editorial cells, in the
file's own column order and line ends (`csvedit.CsvDoc.edit`). The new file replaces the old one
atomically (`csvedit.write_atomically`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.data.csvedit import CsvDoc, remove_stale_copies, write_atomically
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
    if new:
        rows = [{"topic_a": a, "topic_b": b} for a, b in new]
        remove_stale_copies(data_dir)  # the CLI holds the data folder's lock
        write_atomically(
            pairs_path, CsvDoc.parse(old, pairs_path, PAIR_REQUIRED).edit(append=rows, default_header=PAIR_HEADER)
        )
    return Added(pairs_path, len(new), len(listed))
