"""The broken-input corpus: every fault in tests/broken/ gets its exact message, exit 2 and an untouched site.

Each folder under tests/broken/ is one data folder (topics.csv, maybe pairs.csv and site.toml). The test
copies it to a temporary `data/`, runs the real command line in-process from that folder (so messages
name `data/topics.csv` as a user would see them) against a pre-existing `output/`, and asserts the whole
message, the exit status and that `output/` is byte-for-byte what it was.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from conftest import page_file

from pipeline.cli import main

ROOT = Path(__file__).resolve().parent.parent
BROKEN = ROOT / "tests" / "broken"
TEMPLATES = ROOT / "templates"
KINDS = "condition, emotion, brain, process, behavior, practice, trait, phenomenon"
STATUSES = "approved, review, noindex, rejected"
UTF8 = "save the file as 'CSV UTF-8'"
SLUG_RULE = "lower-case letters, digits and single hyphens"
NEED = "every topic needs name, kind and description"
FORMULA = "write the words the page should show (a cell may not start with =, or with +, - or @ followed by a formula)"
REVIEW_DATE = "data/pairs.csv:{}: column 'reviewed_on': an approved page needs the date of its review (YYYY-MM-DD, e.g. 2026-11-25)"
# Folders that are not broken: they build (each has its own test below).
ACCEPTED = {
    "accepted_oddities",
    "semicolon_separated",
    "utf16",
    "utf16_no_bom",
    "warned_not_stopped",
    "pairs_use_old_slugs",
}

# (folder, every line of the message after the "Stopped: …" line, exit status)
CASES = [
    (
        "missing_topics",
        [
            (
                "data/topics.csv: file not found; the build needs topics.csv with the columns name, kind, description "
                "in the folder given by --data (default: data/)"
            ),
        ],
        2,
    ),
    (
        "empty_topics",
        [
            "data/topics.csv:1: is empty; it needs a header row such as 'name,kind,description'",
        ],
        2,
    ),
    (
        "missing_column",
        [
            (
                "data/topics.csv:1: column 'kind': required column 'kind' is missing from the header "
                "(name, kinds, description); is 'kinds' meant to be 'kind'?"
            ),
        ],
        2,
    ),
    (
        "empty_required_cell",
        [
            f"data/topics.csv:4: column 'description': required cell is empty; {NEED}",
            f"data/topics.csv:5: column 'name': required cell is empty; {NEED}",
        ],
        2,
    ),
    (
        "unknown_kind",
        [
            f"data/topics.csv:5: column 'kind': kind 'brain-network' is not one of {KINDS}; did you mean 'brain'?",
            f"data/topics.csv:6: column 'kind': kind 'feelings' is not one of {KINDS}; did you mean 'emotion'?",
        ],
        2,
    ),
    (
        "unknown_status",
        [
            f"data/pairs.csv:2: column 'status': status 'aproved' is not one of {STATUSES}; did you mean 'approved'?",
            f"data/pairs.csv:3: column 'status': status 'draft' is not one of {STATUSES}; did you mean 'review'?",
        ],
        2,
    ),
    (
        "duplicate_slug",
        [
            "data/topics.csv:3: column 'slug': duplicate slug 'anxiety' (already used on line 2); slugs must be unique",
        ],
        2,
    ),
    (
        "names_slugify_alike",
        [
            (
                "data/topics.csv:5: column 'name': name 'Deja vu' and 'Déjà Vu' (line 3) both make the slug 'deja-vu'; "
                "give one of them its own 'slug'"
            ),
        ],
        2,
    ),
    (
        "pair_listed_twice",
        [
            (
                "data/pairs.csv:4: column 'topic_a': pair 'awe' × 'anxiety' is already listed on line 2 "
                "(order does not matter); keep one row"
            ),
        ],
        2,
    ),
    (
        "pair_unknown_topic",
        [
            "data/pairs.csv:2: column 'topic_a': topic 'anxeity' is not a slug in topics.csv; did you mean 'anxiety'?",
            "data/pairs.csv:3: column 'topic_b': topic 'loneliness' is not a slug in topics.csv",
        ],
        2,
    ),
    (
        "pair_names_old_slug",
        [
            (
                "data/topics.csv:4: column 'old_slugs': old slug 'mindfulness' is still this topic's own slug; "
                "list only slugs no topic uses any more"
            ),
            (
                "data/topics.csv:5: column 'old_slugs': old slug 'wonder' is also an old slug on line 3; "
                "an old URL can redirect to one topic only"
            ),
            (
                "data/pairs.csv:3: column 'topic_b': topic 'Sense of Awe' is not a slug in topics.csv; "
                "did you mean 'sense-of-awe'?"
            ),
        ],
        2,
    ),
    (
        "pair_with_itself",
        [
            "data/pairs.csv:2: column 'topic_b': pairs topic 'awe' with itself; a pair needs two topics",
        ],
        2,
    ),
    (
        "bad_dates",
        [
            "data/topics.csv:2: column 'updated_on': date '2026-02-30' is not a real ISO date (YYYY-MM-DD, e.g. 2026-11-25)",
            "data/topics.csv:4: column 'updated_on': date 'next week' is not a real ISO date (YYYY-MM-DD, e.g. 2026-11-25)",
            "data/pairs.csv:2: column 'reviewed_on': date '25/11/2026' is not a real ISO date (YYYY-MM-DD, e.g. 2026-11-25)",
        ],
        2,
    ),
    (
        "windows_1252",
        [
            (
                "data/topics.csv:3: column 'name': is not valid UTF-8; it looks like Windows-1252 ('Déjà Vu'), "
                f"as are 2 more cells on lines 3, 4; {UTF8}"
            ),
        ],
        2,
    ),
    (
        "ambiguous_delimiter",
        [
            (
                "data/topics.csv:1: its header row has both commas and semicolons between names "
                "('name;kind,description'), so which one separates the cells is unclear; use one separator "
                "throughout, or save it as 'CSV UTF-8 (comma delimited)'"
            ),
        ],
        2,
    ),
    (
        "excel_workbook",
        [
            (
                "data/topics.csv:1: is an Excel workbook (.xlsx), not a CSV file; in the spreadsheet, "
                "save it as 'CSV UTF-8 (comma delimited)'"
            ),
        ],
        2,
    ),
    (
        "formula_cells",
        [
            f"data/topics.csv:{line}: column '{col}': '{cell}' is a spreadsheet formula, not text; {FORMULA}"
            for line, col, cell in (
                (2, "category", "=Relationships & Emotions"),
                (3, "effects", "+1+1"),
                (3, "name", "=Boredom"),
                (4, "description", "=SUM(A1)"),
                (5, "category", "@foo(bar)"),
            )
        ],
        2,
    ),
    (
        "unquoted_comma",
        [
            (
                "data/topics.csv:3: has 4 cells but the header has 3; quote cells that contain commas "
                "(extra: ' wonder and humility.')"
            ),
        ],
        2,
    ),
    (
        "unclosed_quote",
        [
            (
                "data/topics.csv:3: a quoted cell opens on this line and is never closed, so lines 4–5 went into it; "
                'add the missing closing quote (")'
            ),
        ],
        2,
    ),
    (
        "non_http_source",
        [
            "data/topics.csv:2: column 'sources': source 'javascript:alert(1)' is not an http(s) URL; write it as https://…",
            (
                "data/topics.csv:3: column 'sources': source 'ftp://example.org/awe.pdf' is not an http(s) URL; "
                "write it as https://…"
            ),
            "data/pairs.csv:2: column 'sources': source 'www.example.com/awe' is not an http(s) URL; write it as https://…",
        ],
        2,
    ),
    (
        "slug_escapes_output",
        [
            f"data/topics.csv:2: column 'slug': slug '../x' is not a URL slug ({SLUG_RULE}); did you mean 'x'?",
            f"data/topics.csv:3: column 'old_slugs': old slug '../../etc' is not a URL slug ({SLUG_RULE})",
            (
                f"data/topics.csv:4: column 'slug': slug '/tmp/mindfulness' is not a URL slug ({SLUG_RULE}); "
                "did you mean 'tmp-mindfulness'?"
            ),
        ],
        2,
    ),
    (
        "approval_incomplete",
        [
            (
                "data/pairs.csv:2: column 'reviewed_by': an approved page needs the name of the editor who reviewed "
                "it; fill 'reviewed_by', or set the status to 'review' until someone has"
            ),
            REVIEW_DATE.format(2),
            (
                "data/pairs.csv:2: column 'sources': an approved page about a health condition ('anxiety') needs at "
                "least one source (an https:// URL) backing what it says"
            ),
            REVIEW_DATE.format(3),
        ],
        2,
    ),
    (
        "too_few_topics",
        [
            "data/topics.csv: needs at least two topics to make a pair page",
        ],
        2,
    ),
    (
        "too_many_pages",
        [
            (
                "data/topics.csv: 3 topics make 3 pair pages, more than max_pages = 2 in the site configuration; "
                "raise the limit or remove topics"
            ),
        ],
        2,
    ),
    # Parse problems, row problems, pair problems and the page limit, all in one run. The pairs naming
    # 'awe' and 'mindfulness' are not blamed for those topics' own broken rows.
    (
        "many_at_once",
        [
            (
                "data/topics.csv: 5 topics make 10 pair pages, more than max_pages = 1 in the site configuration; "
                "raise the limit or remove topics"
            ),
            (
                "data/topics.csv:3: column 'name': is not valid UTF-8; it looks like Windows-1252 ('Déjà Vu'), "
                f"as is 1 more cell on line 3; {UTF8}"
            ),
            f"data/topics.csv:4: column 'kind': kind 'emotions' is not one of {KINDS}; did you mean 'emotion'?",
            f"data/topics.csv:5: column 'description': required cell is empty; {NEED}",
            "data/topics.csv:6: column 'name': topic 'Anxiety' is already listed on line 2; keep one row",
            f"data/pairs.csv:2: column 'status': status 'aproved' is not one of {STATUSES}; did you mean 'approved'?",
            (
                "data/pairs.csv:3: column 'topic_a': pair 'awe' × 'anxiety' is already listed on line 2 "
                "(order does not matter); keep one row"
            ),
        ],
        2,
    ),
    # Every problem in site.toml at once, each with its line, as data problems are.
    (
        "config_many_problems",
        [
            "data/site.toml:3: [site] max_pages = '10' should be an int",
            (
                "data/site.toml:4: [site] has unknown key colour; known: author, base_url, corrections, "
                "default_status, language, max_pages, name"
            ),
            "data/site.toml:5: default_status 'draft' is not one of approved, review, noindex",
            "data/site.toml:8: [audit] title_max = 60.5 should be an int",
        ],
        2,
    ),
]


def tree_hash(root: Path) -> str:
    """One digest over every path, file mode and file content under root."""
    h = hashlib.sha256()
    if not root.exists():
        return "absent"
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        h.update(rel.encode() + b"\0" + oct(path.stat().st_mode).encode() + b"\0")
        if path.is_file():
            h.update(path.read_bytes())
        h.update(b"\1")
    return h.hexdigest()


def _old_site(out: Path) -> None:
    (out / "old-pair").mkdir(parents=True)
    (out / "index.html").write_text("<!doctype html><title>the previous site</title>\n")
    (out / "old-pair" / "index.html").write_text("<p>a page from the last build</p>\n")


def _run(folder: Path, tmp_path: Path, monkeypatch, command: str = "build") -> int:
    shutil.copytree(folder, tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    argv = [command, "--data", "data", "--templates", str(TEMPLATES)]
    if (tmp_path / "data" / "site.toml").exists():
        argv += ["--config", "data/site.toml"]
    if command == "build":
        argv += ["--out", "output", "--quiet", "--workers", "1", "--no-audit"]
    return main(argv)


def test_every_folder_has_a_case():
    folders = {p.name for p in BROKEN.iterdir() if p.is_dir()}
    assert folders == {c[0] for c in CASES} | ACCEPTED


@pytest.mark.parametrize("folder,lines,status", CASES, ids=[c[0] for c in CASES])
def test_broken_input_is_reported_and_nothing_is_written(folder, lines, status, tmp_path, monkeypatch, capsys):
    out = tmp_path / "output"
    _old_site(out)
    before = tree_hash(out)
    code = _run(BROKEN / folder, tmp_path, monkeypatch)
    captured = capsys.readouterr()
    expected = [f"Stopped: {len(lines)} problem(s) in the input; nothing was written."] + [f"  {x}" for x in lines]
    assert captured.err.splitlines() == expected
    assert captured.out == ""
    assert code == status
    assert tree_hash(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "output"], "no staging folder is left behind"


@pytest.mark.parametrize("folder", ["many_at_once", "windows_1252", "missing_topics"])
def test_check_reports_the_same_problems(folder, tmp_path, monkeypatch, capsys):
    lines = {c[0]: c[1] for c in CASES}[folder]
    assert _run(BROKEN / folder, tmp_path, monkeypatch, command="check") == 2
    assert capsys.readouterr().err.splitlines()[1:] == [f"  {x}" for x in lines]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_broken_input_creates_no_output_folder(tmp_path, monkeypatch, capsys):
    assert _run(BROKEN / "unknown_kind", tmp_path, monkeypatch) == 2
    assert not (tmp_path / "output").exists()


def test_accepted_oddities_build_and_render_right(tmp_path, monkeypatch, capsys):
    """BOM, CRLF, a capitalised header, stray, non-breaking and zero-width spaces, smart quotes, line breaks
    inside quoted cells and blank rows are all accepted and normalised."""
    assert _run(BROKEN / "accepted_oddities", tmp_path, monkeypatch) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith("Built 3 pair pages and ")
    site = tmp_path / "output"
    assert sorted(p.name for p in (site / "topics").iterdir()) == ["anxiety", "awe", "mindfulness"]
    page = (site / "anxiety-and-awe" / "index.html").read_text(encoding="utf-8")
    # Non-breaking spaces became plain ones; the line break inside the quoted cell is kept as a line break.
    assert "<h1>Anxiety and Awe" in page
    assert "Anxiety is worry about what might happen.\nIt often comes with a racing heart." in page
    assert "\u00a0" not in page and "\u200b" not in page and "\ufeff" not in page
    # Smart quotes are kept as they are, not escaped or straightened.
    assert "Awe is the “wow” feeling of being in the presence of something vast; it’s humbling." in page
    assert "A “small self” leaves less room for worry." in page
    assert "Reviewed by Bringwise editorial team" in page
    mindful = page_file(site, "awe-and-mindfulness/").read_text(encoding="utf-8")
    # Four line breaks in a row are at most one blank line.
    assert "on purpose,\n\nwithout judgment." in mindful
    assert "\r" not in page + mindful


def test_near_duplicate_categories_and_descriptions_that_are_not_sentences_warn(tmp_path, monkeypatch, capsys):
    assert _run(BROKEN / "warned_not_stopped", tmp_path, monkeypatch) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    notes = [line.strip() for line in captured.out.splitlines() if line.strip().startswith("note: data/")]
    assert notes == [
        (
            "note: data/topics.csv:3: column 'category': 'Relationships and Emotions' is spelled like the category "
            "'Relationships & Emotions' (line 2) and would make a second heading; write it as 'Relationships & Emotions'"
        ),
        (
            "note: data/topics.csv:3: column 'description': 'longing for the past' is not a sentence; write one to "
            "three complete sentences that define the topic, starting with a capital letter and ending with a full stop"
        ),
        (
            "note: data/topics.csv:4: column 'category': 'relationships & emotions' is spelled like the category "
            "'Relationships & Emotions' (line 2) and would make a second heading; write it as 'Relationships & Emotions'"
        ),
    ]


def test_pairs_naming_old_slugs_are_read_as_the_renamed_topic(tmp_path, monkeypatch, capsys):
    assert _run(BROKEN / "pairs_use_old_slugs", tmp_path, monkeypatch) == 0
    out = capsys.readouterr().out
    assert (
        "note: data/pairs.csv:2: column 'topic_a': 'awe' is an old slug of 'sense-of-awe' and is read as it; "
        "`python -m pipeline rename awe sense-of-awe` updates the data files"
    ) in out
    assert "column 'topic_b': 'wonder' is an old slug of 'sense-of-awe'" in out
    assert "data/links.csv:3: column 'subject': 'wonder' is an old slug of 'sense-of-awe' and is read as it" in out
    page = (tmp_path / "output" / "mindfulness-and-sense-of-awe" / "index.html").read_text(encoding="utf-8")
    assert "Mindful attention can open a person to moments of awe." in page and "Jane Doe" in page
    assert 'name="robots"' not in page
    other = (tmp_path / "output" / "anxiety-and-sense-of-awe" / "index.html").read_text(encoding="utf-8")
    assert '<meta name="robots" content="noindex">' in other
