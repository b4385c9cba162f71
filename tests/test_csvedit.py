"""csvedit: one row changed, every other byte kept, written atomically."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.data import csvedit
from pipeline.data.csvedit import CsvDoc, Unreadable, rewrite, row_hash, write_atomically
from pipeline.data.load import parse_csv

# A file as spreadsheets and hands leave it: BOM, CRLF, a column nobody knows (in the middle),
# quotes, a cell with line breaks and doubled quotes, a quoted cell that needs no quotes, a
# ragged short row, blank rows, and a last row without a line end.
AWKWARD = (
    "\ufefftopic_a,topic_b,Owner,status,relationship,sources,reviewed_by,reviewed_on\r\n"
    'anxiety,awe,"Kim, R.",approved,"First paragraph says ""hello"".\n\nSecond,\r\nthird.",'
    "https://example.org/a,Ana,2026-11-01\r\n"
    '"burnout",rumination,,review\r\n'
    "\r\n"
    "awe,sleep,x,noindex,,,,\r\n"
    ",,,,,,,\r\n"
    "\r\n"
    "dopamine,stress,,rejected,,,,"
)


def doc(text: str, tmp_path: Path) -> CsvDoc:
    path = tmp_path / "pairs.csv"
    path.write_bytes(text.encode("utf-8"))
    return CsvDoc.read(path)


def pair(a: str, b: str):
    return lambda row: sorted((row["topic_a"].strip(), row["topic_b"].strip())) == sorted((a, b))


def table(data: bytes) -> list[dict[str, str]]:
    t, problems = parse_csv(data, "pairs.csv", ("topic_a", "topic_b"))
    assert problems == []
    return list(t.rows)


def test_reading_keeps_every_byte_and_finds_rows_in_either_order(tmp_path):
    d = doc(AWKWARD, tmp_path)
    assert d.bom and d.columns[:3] == ("topic_a", "topic_b", "owner")
    assert d.edit() == AWKWARD.encode("utf-8")
    assert [r.line for r in d.records] == [2, 6, 7, 8, 9, 10, 11]
    loaded, _ = parse_csv(AWKWARD.encode(), "pairs.csv", ("topic_a", "topic_b"))
    assert list(loaded.lines) == [r.line for r in d.records if any(c.strip() for c in r.cells)]  # as the build counts
    assert d.find(pair("awe", "anxiety")) == 0
    assert d.find(pair("rumination", "burnout")) == 1
    assert d.find(pair("awe", "stress")) is None
    assert d.row(0)["relationship"] == 'First paragraph says "hello".\n\nSecond,\r\nthird.'


def test_replacing_one_row_changes_only_that_row(tmp_path):
    d = doc(AWKWARD, tmp_path)
    new = d.edit({3: {"status": "approved", "relationship": 'Line one, "quoted".\r\n\r\nLine two.'}})
    old_lines = AWKWARD.encode().split(b"\r\n")
    new_lines = new.split(b"\r\n")
    changed = [i for i, (x, y) in enumerate(zip(old_lines, new_lines)) if x != y]
    assert changed == [5], "only the awe × sleep row differs"
    assert new_lines[5] == b'awe,sleep,x,approved,"Line one, ""quoted"".\n\nLine two.",,,'
    assert new_lines[6:] == old_lines[6:] and new_lines[:5] == old_lines[:5]
    rows = table(new)
    assert rows[2]["owner"] == "x" and rows[2]["relationship"] == 'Line one, "quoted".\n\nLine two.'
    assert rows[0] == table(AWKWARD.encode())[0]


def test_a_change_to_the_same_values_keeps_the_rows_own_bytes(tmp_path):
    d = doc(AWKWARD, tmp_path)
    assert d.edit({1: {"topic_a": "burnout", "status": "review"}}) == AWKWARD.encode("utf-8")


def test_the_last_row_without_a_line_end_and_a_ragged_row(tmp_path):
    d = doc(AWKWARD, tmp_path)
    new = d.edit({6: {"notes": ""}, 1: {"reviewed_by": "Ana"}}).decode("utf-8")
    assert new.endswith("\r\ndopamine,stress,,rejected,,,,")  # nothing to change there: same bytes
    assert '"burnout",rumination' not in new and "burnout,rumination,,review,,,Ana,\r\n\r\n" in new


def test_appending_a_row_and_adding_a_column(tmp_path):
    d = doc(AWKWARD, tmp_path)
    new = d.edit(append=[{"topic_a": "anxiety", "topic_b": "sleep", "status": "review", "notes": "check, please"}])
    text = new.decode("utf-8")
    header, rest = text.split("\r\n", 1)
    assert header == "\ufefftopic_a,topic_b,Owner,status,relationship,sources,reviewed_by,reviewed_on,notes"
    assert text == (header + "\r\n" + AWKWARD.split("\r\n", 1)[1] + '\r\nanxiety,sleep,,review,,,,,"check, please"\r\n')
    rows = table(new)
    assert rows[-1]["notes"] == "check, please" and rows[0]["notes"] == ""


def test_several_rows_in_one_write(tmp_path):
    d = doc(AWKWARD, tmp_path)
    new = d.edit({0: {"status": "noindex"}, 3: {"status": "rejected"}}, append=[{"topic_a": "a", "topic_b": "b"}])
    rows = table(new)
    assert [r["status"] for r in rows] == ["noindex", "review", "rejected", "rejected", ""]


@pytest.mark.parametrize(
    "text",
    [
        "topic_a,topic_b,status\nawe,sleep,review\n",  # LF, no BOM
        "topic_a,topic_b,status\r\nawe,sleep,review",  # CRLF, no final line end
        "topic_a,topic_b,status\rawe,sleep,review\r",  # old Mac CR
        "topic_a;topic_b;status\r\nawe;sleep;review\r\n",  # a semicolon-separated export
    ],
)
def test_line_ends_and_separators_are_the_files_own(tmp_path, text):
    d = doc(text, tmp_path)
    new = d.edit({0: {"status": "approved"}}, append=[{"topic_a": "awe", "topic_b": "rumination"}]).decode()
    sep = ";" if ";" in text else ","
    nl = "\r\n" if "\r\n" in text else "\r" if "\r" in text else "\n"
    first = text.split(nl)[0]
    assert new == f"{first}{nl}awe{sep}sleep{sep}approved{nl}awe{sep}rumination{sep}{nl}"


def test_a_new_file_gets_the_default_header(tmp_path):
    d = CsvDoc.read(tmp_path / "pairs.csv")
    assert d.header is None
    new = d.edit(
        append=[{"topic_a": "awe", "topic_b": "sleep", "status": "review"}],
        default_header=("topic_a", "topic_b", "status"),
    )
    assert new == b"topic_a,topic_b,status\nawe,sleep,review\n"


@pytest.mark.parametrize(
    "data, message",
    [
        ("topic_a,topic_b\nawe,déjà\n".encode("cp1252"), "pairs.csv:2: is not valid UTF-8"),
        (b"PK\x03\x04 a zipped workbook", "is an Excel workbook"),
    ],
)
def test_unreadable_files_say_what_to_do(tmp_path, data, message):
    path = tmp_path / "pairs.csv"
    path.write_bytes(data)
    with pytest.raises(Unreadable, match=message) as err:
        CsvDoc.read(path)
    assert "UTF-8" in str(err.value)


def test_a_file_that_cannot_be_opened(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("topic_a,topic_b\n")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: permissions do not stop reading")
        with pytest.raises(Unreadable, match="cannot be read .*open in another program"):
            CsvDoc.read(path)
    finally:
        path.chmod(0o644)


def test_row_hash_ignores_quoting_and_empty_columns_but_not_values(tmp_path):
    d = doc(AWKWARD, tmp_path)
    base = row_hash(d.row(1))
    requoted = doc(AWKWARD.replace('"burnout",rumination,,review', "burnout , rumination,,review"), tmp_path)
    assert row_hash(requoted.row(1)) == base
    widened = doc(CsvDoc.parse(AWKWARD.encode(), Path("p")).edit({0: {"notes": "x"}}).decode(), tmp_path)
    assert row_hash(widened.row(1)) == base
    edited = doc(AWKWARD.replace("rumination,,review", "rumination,,approved"), tmp_path)
    assert row_hash(edited.row(1)) != base
    assert row_hash(None) == ""


def test_rewrite_keeps_a_concurrent_edit(tmp_path, monkeypatch):
    """The file changes between reading and renaming: the change is made again on the new file."""
    path = tmp_path / "pairs.csv"
    path.write_text("topic_a,topic_b,status\nawe,sleep,review\nawe,stress,review\n")
    calls = []

    def change(d: CsvDoc) -> bytes:
        calls.append(d.edit())
        if len(calls) == 1:  # someone saves the other row while we work
            time.sleep(0.01)
            path.write_text("topic_a,topic_b,status\nawe,sleep,review\nawe,stress,noindex\n")
        return d.edit({d.find(pair("awe", "sleep")): {"status": "approved"}})

    assert rewrite(path, change)
    assert len(calls) == 2
    assert path.read_text() == "topic_a,topic_b,status\nawe,sleep,approved\nawe,stress,noindex\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pairs.csv"]


def test_a_failed_rename_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "pairs.csv"
    path.write_text("topic_a,topic_b\n")

    def fail(*_):
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(csvedit.os, "replace", fail)
    with pytest.raises(Unreadable, match="cannot be written"):
        rewrite(path, lambda d: b"new")
    assert path.read_text() == "topic_a,topic_b\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pairs.csv"]


KILLER = """
import sys
from pathlib import Path
from pipeline.data.csvedit import write_atomically
path, n = Path(sys.argv[1]), 0
while True:
    n += 1
    write_atomically(path, (b"topic_a,topic_b,status\\n" + b"awe,sleep,%d\\n" % n) * 2000)
