"""Social cards (pipeline/site/cards.py): a 1200×630 PNG per published page with its whole title,
linked as og:image, made once per title and kept in step with the pages."""

from __future__ import annotations

import csv
import io
import shutil

from conftest import FIXTURES, ROOT, build_site, preview_of
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html
from PIL import Image

from pipeline.audit import audit_site
from pipeline.config import load_config
from pipeline.site.cards import HEIGHT, WIDTH, card_key, card_png, fit_title

CFG = load_config(ROOT / "site.toml")
BRAND = ("Bringwise Library", "https://bringwise.app/library")


def _meta(page, prop: str) -> str | None:
    found = page.xpath(f'//meta[@property="{prop}" or @name="{prop}"]/@content')
    return found[0] if found else None


def _published(out):
    return sorted(p for p in out.rglob("index.html"))


# --- drawing -------------------------------------------------------------------------------------


def test_a_card_is_a_deterministic_1200_by_630_png():
    title = "Compassion Fatigue and Default Mode Network: How They Connect"
    first, again = card_png(title, *BRAND), card_png(title, *BRAND)
    assert first == again  # byte for byte: no timestamps, no system font
    img = Image.open(io.BytesIO(first))
    assert img.format == "PNG" and img.size == (WIDTH, HEIGHT) == (1200, 630)
    assert card_png("Anxiety: What It Is and How It Connects", *BRAND) != first
    assert card_key(title, *BRAND) != card_key(title, "Another Site", BRAND[1])


def test_long_titles_get_smaller_type_and_more_lines_never_a_cut_word():
    short_size, short_lines = fit_title("About These Pages")
    long_title = (
        "Attention-Deficit/Hyperactivity Disorder and Post-Traumatic Stress Disorder: How They Connect in Daily Life"
    )
    long_size, long_lines = fit_title(long_title)
    assert short_lines == ["About These Pages"] and short_size == 80
    assert long_size < short_size and len(long_lines) >= 3
    assert " ".join(long_lines) == long_title
    # A single word wider than the card at every size is still drawn whole, never broken or cut.
    size, lines = fit_title("x" * 90)
    assert lines == ["x" * 90] and size == 28


_WORD = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-/:&'"), min_size=1, max_size=18
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_WORD, min_size=1, max_size=24))
def test_fit_title_keeps_every_word_whole_and_in_order(words):
    title = " ".join(words)
    size, lines = fit_title(title)
    assert " ".join(lines) == title  # nothing dropped, nothing cut, no ellipsis
    assert all(line.strip() == line and line for line in lines)
    assert 28 <= size <= 80
    if len(title) <= 100 and max(len(w) for w in words) <= 14:
        # Titles of any sensible length fit the box: at most 6 lines, none wider than the card.
        from pipeline.site.cards import _MARGIN, _font

        assert len(lines) <= 6
        assert all(_font(size).getlength(line) <= WIDTH - 2 * _MARGIN for line in lines)


# --- in the built site ---------------------------------------------------------------------------


def test_every_published_page_links_its_card_and_drafts_have_none(small_site):
    out, _ = small_site
    pages = _published(out)
    assert pages
    for path in pages:
        page = lxml_html.fromstring(path.read_bytes())
        url = path.parent.relative_to(out).as_posix()
        url = "" if url == "." else url + "/"
        if url == "":
            assert path == out / "index.html"
        image = _meta(page, "og:image")
        assert image is not None, url
        assert image.startswith(f"{CFG.base_url.rstrip('/')}/{url}card.png?v="), image
        assert _meta(page, "og:image:width") == "1200" and _meta(page, "og:image:height") == "630"
        assert _meta(page, "og:image:alt").startswith(_meta(page, "og:title").removesuffix(" | Bringwise Library"))
        assert _meta(page, "twitter:card") == "summary_large_image"
        card = path.parent / "card.png"
        assert Image.open(card).size == (1200, 630), card
    # The 404 page and the drafts' preview: no card, a plain summary card for twitter.
    missing = lxml_html.fromstring((out / "404.html").read_bytes())
    assert _meta(missing, "og:image") is None and _meta(missing, "twitter:card") == "summary"
    preview = preview_of(out)
    assert not list(preview.rglob("card.png"))
    for path in preview.glob("*-and-*/index.html"):
        assert _meta(lxml_html.fromstring(path.read_bytes()), "og:image") is None


