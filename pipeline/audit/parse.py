"""Parsing one written page with lxml into a PageRecord: head tags, headings, links, JSON-LD, text fingerprints."""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from urllib.parse import unquote, urlsplit

import numpy as np

from pipeline.audit.model import (
    _GENERIC_LINK_TEXT,
    _HEADINGS,
    _LOOK_AT,
    _NOT_TEXT,
    _PAIR_URL,
    _SKIP_SCHEMES,
    _WORDS,
    NUM_PERM,
    SAMPLE_MASK,
    SHINGLE,
    PageRecord,
)

# ---------------------------------------------------------------------------------------------
# Parsing one page


def url_of(rel: str) -> str:
    """The site-relative URL a file serves: 'x/index.html' → 'x/', 'index.html' → ''."""
    if rel == "index.html":
        return ""
    if rel.endswith("/index.html"):
        return rel[: -len("index.html")]
    return rel


def file_of(url: str) -> str:
    """The file that serves a site-relative URL (the inverse of url_of)."""
    return url + "index.html" if url == "" or url.endswith("/") else url


@lru_cache(maxsize=4096)
def kind_of(url: str) -> str:
    return _kind(url)


PAGE_KINDS = ("home", "hub", "pair", "404", "page")
_KIND_CODE = {k: c for c, k in enumerate(PAGE_KINDS)}


def _kind(url: str) -> str:
    if url == "":
        return "home"
    if url.startswith("topics/") and url.count("/") == 2:
        return "hub"
    if _PAIR_URL.match(url):
        return "pair"
    if url == "404.html":
        return "404"
    return "page"


def stat_key(st: os.stat_result) -> int:
    """A file's identity for the audit cache: inode, size and modification time in one signed 64-bit
    number (never 0). A page whose file has the key its cached record was made from is taken as
    unchanged without being read (as make and rsync trust size and mtime); an in-place rewrite gets a
    new mtime, a replaced file a new inode."""
    key = hash((st.st_ino, st.st_size, st.st_mtime_ns))  # ints hash the same in every process
    return key if key not in (0, -1) else 1


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=10).hexdigest()


def resolve(page_url: str, href: str, base_url: str) -> tuple[str, str | None]:
    """Classify a link: ('skip'|'external'|'internal'|'outside', site-relative target or None)."""
    href = href.strip()
    if not href or href.startswith("#") or href.lower().startswith(_SKIP_SCHEMES):
        return "skip", None
    if href.startswith("?"):  # a query only: the page itself
        return "internal", page_url
    return _resolve(page_url[: page_url.rfind("/") + 1], href, base_url)


@lru_cache(maxsize=16_384)
def _resolve(folder: str, href: str, base_url: str) -> tuple[str, str | None]:
    """resolve() for a page's folder: pages in one folder share the answers, hence the cache."""
    parts = urlsplit(href)
    base = urlsplit(base_url)
    base_path = base.path.rstrip("/") + "/"
    if parts.scheme or parts.netloc:
        if parts.scheme and parts.scheme not in ("http", "https"):
            return "skip", None
        if parts.netloc.lower() != base.netloc.lower() or not (parts.path + "/").startswith(base_path):
            return "external", None
        return "internal", unquote(parts.path)[len(base_path) :]
    path = unquote(parts.path)
    if path.startswith("/"):
        if not (path + "/").startswith(base_path):
            return "outside", None
        return "internal", path[len(base_path) :]
    if not path:
        path = "./"
    joined = folder + path
    directory = joined.endswith("/") or joined.rsplit("/", 1)[-1] in (".", "..")
    norm = posixpath.normpath(joined)
    if norm == ".":
        return "internal", ""
    if norm == ".." or norm.startswith("../"):
        return "outside", None
    return "internal", norm + "/" if directory else norm


