"""Search demand: the exports a content team drops in data/demand/, read as the tools write them.

Each file is recognised by its header row (Search Console's Queries.csv and Pages.csv, Semrush's
Keyword Magic Tool, Ahrefs' Keywords Explorer, or a plain keyword,volume CSV), in whatever encoding
and delimiter it came (UTF-8 with or without a byte-order mark, UTF-16 as Ahrefs writes it,
Windows-1252; commas, tabs or the semicolons and decimal commas of Excel in other locales). Files
are streamed row by row: only the rows that name a topic are kept, so a 200 MB export costs time,
not memory. The numbers are then matched to topics and pairs by pipeline.data.demand_match.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from pipeline.problems import ContractError, Problem

DEMAND_DIR = "demand"
READ_SUFFIXES = (".csv", ".tsv", ".txt")
SPREADSHEET_SUFFIXES = (".xlsx", ".xls", ".ods", ".numbers")
MAX_PROBLEMS_PER_FILE = 20


@dataclass(frozen=True)
class Format:
    """A tool's export: the header columns that identify it, and the columns the queue reads."""

    name: str
    required: tuple[str, ...]  # lower-case header cells that must all be present
    query: str  # the column with the query, keyword or page URL
    number: str  # the column whose number is the demand
    unit: str  # how the number reads in a reason: "searches/month" or "impressions"
    checked: tuple[tuple[str, str], ...] = ()  # other (column, kind) whose cells must be numbers
    pages: bool = False  # the query column holds page URLs


FORMATS = (
    Format(
        "Search Console queries (Top queries, Clicks, Impressions, CTR, Position)",
        ("top queries", "clicks", "impressions", "ctr", "position"),
        "top queries",
        "impressions",
        "impressions",
        (("clicks", "count"), ("ctr", "percent"), ("position", "decimal")),
    ),
    Format(
        "Search Console pages (Top pages, Clicks, Impressions, CTR, Position)",
        ("top pages", "clicks", "impressions", "ctr", "position"),
        "top pages",
        "impressions",
        "impressions",
        (("clicks", "count"), ("ctr", "percent"), ("position", "decimal")),
        pages=True,
    ),
    Format(
        "Ahrefs Keywords Explorer (#, Keyword, Country, Difficulty, Volume, …)",
        ("keyword", "country", "difficulty", "volume"),
        "keyword",
        "volume",
        "searches/month",
    ),
    Format(
        "Semrush Keyword Magic Tool (Keyword, Intent, Volume, Trend, Keyword Difficulty, …)",
        ("keyword", "volume", "keyword difficulty"),
        "keyword",
        "volume",
        "searches/month",
    ),
    Format("plain keyword,volume", ("keyword", "volume"), "keyword", "volume", "searches/month"),
)


@dataclass(frozen=True)
class Row:
    """One row of an export: the query (or page URL), its demand, where it came from."""

    query: str
    value: int
    file: str
    line: int
    unit: str
    pages: bool


@dataclass
class Export:
    """A recognised export file, as its rows are streamed."""

    path: Path
    format: Format
    encoding: str
    delimiter: str
    rows: int = 0


def _encoding(head: bytes) -> str:
    """The encoding of a file from its first bytes: a byte-order mark, UTF-16's zero bytes, else UTF-8
    (or Windows-1252 when the start is not UTF-8)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    sample = head[:4096]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4:
        return "utf-16-le"
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4:
        return "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _delimiter(line: str) -> str:
    """The delimiter of a header line: the most frequent of tab, semicolon and comma outside quotes."""
    outside, quoted = [], False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            outside.append(ch)
    text = "".join(outside)
    return max(("\t", ";", ","), key=lambda d: (text.count(d), d == ","))


def _header_key(cell: str) -> str:
    return " ".join(cell.replace("\ufeff", "").strip().strip('"').lower().split())


def recognise(header: list[str]) -> Format | None:
    """The first format whose required columns the header has."""
    cells = {_header_key(c) for c in header}
    for fmt in FORMATS:
        if all(col in cells for col in fmt.required):
            return fmt
    return None


def expected_headers() -> str:
    return "; ".join(f.name for f in FORMATS)


def parse_number(text: str, decimal_comma: bool) -> float | None:
    """A number as exports write it ('1,300', '1.300', '7.69%', '7,69 %', '12.5'); None when empty.
    Raises ValueError for anything else."""
    if text.isdigit():  # most cells
        return float(text)
    t = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("'", "")
    if t in ("", "-", "–", "n/a", "N/A"):
        return None
    if t.endswith("%"):
        t = t[:-1]
    if "," in t and "." in t:  # the later one is the decimal point
        t = t.replace(".", "").replace(",", ".") if t.rfind(",") > t.rfind(".") else t.replace(",", "")
    elif "," in t:
        groups = t.split(",")
        if decimal_comma and len(groups) == 2:  # '7,69' in a semicolon file
            t = f"{groups[0]}.{groups[1]}"
        elif all(len(g) == 3 and g.isdigit() for g in groups[1:]):  # '1,300'
            t = "".join(groups)
        elif len(groups) == 2:  # '7,69' quoted in a comma file
            t = f"{groups[0]}.{groups[1]}"
        else:
            raise ValueError(text)
    elif "." in t and decimal_comma:
        groups = t.split(".")
        if len(groups) > 2 or (len(groups) == 2 and len(groups[1]) == 3 and groups[0].isdigit()):
            t = t.replace(".", "")  # '1.300' in a semicolon file: thousands
    value = float(t)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


def _kind_message(kind: str, text: str) -> str:
    what = {"count": "a whole number", "percent": "a percentage like 7.69%", "decimal": "a number"}[kind]
    return f"'{text}' is not {what}"


def _check(value: float | None, kind: str, text: str) -> str:
    if value is None:
        return ""
    if value < 0 or (kind == "count" and value != int(value)):
        return _kind_message(kind, text)
    return ""


def demand_files(data_dir: Path) -> list[Path]:
    """The files of data/demand/ that are read, sorted by name (hidden files and notes are skipped)."""
    folder = Path(data_dir) / DEMAND_DIR
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in READ_SUFFIXES + SPREADSHEET_SUFFIXES
    )


def _digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 18), b""):
            h.update(block)
    return h.hexdigest()


def read_rows(path: Path, label: str, problems: list[Problem]) -> Iterator[Row]:
    """Stream one export's rows; problems (unknown header, bad numbers) are appended to `problems`."""
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        problems.append(Problem(label, 0, "", "is a spreadsheet; export it as CSV (any delimiter) and put that here"))
        return
    with open(path, "rb") as f:
        head = f.read(65536)
    encoding = _encoding(head)
    found: list[Problem] = []
    try:
        with open(path, encoding=encoding, newline="") as f:
            layout = _layout(f.readline(), label, problems)
            if layout is None:
                return
            reader = csv.reader(f, delimiter=layout.delimiter)
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                if len(found) >= MAX_PROBLEMS_PER_FILE:
                    break
                row = _row(cells, reader.line_num + 1, layout, (path.name, label), found)
                if row is not None:
                    yield row
    except UnicodeDecodeError:
        found.append(Problem(label, 0, "", f"is not valid {encoding} text; export it again as UTF-8 or UTF-16"))
    except csv.Error as exc:
        found.append(Problem(label, 0, "", f"cannot be read as CSV ({exc})"))
    if len(found) >= MAX_PROBLEMS_PER_FILE:
        found.append(Problem(label, 0, "", f"stopped after {MAX_PROBLEMS_PER_FILE} problems; fix these and run again"))
    problems.extend(found)