def test_cards_are_made_once_per_title_and_follow_the_pages(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "small", data)
    out = tmp_path / "output"
    first = build_site(data, out)
    cards = sorted(out.rglob("card.png"))
    assert first.cards == len(cards) > 5  # a clean build draws each published page's card
    before = {p: p.read_bytes() for p in cards}

    # An edit that changes no title: pages re-render, no card is drawn, every card is the same file.
    pairs = data / "pairs.csv"
    pairs.write_text(pairs.read_text(encoding="utf-8").replace("is limited.", "is still limited."), encoding="utf-8")
    second = build_site(data, out)
    assert second.rendered >= 1 and second.cards == 0
    assert {p: p.read_bytes() for p in sorted(out.rglob("card.png"))} == before

    # Renaming a topic changes the titles of its hub and its published pairs: only those cards are drawn.
    topics = data / "topics.csv"
    with topics.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    rows[0].update(name="Empathy Fatigue", slug="compassion-fatigue")  # the same URLs, new titles
    with topics.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    third = build_site(data, out)
    assert 1 <= third.cards < first.cards
    hub = out / "topics" / "compassion-fatigue"
    page = lxml_html.fromstring((hub / "index.html").read_bytes())
    assert "Empathy Fatigue" in _meta(page, "og:title")
    assert (hub / "card.png").read_bytes() != before[hub / "card.png"]

    # A pair taken back to review leaves the public site with its card; its folder goes too.
    pairs.write_text(pairs.read_text(encoding="utf-8").replace(",approved,", ",review,", 1), encoding="utf-8")
    build_site(data, out)
    assert not (out / "compassion-fatigue-and-default-mode-network").exists()
    assert (preview_of(out) / "compassion-fatigue-and-default-mode-network" / "index.html").exists()
    assert not (preview_of(out) / "compassion-fatigue-and-default-mode-network" / "card.png").exists()


def test_the_audit_finds_a_missing_or_misshapen_card(tmp_path):
    out = tmp_path / "output"
    build_site(FIXTURES / "small", out)
    assert not [f for f in audit_site(out, CFG).findings if f.check.startswith("og-image")]
    (out / "about" / "card.png").unlink()
    Image.new("RGB", (400, 400), "white").save(out / "topics" / "awe" / "card.png")
    found = {(f.check, f.url): f.message for f in audit_site(out, CFG).findings if f.check.startswith("og-image")}
    assert set(found) == {("og-image-broken", "about/"), ("og-image-broken", "topics/awe/")}
    assert "not an image file of the site" in found[("og-image-broken", "about/")]
    assert "400×400, not 1200×630" in found[("og-image-broken", "topics/awe/")]


def test_cards_drawn_in_the_background_are_the_ones_drawn_in_line_each_once(tmp_path):
    from pipeline.site.cards import Drawing, card_title

    titles = [f"Topic {k} and Topic {k + 1}: How They Connect | {BRAND[0]}" for k in range(40)]

    def head(title: str) -> bytes:
        key = card_key(card_title(title, BRAND[0]), *BRAND)
        return (
            f'<meta property="og:image" content="{BRAND[1]}/x/card.png?v={key}">'
            f'<meta property="og:title" content="{title}"></head>'
        ).encode()

    drawing = Drawing(tmp_path, *BRAND, workers=2)
    first = drawing.add((f"p{k}/", head(t)) for k, t in enumerate(titles[:30]))  # 30: in two processes
    again = drawing.add((f"q{k}/", head(t)) for k, t in enumerate(titles[20:]))  # 10 seen, 10 new
    assert [rel for rel, _ in first] == [f"p{k}/card.png" for k in range(30)]
    assert drawing.wait() == 40  # each card drawn once
    for title, (_, src) in zip(titles, first + again[10:]):
        assert src.read_bytes() == card_png(card_title(title, BRAND[0]), *BRAND)
    assert sorted(p.name for p in (tmp_path / "cards").iterdir()) == sorted(src.name for _, src in first + again[10:])
