"""The render job: everything a render worker needs to make and write pair pages, prepared once per
build and handed to the workers explicitly (inherited by forked workers, pickled for Dask ones)."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from pipeline import urls
from pipeline.config import Config
from pipeline.content.connections import EMPTY as EMPTY_GRAPH
from pipeline.content.context import RELATED_PER_TOPIC, Topic, pair_context, pair_summary, topic_records
from pipeline.content.people import person_link
from pipeline.content.proofread import topic_names
from pipeline.content.wording import Wording
from pipeline.data.pairs import Neighbours, editor_rows, neighbours, pair_index, pair_table, related_partners
from pipeline.site.fingerprint import Fingerprints
from pipeline.site.inputs import Inputs, links_graph
from pipeline.site.linkfp import LinkFingerprints
from pipeline.site.render import environment, site_context
from pipeline.site.write import PageTree


@dataclass(frozen=True)
class Reuse:
    """What the last build left that a page can be reused from: its live trees and its manifest."""

    out: str  # the live public site
    preview: str  # the live preview site
    index: dict[str, int]  # the last build's slugs by position
    n: int
    kind_same: bool  # the pair pages' site-wide inputs (templates, wording, code, …) are unchanged
    rel_same: bool  # related-link choice and display names are unchanged
    old: dict[str, Any]  # the last build's manifest


@dataclass(frozen=True)
class AuditSetup:
    """With it, render workers hand the audit each published page's record as they write it."""

    base_url: str
    severity: Any  # audit._Severity of the build's configuration


