"""What a visitor and a search engine see of every page: the favicon, linked and present in each tree; meta descriptions never cut off."""

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


def test_no_meta_description_is_cut_off(small_site):
    out, _ = small_site
    for page in out.rglob("index.html"):
        doc = lxml.html.parse(str(page)).getroot()
        text = doc.xpath('string(//meta[@name="description"]/@content)')
        assert text and not text.endswith(("…", "...")) and len(text) <= 160, (page, text)


def test_a_description_is_made_of_whole_sentences_in_range():
    from pipeline.content.context import meta_description

    lead = "How anxiety and insomnia connect: what each is, how one can affect the other, and practical steps."
    extra = ["Anxiety is a feeling of worry or fear about what may happen next.", "Insomnia is trouble sleeping."]
    text = meta_description(lead, extra, 120, 158)
    assert 120 <= len(text) <= 158 and text == f"{lead} {extra[1]}"
    too_long = "A sentence far too long to fit, " + "with clause after clause, " * 8 + "ending here."
    assert meta_description(too_long, ["A short whole sentence."], 120, 158) == "A short whole sentence."
