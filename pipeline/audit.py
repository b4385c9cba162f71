"""SEO audit of a built site, read the way a crawler reads it.

Two phases. Each HTML file is parsed once (lxml) into a small `PageRecord`: head tags, headings,
JSON-LD types, resolved internal links, word count, a MinHash of its text shingles and a sample of
shingle hashes. Records are cached by content hash (`reports/.audit-cache.msgpack`), so an
unchanged page is never parsed again, and are made in worker processes when there are many.
Then the site-wide checks run over the records only: duplicates, the link graph (orphans, click
depth by breadth-first search), sitemap and robots.txt, near-duplicates (MinHash LSH from
`datasketch`, linear in pages) and each page's unique-text share (shingle document frequencies).

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
import sys
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

import numpy as np

from pipeline.config import Config
from pipeline.problems import ContractError, Problem

# Bump when what a PageRecord holds or how it is computed changes: old caches are then ignored.
AUDIT_VERSION = 1
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
SOFTER_WHEN_NOINDEX = {"thin-content", "near-duplicate", "low-unique-share", "title-duplicate",
                       "description-duplicate"}

_WORDS = re.compile(r"[\w’'-]+")
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_SKIP_SCHEMES = ("mailto:", "tel:", "javascript:", "data:", "sms:", "ftp:")
_GENERIC_LINK_TEXT = {"click here", "here", "read more", "more", "link", "this link", "this page", "learn more"}
_TEXT_XPATH = (".//text()[not(ancestor::nav or ancestor::script or ancestor::style or ancestor::noscript"
               " or ancestor::template)]")
_PAIR_URL = re.compile(r"^[^/]+-and-[^/]+/$")


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
    description: str
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
        return {p.url: p.hash for p in self.pages}


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


@lru_cache(maxsize=1 << 20)
def kind_of(url: str) -> str:
    if url == "":
        return "home"
    if url.startswith("topics/") and url.count("/") == 2:
        return "hub"
    if _PAIR_URL.match(url):
        return "pair"
    if url == "404.html":
        return "404"
    return "page"


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


@lru_cache(maxsize=200_000)
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
        return "internal", unquote(parts.path)[len(base_path):]
    path = unquote(parts.path)
    if path.startswith("/"):
        if not (path + "/").startswith(base_path):
            return "outside", None
        return "internal", path[len(base_path):]
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


_PERMUTATIONS = None


def _minhash(hashes: np.ndarray) -> bytes:
    global _PERMUTATIONS
    from datasketch import MinHash

    if _PERMUTATIONS is None:
        _PERMUTATIONS = MinHash(num_perm=NUM_PERM).permutations
    m = MinHash(num_perm=NUM_PERM, hashfunc=int, permutations=_PERMUTATIONS, scheme="affine32")
    m.update_batch(hashes.tolist())
    return m.hashvalues.astype(np.uint32).tobytes()


_WORD_HASHES: dict[str, int] = {}


def _word_hashes(words: list[str]) -> np.ndarray:
    cache = _WORD_HASHES
    if len(cache) > 500_000:
        cache.clear()
    for w in set(words).difference(cache):
        cache[w] = zlib.crc32(w.encode())
    return np.array([cache[w] for w in words], dtype=np.uint64)


def shingle_hashes(words: list[str]) -> np.ndarray:
    """Distinct 32-bit hashes of the text's SHINGLE-word shingles (the whole text if shorter)."""
    if not words:
        return np.zeros(0, dtype=np.uint32)
    wh = _word_hashes(words)
    k = min(SHINGLE, len(wh))
    n = len(wh) - k + 1
    h = np.zeros(n, dtype=np.uint64)
    for j in range(k):  # polynomial rolling combination, wrapping in 64 bits
        h = h * np.uint64(0x100000001B3) + wh[j:j + n]
    h ^= h >> np.uint64(29)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(32)
    return np.unique((h & np.uint64(0xFFFFFFFF)).astype(np.uint32))


