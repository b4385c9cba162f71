"""The social cards: a 1200×630 PNG per published page with its title and the site's brand, for
og:image and twitter:image.

A card depends only on its title and the brand (site name, address, accent colour, this drawing,
the font), so it is named by a digest of those, its key. The page links it as
`<page>card.png?v=<key>` (social sites cache images by address: a changed card gets a new one).
After the pages are written, the build (site/trees.PageCards) reads each published page's head and
hard-links the card of that key from the build cache (`cards/<key>.png`, made there the first time a title is
seen) beside the page, like the favicon: a build makes only the cards of new titles, and an
unchanged page keeps its card.

Drawn with Pillow in the font shipped beside this module (DejaVu Sans Bold, from Debian's
fonts-dejavu-core; licence in fonts/LICENSE), never a system font, as a palette image whose
colours are tints of the accent: the same title gives the same bytes on every machine with the
locked Pillow.
"""

from __future__ import annotations

import html
import io
import os
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from hashlib import blake2b
from pathlib import Path
from typing import Any

from pipeline import urls
from pipeline.site.images import ACCENT, _letter
from pipeline.site.write import link_into, replace_bytes

WIDTH, HEIGHT = 1200, 630
CARD_FILE = "card.png"  # in the page's folder: /x-and-y/card.png, /card.png for the home page
FONT = Path(__file__).resolve().parent / "fonts" / "DejaVuSans-Bold.ttf"
_VERSION = "2"  # bump when the drawing or its encoding changes (2: zlib level 1)
_MARGIN = 80
_TITLE_TOP, _TITLE_BOTTOM = 170, 510  # the title's box; the brand is above it, the address below
# (size in pixels, most lines): the largest size at which the title fits is used. Below the last
# row, as many lines as the box holds at 28 pixels (a title over ~330 characters may overflow it;
# pairs.csv's validation warns long before).
_SIZES = [(s, 3) for s in range(80, 54, -4)] + [(s, 4) for s in range(54, 38, -4)] + [(s, 6) for s in (38, 34)]
_SMALLEST = 28


def card_path(url: str) -> str:
    """The card's file in the tree, for a page's site-relative URL."""
    return f"{url}{CARD_FILE}"


def card_title(title: str, name: str) -> str:
    """What the card says: the page's title, without a trailing "| <site name>" (the card shows the brand)."""
    suffix = f" | {name}"
    return title[: -len(suffix)] if title.endswith(suffix) and len(title) > len(suffix) else title


def _host(base_url: str) -> str:
    """'https://bringwise.app/library/' → 'bringwise.app/library'."""
    return base_url.split("://", 1)[-1].rstrip("/")


@lru_cache(maxsize=1)
def _font_digest() -> str:
    return blake2b(FONT.read_bytes(), digest_size=8).hexdigest()


def card_key(title: str, name: str, base_url: str) -> str:
    """The digest that names a card: its text, the brand, the drawing and the font."""
    text = "\0".join((_VERSION, title, name, _host(base_url), ACCENT, _font_digest()))
    return blake2b(text.encode("utf-8"), digest_size=6).hexdigest()


def card_meta(page: dict[str, Any], site: dict[str, Any]) -> dict[str, Any] | None:
    """The og:image of a finished page: its card's absolute URL (with the key as version), size and
    alt text; None for pages that have no card (drafts, the 404 page)."""
    if page.get("draft") or page["kind"] == "404":
        return None
    title = card_title(page["title"], site["name"])
    key = card_key(title, site["name"], site["base_url"])
    return {
        "url": f"{urls.absolute(site['base_url'], card_path(page['url']))}?v={key}",
        "width": WIDTH,
        "height": HEIGHT,
        "alt": title if site["name"] in title else f"{title} — {site['name']}",
    }


@lru_cache(maxsize=32)
def _font(size: int):
    from PIL import ImageFont

    return ImageFont.truetype(str(FONT), size)


def _wrap(widths: list[float], space: float, width: float) -> list[int] | None:
    """Where lines start, filling words (their `widths`) greedily into lines no wider than `width`;
    None when one word alone is wider."""
    starts: list[int] = []
    line = -1.0  # the current line's width; < 0 before the first word
    for k, w in enumerate(widths):
        if w > width:
            return None
        if line >= 0 and line + space + w <= width:
            line += space + w
        else:
            starts.append(k)
            line = w
    return starts


