"""Hostile content is inert: whatever text lands in a cell, the build escapes it or stops with contract messages.

A fixed test puts markup, script, template syntax and path tricks into every cell and checks the pages;
property tests (hypothesis) throw arbitrary text into every column of a small valid topics.csv/pairs.csv
and assert the command line either builds (exit 0) with no markup from the data in the HTML, or exits 2
with only contract messages: never a traceback, never exit 1, never a file outside the output folder.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pipeline.cli import main
from pipeline.data.validate import KNOWN_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"


TOPIC_HEADER = list(KNOWN_COLUMNS["topics"])
TOPICS = [
    [
        "Anxiety",
        "condition",
        "Anxiety is worry about what might happen. It often comes with a racing heart.",
        "",
        "",
        "",
        "Mood & Anxiety",
        "persistent worry; muscle tension",
        "name the worry; breathe slowly",
        "https://en.wikipedia.org/wiki/Anxiety",
        "2026-11-20",
        "",
        "",
    ],
    [
        "Default Mode Network",
        "brain",
        ("The default mode network is a set of brain regions active when attention turns inward."),
        "",
        "the default mode network",
        "DMN",
        "Brain & Body",
        "mind-wandering",
        "",
        "https://doi.org/10.1073/pnas.98.2.676",
        "2026-11-21",
        "dmn",
        "",
    ],
    [
        "Mindfulness",
        "practice",
        "Mindfulness is paying attention to the present moment on purpose.",
        "",
        "",
        "",
        "Wellbeing Practices",
        "steadier attention",
        "start with five minutes a day",
        "",
        "2026-11-22",
        "",
        "",
    ],
]
PAIR_HEADER = ["topic_a", "topic_b", "status", "relationship", "sources", "reviewed_by", "reviewed_on"]
PAIRS = [
    [
        "anxiety",
        "mindfulness",
        "approved",
        "Mindfulness is studied as a way to ease anxiety.\n\nIt takes practice.",
        "https://en.wikipedia.org/wiki/Mindfulness",
        "Bringwise editorial team",
        "2026-11-25",
    ],
]

HOSTILE = [
    "<script>alert(1)</script>",
    "</script><script>alert(2)</script>",
    '"><img src=x onerror=alert(3)>',
    "' onmouseover='alert(4)",
    "<!--",
    "]]>",
    "<svg/onload=alert(5)>",
    "{{ 7*7 }}",
    "{% include 'x' %}",
    "{x}",
    "{A_aspect}",
    "%s",
    "javascript:alert(6)",
    "&amp;",
    "&#x3C;",
    "\x00",
    "\x1b[31m",
    "\x7f",
    "\u202e",
    "\ufeff",
    "\u200b",
    "\u00a0",
    "\r\n",
    "\n\n\n",
    '"',
    "'",
    ",",
    ";",
    "“quoted”",
    "Ωμέγα",
    "中文",
    "עברית",
    "🙂",
    "../../etc/passwd",
    "/tmp/x",
    "C:\\x",
    "\udcff",
    "word " * 400,
]


class Tags(HTMLParser):
    """Every tag and attribute name in a page, and every script element's type."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: set[str] = set()
        self.scripts: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)
        if tag == "script":
            self.scripts.append(dict(attrs).get("type", ""))
        self.urls.extend(v or "" for name, v in attrs if name in ("href", "src", "action"))


def _page_markup(site: Path) -> Tags:
    seen = Tags()
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        seen.feed(text)
        for script in re.findall(r"<script[^>]*>(.*?)</script>", text, flags=re.DOTALL):
            assert "<" not in script and ">" not in script, page
    return seen


def _write(data: Path, topics: list[list[str]], pairs: list[list[str]]) -> None:
    data.mkdir(parents=True, exist_ok=True)
    for name, header, rows in (("topics.csv", TOPIC_HEADER, topics), ("pairs.csv", PAIR_HEADER, pairs)):
        buf = io.StringIO(newline="")
        csv.writer(buf, lineterminator="\n").writerows([header, *rows])
        (data / name).write_bytes(buf.getvalue().encode("utf-8", "surrogateescape"))


def _build(root: Path, audit: bool = False) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    argv = [
        "build",
        "--data",
        str(root / "data"),
        "--out",
        str(root / "output"),
        "--templates",
        str(TEMPLATES),
        "--config",
        str(ROOT / "site.toml"),
        "--quiet",
        "--workers",
        "1",
    ]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv + ([] if audit else ["--no-audit"]))
    return code, out.getvalue(), err.getvalue()


_BASELINE: dict[str, Tags] = {}


def baseline() -> Tags:
    """Tags and attributes the templates themselves produce from clean data."""
    if "tags" not in _BASELINE:
        with tempfile.TemporaryDirectory() as tmp:
            _write(Path(tmp) / "data", TOPICS, PAIRS)
            code, _, err = _build(Path(tmp))
            assert code == 0, err
            base = _page_markup(Path(tmp) / "output")
            drafts = _page_markup(Path(tmp) / "preview")
            base.tags |= drafts.tags
            base.attrs |= drafts.attrs
            _BASELINE["tags"] = base
    return _BASELINE["tags"]


