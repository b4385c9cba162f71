"""The build: validated data in, a complete staged site out, swapped in only when whole."""

from __future__ import annotations

import multiprocessing
import os
import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import urls
from pipeline.config import Config
from pipeline.context import Topic, hub_context, pair_context, topic_records
from pipeline.language import split_sentences
from pipeline.load import read_inputs
from pipeline.pairs import (
    Neighbours,
    check_scale,
    check_url_collisions,
    iter_pair_chunks,
    join_count,
    neighbours,
    overlay,
)
from pipeline.problems import ContractError
from pipeline.proofread import check_sentence, topic_names
from pipeline.render import environment, finish, render, site_context
from pipeline.sitemap import redirect_files, robots_txt, sitemap_files
from pipeline.validate import REQUIRED, declared_slugs, validate_pairs, validate_topics
from pipeline.wording import Wording, read_wording
from pipeline.write import Staging

_WORDS = re.compile(r"[\w’'-]+")


@dataclass(frozen=True)
class Inputs:
    """Everything a build reads, validated."""

    topics: pd.DataFrame
    pairs: pd.DataFrame
    wording: Wording
    templates: Path
    cfg: Config


@dataclass
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


@dataclass
class BuildResult:
    pages: list[PageSummary] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    out: Path = Path("output")

    def by_status(self) -> Counter:
        return Counter(p.status for p in self.pages if p.kind == "pair")


def load_inputs(data_dir: Path, templates: Path, cfg: Config) -> Inputs:
    """Read and validate everything; raise one ContractError with every problem."""
    topics_t, pairs_t, problems = read_inputs(data_dir, REQUIRED)
    topics, pairs = pd.DataFrame(), pd.DataFrame()
    file = str(data_dir / "topics.csv")
    if topics_t is not None and topics_t.header:
        topics, more = validate_topics(topics_t)
        problems += more
        # Pairs may name a topic whose own row has a problem: that row is blamed, not the pair.
        pairs, more = validate_pairs(pairs_t, set(topics["slug"]) | declared_slugs(topics_t))
        problems += more
        if len(topics_t.rows) < 2:
            problems.append(problems_for_few(data_dir))
        for check in (lambda: check_scale(len(topics_t.rows), cfg.max_pages, file),
                      lambda: check_url_collisions(list(topics["slug"]), file)):
            try:
                check()
            except ContractError as exc:
                problems += exc.problems
    try:
        wording = read_wording(templates / "wording")
    except ContractError as exc:
        problems += exc.problems
    if problems:
        raise ContractError(problems)
    return Inputs(topics, pairs, wording, templates, cfg)


def problems_for_few(data_dir: Path):
    from pipeline.problems import Problem

    return Problem(str(data_dir / "topics.csv"), 0, "", "needs at least two topics to make a pair page")


def word_count(texts: list[str]) -> int:
    return sum(len(_WORDS.findall(t)) for t in texts)


def _own_and_total(ctx: dict[str, Any]) -> tuple[int, int]:
    """Words that belong to this pair (definitions, editor text, topic lists) against all words."""
    own = [ctx["a"]["description"], ctx["b"]["description"]]
    if ctx["editorial"]:
        own += ctx["link"]
    generated = [ctx["intro"], *([] if ctx["editorial"] else ctx["link"]), ctx["effects_lead"], *ctx["effects"],
                 ctx["strategies_lead"], *(s["title"] + " " + s["text"] for s in ctx["strategies"])]
    own_words = word_count(own)
    return own_words, own_words + word_count(generated)


def gate(row: dict[str, Any], own: int, total: int, cfg: Config) -> str:
    """The status a page is published with: editors decide; otherwise default plus quality."""
    if row["editorial"] and row["status"]:
        return row["status"]
    status = row["status"] or cfg.default_status
    if status == "approved" and (total < cfg.quality.min_words or own / max(total, 1) < cfg.quality.min_unique_share):
        return "review"
    return status


def _generated_sentences(ctx: dict[str, Any]) -> list[str]:
    parts = [ctx["intro"], ctx["effects_lead"], *ctx["effects"], ctx["strategies_lead"], ctx["cta"]["lead"]]
    parts += [s["text"] for s in ctx["strategies"]]
    if not ctx["editorial"]:
        parts += ctx["link"]
    return [s for p in parts for s in split_sentences(p)]