def _balanced(widths: list[float], space: float, width: float) -> list[int] | None:
    """_wrap with the narrowest width that needs no more lines: lines of even length, no lone last word."""
    starts = _wrap(widths, space, width)
    if starts is None or len(starts) < 2:
        return starts
    lo, hi = max(widths), width
    while hi - lo > 2:
        mid = (lo + hi) / 2
        trial = _wrap(widths, space, mid)
        if trial is not None and len(trial) <= len(starts):
            hi = mid
        else:
            lo = mid
    return _wrap(widths, space, hi)


def fit_title(title: str, width: int = WIDTH - 2 * _MARGIN, height: int = _TITLE_BOTTOM - _TITLE_TOP):
    """(font size, lines): the largest size at which the whole title fits the box in whole words.

    Below the sizes of _SIZES it is drawn at _SMALLEST on as many lines as it needs, even if they
    overflow the box (a word wider than the card, or hundreds of characters): never cut."""
    words = title.split() or [" "]
    for size, most in [*_SIZES, (_SMALLEST, 99)]:
        font = _font(size)
        widths = [font.getlength(w) for w in words]
        starts = _balanced(widths, font.getlength(" "), width - 4)  # 4 px for kerning across spaces
        if starts is not None and len(starts) <= most and len(starts) * round(size * 1.22) <= height:
            break
    else:
        starts = _wrap([min(w, width - 4) for w in widths], font.getlength(" "), width - 4) or [0]
    ends = [*starts[1:], len(words)]
    return size, [" ".join(words[a:b]) for a, b in zip(starts, ends)]


def _palette(accent: str) -> list[int]:
    """256 tints from the accent (0) to white (255): every pixel of a card is one of them."""
    rgb = [int(accent[i : i + 2], 16) for i in (1, 3, 5)]
    out: list[int] = []
    for v in range(256):
        out += [round(c + (255 - c) * v / 255) for c in rgb]
    return out


