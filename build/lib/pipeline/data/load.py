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
_INVISIBLE = re.compile("[\u200b\u2060\ufeff]")
MAX_CELL = 1_000_000


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
    value = _INVISIBLE.sub("", value)
    value = "\n".join(_SPACES.sub(" ", line).strip() for line in value.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", value).strip()


def _bad_utf8(cell: str) -> str:
    """The cell as Windows-1252 would read it, cut to the stretch around its first odd byte."""
    first = _SURROGATE.search(cell).start()
    before = cell[:first].encode("utf-8", "surrogateescape").decode("cp1252", "replace")
    text = cell.encode("utf-8", "surrogateescape").decode("cp1252", "replace")
    start, stop = max(0, len(before) - 20), len(before) + 20
    text = " ".join(text.split())
    return ("…" if start else "") + text[start:stop].strip() + ("…" if stop < len(text) else "")


def _close_column(col: str, header: tuple[str, ...], required: tuple[str, ...]) -> str:
    import difflib

    spare = [h for h in header if h and h not in required]
    close = difflib.get_close_matches(col, spare, n=1, cutoff=0.6)
    return f"; is '{close[0]}' meant to be '{col}'?" if close else ""


def _unclosed_quote(text: str, start: int) -> bool:
    """Whether the row starting on line `start` opens a quoted cell that runs to the end of the file."""
    tail = "".join(text.splitlines(keepends=True)[start - 1 :])
    try:
        for _ in csv.reader(io.StringIO(tail, newline=""), strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def parse_csv(data: bytes, file: str, required: tuple[str, ...]) -> tuple[Table, list[Problem]]:
    """Parse CSV bytes into a Table; collect every encoding and shape problem."""
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_CELL)
    try:
        return _parse(data, file, required)
    finally:
        csv.field_size_limit(limit)


def _parse(data: bytes, file: str, required: tuple[str, ...]) -> tuple[Table, list[Problem]]:
    problems: list[Problem] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Table(file, (), (), ()), [
            Problem(file, 1, "", "is saved as UTF-16 ('Unicode text'); save it as 'CSV UTF-8' instead")
        ]
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = data.decode("utf-8", "surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    try:
        raw_header = next(reader)
    except StopIteration:
        return Table(file, (), (), ()), [
            Problem(file, 1, "", f"is empty; it needs a header row such as '{','.join(required)}'")
        ]
    except csv.Error as exc:
        return Table(file, (), (), ()), [Problem(file, 1, "", f"cannot be read as CSV: {exc}")]
    header = tuple(normalise_cell(h).lower() for h in raw_header)
    missing = [col for col in required if col not in header]
    separator = next((sep for sep in (";", "\t") if len(header) == 1 and sep in header[0]), "")
    if missing and separator:
        name = "semicolons" if separator == ";" else "tabs"
        problems.append(
            Problem(
                file, 1, "", f"separates its cells with {name}, not commas; save it as 'CSV UTF-8 (comma delimited)'"
            )
        )
        return Table(file, (), (), ()), problems
    for col in missing:
        problems.append(
            Problem(
                file,
                1,
                col,
                f"required column '{col}' is missing from the header ({', '.join(header)})"
                f"{_close_column(col, header, required)}",
            )
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
            if "field larger than field limit" in str(exc):
                message = (
                    f"a cell here is longer than {MAX_CELL:,} characters, so the rest of the file cannot be "
                    'read; is a quote (") missing its partner?'
                )
            else:
                message = f"cannot be read as CSV: {exc}"
            problems.append(Problem(file, start, "", message))
            break
        end = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            extra = [_SURROGATE.sub("\ufffd", c) for c in cells[len(header) :] if c.strip()]
            if extra:
                problems.append(
                    Problem(
                        file,
                        start,
                        "",
                        f"has {len(cells)} cells but the header has {len(header)}; "
                        f"quote cells that contain commas (extra: {extra[0][:40]!r})",
                    )
                )
        row: dict[str, str] = {}
        for col, cell in zip(header, cells):
            if _SURROGATE.search(cell):
                problems.append(
                    Problem(
                        file,
                        start,
                        col,
                        f"is not valid UTF-8; it looks like Windows-1252 ({_bad_utf8(cell)!r}); "
                        "save the file as 'CSV UTF-8'",
                    )
                )
                cell = _SURROGATE.sub("\ufffd", cell)
            row[col] = normalise_cell(cell)
        for col in header[len(cells) :]:
            row[col] = ""
        rows.append(row)
        lines.append(start)
    if lines and end > lines[-1] and _unclosed_quote(text, lines[-1]):
        problems.append(
            Problem(
                file,
                lines[-1],
                "",
                "a quoted cell opens on this line and is never closed, so "
                + (f"line {end}" if end == lines[-1] + 1 else f"lines {lines[-1] + 1}–{end}")
                + ' went into it; add the missing closing quote (")',
            )
        )
    return Table(file, header, tuple(rows), tuple(lines)), problems


def read_csv(path: Path, required: tuple[str, ...], optional: bool = False) -> tuple[Table | None, list[Problem]]:
    """Read one CSV file; a missing optional file is None, a missing required one a problem."""
    if not path.exists():
        if optional:
            return None, []
        return None, [
            Problem(
                str(path),
                0,
                "",
                f"file not found; the build needs {path.name} with the columns "
                f"{', '.join(required)} in the folder given by --data (default: data/)",
            )
        ]
    if path.is_dir():
        return None, [Problem(str(path), 0, "", "is a folder, not a CSV file")]
    return parse_csv(path.read_bytes(), str(path), required)


def read_inputs(
    data_dir: Path, required: dict[str, tuple[str, ...]]
) -> tuple[Table | None, Table | None, list[Problem]]:
    """Read topics.csv and the optional pairs.csv with every problem found in them."""
    topics, problems = read_csv(data_dir / "topics.csv", required["topics"])
    pairs, more = read_csv(data_dir / "pairs.csv", required["pairs"], optional=True)
    return topics, pairs, problems + more
