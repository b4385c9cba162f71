"""Read the CSV files into rows that remember their file, line and column."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pipeline.problems import Problem

_SPACES = re.compile(r"[^\S\n]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\udc80-\udcff]")


@dataclass(frozen=True)
class Table:
    """A CSV file as header plus rows of normalised cells, each row with its first line."""

    file: str
    header: tuple[str, ...]
    rows: tuple[dict[str, str], ...]
    lines: tuple[int, ...]


def normalise_cell(value: str) -> str:
    """Trim a cell, turn odd spaces into plain ones and drop control characters."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = unicodedata.normalize("NFC", value)
    value = _CONTROL.sub("", value)
    value = "\n".join(_SPACES.sub(" ", line).strip() for line in value.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", value).strip()


def _bad_utf8(cell: str) -> str:
    raw = cell.encode("utf-8", "surrogateescape")
    return raw.decode("cp1252", "replace")


def parse_csv(data: bytes, file: str, required: tuple[str, ...]) -> tuple[Table, list[Problem]]:
    """Parse CSV bytes into a Table; collect every encoding and shape problem."""
    problems: list[Problem] = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = data.decode("utf-8", "surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    try:
        raw_header = next(reader)
    except StopIteration:
        return Table(file, (), (), ()), [Problem(file, 1, "", "is empty; it needs a header row")]
    header = tuple(normalise_cell(h).lower() for h in raw_header)
    for col in required:
        if col not in header:
            problems.append(
                Problem(file, 1, col, f"required column '{col}' is missing from the header ({', '.join(header)})")
            )
    seen: set[str] = set()
    for h in header:
        if h in seen and h:
            problems.append(Problem(file, 1, h, f"column '{h}' appears twice in the header"))
        seen.add(h)
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    end = reader.line_num
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(file, start, "", f"cannot be read as CSV: {exc}"))
            break
        end = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            extra = [c for c in cells[len(header):] if c.strip()]
            if extra:
                problems.append(
                    Problem(
                        file, start, "",
                        f"has {len(cells)} cells but the header has {len(header)}; "
                        f"quote cells that contain commas (extra: {extra[0][:40]!r})",
                    )
                )
        row: dict[str, str] = {}
        for col, cell in zip(header, cells):
            if _SURROGATE.search(cell):
                problems.append(
                    Problem(
                        file, start, col,
                        f"is not valid UTF-8 ({_bad_utf8(cell)[:60]!r} looks like Windows-1252); "
                        "save the file as 'CSV UTF-8'",
                    )
                )
                cell = _SURROGATE.sub("\ufffd", cell)
            row[col] = normalise_cell(cell)
        for col in header[len(cells):]:
            row[col] = ""
        rows.append(row)
        lines.append(start)
    return Table(file, header, tuple(rows), tuple(lines)), problems


def read_csv(path: Path, required: tuple[str, ...], optional: bool = False) -> tuple[Table | None, list[Problem]]:
    """Read one CSV file; a missing optional file is None, a missing required one a problem."""
    if not path.exists():
        if optional:
            return None, []
        return None, [Problem(str(path), 0, "", "file not found")]
    if path.is_dir():
        return None, [Problem(str(path), 0, "", "is a folder, not a CSV file")]
    return parse_csv(path.read_bytes(), str(path), required)


def read_inputs(data_dir: Path, required: dict[str, tuple[str, ...]]) -> tuple[Table | None, Table | None, list[Problem]]:
    """Read topics.csv and the optional pairs.csv with every problem found in them."""
    topics, problems = read_csv(data_dir / "topics.csv", required["topics"])
    pairs, more = read_csv(data_dir / "pairs.csv", required["pairs"], optional=True)
    return topics, pairs, problems + more