# Worker state: set once per build before the pool forks, so chunks only carry indices.
_STATE: dict[str, Any] = {}


def _prepare(inputs: Inputs, root: Path) -> None:
    cfg = inputs.cfg
    _STATE.update(
        inputs=inputs,
        root=root,
        topics=topic_records(inputs.topics),
        nb=neighbours(inputs.topics, inputs.pairs),
        env=environment(inputs.templates),
        site=site_context(cfg),
    )


def render_chunk(chunk: pd.DataFrame) -> tuple[list[PageSummary], list[str], list[str]]:
    """Render and write one chunk of pairs; return their summaries, rejected URLs and warnings."""
    s = _STATE
    inputs: Inputs = s["inputs"]
    topics: dict[str, Topic] = s["topics"]
    cfg = inputs.cfg
    rows = overlay(chunk, inputs.pairs, cfg.default_status)
    summaries, rejected, warnings = [], [], []
    root: Path = s["root"]
    made_dirs: set[str] = set()
    for row in rows.to_dict("records"):
        if row["status"] == "rejected":
            rejected.append(urls.pair_url(row["a"], row["b"]))
            continue
        ctx = pair_context(row, topics, s["nb"], inputs.wording, cfg)
        own, total = _own_and_total(ctx)
        status = gate(row, own, total, cfg)
        page = finish(ctx, s["site"], indexable=status == "approved")
        html = render(s["env"], page, s["site"])
        rel = urls.output_path(page["url"])
        folder = rel.rsplit("/", 1)[0]
        if folder not in made_dirs:
            os.makedirs(root / folder, exist_ok=True)
            made_dirs.add(folder)
        with open(root / rel, "w", encoding="utf-8", newline="\n") as f:
            f.write(html)
        summaries.append(PageSummary(page["url"], "pair", status, page["updated_on"], total, own / max(total, 1),
                                     row["a"], row["b"]))
        names = topic_names(topics[row["a"]], topics[row["b"]])
        for sentence in _generated_sentences(ctx):
            for fault in check_sentence(sentence, names):
                warnings.append(f"{page['url']}: {fault.kind} ({fault.detail}): {fault.sentence}")
    return summaries, rejected, warnings


def _chunks(inputs: Inputs, topics_per_chunk: int) -> Iterator[pd.DataFrame]:
    return iter_pair_chunks(inputs.topics["slug"], topics_per_chunk)


