"""Links are incremental per page (issue 15): adding one row to data/links.csv re-renders only the
pages whose content it changes, and the result is the clean build's, byte for byte."""

from __future__ import annotations

import filecmp

import pandas as pd

from bench import synthetic
from pipeline import urls
from pipeline.data.validate import make_slug
from tests.conftest import build_site, preview_of
from tests.test_incremental import _files, _same_trees

N = 24
HEADER = "subject,relation,object,sources,note,checked_by,checked_on\n"


def _unpaired_slugs(data) -> list[str]:
    """Slugs of topics that no editor pair names (so that links.csv alone connects them)."""
    topics = pd.read_csv(data / "topics.csv", keep_default_na=False)
    pairs = pd.read_csv(data / "pairs.csv", keep_default_na=False)
    paired = set(pairs["topic_a"]) | set(pairs["topic_b"])
    return sorted(s for s in map(make_slug, topics["name"]) if s not in paired)


def _pages(snap: dict) -> set[str]:
    """The pair pages and hubs of a _files snapshot, in both trees."""
    return {rel for rel in snap if "-and-" in rel or rel.removeprefix("preview/").startswith("topics/")}


def _differ(a, b, rel: str) -> bool:
    tree_a, tree_b = (preview_of(a), preview_of(b)) if rel.startswith("preview/") else (a, b)
    name = rel.removeprefix("preview/")
    if not (tree_a / name).exists() or not (tree_b / name).exists():
        return True
    return not filecmp.cmp(tree_a / name, tree_b / name, shallow=False)


def _pair_file(out, x: str, y: str) -> str:
    rel = urls.output_path(urls.pair_url(*sorted((x, y))))
    return rel if (out / rel).exists() else f"preview/{rel}"


def test_adding_a_link_rerenders_only_the_pages_it_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("BRINGWISE_BUILD_CACHE", str(tmp_path / "cache"))
    data = synthetic.write(N, tmp_path / "data")
    s = _unpaired_slugs(data)
    assert len(s) >= 6
    links = data / "links.csv"
    links.write_text(
        HEADER + f"{s[0]},raises,{s[1]},https://example.org/one,,,\n{s[1]},lowers,{s[2]},https://example.org/two,,,\n",
        encoding="utf-8",
    )
    out, before_site = tmp_path / "output", tmp_path / "before"
    build_site(data, out)
    build_site(data, before_site)  # the site before the edit, kept to see which pages' content changes
    before = _files(out)

    with open(links, "a", encoding="utf-8") as f:  # one more link: s2 now connects to s3
        f.write(f"{s[2]},worsens,{s[3]},https://example.org/three,,,\n")
    result = build_site(data, out)
    after = _files(out)

    clean = tmp_path / "clean"
    build_site(data, clean)
    assert set(_files(clean)) == set(after)
    _same_trees(out, clean, sorted(after))

    rewritten = {rel for rel in _pages(after) if after[rel] != before.get(rel)}
    changed = {rel for rel in _pages(after) if _differ(before_site, clean, rel)}
    # Exactly the pages whose content the link changes are written again; all others are the same files.
    assert rewritten == changed
    assert result.rendered == len([rel for rel in rewritten if "-and-" in rel])
    # Its own pair page, the page it gives a bridge and a chain (s1 - s2 - s3), and the two hubs.
    hubs = {urls.output_path(urls.hub_url(x)) for x in (s[2], s[3])}
    assert {_pair_file(out, s[2], s[3]), _pair_file(out, s[1], s[3]), *hubs} <= rewritten
    # Far from the link: a page of two topics that link to nothing, and the other hubs.
    assert _pair_file(out, s[4], s[5]) not in rewritten
    assert not {rel for rel in rewritten if "topics/" in rel} - hubs - {f"preview/{h}" for h in hubs}
    pair_pages = [rel for rel in _pages(after) if "-and-" in rel]
    assert len([rel for rel in rewritten if "-and-" in rel]) < len(pair_pages) // 3


def test_renaming_a_topic_rerenders_the_pages_that_link_through_it(tmp_path, monkeypatch):
    """A page names the topics its bridges and chains go through: their names are in its fingerprint."""
    import csv

    monkeypatch.setenv("BRINGWISE_BUILD_CACHE", str(tmp_path / "cache"))
    data = synthetic.write(N, tmp_path / "data")
    s = _unpaired_slugs(data)
    (data / "links.csv").write_text(
        HEADER + f"{s[0]},raises,{s[1]},https://example.org/one,,,\n{s[1]},lowers,{s[2]},https://example.org/two,,,\n",
        encoding="utf-8",
    )
    out = tmp_path / "output"
    build_site(data, out)
    before = _files(out)

    path = data / "topics.csv"
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if make_slug(row["name"]) == s[1]:
            row["slug"], row["name"] = s[1], f"Everyday {row['name']}"  # same page addresses, a new name
            new_name = row["name"]
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    build_site(data, out)
    after = _files(out)

    chain_page = _pair_file(out, s[0], s[2])  # s0 raises s1, which lowers s2: a chain through s1
    assert after[chain_page] != before[chain_page]
    page = (out / chain_page) if not chain_page.startswith("preview/") else preview_of(out) / chain_page[8:]
    assert new_name.lower() in page.read_text(encoding="utf-8").lower()
    clean = tmp_path / "clean"
    build_site(data, clean)
    assert set(_files(clean)) == set(after)
    _same_trees(out, clean, sorted(after))
