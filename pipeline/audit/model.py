"""What the audit works with: page records, rows, findings, the check ids and their meanings."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import NamedTuple

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
    "robots-location": ("warning", "crawlers read robots.txt only at the host's root, not under the base URL's path"),
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
        if not isinstance(self.pages, list):  # a PageRows view over the record store
            return dict(self.pages.url_hashes())
        return {p.url: p.hash for p in self.pages}

    def indexable(self) -> int:
        """How many pages may be indexed."""
        if not isinstance(self.pages, list):  # a PageRows view over the record store
            return self.pages.indexable_count()
        return sum(1 for p in self.pages if p.indexable)
