"""The pages of a tree besides the pair pages: hubs, home, about, 404, people and the editorial policy,
made from the summaries of the pair pages; and the public tree's sitemap and robots.txt."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import urls
from pipeline.content.context import Topic, hub_context
from pipeline.content.people import person_link
from pipeline.data.pairs import PUBLISHED
from pipeline.site.fingerprint import hub_fp
from pipeline.site.job import RenderJob, summary_of
from pipeline.site.pages import standing_pages
from pipeline.site.render import finish, render
from pipeline.site.result import BuildResult, PageSummary
from pipeline.site.sitemap import robots_at_root, robots_txt, sitemap_files
from pipeline.site.write import link_into


@dataclass
class _Tree:
    """One tree's pages as they are made. "output" is the public site: its hubs and home list
    published pair pages only, and its pages go into the build's result. "preview" is the drafts'
    tree: every page carries the draft banner and noindex, lists drafts beside published pages and
    links the published ones on the public site."""

    job: RenderJob
    result: BuildResult
    name: str
    made: list[str]
    every: list = field(default_factory=list)  # every pair page built
    pairs: list = field(default_factory=list)  # the pair pages this tree lists
    public: frozenset[str] = frozenset()  # (preview) the pages linked where they are published
    files: dict[str, str] = field(default_factory=dict)

    @property
    def preview(self) -> bool:
        return self.name == "preview"

    def add(self, url: str, kind: str, updated_on: str) -> None:
        self.made.append(url)
        if not self.preview:
            self.result.pages.append(PageSummary(url, kind, "approved", updated_on))

    def page(self, ctx: dict[str, Any], indexable: bool = True) -> str:
        """The HTML of a page of this tree."""
        ctx["draft"], ctx["public"] = self.preview, self.public
        return render(
            self.job.environment(), finish(ctx, self.job.site, indexable=indexable and not self.preview), self.job.site
        )


def site_pages(
    job: RenderJob,
    result: BuildResult,
    staging_root: Path | None = None,
    hub_fps: dict[str, int] | None = None,
    write_lines=None,
    tree: str = "output",
    made: list[str] | None = None,
) -> dict[str, str]:
    """Hubs, home, about, 404, people and policy pages of one tree (see _Tree): {path: HTML}, with the
    sitemap and robots.txt for the public tree.

    With `staging_root`, hubs whose fingerprint matches the last build are hard-linked from the
    current tree instead of rendered; `hub_fps` collects every hub's fingerprint. With
    `write_lines(rel, lines)`, hubs are written through it as they are made instead of returned.
    `made` collects the URLs of the tree's pages (the output's are also added to result.pages).
    """
    t = _Tree(job, result, tree, made if made is not None else [])
    t.every = [p for p in result.pages if p.kind == "pair"]
    t.pairs = t.every if t.preview else [p for p in t.every if p.status in PUBLISHED]
    t.public = frozenset(p.url for p in t.every if p.status in PUBLISHED) if t.preview else frozenset()
    _hubs(t, staging_root, hub_fps, write_lines)
    latest = max((x.updated_on for x in job.topics.values() if x.updated_on), default="")
    for ctx, indexable in (
        (home_context(t, latest), True),
        (about_context(t, latest), True),
        (not_found_context(t, latest), False),
    ):
        t.files[urls.output_path(ctx["url"])] = t.page(ctx, indexable)
        if ctx["kind"] != "404":
            t.add(ctx["url"], ctx["kind"], latest)
    _standing(t, latest)
    if not t.preview:
        t.files.update(crawler_files(job, result))
    return t.files


def _hubs(t: _Tree, staging_root: Path | None, hub_fps: dict[str, int] | None, write_lines) -> None:
    """Each topic's hub: reused when its fingerprint is the last build's, else rendered."""
    job, topics = t.job, t.job.topics
    partners: dict[str, list[str]] = {slug: [] for slug in topics}
    status_of: dict[tuple[str, str], str] = {}
    for p in t.pairs:
        partners[p.a].append(p.b)
        partners[p.b].append(p.a)
        status_of[(p.a, p.b)] = p.status
    for slug, topic in sorted(topics.items()):
        others = [topics[o] for o in sorted(partners[slug], key=lambda o: topics[o].name.display.lower())]
        statuses = {o.slug: status_of.get(tuple(sorted((slug, o.slug))), "") for o in others}
        if job.fps is not None:
            listed = [
                (o.slug, o.name.display, statuses[o.slug], summary_of(job.summaries, slug, o.slug)) for o in others
            ]
            own = hash((job.fps.topic[slug], job.linkfp.hub(slug)))  # its topic's row and links
            fp = hub_fp(job.fps.kind["hub"], own, listed, t.name)
            if hub_fps is not None:
                hub_fps[slug] = fp
            if staging_root is not None and _hub_reused(t, slug, fp, staging_root):
                t.add(urls.hub_url(slug), "hub", topic.updated_on)
                continue
        ctx = hub_context(topic, others, statuses, job.cfg, job.wording, job.graph, topics, job.summaries)
        html = t.page(ctx)
        if write_lines is None:
            t.files[urls.output_path(urls.hub_url(slug))] = html
        else:  # written at once: at 1,000 topics the hubs are 1,000 pages of 1,000 links each
            write_lines(urls.output_path(urls.hub_url(slug)), (html,))
        t.add(ctx["url"], "hub", topic.updated_on)


def _hub_reused(t: _Tree, slug: str, fp: int, staging_root: Path) -> bool:
    reuse = t.job.reuse
    if reuse is None or reuse.old.get("preview_hubs" if t.preview else "hubs", {}).get(slug) != fp:
        return False
    rel = urls.output_path(urls.hub_url(slug))
    return link_into(f"{reuse.preview if t.preview else reuse.out}/{rel}", str(staging_root / rel))


def home_context(t: _Tree, latest: str) -> dict[str, Any]:
    """The index of all topics by category, with the editor-written guides (the approved pages)."""
    job, topics, cfg = t.job, t.job.topics, t.job.cfg
    categories: dict[str, list[Topic]] = {}
    for x in topics.values():
        categories.setdefault(x.category, []).append(x)
    return {
        "kind": "index",
        "url": urls.HOME,
        "title": f"{cfg.name}: How Psychology Topics Connect",
        "h1": "How Psychology Topics Connect",
        "intro": f"Short, careful guides to how {len(topics)} psychological topics relate to each other, "
        f"written by {cfg.author}, with practical steps you can turn into daily habits.",
        "description": f"Guides to how {len(topics)} psychology topics connect, such as stress, emotions, "
        "habits and the brain, with practical, science-informed steps for daily life.",
        "updated_on": latest,
        "disclaimer": job.wording.disclaimer,
        "featured": [
            {
                "url": p.url,
                "label": f"{topics[p.a].name.display} and {topics[p.b].name.display}",
                "summary": summary_of(job.summaries, p.a, p.b),
            }
            for p in t.every
            if p.status == "approved"
        ],
        "categories": [
            {
                "name": c,
                "topics": [
                    {"url": urls.hub_url(x.slug), "name": x.name.display}
                    for x in sorted(ts, key=lambda x: x.name.display.lower())
                ],
            }
            for c, ts in sorted(categories.items())
        ],
    }


def about_context(t: _Tree, latest: str) -> dict[str, Any]:
    """How the pages are made and reviewed, with the numbers of this build."""
    cfg = t.job.cfg
    return {
        "kind": "about",
        "url": urls.ABOUT,
        "title": f"About These Pages | {cfg.name}",
        "h1": "About These Pages",
        "description": f"How {cfg.name} pages are written and reviewed, why only pages an editor has "
        "checked are published, and what they are not: medical advice.",
        "updated_on": latest,
        "disclaimer": t.job.wording.disclaimer,
        "total_pages": len([p for p in t.every if p.status in PUBLISHED]),
        "editorial_pages": sum(1 for p in t.every if p.status == "approved"),
        "indexable_pages": sum(1 for p in t.every if p.status == "approved"),
        "people": [person_link(p) for p in t.job.people.values()],
        "breadcrumbs": [{"url": urls.HOME, "label": "Home"}, {"url": urls.ABOUT, "label": "About these pages"}],
    }


def not_found_context(t: _Tree, latest: str) -> dict[str, Any]:
    return {
        "kind": "404",
        "url": urls.NOT_FOUND,
        "title": f"Page Not Found | {t.job.cfg.name}",
        "h1": "Page Not Found",
        "description": "This page does not exist.",
        "updated_on": latest,
    }


def _standing(t: _Tree, latest: str) -> None:
    """Each person's page and the editorial policy (pipeline/site/pages.py), in both trees."""
    job = t.job
    names = {slug: x.name.display for slug, x in job.topics.items()}
    contexts = standing_pages(job.cfg, job.people, job.editorial, t.every, names, latest, job.wording.disclaimer)
    for ctx in contexts:
        t.files[urls.output_path(ctx["url"])] = t.page(ctx)
        t.made.append(ctx["url"])
        if not t.preview:
            t.result.pages.append(PageSummary(ctx["url"], ctx["kind"], "approved", ctx["updated_on"] or latest))


def crawler_files(job: RenderJob, result: BuildResult) -> dict[str, str]:
    """The public tree's sitemaps (its indexable pages) and, at a host's root, robots.txt."""
    entries = sorted((p.url, p.updated_on) for p in result.pages if p.status == "approved")  # URLs unique
    files = dict(sitemap_files(job.cfg.base_url, entries))
    if robots_at_root(job.cfg.base_url):
        files["robots.txt"] = robots_txt(job.cfg.base_url)
    return files