@lru_cache(maxsize=16_384)
def _resolve_absolute(href: str, base_url: str) -> tuple[str, str | None] | None:
    """_resolve() for a href whose answer does not depend on the page's folder (it has a scheme, a
    host or an absolute path); None for a relative href."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or unquote(parts.path).startswith("/"):
        return _resolve("", href, base_url)
    return None


# A relative href of plain path segments after any number of "../": '../x-and-y/', '../../topics/x/',
# 'about/', '../sitemap.xml'. No segment is "." or "..", no "%", ":", "?", "#" or "//": urlsplit,
# unquote and normpath leave it as it is, so it resolves by dropping the page folder's last segments.
_SEGMENT = r"[A-Za-z0-9_~-][A-Za-z0-9_.~-]*"
_PLAIN_HREF = re.compile(rf"((?:\.\./)*)((?:{_SEGMENT}/)*(?:{_SEGMENT})?)")


def _folder_parents(folder: str) -> list[str] | None:
    """[folder, its parent, …, ""] for a folder like 'a/b/' made of plain segments; None otherwise."""
    if not folder:
        return [""]
    parts = folder.split("/")
    if parts[-1] or any(p in ("", ".", "..") for p in parts[:-1]):
        return None
    parts.pop()
    return ["".join(p + "/" for p in parts[:k]) for k in range(len(parts), -1, -1)]


_PLAIN_HREFS: dict[str, tuple[int, str] | None] = {}


def _plain_href(href: str) -> tuple[int, str] | None:
    """(how many "../", the rest) of a plain relative href (see _PLAIN_HREF), else None; remembered,
    since pages link to the same few thousand hrefs."""
    stripped = href.strip()
    m = _PLAIN_HREF.fullmatch(stripped) if stripped else None  # an empty href is skipped, not the page itself
    found = None if m is None else (len(m.group(1)) // 3, m.group(2))
    if len(_PLAIN_HREFS) >= 16_384:  # as many as _resolve's cache: a few MB at most
        _PLAIN_HREFS.clear()
    _PLAIN_HREFS[href] = found
    return found


def _resolve_on_page(
    page_url: str, folder: str, parents: list[str] | None, href: str, base_url: str
) -> tuple[str, str | None]:
    """resolve() for a page in `folder` (parents from _folder_parents), with a fast path for plain relative hrefs."""
    if parents is not None:
        plain = _PLAIN_HREFS.get(href, False)  # None: known not to be plain
        if plain is False:
            plain = _plain_href(href)
        if plain is not None and plain[0] < len(parents):
            return "internal", parents[plain[0]] + plain[1]
    href = href.strip()
    if not href:
        return "skip", None
    if href.startswith("#") or href.lower().startswith(_SKIP_SCHEMES):
        return "skip", None
    if href.startswith("?"):  # a query only: the page itself
        return "internal", page_url
    # urlsplit finds scheme, host and path before the first "#" or "?", and the answer depends only on
    # those: the caches are asked without the fragment and query, so that a link tagged for each page
    # (the call to action's utm_content) is not a new href on every page.
    href = href.partition("#")[0].partition("?")[0]
    found = _resolve_absolute(href, base_url)
    return found if found is not None else _resolve(folder, href, base_url)


def _types(data) -> Iterator[str]:
    """Top-level @types of a JSON-LD document (including items of @graph), not nested ones."""
    items = data if isinstance(data, list) else [data]
    for item in items:
        if not isinstance(item, dict):
            continue
        t = item.get("@type")
        if isinstance(t, str):
            yield t
        elif isinstance(t, list):
            yield from (x for x in t if isinstance(x, str))
        if "@graph" in item:
            yield from _types(item["@graph"])


def _type_names(item) -> list[str]:
    t = item.get("@type") if isinstance(item, dict) else None
    return [t] if isinstance(t, str) else [x for x in t if isinstance(x, str)] if isinstance(t, list) else []


def _page_facts(data, rec: PageRecord) -> None:
    """What the JSON-LD says of the page itself: its type, what it is about, who reviewed it, its citations."""
    items = data if isinstance(data, list) else [data]
    for item in items:
        if isinstance(item, dict) and "@graph" in item:
            _page_facts(item["@graph"], rec)
            continue
        names = _type_names(item)
        page = next((t for t in names if t.endswith("Page")), "")
        if not page or rec.page_type:
            continue
        rec.page_type = page
        about = item.get("about")
        for thing in about if isinstance(about, list) else [about] if about else []:
            rec.about_types.extend(_type_names(thing))
        reviewer = item.get("reviewedBy")
        if reviewer:
            rec.reviewer_type = next(iter(_type_names(reviewer)), "") or "unknown"
        citation = item.get("citation")
        for c in citation if isinstance(citation, list) else [citation] if citation else []:
            if isinstance(c, str):
                rec.untitled_sources.append(c)
            elif isinstance(c, dict) and not c.get("name"):
                rec.untitled_sources.append(str(c.get("url") or c.get("@id") or "(no address)"))


_PERMUTATIONS: tuple[np.ndarray, np.ndarray] | None = None
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))


PERMUTATION_SEED = 1
MINHASH_SCHEME = f"affine32, RandomState({PERMUTATION_SEED})"  # part of the audit cache's key


def _permutations() -> np.ndarray:
    """The MinHash permutations h -> a * h + b mod 2^32 (2 × NUM_PERM uint32: a odd, b any): the numbers
    datasketch 2's MinHash(num_perm=NUM_PERM, scheme="affine32") draws, from numpy's legacy RandomState
    with its default seed 1, whose stream numpy keeps unchanged across versions (NEP 19).
    tests/fixtures/minhash-datasketch.json holds datasketch's own numbers and signatures to compare."""
    gen = np.random.RandomState(PERMUTATION_SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return np.array([a, b])


def _minhash(hashes: np.ndarray) -> bytes:
    """The MinHash signature (NUM_PERM uint32 values) of 32-bit hashes, exactly as datasketch's
    MinHash(num_perm=NUM_PERM, hashfunc=int, scheme="affine32").update_batch(hashes) makes it, with
    the same permutations: each hash is pre-mixed with the MurmurHash3 finalizer, then
    permuted as a * h + b mod 2^32; the signature is each permutation's minimum."""
    global _PERMUTATIONS
    if _PERMUTATIONS is None:
        a, b = _permutations()
        _PERMUTATIONS = (a[:, None].copy(), b[:, None].copy())  # as columns: one row per permutation
    if not len(hashes):
        return np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32).tobytes()
    s1, m1, s2, m2, s3 = _FMIX32
    hv = np.array(hashes, dtype=np.uint32)
    hv ^= hv >> s1
    hv *= m1
    hv ^= hv >> s2
    hv *= m2
    hv ^= hv >> s3
    a, b = _PERMUTATIONS
    phv = a * hv  # (NUM_PERM, len(hashes)), wrapping in 32 bits
    phv += b
    return phv.min(axis=1).tobytes()