def _site_pages(inputs: Inputs, result: BuildResult, site: dict[str, Any]) -> dict[str, str]:
    """Hubs, home, about and 404: rendered from the summaries of the pair pages."""
    cfg = inputs.cfg
    env = _STATE["env"]
    topics: dict[str, Topic] = _STATE["topics"]
    pairs = [p for p in result.pages if p.kind == "pair"]
    partners: dict[str, list[str]] = {slug: [] for slug in topics}
    status_of: dict[tuple[str, str], str] = {}
    for p in pairs:
        partners[p.a].append(p.b)
        partners[p.b].append(p.a)
        status_of[(p.a, p.b)] = p.status
    files: dict[str, str] = {}
    disclaimer = inputs.wording.disclaimer
    for slug, topic in sorted(topics.items()):
        others = [topics[o] for o in sorted(partners[slug], key=lambda o: topics[o].name.display.lower())]
        statuses = {o.slug: status_of.get(tuple(sorted((slug, o.slug))), "") for o in others}
        ctx = hub_context(topic, others, statuses, cfg) | {"disclaimer": disclaimer}
        page = finish(ctx, site, indexable=True)
        files[urls.output_path(ctx["url"])] = render(env, page, site)
        result.pages.append(PageSummary(ctx["url"], "hub", "approved", topic.updated_on))
    categories: dict[str, list[Topic]] = {}
    for t in topics.values():
        categories.setdefault(t.category, []).append(t)
    featured = [p for p in pairs if inputs.pairs is not None and len(inputs.pairs)
                and ((inputs.pairs["a"] == p.a) & (inputs.pairs["b"] == p.b) & (inputs.pairs["relationship"] != "")).any()]
    latest = max((t.updated_on for t in topics.values() if t.updated_on), default="")
    home = {
        "kind": "index", "url": urls.HOME, "title": f"{cfg.name}: How Psychology Topics Connect",
        "h1": "How Psychology Topics Connect",
        "intro": f"Short, careful guides to how {len(topics)} psychological topics relate to each other, "
                 f"written by {cfg.author}, with practical steps you can turn into daily habits.",
        "description": "", "updated_on": latest, "disclaimer": disclaimer,
        "featured": [{"url": p.url, "label": f"{topics[p.a].name.display} and {topics[p.b].name.display}"}
                     for p in featured if p.status != "rejected"],
        "categories": [{"name": c, "topics": [{"url": urls.hub_url(t.slug), "name": t.name.display}
                                              for t in sorted(ts, key=lambda t: t.name.display.lower())]}
                       for c, ts in sorted(categories.items())],
    }
    home["description"] = (f"Guides to how {len(topics)} psychology topics connect, such as stress, emotions, "
                           "habits and the brain, with practical, science-informed steps for daily life.")
    indexable = sum(1 for p in pairs if p.status == "approved")
    about = {"kind": "about", "url": urls.ABOUT, "title": f"About These Pages | {cfg.name}",
             "h1": "About These Pages",
             "description": f"How {cfg.name} pages are written, reviewed and kept out of search engines until an "
                            "editor has checked them, and what they are not: medical advice.",
             "updated_on": latest, "disclaimer": disclaimer, "total_pages": len(pairs),
             "editorial_pages": len(featured), "indexable_pages": indexable,
             "breadcrumbs": [{"url": urls.HOME, "label": "Home"}, {"url": urls.ABOUT, "label": "About these pages"}]}
    missing = {"kind": "404", "url": urls.NOT_FOUND, "title": f"Page Not Found | {cfg.name}", "h1": "Page Not Found",
               "description": "This page does not exist.", "updated_on": latest}
    for ctx, indexable_page in ((home, True), (about, True), (missing, False)):
        page = finish(ctx, site, indexable=indexable_page)
        files[urls.output_path(ctx["url"])] = render(env, page, site)
        if ctx["kind"] != "404":
            result.pages.append(PageSummary(ctx["url"], ctx["kind"], "approved", latest))
    sitemap_entries = [(p.url, p.updated_on) for p in sorted(result.pages, key=lambda p: p.url)
                       if p.status == "approved"]
    files.update(sitemap_files(cfg.base_url, sitemap_entries))
    files["robots.txt"] = robots_txt(cfg.base_url)
    reverse = [(urls.pair_url(p.b, p.a), p.url) for p in sorted(pairs, key=lambda p: p.url)]
    files.update(redirect_files(cfg.base_url, reverse))
    return files


def build(inputs: Inputs, out: Path, workers: int | None = None, progress: bool = True,
          after_write=None) -> BuildResult:
    """Build the whole site into a staging folder and swap it in when complete."""
    from tqdm import tqdm

    result = BuildResult(out=out)
    n_topics = len(inputs.topics)
    total = join_count(n_topics)
    workers = workers or min(os.cpu_count() or 1, 2 if total > 2000 else 1)
    per_chunk = max(1, min(64, 20000 // max(n_topics, 1)))
    with Staging(out) as staging:
        _prepare(inputs, staging.root)
        bar = tqdm(total=total, unit="page", desc="pair pages", disable=not progress, leave=False)
        chunks = _chunks(inputs, per_chunk)
        if workers > 1:
            ctx = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
                results = pool.map(render_chunk, chunks)
                for summaries, rejected, warnings in results:
                    _collect(result, summaries, rejected, warnings, bar)
        else:
            for chunk in chunks:
                _collect(result, *render_chunk(chunk), bar)
        bar.close()
        result.pages.sort(key=lambda p: p.url)
        for rel, text in _site_pages(inputs, result, _STATE["site"]).items():
            staging.write(rel, text)
        if after_write is not None:
            after_write(staging.root, result)
        staging.commit()
    return result


def _collect(result: BuildResult, summaries, rejected, warnings, bar) -> None:
    result.pages.extend(summaries)
    result.rejected.extend(rejected)
    result.warnings.extend(warnings)
    bar.update(len(summaries) + len(rejected))
