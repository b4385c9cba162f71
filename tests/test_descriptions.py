"""Meta descriptions are 120–160 characters of whole sentences by construction, never cut; editors
may override a pair's title and description in pairs.csv."""

from __future__ import annotations

import csv
import re
import shutil

import pytest
from conftest import FIXTURES, ROOT, build_site, preview_of
from lxml import html as lxml_html

from pipeline.config import load_config
from pipeline.content.language import split_sentences

CFG = load_config(ROOT / "site.toml")
LO, HI = CFG.audit.description_min, CFG.audit.description_max


def _meta(page, prop: str) -> str | None:
    found = page.xpath(f'//meta[@property="{prop}" or @name="{prop}"]/@content')
    return found[0] if found else None


def _descriptions(out):
    """(page, description) of every page of both trees but the 404 page."""
    for root in (out, preview_of(out)):
        for path in sorted(root.rglob("index.html")):
            yield path, _meta(lxml_html.fromstring(path.read_bytes()), "description")


def _assert_whole_and_in_range(out) -> int:
    count = 0
    for path, text in _descriptions(out):
        assert text is not None, path
        assert LO <= len(text) <= HI, f"{path}: {len(text)} characters: {text}"
        assert re.search(r"[.!?。！？][\"'’”)]*$", text), f"{path}: does not end a sentence: {text}"
        assert "…" not in text and "..." not in text, path
        assert " ".join(split_sentences(text)) == text, path  # whole sentences only
        count += 1
    return count


@pytest.mark.parametrize("fixture", ["small", "awkward"])
def test_every_description_of_the_fixture_sites_is_120_to_160_whole_sentences(fixture, small_site, awkward_site):
    out, _ = small_site if fixture == "small" else awkward_site
    assert _assert_whole_and_in_range(out) > 5


@pytest.mark.slow
def test_every_description_of_the_shipped_data_is_120_to_160_whole_sentences(tmp_path):
    out = tmp_path / "output"
    build_site(ROOT / "data", out)
    assert _assert_whole_and_in_range(out) > 2800  # every pair page, published or draft, every hub and page


def test_a_short_lead_is_completed_with_sentences_from_the_wording_true_of_the_page(small_site):
    import tomllib

    out, _ = small_site
    wording = tomllib.loads((ROOT / "templates" / "wording" / "page.toml").read_text(encoding="utf-8"))["description"]
    # The sentences without placeholders, as a page shows them.
    fixed = {t for table in wording.values() for ts in table.values() for t in ts if "{" not in t}
    completed = 0
    for path, text in _descriptions(out):
        page = lxml_html.fromstring(path.read_bytes())
        assert _meta(page, "og:description") == text == _meta(page, "twitter:description")
        completed += any(sentence in fixed for sentence in split_sentences(text))
    assert completed >= 3
    # A hub's description starts with its topic's definition; a draft never claims sourced links it lacks.
    hub = _meta(lxml_html.fromstring((out / "topics" / "procrastination" / "index.html").read_bytes()), "description")
    assert hub.startswith(("Procrastination: ", "Procrastination is"))
    for path in preview_of(out).glob("*-and-*/index.html"):
        page = lxml_html.fromstring(path.read_bytes())
        if "Every link this page states" in _meta(page, "description"):
            assert page.xpath('//sup[@class="cite"]'), path


def _edited(tmp_path, title: str, description: str):
    """The small fixture with an editor's title and description on its approved pair (line 2)."""
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "small", data)
    pairs = data / "pairs.csv"
    with pairs.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["status"] == "approved"
    rows[0].update(title=title, description=description)
    with pairs.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[*rows[1].keys(), "title", "description"], restval="")
        writer.writeheader()
        writer.writerows(rows)
    return data


def test_an_editors_title_and_description_replace_the_generated_ones(tmp_path):
    title = "Compassion Fatigue and the Wandering Mind"
    description = (
        "Why caring for others can leave the mind circling: what compassion fatigue is, what the default mode "
        "network does, and what can help."
    )
    assert LO <= len(description) <= HI
    out = tmp_path / "output"
    result = build_site(_edited(tmp_path, title, description), out)
    page = lxml_html.fromstring((out / "compassion-fatigue-and-default-mode-network" / "index.html").read_bytes())
    assert page.findtext(".//title") == title == _meta(page, "og:title") == _meta(page, "twitter:title")
    assert _meta(page, "description") == description == _meta(page, "og:description")
    # The heading on the page keeps both topics' full names.
    assert page.findtext(".//h1") == "Compassion Fatigue and Default Mode Network: How They Connect"
    assert _meta(page, "og:image:alt") == f"{title} — Bringwise Library"
    assert not [w for w in result.warnings if "title" in w]


def test_override_cells_outside_the_ranges_are_warned_about_with_file_line_and_column(tmp_path):
    from pipeline.site.build import load_inputs

    long_title = "Compassion Fatigue and the Default Mode Network: What Research Says So Far"
    data = _edited(tmp_path, long_title, "Too short to be a good snippet.")
    notes = load_inputs(data, ROOT / "templates", CFG).notes
    pairs = str(data / "pairs.csv")
    title_note = next(n for n in notes if "column 'title'" in n)
    desc_note = next(n for n in notes if "column 'description'" in n)
    assert title_note.startswith(f"{pairs}:2: column 'title': ") and f"{len(long_title)} characters" in title_note
    assert desc_note.startswith(f"{pairs}:2: column 'description': ") and "31 characters" in desc_note
