"""Read the CSV files into rows that remember their file, line and column.

One reader for every data file (topics.csv, pairs.csv and the files added beside them): it finds
the file's encoding (UTF-8, with or without a byte-order mark, or UTF-16 as spreadsheets save
"Unicode text") and its delimiter (comma, semicolon or tab, from the header row), and refuses
cells that are spreadsheet formulas. A file in the wrong encoding gets one message, not one per cell.
"""

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
DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs"}
SAVE_AS = "save it as 'CSV UTF-8 (comma delimited)'"
# What follows a leading + - or @ when the cell is a formula a spreadsheet would run: a function
# call (SUM(, foo(), a cell or sheet reference (A1, $B$2, Sheet1!A1), arithmetic on a number (1+1),
# a parenthesis or a string. A sign followed by a space ("- a list item"), a plain signed number
# ("-5", "+44 20 7946") or a handle ("@bringwise") is prose. A leading = is always a formula.
_FORMULA_BODY = re.compile(
    r"""(?:[A-Za-z_][\w.]*\s*\(
       | \$?[A-Za-z]{1,3}\$?\d+(?![\w])
       | [\w.]+!
       | [\d.,]+\s*[-+*/^&<>=]
       | [("])""",
    re.X,
)


@dataclass(frozen=True)
class Table:
    """A CSV file as header plus rows of normalised cells, each row with its first line.

    `delimiter` and `encoding` (a Python codec: utf-8, utf-16-le, utf-16-be) are the file's own, so
    that a program adding rows to it can write them as the file has them.
    """

    file: str
    header: tuple[str, ...]
    rows: tuple[dict[str, str], ...]
    lines: tuple[int, ...]
    delimiter: str = ","
    encoding: str = "utf-8"


def normalise_cell(value: str) -> str:
    """Trim a cell, turn odd spaces into plain ones and drop control characters."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = unicodedata.normalize("NFC", value)
    value = _CONTROL.sub("", value)
    value = _INVISIBLE.sub("", value)
    value = "\n".join(_SPACES.sub(" ", line).strip() for line in value.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", value).strip()


def is_formula(cell: str) -> bool:
    """Whether a (normalised) cell is a spreadsheet formula that leaked into the CSV: `=Boredom`,
    `=SUM(A1)`, `+1+1`, `-A1`, `@foo(`; never prose such as `- a list item`, `-5` or `@bringwise`."""
    if len(cell) < 2 or cell[0] not in "=+-@":
        return False
    return cell[0] == "=" or _FORMULA_BODY.match(cell, 1) is not None


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


def _unclosed_quote(text: str, start: int, delimiter: str) -> bool:
    """Whether the row starting on line `start` opens a quoted cell that runs to the end of the file."""
    tail = "".join(text.splitlines(keepends=True)[start - 1 :])
    try:
        for _ in csv.reader(io.StringIO(tail, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def decode(data: bytes, file: str) -> tuple[str, str, Problem | None]:
    """The file's text and codec. UTF-8 bytes that are not valid UTF-8 are kept as surrogates (each
    cell reports them); UTF-16 is recognised by its byte-order mark or by its zero bytes; a
    spreadsheet's own format or binary data is one problem."""
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        kind = "an Excel workbook (.xlsx)" if data.startswith(b"PK") else "an old Excel workbook (.xls)"
        return "", "", Problem(file, 1, "", f"is {kind}, not a CSV file; in the spreadsheet, {SAVE_AS}")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "surrogateescape"), "utf-8", None
    codec = _utf16(data)
    if codec:
        body = data[2:] if data.startswith((b"\xff\xfe", b"\xfe\xff")) else data
        try:
            text = body.decode(codec)
        except UnicodeDecodeError as exc:
            return (
                "",
                "",
                Problem(
                    file,
                    1,
                    "",
                    f"looks like UTF-16 text but byte {exc.start + len(data) - len(body):,} cannot be "
                    f"read as such; {SAVE_AS}",
                ),
            )
        if "\x00" not in text:
            return text, codec, None
    elif b"\x00" not in data[:65536]:
        return data.decode("utf-8", "surrogateescape"), "utf-8", None
    return "", "", Problem(file, 1, "", f"holds zero bytes, so it is not text a spreadsheet saved as CSV; {SAVE_AS}")


def _utf16(data: bytes) -> str:
    """utf-16-le or utf-16-be when the bytes are UTF-16 text (a byte-order mark, or zero bytes in
    every other place, as mostly-Latin text has them); else ''."""
    if data.startswith(b"\xff\xfe") and not data.startswith(b"\xff\xfe\x00\x00"):
        return "utf-16-le"
    if data.startswith(b"\xfe\xff"):
        return "utf-16-be"
    sample = data[:4096]
    half = len(sample) // 2
    if half < 2:
        return ""
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0.3 * half and even < 0.1 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.1 * half:
        return "utf-16-be"
    return ""


def _first_record(text: str, delimiter: str, rows: int = 1) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    found = []
    try:
        for cells in reader:
            if any(c.strip() for c in cells) or not found:
                found.append(cells)
            if len(found) >= rows:
                break
    except csv.Error:
        pass
    return found