def text_fingerprint(words: list[str]) -> tuple[int, bytes, bytes]:
    """(number of distinct shingles, MinHash bytes, sampled shingle hashes) of a list of words."""
    hashes = shingle_hashes(words)
    if not len(hashes):
        return 0, b"", b""
    sample = hashes[(hashes & SAMPLE_MASK) == 0]
    return len(hashes), _minhash(hashes), sample.tobytes()


_PARSERS: dict[bool, object] = {}


def _parser(declares_charset: bool):
    """An lxml HTML parser; pages that declare no charset are read as UTF-8, the web's default."""
    from lxml import etree

    if declares_charset not in _PARSERS:
        _PARSERS[declares_charset] = etree.HTMLParser(
            remove_comments=True, no_network=True, encoding=None if declares_charset else "utf-8")
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
    for el in doc.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if tag == "a":
            href = el.get("href")
            if href is None:
                continue
            kind, target = resolve(url, href, base_url)
            if kind == "internal":
                if target not in seen_links:
                    seen_links.add(target)
                    rec.links.append(target)
            elif kind == "outside":
                rec.outside_links.append(href)
            elif kind == "external":
                rec.external_links += 1
            if kind != "skip":
                text = " ".join("".join(el.itertext()).split())
                label = text or el.get("aria-label", "").strip() or el.get("title", "").strip() \
                    or " ".join(i.get("alt", "") for i in el.iter("img")).strip()
                if not label:
                    rec.bad_link_text.append(f"empty text: {href}")
                elif label.lower().strip(".…!") in _GENERIC_LINK_TEXT:
                    rec.bad_link_text.append(f"“{label}”: {href}")
        elif tag in _HEADINGS:
            level = _HEADINGS[tag]
            if level == 1:
                rec.h1 += 1
            if level > last_level + 1:
                rec.heading_skips.append(f"h{last_level} → h{level}" if last_level else f"first heading is h{level}")
            last_level = level
        elif tag == "title":
            if el.getparent() is not None and el.getparent().tag == "head":
                rec.titles.append(" ".join("".join(el.itertext()).split()))
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
    text = " ".join(main.xpath(_TEXT_XPATH))
    words = _WORDS.findall(text.lower())
    rec.words = len(words)
    rec.shingles, rec.minhash, rec.sample = text_fingerprint(words)
    return rec


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
    s = sev(check, noindex)
    if s is None or not messages:
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
        _add(out, sev, "title-missing", url, ["no <title>" if not rec.titles else
                                               f"{len(rec.titles)} <title> elements" if len(rec.titles) > 1
                                               else "the <title> is empty"])
    elif not a.title_min <= len(rec.titles[0]) <= a.title_max:
        _add(out, sev, "title-length", url,
             [f"title is {len(rec.titles[0])} characters (aim for {a.title_min}–{a.title_max}): {rec.titles[0]}"])
    if len(rec.descriptions) != 1 or not rec.descriptions[0]:
        _add(out, sev, "description-missing", url, ["no meta description" if not rec.descriptions else
                                                     f"{len(rec.descriptions)} meta descriptions"
                                                     if len(rec.descriptions) > 1 else "the meta description is empty"])
    elif not special and not a.description_min <= len(rec.descriptions[0]) <= a.description_max:
        _add(out, sev, "description-length", url,
             [(f"meta description is {len(rec.descriptions[0])} characters (aim for "
              f"{a.description_min}–{a.description_max})")])
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


def duplicate_findings(records: list[PageRecord], sev: _Severity) -> list[Finding]:
    """Pages that share a title or a meta description with another page."""
    out: list[Finding] = []
    for check, attr, what in (("title-duplicate", "titles", "title"),
                              ("description-duplicate", "descriptions", "meta description")):
        groups: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(records):
            values = getattr(r, attr)
            if len(values) == 1 and values[0] and kind_of(r.url) != "404":
                groups[values[0]].append(i)
        for members in groups.values():
            if len(members) < 2:
                continue
            for i in members:
                other = records[members[0] if members[0] != i else members[1]].url
                more = f" and {len(members) - 2} more" if len(members) > 2 else ""
                _add(out, sev, check, records[i].url, [f"same {what} as /{other}{more}"], records[i].noindex)
    return out