def assert_inert(root: Path, code: int, out: str, err: str) -> None:
    """Exit 0 with escaped pages, or exit 2 with contract messages only; nothing outside root."""
    assert "Traceback" not in err and "Internal error" not in err, err
    assert code in (0, 2), err
    if code == 2:
        lines = err.splitlines()
        assert re.fullmatch(r"Stopped: \d+ problem\(s\) in the input; nothing was written\.", lines[0]), err
        contract = re.compile(rf"  {re.escape(str(root / 'data'))}/(topics|pairs)\.csv(:\d+)?: .+")
        assert all(contract.fullmatch(line) for line in lines[1:]), err
        assert not (root / "output").exists() and not (root / "preview").exists() and not (root / "deploy").exists()
        return
    seen, base = _page_markup(root / "output"), baseline()
    drafts = _page_markup(root / "preview")
    seen.tags |= drafts.tags
    seen.attrs |= drafts.attrs
    seen.scripts += drafts.scripts
    seen.urls += drafts.urls
    assert seen.tags <= base.tags, seen.tags - base.tags
    assert seen.attrs <= base.attrs, seen.attrs - base.attrs
    assert set(seen.scripts) == {"application/ld+json"}
    assert not [u for u in seen.urls if u.strip().lower().startswith(("javascript:", "data:", "vbscript:"))]
    # Nothing beside the output but the data, the preview and deploy folders, the build's cache and the
    # audit's reports; no staging folder.
    assert {p.name for p in root.iterdir()} - {".build-cache", "reports"} == {"data", "output", "preview", "deploy"}


def test_markup_in_every_cell_is_shown_as_text(tmp_path):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)> {{ 7*7 }} {x} &amp; \' "'
    topics = [row[:] for row in TOPICS]
    for row, slug in zip(topics, ("anxiety", "default-mode-network", "mindfulness")):
        row[TOPIC_HEADER.index("slug")] = slug  # names full of markup would make long slugs
        for i, col in enumerate(TOPIC_HEADER):
            if col in ("name", "description", "name_in_text", "abbreviation", "category", "effects", "strategies"):
                row[i] = f"{row[i]} {payload}" if row[i] else payload
    pairs = [row[:] for row in PAIRS]
    pairs[0][PAIR_HEADER.index("relationship")] += "\n\n" + payload
    pairs[0][PAIR_HEADER.index("reviewed_by")] += payload
    _write(tmp_path / "data", topics, pairs)
    code, out, err = _build(tmp_path, audit=True)  # the audit reads these pages too, and must not trip
    assert code == 0, err
    assert_inert(tmp_path, code, out, err)
    pages = [*(tmp_path / "output").rglob("*.html"), *(tmp_path / "preview").rglob("*.html")]
    text = "".join(p.read_text(encoding="utf-8") for p in pages)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in text
    assert "{{ 7*7 }}" in text and "{x}" in text
    assert "\\u003cscript\\u003e" in text  # the same text inside JSON-LD, escaped the JSON way


def test_sources_cannot_carry_script_urls(tmp_path):
    topics = [row[:] for row in TOPICS]
    topics[0][TOPIC_HEADER.index("sources")] = "javascript:alert(1) data:text/html,<script>x</script>"
    _write(tmp_path / "data", topics, PAIRS)
    code, _out, err = _build(tmp_path)
    assert code == 2
    assert "source 'javascript:alert(1)' is not an http(s) URL" in err
    assert "source 'data:text/html,<script>x</script>' is not an http(s) URL" in err


cell_text = st.lists(
    st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40), st.text(alphabet="<>&\"'{}%/\\;,\n\r\t ", max_size=20)),
    min_size=1,
    max_size=6,
).map("".join)
TOPIC_CELLS = [("topics", r, c) for r in range(len(TOPICS)) for c in range(len(TOPIC_HEADER))]
PAIR_CELLS = [("pairs", r, c) for r in range(len(PAIRS)) for c in range(len(PAIR_HEADER))]
# 40 examples keep `make test` quick; FUZZ_EXAMPLES=2000 runs a longer hunt.
PROPERTY = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _mutated(edits) -> tuple[list[list[str]], list[list[str]]]:
    topics, pairs = [r[:] for r in TOPICS], [r[:] for r in PAIRS]
    for (file, row, col), text in edits:
        (topics if file == "topics" else pairs)[row][col] = text
    return topics, pairs


@PROPERTY
@given(st.lists(st.tuples(st.sampled_from(TOPIC_CELLS + PAIR_CELLS), cell_text), min_size=1, max_size=4))
def test_arbitrary_text_in_any_cell_builds_escaped_or_stops_cleanly(edits):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write(root / "data", *_mutated(edits))
        code, out, err = _build(root)
        event(f"exit {code}")
        assert_inert(root, code, out, err)


# Cells that keep the row valid (free text only), so these examples really build and are checked as pages.
FREE_TEXT = [
    ("topics", r, TOPIC_HEADER.index(c))
    for r in range(len(TOPICS))
    for c in ("description", "name_in_text", "abbreviation", "category", "effects", "strategies")
]
FREE_TEXT += [("pairs", 0, PAIR_HEADER.index(c)) for c in ("relationship", "reviewed_by")]


@pytest.mark.slow
@PROPERTY
@given(st.lists(st.tuples(st.sampled_from(FREE_TEXT), cell_text), min_size=1, max_size=6))
def test_arbitrary_free_text_is_escaped_in_the_pages(edits):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write(root / "data", *_mutated(edits))
        code, out, err = _build(root)
        event(f"exit {code}")
        assert_inert(root, code, out, err)
