"""The site's images, made with Pillow: the favicon (SVG plus PNG sizes) in both trees.

Made once into the build cache (named by a hash of what they show) and hard-linked into each
tree, so a build whose brand did not change writes nothing new.
"""

from __future__ import annotations

import io
import os
from hashlib import blake2b
from pathlib import Path

ACCENT = "#0d5c4a"  # templates/_base.html's --accent
INK = "#ffffff"
# Site-relative file → (pixel size or 0 for the SVG). Linked from templates/_base.html.
ICON_FILES = {"favicon.svg": 0, "favicon-32.png": 32, "apple-touch-icon.png": 180}
_VERSION = "1"  # bump when the drawing changes


def _letter(name: str) -> str:
    return next((c for c in name if c.isalnum()), "B").upper()


def favicon_svg(name: str, accent: str = ACCENT) -> str:
    """A rounded square in the accent colour with the brand's first letter."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" rx="14" fill="{accent}"/>'
        '<text x="32" y="46" text-anchor="middle" font-family="system-ui,-apple-system,Segoe UI,Roboto,Arial,sans-serif" '
        f'font-size="40" font-weight="700" fill="{INK}">{_letter(name)}</text></svg>\n'
    )


def favicon_png(name: str, size: int, accent: str = ACCENT) -> bytes:
    """The same mark as favicon_svg, drawn at `size`×`size` pixels (4× oversampled, then reduced)."""
    from PIL import Image, ImageDraw, ImageFont

    big = size * 4
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    # The apple-touch icon is shown square (iOS rounds it itself); the small one has rounded corners.
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=0 if size >= 180 else big * 14 // 64, fill=accent)
    font = ImageFont.load_default(size=big * 40 // 64)
    draw.text(
        (big / 2, big * 0.53), _letter(name), font=font, fill=INK, anchor="mm", stroke_width=big // 64, stroke_fill=INK
    )
    out = io.BytesIO()
    img.resize((size, size), Image.LANCZOS).save(out, "PNG", optimize=True)
    return out.getvalue()


def icon_files(name: str, cache: Path) -> dict[str, Path]:
    """Each icon file of ICON_FILES, made once in `cache`/icons (skipped when already made)."""
    key = blake2b(f"{_VERSION}|{name}|{ACCENT}".encode(), digest_size=6).hexdigest()
    folder = cache / "icons" / key
    made = {}
    for rel, size in ICON_FILES.items():
        path = folder / rel
        if not path.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            data = favicon_svg(name).encode() if size == 0 else favicon_png(name, size)
            tmp = path.with_suffix(f".tmp-{os.getpid()}")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        made[rel] = path
    return made