def link_graph(records: list[PageRecord], files: set[str], sev: _Severity, max_depth: int
               ) -> tuple[list[Finding], np.ndarray, np.ndarray, np.ndarray]:
    """Broken links, orphans, dead ends and click depth. Returns findings, depth, inlinks, outlinks."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import shortest_path

    n = len(records)
    page_of = {r.rel: i for i, r in enumerate(records)}
    src: list[int] = []
    dst: list[int] = []
    out: list[Finding] = []
    outlinks = np.zeros(n, dtype=np.int32)
    for i, r in enumerate(records):
        broken = []
        for target in r.links:
            f = file_of(target)
            if f not in files and not target.endswith("/") and target + "/index.html" in files:
                f = target + "/index.html"
            if f not in files:
                broken.append(f"links to /{target}, which was not built")
                continue
            j = page_of.get(f)
            if j is not None and j != i:
                src.append(i)
                dst.append(j)
                outlinks[i] += 1
        _add(out, sev, "link-broken", r.url, broken)
    inlinks = np.bincount(np.asarray(dst, dtype=np.int64), minlength=n).astype(np.int32)
    home = page_of.get("index.html")
    depth = np.full(n, -1, dtype=np.int64)
    if home is not None and n:
        graph = csr_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n))
        dist = shortest_path(graph, method="D", unweighted=True, indices=home)
        reach = np.isfinite(dist)
        depth[reach] = dist[reach].astype(np.int64)
    for i, r in enumerate(records):
        k = kind_of(r.url)
        if k == "404" or r.parse_error:
            continue
        if k != "home" and inlinks[i] == 0:
            _add(out, sev, "orphan", r.url, ["no other page links here"])
        elif depth[i] < 0:
            _add(out, sev, "unreachable", r.url, ["cannot be reached from the home page"])
        elif depth[i] > max_depth:
            _add(out, sev, "click-depth", r.url, [f"{depth[i]} clicks from the home page (maximum {max_depth})"])
        if outlinks[i] == 0:
            _add(out, sev, "no-outlinks", r.url, ["links to no other page of the site"])
    return out, depth, inlinks, outlinks


def _local(loc: str, base_url: str) -> str | None:
    prefix = base_url.rstrip("/") + "/"
    if loc == base_url.rstrip("/"):
        return ""
    return loc[len(prefix):] if loc.startswith(prefix) else None


def _sitemap_locs(path: Path) -> tuple[str, list[str]]:
    """Root element name and <loc> values of a sitemap file, streamed."""
    from lxml import etree

    root_name, locs = "", []
    for event, el in etree.iterparse(str(path), events=("start", "end"), resolve_entities=False,
                                     no_network=True, huge_tree=True):
        name = etree.QName(el).localname
        if event == "start":
            root_name = root_name or name
            continue
        if name == "loc":
            locs.append((el.text or "").strip())
        if name in ("url", "sitemap"):
            el.clear()
    return root_name, locs


def sitemap_findings(root: Path, records: list[PageRecord], cfg: Config, sev: _Severity
                     ) -> tuple[list[Finding], set[str]]:
    """Sitemap index → sitemap files → URLs: all built, none noindex, every indexable page listed."""
    from lxml import etree

    out: list[Finding] = []
    index = root / "sitemap.xml"
    listed: set[str] = set()
    if not index.exists():
        _add(out, sev, "sitemap-missing", "sitemap.xml", ["sitemap.xml is missing"])
        return out, listed
    files: list[tuple[str, list[str]]] = []
    try:
        kind, locs = _sitemap_locs(index)
    except etree.XMLSyntaxError as exc:
        _add(out, sev, "sitemap-invalid", "sitemap.xml", [f"does not parse: {exc}"])
        return out, listed
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
            files.append((rel, sub_locs))
    elif kind == "urlset":
        files.append(("sitemap.xml", locs))
    else:
        _add(out, sev, "sitemap-invalid", "sitemap.xml", [f"root element is <{kind}>"])
    by_url = {r.url: r for r in records}
    for rel, sub_locs in files:
        if len(sub_locs) > 50_000 or (root / rel).stat().st_size > 50 * 1024 * 1024:
            _add(out, sev, "sitemap-invalid", rel, [f"{len(sub_locs):,} URLs / over the limit of 50,000 URLs or 50 MB"])
        for loc in sub_locs:
            url = _local(loc, cfg.base_url)
            rec = by_url.get(url) if url is not None else None
            if rec is None:
                _add(out, sev, "sitemap-not-built", url if url is not None else loc,
                     [f"{rel} lists {loc}, which is not a built page"])
                continue
            listed.add(url)
            if rec.noindex:
                _add(out, sev, "sitemap-noindex", url, [f"{rel} lists this page, which carries noindex"])
            elif rec.canonicals and rec.canonicals[0] != loc:
                _add(out, sev, "sitemap-not-canonical", url, [f"{rel} lists {loc} but its canonical is {rec.canonicals[0]}"])
    for r in records:
        if not r.noindex and not r.parse_error and kind_of(r.url) != "404" and r.url not in listed:
            _add(out, sev, "sitemap-omitted", r.url, ["indexable page missing from the sitemap"])
    return out, listed


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
        _add(out, sev, "robots-location", "robots.txt",
             [f"the site is served under {parts.path.rstrip('/')}/, but crawlers only read "
              f"{parts.scheme}://{parts.netloc}/robots.txt: merge these rules and the Sitemap line into that file"])
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
        if 1 - (1 - threshold ** rows) ** bands >= 0.98:
            best = rows
    return bands, best


def near_duplicates(signatures: np.ndarray, ids: list[int], threshold: float
                    ) -> dict[int, tuple[int, float]]:
    """Each page's most similar page among its LSH candidates: {id: (other id, estimated Jaccard)}.

    `signatures` holds one MinHash per row (uint32, NUM_PERM columns) for the pages in `ids`.
    Linear in pages: pages are bucketed by bands of their signature; only pages that share a
    bucket are compared. Identical signatures are grouped first so that many identical pages
    cannot make one huge bucket.
    """
    from datasketch import LeanMinHash, MinHashLSH

    result: dict[int, tuple[int, float]] = {}
    if len(ids) < 2:
        return result
    groups: dict[bytes, list[int]] = defaultdict(list)
    for row in range(len(ids)):
        groups[signatures[row].tobytes()].append(row)
    reps = []
    for members in groups.values():
        reps.append(members[0])
        for m in members:
            if len(members) > 1:
                other = members[1] if m == members[0] else members[0]
                result[ids[m]] = (ids[other], 1.0)
    if len(reps) < 2:
        return result
    lsh = MinHashLSH(num_perm=NUM_PERM, params=lsh_params(threshold))

    def sketch(row: int) -> LeanMinHash:
        return LeanMinHash(seed=1, hashvalues=signatures[row], scheme="affine32")

    with lsh.insertion_session() as session:
        for row in reps:
            session.insert(row, sketch(row), check_duplication=False)
    rng = np.random.default_rng(0)
    for row in reps:
        cands = [c for c in lsh.query(sketch(row)) if c != row]
        if not cands:
            continue
        if len(cands) > MAX_CANDIDATES:
            cands = list(rng.choice(cands, MAX_CANDIDATES, replace=False))
        sims = (signatures[cands] == signatures[row]).mean(axis=1)
        k = int(np.argmax(sims))
        best = (ids[int(cands[k])], float(sims[k]))
        for m in groups[signatures[row].tobytes()]:
            if ids[m] not in result or result[ids[m]][1] < best[1]:
                result[ids[m]] = best
    return result


def unique_shares(samples: list[np.ndarray], boilerplate_share: float) -> list[float | None]:
    """Per page, the share of sampled shingles found on few pages (at most boilerplate_share of them).

    A shingle on more than that share of pages is site-wide boilerplate (template text, navigation,
    call to action). Computed with one sort of all samples: memory linear in pages.
    """
    n = len(samples)
    cutoff = max(1, int(boilerplate_share * n))
    lengths = np.array([len(s) for s in samples], dtype=np.int64)
    if not lengths.sum():
        return [None] * n
    every = np.concatenate(samples)
    values, counts = np.unique(every, return_counts=True)
    own = (counts[np.searchsorted(values, every)] <= cutoff).astype(np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    sums = np.add.reduceat(own, np.minimum(starts, len(own) - 1)) if len(own) else np.zeros(n)
    return [float(sums[i]) / lengths[i] if lengths[i] else None for i in range(n)]


# ---------------------------------------------------------------------------------------------
# Reading the site: walk, cache, parse in parallel


def walk(root: Path) -> tuple[list[str], set[str]]:
    """(HTML files, all files) as sorted site-relative POSIX paths, without following links."""
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
    return [f for f in every if f.endswith(".html")], set(every)


def _cache_params(cfg: Config) -> list:
    import datasketch

    return [AUDIT_VERSION, NUM_PERM, SHINGLE, SAMPLE_MASK, cfg.base_url, getattr(datasketch, "__version__", "")]


def load_cache(path: Path | None, cfg: Config) -> dict[str, PageRecord]:
    """rel path → cached record; empty when the cache is missing, unreadable or from other settings."""
    import msgpack

    if path is None or not path.exists():
        return {}
    try:
        with open(path, "rb") as f:
            data = msgpack.unpackb(f.read(), raw=False)
        if data.get("params") != _cache_params(cfg):
            return {}
        return {rel: PageRecord.from_list(v) for rel, v in data["pages"].items()}
    except (ValueError, TypeError, KeyError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError):
        return {}


def save_cache(path: Path, records: Iterable[PageRecord], cfg: Config) -> None:
    import msgpack

    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"params": _cache_params(cfg), "pages": {r.rel: r.to_list() for r in records}}
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(msgpack.packb(payload, use_bin_type=True))
    os.replace(tmp, path)


def _parse_chunk(args: tuple[str, str, list[tuple[str, str | None]]]) -> list[PageRecord | str]:
    """Worker: read each file; return its hash when it matches the cached one, else parse it."""
    root, base_url, items = args
    out: list[PageRecord | str] = []
    for rel, known in items:
        with open(os.path.join(root, rel), "rb") as f:
            data = f.read()
        digest = content_hash(data)
        out.append(digest if digest == known else parse_page(rel, data, base_url, digest))
    return out


def read_pages(root: Path, pages: list[str], cfg: Config, cache: dict[str, PageRecord],
               workers: int | None = None, known: dict[str, PageRecord] | None = None
               ) -> tuple[list[PageRecord], int]:
    """Records for every page, from the cache where the file is unchanged. Returns (records, parsed).

    `known` holds records the caller already made with parse_page from exactly the bytes of those
    files (the build parses the pages it renders while it still holds them): they are not read again.
    """
    known = known or {}
    items = [(rel, cache[rel].hash if rel in cache else None) for rel in pages if rel not in known]
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if len(items) >= 2000 else 1
    chunk = max(16, min(256, len(items) // (workers * 4) or 1))
    jobs = [(str(root), cfg.base_url, items[i:i + chunk]) for i in range(0, len(items), chunk)]
    if workers > 1 and len(jobs) > 1:
        _minhash(np.zeros(1, dtype=np.uint32))  # import and set up before forking, not once per worker
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            results = list(pool.map(_parse_chunk, jobs))
    else:
        results = [_parse_chunk(j) for j in jobs]
    read: dict[str, PageRecord | str] = {}
    for job, res in zip(jobs, results):
        for (rel, _), r in zip(job[2], res):
            read[rel] = r
    del results, jobs
    records: list[PageRecord] = []
    parsed = 0
    intern = sys.intern  # link targets repeat across pages: keep one copy of each
    for rel in pages:
        r = known[rel] if rel in known else read.pop(rel)
        if isinstance(r, str) or (rel in known and rel in cache and cache[rel].hash == r.hash):
            r = cache[rel]
        else:
            parsed += 1
        r.links = [intern(t) for t in r.links]
        records.append(r)
    return records, parsed


# ---------------------------------------------------------------------------------------------
# The audit


def audit_site(root: Path, cfg: Config, previous: dict | None = None, *, cache_file: Path | None = None,
               workers: int | None = None, known: dict[str, PageRecord] | None = None) -> AuditResult:
    """Audit the built site in `root`.

    `previous` maps URL → content hash of the previous build (see `AuditResult.hashes`); pages
    are then marked added or changed and removed ones listed. `cache_file` keeps parsed pages
    between runs, keyed by content hash.
    """
    t0 = time.perf_counter()
    root = Path(root)
    sev = _Severity(cfg)
    pages, files = walk(root)
    cache = load_cache(cache_file, cfg)
    records, parsed = read_pages(root, pages, cfg, cache, workers, known)
    unchanged = parsed == 0 and len(cache) == len(records)
    del cache
    t_read = time.perf_counter()
    if cache_file is not None and not unchanged:
        save_cache(cache_file, records, cfg)

    per_page: dict[str, list[Finding]] = defaultdict(list)
    findings: list[Finding] = []
    for r in records:
        findings += page_findings(r, cfg, sev)
    findings += duplicate_findings(records, sev)
    graph_findings, depth, inlinks, outlinks = link_graph(records, files, sev, cfg.audit.max_click_depth)
    findings += graph_findings
    sm, _ = sitemap_findings(root, records, cfg, sev)
    robots = root / "robots.txt"
    rb = robots_findings(robots.read_text(encoding="utf-8", errors="replace") if robots.exists() else None,
                         records, cfg, sev)
    t_site = time.perf_counter()

    # Text: near-duplicates and unique share, over content pages (not the 404 page).
    nearest, share_of = _text_results(records, cfg, cache_file)
    for r in records:  # what only the cache and the text checks needed
        r.minhash = r.sample = b""
        r.links = []
    for i, (j, sim) in nearest.items():
        if sim >= cfg.audit.near_duplicate_threshold:
            _add(findings, sev, "near-duplicate", records[i].url,
                 [f"{sim:.0%} similar to /{records[j].url} (estimated Jaccard of word shingles)"], records[i].noindex)
    for i, s in share_of.items():
        if s is not None and s < cfg.audit.min_unique_share:
            _add(findings, sev, "low-unique-share", records[i].url,
                 [(f"{s:.0%} of its text is its own (minimum {cfg.audit.min_unique_share:.0%}); the rest is "
                  "shared with many pages")], records[i].noindex)
    t_text = time.perf_counter()

    # Sitemap and robots findings that name a built page belong to that page; the rest to the site.
    current = {r.url for r in records}
    site = [f for f in sm + rb if f.url not in current]
    findings += [f for f in sm + rb if f.url in current]
    for f in findings:
        per_page[f.url].append(f)
    findings += site
    findings.sort(key=lambda f: (SEVERITIES.index(f.severity), f.check, f.url))

    rows: list[PageRow] = []
    for i, r in enumerate(records):
        near = nearest.get(i)
        rows.append(PageRow(
            url=r.url, file=r.rel, kind=kind_of(r.url), indexable=not r.noindex,
            title=r.titles[0] if r.titles else "", description=r.descriptions[0] if r.descriptions else "",
            words=r.words, unique_share=share_of.get(i), nearest=records[near[0]].url if near else "",
            similarity=near[1] if near else None, depth=int(depth[i]) if depth[i] >= 0 else None,
            inlinks=int(inlinks[i]), outlinks=int(outlinks[i]), hash=r.hash,
            findings=sorted(per_page.get(r.url, []), key=lambda f: (SEVERITIES.index(f.severity), f.check)),
        ))
    result = AuditResult(rows, findings, site)
    if previous is not None:
        compare(result, previous)
    result.stats = {
        "pages": len(records), "parsed": parsed, "cached": len(records) - parsed, "files": len(files),
        "seconds": time.perf_counter() - t0, "read_seconds": t_read - t0, "site_seconds": t_site - t_read,
        "text_seconds": t_text - t_site, "lsh_params": lsh_params(cfg.audit.near_duplicate_threshold),
    }
    return result


def _text_results(records: list[PageRecord], cfg: Config, cache_file: Path | None
                  ) -> tuple[dict[int, tuple[int, float]], dict[int, float | None]]:
    """Nearest page and unique-text share of every content page.

    Both depend on every page at once; when no page changed since the last audit, the previous
    answers are reused from a small file next to the page cache.
    """
    import msgpack

    content = [i for i, r in enumerate(records) if not r.parse_error and kind_of(r.url) != "404"]
    a = cfg.audit
    key = hashlib.blake2b(repr([AUDIT_VERSION, NUM_PERM, MIN_SHINGLES, SAMPLE_MASK, a.near_duplicate_threshold,
                                a.boilerplate_share]).encode(), digest_size=16)
    for i in content:
        key.update(f"{records[i].rel}\0{records[i].hash}\n".encode())
    digest = key.hexdigest()
    path = cache_file.with_name(cache_file.name + ".text") if cache_file is not None else None
    if path is not None and path.exists():
        try:
            saved = msgpack.unpackb(path.read_bytes(), raw=False)
            if saved.get("key") == digest:
                index = {records[i].rel: i for i in content}
                nearest = {index[a_]: (index[b_], sim) for a_, b_, sim in saved["near"]}
                return nearest, dict(zip(content, saved["share"]))
        except (ValueError, TypeError, KeyError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError):
            pass
    comparable = [i for i in content if records[i].shingles >= MIN_SHINGLES and records[i].minhash]
    signatures = (np.frombuffer(b"".join(records[i].minhash for i in comparable), dtype=np.uint32)
                  .reshape(len(comparable), NUM_PERM)) if comparable else np.zeros((0, NUM_PERM), np.uint32)
    nearest = near_duplicates(signatures, comparable, a.near_duplicate_threshold)
    del signatures
    shares = unique_shares([np.frombuffer(records[i].sample, dtype=np.uint32) for i in content], a.boilerplate_share)
    share_of = {i: (s if records[i].shingles >= MIN_SHINGLES else None) for i, s in zip(content, shares)}
    if path is not None:
        payload = {"key": digest, "near": [[records[i].rel, records[j].rel, sim] for i, (j, sim) in nearest.items()],
                   "share": [share_of[i] for i in content]}
        tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
        tmp.write_bytes(msgpack.packb(payload, use_bin_type=True))
        os.replace(tmp, path)
    return nearest, share_of


def compare(result: AuditResult, previous: dict[str, str]) -> None:
    """Mark pages added or changed since a build whose URL → hash map is `previous`; list removed ones."""
    result.has_previous = True
    for p in result.pages:
        p.change = "added" if p.url not in previous else "changed" if previous[p.url] != p.hash else ""
    current = {p.url for p in result.pages}
    result.added = [p.url for p in result.pages if p.change == "added"]
    result.changed = [p.url for p in result.pages if p.change == "changed"]
    result.removed = sorted(u for u in previous if u not in current)
