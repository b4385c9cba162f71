"""Incremental builds (issue 5): nothing changed writes nothing; one edited topic re-renders only its pages."""

from __future__ import annotations

import csv
import filecmp
import os
from pathlib import Path

import pytest

from bench import synthetic
from pipeline import urls
from tests.conftest import build_site, preview_of

N = 24


def _files(out: Path) -> dict[str, tuple[int, int]]:
    """Every file of the site and (under 'preview/') of its drafts' tree: inode and mtime."""
    snap = {}
    for root, prefix in ((out, ""), (preview_of(out), "preview/")):
        for folder, _, names in os.walk(root):
            for name in names:
                path = os.path.join(folder, name)
                st = os.stat(path)
                snap[prefix + os.path.relpath(path, root)] = (st.st_ino, st.st_mtime_ns)
    return snap


def _file_of(p) -> str:
    """Where a page summary's page is in _files."""
    return ("preview/" if p.status == "review" else "") + urls.output_path(p.url)


def _same_trees(a: Path, b: Path, files: list[str]) -> None:
    for tree_a, tree_b, prefix in ((a, b, ""), (preview_of(a), preview_of(b), "preview/")):
        rels = [f.removeprefix(prefix) for f in files if f.startswith(prefix) == bool(prefix)]
        _, mismatch, errors = filecmp.cmpfiles(tree_a, tree_b, rels, shallow=False)
        assert not mismatch and not errors


@pytest.fixture()
def site(tmp_path, monkeypatch):
    monkeypatch.setenv("BRINGWISE_BUILD_CACHE", str(tmp_path / "cache"))
    data = synthetic.write(N, tmp_path / "data")
    out = tmp_path / "output"
    first = build_site(data, out)
    return data, out, first


def test_second_build_of_unchanged_input_changes_nothing(site):
    data, out, first = site
    before, out_ino = _files(out), os.stat(out).st_ino
    again = build_site(data, out)
    assert again.unchanged
    assert _files(out) == before
    assert os.stat(out).st_ino == out_ino
    assert [(p.url, p.status, p.words) for p in again.pages] == [(p.url, p.status, p.words) for p in first.pages]
    assert again.rejected == first.rejected and again.warnings == first.warnings


def _edit_description(data: Path) -> str:
    path = data / "topics.csv"
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    row = rows[len(rows) // 2]
    row["description"] = row["description"].replace(" is ", " is, by most accounts, ", 1)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    from pipeline.data.validate import make_slug

    return make_slug(row["name"])


def test_editing_one_topic_rerenders_only_its_pages_and_matches_a_clean_build(site, tmp_path):
    data, out, first = site
    before = _files(out)
    slug = _edit_description(data)
    result = build_site(data, out)
    after = _files(out)
    mine = {_file_of(p) for p in result.pages if p.kind == "pair" and slug in (p.a, p.b)}
    others = {_file_of(p) for p in result.pages if p.kind == "pair" and slug not in (p.a, p.b)}
    assert mine and others
    assert result.rendered == len(mine)
    assert result.reused == len(others)
    # Pages of the edited topic are new files; every other pair page is the same inode, untouched.
    assert all(after[rel][0] != before[rel][0] for rel in mine)
    assert all(after[rel] == before[rel] for rel in others)
    hub = urls.output_path(urls.hub_url(slug))
    assert after[hub] != before[hub]
    untouched_hubs = [
        rel for rel in after if rel.startswith(("topics/", "preview/topics/")) and rel.removeprefix("preview/") != hub
    ]
    assert untouched_hubs and all(after[rel] == before[rel] for rel in untouched_hubs)

    clean = tmp_path / "clean"
    build_site(data, clean)
    assert set(_files(clean)) == set(after)
    _same_trees(out, clean, sorted(after))


def test_editing_a_template_rerenders_the_pages_that_use_it(site, tmp_path):
    data, out, _ = site
    templates = tmp_path / "templates"
    import shutil

    from tests.conftest import ROOT

    shutil.copytree(ROOT / "templates", templates)
    build_site(data, out, templates=templates)  # same content, other folder: nothing to render
    before = _files(out)
    (templates / "hub.html").write_text((templates / "hub.html").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    result = build_site(data, out, templates=templates)
    after = _files(out)
    assert result.rendered == 0 and result.reused > 0
    hubs = [rel for rel in after if rel.startswith(("topics/", "preview/topics/")) and rel.endswith(".html")]
    assert all(after[rel][0] != before[rel][0] for rel in hubs)
    # Their social cards show the same titles: the very same files.
    assert all(after[rel] == before[rel] for rel in after if rel.endswith("card.png"))
    clean = tmp_path / "clean"
    build_site(data, clean, templates=templates)
    _same_trees(out, clean, sorted(after))


def test_a_site_restored_from_an_older_backup_is_rebuilt_not_trusted(site, tmp_path):
    import shutil

    data, out, _ = site
    backup = tmp_path / "backup"
    shutil.copytree(out, backup, copy_function=shutil.copy2)
    slug = _edit_description(data)
    build_site(data, out)
    shutil.rmtree(out)
    shutil.copytree(backup, out, copy_function=shutil.copy2)
    rebuilt = build_site(data, out)
    assert not rebuilt.unchanged
    clean = tmp_path / "clean"
    build_site(data, clean)
    cmp = filecmp.dircmp(out, clean)
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only
    page = next(p for p in out.glob(f"*{slug}*/index.html"))
    assert page.read_bytes() == (clean / page.relative_to(out)).read_bytes()
