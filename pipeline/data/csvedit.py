"""Change rows of a CSV file the content team edits, keeping every other byte as it was.

A file is read into records that remember their exact text (`CsvDoc.read`); an edit replaces the
text of the records it changes, appends new ones at the end, or adds a column to the header line,
and leaves every other byte where it was: the byte-order mark, each row's line end, quoting,
column order, columns nobody here knows, blank rows, cells with line breaks. The parse is the
`csv` module's, as `load.py` reads the file, so records and line numbers agree with the build.

`write_atomically` puts the new bytes in a temporary file in the same folder, flushes it to disk
and renames it over the old one, so a crash at any moment leaves the old file or the new one.
`row_hash` fingerprints a row's cells, to tell whether a row changed since someone looked at it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.data.load import MAX_CELL, decode, detect_delimiter, normalise_cell
from pipeline.locks import hold

BOM = "\ufeff"


class Unreadable(Exception):
    """The file cannot be read or written as a CSV file; the message says what to do."""


@dataclass(frozen=True)
class Record:
    """One CSV record: its exact text (line end included), its cells, and its first line."""

    text: str
    cells: tuple[str, ...]
    line: int

    @property
    def ending(self) -> str:
        """The record's line end: CRLF, LF, CR, or nothing on a last line without one."""
        t = self.text
        return "\r\n" if t.endswith("\r\n") else t[-1] if t.endswith(("\n", "\r")) else ""

    @property
    def body(self) -> str:
        """The record's text without its line end."""
        return self.text[: len(self.text) - len(self.ending)]


@dataclass(frozen=True)
class CsvDoc:
    """A CSV file as its byte-order mark, header record and data records (blank ones included)."""

    path: Path
    bom: bool
    header: Record | None
    records: tuple[Record, ...]
    delimiter: str = ","
    encoding: str = "utf-8"  # a Python codec: utf-8, utf-16-le or utf-16-be (the file's own)

    @classmethod
    def read(cls, path: Path) -> CsvDoc:
        """Read `path` (a missing or empty file has no header); raise Unreadable with a clear message."""
        try:
            data = path.read_bytes() if path.exists() else b""
        except OSError as exc:
            raise Unreadable(f"{path}: cannot be read ({exc.strerror or exc}); is it open in another program?") from exc
        return cls.parse(data, path)

    @classmethod
    def parse(cls, data: bytes, path: Path, required: tuple[str, ...] = ()) -> CsvDoc:
        # The encoding and delimiter are found as load.py finds them, so the build and an edit agree.
        text, codec, problem = decode(data, str(path))
        if problem is not None:
            raise Unreadable(str(problem))
        if codec == "utf-8":
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                line = data[: exc.start].count(b"\n") + 1
                raise Unreadable(
                    f"{path}:{line}: is not valid UTF-8 (it looks like another encoding, such as Windows-1252); "
                    "save the file as 'CSV UTF-8' and try again"
                ) from exc
        bom = data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))
        delimiter, problem = detect_delimiter(text, str(path), required)
        if problem is not None:
            raise Unreadable(str(problem))
        records = _records(text, path, delimiter)
        header = records[0] if records else None
        return cls(path, bom, header, tuple(records[1:]), delimiter, codec)

    @property
    def columns(self) -> tuple[str, ...]:
        """The header's column names as the loader reads them (trimmed, lower-case)."""
        return tuple(normalise_cell(c).lower() for c in self.header.cells) if self.header else ()

    def row(self, index: int) -> dict[str, str]:
        """Record `index` as column → cell (cells as written; missing cells are empty)."""
        cells = self.records[index].cells
        return {c: cells[k] if k < len(cells) else "" for k, c in enumerate(self.columns) if c}

    def find(self, match: Callable[[dict[str, str]], bool]) -> int | None:
        """The index of the first non-blank record whose row satisfies `match`, or None."""
        for i, rec in enumerate(self.records):
            if any(c.strip() for c in rec.cells) and match(self.row(i)):
                return i
        return None

    def edit(
        self,
        replace: Mapping[int, Mapping[str, str]] | None = None,
        append: Sequence[Mapping[str, str]] = (),
        default_header: Sequence[str] = (),
    ) -> bytes:
        """The file's bytes with records replaced (index → the columns to change) and rows appended.

        A column a change names that the header lacks is added at the header's end (only the header
        line changes: shorter rows read as empty cells). A file without a header gets `default_header`.
        """
        replace = replace or {}
        columns = list(self.columns) if self.header else list(default_header)
        named = [c for change in (*replace.values(), *append) for c, v in change.items() if v]
        added = [c for c in dict.fromkeys(named) if c not in columns]
        newline = self._newline()
        parts = [BOM] if self.bom else []
        if self.header is None:
            parts.append(self._line(columns + added, newline))
        else:
            parts.append(self.header.body + "".join(self._cell(c) for c in added) + self.header.ending)
        columns += added
        for i, rec in enumerate(self.records):
            parts.append(self._replaced(rec, columns, replace[i]) if i in replace else rec.text)
        if append and parts[-1] and not parts[-1].endswith(("\n", "\r")):
            parts.append(newline)  # the last row keeps its bytes; new rows start on a line of their own
        for change in append:
            parts.append(self._line([change.get(c, "") for c in columns], newline))
        return "".join(parts).encode(self.encoding)

    def _replaced(self, rec: Record, columns: list[str], change: Mapping[str, str]) -> str:
        """The record's new text; its own text if no cell's value changes."""
        cells = list(rec.cells) + [""] * max(0, len(columns) - len(rec.cells))
        before = list(cells)
        for col, value in change.items():
            if col in columns:
                cells[columns.index(col)] = value
        return rec.text if cells == before else self._line(cells, rec.ending)

    def _newline(self) -> str:
        """The file's line end: that of its header, else of its first row, else LF."""
        for rec in (self.header, *self.records):
            if rec is not None and rec.ending:
                return rec.ending
        return "\n"

    def _cell(self, value: str) -> str:
        """`value` as the text of one more cell at the end of a line: a delimiter, then the cell."""
        return self.delimiter + self._line([value], "")

    def _line(self, cells: Sequence[str], ending: str) -> str:
        buf = io.StringIO(newline="")
        csv.writer(buf, delimiter=self.delimiter, lineterminator=ending).writerow([_plain_breaks(c) for c in cells])
        return buf.getvalue()


