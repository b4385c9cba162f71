"""What a build keeps of the pages it made (never the pages themselves), and what it reports."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import urls
from pipeline.data.validate import STATUSES


@dataclass(slots=True)
class PageSummary:
    """What the build keeps of each written page (never the page itself)."""

    url: str
    kind: str
    status: str
    updated_on: str
    words: int = 0
    own_share: float = 1.0
    a: str = ""
    b: str = ""


class PairSummary:
    """A PageSummary of a pair page, without the URL string (made from the two slugs when asked)
    or a kind slot: half a PageSummary's memory, which counts at half a million pages."""

    __slots__ = ("a", "b", "status", "updated_on", "words", "own_share")
    kind = "pair"

    def __init__(self, a: str, b: str, status: str, updated_on: str, words: int, own_share: float):
        self.a, self.b, self.status, self.updated_on = a, b, status, updated_on
        self.words, self.own_share = words, own_share

    @property
    def url(self) -> str:
        return urls.pair_url(self.a, self.b)


@dataclass
class BuildResult:
    pages: list[PageSummary | PairSummary] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    out: Path = Path("output")
    removed: list[str] = field(default_factory=list)  # pages of the previous site this build no longer has
    redirected: dict[str, str] = field(default_factory=dict)  # old URL → new URL, for renamed topics
    gone: dict[str, str | None] = field(default_factory=dict)  # removed URL → hub, home ("") or None (410)
    # What changed since the last build, in an editor's terms (empty on a first build):
    added: list[str] = field(default_factory=list)  # pages the previous site did not have
    now_indexable: list[str] = field(default_factory=list)  # pages it had, out of its sitemap, now in this one's
    not_indexable: list[str] = field(default_factory=list)  # pages in its sitemap, still here, now out of it
    review_stale: list[tuple[str, str]] = field(default_factory=list)  # approved pages whose inputs changed: why
    sameness: Any = None  # content.sameness.Sameness of this build's drafts (None when nothing was built)
    rendered: int = 0  # pair pages rendered by this build
    cards: int = 0  # social cards drawn by this build (new titles; the others come from the build cache)
    reused: int = 0  # pair pages hard-linked unchanged from the previous output
    unchanged: bool = False  # nothing changed since the last build: the output was left as it was
    # With build(audit_records=True): an audit.RecordStore of each pair page rendered, parsed
    # in the workers from the bytes they wrote; handed to after_write, then dropped.
    audit_records: Any = field(default_factory=dict, repr=False)

    def by_status(self) -> Counter:
        return Counter(p.status for p in self.pages if p.kind == "pair")


def summaries_from_manifest(m: dict[str, Any]) -> BuildResult:
    """The result of the last build, rebuilt from its manifest (for a build where nothing changed)."""
    result = BuildResult()
    slugs = m["slugs"]
    n = len(slugs)
    status, words, own, updated, dates = m["status"], m["words"], m["own"], m["updated"], m["dates"]
    k = 0
    for i in range(n):
        a = slugs[i]
        for j in range(i + 1, n):
            code = status[k]
            if code < 0:
                result.rejected.append(urls.pair_url(a, slugs[j]))
            else:
                result.pages.append(
                    PairSummary(a, slugs[j], STATUSES[code], dates[updated[k]], int(words[k]), float(own[k]))
                )
            k += 1
    result.pages.sort(key=lambda p: p.url)
    result.pages.extend(PageSummary(*p) for p in m["other_pages"])
    result.redirected = dict(m.get("redirected", {}))
    result.sameness = m.get("sameness")
    for url in sorted(m["warnings"]):
        result.warnings.extend(m["warnings"][url])
    return result