def detect_delimiter(text: str, file: str, required: tuple[str, ...]) -> tuple[str, Problem | None]:
    """The file's delimiter, read from its header row: the one of comma, semicolon and tab that splits it.

    When the header splits with more than one of them, the one whose header has every required
    column wins; failing that, the one that splits the next rows into as many cells as the header
    (when just one does); otherwise the file is ambiguous and gets one problem.
    """
    header = {d: [normalise_cell(c).lower() for c in (_first_record(text, d) or [[""]])[0]] for d in DELIMITERS}
    splits = [d for d in DELIMITERS if len(header[d]) > 1]
    if len(splits) <= 1:
        return (splits or [","])[0], None
    complete = [d for d in splits if required and all(col in header[d] for col in required)]
    if len(complete) == 1:
        return complete[0], None
    steady = [d for d in (complete or splits) if _steady(text, d, len(header[d]))]
    if len(steady) == 1:
        return steady[0], None
    names = " and ".join(DELIMITERS[d] for d in splits)
    line = text.splitlines()[0] if text else ""
    return ",", Problem(
        file,
        1,
        "",
        f"its header row has both {names} between names ({line[:80]!r}), so which one separates the cells "
        f"is unclear; use one separator throughout, or {SAVE_AS}",
    )


def _steady(text: str, delimiter: str, width: int) -> bool:
    """Whether the first rows after the header all have the header's number of cells."""
    rows = _first_record(text, delimiter, 21)[1:]
    return bool(rows) and all(len(r) == width for r in rows)


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
    text, codec, problem = decode(data, file)
    if problem is not None:
        return Table(file, (), (), ()), [problem]
    delimiter, problem = detect_delimiter(text, file, required)
    if problem is not None:
        return Table(file, (), (), ()), [problem]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        raw_header = next(reader)
    except StopIteration:
        return Table(file, (), (), ()), [
            Problem(file, 1, "", f"is empty; it needs a header row such as '{','.join(required)}'")
        ]
    except csv.Error as exc:
        return Table(file, (), (), ()), [Problem(file, 1, "", f"cannot be read as CSV: {exc}")]
    header = tuple(normalise_cell(h).lower() for h in raw_header)
    for col in required:
        if col not in header:
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
    rows, lines, end, bad_utf8 = _rows(reader, file, header, delimiter, problems)
    if bad_utf8:
        problems.append(_encoding_problem(file, bad_utf8))
    if lines and end > lines[-1] and _unclosed_quote(text, lines[-1], delimiter):
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
    return Table(file, header, tuple(rows), tuple(lines), delimiter, codec), problems


def _rows(reader, file: str, header: tuple[str, ...], delimiter: str, problems: list[Problem]):
    """The data rows, their first lines, the last line read and the cells that are not UTF-8."""
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    bad_utf8: list[tuple[int, str, str]] = []
    end = reader.line_num
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(file, start, "", _reader_message(exc)))
            break
        end = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            extra = [_SURROGATE.sub("\ufffd", c) for c in cells[len(header) :] if c.strip()]
            if extra:
                name = DELIMITERS[delimiter]
                problems.append(
                    Problem(
                        file,
                        start,
                        "",
                        f"has {len(cells)} cells but the header has {len(header)}; "
                        f"quote cells that contain {name} (extra: {extra[0][:40]!r})",
                    )
                )
        row: dict[str, str] = {}
        for col, cell in zip(header, cells):
            if _SURROGATE.search(cell):
                bad_utf8.append((start, col, cell))
                cell = _SURROGATE.sub("\ufffd", cell)
            row[col] = value = normalise_cell(cell)
            if value[:1] in ("=", "+", "-", "@") and is_formula(value):
                problems.append(Problem(file, start, col, _formula_message(value)))
        for col in header[len(cells) :]:
            row[col] = ""
        rows.append(row)
        lines.append(start)
    return rows, lines, end, bad_utf8


def _reader_message(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return (
            f"a cell here is longer than {MAX_CELL:,} characters, so the rest of the file cannot be "
            'read; is a quote (") missing its partner?'
        )
    return f"cannot be read as CSV: {exc}"


def _formula_message(value: str) -> str:
    shown = value if len(value) <= 40 else value[:39] + "…"
    return (
        f"{shown!r} is a spreadsheet formula, not text; write the words the page should show "
        "(a cell may not start with =, or with +, - or @ followed by a formula)"
    )


def _encoding_problem(file: str, bad: list[tuple[int, str, str]]) -> Problem:
    """One problem for a file that is not UTF-8, at its first odd cell, counting the others."""
    line, col, cell = bad[0]
    more = ""
    if len(bad) > 1:
        others = sorted({ln for ln, _, _ in bad[1:]})
        where = ", ".join(str(n) for n in others[:5]) + (", …" if len(others) > 5 else "")
        cells = "is 1 more cell" if len(bad) == 2 else f"are {len(bad) - 1:,} more cells"
        more = f", as {cells} on line{'s' if len(others) > 1 else ''} {where}"
    return Problem(
        file,
        line,
        col,
        f"is not valid UTF-8; it looks like Windows-1252 ({_bad_utf8(cell)!r}){more}; save the file as 'CSV UTF-8'",
    )


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