"""


def test_kill_9_while_writing_leaves_a_whole_file(tmp_path):
    path = tmp_path / "pairs.csv"
    write_atomically(path, b"topic_a,topic_b,status\nawe,sleep,0\n" * 2000)
    for delay in (0.15, 0.3, 0.45):
        proc = subprocess.Popen([sys.executable, "-c", KILLER, str(path)], cwd=Path(__file__).parents[1])
        time.sleep(delay)
        proc.kill()
        proc.wait()
        data = path.read_bytes()
        block = b"\n".join(data.split(b"\n")[:2]) + b"\n"
        assert data == block * 2000, "the old file or the new one, whole, never a mix"


cells = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.lists(cells, min_size=3, max_size=3), min_size=1, max_size=6),
    crlf=st.booleans(),
    bom=st.booleans(),
    pick=st.integers(min_value=0),
    value=cells,
)
def test_any_file_changes_by_exactly_the_chosen_row(rows, crlf, bom, pick, value):
    nl = "\r\n" if crlf else "\n"
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator=nl, quoting=csv.QUOTE_ALL)
    w.writerow(["topic_a", "topic_b", "other"])
    w.writerows(rows)
    text = ("\ufeff" if bom else "") + buf.getvalue()
    d = CsvDoc.parse(text.encode(), Path("pairs.csv"))
    i = pick % len(d.records)
    new = d.edit({i: {"other": value}})
    again = CsvDoc.parse(new, Path("pairs.csv"))
    assert len(again.records) == len(d.records)
    for k, (x, y) in enumerate(zip(d.records, again.records)):
        if k != i:
            assert x.text == y.text
    if d.row(i)["other"] == value:  # the same value: the row keeps its own bytes
        assert again.records[i].text == d.records[i].text
    else:  # line breaks inside a cell are written as spreadsheets write them (LF)
        assert again.row(i)["other"] == value.replace("\r\n", "\n").replace("\r", "\n")
    assert new.startswith(b"\xef\xbb\xbf") == bom
