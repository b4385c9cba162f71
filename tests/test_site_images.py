"""The site's images a visitor's browser asks for: the favicon in every tree, linked from every page."""

from __future__ import annotations

import io

import lxml.html
from conftest import preview_of
from PIL import Image


def test_every_page_links_a_favicon_that_exists_in_its_tree(small_site):
    out, _ = small_site
    for tree in (out, preview_of(out)):
        for rel, size in (("favicon.svg", None), ("favicon-32.png", 32), ("apple-touch-icon.png", 180)):
            path = tree / rel
            assert path.is_file(), path
            if size:
                assert Image.open(io.BytesIO(path.read_bytes())).size == (size, size)
        assert (tree / "favicon.svg").read_text(encoding="utf-8").startswith("<svg")
        for page in tree.rglob("*.html"):
            doc = lxml.html.parse(str(page)).getroot()
            links = {(el.get("rel"), el.get("href")) for el in doc.iter("link")}
            rels = {r for r, _ in links}
            assert {"icon", "apple-touch-icon"} <= rels, page
            if page.name == "404.html":
                continue  # the 404 page links absolutely (it is served at any depth)
            for rel, href in links:
                if rel in ("icon", "apple-touch-icon"):
                    assert (page.parent / href).resolve().is_file(), (page, href)


def test_an_unchanged_favicon_is_not_made_again(small_site, tmp_path):
    from pipeline.site.images import icon_files

    first = icon_files("Bringwise Library", tmp_path)
    stamps = {rel: p.stat().st_mtime_ns for rel, p in first.items()}
    again = icon_files("Bringwise Library", tmp_path)
    assert {rel: p.stat().st_mtime_ns for rel, p in again.items()} == stamps
