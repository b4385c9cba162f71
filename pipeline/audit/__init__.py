"""SEO audit of a built site, read the way a crawler reads it.

Two phases. Each HTML file is parsed once (lxml) into a small `PageRecord`: head tags, headings,
JSON-LD types, resolved internal links, word count, a MinHash of its text shingles and a sample of
shingle hashes. Records are cached by content hash (`reports/.audit-cache.msgpack`), so an
unchanged page is never parsed again, and are made in worker processes when there are many.
During a build, the pages the build renders reach the audit as records the renderer made of the
HTML in hand (site/facts.py, judged element by element by the same `RecordBuilder` as parse_page),
a fixed sample of them parsed back to prove it ("renderer-record"); the `audit` command parses
every page those records describe again, so it stays a crawler of the written files.
Then the site-wide checks run over the records only: duplicates, the link graph (orphans, click
depth by breadth-first search), sitemap and robots.txt, near-duplicates (MinHash with
datasketch's affine32 permutations, drawn with numpy, and LSH banding, linear in pages) and each page's unique-text share (shingle document frequencies).

Findings are data: `Finding(check, severity, url, message)`. Thresholds and severities come from
`[audit]` in site.toml.
"""

# The audit is split by concern: model (records, findings, check ids), parse (one page), store
# (compact columns of every page), page_checks, site_checks (duplicates, link graph, sitemap,
# robots.txt), similarity (near-duplicates, own-text share), crawl (walk, cache, parallel parsing)
# and run (audit_site). These names are its public face.

from pipeline.audit.crawl import read_pages
from pipeline.audit.model import (
    _WORDS,
    CACHE_NAME,
    CHECKS,
    NUM_PERM,
    SEVERITIES,
    SHINGLE,
    AuditResult,
    Finding,
    PageRow,
)
from pipeline.audit.page_checks import _Severity, page_findings
from pipeline.audit.parse import (
    RecordBuilder,
    _folder_parents,
    _minhash,
    _permutations,
    _resolve_on_page,
    content_hash,
    file_of,
    parse_page,
    resolve,
    shingle_hashes,
    stat_key,
    text_fingerprint,
    text_words,
)
from pipeline.audit.run import audit_site, compare
from pipeline.audit.similarity import (
    _identical_rows,
    _Signatures,
    _unique_shares,
    lsh_params,
    near_duplicates,
    page_shares,
)
from pipeline.audit.site_checks import click_depths, robots_allows, robots_findings, robots_rules
from pipeline.audit.store import RecordStore, Spill

__all__ = [
    "AuditResult",
    "CACHE_NAME",
    "CHECKS",
    "Finding",
    "NUM_PERM",
    "PageRow",
    "RecordBuilder",
    "RecordStore",
    "SEVERITIES",
    "SHINGLE",
    "Spill",
    "_Severity",
    "_Signatures",
    "_WORDS",
    "_folder_parents",
    "_identical_rows",
    "_minhash",
    "_permutations",
    "_resolve_on_page",
    "_unique_shares",
    "audit_site",
    "click_depths",
    "compare",
    "content_hash",
    "file_of",
    "lsh_params",
    "near_duplicates",
    "page_findings",
    "page_shares",
    "parse_page",
    "read_pages",
    "resolve",
    "robots_allows",
    "robots_findings",
    "robots_rules",
    "shingle_hashes",
    "stat_key",
    "text_fingerprint",
    "text_words",
]