@dataclass(frozen=True)
class RenderJob:
    """The build's render job. Pair pages go into `pages` (published) and `drafts` (review)."""

    cfg: Config
    wording: Wording
    templates: Path
    topics: dict[str, Topic]
    nb: Neighbours | None
    site: dict[str, Any]
    graph: Any = EMPTY_GRAPH  # the links graph (content.connections)
    linkfp: Any = None  # what each page reads of the links, fingerprinted (site.linkfp; with fps only)
    slugs: tuple[str, ...] = ()
    editorial: list[dict[str, Any]] = field(default_factory=list)  # pairs.csv's rows, as pair_rows gives them
    overlay: Any = None  # the pair table's `row` column: an index into `editorial`, or -1
    names: dict[str, dict] = field(default_factory=dict)  # per topic, its names for the proofreader
    summaries: dict[tuple[str, str], str] = field(default_factory=dict)  # editor pairs' one-line summaries
    people: dict[str, Any] = field(default_factory=dict)
    fps: Fingerprints | None = None
    reuse: Reuse | None = None
    pages: PageTree | None = None
    drafts: PageTree | None = None
    audit: AuditSetup | None = None
    token: str = ""  # this build's job, among others a long-lived worker may have seen
    # The templates' sources, for workers without the repository's templates folder (see portable()).
    template_sources: dict[str, str] | None = None
    # The Jinja environment: made once per process (never pickled; see environment()).
    env: Any = field(default=None, compare=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["env"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def environment(self):
        """The job's Jinja environment, made on first use in this process."""
        if self.env is None:
            env = environment(self.templates)
            if self.template_sources is not None:
                import jinja2

                env.loader = jinja2.DictLoader(self.template_sources)
            object.__setattr__(self, "env", env)
        return self.env

    def portable(self) -> RenderJob:
        """This job with the templates' sources in it, for workers on other machines."""
        folder = Path(self.templates)
        sources = {
            p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(folder.rglob("*"))
            if p.is_file() and p.relative_to(folder).parts[0] != "wording"
        }
        return replace(self, template_sources=sources, env=None, reuse=None, pages=None, drafts=None)


def prepare(
    inputs: Inputs,
    pages: PageTree | None = None,
    drafts: PageTree | None = None,
    fps: Fingerprints | None = None,
    reuse: Reuse | None = None,
    audit: AuditSetup | None = None,
) -> RenderJob:
    """The render job of `inputs`; made before the render workers fork, which then share its memory."""
    cfg = inputs.cfg
    topics = topic_records(inputs.topics)
    slugs = tuple(sorted(topics))
    editorial = editor_rows(inputs.pairs, cfg.default_status)
    for r in editorial:  # "Reviewed by <name>, <credentials>" when reviewed_by names a person in people.csv
        r["reviewer"] = person_link(inputs.people.get(r["reviewed_by"]))
    nb = neighbours(inputs.topics, inputs.pairs, cfg.default_status)
    graph = links_graph(inputs)
    job = RenderJob(
        token=uuid.uuid4().hex,
        cfg=cfg,
        wording=inputs.wording,
        templates=inputs.templates,
        topics=topics,
        nb=nb,
        site=site_context(cfg),
        graph=graph,
        linkfp=LinkFingerprints(graph, topics, nb) if fps is not None else None,
        slugs=slugs,
        editorial=editorial,
        overlay=pair_table(slugs, inputs.pairs, cfg.default_status)["row"].to_numpy(),
        names={s: topic_names(t) for s, t in topics.items()},
        summaries=_pair_summaries(inputs),
        people=inputs.people,
        fps=fps,
        reuse=reuse,
        pages=pages,
        drafts=drafts or pages,
        audit=audit,
        env=environment(inputs.templates),
    )
    _warm_up()
    return job


def _warm_up() -> None:
    """Load inflect (lazily imported) once, and freeze what exists, so forked workers share it."""
    from pipeline.content.language import with_article

    with_article("owl")
    gc.collect()
    gc.freeze()  # what workers inherit is never scanned again (less GC time, fewer copied pages)


def reuse_of(old: dict[str, Any] | None, fps: Fingerprints, out: Path, preview: Path) -> Reuse | None:
    """What the last build (its manifest `old`) offers for reuse, or None."""
    if old is None:
        return None
    return Reuse(
        out=str(out.resolve()),
        preview=str(preview.resolve()),
        index={s: i for i, s in enumerate(old["slugs"])},
        n=len(old["slugs"]),
        kind_same=old["kind"].get("pair") == fps.kind["pair"],
        rel_same=old["nb"] == fps.nb and old["names"] == fps.names,
        old=old,
    )


def _pair_summaries(inputs: Inputs) -> dict[tuple[str, str], str]:
    """A one-line summary of each editor-written pair page: its text's first sentence (shown on the page)."""
    held: dict[tuple[str, str], str] = {}
    if len(inputs.pairs):
        for a, b, text in inputs.pairs[["a", "b", "relationship"]].itertuples(index=False, name=None):
            if text:
                held[(a, b)] = pair_summary(text)
    return held


def summary_of(summaries: dict[tuple[str, str], str], x: str, y: str) -> str:
    return summaries.get((x, y) if x < y else (y, x), "")


class PairRow(NamedTuple):
    """A row of the pair table: positions and slugs of the two topics, the editor row (or the
    default one) and the page's URL."""

    i: int
    j: int
    a: str
    b: str
    row: dict[str, Any]
    url: str


def default_row(cfg: Config, a: str, b: str) -> dict[str, Any]:
    """The row of a pair no editor listed."""
    return {
        "status": cfg.default_status,
        "relationship": "",
        "sources": (),
        "reviewed_by": "",
        "reviewed_on": "",
        "reviewer": None,
        "editorial": False,
        "a": a,
        "b": b,
    }


def pair_rows(job: RenderJob, span: tuple[int, int]) -> Iterator[PairRow]:
    """The pair table's rows whose first topic is slugs[start:stop]."""
    slugs, editorial, cfg = job.slugs, job.editorial, job.cfg
    n = len(slugs)
    start, stop = span
    k = pair_index(start, start + 1, n) if start < n - 1 else 0
    rows = job.overlay[k : k + sum(n - 1 - i for i in range(start, stop))].tolist()
    k = 0
    for i in range(start, stop):
        a = slugs[i]
        for j in range(i + 1, n):
            b = slugs[j]
            r = rows[k]
            k += 1
            yield PairRow(i, j, a, b, editorial[r] if r >= 0 else default_row(cfg, a, b), urls.pair_url(a, b))


def related_links(job: RenderJob, a: str, b: str, draft: bool) -> tuple[list[dict[str, str]], frozenset[str]]:
    """The related links pair_context chooses, and those of them a draft links on the public site,
    without building the page (for change checks only)."""
    topics, nb, page = job.topics, job.nb, urls.pair_slug(a, b)
    out, public = [], []
    for topic, other in ((a, b), (b, a)):
        for t in related_partners(nb, topic, other, page, RELATED_PER_TOPIC, not draft):
            p, q = sorted((topic, t))
            out.append({"url": urls.pair_url(p, q), "label": f"{topics[p].name.display} and {topics[q].name.display}"})
            if draft and nb.is_published(p, q):
                public.append(out[-1]["url"])
    return out, frozenset(public)


def draft_sameness(job: RenderJob):
    """content.sameness's measure over a sample of drafts per kind pair, their contexts made here."""
    from pipeline.content.sameness import count_unconnected, measure, sample_connected

    topics, cfg = job.topics, job.cfg
    written_pairs = {(r["a"], r["b"]) for r in job.editorial if r["relationship"]}
    default = {"status": cfg.default_status, "relationship": "", "sources": (), "reviewed_by": "", "reviewed_on": ""}

    def written(a: str, b: str) -> bool:
        return (a, b) in written_pairs

    samples = {}
    for key, pairs in sample_connected(topics, job.graph, written).items():
        drafts = []
        for a, b in pairs:
            ctx = pair_context(dict(default, a=a, b=b, editorial=False), topics, job.nb, job.wording, cfg, job.graph)
            names = [n for t in (topics[a], topics[b]) for n in (t.name.text, t.name.short, t.name.display)]
            drafts.append((" ".join(ctx["link_generated"]), " ".join(ctx["effects"]), names, ctx["low_value"]))
        samples[key] = drafts
    return measure(samples, *count_unconnected(topics, job.graph, written))