_WORD_HASHES: dict[bytes, int] = {}


def _word_hashes(words: Sequence[bytes]) -> np.ndarray:
    """CRC-32 of each word's UTF-8 bytes, as uint64."""
    cache = _WORD_HASHES
    try:
        return np.fromiter(map(cache.__getitem__, words), dtype=np.uint64, count=len(words))
    except KeyError:
        if len(cache) > 500_000:
            cache.clear()
        for w in set(words).difference(cache):
            cache[w] = zlib.crc32(w)
        return np.fromiter(map(cache.__getitem__, words), dtype=np.uint64, count=len(words))


_MIX_P, _MIX_1, _MIX_S1, _MIX_S2 = np.uint64(0x100000001B3), np.uint64(0xBF58476D1CE4E5B9), np.uint64(29), np.uint64(32)


def _shingle_hashes(words: Sequence[bytes]) -> np.ndarray:
    """shingle_hashes() of words given as UTF-8 bytes."""
    if not words:
        return np.zeros(0, dtype=np.uint32)
    wh = _word_hashes(words)
    k = min(SHINGLE, len(wh))
    n = len(wh) - k + 1
    h = wh[:n].copy()
    for j in range(1, k):  # polynomial rolling combination, wrapping in 64 bits
        h *= _MIX_P
        h += wh[j : j + n]
    h ^= h >> _MIX_S1
    h *= _MIX_1
    h ^= h >> _MIX_S2
    h32 = h.astype(np.uint32)  # the low 32 bits
    h32.sort()
    if n > 1:
        keep = np.empty(n, dtype=bool)
        keep[0] = True
        np.not_equal(h32[1:], h32[:-1], out=keep[1:])
        h32 = h32[keep]
    return h32


def shingle_hashes(words: list[str]) -> np.ndarray:
    """Distinct 32-bit hashes of the text's SHINGLE-word shingles (the whole text if shorter), sorted."""
    return _shingle_hashes([w.encode() for w in words])


def _fingerprint(words: Sequence[bytes]) -> tuple[int, bytes, bytes]:
    hashes = _shingle_hashes(words)
    if not len(hashes):
        return 0, b"", b""
    sample = hashes[(hashes & SAMPLE_MASK) == 0]
    return len(hashes), _minhash(hashes), sample.tobytes()


def text_fingerprint(words: list[str]) -> tuple[int, bytes, bytes]:
    """(number of distinct shingles, MinHash bytes, sampled shingle hashes) of a list of words."""
    return _fingerprint([w.encode() for w in words])


# Words of a text: runs of _WORDS characters, found in its UTF-8 bytes. ASCII bytes that are not word
# characters become spaces, and ASCII capitals small letters, by one table lookup; runs of non-ASCII
# characters are classified with _WORDS itself (and remembered); the bytes are then split at the spaces.
_NOT_WORD = re.compile(r"[^\w’'-]")
_ASCII_WORD_TABLE = bytes(
    c if c >= 128 or _WORDS.fullmatch(chr(c)) else 32 for c in range(256)
)  # ASCII non-word characters → space
_LOWER_WORD_TABLE = _ASCII_WORD_TABLE.translate(
    bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
)
_NON_ASCII_RUN = re.compile(rb"[\x80-\xff]+")
_RUNS: dict[bytes, bytes] = {}
# Non-ASCII characters met so far (UTF-8) that str.lower() leaves as they are, up to 16 of each kind:
# a text whose non-ASCII characters are all among them is lowered by the ASCII table and fixed with a
# few bytes.replace() instead of str.lower() and the regular expression. UTF-8 is self-synchronising,
# so a character's bytes are found only where that character is.
_KNOWN_NOT_WORD: list[bytes] = []
_KNOWN_WORD: list[bytes] = []


def _non_ascii_run(m: re.Match) -> bytes:
    run = m.group()
    fixed = _RUNS.get(run)
    if fixed is None:
        if len(_RUNS) > 100_000:
            _RUNS.clear()
        chars = run.decode()
        fixed = _RUNS[run] = _NOT_WORD.sub(" ", chars).encode()
        for c in chars:
            if c.lower() != c:
                continue
            known = _KNOWN_NOT_WORD if _NOT_WORD.match(c) else _KNOWN_WORD
            b = c.encode()
            if len(known) < 16 and b not in known:
                known.append(b)
    return fixed


def text_words(text: str) -> list[bytes]:
    """_WORDS.findall(text.lower()), each word as its UTF-8 bytes."""
    try:
        data = text.encode()
    except UnicodeEncodeError:  # a lone surrogate: never part of a word
        return [w.encode() for w in _WORDS.findall(text.lower())]
    data = data.translate(_LOWER_WORD_TABLE)
    if not data.isascii():
        fixed = data
        for c in _KNOWN_NOT_WORD:
            fixed = fixed.replace(c, b" ")
        rest = fixed
        for c in _KNOWN_WORD:
            rest = rest.replace(c, b"")
        if rest.isascii():  # every non-ASCII character is known, and lowering leaves it as it is
            data = fixed
        else:
            data = _NON_ASCII_RUN.sub(_non_ascii_run, text.lower().encode().translate(_ASCII_WORD_TABLE))
    return data.split()


_PARSERS: dict[bool, object] = {}


def _parser(declares_charset: bool):
    """An lxml HTML parser; pages that declare no charset are read as UTF-8, the web's default."""
    from lxml import etree

    if declares_charset not in _PARSERS:
        _PARSERS[declares_charset] = etree.HTMLParser(
            remove_comments=True, no_network=True, encoding=None if declares_charset else "utf-8"
        )
    return _PARSERS[declares_charset]


class RecordBuilder:
    """A PageRecord made from a page's elements, handed over in document order, by whoever reads the
    page: parse_page (an lxml tree of a written file) or the renderer's scan of the HTML it has just
    made (site/facts.py). Both judge an element the same way, here; they differ only in how they find it.
    Each element method takes the element's attributes as a mapping (an lxml element or a dict)."""

    __slots__ = ("rec", "base_url", "folder", "parents", "seen_links", "last_level")

    def __init__(self, rel: str, digest: str, base_url: str):
        url = url_of(rel)
        self.rec = PageRecord(rel=rel, url=url, hash=digest)
        self.base_url = base_url
        self.folder = url[: url.rfind("/") + 1]
        self.parents = _folder_parents(self.folder)
        self.seen_links: set[str] = set()
        self.last_level = 0

    def anchor(self, href: str, label: Callable[[], str]) -> None:
        """An <a href>: its target, and its text (`label()`: text, else aria-label, title or image alt)."""
        rec = self.rec
        kind, target = _resolve_on_page(rec.url, self.folder, self.parents, href, self.base_url)
        if kind == "internal":
            if target not in self.seen_links:
                self.seen_links.add(target)
                rec.links.append(target)
        elif kind == "outside":
            rec.outside_links.append(href)
        elif kind == "external":
            rec.external_links += 1
        if kind != "skip":
            text = label()
            if not text:
                rec.bad_link_text.append(f"empty text: {href}")
            elif text.lower().strip(".…!") in _GENERIC_LINK_TEXT:
                rec.bad_link_text.append(f"“{text}”: {href}")

    def heading(self, level: int) -> None:
        rec = self.rec
        if level == 1:
            rec.h1 += 1
        last = self.last_level
        if level > last + 1:
            rec.heading_skips.append(f"h{last} → h{level}" if last else f"first heading is h{level}")
        self.last_level = level

    def meta(self, el) -> None:
        rec = self.rec
        name = (el.get("name") or "").strip().lower()
        if name == "description":
            rec.descriptions.append(" ".join((el.get("content") or "").split()))
        elif (el.get("property") or "").strip().lower() == "og:image" and (el.get("content") or "").strip():
            rec.og_image = rec.og_image or el.get("content").strip()
        elif name in ("robots", "googlebot"):
            tokens = {t.strip() for t in (el.get("content") or "").lower().split(",")}
            if "noindex" in tokens or "none" in tokens:
                rec.noindex = True

    def link(self, el) -> None:
        rels = (el.get("rel") or "").lower().split()
        if "canonical" in rels:
            self.rec.canonicals.append((el.get("href") or "").strip())
        elif "icon" in rels and (el.get("href") or "").strip():
            self.rec.icon = True

    def script(self, el, text: str | None) -> None:
        if (el.get("type") or "").strip().lower() != "application/ld+json":
            return
        rec = self.rec
        rec.jsonld_blocks += 1
        try:
            data = json.loads(text or "")
            rec.jsonld_types.extend(_types(data))
            _page_facts(data, rec)
        except ValueError as exc:
            rec.jsonld_errors.append(str(exc)[:160])

    def title(self, text: str) -> None:
        """A <title> of the head (one elsewhere is not the page's title)."""
        self.rec.titles.append(" ".join(text.split()))

    def img(self, el) -> None:
        if el.get("alt") is None:
            self.rec.img_no_alt.append(el.get("src") or "(no src)")

    def nav(self, el) -> None:
        label = ((el.get("aria-label") or "") + " " + (el.get("class") or "")).lower()
        if "breadcrumb" in label or "crumbs" in label:
            self.rec.breadcrumb_nav = True

    def main_text(self, words: list[bytes]) -> PageRecord:
        """The words of the main text (see text_words), fingerprinted; the finished record."""
        rec = self.rec
        rec.words = len(words)
        rec.shingles, rec.minhash, rec.sample = _fingerprint(words)
        return rec


def parse_page(rel: str, data: bytes, base_url: str, digest: str | None = None) -> PageRecord:
    """Read one HTML file as a crawler does. Pure: bytes in, record out."""
    from lxml import etree

    page = RecordBuilder(rel, digest or content_hash(data), base_url)
    try:
        doc = etree.fromstring(data, _parser(b"charset" in data[:2048].lower()))
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        page.rec.parse_error = str(exc) or "the document could not be parsed"
        return page.rec
    if doc is None:
        page.rec.parse_error = "the document is empty"
        return page.rec
    page.rec.lang = (doc.get("lang") or "").strip()
    for el in doc.iter(*_LOOK_AT):  # only the elements looked at, in document order
        _element(page, el)
    return page.main_text(_main_words(doc))


def _element(page: RecordBuilder, el) -> None:
    """One element of a parsed page, handed to the record builder."""
    tag = el.tag
    if tag == "a":
        href = el.get("href")
        if href is not None:
            page.anchor(href, lambda: _anchor_label(el))
    elif tag in _HEADINGS:
        page.heading(_HEADINGS[tag])
    elif tag == "meta":
        page.meta(el)
    elif tag == "link":
        page.link(el)
    elif tag == "script":
        page.script(el, el.text)
    elif tag == "title":
        if el.getparent() is not None and el.getparent().tag == "head":
            page.title("".join(el.itertext()))
    elif tag == "img":
        page.img(el)
    elif tag == "nav":
        page.nav(el)


def _anchor_label(el) -> str:
    """What a link says: its text, else its aria-label, title or the alt text of its images."""
    if len(el):
        text = " ".join("".join(el.itertext()).split())
    else:
        text = el.text
        text = " ".join(text.split()) if text else ""
    return (
        text
        or el.get("aria-label", "").strip()
        or el.get("title", "").strip()
        or " ".join(i.get("alt", "") for i in el.iter("img")).strip()
    )


def _main_words(doc) -> list[bytes]:
    """The words of the main text: every text node under <main> (else <body>) that has no nav, script,
    style, noscript or template ancestor. The document is not used after this, so those elements are
    emptied (their tails, which lie outside them, stay) and the remaining text nodes taken as they are."""
    main = doc.find(".//main")
    if main is None:
        main = doc.find(".//body")
    if main is None:
        main = doc
    if main.tag in _NOT_TEXT or next(main.iterancestors(*_NOT_TEXT), None) is not None:
        return []
    for el in list(main.iter(*_NOT_TEXT)):
        el.clear(keep_tail=True)
    return text_words(" ".join(_text_nodes()(main)))


_TEXT_NODES = None


def _text_nodes():
    global _TEXT_NODES
    if _TEXT_NODES is None:
        from lxml import etree

        _TEXT_NODES = etree.XPath(".//text()", smart_strings=False)
    return _TEXT_NODES
