"""Site-wide checks over the stored records: duplicates, the link graph and click depth, sitemap, robots.txt."""

from __future__ import annotations

import re
from array import array
from collections import defaultdict
from collections.abc import Container, Sequence
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import numpy as np

from pipeline.audit.model import Finding, PageRecord
from pipeline.audit.page_checks import _add, _Severity
from pipeline.audit.parse import _KIND_CODE, file_of, kind_of
from pipeline.audit.store import _DESC_ONE, _ERROR, _NOINDEX, _TITLE_ONE, RecordStore, _run_offsets, _run_starts
from pipeline.config import Config

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
    target_pos = _target_positions(store, pos, files)
    # Every link once, in the store's order (no copy of the link column): the position of the page it
    # is on and of the page it reaches. int32 throughout (fewer than 2**31 pages and links).
    ends = np.frombuffer(store.link_end, dtype=np.int64) if len(store.link_end) else np.zeros(0, np.int64)
    link_ids = np.frombuffer(store.links, dtype=np.int32) if len(store.links) else np.zeros(0, np.int32)
    src_all = np.repeat(pos.astype(np.int32), np.diff(ends, prepend=0))  # -1: a page outside the site
    reach_pos = target_pos.astype(np.int32)[link_ids] if len(link_ids) else np.zeros(0, np.int32)
    keep = (reach_pos >= 0) & (reach_pos != src_all) & (src_all >= 0)
    src, dst = src_all[keep], reach_pos[keep]
    del keep
    out = _broken_links(store, order, src_all, link_ids, reach_pos, sev)
    del src_all, link_ids, reach_pos
    outlinks = np.bincount(src, minlength=n).astype(np.int32)
    inlinks = np.bincount(dst, minlength=n).astype(np.int32)
    noindex = (np.frombuffer(store.flags, dtype=np.uint8)[o] & _NOINDEX) > 0 if n else np.zeros(0, dtype=bool)
    from_indexable = ~noindex[src]
    indexable_in = np.bincount(dst[from_indexable], minlength=n).astype(np.int32)  # what counts for ranking
    out += _noindex_links(
        store, order, src[from_indexable & noindex[dst]], dst[from_indexable & noindex[dst]], outlinks, sev
    )
    home_i = store.index.get("index.html")
    home = int(pos[home_i]) if home_i is not None and pos[home_i] >= 0 else None
    depth = click_depths(src, dst, outlinks, home) if home is not None and n else np.full(n, -1, dtype=np.int64)
    del src, dst
    links = _Links(inlinks, outlinks, indexable_in, noindex, depth)
    out += _reach_findings(store, order, links, sev, max_depth)
    return out, depth, indexable_in, outlinks


def _target_positions(store: RecordStore, pos: np.ndarray, files: Container[str]) -> np.ndarray:
    """Each distinct link target once: the page position it reaches, -1 a built file that is not a page, -2 broken."""
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
    return target_pos


def _broken_links(
    store: RecordStore,
    order: Sequence[int],
    src_all: np.ndarray,
    link_ids: np.ndarray,
    reach_pos: np.ndarray,
    sev: _Severity,
) -> list[Finding]:
    """link-broken: page by page in the pages' order, each page's links to files not built in its link order."""
    out: list[Finding] = []
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
    return out


class _Links(NamedTuple):
    """Per page position: links in and out, links in from indexable pages, noindex, clicks from home (-1: none)."""

    inlinks: np.ndarray
    outlinks: np.ndarray
    indexable_in: np.ndarray
    noindex: np.ndarray
    depth: np.ndarray


def _reach_findings(
    store: RecordStore, order: Sequence[int], links: _Links, sev: _Severity, max_depth: int
) -> list[Finding]:
    """Orphans, unreachable and deep pages, dead ends, and indexable pages only noindex pages link to."""
    out: list[Finding] = []
    inlinks, depth = links.inlinks, links.depth
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
        if links.outlinks[p] == 0:
            _add(out, sev, "no-outlinks", url or store.url(i), ["links to no other page of the site"])
        if k != _KIND_CODE["home"] and inlinks[p] and not links.indexable_in[p] and not links.noindex[p]:
            message = f"all {int(inlinks[p]):,} links to this indexable page come from noindex pages"
            _add(out, sev, "inlinks-from-noindex", url or store.url(i), [message])
    return out


