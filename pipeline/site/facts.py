"""The audit's record of a page the renderer has just made, taken from the HTML in hand instead of
parsed back from the written file: the renderer's markup is known (lower-case tags, quoted and
escaped attributes, no nested links), so one scan of the string for the tags the audit looks at
finds them without building a tree. Each tag found is judged by the audit's own RecordBuilder, as
parse_page judges the elements of its lxml tree, so only the finding differs; a fixed sample of
pages (`in_sample`) is parsed back with lxml and compared field by field (`disagreement`), and a
difference is an audit error naming the page. The standalone `python -m pipeline audit` parses
every file."""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import fields
from hashlib import blake2b

from pipeline.audit import RecordBuilder, content_hash, text_words
from pipeline.audit.model import PageRecord

# The tags the audit looks at (see audit.model._LOOK_AT), and comments, inside which nothing is a tag.
_TAG = re.compile(r"<!--.*?-->|<(a|h[1-6]|meta|link|script|title|img|nav|html)(?=[\s/>])([^>]*)>", re.S | re.I)
_ATTR = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_MARKUP = re.compile(r"<!--.*?-->|<[^>]*>", re.S)
# Elements whose text is not main text (audit.model._NOT_TEXT), with their content.
_NOT_TEXT = re.compile(r"<(nav|script|style|noscript|template)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_IMG = re.compile(r"<img\b([^>]*)>", re.I)
_HEADING_LEVEL = {f"h{n}": n for n in range(1, 7)}

# One page in SAMPLE_EVERY is parsed back and compared, chosen by its URL (the same pages every build).
SAMPLE_EVERY = 32


def rendered_record(rel: str, html: str, data: bytes, base_url: str) -> PageRecord:
    """The audit's record of the page `html` (whose UTF-8 bytes are `data`), written at `rel`."""
    page = RecordBuilder(rel, content_hash(data), base_url)
    head_end = html.find("</head>")
    seen_html = False
    for m in _TAG.finditer(html):
        tag = m.group(1)
        if tag is None:  # a comment
            continue
        tag = tag.lower()
        if tag == "a":
            _anchor(page, html, m)
        elif tag in _HEADING_LEVEL:
            page.heading(_HEADING_LEVEL[tag])
        elif tag == "meta":
            page.meta(_attributes(m.group(2)))
        elif tag == "link":
            page.link(_attributes(m.group(2)))
        elif tag == "script":
            page.script(_attributes(m.group(2)), _content(html, m, "</script>"))
        elif tag == "title":
            if m.start() < head_end:
                page.title(_text(_content(html, m, "</title>")))
        elif tag == "img":
            page.img(_attributes(m.group(2)))
        elif tag == "nav":
            page.nav(_attributes(m.group(2)))
        elif not seen_html:
            seen_html = True
            page.rec.lang = (_attributes(m.group(2)).get("lang") or "").strip()
    return page.main_text(_main_words(html))


def _anchor(page: RecordBuilder, html: str, m: re.Match) -> None:
    attrs = _attributes(m.group(2))
    href = attrs.get("href")
    if href is None:
        return
    inner = _content(html, m, "</a>")

    def label() -> str:
        text = " ".join(_text(inner).split())
        return (
            text
            or attrs.get("aria-label", "").strip()
            or attrs.get("title", "").strip()
            or " ".join(_attributes(i.group(1)).get("alt", "") for i in _IMG.finditer(inner)).strip()
        )

    page.anchor(href, label)


def _attributes(text: str) -> dict[str, str]:
    """A tag's attributes: names in lower case, values with their character references decoded; the
    first of a repeated name counts, and a name without a value has the value ""."""
    found: dict[str, str] = {}
    for name, double, single, bare in _ATTR.findall(text):
        name = name.lower()
        if name not in found:
            value = double or single or bare
            found[name] = html_lib.unescape(value) if "&" in value else value
    return found


def _content(html: str, m: re.Match, end_tag: str) -> str:
    end = html.find(end_tag, m.end())
    return html[m.end() : end if end >= 0 else len(html)]


def _text(fragment: str) -> str:
    """The text of an HTML fragment, its tags dropped and its character references decoded."""
    text = _MARKUP.sub("", fragment)
    return html_lib.unescape(text) if "&" in text else text


def _main_words(html: str) -> list[bytes]:
    """The words of the text inside <main> (else <body>), as parse_page finds them: text nodes
    outside nav, script, style, noscript and template elements, each a word boundary."""
    end_tag = ""
    start = 0
    for open_tag, close_tag in (("<main", "</main>"), ("<body", "</body>")):
        found = html.find(open_tag)
        if found >= 0:
            start, end_tag = found, close_tag
            break
    start = html.find(">", start) + 1
    end = html.find(end_tag, start) if end_tag else -1
    inner = html[start : end if end >= 0 else len(html)]
    text = _MARKUP.sub(" ", _NOT_TEXT.sub(" ", inner))
    return text_words(html_lib.unescape(text) if "&" in text else text)


def in_sample(url: str) -> bool:
    """Whether the page at `url` is among those parsed back to check the renderer's records."""
    return blake2b(url.encode(), digest_size=2).digest()[0] % SAMPLE_EVERY == 0


_COMPARED = tuple(f.name for f in fields(PageRecord) if f.name != "stat")


def disagreement(made: PageRecord, parsed: PageRecord) -> list[str]:
    """The fields in which the renderer's record differs from the record parsed from the file."""
    return [name for name in _COMPARED if getattr(made, name) != getattr(parsed, name)]