def _plain_breaks(cell: str) -> str:
    """Line breaks inside a cell written as spreadsheets write them (LF), whatever the form sent."""
    return cell.replace("\r\n", "\n").replace("\r", "\n")


def _records(text: str, path: Path, delimiter: str = ",") -> list[Record]:
    """Split `text` into records exactly as the csv module reads them, each with its own text."""
    lines = io.StringIO(text, newline="").readlines()
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_CELL)
    try:
        reader = csv.reader(iter(lines), delimiter=delimiter, strict=False)
        out: list[Record] = []
        done = 0
        for cells in reader:
            end = reader.line_num
            out.append(Record("".join(lines[done:end]), tuple(cells), done + 1))
            done = end
    except csv.Error as exc:
        raise Unreadable(f"{path}:{done + 1}: cannot be read as CSV ({exc}); check the quotes on that line") from exc
    finally:
        csv.field_size_limit(limit)
    return out


def row_hash(row: Mapping[str, str] | None) -> str:
    """A short fingerprint of a row's cells as the build reads them; "" for no row.

    Empty cells and how cells are quoted or spaced do not count, so adding an empty column or
    re-saving the file in a spreadsheet does not change it; any change of a value does.
    """
    if row is None:
        return ""
    cells = {k: normalise_cell(v) for k, v in row.items() if k and normalise_cell(v)}
    return hashlib.sha256(json.dumps(cells, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def write_atomically(path: Path, data: bytes) -> None:
    """Write a sibling temporary file, flush it to disk, then rename it over `path` in one step."""
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
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (where the platform allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def rewrite(
    path: Path,
    change: Callable[[CsvDoc], bytes | None],
) -> bool:
    """Read `path`, let `change` make the new bytes (None: leave the file alone) and write them atomically.

    Just before the rename the file's inode, size and modification time are checked again: if
    someone saved it in the meantime, it is read again and the change made again on their version,
    so their edit is never overwritten. Returns whether it wrote.
    """
    with hold(path.parent, f"a change to {path.name}"):  # one writer of the data folder at a time
        remove_stale_copies(path.parent)
        return _rewrite(path, change)


def remove_stale_copies(folder: Path) -> list[Path]:
    """Remove the temporary copies (`.pairs.csv.XXXX.tmp`) a killed write left in `folder`. Only
    for a caller holding the folder's lock: every writer holds it, so no copy there is in use."""
    removed = []
    for tmp in Path(folder).glob(".*.csv.*.tmp"):
        try:
            tmp.unlink()
        except OSError:
            continue
        removed.append(tmp)
    return removed


def _rewrite(path: Path, change: Callable[[CsvDoc], bytes | None]) -> bool:
    for _ in range(5):
        before = _stamp(path)
        data = change(CsvDoc.read(path))
        if data is None:
            return False
        if _stamp(path) == before:
            try:
                write_atomically(path, data)
            except OSError as exc:
                raise Unreadable(
                    f"{path}: cannot be written ({exc.strerror or exc}); is it open in another program?"
                ) from exc
            return True
    raise Unreadable(f"{path}: keeps changing while it is being saved; try again")


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns
