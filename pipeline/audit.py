"""SEO audit of a built site, read the way a crawler reads it.

Two phases. Each HTML file is parsed once (lxml) into a small `PageRecord`: head tags, headings,
JSON-LD types, resolved internal links, word count, a MinHash of its text shingles and a sample of
shingle hashes. Records are cached by content hash (`reports/.audit-cache.msgpack`), so an
unchanged page is never parsed again, and are made in worker processes when there are many.
Then the site-wide checks run over the records only: duplicates, the link graph (orphans, click
depth by breadth-first search), sitemap and robots.txt, near-duplicates (MinHash with
`datasketch`'s permutations and LSH banding, linear in pages) and each page's unique-text share (shingle document frequencies).

Findings are data: `Finding(check, severity, url, message)`. Thresholds and severities come from
`[audit]` in site.toml.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import posixpath
import re
import tempfile
import time
import zlib
from array import array
from collections import Counter, defaultdict
from collections.abc import Container, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

import numpy as np

from pipeline.config import Config
from pipeline.memory import give_back
from pipeline.problems import ContractError, Problem

# Bump when what a PageRecord holds or how it is computed changes: old caches are then ignored.
AUDIT_VERSION = 5
NUM_PERM = 128
SHINGLE = 5  # words per shingle
SAMPLE_MASK = 3  # shingles whose hash & SAMPLE_MASK == 0 are sampled for document frequencies (1 in 4)
MIN_SHINGLES = 10  # shorter texts are not compared for near-duplicates (they would all look alike)
LSH_BANDS = 10  # bands of the LSH index: memory per page grows with this
MAX_CANDIDATES = 400  # candidates verified per page; guards against pathological buckets
MAX_SAME_FINDINGS = 5  # per page and check, further findings are summarised in one line
CACHE_NAME = ".audit-cache.msgpack"

SEVERITIES = ("error", "warning", "info")

# check id -> (default severity, what it means). The report shows the meaning as help text.
CHECKS: dict[str, tuple[str, str]] = {
    "parse-failed": ("error", "the HTML could not be parsed"),
    "lang-missing": ("error", "<html> has no lang attribute"),
    "title-missing": ("error", "no <title>, an empty one, or more than one"),
    "title-length": ("warning", "title shorter or longer than the configured range"),
    "title-duplicate": ("warning", "another page has the same title"),
    "description-missing": ("error", "no meta description, an empty one, or more than one"),
    "description-length": ("warning", "meta description shorter or longer than the configured range"),
    "description-duplicate": ("warning", "another page has the same meta description"),
    "h1-count": ("error", "a page needs exactly one h1"),
    "heading-order": ("warning", "a heading level is skipped (e.g. h2 → h4)"),
    "canonical": ("error", "canonical link missing, repeated or not base URL + page URL"),
    "jsonld-invalid": ("error", "a JSON-LD block does not parse"),
    "jsonld-types": ("error", "JSON-LD lacks the expected @type (MedicalWebPage, BreadcrumbList …)"),
    "link-broken": ("error", "an internal link points at a file that was not built"),
    "link-text": ("warning", "a link has no text or text that does not say where it goes"),
    "img-alt": ("error", "an image has no alt attribute"),
    "orphan": ("error", "no other page links here"),
    "no-outlinks": ("warning", "the page links to no other page of the site"),
    "unreachable": ("error", "cannot be reached from the home page by following links"),
    "click-depth": ("error", "more clicks from the home page than the configured maximum"),
    "sitemap-missing": ("error", "sitemap.xml, or a sitemap it lists, is missing"),
    "sitemap-invalid": ("error", "a sitemap does not parse or breaks the protocol's limits"),
    "sitemap-not-built": ("error", "the sitemap lists a URL that was not built"),
    "sitemap-noindex": ("error", "the sitemap lists a page that carries noindex"),
    "sitemap-omitted": ("warning", "an indexable page is missing from the sitemap"),
    "sitemap-not-canonical": ("warning", "the sitemap lists a URL whose canonical points elsewhere"),
    "robots-missing": ("warning", "robots.txt is missing"),
    "robots-no-sitemap": ("warning", "robots.txt does not name the sitemap"),
    "robots-location": ("info", "crawlers read robots.txt only at the host's root, not under the base URL's path"),
    "robots-blocks-noindex": ("error", "robots.txt disallows a noindex page, so crawlers never read its noindex"),
    "robots-blocks-indexable": ("error", "robots.txt disallows a page meant to be indexed"),
    "thin-content": ("warning", "fewer words of main text than the configured minimum"),
    "near-duplicate": ("warning", "another page's text is nearly the same (MinHash estimate)"),
    "low-unique-share": ("warning", "little of the page's text is its own rather than site-wide boilerplate"),
}
# Content checks matter less on pages search engines are told not to index: one step lower there.
SOFTER_WHEN_NOINDEX = {"thin-content", "near-duplicate", "low-unique-share", "title-duplicate", "description-duplicate"}

_WORDS = re.compile(r"[\w’'-]+")
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_SKIP_SCHEMES = ("mailto:", "tel:", "javascript:", "data:", "sms:", "ftp:")
_GENERIC_LINK_TEXT = {"click here", "here", "read more", "more", "link", "this link", "this page", "learn more"}
_TEXT_XPATH = (
    ".//text()[not(ancestor::nav or ancestor::script or ancestor::style or ancestor::noscript or ancestor::template)]"
)
_PAIR_URL = re.compile(r"^[^/]+-and-[^/]+/$")
# The elements parse_page looks at, and those whose text is not main text (see _TEXT_XPATH).
_LOOK_AT = ("a", "h1", "h2", "h3", "h4", "h5", "h6", "title", "meta", "link", "script", "img", "nav")
_NOT_TEXT = ("nav", "script", "style", "noscript", "template")


class Finding(NamedTuple):
    check: str
    severity: str
    url: str
    message: str


@dataclass(slots=True)
class PageRecord:
    """What the audit keeps of one HTML file: small, serialisable, independent of the config."""

    rel: str  # file path inside the site, e.g. "x-and-y/index.html"
    url: str  # site-relative URL, e.g. "x-and-y/"
    hash: str  # content hash of the file
    parse_error: str = ""
    lang: str = ""
    titles: list[str] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    noindex: bool = False
    canonicals: list[str] = field(default_factory=list)
    h1: int = 0
    heading_skips: list[str] = field(default_factory=list)
    jsonld_types: list[str] = field(default_factory=list)
    jsonld_errors: list[str] = field(default_factory=list)
    jsonld_blocks: int = 0
    breadcrumb_nav: bool = False
    links: list[str] = field(default_factory=list)  # resolved site-relative targets, first-seen order
    outside_links: list[str] = field(default_factory=list)  # hrefs that climb above the site root
    external_links: int = 0
    bad_link_text: list[str] = field(default_factory=list)
    img_no_alt: list[str] = field(default_factory=list)
    words: int = 0
    shingles: int = 0
    minhash: bytes = b""  # NUM_PERM uint32 values
    sample: bytes = b""  # sorted sampled shingle hashes, uint32
    stat: int = 0  # stat_key() of the file these bytes were read from or written to; 0 when unknown

    def to_list(self) -> list:
        return [getattr(self, name) for name in _RECORD_FIELDS]

    @classmethod
    def from_list(cls, values: list) -> PageRecord:
        return cls(*values)


_RECORD_FIELDS = tuple(f.name for f in fields(PageRecord))


@dataclass
class PageRow:
    """One page as the report shows it."""

    url: str
    file: str
    kind: str
    indexable: bool
    title: str
    description_length: int  # characters of the (first) meta description
    words: int
    unique_share: float | None  # None when the text is too short to measure
    nearest: str  # URL of the most similar page found, or ""
    similarity: float | None
    depth: int | None  # clicks from the home page; None when unreachable
    inlinks: int
    outlinks: int
    hash: str
    change: str = ""  # "added", "changed" or ""
    findings: list[Finding] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "indexable" if self.indexable else "noindex"


@dataclass
class AuditResult:
    pages: list[PageRow]
    findings: list[Finding]
    site_findings: list[Finding]  # findings about the site rather than one page (sitemap, robots)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    has_previous: bool = False
    stats: dict = field(default_factory=dict)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def errors(self) -> int:
        return self.count("error")

    def by_check(self) -> Counter:
        return Counter((f.check, f.severity) for f in self.findings)

    def hashes(self) -> dict[str, str]:
        """URL → content hash of every page: what the next build compares against."""
        if isinstance(self.pages, PageRows):
            return dict(self.pages.url_hashes())
        return {p.url: p.hash for p in self.pages}

    def indexable(self) -> int:
        """How many pages may be indexed."""
        if isinstance(self.pages, PageRows):
            return self.pages.indexable_count()
        return sum(1 for p in self.pages if p.indexable)


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


KINDS = ("home", "hub", "pair", "404", "page")
_KIND_CODE = {k: c for c, k in enumerate(KINDS)}


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


_PERMUTATIONS: tuple[np.ndarray, np.ndarray] | None = None
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))


def _datasketch_version() -> str:
    """The installed datasketch's version, from its metadata (importing it pulls in scipy: 0.3 s)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("datasketch")
    except PackageNotFoundError:
        return ""


def _permutations() -> np.ndarray:
    """datasketch's MinHash permutations (2 × NUM_PERM, as uint32 for affine32), remembered in the build
    cache per datasketch version so that a build need not import the library to get them again."""
    memo = Path(os.environ.get("BRINGWISE_BUILD_CACHE", ".build-cache")) / (
        f"minhash-permutations-{_datasketch_version()}-{NUM_PERM}.npy"
    )
    try:
        known = np.load(memo, allow_pickle=False)
        if known.shape == (2, NUM_PERM) and known.dtype == np.uint32:
            return known
    except (OSError, ValueError, EOFError):
        pass
    from datasketch import MinHash

    perms = np.asarray(MinHash(num_perm=NUM_PERM, scheme="affine32").permutations, dtype=np.uint32)
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo.with_name(f"{memo.name}.tmp-{os.getpid()}.npy")
        np.save(tmp, perms, allow_pickle=False)
        os.replace(tmp, memo)
    except OSError:
        pass
    return perms


def _minhash(hashes: np.ndarray) -> bytes:
    """The MinHash signature (NUM_PERM uint32 values) of 32-bit hashes, exactly as datasketch's
    MinHash(num_perm=NUM_PERM, hashfunc=int, scheme="affine32").update_batch(hashes) makes it, with
    datasketch's own permutations: each hash is pre-mixed with the MurmurHash3 finalizer, then
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


def parse_page(rel: str, data: bytes, base_url: str, digest: str | None = None) -> PageRecord:
    """Read one HTML file as a crawler does. Pure: bytes in, record out."""
    from lxml import etree

    url = url_of(rel)
    rec = PageRecord(rel=rel, url=url, hash=digest or content_hash(data))
    try:
        doc = etree.fromstring(data, _parser(b"charset" in data[:2048].lower()))
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        rec.parse_error = str(exc) or "the document could not be parsed"
        return rec
    if doc is None:
        rec.parse_error = "the document is empty"
        return rec
    rec.lang = (doc.get("lang") or "").strip()
    last_level = 0
    seen_links: set[str] = set()
    folder = url[: url.rfind("/") + 1]
    parents = _folder_parents(folder)
    headings = _HEADINGS
    for el in doc.iter(*_LOOK_AT):  # only the elements looked at, in document order
        tag = el.tag
        if tag == "a":
            href = el.get("href")
            if href is None:
                continue
            kind, target = _resolve_on_page(url, folder, parents, href, base_url)
            if kind == "internal":
                if target not in seen_links:
                    seen_links.add(target)
                    rec.links.append(target)
            elif kind == "outside":
                rec.outside_links.append(href)
            elif kind == "external":
                rec.external_links += 1
            if kind != "skip":
                if len(el):
                    text = " ".join("".join(el.itertext()).split())
                else:
                    text = el.text
                    text = " ".join(text.split()) if text else ""
                label = (
                    text
                    or el.get("aria-label", "").strip()
                    or el.get("title", "").strip()
                    or " ".join(i.get("alt", "") for i in el.iter("img")).strip()
                )
                if not label:
                    rec.bad_link_text.append(f"empty text: {href}")
                elif label.lower().strip(".…!") in _GENERIC_LINK_TEXT:
                    rec.bad_link_text.append(f"“{label}”: {href}")
        elif tag in headings:
            level = headings[tag]
            if level == 1:
                rec.h1 += 1
            if level > last_level + 1:
                rec.heading_skips.append(f"h{last_level} → h{level}" if last_level else f"first heading is h{level}")
            last_level = level
        elif tag == "meta":
            name = (el.get("name") or "").strip().lower()
            if name == "description":
                rec.descriptions.append(" ".join((el.get("content") or "").split()))
            elif name in ("robots", "googlebot"):
                tokens = {t.strip() for t in (el.get("content") or "").lower().split(",")}
                if "noindex" in tokens or "none" in tokens:
                    rec.noindex = True
        elif tag == "link":
            if "canonical" in (el.get("rel") or "").lower().split():
                rec.canonicals.append((el.get("href") or "").strip())
        elif tag == "script":
            if (el.get("type") or "").strip().lower() == "application/ld+json":
                rec.jsonld_blocks += 1
                try:
                    rec.jsonld_types.extend(_types(json.loads(el.text or "")))
                except ValueError as exc:
                    rec.jsonld_errors.append(str(exc)[:160])
        elif tag == "title":
            if el.getparent() is not None and el.getparent().tag == "head":
                rec.titles.append(" ".join("".join(el.itertext()).split()))
        elif tag == "img":
            if el.get("alt") is None:
                rec.img_no_alt.append(el.get("src") or "(no src)")
        elif tag == "nav":
            label = ((el.get("aria-label") or "") + " " + (el.get("class") or "")).lower()
            if "breadcrumb" in label or "crumbs" in label:
                rec.breadcrumb_nav = True
    main = doc.find(".//main")
    if main is None:
        main = doc.find(".//body")
    if main is None:
        main = doc
    # The main text: every text node under `main` that has no nav, script, style, noscript or template
    # ancestor. The document is not used after this, so those elements are emptied (their tails, which
    # lie outside them, stay) and the remaining text nodes taken as they are.
    if main.tag in _NOT_TEXT or next(main.iterancestors(*_NOT_TEXT), None) is not None:
        words: list[bytes] = []
    else:
        for el in list(main.iter(*_NOT_TEXT)):
            el.clear(keep_tail=True)
        words = text_words(" ".join(_text_nodes()(main)))
    rec.words = len(words)
    rec.shingles, rec.minhash, rec.sample = _fingerprint(words)
    return rec


_TEXT_NODES = None


def _text_nodes():
    global _TEXT_NODES
    if _TEXT_NODES is None:
        from lxml import etree

        _TEXT_NODES = etree.XPath(".//text()", smart_strings=False)
    return _TEXT_NODES


# ---------------------------------------------------------------------------------------------
# What the audit keeps of every page: compact columns


_NOINDEX, _ERROR, _TITLE_ONE, _DESC_ONE, _CANONICAL = 1, 2, 4, 8, 16


def _h64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little", signed=True)


class Spill:
    """Append-only bytes in an unnamed temporary file rather than in memory: the MinHash signatures
    and shingle samples of every page (≈ 1 KB a page, 120 MB at 125,000 pages), which only the cache
    and the text pass read, once each. Supports what RecordStore does with a bytearray: `+=`, len(),
    slices; it pickles as a bytearray.
    """

    def __init__(self, folder: Path | None = None):
        if folder is not None:
            Path(folder).mkdir(parents=True, exist_ok=True)
        self._file = tempfile.TemporaryFile(dir=folder)
        self._base = 0  # where the bytes start in the file
        self._size = 0

    @classmethod
    def part_of(cls, file, offset: int, size: int) -> Spill:
        """Bytes `offset`…`offset + size` of an open file (the audit cache), read when asked."""
        spill = cls.__new__(cls)
        spill._file, spill._base, spill._size = file, offset, size
        return spill

    def write_to(self, f) -> None:
        """Copy the bytes into an open file, a megabyte at a time."""
        for start in range(0, self._size, 1 << 20):
            f.write(self[start : start + (1 << 20)])

    def __len__(self) -> int:
        return self._size

    def __iadd__(self, data) -> Spill:
        view = memoryview(data).cast("B")
        while len(view):  # pwrite may write less than asked (a full disk raises OSError instead)
            done = os.pwrite(self._file.fileno(), view, self._base + self._size)
            self._size += done
            view = view[done:]
        return self

    def __getitem__(self, key: slice) -> bytearray:
        start, stop, step = key.indices(self._size)
        if step != 1:
            raise ValueError("Spill slices are contiguous")
        return self._pread(start, max(0, stop - start))

    def read(self) -> bytearray:
        """All of it, in memory."""
        return self._pread(0, self._size)

    def _pread(self, start: int, size: int) -> bytearray:
        out = bytearray(size)
        view, got = memoryview(out), 0
        while got < size:
            n = os.preadv(self._file.fileno(), [view[got:]], self._base + start + got)
            if n <= 0:
                raise EOFError("the file is shorter than its bytes")
            got += n
        return out

    def __reduce__(self):
        return (bytearray, (self.read(),))


class _Strings:
    """An append-only list of strings held as UTF-8 in one bytearray with their end offsets: the
    string's bytes and 8 more each, instead of a str object (≈ 50 bytes plus its text) and a pointer."""

    __slots__ = ("data", "ends")

    def __init__(self):
        self.data = bytearray()
        self.ends = array("q")

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, i: int) -> str:
        return self.data[self.ends[i - 1] if i else 0 : self.ends[i]].decode()

    def __eq__(self, other) -> bool:
        return isinstance(other, _Strings) and self.data == other.data and self.ends == other.ends

    def append(self, text: str) -> None:
        self.data += text.encode()
        self.ends.append(len(self.data))

    def extend(self, other: _Strings) -> None:
        base = len(self.data)
        self.data += other.data
        self.ends.frombytes((np.frombuffer(other.ends, dtype=np.int64) + base).tobytes() if len(other) else b"")


def _spans(ends: array, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of rows `rows` of a column of end offsets (row j spans ends[j - 1]…ends[j])."""
    at = np.frombuffer(ends, dtype=np.int64)
    return np.where(rows > 0, at[np.maximum(rows - 1, 0)], 0), at[rows]


def _run_offsets(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions of the runs [starts[k], starts[k] + lengths[k]), one run after another."""
    ends = np.cumsum(lengths)
    return np.repeat(starts - (ends - lengths), lengths) + np.arange(int(ends[-1]) if len(ends) else 0)


def _run_starts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal values begins (values non-empty)."""
    return np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))


def _ranges(starts: np.ndarray, ends: np.ndarray) -> Iterator[tuple[int, int]]:
    """The ranges [starts[k], ends[k]) in order, merged where one ends where the next starts."""
    if not len(starts):
        return
    breaks = np.flatnonzero(starts[1:] != ends[:-1]) + 1
    for a, b in zip(np.concatenate(([0], breaks)), np.concatenate((breaks, [len(starts)]))):
        if ends[b - 1] > starts[a]:
            yield int(starts[a]), int(ends[b - 1])


class RecordStore:
    """The audit's facts about every page, in columns: a few hundred bytes a page plus its MinHash
    (512 bytes) and shingle sample, instead of a PageRecord's 3–4 KB of Python objects.

    `add` takes one PageRecord, runs the per-page checks on it at once (their findings are kept
    only for pages that have some) and keeps what the site-wide checks and the report need: flags,
    the first title (report rows), the meta description's length and 64-bit hash (duplicates), the
    canonical only when it is not base URL + page URL, counts, links as integer ids of distinct
    targets in one flat array, MinHash signatures and samples in flat byte arrays.
    """

    _COLUMNS = (
        "index",
        "rel",
        "digest",
        "flags",
        "kind",
        "title",
        "desc_len",
        "desc_h",
        "canon",
        "words",
        "shingles",
        "stat",
        "targets",
        "target_list",
        "links",
        "link_end",
        "mh",
        "mh_row",
        "sample",
        "sample_end",
        "findings",
        "errors",
    )

    _FIXED_WIDTH = ("flags", "kind", "desc_len", "desc_h", "words", "shingles", "stat")  # one array item a row

    def __init__(self, cfg: Config, sev: _Severity | None = None, spill: Path | None = None):
        """`spill`: keep signatures and samples in a temporary file in that folder (see Spill)."""
        self.cfg, self.sev = cfg, sev or _Severity(cfg)
        self.index: dict[str, int] = {}  # rel → row
        self.rel: list[str] = []
        self.digest = bytearray()  # 10-byte content hashes
        self.flags = array("B")
        self.kind = array("B")
        self.title = _Strings()  # first <title>, or ""
        self.desc_len = array("i")
        self.desc_h = array("q")
        self.canon: dict[int, str] = {}  # first canonical, when it is not base URL + page URL
        self.words = array("i")
        self.shingles = array("i")
        self.stat = array("q")  # stat_key() of each page's file, 0 when unknown
        self.targets: dict[str, int] = {}  # link target → id
        self.target_list: list[str] = []
        self.links = array("i")
        self.link_end = array("q")
        self.mh: bytearray | Spill = Spill(spill) if spill is not None else bytearray()
        self.mh_row = array("i")  # row in mh, -1 when the page has no MinHash
        self.sample: bytearray | Spill = Spill(spill) if spill is not None else bytearray()
        self.sample_end = array("q")  # byte offsets
        self.findings: dict[int, list[Finding]] = {}
        self.errors: dict[int, str] = {}

    def __getstate__(self) -> dict:
        return {k: getattr(self, k) for k in self._COLUMNS}

    def __setstate__(self, state: dict) -> None:
        for k in self._COLUMNS:
            setattr(self, k, state[k])

    def __len__(self) -> int:
        return len(self.rel)

    def __contains__(self, rel: str) -> bool:
        return rel in self.index

    def url(self, i: int) -> str:
        return url_of(self.rel[i])

    def hash_of_index(self, i: int) -> str:
        return self.digest[10 * i : 10 * i + 10].hex()

    def hash_of(self, rel: str) -> str | None:
        i = self.index.get(rel)
        return None if i is None else self.hash_of_index(i)

    def canonical(self, i: int) -> str | None:
        if not self.flags[i] & _CANONICAL:
            return None
        if i in self.canon:
            return self.canon[i]
        return self.cfg.base_url.rstrip("/") + "/" + self.url(i)

    def _target(self, t: str) -> int:
        k = self.targets.get(t)
        if k is None:
            k = self.targets[t] = len(self.target_list)
            self.target_list.append(t)
        return k

    def add(self, rec: PageRecord) -> int:
        if rec.rel in self.index:
            return self.index[rec.rel]
        i = len(self.rel)
        self.index[rec.rel] = i
        self.rel.append(rec.rel)
        digest = bytes.fromhex(rec.hash)
        self.digest += digest if len(digest) == 10 else hashlib.blake2b(digest, digest_size=10).digest()
        flags = (_NOINDEX if rec.noindex else 0) | (_ERROR if rec.parse_error else 0)
        if len(rec.titles) == 1 and rec.titles[0]:
            flags |= _TITLE_ONE
        if len(rec.descriptions) == 1 and rec.descriptions[0]:
            flags |= _DESC_ONE
        if rec.canonicals:
            flags |= _CANONICAL
            if rec.canonicals[0] != self.cfg.base_url.rstrip("/") + "/" + rec.url:
                self.canon[i] = rec.canonicals[0]
        self.flags.append(flags)
        self.kind.append(_KIND_CODE[_kind(rec.url)])
        self.title.append(rec.titles[0] if rec.titles else "")
        self.desc_len.append(len(rec.descriptions[0]) if rec.descriptions else 0)
        self.desc_h.append(_h64(rec.descriptions[0]) if flags & _DESC_ONE else 0)
        self.words.append(rec.words)
        self.shingles.append(rec.shingles)
        self.stat.append(rec.stat)
        self.links.extend(self._target(t) for t in rec.links)
        self.link_end.append(len(self.links))
        if rec.minhash:
            self.mh_row.append(len(self.mh) // (4 * NUM_PERM))
            self.mh += rec.minhash
        else:
            self.mh_row.append(-1)
        self.sample += rec.sample
        self.sample_end.append(len(self.sample))
        if rec.parse_error:
            self.errors[i] = rec.parse_error
        found = page_findings(rec, self.cfg, self.sev)
        if found:
            self.findings[i] = found
        return i

    def add_from(self, other: RecordStore, j: int) -> int:
        """Copy row `j` of another store (the cache), whose per-page findings were made with the same settings."""
        rel = other.rel[j]
        if rel in self.index:
            return self.index[rel]
        i = len(self.rel)
        self.index[rel] = i
        self.rel.append(rel)
        self.digest += other.digest[10 * j : 10 * j + 10]
        for name in self._FIXED_WIDTH:
            getattr(self, name).append(getattr(other, name)[j])
        self.title.append(other.title[j])
        if j in other.canon:
            self.canon[i] = other.canon[j]
        start = other.link_end[j - 1] if j else 0
        self.links.extend(self._target(other.target_list[t]) for t in other.links[start : other.link_end[j]])
        self.link_end.append(len(self.links))
        row = other.mh_row[j]
        if row >= 0:
            self.mh_row.append(len(self.mh) // (4 * NUM_PERM))
            self.mh += other.mh[row * 4 * NUM_PERM : (row + 1) * 4 * NUM_PERM]
        else:
            self.mh_row.append(-1)
        start = other.sample_end[j - 1] if j else 0
        self.sample += other.sample[start : other.sample_end[j]]
        self.sample_end.append(len(self.sample))
        if j in other.errors:
            self.errors[i] = other.errors[j]
        if j in other.findings:
            self.findings[i] = other.findings[j]
        return i

    def add_rows_from(self, other: RecordStore, rows: Sequence[int]) -> None:
        """Copy rows `rows` of another store (the cache), in that order: the same columns as add_from
        row by row, but each column copied at once (an incremental build reuses almost every row)."""
        if not rows:
            return
        if len(set(rows)) != len(rows) or any(other.rel[j] in self.index for j in rows):
            for j in rows:  # a page twice: as add_from would, keep the first
                self.add_from(other, j)
            return
        n0 = len(self.rel)
        idx = np.asarray(rows, dtype=np.int64)
        for k, j in enumerate(rows, n0):
            rel = other.rel[j]
            self.index[rel] = k
            self.rel.append(rel)
            self.title.append(other.title[j])
            if j in other.canon:
                self.canon[k] = other.canon[j]
            if j in other.errors:
                self.errors[k] = other.errors[j]
            if j in other.findings:
                self.findings[k] = other.findings[j]
        self.digest += np.frombuffer(other.digest, dtype=np.uint8).reshape(-1, 10)[idx].tobytes()
        for name in self._FIXED_WIDTH:
            column = getattr(other, name)
            getattr(self, name).frombytes(np.frombuffer(column, dtype=column.typecode)[idx].tobytes())
        # Links: the rows' slices of the flat id array, their ids mapped to this store's (new targets
        # numbered in order of first appearance, as add_from would).
        starts, ends = _spans(other.link_end, idx)
        lengths = ends - starts
        ids = np.frombuffer(other.links, dtype=np.int32)[_run_offsets(starts, lengths)]
        present, first = np.unique(ids, return_index=True)
        mapped = np.empty(len(present), dtype=np.int32)
        for k in np.argsort(first, kind="stable"):
            mapped[k] = self._target(other.target_list[present[k]])
        base = len(self.links)
        self.links.frombytes(mapped[np.searchsorted(present, ids)].tobytes())
        self.link_end.frombytes((base + np.cumsum(lengths)).astype(np.int64).tobytes())
        # Signatures and samples: read from the other store in runs of consecutive bytes.
        width = 4 * NUM_PERM
        mh_rows = np.frombuffer(other.mh_row, dtype=np.int32)[idx].astype(np.int64)
        have = np.flatnonzero(mh_rows >= 0)
        new_rows = np.full(len(rows), -1, dtype=np.int32)
        new_rows[have] = len(self.mh) // width + np.arange(len(have), dtype=np.int32)
        self.mh_row.frombytes(new_rows.tobytes())
        for a, b in _ranges(mh_rows[have] * width, (mh_rows[have] + 1) * width):
            self.mh += other.mh[a:b]
        starts, ends = _spans(other.sample_end, idx)
        self.sample_end.frombytes((len(self.sample) + np.cumsum(ends - starts)).astype(np.int64).tobytes())
        for a, b in _ranges(starts, ends):
            self.sample += other.sample[a:b]

    def extend(self, other: RecordStore) -> None:
        """Append every row of another store (a build worker's, made with the same settings) in its
        order: the same columns as adding its records here one by one, without running the per-page
        checks again."""
        if any(rel in self.index for rel in other.rel):  # a page twice: as add() would, keep the first
            for j in range(len(other.rel)):
                self.add_from(other, j)
            return
        n0 = len(self.rel)
        self.index.update(zip(other.rel, range(n0, n0 + len(other.rel))))
        self.rel += other.rel
        self.digest += other.digest
        for name in self._FIXED_WIDTH:
            getattr(self, name).extend(getattr(other, name))
        self.title.extend(other.title)
        self.canon.update((n0 + j, c) for j, c in other.canon.items())
        # Link targets new here get ids in the order they first appear in the other store's links,
        # which is its target_list's order: the ids add() would have given them.
        if len(other.links):
            ids = np.fromiter(map(self._target, other.target_list), dtype=np.int32, count=len(other.target_list))
            self.links.frombytes(ids[np.frombuffer(other.links, dtype=np.int32)].tobytes())
            self.link_end.frombytes(
                (np.frombuffer(other.link_end, dtype=np.int64) + (len(self.links) - len(other.links))).tobytes()
            )
        else:
            self.link_end.extend([len(self.links)] * len(other.link_end))
        rows = np.frombuffer(other.mh_row, dtype=np.int32)
        shifted = np.where(rows >= 0, rows + len(self.mh) // (4 * NUM_PERM), -1).astype(np.int32)
        self.mh_row.frombytes(shifted.tobytes())
        self.mh += other.mh
        self.sample_end.frombytes((np.frombuffer(other.sample_end, dtype=np.int64) + len(self.sample)).tobytes())
        self.sample += other.sample
        self.errors.update((n0 + j, e) for j, e in other.errors.items())
        self.findings.update((n0 + j, f) for j, f in other.findings.items())

    def drop_links(self) -> None:
        self.targets, self.target_list, self.links, self.link_end = {}, [], array("i"), array("q")

    def drop_text(self) -> None:
        self.mh, self.sample = bytearray(), bytearray()


# ---------------------------------------------------------------------------------------------
# Per-page checks (pure functions of one record and the configuration)


class _Severity:
    """Severity of each check after site.toml's [audit.severity] overrides; None means off."""

    def __init__(self, cfg: Config):
        overrides = dict(cfg.audit.severity)
        problems = []
        for check, sev in overrides.items():
            if check not in CHECKS:
                problems.append(f"[audit.severity] names unknown check {check!r}; known: {', '.join(sorted(CHECKS))}")
            if sev not in (*SEVERITIES, "off"):
                problems.append(f"[audit.severity] {check} = {sev!r} should be error, warning, info or off")
        if problems:
            raise ContractError([Problem("site.toml", 0, "", p) for p in problems])
        self.base = {c: overrides.get(c, d[0]) for c, d in CHECKS.items()}

    def __call__(self, check: str, noindex: bool = False) -> str | None:
        sev = self.base[check]
        if sev == "off":
            return None
        if noindex and check in SOFTER_WHEN_NOINDEX and sev != "info":
            sev = SEVERITIES[SEVERITIES.index(sev) + 1]
        return sev


def _add(out: list[Finding], sev: _Severity, check: str, url: str, messages: list[str], noindex: bool = False):
    if not messages:
        return
    s = sev(check, noindex)
    if s is None:
        return
    for m in messages[:MAX_SAME_FINDINGS]:
        out.append(Finding(check, s, url, m))
    if len(messages) > MAX_SAME_FINDINGS:
        out.append(Finding(check, s, url, f"… and {len(messages) - MAX_SAME_FINDINGS} more"))


def expected_types(rec: PageRecord) -> set[str]:
    """The JSON-LD @types a page must carry."""
    need: set[str] = set()
    if kind_of(rec.url) == "pair":
        need |= {"MedicalWebPage", "BreadcrumbList"}
    if rec.breadcrumb_nav:
        need.add("BreadcrumbList")
    return need


def page_findings(rec: PageRecord, cfg: Config, sev: _Severity | None = None) -> list[Finding]:
    """Checks that need only the page itself."""
    sev = sev or _Severity(cfg)
    a = cfg.audit
    url, out = rec.url, []
    if rec.parse_error:
        _add(out, sev, "parse-failed", url, [rec.parse_error])
        return out
    special = kind_of(url) == "404"
    if not rec.lang:
        _add(out, sev, "lang-missing", url, ["<html> has no lang attribute"])
    if len(rec.titles) != 1 or not rec.titles[0]:
        _add(
            out,
            sev,
            "title-missing",
            url,
            [
                "no <title>"
                if not rec.titles
                else f"{len(rec.titles)} <title> elements"
                if len(rec.titles) > 1
                else "the <title> is empty"
            ],
        )
    elif not a.title_min <= len(rec.titles[0]) <= a.title_max:
        _add(
            out,
            sev,
            "title-length",
            url,
            [f"title is {len(rec.titles[0])} characters (aim for {a.title_min}–{a.title_max}): {rec.titles[0]}"],
        )
    if len(rec.descriptions) != 1 or not rec.descriptions[0]:
        _add(
            out,
            sev,
            "description-missing",
            url,
            [
                "no meta description"
                if not rec.descriptions
                else f"{len(rec.descriptions)} meta descriptions"
                if len(rec.descriptions) > 1
                else "the meta description is empty"
            ],
        )
    elif not special and not a.description_min <= len(rec.descriptions[0]) <= a.description_max:
        _add(
            out,
            sev,
            "description-length",
            url,
            [
                (
                    f"meta description is {len(rec.descriptions[0])} characters (aim for "
                    f"{a.description_min}–{a.description_max})"
                )
            ],
        )
    if rec.h1 != 1:
        _add(out, sev, "h1-count", url, [f"{rec.h1} h1 elements (needs exactly one)"])
    _add(out, sev, "heading-order", url, [f"heading level skipped: {s}" for s in rec.heading_skips])
    expected_canonical = cfg.base_url.rstrip("/") + "/" + url
    if not special:
        if not rec.canonicals:
            _add(out, sev, "canonical", url, ["no canonical link"])
        elif len(rec.canonicals) > 1:
            _add(out, sev, "canonical", url, [f"{len(rec.canonicals)} canonical links"])
        elif rec.canonicals[0] != expected_canonical:
            _add(out, sev, "canonical", url, [f"canonical is {rec.canonicals[0]}, expected {expected_canonical}"])
    _add(out, sev, "jsonld-invalid", url, [f"JSON-LD does not parse: {e}" for e in rec.jsonld_errors])
    if not special:
        if not rec.jsonld_blocks:
            _add(out, sev, "jsonld-types", url, ["no JSON-LD structured data"])
        else:
            missing = sorted(expected_types(rec) - set(rec.jsonld_types))
            if missing:
                _add(out, sev, "jsonld-types", url, [f"JSON-LD lacks @type {', '.join(missing)}"])
            if not any(t.endswith(("WebPage", "Page")) for t in rec.jsonld_types):
                _add(out, sev, "jsonld-types", url, ["JSON-LD has no WebPage type"])
    _add(out, sev, "link-text", url, [f"link text does not say where it goes ({t})" for t in rec.bad_link_text])
    _add(out, sev, "img-alt", url, [f"image without alt attribute: {s}" for s in rec.img_no_alt])
    _add(out, sev, "link-broken", url, [f"link climbs above the site root: {h}" for h in rec.outside_links])
    if not special and rec.words < a.min_words:
        _add(out, sev, "thin-content", url, [f"{rec.words} words of main text (minimum {a.min_words})"], rec.noindex)
    return out


# ---------------------------------------------------------------------------------------------
# Site-wide checks


def duplicate_findings(store: RecordStore, order: Sequence[int], sev: _Severity) -> list[Finding]:
    """Pages that share a title or a meta description with another page (descriptions compared by 64-bit hash)."""
    out: list[Finding] = []
    flags, kinds, not_found = store.flags, store.kind, _KIND_CODE["404"]
    for check, flag, what in (
        ("title-duplicate", _TITLE_ONE, "title"),
        ("description-duplicate", _DESC_ONE, "meta description"),
    ):
        key = store.title.__getitem__ if flag == _TITLE_ONE else store.desc_h.__getitem__
        groups: dict = defaultdict(list)
        for p, i in enumerate(order):
            if flags[i] & flag and kinds[i] != not_found:
                groups[key(i)].append(p)
        for members in groups.values():
            if len(members) < 2:
                continue
            for p in members:
                other = store.url(order[members[0] if members[0] != p else members[1]])
                more = f" and {len(members) - 2} more" if len(members) > 2 else ""
                i = order[p]
                _add(out, sev, check, store.url(i), [f"same {what} as /{other}{more}"], bool(flags[i] & _NOINDEX))
    return out


def click_depths(src: np.ndarray, dst: np.ndarray, outlinks: np.ndarray, home: int, block: int = 1 << 16) -> np.ndarray:
    """Clicks from `home` to every page (-1: unreachable), by breadth-first search over the links
    src[k] → dst[k], where each page's links are one contiguous run of the arrays (as the record
    store keeps them) and outlinks[p] is their number. The same depths as an unweighted shortest
    path (scipy.sparse.csgraph), without a sparse matrix: a level's pages are expanded `block` at a
    time, so memory stays at the link arrays plus one block's links."""
    n = len(outlinks)
    start = np.zeros(n, dtype=np.int64)  # where each page's run of links begins
    if len(src):
        runs = _run_starts(src)
        if len(runs) != np.count_nonzero(outlinks):  # a page's links in more than one run: sort them
            by = np.argsort(src, kind="stable")
            src, dst = src[by], dst[by]
            runs = _run_starts(src)
        start[src[runs]] = runs
    count = outlinks.astype(np.int64)
    depth = np.full(n, -1, dtype=np.int64)
    depth[home] = 0
    frontier = np.array([home], dtype=np.int64)
    level = 0
    while len(frontier):
        level += 1
        found = []
        for lo in range(0, len(frontier), block):
            pages = frontier[lo : lo + block]
            c = count[pages]
            if not c.any():
                continue
            reached = dst[_run_offsets(start[pages], c)]
            reached = np.unique(reached[depth[reached] < 0])
            depth[reached] = level
            found.append(reached.astype(np.int64))
        frontier = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
    return depth


def link_graph(
    store: RecordStore, order: Sequence[int], files: Container[str], sev: _Severity, max_depth: int
) -> tuple[list[Finding], np.ndarray, np.ndarray, np.ndarray]:
    """Broken links, orphans, dead ends and click depth. Returns findings, depth, inlinks, outlinks (by position)."""
    n = len(order)
    o = np.asarray(order, dtype=np.int64)
    pos = np.full(len(store.rel), -1, dtype=np.int64)
    pos[o] = np.arange(n)
    # Each distinct link target once: the page position it reaches, -1 a built file that is not a page, -2 broken.
    target_pos = np.empty(len(store.target_list), dtype=np.int64)
    for t, target in enumerate(store.target_list):
        f = file_of(target)
        if f not in files and not target.endswith("/") and target + "/index.html" in files:
            f = target + "/index.html"
        if f not in files:
            target_pos[t] = -2
            continue
        i = store.index.get(f)
        target_pos[t] = pos[i] if i is not None else -1
    # Every link once, in the store's order (no copy of the link column): the position of the page it
    # is on and of the page it reaches. int32 throughout (fewer than 2**31 pages and links).
    ends = np.frombuffer(store.link_end, dtype=np.int64) if len(store.link_end) else np.zeros(0, np.int64)
    link_ids = np.frombuffer(store.links, dtype=np.int32) if len(store.links) else np.zeros(0, np.int32)
    src_all = np.repeat(pos.astype(np.int32), np.diff(ends, prepend=0))  # -1: a page outside the site
    reach_pos = target_pos.astype(np.int32)[link_ids] if len(link_ids) else np.zeros(0, np.int32)
    keep = (reach_pos >= 0) & (reach_pos != src_all) & (src_all >= 0)
    src, dst = src_all[keep], reach_pos[keep]
    del keep
    out: list[Finding] = []
    # Broken links page by page in the pages' order, each page's in its link order.
    broken_at = np.flatnonzero((reach_pos == -2) & (src_all >= 0))
    broken_at = broken_at[np.argsort(src_all[broken_at], kind="stable")]
    k = 0
    while k < len(broken_at):
        p = int(src_all[broken_at[k]])
        msgs = []
        while k < len(broken_at) and src_all[broken_at[k]] == p:
            msgs.append(f"links to /{store.target_list[link_ids[broken_at[k]]]}, which was not built")
            k += 1
        _add(out, sev, "link-broken", store.url(order[p]), msgs)
    del src_all, link_ids, reach_pos, broken_at
    outlinks = np.bincount(src, minlength=n).astype(np.int32)
    inlinks = np.bincount(dst, minlength=n).astype(np.int32)
    home_i = store.index.get("index.html")
    home = int(pos[home_i]) if home_i is not None and pos[home_i] >= 0 else None
    depth = click_depths(src, dst, outlinks, home) if home is not None and n else np.full(n, -1, dtype=np.int64)
    del src, dst
    kinds, flags = store.kind, store.flags
    for p, i in enumerate(order):
        k = kinds[i]
        if k == _KIND_CODE["404"] or flags[i] & _ERROR:
            continue
        url = None
        if k != _KIND_CODE["home"] and inlinks[p] == 0:
            url = store.url(i)
            _add(out, sev, "orphan", url, ["no other page links here"])
        elif depth[p] < 0:
            url = store.url(i)
            _add(out, sev, "unreachable", url, ["cannot be reached from the home page"])
        elif depth[p] > max_depth:
            url = store.url(i)
            _add(out, sev, "click-depth", url, [f"{depth[p]} clicks from the home page (maximum {max_depth})"])
        if outlinks[p] == 0:
            _add(out, sev, "no-outlinks", url or store.url(i), ["links to no other page of the site"])
    return out, depth, inlinks, outlinks


def _local(loc: str, base_url: str) -> str | None:
    prefix = base_url.rstrip("/") + "/"
    if loc == base_url.rstrip("/"):
        return ""
    return loc[len(prefix) :] if loc.startswith(prefix) else None


def _sitemap_locs(path: Path) -> tuple[str, list[str]]:
    """Root element name and <loc> values of a sitemap file, streamed."""
    from lxml import etree

    root_name, locs = "", []
    for event, el in etree.iterparse(
        str(path), events=("start", "end"), resolve_entities=False, no_network=True, huge_tree=True
    ):
        name = etree.QName(el).localname
        if event == "start":
            root_name = root_name or name
            continue
        if name == "loc":
            locs.append((el.text or "").strip())
        if name in ("url", "sitemap"):
            el.clear()
    return root_name, locs


def sitemap_findings(
    root: Path, store: RecordStore, order: Sequence[int], cfg: Config, sev: _Severity
) -> list[Finding]:
    """Sitemap index → sitemap files → URLs: all built, none noindex, every indexable page listed.

    Each sitemap file is checked as soon as it is read, so only one file's URLs are held at a time
    (all of them together are ~70 MB of strings at half a million pages); what a file's URLs bring
    up goes in `checked`, after what reading the index brought up, the order the findings had when
    every file was read first.
    """
    from lxml import etree

    out: list[Finding] = []
    index = root / "sitemap.xml"
    if not index.exists():
        _add(out, sev, "sitemap-missing", "sitemap.xml", ["sitemap.xml is missing"])
        return out
    try:
        kind, locs = _sitemap_locs(index)
    except etree.XMLSyntaxError as exc:
        _add(out, sev, "sitemap-invalid", "sitemap.xml", [f"does not parse: {exc}"])
        return out
    # Position in `order` of each store row (-1: not audited), and which positions a sitemap lists:
    # 8 bytes and 1 byte a page instead of a dict and a set of int objects.
    pos = array("q", [-1]) * len(store)
    for p, i in enumerate(order):
        pos[i] = p
    listed = bytearray(len(order))
    checked: list[Finding] = []

    def page_at(url: str) -> int | None:
        """Store index of the audited page serving `url`, if any."""
        i = store.index.get(file_of(url))
        return i if i is not None and pos[i] >= 0 and store.url(i) == url else None

    def check(rel: str, sub_locs: list[str]) -> None:
        if len(sub_locs) > 50_000 or (root / rel).stat().st_size > 50 * 1024 * 1024:
            _add(
                checked,
                sev,
                "sitemap-invalid",
                rel,
                [f"{len(sub_locs):,} URLs / over the limit of 50,000 URLs or 50 MB"],
            )
        for loc in sub_locs:
            url = _local(loc, cfg.base_url)
            i = page_at(url) if url is not None else None
            if i is None:
                _add(
                    checked,
                    sev,
                    "sitemap-not-built",
                    url if url is not None else loc,
                    [f"{rel} lists {loc}, which is not a built page"],
                )
                continue
            listed[pos[i]] = 1
            canonical = store.canonical(i)
            if store.flags[i] & _NOINDEX:
                _add(checked, sev, "sitemap-noindex", url, [f"{rel} lists this page, which carries noindex"])
            elif canonical is not None and canonical != loc:
                _add(
                    checked, sev, "sitemap-not-canonical", url, [f"{rel} lists {loc} but its canonical is {canonical}"]
                )

    if kind == "sitemapindex":
        for loc in locs:
            rel = _local(loc, cfg.base_url)
            if rel is None or not (root / rel).is_file():
                _add(out, sev, "sitemap-missing", "sitemap.xml", [f"lists {loc}, which was not built"])
                continue
            try:
                sub_kind, sub_locs = _sitemap_locs(root / rel)
            except etree.XMLSyntaxError as exc:
                _add(out, sev, "sitemap-invalid", rel, [f"does not parse: {exc}"])
                continue
            if sub_kind != "urlset":
                _add(out, sev, "sitemap-invalid", rel, [f"root element is <{sub_kind}>, expected <urlset>"])
            check(rel, sub_locs)
            del sub_locs
    elif kind == "urlset":
        check("sitemap.xml", locs)
    else:
        _add(out, sev, "sitemap-invalid", "sitemap.xml", [f"root element is <{kind}>"])
    del locs
    out += checked
    flags, kinds = store.flags, store.kind
    for p, i in enumerate(order):
        if not flags[i] & (_NOINDEX | _ERROR) and kinds[i] != _KIND_CODE["404"] and not listed[p]:
            _add(out, sev, "sitemap-omitted", store.url(i), ["indexable page missing from the sitemap"])
    return out


def robots_rules(text: str) -> dict[str, list[tuple[bool, str]]]:
    """User agent → [(allow, path pattern)] from robots.txt (RFC 9309 groups)."""
    groups: dict[str, list[tuple[bool, str]]] = {}
    agents: list[str] = []
    in_rules = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        key, value = (s.strip() for s in line.split(":", 1))
        key = key.lower()
        if key == "user-agent":
            if in_rules:
                agents, in_rules = [], False
            agents.append(value.lower())
            for a in agents:
                groups.setdefault(a, [])
        elif key in ("allow", "disallow"):
            in_rules = True
            if value:
                for a in agents:
                    groups[a].append((key == "allow", value))
    return groups


def _pattern(rule: str) -> re.Pattern:
    anchored = rule.endswith("$")
    body = re.escape(rule[:-1] if anchored else rule).replace(r"\*", ".*")
    return re.compile(body + ("$" if anchored else ""))


def robots_allows(rules: list[tuple[bool, str]], path: str) -> bool:
    """Longest matching rule wins; on a tie, allow wins (RFC 9309)."""
    best_len, allowed = -1, True
    for allow, rule in rules:
        if _pattern(rule).match(path):
            length = len(rule)
            if length > best_len or (length == best_len and allow):
                best_len, allowed = length, allow
    return allowed


def robots_findings(text: str | None, records: list[PageRecord], cfg: Config, sev: _Severity) -> list[Finding]:
    out: list[Finding] = []
    if text is None:
        _add(out, sev, "robots-missing", "robots.txt", ["robots.txt is missing"])
        return out
    if not any(line.lower().startswith("sitemap:") for line in (s.strip() for s in text.splitlines())):
        _add(out, sev, "robots-no-sitemap", "robots.txt", ["robots.txt does not name the sitemap"])
    parts = urlsplit(cfg.base_url)
    if parts.path.strip("/"):
        _add(
            out,
            sev,
            "robots-location",
            "robots.txt",
            [
                f"the site is served under {parts.path.rstrip('/')}/, but crawlers only read "
                f"{parts.scheme}://{parts.netloc}/robots.txt: merge these rules and the Sitemap line into that file"
            ],
        )
    groups = {a: r for a, r in robots_rules(text).items() if any(not allow for allow, _ in r)}
    if not groups:
        return out
    prefix = urlsplit(cfg.base_url).path.rstrip("/") + "/"
    for r in records:
        if r.parse_error or kind_of(r.url) == "404":
            continue
        path = prefix + r.url
        blocked = [a for a, rules in groups.items() if not robots_allows(rules, path)]
        if blocked:
            check = "robots-blocks-noindex" if r.noindex else "robots-blocks-indexable"
            _add(out, sev, check, r.url, [f"robots.txt disallows {path} for user agent {', '.join(blocked)}"])
    return out


def lsh_params(threshold: float, num_perm: int = NUM_PERM, bands: int = LSH_BANDS) -> tuple[int, int]:
    """(bands, rows): the most selective banding that still finds a pair at `threshold` 98% of the time."""
    best = 1
    for rows in range(1, num_perm // bands + 1):
        if 1 - (1 - threshold**rows) ** bands >= 0.98:
            best = rows
    return bands, best


class _Signatures:
    """MinHash signatures (rows of equal width) read where they are, so that the near-duplicate pass
    does not copy every signature (512 bytes a page) into memory: an array, or uint32 rows in a
    bytearray or a Spill (the build's temporary file, or the audit cache), read a block of rows at a
    time for sequential passes and a row at a time for comparisons. Row `p` is row `rows[p]` of the
    buffer. (Not a memory map: on this kernel a fault maps a whole large folio of the page cache,
    so scattered reads would map most of the file into the process.)
    """

    BLOCK = 4096  # rows per block of a sequential pass

    def __init__(self, buf: np.ndarray | bytearray | Spill, rows: np.ndarray | None = None, width: int | None = None):
        self.buf = buf
        self.width = buf.shape[1] if isinstance(buf, np.ndarray) else width
        self.dtype = buf.dtype if isinstance(buf, np.ndarray) else np.dtype(np.uint32)
        self.size = self.dtype.itemsize * self.width  # bytes a row
        self.total = len(buf) if isinstance(buf, np.ndarray) else len(buf) // self.size
        self.rows = np.arange(self.total, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.rows)

    def _read(self, start: int, count: int) -> np.ndarray:
        """Buffer rows start…start + count."""
        if isinstance(self.buf, np.ndarray):
            return self.buf[start : start + count]
        data = self.buf[start * self.size : (start + count) * self.size]
        return np.frombuffer(data, dtype=self.dtype).reshape(-1, self.width)

    def row(self, p: int) -> np.ndarray:
        return self._read(int(self.rows[p]), 1)[0]

    def take(self, positions) -> np.ndarray:
        """Rows `positions`, read one by one (for a few rows)."""
        return np.array([self.row(p) for p in np.asarray(positions).tolist()], dtype=self.dtype).reshape(-1, self.width)

    def blocks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(positions, their rows) for every row, a block of the buffer at a time, in the buffer's order."""
        where = np.full(self.total, -1, dtype=np.int64)  # buffer row → position
        where[self.rows] = np.arange(len(self.rows))
        for start in range(0, self.total, self.BLOCK):
            dest = where[start : start + self.BLOCK]
            keep = np.flatnonzero(dest >= 0)
            if len(keep):
                yield dest[keep], self._read(start, len(dest))[keep]

    def columns(self, lo: int, hi: int, positions: np.ndarray | None = None) -> np.ndarray:
        """Columns lo…hi of every row (or of rows `positions`), in position order."""
        out = np.empty((len(self), hi - lo), dtype=self.dtype)
        for at, block in self.blocks():
            out[at] = block[:, lo:hi]
        return out if positions is None else out[positions]


def _identical_rows(m: np.ndarray | _Signatures) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group identical rows of a 2-D array: (first row of each group, group of each row, group sizes),
    groups numbered in the order np.unique gives them. Rows are hashed column by column into 64 bits
    (a block of rows at a time, no sort of 512-byte keys) and rows that share a hash are compared whole.
    """
    sig = m if isinstance(m, _Signatures) else _Signatures(m)
    h = np.empty(len(sig), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for at, block in sig.blocks():
            hb = np.zeros(len(block), dtype=np.uint64)
            for c in range(block.shape[1]):
                hb = hb * np.uint64(0x100000001B3) ^ block[:, c].astype(np.uint64)
            h[at] = hb
    _, first, group, counts = np.unique(h, return_index=True, return_inverse=True, return_counts=True)
    del h
    group = group.ravel()
    for g in np.flatnonzero(counts > 1).tolist():  # same hash: prove the rows equal, or split them
        rows = np.flatnonzero(group == g)
        same = sig.take(rows)
        if not (same == same[0]).all():
            keys = np.ascontiguousarray(same).view(np.dtype((np.void, same.dtype.itemsize * same.shape[1]))).ravel()
            _, sub_first, sub = np.unique(keys, return_index=True, return_inverse=True)
            sub = sub.ravel()
            for k in range(1, len(sub_first)):
                new = len(first)
                first = np.append(first, rows[sub_first[k]])
                counts = np.append(counts, (sub == k).sum())
                group[rows[sub == k]] = new
            first[g], counts[g] = rows[sub_first[0]], (sub == 0).sum()
    return first, group, counts


def near_duplicates(signatures: np.ndarray, ids: list[int], threshold: float) -> dict[int, tuple[int, float]]:
    """Each page's most similar page among its LSH candidates: {id: (other id, estimated Jaccard)}.

    `signatures` holds one MinHash per row (uint32, NUM_PERM columns) for the pages in `ids`.
    See `nearest_rows`, which answers the same in two arrays.
    """
    other, sim = nearest_rows(signatures, threshold)
    return {ids[r]: (ids[o], float(sim[r])) for r, o in enumerate(other.tolist()) if o >= 0}


def nearest_rows(signatures: np.ndarray | _Signatures, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Each row's most similar row among its LSH candidates: (other row or -1, estimated Jaccard).

    Linear in pages: pages are bucketed by bands of their signature; only pages that share a
    bucket are compared. Identical signatures are grouped first so that many identical pages
    cannot make one huge bucket. The signatures are read a block or a few rows at a time (see
    `_Signatures`); what is kept per page is a few integers per band.
    """
    sig = signatures if isinstance(signatures, _Signatures) else _Signatures(signatures)
    n_rows = len(sig)
    best_row = np.full(n_rows, -1, dtype=np.int32)
    best_sim = np.zeros(n_rows, dtype=np.float64)
    if n_rows < 2:
        return best_row, best_sim
    # Pages with identical signatures form one group, represented by its first row.
    first, group, counts = _identical_rows(sig)
    same: dict[int, list[int]] = {}  # group → its rows, for groups of two or more
    for row in np.flatnonzero(counts[group] > 1).tolist():
        same.setdefault(int(group[row]), []).append(row)
    for members in same.values():
        for m in members:
            best_row[m], best_sim[m] = (members[1] if m == members[0] else members[0]), 1.0
    reps = np.sort(first).tolist()
    del first, counts
    if len(reps) < 2:
        return best_row, best_sim
    # LSH banding: in each band, pages whose band of the signature is identical share a bucket,
    # named by its smallest row (reps are in ascending order). That is what datasketch's MinHashLSH
    # does (a dict keyed by the band's bytes), done with one sort per band: the library's index took
    # ~20 s and ~200 MB at 125,000 pages for the same buckets. Each page's candidates are then gathered
    # band by band as MinHashLSH.query does (a set filled from each band's bucket set, in band order;
    # bucket sets filled in insertion order), so the candidates, their order and the sampling below
    # are the same as the library's. Rows fit in int32 (fewer than 2**31 pages).
    bands, rows = lsh_params(threshold)
    rep_rows = np.asarray(reps, dtype=np.int32)
    bucket_t = np.empty((len(reps), bands), dtype=np.int32)  # per rep and band, the smallest row of its bucket
    alone_t = np.empty((len(reps), bands), dtype=bool)  # the rep is alone in its bucket
    members: list[tuple[np.ndarray, np.ndarray]] = []  # per band: bucket ids sorted, the reps' rows in that order
    for k in range(bands):
        band = sig.columns(k * rows, (k + 1) * rows, rep_rows)  # one band of every rep, read a block at a time
        keys = band.view(np.dtype((np.void, band.dtype.itemsize * rows))).ravel()
        _, first, inverse, counts = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
        del band, keys
        bucket = rep_rows[first[inverse.ravel()]]
        bucket_t[:, k] = bucket
        alone_t[:, k] = counts[inverse.ravel()] == 1
        del first, inverse, counts
        by = np.argsort(bucket, kind="stable")  # reps were inserted in ascending order: keep it per bucket
        members.append((bucket[by], rep_rows[by]))
        del bucket, by

    bucket_keys: dict[tuple[int, int], list[int]] = {}

    def bucket_list(k: int, b: int) -> list[int]:
        """The rows of a bucket in the order its set (filled as DictSetStorage.insert fills it) yields them."""
        keys = bucket_keys.get((k, b))
        if keys is None:
            ids_sorted, rows_sorted = members[k]
            key = np.int32(b)  # a Python int would make searchsorted convert the whole int32 array
            lo, hi = ids_sorted.searchsorted(key, "left"), ids_sorted.searchsorted(key, "right")
            out: set[int] = set()
            for r in rows_sorted[lo:hi].tolist():
                out.update((r,))
            keys = list(out)
            if hi - lo > 8:  # large buckets are met again and again; small ones are cheap to redo
                bucket_keys[(k, b)] = keys
        return keys

    # Candidates are compared first on the low byte of each value (128 bytes a page in memory): two
    # rows agree on at least as many low bytes as values, so that count bounds the similarity from
    # above, and only candidates whose bound reaches the best exact count so far are read whole.
    # The winner is the one a comparison of whole rows picks: the most equal values, the first
    # candidate among equals (np.argmax); its similarity is that count / NUM_PERM (what .mean() gives).
    low = np.empty((len(sig), sig.width), dtype=np.uint8)
    for at, block in sig.blocks():
        low[at] = block.astype(np.uint8)  # uint32 → uint8 keeps the low byte
    rng = np.random.default_rng(0)
    for n, row in enumerate(reps):
        found: set[int] = set()
        for k, (b, lone) in enumerate(zip(bucket_t[n].tolist(), alone_t[n].tolist())):
            if lone:
                found.add(row)
                continue
            found.update(bucket_list(k, b))  # added one by one, in the bucket set's order
        cands = [c for c in list(found) if c != row]
        if not cands:
            continue
        if len(cands) > MAX_CANDIDATES:
            cands = list(rng.choice(cands, MAX_CANDIDATES, replace=False))
        bound = (low[cands] == low[row]).sum(axis=1)
        mine = sig.row(row)
        best_k, best_equal = -1, -1
        for k in np.argsort(-bound, kind="stable").tolist():
            if bound[k] < best_equal:
                break
            equal = int((sig.row(cands[k]) == mine).sum())
            if equal > best_equal or (equal == best_equal and k < best_k):
                best_k, best_equal = k, equal
        best, similarity = int(cands[best_k]), best_equal / sig.width
        for m in same.get(int(group[row]), (row,)):
            if best_row[m] < 0 or best_sim[m] < similarity:
                best_row[m], best_sim[m] = best, similarity
    return best_row, best_sim


def unique_shares(samples: list[np.ndarray], boilerplate_share: float) -> list[float | None]:
    """Per page, the share of sampled shingles found on few pages (at most boilerplate_share of them).

    A shingle on more than that share of pages is site-wide boilerplate (template text, navigation,
    call to action). Memory linear in pages: see `page_shares`.
    """
    lengths = np.array([len(s) for s in samples], dtype=np.int64)
    return _unique_shares(np.concatenate(samples) if samples else np.zeros(0, np.uint32), lengths, boilerplate_share)


def _unique_shares(every: np.ndarray, lengths: np.ndarray, boilerplate_share: float) -> list[float | None]:
    """unique_shares() of pages whose samples are concatenated in `every`, `lengths[i]` for page i."""
    ends = np.cumsum(lengths, dtype=np.int64)
    shares = page_shares(
        bytearray(np.ascontiguousarray(every, dtype=np.uint32).tobytes()),
        ends,
        np.arange(len(lengths)),
        boilerplate_share,
    )
    return [None if s != s else float(s) for s in shares.tolist()]


def _sample_blocks(ends: np.ndarray, step: int) -> Iterator[tuple[int, int]]:
    """Ranges lo…hi of pages whose samples (values up to ends[i] for page i) total about `step` values."""
    lo = 0
    while lo < len(ends):
        before = int(ends[lo - 1]) if lo else 0
        hi = max(lo + 1, int(np.searchsorted(ends, before + step, "right")))
        yield lo, hi
        lo = hi


def page_shares(buf: bytearray | Spill, ends: np.ndarray, pages: np.ndarray, boilerplate_share: float) -> np.ndarray:
    """Unique-text share of each of `pages` (rows of a store whose uint32 shingle samples are `buf`,
    row i's ending at value ends[i]), NaN for a page without samples. Only the samples of `pages`
    count, each page's being distinct values.

    The samples stay where they are (a Spill is a file): they are read a block at a time, once to
    count values per range of their top bits, once per range to find the values on more than the
    cutoff of pages, and once to count each page's own values. What is held at once is one range's
    values (an eighth of the samples), the common values and a few numbers per page.
    """
    n = len(pages)
    out = np.full(n, np.nan)
    ends = np.asarray(ends, dtype=np.int64)
    lengths = np.diff(ends, prepend=0)
    if not n or not lengths[pages].sum():
        return out
    cutoff = max(1, int(boilerplate_share * n))
    counted = np.zeros(len(ends), dtype=bool)
    counted[pages] = True
    view = buf if isinstance(buf, Spill) else memoryview(buf)
    blocks = list(_sample_blocks(ends, 1 << 18))

    def values(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        start = int(ends[lo - 1]) if lo else 0
        v = np.frombuffer(view[4 * start : 4 * int(ends[hi - 1])], dtype=np.uint32)
        return v, np.repeat(counted[lo:hi], lengths[lo:hi])

    # A value is on more than `cutoff` pages when, in sorted order, it equals the value `cutoff` places on:
    # no table of every distinct value and its count is needed. Sorted a range of values at a time.
    shift = np.uint32(29)  # eight ranges: the top three bits
    per_range = np.zeros(8, dtype=np.int64)
    for lo, hi in blocks:
        v, keep = values(lo, hi)
        per_range += np.bincount(v[keep] >> shift, minlength=8)
    parts = []
    for r in range(8):
        part = np.empty(int(per_range[r]), dtype=np.uint32)
        at = 0
        for lo, hi in blocks:
            v, keep = values(lo, hi)
            got = v[keep & ((v >> shift) == r)]
            part[at : at + len(got)] = got
            at += len(got)
        part.sort()
        if len(part) > cutoff:
            parts.append(np.unique(part[cutoff:][part[cutoff:] == part[: len(part) - cutoff]]))
        del part
    common = np.concatenate(parts) if parts else np.zeros(0, np.uint32)
    # Each page's own values (not common), summed per page over the pages that have samples only
    # (an empty page's start would cut its neighbour's run short).
    sums = np.zeros(len(ends), dtype=np.int64)
    for lo, hi in blocks:
        v, _ = values(lo, hi)
        if len(common):
            own = common[np.minimum(np.searchsorted(common, v), len(common) - 1)] != v
        else:
            own = np.ones(len(v), dtype=bool)
        rows = lo + np.flatnonzero(lengths[lo:hi] > 0)
        if len(rows):
            first = (ends - lengths)[rows] - (int(ends[lo - 1]) if lo else 0)
            sums[rows] = np.add.reduceat(own, first, dtype=np.int64)
    has = lengths[pages] > 0
    out[has] = sums[pages[has]] / lengths[pages[has]]
    return out


# ---------------------------------------------------------------------------------------------
# Reading the site: walk, cache, parse in parallel


def walk(root: Path) -> tuple[list[str], set[str]]:
    """(HTML files, the other files) as sorted site-relative POSIX paths, without following links."""
    every: list[str] = []
    stack = [(str(root), "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as it:
            for entry in it:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, rel + "/"))
                elif entry.is_file():
                    every.append(rel)
    every.sort()
    return [f for f in every if f.endswith(".html")], {f for f in every if not f.endswith(".html")}


class _SiteFiles:
    """The site's files, for `in` tests: its pages through the store's index (once read, every page
    is a row of the store, marked in `in_site`) and the few other files in a set, instead of a set of
    every path (the paths of half a million pages are ~70 MB)."""

    def __init__(self, store: RecordStore, in_site: np.ndarray, others: set[str], count: int):
        self.store, self.in_site, self.others, self.count = store, in_site, others, count

    def __contains__(self, rel: str) -> bool:
        if rel in self.others:
            return True
        i = self.store.index.get(rel)
        return i is not None and bool(self.in_site[i])

    def __len__(self) -> int:
        return self.count


def _cache_params(cfg: Config) -> list:
    # Per-page findings are kept in the cache, so the settings they depend on are part of its key.
    return [
        AUDIT_VERSION,
        NUM_PERM,
        SHINGLE,
        SAMPLE_MASK,
        cfg.base_url,
        _datasketch_version(),
        repr(cfg.audit),
    ]


def load_cache(path: Path | None, cfg: Config) -> RecordStore | None:
    """The previous audit's store; None when the cache is missing, unreadable or from other settings."""
    import pickle

    if path is None or not path.exists():
        return None
    f = None
    try:
        f = open(path, "rb")  # stays open: the signatures and samples are read from it later
        if pickle.load(f) != _cache_params(cfg):
            f.close()
            return None
        state = pickle.load(f)
        offset = f.tell()
        for k in _RAW_COLUMNS:  # their bytes follow the pickle, in this order (see save_cache)
            state[k] = Spill.part_of(f, offset, state[k])
            offset += len(state[k])
        if os.fstat(f.fileno()).st_size != offset:
            raise EOFError("the cache is cut short")
        store = RecordStore.__new__(RecordStore)
        store.__setstate__(state)
        store.cfg, store.sev = cfg, _Severity(cfg)
        return store
    except (OSError, EOFError, ValueError, TypeError, KeyError, AttributeError, pickle.UnpicklingError):
        if f is not None:
            f.close()
        return None


def save_cache(path: Path, store: RecordStore, cfg: Config) -> None:
    import pickle

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    state = store.__getstate__()
    raw = {k: state[k] for k in _RAW_COLUMNS}
    state.update({k: len(v) for k, v in raw.items()})
    with open(tmp, "wb") as f:  # pickle writes in frames: the columns are not copied into one big bytes object
        pickle.dump(_cache_params(cfg), f, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
        for k in _RAW_COLUMNS:  # signatures and samples as raw bytes after the pickle, never all in memory
            if isinstance(raw[k], Spill):
                raw[k].write_to(f)
            else:
                f.write(raw[k])
    os.replace(tmp, path)


_RAW_COLUMNS = ("mh", "sample")


def _parse_chunk(
    args: tuple[str, Config, list[tuple[int, str, str | None]]],
) -> tuple[RecordStore | None, list[int | None], list[int]]:
    """Worker: read each (item number, page, cached hash); answer None when its bytes have the cached
    hash, or else parse it into this chunk's own RecordStore (per-page checks included) and answer
    its row there. Also answers every file's stat key, taken before reading it."""
    root, cfg, items = args
    store: RecordStore | None = None
    out: list[int | None] = []
    keys: list[int] = []
    for _, rel, known in items:
        with open(os.path.join(root, rel), "rb") as f:
            keys.append(stat_key(os.fstat(f.fileno())))  # before reading: a later write changes the key
            data = f.read()
        digest = content_hash(data)
        if digest == known:
            out.append(None)
            continue
        if store is None:
            store = RecordStore(cfg)
        rec = parse_page(rel, data, cfg.base_url, digest)
        rec.stat = keys[-1]
        out.append(store.add(rec))
    return store, out, keys


def read_pages(
    root: Path, pages: list[str], cfg: Config, cache: RecordStore | None, store: RecordStore, workers: int | None = None
) -> tuple[int, int]:
    """Add every page not yet in `store` to it, from the cache where the file is unchanged.

    Returns (pages parsed, unchanged pages whose stat key changed): when both are 0 and the cache
    has as many pages, the cache needs no rewriting. A page whose file has the stat key (inode, size,
    mtime) the cache has for it is unchanged without being read: this process checks those keys
    itself, and only files that must be read go to worker processes, where a file whose bytes have
    the cached hash is unchanged too. Pages already in `store` were parsed by the caller from exactly
    the bytes of those files (the build parses the pages it renders while it still holds them): they
    are not read again. Rows are added in the order of `pages`.
    """
    parsed = rekeyed = 0
    items: list[tuple[str, int]] = []  # (page, its cache row or -1), for pages not in `store`
    for rel in pages:
        if rel in store.index:
            if cache is None or cache.hash_of(rel) != store.hash_of(rel):
                parsed += 1
            elif store.stat[store.index[rel]] != cache.stat[cache.index[rel]]:
                rekeyed += 1
        else:
            j = cache.index.get(rel, -1) if cache is not None else -1
            items.append((rel, j))
    unread = np.zeros(len(items), dtype=bool)  # the file has the cached stat key
    for k, (rel, j) in enumerate(items):
        if j >= 0 and cache.stat[j]:
            try:
                unread[k] = stat_key(os.stat(os.path.join(root, rel))) == cache.stat[j]
            except OSError:
                pass  # reading it says what is wrong
    to_read = [
        (k, rel, cache.hash_of_index(j) if j >= 0 else None) for k, (rel, j) in enumerate(items) if not unread[k]
    ]
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if len(to_read) >= 2000 else 1
    chunk = max(16, min(256, len(to_read) // (workers * 4) or 1))
    jobs = [(str(root), cfg, to_read[i : i + chunk]) for i in range(0, len(to_read), chunk)]

    placed = 0  # items[:placed] are in `store` or in `cached`
    cached: list[int] = []  # the cache's rows of unchanged pages, copied together (in page order)
    new_keys: list[tuple[int, int]] = []  # (place in `cached`, the file's new stat key)

    def flush() -> None:
        nonlocal cached, new_keys
        first = len(store)
        store.add_rows_from(cache, cached)
        for at, key in new_keys:
            store.stat[first + at] = key
        cached, new_keys = [], []

    def unchanged_until(stop: int) -> None:  # items placed..stop were not read: unchanged
        nonlocal placed
        cached.extend(items[k][1] for k in range(placed, stop))
        placed = stop

    def take(job, res) -> None:
        nonlocal parsed, rekeyed, placed
        parsed_here, out, keys = res
        first, last = job[2][0][0], job[2][-1][0]
        if parsed_here is not None and len(parsed_here) == len(out) == last - first + 1:
            # every page of the chunk was parsed, and no unread page lies between them
            unchanged_until(first)
            flush()
            parsed += len(out)
            store.extend(parsed_here)
            placed = last + 1
            return
        for (k, _, _), r, key in zip(job[2], out, keys):
            unchanged_until(k)
            placed = k + 1
            if r is None:
                j = items[k][1]
                if key != cache.stat[j]:
                    new_keys.append((len(cached), key))
                    rekeyed += 1
                cached.append(j)
            else:
                flush()
                parsed += 1
                store.add_from(parsed_here, r)

    if workers > 1 and len(jobs) > 1:
        _minhash(np.zeros(1, dtype=np.uint32))  # import and set up before forking, not once per worker
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            for job, res in zip(jobs, pool.map(_parse_chunk, jobs)):
                take(job, res)
    else:
        for job in jobs:
            take(job, _parse_chunk(job))
    unchanged_until(len(items))
    flush()
    return parsed, rekeyed


# ---------------------------------------------------------------------------------------------
# The audit


class _PageView(NamedTuple):
    url: str
    noindex: bool
    parse_error: str


def audit_site(
    root: Path,
    cfg: Config,
    previous: dict | None = None,
    *,
    cache_file: Path | None = None,
    workers: int | None = None,
    known: RecordStore | dict[str, PageRecord] | None = None,
) -> AuditResult:
    """Audit the built site in `root`.

    `previous` maps URL → content hash of the previous build (see `AuditResult.hashes`); pages
    are then marked added or changed and removed ones listed. `cache_file` keeps parsed pages
    between runs, keyed by content hash. `known`: a RecordStore (or rel → PageRecord) of pages the
    caller parsed from exactly the bytes of those files.
    """
    t0 = time.perf_counter()
    root = Path(root)
    sev = _Severity(cfg)
    pages, others = walk(root)
    cache = load_cache(cache_file, cfg)
    if isinstance(known, RecordStore):
        store = known
    else:
        store = RecordStore(cfg, sev, spill=cache_file.parent if cache_file is not None else None)
        for rec in (known or {}).values():
            store.add(rec)
    parsed, rekeyed = read_pages(root, pages, cfg, cache, store, workers)
    unchanged = parsed == rekeyed == 0 and cache is not None and len(cache.rel) == len(pages)
    del cache
    order = array("q", [store.index[rel] for rel in pages])  # 8 bytes a page, not an int object each
    in_site = _members(len(store), order)
    files = _SiteFiles(store, in_site, others, len(pages) + len(others))
    del pages, others  # the store has every page's path: no second copy through the site-wide checks
    t_read = time.perf_counter()
    if cache_file is not None and not unchanged:
        save_cache(cache_file, store, cfg)

    findings: list[Finding] = []
    for i in order:
        found = store.findings.get(i)
        if found:
            findings += found
    findings += duplicate_findings(store, order, sev)
    graph_findings, depth, inlinks, outlinks = link_graph(store, order, files, sev, cfg.audit.max_click_depth)
    findings += graph_findings
    store.drop_links()
    sm = sitemap_findings(root, store, order, cfg, sev)
    robots = root / "robots.txt"
    views = (_PageView(store.url(i), bool(store.flags[i] & _NOINDEX), store.errors.get(i, "")) for i in order)
    rb = robots_findings(
        robots.read_text(encoding="utf-8", errors="replace") if robots.exists() else None, views, cfg, sev
    )
    t_site = time.perf_counter()

    # Text: near-duplicates and unique share, over content pages (not the 404 page).
    give_back()  # the link graph's arrays, before the text pass's
    text = _text_results(store, order, cfg, cache_file)
    store.drop_text()  # what only the cache and the text checks needed
    give_back()  # the text pass's signatures and candidate pairs, before the findings and reports
    for p in np.flatnonzero(text.similarity >= cfg.audit.near_duplicate_threshold).tolist():
        i, sim = order[p], float(text.similarity[p])
        _add(
            findings,
            sev,
            "near-duplicate",
            store.url(i),
            [f"{sim:.0%} similar to /{store.url(order[text.nearest[p]])} (estimated Jaccard of word shingles)"],
            bool(store.flags[i] & _NOINDEX),
        )
    for p in np.flatnonzero(text.share < cfg.audit.min_unique_share).tolist():
        i, share = order[p], float(text.share[p])
        _add(
            findings,
            sev,
            "low-unique-share",
            store.url(i),
            [
                (
                    f"{share:.0%} of its text is its own (minimum {cfg.audit.min_unique_share:.0%}); the rest is "
                    "shared with many pages"
                )
            ],
            bool(store.flags[i] & _NOINDEX),
        )
    t_text = time.perf_counter()

    # Sitemap and robots findings that name a built page belong to that page; the rest to the site.
    def current(url: str) -> bool:
        i = store.index.get(file_of(url))
        return i is not None and store.url(i) == url and bool(in_site[i])

    site = [f for f in sm + rb if not current(f.url)]
    findings += [f for f in sm + rb if current(f.url)]
    per_page: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        per_page[f.url].append(f)
    findings += site
    findings.sort(key=lambda f: (SEVERITIES.index(f.severity), f.check, f.url))

    rows = PageRows(store, order, text, depth, inlinks, outlinks, per_page)
    result = AuditResult(rows, findings, site)
    if previous is not None:
        compare(result, previous)
    result.stats = {
        "pages": len(order),
        "parsed": parsed,
        "cached": len(order) - parsed,
        "files": len(files),
        "seconds": time.perf_counter() - t0,
        "read_seconds": t_read - t0,
        "site_seconds": t_site - t_read,
        "text_seconds": t_text - t_site,
        "lsh_params": lsh_params(cfg.audit.near_duplicate_threshold),
    }
    return result


def _members(rows: int, order: Sequence[int]) -> np.ndarray:
    """Which of a store's rows are in `order`, as a mask (a set of half a million ints is ~30 MB)."""
    mask = np.zeros(rows, dtype=bool)
    mask[np.asarray(order, dtype=np.int64)] = True
    return mask


class PageRows(Sequence):
    """AuditResult.pages: the report's rows, made one at a time from the store's columns."""

    def __init__(
        self,
        store: RecordStore,
        order: list[int],
        text: TextResults,
        depth: np.ndarray,
        inlinks: np.ndarray,
        outlinks: np.ndarray,
        per_page: dict[str, list[Finding]],
    ):
        self.store, self.order, self.text = store, order, text
        self.depth, self.inlinks, self.outlinks, self.per_page = depth, inlinks, outlinks, per_page
        self.change: dict[int, str] = {}  # position → "added" | "changed"
        self._members: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.order)

    def has_url(self, url: str) -> bool:
        i = self.store.index.get(file_of(url))
        return i is not None and self.store.url(i) == url and bool(self._in_site()[i])

    def _in_site(self) -> np.ndarray:
        if self._members is None:
            self._members = _members(len(self.store), self.order)
        return self._members

    def url_hashes(self) -> Iterator[tuple[str, str]]:
        """(URL, content hash) of each row, without making the rows."""
        st = self.store
        for i in self.order:
            yield st.url(i), st.hash_of_index(i)

    def indexable_count(self) -> int:
        flags = self.store.flags
        return sum(1 for i in self.order if not flags[i] & _NOINDEX)

    def __getitem__(self, p):
        if isinstance(p, slice):
            return [self[k] for k in range(*p.indices(len(self)))]
        if p < 0:
            p += len(self)
        st, i = self.store, self.order[p]
        url = st.url(i)
        near, share = int(self.text.nearest[p]), self.text.share[p]
        return PageRow(
            url=url,
            file=st.rel[i],
            kind=KINDS[st.kind[i]],
            indexable=not st.flags[i] & _NOINDEX,
            title=st.title[i],
            description_length=st.desc_len[i],
            words=st.words[i],
            # NaN: not measured. A numpy float, as the share always was: the report's round() of one
            # rounds halves as numpy does (0.5375 → 0.538), not as Python's does for a float (0.537).
            unique_share=None if np.isnan(share) else share,
            nearest=st.url(self.order[near]) if near >= 0 else "",
            similarity=float(self.text.similarity[p]) if near >= 0 else None,
            depth=int(self.depth[p]) if self.depth[p] >= 0 else None,
            inlinks=int(self.inlinks[p]),
            outlinks=int(self.outlinks[p]),
            hash=st.hash_of_index(i),
            change=self.change.get(p, ""),
            findings=sorted(self.per_page.get(url, []), key=lambda f: (SEVERITIES.index(f.severity), f.check)),
        )

    def __iter__(self) -> Iterator[PageRow]:
        for p in range(len(self.order)):
            yield self[p]

    def summary_rows(self) -> Iterator[tuple[str, str, bool, int, Any, float | None, list[Finding]]]:
        """(url, kind, indexable, words, unique share, similarity, findings in any order) of each
        row, as its PageRow has them, without making the rows (for the report's summary pass)."""
        st, text, per_page = self.store, self.text, self.per_page
        kinds, flags, words = st.kind, st.flags, st.words
        nearest, similarity, share = text.nearest.tolist(), text.similarity, text.share
        none: list[Finding] = []
        for p, i in enumerate(self.order):
            url = st.url(i)
            s = share[p]
            yield (
                url,
                KINDS[kinds[i]],
                not flags[i] & _NOINDEX,
                words[i],
                None if np.isnan(s) else s,
                float(similarity[p]) if nearest[p] >= 0 else None,
                per_page.get(url, none),
            )


class TextResults(NamedTuple):
    """The text pass's answers, per position in the audit's page order: arrays, not a dict per page."""

    nearest: np.ndarray  # int32: position of the most similar page found, -1 for none
    similarity: np.ndarray  # float64: its estimated Jaccard similarity (NaN for none)
    share: np.ndarray  # float64: unique-text share, NaN when not measured (too short, or not a content page)


def _text_results(store: RecordStore, order: list[int], cfg: Config, cache_file: Path | None) -> TextResults:
    """Nearest page and unique-text share of every content page.

    Both depend on every page at once; when no page changed since the last audit, the previous
    answers are reused from a small file next to the page cache.
    """
    import msgpack

    flags, kinds = store.flags, store.kind
    content = [p for p, i in enumerate(order) if not flags[i] & _ERROR and kinds[i] != _KIND_CODE["404"]]
    a = cfg.audit
    key = hashlib.blake2b(
        repr(
            [AUDIT_VERSION, NUM_PERM, MIN_SHINGLES, SAMPLE_MASK, a.near_duplicate_threshold, a.boilerplate_share]
        ).encode(),
        digest_size=16,
    )
    for p in content:
        i = order[p]
        key.update(f"{store.rel[i]}\0{store.hash_of_index(i)}\n".encode())
    digest = key.hexdigest()
    result = TextResults(
        np.full(len(order), -1, dtype=np.int32), np.full(len(order), np.nan), np.full(len(order), np.nan)
    )
    path = cache_file.with_name(cache_file.name + ".text") if cache_file is not None else None
    if path is not None and path.exists():
        try:
            saved = msgpack.unpackb(path.read_bytes(), raw=False)
            if saved.get("key") == digest:
                index = {store.rel[order[p]]: p for p in content}
                for a_, b_, sim in saved["near"]:
                    result.nearest[index[a_]], result.similarity[index[a_]] = index[b_], sim
                result.share[content] = [np.nan if s is None else s for s in saved["share"]]
                return result
        except (ValueError, TypeError, KeyError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError):
            pass
    shingles, mh_row = store.shingles, store.mh_row
    comparable = np.array(
        [p for p in content if shingles[order[p]] >= MIN_SHINGLES and mh_row[order[p]] >= 0], dtype=np.int64
    )
    signatures = _Signatures(store.mh, np.array([mh_row[order[p]] for p in comparable], dtype=np.int64), NUM_PERM)
    other, sim = nearest_rows(signatures, a.near_duplicate_threshold)
    del signatures
    store.mh = bytearray()  # the cache is saved: the signatures are not needed again
    found = other >= 0
    result.nearest[comparable[found]] = comparable[other[found]]
    result.similarity[comparable[found]] = sim[found]
    del other, sim, found, comparable
    ends = np.frombuffer(store.sample_end, dtype=np.int64) // 4 if len(store.sample_end) else np.zeros(0, np.int64)
    pages = np.array([order[p] for p in content], dtype=np.int64)
    shares = page_shares(store.sample, ends, pages, a.boilerplate_share)
    store.sample = bytearray()  # likewise
    measured = np.array([shingles[i] >= MIN_SHINGLES for i in pages.tolist()], dtype=bool)
    result.share[np.asarray(content, dtype=np.int64)[measured]] = shares[measured]
    del ends, pages, shares, measured
    if path is not None:
        near = np.flatnonzero(result.nearest >= 0).tolist()
        payload = {
            "key": digest,
            "near": [
                [store.rel[order[p]], store.rel[order[q]], s]
                for p, q, s in zip(near, result.nearest[near].tolist(), result.similarity[near].tolist())
            ],
            "share": [None if s != s else s for s in result.share[content].tolist()],
        }
        tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
        tmp.write_bytes(msgpack.packb(payload, use_bin_type=True))
        os.replace(tmp, path)
    return result


def compare(result: AuditResult, previous: dict[str, str]) -> None:
    """Mark pages added or changed since a build whose URL → hash map is `previous`; list removed ones."""
    result.has_previous = True
    rows = result.pages
    current: set[str] = set()
    if isinstance(rows, PageRows):  # from the store's columns, without making a row per page
        rows.change = {}
        for k, (url, digest) in enumerate(rows.url_hashes()):
            current.add(url)
            if url not in previous:
                rows.change[k] = "added"
            elif previous[url] != digest:
                rows.change[k] = "changed"
        st, order = rows.store, rows.order
        result.added = [st.url(order[k]) for k, c in rows.change.items() if c == "added"]
        result.changed = [st.url(order[k]) for k, c in rows.change.items() if c == "changed"]
    else:
        for p in rows:
            current.add(p.url)
            p.change = "added" if p.url not in previous else "changed" if previous[p.url] != p.hash else ""
        result.added = [p.url for p in rows if p.change == "added"]
        result.changed = [p.url for p in rows if p.change == "changed"]
    result.removed = sorted(u for u in previous if u not in current)