def _noindex_links(
    store: RecordStore, order: Sequence[int], src: np.ndarray, dst: np.ndarray, outlinks: np.ndarray, sev: _Severity
) -> list[Finding]:
    """link-noindex: each indexable page that links to noindex pages, with how many and the first one."""
    out: list[Finding] = []
    if not len(src):
        return out
    pages, first, counts = np.unique(src, return_index=True, return_counts=True)
    for p, f, c in zip(pages.tolist(), first.tolist(), counts.tolist()):
        example = store.url(order[int(dst[f])])
        _add(
            out,
            sev,
            "link-noindex",
            store.url(order[p]),
            [f"links to {c:,} noindex page(s) among its {int(outlinks[p]):,} internal links, such as /{example}"],
        )
    return out


def hub_findings(store: RecordStore, order: Sequence[int], sev: _Severity) -> list[Finding]:
    """hub-no-approved: each topic hub none of whose links reaches an indexable pair page (a thin
    guide), with how many pair pages it links to instead. Reads the store's links: call it before
    RecordStore.drop_links."""
    out: list[Finding] = []
    hub, pair = _KIND_CODE["hub"], _KIND_CODE["pair"]
    kinds, flags, ends = store.kind, store.flags, store.link_end
    indexable: dict[int, bool] = {}  # link target id → an indexable pair page of the site

    def approved(t: int) -> bool:
        if t not in indexable:
            j = store.index.get(file_of(store.target_list[t]))
            indexable[t] = j is not None and kinds[j] == pair and not flags[j] & (_NOINDEX | _ERROR)
        return indexable[t]

    for i in order:
        if kinds[i] != hub or flags[i] & _ERROR:
            continue
        targets = store.links[ends[i - 1] if i else 0 : ends[i]]
        if any(approved(t) for t in targets):
            continue
        pairs = sum(1 for t in targets if kind_of(store.target_list[t]) == "pair")
        what = f"its {pairs:,} pair link(s) all go to pages not indexed" if pairs else "it links to no pair page"
        message = f"links to no approved (indexable) pair page: {what}"
        _add(out, sev, "hub-no-approved", store.url(i), [message], bool(flags[i] & _NOINDEX))
    return out


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
    checked = _SitemapCheck(root, store, order, cfg.base_url, sev)
    if kind == "sitemapindex":
        out += _read_sitemap_files(root, locs, cfg.base_url, checked, sev)
    elif kind == "urlset":
        checked("sitemap.xml", locs)
    else:
        _add(out, sev, "sitemap-invalid", "sitemap.xml", [f"root element is <{kind}>"])
    del locs
    return out + checked.found + checked.omitted()


def _read_sitemap_files(
    root: Path, locs: list[str], base_url: str, check: _SitemapCheck, sev: _Severity
) -> list[Finding]:
    """Read and check each sitemap file the index lists; what reading them brings up (the index's own findings)."""
    from lxml import etree

    out: list[Finding] = []
    for loc in locs:
        rel = _local(loc, base_url)
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
    return out


