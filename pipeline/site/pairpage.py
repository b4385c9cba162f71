"""One pair page from its editor row: context, status (the quality gate), HTML and wording faults."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline.config import Config
from pipeline.content.context import Topic, pair_context, topic_records
from pipeline.content.language import split_sentences
from pipeline.content.proofread import page_faults as proofread_page
from pipeline.content.proofread import topic_names
from pipeline.data.pairs import editor_rows, neighbours
from pipeline.site.inputs import Inputs, links_graph
from pipeline.site.render import environment, finish, render, site_context

if TYPE_CHECKING:
    from pipeline.site.job import RenderJob

_WORDS = re.compile(r"[\w’'-]+")
# _WORDS's characters among ASCII (letters, digits, underscore, apostrophe, hyphen) as "w", every
# other ASCII character as a space: in an ASCII text, _WORDS's matches are the runs of "w".
_ASCII_WORD_CHARS = str.maketrans({chr(c): "w" if chr(c).isalnum() or chr(c) in "_'-" else " " for c in range(128)})


def _words_in(text: str) -> int:
    """len(_WORDS.findall(text)); an ASCII text (generated text usually is) counted ≈ 9× faster as the
    starts of runs of word characters, with str.translate and str.count instead of the regex."""
    if text.isascii():
        runs = text.translate(_ASCII_WORD_CHARS)
        return runs.count(" w") + runs.startswith("w")
    return len(_WORDS.findall(text))


def word_count(texts: list[str]) -> int:
    # One scan of the texts joined by spaces: a word never spans a space, so the count is the same.
    return _words_in(" ".join(texts))


_TEXT_WORDS: dict[str, int] = {}


def _text_words(text: str) -> int:
    """word_count of one text, remembered (a topic's description is counted on every page it is on)."""
    n = _TEXT_WORDS.get(text)
    if n is None:
        if len(_TEXT_WORDS) > 4096:
            _TEXT_WORDS.clear()
        n = _TEXT_WORDS[text] = _words_in(text)
    return n


def _own_and_total(ctx: dict[str, Any]) -> tuple[int, int]:
    """Words that belong to this pair (definitions, editor text, topic lists) against all words."""
    own_words = _text_words(ctx["a"]["description"]) + _text_words(ctx["b"]["description"])
    if ctx["editorial"]:
        own_words += word_count(ctx["link"])
    generated = [
        ctx["intro"],
        *([] if ctx["editorial"] else ctx["link"]),
        ctx["effects_lead"],
        *ctx["effects"],
        ctx["strategies_lead"],
        *(s["text"] for s in ctx["strategies"]),
    ]
    return own_words, own_words + word_count(generated)


def gate(row: dict[str, Any], own: int, total: int, cfg: Config, low_value: bool = False) -> str:
    """The status a page is published with: editors decide; otherwise default plus quality."""
    if row["editorial"] and row["status"]:
        return row["status"]
    status = row["status"] or cfg.default_status
    if status == "approved" and (total < cfg.quality.min_words or own / max(total, 1) < cfg.quality.min_unique_share):
        # Published, as configured, but not offered to search engines (a page stays in the tree
        # its status puts it in, so which pages are published is known before any is rendered).
        return "noindex"
    if status == "approved" and low_value:  # nothing known connects the two: published, never indexed
        return "noindex"
    return status


def _generated_parts(ctx: dict[str, Any]) -> list[str]:
    """The paragraphs of a pair page the pipeline wrote (not the editors), in proofreading order."""
    parts = [ctx["intro"], ctx["effects_lead"], *ctx["effects"], ctx["strategies_lead"], ctx["cta"]["lead"]]
    parts += [s["text"] for s in ctx["strategies"]]
    return parts + ctx["link_generated"]


def page_faults(ctx: dict[str, Any], names: dict, topics: dict[str, Topic]) -> list:
    """Every wording fault of a pair page: check_parts' faults, then number agreement (headings
    included) and repeated predicates sentence by sentence, then near-identical bullets per list."""
    numbers = {}
    for t in (topics[ctx["a"]["slug"]], topics[ctx["b"]["slug"]]):
        for form in (t.name.text, t.name.short, t.name.display):
            numbers.setdefault(form.lower(), t.name.plural)
    headings = [ctx["h1"], ctx["a"]["heading"], ctx["b"]["heading"], ctx["link_heading"], ctx["effects_heading"]]
    lists = [ctx["effects"], [s["text"] for s in ctx["strategies"]]]
    return proofread_page(_generated_parts(ctx), headings, numbers, lists, names)


def _generated_sentences(ctx: dict[str, Any]) -> list[str]:
    return [s for p in _generated_parts(ctx) for s in split_sentences(p)]


# ---------------------------------------------------------------------------------------------
# Fingerprints: what each page is made from, so an unchanged page is reused instead of rendered.


@dataclass(slots=True)
class RenderedPair:
    """A rendered pair page: its context, the finished page, the status it is published with, its own
    and total words, its HTML and its wording faults ("url: kind (detail): sentence")."""

    ctx: dict[str, Any]
    page: dict[str, Any]
    status: str
    own: int
    total: int
    html: str
    faults: list[str]


def render_pairs(job: RenderJob, batch: list[tuple[dict[str, Any], dict]]) -> list[RenderedPair]:
    """Pair pages, one for each (editor row, topic names) in `batch`. Made one step at a time over the
    whole batch (contexts, then pages, then HTML, then proofreading), so that each step's code and data
    stay in the CPU's caches (≈ 10 % less CPU a page than page after page, measured with 64 pages)."""
    cfg, topics, site = job.cfg, job.topics, job.site
    contexts = [pair_context(row, topics, job.nb, job.wording, cfg, job.graph) for row, _ in batch]
    done = []
    for (row, _), ctx in zip(batch, contexts):
        own, total = _own_and_total(ctx)
        status = gate(row, own, total, cfg, ctx["low_value"])
        done.append(RenderedPair(ctx, finish(ctx, site, indexable=status == "approved"), status, own, total, "", []))
    env = job.environment()
    for r in done:
        r.html = render(env, r.page, site)
    for r, (_, names) in zip(done, batch):
        url = r.page["url"]
        r.faults = [f"{url}: {f.kind} ({f.detail}): {f.sentence}" for f in page_faults(r.ctx, names, topics)]
    return done


def render_pair_page(inputs: Inputs, a: str, b: str) -> tuple[str, str, dict[str, Any]]:
    """The page of pair (a, b), a < b, exactly as build() renders it from `inputs`: (HTML, status,
    context). The review app's preview: it passes inputs whose pairs table holds the form's row."""
    from pipeline.site.job import RenderJob, default_row

    cfg = inputs.cfg
    topics = topic_records(inputs.topics)
    rows = [r for r in editor_rows(inputs.pairs, cfg.default_status) if (r["a"], r["b"]) == (a, b)]
    row = rows[0] if rows else default_row(cfg, a, b)
    names = topic_names(topics[a]) | topic_names(topics[b])
    job = RenderJob(
        cfg=cfg,
        wording=inputs.wording,
        templates=inputs.templates,
        topics=topics,
        nb=neighbours(inputs.topics, inputs.pairs),
        graph=links_graph(inputs),  # the build's own links, so a preview states and cites what the page will
        site=site_context(cfg),
        env=environment(inputs.templates),
    )
    (page,) = render_pairs(job, [(row, names)])
    return page.html, page.status, page.ctx