class _Layout(NamedTuple):
    """How an export's rows read: its delimiter, its format, the index and header name of each column used."""

    delimiter: str
    fmt: Format
    where: dict[str, int]
    names: dict[str, str]


def _layout(first: str, label: str, problems: list[Problem]) -> _Layout | None:
    """The layout of an export from its header line; None (with a problem) when there is none or it is unknown."""
    if not first.strip():
        problems.append(Problem(label, 1, "", f"has no header row; expected one of: {expected_headers()}"))
        return None
    delimiter = _delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter))
    fmt = recognise(header)
    if fmt is None:
        shown = ", ".join(c.strip() for c in header if c.strip())[:200]
        message = f"header '{shown}' is not an export this pipeline knows; expected one of: {expected_headers()}"
        problems.append(Problem(label, 1, "", message))
        return None
    keys = [_header_key(c) for c in header]
    where = {k: keys.index(k) for k in (fmt.query, fmt.number, *(c for c, _ in fmt.checked))}
    return _Layout(delimiter, fmt, where, {k: header[i].strip().lstrip("\ufeff") for k, i in where.items()})


def _row(cells: list[str], line: int, layout: _Layout, names: tuple[str, str], found: list[Problem]) -> Row | None:
    """One data row as a Row (None when it has no query, or no count and the format is not a pages export);
    a bad number is a problem in `found`. `names`: the file's name and its label in messages."""
    fmt, where = layout.fmt, layout.where
    value = None
    for col, kind in ((fmt.number, "count"), *fmt.checked):
        k = where[col]
        text = cells[k] if k < len(cells) else ""
        try:
            number = parse_number(text, layout.delimiter == ";")  # a semicolon export writes decimal commas
            message = _check(number, kind, text)
        except ValueError:
            message = _kind_message(kind, text)
        if message:
            found.append(Problem(names[1], line, layout.names[col], message))
            return None
        if col == fmt.number:
            value = number
    k = where[fmt.query]
    query = cells[k].strip() if k < len(cells) else ""
    if query and (value or fmt.pages):  # a page with no impressions matters (pruning)
        return Row(query, int(value or 0), names[0], line, fmt.unit, fmt.pages)
    return None


def read_demand(data_dir: Path, keep) -> tuple[list, list[str]]:
    """Stream every export in data_dir/demand/; `keep(row)` returns what to hold of a row (or None).

    Returns (what `keep` returned, notes). Raises ContractError naming file, line and column for an
    unknown header or a bad number; a file whose bytes repeat an earlier file is read once.
    """
    kept: list = []
    notes: list[str] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in demand_files(data_dir):
        label = f"{Path(data_dir).name}/{DEMAND_DIR}/{path.name}"
        digest = _digest(path)
        if digest in seen:
            notes.append(f"{label} repeats {seen[digest]} byte for byte; counted once")
            continue
        seen[digest] = path.name
        count = 0
        for row in read_rows(path, label, problems):
            count += 1
            held = keep(row)
            if held is not None:
                kept.append(held)
        if count == 0 and not any(p.file == label for p in problems):
            notes.append(f"{label} has no rows with demand")
    if problems:
        raise ContractError(problems)
    return kept, notes