class _SitemapCheck:
    """Checks each sitemap file's URLs as it is read (`found`), and remembers which audited pages were listed."""

    def __init__(self, root: Path, store: RecordStore, order: Sequence[int], base_url: str, sev: _Severity):
        self.root, self.store, self.order, self.base_url, self.sev = root, store, order, base_url, sev
        # Position in `order` of each store row (-1: not audited), and which positions a sitemap lists:
        # 8 bytes and 1 byte a page instead of a dict and a set of int objects.
        self.pos = array("q", [-1]) * len(store)
        for p, i in enumerate(order):
            self.pos[i] = p
        self.listed = bytearray(len(order))
        self.found: list[Finding] = []

    def page_at(self, url: str) -> int | None:
        """Store index of the audited page serving `url`, if any."""
        i = self.store.index.get(file_of(url))
        return i if i is not None and self.pos[i] >= 0 and self.store.url(i) == url else None

    def __call__(self, rel: str, sub_locs: list[str]) -> None:
        found, sev, store = self.found, self.sev, self.store
        if len(sub_locs) > 50_000 or (self.root / rel).stat().st_size > 50 * 1024 * 1024:
            message = f"{len(sub_locs):,} URLs / over the limit of 50,000 URLs or 50 MB"
            _add(found, sev, "sitemap-invalid", rel, [message])
        for loc in sub_locs:
            url = _local(loc, self.base_url)
            i = self.page_at(url) if url is not None else None
            if i is None:
                where = url if url is not None else loc
                _add(found, sev, "sitemap-not-built", where, [f"{rel} lists {loc}, which is not a built page"])
                continue
            self.listed[self.pos[i]] = 1
            canonical = store.canonical(i)
            if store.flags[i] & _NOINDEX:
                _add(found, sev, "sitemap-noindex", url, [f"{rel} lists this page, which carries noindex"])
            elif canonical is not None and canonical != loc:
                message = f"{rel} lists {loc} but its canonical is {canonical}"
                _add(found, sev, "sitemap-not-canonical", url, [message])

    def omitted(self) -> list[Finding]:
        """sitemap-omitted: every indexable page (not the 404 page, not one with errors) no sitemap listed."""
        out: list[Finding] = []
        flags, kinds = self.store.flags, self.store.kind
        for p, i in enumerate(self.order):
            if not flags[i] & (_NOINDEX | _ERROR) and kinds[i] != _KIND_CODE["404"] and not self.listed[p]:
                _add(out, self.sev, "sitemap-omitted", self.store.url(i), ["indexable page missing from the sitemap"])
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
    parts = urlsplit(cfg.base_url)
    if parts.path.strip("/"):
        # Crawlers read robots.txt only at the host's root: the build writes the lines it needs
        # (the Sitemap line) to deploy/robots-root.txt instead of a robots.txt nobody reads.
        _add(
            out,
            sev,
            "robots-location",
            "robots.txt",
            [
                f"the site is served under {parts.path.rstrip('/')}/, where crawlers never read a robots.txt: "
                f"add the lines of deploy/robots-root.txt to {parts.scheme}://{parts.netloc}/robots.txt"
            ],
        )
        if text is None:
            return out
    elif text is None:
        _add(out, sev, "robots-missing", "robots.txt", ["robots.txt is missing"])
        return out
    if not any(line.lower().startswith("sitemap:") for line in (s.strip() for s in text.splitlines())):
        _add(out, sev, "robots-no-sitemap", "robots.txt", ["robots.txt does not name the sitemap"])
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


# The size of a social card that sites show whole (Open Graph's recommended 1.91:1).
OG_IMAGE_SIZE = (1200, 630)


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) of an image file, None when it is missing or not an image. A PNG's header is
    read directly (24 bytes); other formats through Pillow, which reads only their header too."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return None
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    try:
        from PIL import Image

        with Image.open(path) as img:
            return img.size
    except (OSError, ValueError):
        return None


def og_image_findings(root: Path, store: RecordStore, order: Sequence[int], sev: _Severity) -> list[Finding]:
    """og-image-broken: a page's og:image names a file of the site that is not there, or is not 1200×630."""
    sizes: dict[str, tuple[int, int] | None] = {}
    out: list[Finding] = []
    for i in order:
        target = store.og.get(i)
        if target is None:
            continue
        if target not in sizes:
            sizes[target] = image_size(root / file_of(target)) if target and not target.endswith("/") else None
        size = sizes[target]
        if size is None:
            message = f"og:image /{target} is not an image file of the site"
        elif size != OG_IMAGE_SIZE:
            message = f"og:image /{target} is {size[0]}×{size[1]}, not {OG_IMAGE_SIZE[0]}×{OG_IMAGE_SIZE[1]}"
        else:
            continue
        _add(out, sev, "og-image-broken", store.url(i), [message], bool(store.flags[i] & _NOINDEX))
    return out
