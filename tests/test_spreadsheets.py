"""Spreadsheets as they really save: delimiters, encodings, formula cells and long problem lists.

The small fixture is saved the ways spreadsheet programs save it (semicolons as Excel does in many
European locales, tabs, Excel's "Unicode text" in UTF-16 with and without a byte-order mark) and
each must build the very same site, byte for byte, as the comma-separated UTF-8 original.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.data.load import is_formula, parse_csv
from pipeline.data.pairsfile import add_candidates
from pipeline.data.validate import REQUIRED
from tests.conftest import FIXTURES, build_site
from tests.test_validation import BROKEN, TEMPLATES, tree_hash

SMALL = FIXTURES / "small"


def _resave(src: Path, dst: Path, delimiter: str, encoding: str, newline: str = "\n") -> None:
    """Write every CSV of `src` into `dst` as a spreadsheet would save it."""
    dst.mkdir(parents=True)
    for f in sorted(src.glob("*.csv")):
        rows = list(csv.reader(io.StringIO(f.read_text(encoding="utf-8-sig"), newline="")))
        buf = io.StringIO(newline="")
        csv.writer(buf, delimiter=delimiter, lineterminator=newline).writerows(rows)
        (dst / f.name).write_bytes(buf.getvalue().encode(encoding))


SAVED_AS = {
    "semicolons (Excel, European locales)": (";", "utf-8"),
    "semicolons with a byte-order mark and CRLF": (";", "utf-8-sig", "\r\n"),
    "tabs": ("\t", "utf-8"),
    "UTF-16 with a byte-order mark, tabs (Excel 'Unicode text')": ("\t", "utf-16", "\r\n"),
    "UTF-16 without a byte-order mark": (",", "utf-16-le"),
    "UTF-16 big-endian": (";", "utf-16-be"),
}


@pytest.fixture(scope="module")
def comma_site(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("comma") / "output"
    build_site(SMALL, out)
    return tree_hash(out)


@pytest.mark.parametrize("how", SAVED_AS, ids=list(SAVED_AS))
def test_the_same_data_saved_another_way_builds_the_same_site(how, comma_site, tmp_path):
    _resave(SMALL, tmp_path / "data", *SAVED_AS[how])
    build_site(tmp_path / "data", tmp_path / "output")
    assert tree_hash(tmp_path / "output") == comma_site


@pytest.mark.parametrize("folder", ["semicolon_separated", "utf16", "utf16_no_bom"])
def test_broken_corpus_folders_that_now_just_work(folder, tmp_path, monkeypatch, capsys):
    shutil.copytree(BROKEN / folder, tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    argv = ["build", "--data", "data", "--templates", str(TEMPLATES), "--out", "output", "--quiet", "--no-audit"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith(f"Built {1 if folder != 'utf16' else 3} pair pages")
    assert (tmp_path / "output" / "topics" / "awe" / "index.html").is_file()


def test_a_header_that_splits_two_ways_is_read_by_the_one_that_names_the_columns():
    # Commas inside the header's cells do not confuse it: only semicolons give name, kind, description.
    data = b'name;kind;description;"note, free text"\nAwe;emotion;Awe is vast, and humbling.;x\n'
    table, problems = parse_csv(data, "topics.csv", REQUIRED["topics"])
    assert problems == [] and table.delimiter == ";"
    assert table.rows[0]["description"] == "Awe is vast, and humbling."


def test_a_file_that_is_garbled_utf16_or_binary_gets_one_message():
    _, problems = parse_csv("name,kind,description\n".encode("utf-16-le") + b"\x00", "t.csv", REQUIRED["topics"])
    assert [p.message for p in problems] == [
        "looks like UTF-16 text but byte 44 cannot be read as such; save it as 'CSV UTF-8 (comma delimited)'"
    ]
    _, problems = parse_csv(b"name,kind\x00\x01\x02\x03,description\n" * 3, "t.csv", REQUIRED["topics"])
    assert [str(p) for p in problems] == [
        "t.csv:1: holds zero bytes, so it is not text a spreadsheet saved as CSV; "
        "save it as 'CSV UTF-8 (comma delimited)'"
    ]


FORMULAS = ["=Boredom", "=SUM(A1)", "+1+1", "@foo(", "-A1", "=A1*2", "+SUM(A1:B2)", "-(1)", "@A1", '+"x"', "+Sheet1!A1"]
PROSE = [
    "- a list item",
    "-5",
    "+44 20 7946 0958",
    "@bringwise",
    "-Boredom",
    "=",
    "-",
    "+",
    "Awe and more",
    "3-5 times",
]


@pytest.mark.parametrize("cell", FORMULAS)
def test_formula_cells_are_recognised(cell):
    assert is_formula(cell)


@pytest.mark.parametrize("cell", PROSE)
def test_prose_that_starts_like_a_formula_is_not(cell):
    assert not is_formula(cell)


def test_a_long_problem_list_is_capped_and_the_full_list_written_to_reports(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    data.mkdir()
    rows = ["name,kind,description"] + [f"Topic {i},feelings,Topic {i} is a topic." for i in range(200)]
    rows += [f"Other {i},emotion," for i in range(40)]
    (data / "topics.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / "index.html").write_text("old site")
    monkeypatch.chdir(tmp_path)
    argv = ["build", "--data", "data", "--templates", str(TEMPLATES), "--out", "output", "--quiet", "--no-audit"]
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "Stopped: 240 problem(s) in the input; nothing was written."
    assert len(err) == 32
    assert err[1].startswith("  data/topics.csv:2: column 'kind': kind 'feelings' is not one of")
    assert err[-1] == (
        "  … and 210 more problems of these kinds: 'kind': kind … is not one of condition, emotion, brain, process "
        "… (170); 'description': required cell is empty (40); the full list is in reports/input-problems.txt"
    )
    full = (tmp_path / "reports" / "input-problems.txt").read_text(encoding="utf-8").splitlines()
    assert len(full) == 241 and full[0] == err[0] and full[1:31] == err[1:31]
    assert sorted(p.name for p in (tmp_path / "output").iterdir()) == ["index.html"]


def test_pairs_command_appends_in_the_files_own_delimiter_and_encoding(tmp_path):
    data = tmp_path / "data"
    _resave(SMALL, data, "\t", "utf-16", "\r\n")
    before = (data / "pairs.csv").read_bytes()
    done = add_candidates(data)
    after = (data / "pairs.csv").read_bytes()
    assert done.added > 0 and after.startswith(before)
    table, problems = parse_csv(after, "pairs.csv", REQUIRED["pairs"])
    assert problems == [] and table.delimiter == "\t" and table.encoding == "utf-16-le"
    assert len(table.rows) == done.listed + done.added
    assert "\t" in after[len(before) :].decode("utf-16-le") and "\r\n" in after[len(before) :].decode("utf-16-le")
