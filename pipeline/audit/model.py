"""What the audit works with: page records, rows, findings, the check ids and their meanings."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import NamedTuple

# Bump when what a PageRecord holds or how it is computed changes: old caches are then ignored.
AUDIT_VERSION = 7
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
    "renderer-record": ("error", "the build's own record of a page differs from the page's HTML parsed back"),
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
    "low-unique-share": ("warning", "little of the page's text is its own rather than text found on several pages"),
    "description-cut": ("warning", "the meta description ends in an ellipsis: it was cut off"),
    "link-noindex": ("warning", "an indexable page links to pages that carry noindex"),
    "hub-no-approved": ("warning", "a topic hub links to no approved (indexable) pair page: a thin guide"),
    "inlinks-from-noindex": ("warning", "an indexable page linked only from noindex pages"),
    "jsonld-mismatch": ("warning", "structured data that does not fit the page (MedicalWebPage on a non-medical page)"),
    "favicon-missing": ("warning", "pages declare no favicon, so browsers request /favicon.ico and get a 404"),
    "og-image-missing": ("warning", "an indexable page has no og:image for social cards"),
    "og-image-broken": ("warning", "a page's og:image is not in the site, or not a 1200×630 image"),
    "source-untitled": ("info", "a cited source has no title: shown as a bare link"),
    "reviewer-missing": ("warning", "YMYL: an approved page names no qualified person as its reviewer"),
}
# check id -> (priority, why it matters, how to fix it). Priority 1 = fix first, 2 = next, 3 = when there is time;
# a finding on a noindex page is one step lower (see finding_priority).
GUIDE: dict[str, tuple[int, str, str]] = {
    "renderer-record": (
        1,
        "During a build the audit judges the pages by the records the renderer makes of them; a sample is parsed back to prove them. A difference means the audit may have judged other pages wrongly too.",
        "Run `python -m pipeline audit` (it parses every page) for the true findings, and fix site/facts.py's scan for the markup the message names.",
    ),
    "parse-failed": (
        1,
        "A page the HTML parser cannot read is a page search engines may not read either.",
        "Open the file, find the markup error (an unclosed tag, stray bytes) and fix the template or data that produced it.",
    ),
    "lang-missing": (
        2,
        "Screen readers and search engines use the language to pronounce and to match queries.",
        "Set `language` in site.toml; templates/_base.html writes it on <html lang>.",
    ),
    "title-missing": (
        1,
        "The title is the link text of every search result; without exactly one, engines make one up.",
        "Every template sets `page.title` once; check the template that made the page.",
    ),
    "title-length": (
        3,
        "Titles much shorter than the range waste the result; longer ones are cut off with an ellipsis.",
        "Shorten long topic names with an `abbreviation` in topics.csv, or adjust title_min/title_max in [audit].",
    ),
    "title-duplicate": (
        2,
        "Two pages with one title compete for the same search and look like duplicates.",
        "Give one page a distinct title (a `title` override in pairs.csv where available), or merge the pages.",
    ),
    "description-missing": (
        2,
        "Without a meta description the search snippet is whatever text the engine picks.",
        "Every template writes `page.description`; check the context that made the page.",
    ),
    "description-length": (
        3,
        "Snippets much shorter waste the result; longer ones are cut off.",
        "Write a `description` override in pairs.csv, or adjust description_min/description_max in [audit].",
    ),
    "description-duplicate": (
        3,
        "Identical snippets make pages indistinguishable in results.",
        "Write a distinct `description` override for one of the pages.",
    ),
    "description-cut": (
        2,
        "A description that ends in an ellipsis was cut mid-thought: the snippet reads unfinished and looks machine-made.",
        "Describe the page in a complete sentence that fits 120–160 characters (a `description` override in pairs.csv), never a truncated one.",
    ),
    "h1-count": (
        2,
        "The h1 names the page for readers and engines; none or several is ambiguous.",
        "Keep exactly one <h1> in the page template.",
    ),
    "heading-order": (
        3,
        "Skipped heading levels break the outline screen-reader users navigate by.",
        "Use h2 after h1, h3 after h2, in the template.",
    ),
    "canonical": (
        1,
        "A wrong canonical tells engines to index another URL instead of this one.",
        "Check base_url in site.toml; every page's canonical is base_url + its URL.",
    ),
    "jsonld-invalid": (
        2,
        "Structured data that does not parse is ignored: no rich results, no reviewer or citation data.",
        "Find the template or data value that breaks the JSON; content/structured.py escapes values, so look for hand-written JSON.",
    ),
    "jsonld-types": (
        2,
        "Engines use @type to decide what the page is; missing types lose breadcrumbs and page data.",
        "Pair pages need a WebPage type and BreadcrumbList; see content/structured.py.",
    ),
    "jsonld-mismatch": (
        2,
        "MedicalWebPage claims medical content; on a page about no medical topic it misleads engines and can hurt trust in the whole site.",
        "Use MedicalWebPage only for pages about a medical condition (a topic of kind `condition`); WebPage or Article otherwise.",
    ),
    "link-broken": (
        1,
        "A link to a page that was not built (or is not published) is a dead end for readers and crawlers.",
        "Link only to published pages; a draft that moved to the preview tree must not be linked from the public site.",
    ),
    "link-text": (
        3,
        "'Click here' says nothing to screen-reader users or engines about the target.",
        "Use link text that names the target page.",
    ),
    "link-noindex": (
        1,
        "Links from indexable pages to noindex pages send readers to unreviewed drafts and pass link equity to pages that will never rank; long-lived noindex pages come to be treated as nofollow, so that equity is lost.",
        "Link from hubs, related links and the home page only to approved pages; publish drafts in the preview tree instead of the public site.",
    ),
    "hub-no-approved": (
        2,
        "A hub is the topic's guide and the way in to its pairs; one that leads to no indexable pair page gives readers only the definition and passes its link equity to nothing that can rank: a thin page that search engines weigh against the site.",
        "Write and approve one of the topic's pairs (`make queue` lists the best candidates first), so the guide leads somewhere; until then it stands on its definition, effects and strategies.",
    ),
    "img-alt": (
        2,
        "Images without alt text are invisible to screen-reader users and to image search.",
        'Add an alt attribute (empty alt="" for decoration).',
    ),
    "orphan": (
        1,
        "No page links here: readers cannot find it and crawlers may never find it.",
        "Link it from its topic hubs or related links, or remove it.",
    ),
    "inlinks-from-noindex": (
        2,
        "Every link to this indexable page comes from noindex pages, which pass little or nothing: in practice it is an orphan.",
        "Link it from indexable pages: its topics' hubs, the home page or related approved pages.",
    ),
    "no-outlinks": (
        3,
        "A page that links nowhere is a dead end for readers and for crawling.",
        "Add related links or breadcrumbs in the template.",
    ),
    "unreachable": (1, "Crawlers that start at the home page never reach it.", "Link it from a hub or the index."),
    "click-depth": (
        3,
        "Pages many clicks from home are crawled less and seem less important.",
        "Link it from a hub or the home page; raise max_click_depth only if the structure is deliberate.",
    ),
    "sitemap-missing": (
        1,
        "Without the sitemap engines discover pages only by crawling.",
        "The build writes sitemap.xml; check that the output was deployed whole.",
    ),
    "sitemap-invalid": (
        1,
        "A sitemap that breaks the protocol is ignored.",
        "Regenerate it with a build; keep each file under 50,000 URLs and 50 MB.",
    ),
    "sitemap-not-built": (
        1,
        "The sitemap promises URLs that return 404.",
        "Rebuild: the sitemap lists exactly the built indexable pages.",
    ),
    "sitemap-noindex": (
        1,
        "Listing a noindex page sends engines contradictory signals.",
        "Only approved pages belong in the sitemap.",
    ),
    "sitemap-omitted": (
        2,
        "Indexable pages missing from the sitemap are found later, if at all.",
        "The build lists every indexable page; check for pages written outside the build.",
    ),
    "sitemap-not-canonical": (
        2,
        "The sitemap lists a URL whose canonical points elsewhere.",
        "List canonical URLs only.",
    ),
    "robots-missing": (
        2,
        "Without robots.txt crawlers get a 404 and no pointer to the sitemap.",
        "Deploy robots.txt at the host's root.",
    ),
    "robots-no-sitemap": (3, "robots.txt is where crawlers look for the sitemap.", "Add a `Sitemap:` line."),
    "robots-location": (
        2,
        "Crawlers read robots.txt only at the host's root; rules under a path are never seen.",
        "Merge the rules and the Sitemap line into the host's root robots.txt (see deploy/).",
    ),
    "robots-blocks-noindex": (
        1,
        "A disallowed page is never fetched, so its noindex is never seen and the URL can still be indexed.",
        "Allow crawling of noindex pages; noindex does the excluding.",
    ),
    "robots-blocks-indexable": (
        1,
        "A page meant to rank is blocked from crawling.",
        "Remove the Disallow rule that matches it.",
    ),
    "thin-content": (
        2,
        "Pages with little main text rarely satisfy a reader or rank.",
        "Add an editor's text on how the two topics connect, or keep the page out of the index.",
    ),
    "near-duplicate": (
        2,
        "Nearly identical pages compete with each other and look mass-produced.",
        "Write page-specific text (an editor's relationship), or keep the page out of the index or reject the pair.",
    ),
    "low-unique-share": (
        2,
        "Most of the page is text found on many other pages (definitions, shared wording), so it adds little of its own.",
        "Add an editor's own text for the pair; until then keep it out of the index.",
    ),
    "favicon-missing": (
        3,
        "Browsers request /favicon.ico on every page and log a 404; tabs, bookmarks and results show a blank icon.",
        'Add an icon (SVG plus PNG sizes) and <link rel="icon"> to the base template.',
    ),
    "og-image-missing": (
        3,
        "Shared links without og:image show as a bare text card on social sites and in messengers.",
        "Give every published page an og:image (a 1200×630 card).",
    ),
    "og-image-broken": (
        3,
        "A shared link whose og:image is missing shows no picture; one of another size is cropped or shown small.",
        "Build again (the build draws each published page's card); an og:image of the site's own must be a 1200×630 file in it.",
    ),
    "source-untitled": (
        3,
        "A source shown as a bare link or DOI cannot be judged by a reader; health content is trusted on its evidence.",
        "Add the source's title, authors, year and journal to data/sources.csv, or run `python -m pipeline sources --fetch` for DOIs.",
    ),
    "reviewer-missing": (
        1,
        "YMYL: health pages are judged by who stands behind them. An approved page with no named, qualified reviewer (only an organisation, or nobody) lacks the expertise signal search engines and readers look for.",
        "Add the reviewer to data/people.csv with their credentials and put their id in the pair's reviewed_by.",
    ),
}

PRIORITIES = {1: "Fix first", 2: "Next", 3: "Later"}


def finding_priority(check: str, severity: str, noindex: bool = False) -> int:
    """1 (fix first) to 3: the check's own priority, never above 3 for info, one step lower on a noindex page."""
    p = GUIDE[check][0]
    if severity == "info":
        p = 3
    if noindex:
        p = min(3, p + 1)
    return p


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
    page_type: str = ""  # the JSON-LD @type of the page itself (the one ending in "Page")
    about_types: list[str] = field(default_factory=list)  # @types of what the page is `about`
    reviewer_type: str = ""  # @type of its `reviewedBy` ("Person", "Organization"; "" for none)
    untitled_sources: list[str] = field(default_factory=list)  # citations without a name (title)
    icon: bool = False  # declares <link rel="icon">
    og_image: str = ""  # the first non-empty og:image, as written
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
    finding_keys: dict | None = None  # check → URLs of its findings, set by the report (pipeline.report.priorities)
    categories: dict[str, str] = field(default_factory=dict)  # hub URL → its topic's category (audit.taxonomy)

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
