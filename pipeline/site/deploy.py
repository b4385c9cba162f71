"""deploy/: what the host needs and must not serve (redirects of reversed pair URLs and renamed
topics, removed pages' targets or 410, the 404 rule, root robots.txt lines), each file replaced whole."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pipeline import urls
from pipeline.data.pairs import PUBLISHED
from pipeline.site.history import GONE_FILE, Removals, gone_text, previous_gone, rename_redirects
from pipeline.site.inputs import Inputs
from pipeline.site.result import BuildResult, PairSummary
from pipeline.site.sitemap import DEPLOY_FILES, host_files, redirect_lines
from pipeline.site.write import replace_file


def deploy_files(inputs: Inputs, result: BuildResult, write_lines, deploy: Path) -> None:
    """The host's files, kept out of the public tree: redirects of the published pages (reversed pair
    URLs, renamed topics), the 404 rule and, when the site lives under a path, the lines for the
    host's root robots.txt. Written through `write_lines(rel, lines)` as they are made."""
    cfg = inputs.cfg
    pairs = in_url_order([p for p in result.pages if p.kind == "pair" and p.status in PUBLISHED])
    renames: list[tuple[str, str]] = []
    if "old_slugs" in inputs.topics.columns and any(inputs.topics["old_slugs"]):
        taken = {p.url for p in result.pages} | {urls.pair_url(p.b, p.a) for p in pairs}
        renames = rename_redirects(inputs.topics, [(p.a, p.b, p.url) for p in pairs], taken)
    result.redirected = dict(renames)
    result.gone = removed_targets(inputs, result, deploy)
    if result.gone:
        write_lines(GONE_FILE, (gone_text(result.gone),))
    for rel, lines in redirect_lines(cfg.base_url, _Redirects(pairs, renames), result.gone).items():
        write_lines(rel, lines)
    for rel, text in host_files(cfg.base_url).items():
        write_lines(rel, (text,))


def removed_targets(inputs: Inputs, result: BuildResult, deploy: Path) -> dict[str, str | None]:
    """The public site's pages this build drops (result.removed, drafts again included), and where
    each of their URLs goes now, with the URLs earlier builds removed (deploy/gone.txt): a topic's
    hub, the home page or 410 Gone."""
    live = {p.url for p in result.pages if p.status in PUBLISHED}
    earlier = previous_gone(deploy)
    if not result.removed and not earlier:
        return {}
    removals = Removals.of(inputs.topics)
    urls_gone = (set(result.removed) | set(earlier)) - live - set(result.redirected)
    return {u: removals.target(u) for u in sorted(urls_gone)}


def in_url_order(pairs: list[PairSummary]) -> list[PairSummary]:
    """`pairs` sorted by URL: the list itself when it already is (the callers sort their pages)."""
    previous = ""
    for p in pairs:
        url = p.url
        if url < previous:
            return sorted(pairs, key=lambda p: p.url)
        previous = url
    return pairs


class _Redirects:
    """The site's redirects, made each time they are read: every pair page's reversed URL (in URL
    order), then those of renamed topics."""

    def __init__(self, pairs: list[PairSummary], renames: list[tuple[str, str]]):
        self.pairs, self.renames = pairs, renames

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for p in self.pairs:
            yield urls.pair_url(p.b, p.a), p.url
        yield from self.renames


def write_deploy(inputs: Inputs, result: BuildResult, deploy: Path) -> None:
    """deploy/: each file replaced whole (files that the build no longer makes are removed)."""
    deploy.mkdir(parents=True, exist_ok=True)
    written: set[str] = set()

    def write_lines(rel: str, lines) -> None:
        replace_file(deploy / rel, lines)
        written.add(rel)

    deploy_files(inputs, result, write_lines, deploy)
    for path in deploy.iterdir():
        if path.is_file() and path.name not in written and path.name in DEPLOY_FILES:
            path.unlink()
