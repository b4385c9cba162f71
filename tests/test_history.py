"""Nothing lost between builds: removed pages are listed, renamed topics redirect, `pairs` keeps editors' rows."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from pathlib import Path

import pytest
from conftest import cli_build

from pipeline.cli import main
from pipeline.site.history import page_list_path
from pipeline.site.quick import cache_dir

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "fixtures" / "small"
TEMPLATES = ROOT / "templates"


def _build(data: Path, out: Path, capsys, config: Path | None = None, *extra: str) -> list[str]:
    code = cli_build(data, out, "--workers", "1", "--no-audit", *extra, templates=TEMPLATES, config=config)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out.splitlines()


def _published_config(tmp_path: Path) -> Path:
    """site.toml with unlisted pairs published as noindex, so that renames move published pages."""
    config = tmp_path / "site.toml"
    text = (ROOT / "site.toml").read_text(encoding="utf-8")
    config.write_text(text.replace('default_status = "review"', 'default_status = "noindex"'), encoding="utf-8")
    return config


def _edit_topics(data: Path, rename: dict[str, tuple[str, str]], drop: set[str]) -> None:
    """Rename topics (name → (new name, old slugs)) and drop others, keeping every other cell."""
    rows = list(csv.reader((data / "topics.csv").open(newline="", encoding="utf-8")))
    header = rows[0] + (["old_slugs"] if "old_slugs" not in rows[0] else [])
    out = [header]
    for r in rows[1:]:
        r = r + [""] * (len(header) - len(r))
        if r[0] in drop:
            continue
        if r[0] in rename:
            r[0], r[header.index("old_slugs")] = rename[r[0]]
        out.append(r)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(out)
    (data / "topics.csv").write_text(buf.getvalue(), encoding="utf-8")


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _pages_on_disk(site: Path) -> set[str]:
    found = set()
    for p in site.rglob("index.html"):
        rel = p.parent.relative_to(site).as_posix()
        found.add("" if rel == "." else f"{rel}/")
    return found


@pytest.fixture
def renamed(tmp_path, capsys):
    """The small site built, then rebuilt with Awe renamed, Procrastination removed and a pair rejected."""
    data, out = tmp_path / "data", tmp_path / "output"
    shutil.copytree(SMALL, data)
    config = _published_config(tmp_path)
    _build(data, out, capsys, config)
    before = _pages_on_disk(out)
    _edit_topics(data, {"Awe": ("Sense of Awe", "awe wonder")}, {"Procrastination"})
    pairs = (data / "pairs.csv").read_text(encoding="utf-8").replace("awe,procrastination,rejected,,,,\n", "")
    (data / "pairs.csv").write_text(pairs + "compassion-fatigue,mindfulness,rejected,,,,\n", encoding="utf-8")
    return data, out, before, _build(data, out, capsys, config, "--allow-removals")


def test_removed_pages_are_listed_and_renamed_ones_redirect(renamed):
    _data, out, before, summary = renamed
    after = _pages_on_disk(out)
    gone = sorted(before - after)
    assert gone == [
        "awe-and-compassion-fatigue/",
        "awe-and-default-mode-network/",
        "awe-and-mindfulness/",
        "awe-and-post-traumatic-stress-disorder/",
        "compassion-fatigue-and-mindfulness/",
        "compassion-fatigue-and-procrastination/",
        "default-mode-network-and-procrastination/",
        "mindfulness-and-procrastination/",
        "post-traumatic-stress-disorder-and-procrastination/",
        "topics/awe/",
        "topics/procrastination/",
    ]
    listed = summary[summary.index(next(x for x in summary if x.startswith("  removed since"))) :]
    assert listed == [
        "  removed since the last build: 11 page(s), 5 of them redirected to their new URL, 6 to a related page",
        "    awe-and-compassion-fatigue/ → compassion-fatigue-and-sense-of-awe/ (permanent redirect)",
        "    awe-and-default-mode-network/ → default-mode-network-and-sense-of-awe/ (permanent redirect)",
        "    awe-and-mindfulness/ → mindfulness-and-sense-of-awe/ (permanent redirect)",
        (
            "    awe-and-post-traumatic-stress-disorder/ → post-traumatic-stress-disorder-and-sense-of-awe/ "
            "(permanent redirect)"
        ),
        "    compassion-fatigue-and-mindfulness/ → topics/compassion-fatigue/ (removed; redirected)",
        "    compassion-fatigue-and-procrastination/ → topics/compassion-fatigue/ (removed; redirected)",
        "    default-mode-network-and-procrastination/ → topics/default-mode-network/ (removed; redirected)",
        "    mindfulness-and-procrastination/ → topics/mindfulness/ (removed; redirected)",
        "    post-traumatic-stress-disorder-and-procrastination/ → topics/post-traumatic-stress-disorder/ (removed; "
        "redirected)",
        "    topics/awe/ → topics/sense-of-awe/ (permanent redirect)",
        "    topics/procrastination/ → the home page (removed; redirected)",
        (
            "  topic 'procrastination' is gone: if it was renamed, add 'procrastination' to its old_slugs cell in "
            "topics.csv so its old pages redirect"
        ),
    ]
    # The page list is kept in the build cache, not in the public tree, and matches the site.
    assert not (out / ".pages.txt").exists()
    listed_pages = page_list_path(cache_dir(out), out).read_text(encoding="utf-8").splitlines()[1:]
    assert set(listed_pages) == after and listed_pages == sorted(listed_pages)


def test_redirects_cover_every_old_url_of_a_renamed_topic(renamed):
    _data, out, _, _ = renamed
    prefix = "/library/"
    netlify = {}
    deploy = out.parent / "deploy"
    for line in (deploy / "_redirects").read_text(encoding="utf-8").splitlines():
        old, new, code = line.split(" ")
        assert code == "301" and old not in netlify
        netlify[old.removeprefix(prefix)] = new.removeprefix(prefix)
    live = _pages_on_disk(out)
    assert set(netlify.values()) <= live, "every redirect lands on a page"
    assert not set(netlify) & live, "no live page is redirected away"
    assert netlify["topics/awe/"] == netlify["topics/wonder/"] == "topics/sense-of-awe/"
    for other in ("compassion-fatigue", "default-mode-network", "mindfulness", "post-traumatic-stress-disorder"):
        new = sorted(["sense-of-awe", other])
        target = f"{new[0]}-and-{new[1]}/"
        if target not in live:
            continue
        for old in ("awe", "wonder", "sense-of-awe"):
            for url in (f"{old}-and-{other}/", f"{other}-and-{old}/"):
                if url != target:
                    assert netlify[url] == target, url
    assert "compassion-fatigue-and-sense-of-awe/" in live
    assert netlify["awe-and-mindfulness/"] == "mindfulness-and-sense-of-awe/"
    # The nginx map says the same, with and without the trailing slash, each key once.
    nginx = (deploy / "nginx-redirects.conf").read_text(encoding="utf-8").splitlines()
    keys = [line.split()[0] for line in nginx if line.startswith("    /")]
    assert len(keys) == len(set(keys))
    assert f"    {prefix}awe-and-compassion-fatigue {prefix}compassion-fatigue-and-sense-of-awe/;" in nginx
    assert f"    {prefix}topics/awe/ {prefix}topics/sense-of-awe/;" in nginx


def test_a_site_without_a_page_list_is_compared_by_its_pages(tmp_path, capsys):
    data, out = tmp_path / "data", tmp_path / "output"
    shutil.copytree(SMALL, data)
    config = _published_config(tmp_path)
    _build(data, out, capsys, config)
    page_list_path(cache_dir(out), out).unlink()
    _edit_topics(data, {}, {"Mindfulness"})
    (data / "pairs.csv").write_text(
        (SMALL / "pairs.csv")
        .read_text(encoding="utf-8")
        .replace("mindfulness,post-traumatic-stress-disorder,review,,,,\n", ""),
        encoding="utf-8",
    )
    summary = _build(data, out, capsys, config, "--allow-removals")
    # Five published pages (the draft with mindfulness was never public).
    assert (
        "  removed since the last build: 5 page(s), 0 of them redirected to their new URL, 5 to a related page"
        in summary
    )
    assert "    topics/mindfulness/ → the home page (removed; redirected)" in summary


def test_an_unchanged_rebuild_lists_nothing(tmp_path, capsys):
    data, out = tmp_path / "data", tmp_path / "output"
    shutil.copytree(SMALL, data)
    _build(data, out, capsys)
    assert not any("removed" in line for line in _build(data, out, capsys))


# --- python -m pipeline pairs -------------------------------------------------------------------

EDITED = (
    "\ufefftopic_b,topic_a,notes,status,relationship,sources,reviewed_by,reviewed_on\r\n"
    'default-mode-network,compassion-fatigue,"keep, this",approved,"Two paragraphs.\r\n\r\nSecond one.",,'
    "Bringwise editorial team,2026-11-25\r\n"
    "mindfulness,awe,,draft?,,,,\r\n"
    "  awe , procrastination ,,rejected,,,,"
)


def _pairs(data: Path, capsys) -> tuple[int, str, str]:
    code = main(["pairs", "--data", str(data)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_pairs_appends_candidates_and_keeps_every_byte(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(SMALL, data)
    original = EDITED.encode("utf-8")
    (data / "pairs.csv").write_bytes(original)
    code, out, err = _pairs(data, capsys)
    assert (code, err) == (0, "")
    assert out == (
        f"Added 12 candidate pair(s) to {data / 'pairs.csv'} after the 3 already listed; existing rows are unchanged.\n"
    )
    written = (data / "pairs.csv").read_bytes()
    assert written.startswith(original + b"\r\n"), "old bytes kept; the unterminated last row gets its line end"
    added = written[len(original) + 2 :].decode("utf-8")
    rows = added.split("\r\n")
    assert rows[-1] == "" and all(r.count(",") == 7 for r in rows[:-1])
    # In the file's own column order (topic_b first), canonical pair order, empty editorial cells.
    assert rows[:3] == [
        "compassion-fatigue,awe,,,,,,",
        "default-mode-network,awe,,,,,,",
        "post-traumatic-stress-disorder,awe,,,,,,",
    ]
    pairs = {tuple(sorted((r.split(",")[0], r.split(",")[1]))) for r in rows[:-1]}
    assert len(pairs) == 12 and ("awe", "mindfulness") not in pairs and ("awe", "procrastination") not in pairs
    # Running it again adds nothing and changes nothing.
    code, out, _ = _pairs(data, capsys)
    assert code == 0 and out.endswith("already lists every pair (15); nothing to add.\n")
    assert (data / "pairs.csv").read_bytes() == written
    assert sorted(p.name for p in data.iterdir()) == ["pairs.csv", "topics.csv"], "no temporary file left"


def test_pairs_creates_the_file_and_the_site_stays_the_same(tmp_path, capsys):
    """Empty editorial rows change nothing on the site, even when unlisted pairs default to published (noindex)."""
    config = tmp_path / "site.toml"
    config.write_text(
        (ROOT / "site.toml")
        .read_text(encoding="utf-8")
        .replace('default_status = "review"', 'default_status = "noindex"'),
        encoding="utf-8",
    )
    assert 'default_status = "noindex"' in config.read_text(encoding="utf-8")
    data = tmp_path / "data"
    shutil.copytree(SMALL, data)
    (data / "pairs.csv").unlink()
    _build(data, tmp_path / "before", capsys, config)
    code, out, _ = _pairs(data, capsys)
    assert code == 0 and out.startswith("Added 15 candidate pair(s)")
    text = (data / "pairs.csv").read_text(encoding="utf-8")
    assert text.splitlines()[:2] == [
        "topic_a,topic_b,status,relationship,sources,reviewed_by,reviewed_on",
        "awe,compassion-fatigue,,,,,",
    ]
    _build(data, tmp_path / "after", capsys, config)
    assert _tree(tmp_path / "before") == _tree(tmp_path / "after")


def test_pairs_refuses_broken_data_and_writes_nothing(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "tests" / "broken" / "unknown_kind", data)
    (data / "pairs.csv").write_bytes(EDITED.encode("utf-8"))
    code, out, err = _pairs(data, capsys)
    assert code == 2 and out == ""
    assert "kind 'brain-network' is not one of" in err
    assert (data / "pairs.csv").read_bytes() == EDITED.encode("utf-8")
    (data / "pairs.csv").write_bytes("topic_a,topic_b\nawe,d\xe9j\xe0\n".encode("latin-1"))
    shutil.copy(SMALL / "topics.csv", data / "topics.csv")
    code, _, err = _pairs(data, capsys)
    assert code == 2 and "is not valid UTF-8" in err


def test_pairs_write_is_atomic(tmp_path, capsys, monkeypatch):
    from pipeline.data import csvedit

    data = tmp_path / "data"
    shutil.copytree(SMALL, data)
    before = (data / "pairs.csv").read_bytes()

    def fail(*_):
        raise OSError("disk full")

    monkeypatch.setattr(csvedit.os, "replace", fail)
    assert main(["pairs", "--data", str(data)]) == 1
    capsys.readouterr()
    assert (data / "pairs.csv").read_bytes() == before
    assert sorted(p.name for p in data.iterdir()) == ["pairs.csv", "topics.csv"]


def test_a_site_walked_for_its_pages_gives_what_os_walk_gives(tmp_path):
    import os

    from pipeline.site.history import _walk_pages

    site = tmp_path / "site"
    for rel in ["", "a-and-b/", "topics/x/", "topics/", "deep/er/still/", "about/"]:
        (site / rel).mkdir(parents=True, exist_ok=True)
        (site / rel / "index.html").write_text("<p>page</p>", encoding="utf-8")
    (site / "a-and-b" / "card.png").write_bytes(b"png")
    (site / "empty").mkdir()
    (site / "odd" / "index.html").mkdir(parents=True)  # a folder named index.html is no page
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "index.html").write_text("x", encoding="utf-8")
    (site / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)  # not entered

    plain = []
    for folder, _dirs, files in os.walk(site):
        if "index.html" in files:
            rel = Path(folder).relative_to(site).as_posix()
            plain.append("" if rel == "." else f"{rel}/")
    assert _walk_pages(site) == sorted(plain) == ["", "a-and-b/", "about/", "deep/er/still/", "topics/", "topics/x/"]