def card_png(title: str, name: str, base_url: str) -> bytes:
    """The card for a title: the brand mark and site name, the title as large as it fits, the address."""
    from PIL import Image, ImageDraw

    tint = Image.new("L", (WIDTH, HEIGHT), 0)  # how white each pixel is; the palette makes it a colour
    draw = ImageDraw.Draw(tint)
    draw.ellipse((WIDTH - 330, -260, WIDTH + 260, 330), fill=14)  # a quiet disc in the corner
    mark = 60
    draw.rounded_rectangle((_MARGIN, 64, _MARGIN + mark, 64 + mark), radius=14, fill=255)
    draw.text((_MARGIN + mark / 2, 64 + mark * 0.53), _letter(name), font=_font(38), fill=0, anchor="mm")
    draw.text((_MARGIN + mark + 22, 64 + mark / 2), name, font=_font(34), fill=255, anchor="lm")
    size, lines = fit_title(title)
    step = round(size * 1.22)
    top = _TITLE_TOP + max(0, (_TITLE_BOTTOM - _TITLE_TOP - step * len(lines)) // 2)
    font = _font(size)
    for k, line in enumerate(lines):
        draw.text((_MARGIN, top + k * step + step / 2), line, font=font, fill=255, anchor="lm")
    draw.line((_MARGIN, 540, WIDTH - _MARGIN, 540), fill=70, width=2)
    draw.text((_MARGIN, 578), _host(base_url), font=_font(28), fill=185, anchor="lm")
    img = Image.frombytes("P", (WIDTH, HEIGHT), tint.tobytes())
    img.putpalette(_palette(ACCENT))
    out = io.BytesIO()
    # zlib's fastest level: a card costs ≈ 5 ms of CPU instead of ≈ 8.5 (the default level's compression
    # was 5.6 ms of it), for ≈ 29 KB instead of 23; the pixels are the same.
    img.save(out, "PNG", compress_level=1)
    return out.getvalue()


_OG_IMAGE = re.compile(rb'<meta property="og:image" content="[^"]*\?v=([0-9a-f]{12})"')
_OG_TITLE = re.compile(rb'<meta property="og:title" content="([^"]*)"')


def _read_head(path: str) -> bytes:
    """The start of a page file, up to its </head> (where og:image and og:title are)."""
    with open(path, "rb") as f:
        head = f.read(8192)
        return head if b"</head>" in head else head + f.read()


def page_card(head: bytes) -> tuple[str, str] | None:
    """(key, og:title) of a page whose head links a card; None when it links none."""
    image = _OG_IMAGE.search(head)
    if image is None:
        return None
    title = _OG_TITLE.search(head)
    return image.group(1).decode(), html.unescape(title.group(1).decode("utf-8")) if title else ""


def cards_for(
    heads: Iterable[tuple[str, bytes]], cache: Path, name: str, base_url: str, workers: int = 1
) -> tuple[int, list[tuple[str, Path]]]:
    """For pages (URL, head), the card each links: (card file in the tree, its file in the build
    cache), drawing first the cards the cache does not have yet (by `workers` processes when there
    are many). Returns (cards drawn, those pairs)."""
    drawing = Drawing(cache, name, base_url, workers)
    wanted = drawing.add(heads)
    return drawing.wait(), wanted


class Drawing:
    """Cards drawn while the caller goes on: `add` reads which cards pages link and starts drawing
    the ones the build cache does not have (in `workers` forked processes when there are many, each
    card once), `wait` waits for them all. A build adds the pair pages as soon as they are written
    and the other pages once they are, so the cards are drawn while it makes its other pages."""

    def __init__(self, cache: Path, name: str, base_url: str, workers: int = 1):
        self.folder, self.name, self.base_url, self.workers = cache / "cards", name, base_url, workers
        self.keys: set[str] = set()  # the cards drawn or being drawn
        self._pool = None
        self._pending: list = []

    def add(self, heads: Iterable[tuple[str, bytes]]) -> list[tuple[str, Path]]:
        """For pages (URL, head): (card file in the tree, its file in the build cache) of each card
        linked; those the cache lacks are being drawn when this returns."""
        wanted: list[tuple[str, Path]] = []
        jobs = []
        for url, head in heads:
            found = page_card(head)
            if found is None:
                continue
            key, og_title = found
            src = self.folder / f"{key}.png"
            wanted.append((card_path(url), src))
            if key not in self.keys and not src.is_file():
                title = card_title(og_title, self.name)
                if card_key(title, self.name, self.base_url) != key:
                    raise ValueError(f"{url}: its og:image names card {key}, not the card of its title {title!r}")
                self.keys.add(key)
                jobs.append((self.folder, key, title, self.name, self.base_url))
        if jobs:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._start(jobs)
        return wanted

    def _start(self, jobs: list[tuple[Path, str, str, str, str]]) -> None:
        if self._pool is None and (self.workers < 2 or len(jobs) < 16):
            for job in jobs:  # a few: drawn here and now
                _draw(job)
            return
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            from pipeline.processes import die_with_parent

            ctx = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=ctx, initializer=die_with_parent, initargs=(os.getpid(),)
            )
        size = max(1, min(8, len(jobs) // (4 * self.workers)))
        for k in range(0, len(jobs), size):
            self._pending.append(self._pool.submit(_draw_all, jobs[k : k + size]))

    def wait(self) -> int:
        """Wait until every card added is in the cache (a drawing's error raised here); how many were drawn."""
        try:
            for future in self._pending:
                future.result()
        finally:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
            self._pool, self._pending = None, []
        return len(self.keys)


def page_heads(root: Path, page_urls: Iterable[str]) -> Iterator[tuple[str, bytes]]:
    """(URL, head) of pages written in the tree `root`."""
    return ((url, _read_head(os.path.join(root, urls.output_path(url)))) for url in page_urls)


def link_cards(root: Path, wanted: Iterable[tuple[str, Path]]) -> None:
    """Hard-link each cached card beside its page (a copy when the cache is on another file system)."""
    for rel, src in wanted:
        target = os.path.join(root, rel)
        if not link_into(str(src), target):
            replace_bytes(target, src.read_bytes())


def _draw_all(jobs: list[tuple[Path, str, str, str, str]]) -> None:
    for job in jobs:
        _draw(job)


def _draw(job: tuple[Path, str, str, str, str]) -> None:
    """Draw one card into the cache folder (a temporary file renamed into place)."""
    folder, key, title, name, base_url = job
    tmp = folder / f".{key}.tmp-{os.getpid()}"
    tmp.write_bytes(card_png(title, name, base_url))
    os.replace(tmp, folder / f"{key}.png")


def prune_cache(cache: Path) -> int:
    """Remove the cached cards that no tree links any more (run after the swap: the site and the
    spare kept for the next build hold a link to every card they show)."""
    folder = cache / "cards"
    removed = 0
    if not folder.is_dir():
        return 0
    with os.scandir(folder) as entries:
        for e in entries:
            if e.name.endswith(".png") and e.stat(follow_symlinks=False).st_nlink == 1:
                os.unlink(e.path)
                removed += 1
    return removed
