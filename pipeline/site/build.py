"""The build: validated data in, a complete staged site out, swapped in only when whole."""

from __future__ import annotations

import gc
import heapq
import multiprocessing
import os
import pickle
import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from hashlib import blake2b
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import urls
from pipeline.config import Config
from pipeline.content.connections import EMPTY as EMPTY_GRAPH
from pipeline.content.connections import make_graph
from pipeline.content.context import Topic, hub_context, pair_context, pair_summary, topic_records
from pipeline.content.language import split_sentences
from pipeline.content.people import person_link
from pipeline.content.proofread import check_list, check_number, check_parts, check_predicates, topic_names
from pipeline.content.wording import Wording, read_wording
from pipeline.content.wording import _walk as walk_wording
from pipeline.data import links as links_file
from pipeline.data.load import read_csv, read_inputs
from pipeline.data.pairs import (
    PUBLISHED,
    check_scale,
    check_url_collisions,
    editor_rows,
    join_count,
    neighbours,
    pair_index,
    pair_table,
)
from pipeline.data.people import PEOPLE_COLUMNS, PEOPLE_FILE, PEOPLE_REQUIRED, Person, reviewer_notes, validate_people
from pipeline.data.sources import SOURCES_COLUMNS, SOURCES_FILE, SOURCES_REQUIRED, validate_sources
from pipeline.data.validate import (
    KNOWN_COLUMNS,
    REQUIRED,
    STATUSES,
    declared_slugs,
    default_approval_problems,
    header_notes,
    pair_notes,
    topic_notes,
    validate_pairs,
    validate_topics,
)
from pipeline.locks import hold
from pipeline.memory import give_back
from pipeline.problems import ContractError
from pipeline.processes import die_with_parent
from pipeline.site.cards import card_path, place_cards
from pipeline.site.cards import prune_cache as prune_cards
from pipeline.site.history import (
    GONE_FILE,
    Removals,
    gone_text,
    indexed_urls,
    keep_page_lists,
    pages_lines,
    previous_gone,
    previous_pages,
    removed_pages,
    rename_redirects,
    write_page_list,
)
from pipeline.site.images import icon_files
from pipeline.site.pages import policy_note, standing_pages
from pipeline.site.quick import cache_dir, default_deploy_dir, default_preview_dir, folder_identity
from pipeline.site.render import environment, finish, render, site_context
from pipeline.site.sitemap import (
    DEPLOY_FILES,
    host_files,
    redirect_lines,
    robots_at_root,
    robots_txt,
    sitemap_files,
)
from pipeline.site.write import Staging, empty_trash, link_into, recover, replace_bytes, replace_file

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


@dataclass(frozen=True)
class Inputs:
    """Everything a build reads, validated."""

    topics: pd.DataFrame
    pairs: pd.DataFrame
    wording: Wording
    templates: Path
    cfg: Config
    notes: tuple[str, ...] = ()
    people: dict[str, Person] = field(default_factory=dict)  # data/people.csv by id (empty without it)
    links: pd.DataFrame | None = None  # data/links.csv, validated (pipeline.data.links)


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
    reused: int = 0  # pair pages hard-linked unchanged from the previous output
    cards: int = 0  # social cards drawn by this build (new titles; the others come from the build cache)
    unchanged: bool = False  # nothing changed since the last build: the output was left as it was
    # With build(audit_records=True): an audit.RecordStore of each pair page rendered, parsed
    # in the workers from the bytes they wrote; handed to after_write, then dropped.
    audit_records: Any = field(default_factory=dict, repr=False)

    def by_status(self) -> Counter:
        return Counter(p.status for p in self.pages if p.kind == "pair")


def load_inputs(data_dir: Path, templates: Path, cfg: Config) -> Inputs:
    """Read and validate everything; raise one ContractError with every problem."""
    topics_t, pairs_t, problems = read_inputs(data_dir, REQUIRED)
    topics, pairs = pd.DataFrame(), pd.DataFrame()
    links_t, links = None, None
    renamed: dict[str, str] = {}
    file = str(data_dir / "topics.csv")
    if topics_t is not None and topics_t.header:
        topics, more = validate_topics(topics_t)
        problems += more
        # Pairs may name a topic whose own row has a problem: that row is blamed, not the pair.
        renamed = {o: s for s, olds in zip(topics["slug"], topics["old_slugs"]) for o in olds}
        kinds = dict(zip(topics["slug"], topics["kind"]))
        known = set(topics["slug"]) | declared_slugs(topics_t)
        pairs, more = validate_pairs(pairs_t, known, renamed, kinds, cfg.default_status)
        problems += more + default_approval_problems(len(topics), pairs, cfg.default_status, cfg.default_status_at)
        links_t, more = read_csv(data_dir / links_file.FILE, links_file.LINK_REQUIRED, optional=True)
        problems += more
        if links_t is not None and links_t.header:
            links, more = links_file.validate_links(links_t, set(topics["slug"]) | declared_slugs(topics_t), renamed)
            problems += more
        if len(topics_t.rows) < 2:
            problems.append(problems_for_few(data_dir))
        for check in (
            lambda: check_scale(len(topics_t.rows), cfg.max_pages, file),
            lambda: check_url_collisions(list(topics["slug"]), file),
        ):
            try:
                check()
            except ContractError as exc:
                problems += exc.problems
    people_t, more = read_csv(data_dir / PEOPLE_FILE, PEOPLE_REQUIRED, optional=True)
    people, people_problems = validate_people(people_t)
    problems += more + people_problems
    sources_t, more = read_csv(data_dir / SOURCES_FILE, SOURCES_REQUIRED, optional=True)
    references, bad = validate_sources(sources_t)
    problems += more + bad
    try:
        wording = read_wording(templates / "wording")
    except ContractError as exc:
        problems += exc.problems
    if problems:
        raise ContractError(problems)
    notes = header_notes(topics_t, KNOWN_COLUMNS["topics"]) + header_notes(pairs_t, KNOWN_COLUMNS["pairs"])
    notes += header_notes(links_t, links_file.LINK_KNOWN)
    notes += pair_notes(links_t, renamed, ("subject", "object"))
    notes += topic_notes(topics_t) + pair_notes(pairs_t, renamed)
    notes += header_notes(people_t, PEOPLE_COLUMNS)
    notes += header_notes(sources_t, SOURCES_COLUMNS)
    wording = replace(wording, references=references)  # pages cite data/sources.csv's entries
    notes += policy_note(cfg)
    if pairs_t is not None:
        reviewers = [(line, row.get("reviewed_by", "")) for row, line in zip(pairs_t.rows, pairs_t.lines)]
        notes += reviewer_notes(pairs_t.file, reviewers, people)
    return Inputs(topics, pairs, wording, templates, cfg, tuple(notes), people, links)


def problems_for_few(data_dir: Path):
    from pipeline.problems import Problem

    return Problem(str(data_dir / "topics.csv"), 0, "", "needs at least two topics to make a pair page")


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
        *(s["title"] + " " + s["text"] for s in ctx["strategies"]),
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
    faults = check_parts(_generated_parts(ctx), names)
    numbers = {}
    for t in (topics[ctx["a"]["slug"]], topics[ctx["b"]["slug"]]):
        for form in (t.name.text, t.name.short, t.name.display):
            numbers.setdefault(form.lower(), t.name.plural)
    headings = [ctx["h1"], ctx["a"]["heading"], ctx["b"]["heading"], ctx["link_heading"], ctx["effects_heading"]]
    for sentence in (*headings, *_generated_sentences(ctx)):
        faults += check_number(sentence, numbers) + check_predicates(sentence)
    masked = tuple(numbers)
    faults += check_list(ctx["effects"], masked) + check_list([s["text"] for s in ctx["strategies"]], masked)
    return faults


def _generated_sentences(ctx: dict[str, Any]) -> list[str]:
    return [s for p in _generated_parts(ctx) for s in split_sentences(p)]


# ---------------------------------------------------------------------------------------------
# Fingerprints: what each page is made from, so an unchanged page is reused instead of rendered.
# ---------------------------------------------------------------------------------------------

MANIFEST_VERSION = 1
# Modules that do not shape any page: editing them never re-renders pages (the audit ones do
# invalidate the no-change shortcut, so the report is made again).
_NOT_RENDERING = ("audit/", "report/", "engines/", "review/", "cli.py", "__main__.py", "site/quick.py")
_CODE = Path(__file__).resolve().parent.parent  # the pipeline package, walked recursively
_STATUS_CODE = {s: i for i, s in enumerate(STATUSES)}


def _h(*parts: Any) -> int:
    """A stable signed 64-bit fingerprint of the repr of some values."""
    return int.from_bytes(blake2b(repr(parts).encode("utf-8"), digest_size=8).digest(), "big", signed=True)


def _code_fp(rendering_only: bool) -> int:
    h = blake2b(digest_size=8)
    for path in sorted(_CODE.rglob("*.py")):
        rel = path.relative_to(_CODE).as_posix()
        if rendering_only and rel.startswith(_NOT_RENDERING):
            continue
        h.update(rel.encode() + b"\0" + path.read_bytes())
    return int.from_bytes(h.digest(), "big", signed=True)


def _template_closure(folder: Path, name: str, seen: set[str] | None = None) -> set[str]:
    """A template and every template it extends, includes or imports."""
    import jinja2
    from jinja2 import meta

    seen = set() if seen is None else seen
    if name in seen or not (folder / name).exists():
        return seen
    seen.add(name)
    ast = jinja2.Environment().parse((folder / name).read_text(encoding="utf-8"))
    for ref in meta.find_referenced_templates(ast):
        if ref:
            _template_closure(folder, ref, seen)
    return seen


@dataclass
class Fingerprints:
    site: int  # everything: if it equals the last build's, nothing is done at all
    kind: dict[str, int]  # per page kind: rendering code, its templates, wording, configuration
    topic: dict[str, int]  # per topic: every cell
    row: dict[tuple[str, str], int]  # per editor pair: every cell
    nb: int  # what related-link choice reads (categories, editor partners, rejections, slugs)
    names: int  # every display name (related links and hubs show them)


def fingerprints(inputs: Inputs) -> Fingerprints:
    from pipeline.site.render import TEMPLATES

    cfg_fp = _h(repr(inputs.cfg), repr(inputs.people))  # a reviewer's name or credentials show on pages
    wording_fp = _h(repr(inputs.wording))
    code = _code_fp(True)
    # Any link can change many pages (bridges, maps): a change to links.csv renders pairs and hubs again.
    links_fp = links_graph(inputs).fingerprint
    folder = inputs.templates
    kind = {}
    for k, name in TEMPLATES.items():
        files = sorted(_template_closure(folder, name))
        kind[k] = _h(code, cfg_fp, wording_fp, [(f, (folder / f).read_bytes()) for f in files], links_fp)
    cols = [c for c in inputs.topics.columns if c != "line"]
    topic = {row[0]: _h(row) for row in inputs.topics[cols].itertuples(index=False, name=None)}
    row: dict[tuple[str, str], int] = {}
    if len(inputs.pairs):
        pcols = [c for c in inputs.pairs.columns if c != "line"]
        for r in inputs.pairs[pcols].itertuples(index=False, name=None):
            row[(r[0], r[1])] = _h(r)
    nb = neighbours(inputs.topics, inputs.pairs, inputs.cfg.default_status)
    nb_fp = _h(
        sorted(nb.category.items()),
        sorted(nb.editorial.items()),
        sorted(nb.rejected),
        sorted(nb.by_category.items()),
        nb.slugs,
        sorted(nb.status.items()),
        nb.default_published,
    )
    names = _h(list(zip(inputs.topics["slug"], inputs.topics["name"])))
    all_templates = sorted((str(p.relative_to(folder)), p.read_bytes()) for p in folder.rglob("*") if p.is_file())
    site = _h(
        MANIFEST_VERSION,
        _code_fp(False),
        kind,
        all_templates,
        sorted(topic.items()),
        sorted(row.items()),
        nb_fp,
        names,
        wording_fp,
        cfg_fp,
    )
    return Fingerprints(site, kind, topic, row, nb_fp, names)


def _cache_dir(out: Path) -> Path:
    """Where the manifest of the build of `out` lives (see pipeline.site.quick.cache_dir)."""
    return cache_dir(out)


def _load_manifest(out: Path, preview: Path) -> dict[str, Any] | None:
    """The last build's manifest, if it describes the output and preview folders as they stand."""
    path = _cache_dir(out) / "manifest.pkl"
    try:
        with open(path, "rb") as f:
            m = pickle.load(f)
        if m.get("version") != MANIFEST_VERSION or folder_identity(out) != m.get("out_id"):
            return None
        if folder_identity(preview) != m.get("preview_id"):
            return None
        return m
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError, KeyError):
        return None


def _save_manifest(out: Path, preview: Path, manifest: dict[str, Any]) -> None:
    folder = _cache_dir(out)
    folder.mkdir(parents=True, exist_ok=True)
    manifest["out_id"] = folder_identity(out)
    manifest["preview_id"] = folder_identity(preview)
    tmp = folder / f"manifest.pkl.{os.getpid()}"
    with open(tmp, "wb") as f:
        pickle.dump(manifest, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, folder / "manifest.pkl")


_pair_index = pair_index  # position of pair (i, j), i < j, in the canonical order of n sorted slugs


# ---------------------------------------------------------------------------------------------
# Rendering workers
# ---------------------------------------------------------------------------------------------

# Worker state: set once per build before the pool forks, so chunks only carry indices.
_STATE: dict[str, Any] = {}


def _prepare(
    inputs: Inputs,
    root: Path,
    fps: Fingerprints | None = None,
    old: dict | None = None,
    out: Path | None = None,
    preview_root: Path | None = None,
    preview: Path | None = None,
) -> None:
    """Set the build's worker state; pair pages are written into `root` when published, into
    `preview_root` (default: `root`) when drafts."""
    cfg = inputs.cfg
    topics = topic_records(inputs.topics)
    slugs = tuple(sorted(topics))
    table = pair_table(slugs, inputs.pairs, cfg.default_status)
    editorial = editor_rows(inputs.pairs, cfg.default_status)
    for r in editorial:  # "Reviewed by <name>, <credentials>" when reviewed_by names a person in people.csv
        r["reviewer"] = person_link(inputs.people.get(r["reviewed_by"]))
    nb = neighbours(inputs.topics, inputs.pairs, cfg.default_status)
    graph = links_graph(inputs)
    reuse = None
    if old is not None and fps is not None and out is not None:
        reuse = {
            "out": str(out.resolve()),
            "preview": str((preview or out).resolve()),
            "index": {s: i for i, s in enumerate(old["slugs"])},
            "n": len(old["slugs"]),
            "kind_same": old["kind"].get("pair") == fps.kind["pair"],
            "rel_same": old["nb"] == fps.nb and old["names"] == fps.names,
            "old": old,
        }
    # inflect loads lazily; load it once here so forked workers share it.
    from pipeline.content.language import with_article

    with_article("owl")
    gc.collect()
    gc.freeze()  # what workers inherit is never scanned again (less GC time, fewer copied pages)
    _STATE.clear()
    _STATE.update(
        inputs=inputs,
        root=root,
        preview_root=preview_root or root,
        topics=topics,
        nb=nb,
        env=environment(inputs.templates),
        site=site_context(cfg),
        editorial=editorial,
        overlay=table["row"].to_numpy(),
        slugs=slugs,
        fps=fps,
        reuse=reuse,
        names={s: topic_names(t) for s, t in topics.items()},
        graph=graph,
    )


def _related_fp(related: list[dict[str, str]], public: frozenset[str] = frozenset()) -> int:
    return _h([(r["url"], r["label"]) for r in related], sorted(public))


def _related_links(a: str, b: str, page: str, draft: bool) -> tuple[list[dict[str, str]], frozenset[str]]:
    """The related links pair_context chooses, and those of them a draft links on the public site,
    without building the page (for change checks only)."""
    from pipeline.content.context import RELATED_PER_TOPIC
    from pipeline.data.pairs import related_partners

    topics, nb = _STATE["topics"], _STATE["nb"]
    out, public = [], []
    for topic, other in ((a, b), (b, a)):
        for t in related_partners(nb, topic, other, page, RELATED_PER_TOPIC, not draft):
            p, q = sorted((topic, t))
            out.append({"url": urls.pair_url(p, q), "label": f"{topics[p].name.display} and {topics[q].name.display}"})
            if draft and nb.is_published(p, q):
                public.append(out[-1]["url"])
    return out, frozenset(public)


def pair_rows(
    span: tuple[int, int], slugs: tuple[str, ...], overlay, editorial: list[dict], cfg: Config
) -> Iterator[tuple]:
    """The pair table's rows whose first topic is slugs[start:stop]: (i, j, a, b, editor row or
    default, url). `overlay` is the table's `row` column (an index into `editorial`, or -1)."""
    default = {
        "status": cfg.default_status,
        "relationship": "",
        "sources": (),
        "reviewed_by": "",
        "reviewed_on": "",
        "reviewer": None,
        "editorial": False,
    }
    n = len(slugs)
    start, stop = span
    k = pair_index(start, start + 1, n) if start < n - 1 else 0
    rows = overlay[k : k + sum(n - 1 - i for i in range(start, stop))].tolist()
    k = 0
    for i in range(start, stop):
        a = slugs[i]
        for j in range(i + 1, n):
            b = slugs[j]
            r = rows[k]
            k += 1
            yield i, j, a, b, editorial[r] if r >= 0 else dict(default, a=a, b=b), urls.pair_url(a, b)


def draft_sameness(inputs: Inputs):
    """content.sameness's measure over a sample of drafts per kind pair, their contexts made here."""
    from pipeline.content.sameness import measure, sample_pairs

    topics, nb, graph, cfg = _STATE["topics"], _STATE["nb"], _STATE["graph"], inputs.cfg
    written_pairs = {(r["a"], r["b"]) for r in _STATE["editorial"] if r["relationship"]}
    default = {"status": cfg.default_status, "relationship": "", "sources": (), "reviewed_by": "", "reviewed_on": ""}

    def written(a: str, b: str) -> bool:
        return (a, b) in written_pairs

    samples = {}
    for key, pairs in sample_pairs({s: t.kind for s, t in topics.items()}, written).items():
        drafts = []
        for a, b in pairs:
            ctx = pair_context(dict(default, a=a, b=b, editorial=False), topics, nb, inputs.wording, cfg, graph)
            names = [n for t in (topics[a], topics[b]) for n in (t.name.text, t.name.short, t.name.display)]
            drafts.append((" ".join(ctx["link_generated"]), " ".join(ctx["effects"]), names))
        samples[key] = drafts
    return measure(samples)


def links_graph(inputs: Inputs):
    """The links graph of data/links.csv and the approved editor pairs (empty without links.csv)."""
    links = inputs.links if inputs.links is not None else pd.DataFrame(columns=list(links_file.LINK_COLUMNS))
    return make_graph(links_file.edges(links, inputs.pairs))


def render_pairs(
    batch: list[tuple[dict[str, Any], dict]], topics, nb, wording: Wording, cfg: Config, env, site, graph=None
) -> list:
    """Pair pages, one for each (editor row, topic names) in `batch`: (context, finished page, status,
    own words, total words, HTML, wording warnings). Made one step at a time over the whole batch
    (contexts, then pages, then HTML, then proofreading), so that each step's code and data stay in
    the CPU's caches (≈ 10 % less CPU a page than page after page, measured with 64 pages)."""
    graph = _STATE.get("graph", EMPTY_GRAPH) if graph is None else graph
    contexts = [pair_context(row, topics, nb, wording, cfg, graph) for row, _ in batch]
    done = []
    for (row, _), ctx in zip(batch, contexts):
        own, total = _own_and_total(ctx)
        status = gate(row, own, total, cfg, ctx["low_value"])
        done.append((ctx, finish(ctx, site, indexable=status == "approved"), status, own, total))
    htmls = [render(env, page, site) for _, page, _, _, _ in done]
    return [
        (
            ctx,
            page,
            status,
            own,
            total,
            html,
            [
                f"{page['url']}: {fault.kind} ({fault.detail}): {fault.sentence}"
                for fault in page_faults(ctx, names, topics)
            ],
        )
        for (ctx, page, status, own, total), html, (_, names) in zip(done, htmls, batch)
    ]


def render_pair_page(inputs: Inputs, a: str, b: str) -> tuple[str, str, dict[str, Any]]:
    """The page of pair (a, b), a < b, exactly as build() renders it from `inputs`: (HTML, status,
    context). The review app's preview: it passes inputs whose pairs table holds the form's row."""
    import numpy as np

    cfg = inputs.cfg
    topics = topic_records(inputs.topics)
    rows = [r for r in editor_rows(inputs.pairs, cfg.default_status) if (r["a"], r["b"]) == (a, b)]
    row = rows[0] if rows else next(pair_rows((0, 1), (a, b), np.array([-1]), [], cfg))[4]
    names = topic_names(topics[a]) | topic_names(topics[b])
    nb = neighbours(inputs.topics, inputs.pairs)
    env, site = environment(inputs.templates), site_context(cfg)
    graph = links_graph(inputs)  # the build's own links, so a preview states and cites what the page will
    ((ctx, _, status, _, _, html, _),) = render_pairs([(row, names)], topics, nb, inputs.wording, cfg, env, site, graph)
    return html, status, ctx


# Pages rendered, written and parsed for the audit a batch at a time (see render_pairs).
BATCH = 64


def pair_record(i: int, j: int, status: str, page: dict[str, Any], own: int, total: int) -> tuple:
    """What a render worker returns for a rendered pair page: (i, j, status code, updated_on, words,
    own share)."""
    return i, j, _STATUS_CODE[status], page["updated_on"], total, own / max(total, 1)


def render_chunk(chunk: tuple[int, int]) -> dict[str, Any]:
    """Render (or reuse) and write the pairs whose first topic is slugs[start:stop].

    Returns compact per-page records: (i, j, status code, updated_on, words, own share), the
    fingerprints for the next build's manifest, rejected URLs and wording warnings.
    """
    s = _STATE
    inputs: Inputs = s["inputs"]
    topics: dict[str, Topic] = s["topics"]
    cfg = inputs.cfg
    slugs: tuple[str, ...] = s["slugs"]
    editorial = s["editorial"]
    fps: Fingerprints | None = s["fps"]
    reuse = s["reuse"]
    root = str(s["root"])
    preview_root = str(s["preview_root"])
    env, site, nb, wording = s["env"], s["site"], s["nb"], inputs.wording
    kfp = fps.kind["pair"] if fps else 0
    tfp = fps.topic if fps else {}
    rowfp = fps.row if fps else {}
    pages: list[tuple] = []
    base_fps: list[int] = []
    rel_fps: list[int] = []
    rejected: list[str] = []
    warnings: dict[str, list[str]] = {}
    rendered = reused = 0
    # The audit's records of the pages rendered, when the build hands them to the audit: parsed here
    # and folded into this chunk's own RecordStore (per-page checks included); the parent appends it.
    records = None
    audit_base = s.get("audit_base")
    if audit_base is not None:
        from pipeline.audit import RecordStore, parse_page, stat_key

        records = RecordStore(cfg, s["audit_severity"])
    # (place in the lists, i, j, url, file, row, names, tree's folder) of pages to render
    todo: list[tuple] = []

    def render_batch(batch: list[tuple]) -> int:
        """Render, write and (for the audit) parse a batch of pages, one step at a time; fill in their places."""
        done = render_pairs([(t[5], t[6]) for t in batch], topics, nb, wording, cfg, env, site)
        written = []
        for (_, _, _, url, rel, _, _, tree), (_, _, _, _, _, html, _) in zip(batch, done):
            try:
                os.mkdir(f"{tree}/{url}")
            except FileExistsError:
                pass
            data = html.encode("utf-8")
            st = replace_bytes(f"{tree}/{rel}", data)
            if tree == root:  # the audit reads the published site only
                written.append((rel, data, st))
        if records is not None:
            parsed = []
            for rel, data, st in written:
                rec = parse_page(rel, data, audit_base)
                rec.stat = stat_key(st)
                parsed.append(rec)
            for rec in parsed:
                records.add(rec)
        for (place, i, j, url, *_), (ctx, page, status, own, total, _, found) in zip(batch, done):
            pages[place] = pair_record(i, j, status, page, own, total)
            rel_fps[place] = _related_fp(ctx["related"], ctx["public"]) if fps else 0
            if found:
                warnings[url] = found
        return len(batch)

    for i, j, a, b, row, url in pair_rows(chunk, slugs, s["overlay"], editorial, cfg):
        if row["status"] == "rejected":
            rejected.append(url)
            pages.append((i, j, -1, "", 0, 0.0))
            base_fps.append(0)
            rel_fps.append(0)
            continue
        base = hash((kfp, rowfp.get((a, b), 0), tfp.get(a, 0), tfp.get(b, 0))) if fps else 0
        rel = urls.output_path(url)
        draft = row["status"] not in PUBLISHED
        tree = preview_root if draft else root
        if reuse is not None and reuse["kind_same"]:
            old = reuse["old"]
            oi, oj = reuse["index"].get(a), reuse["index"].get(b)
            if (
                oi is not None
                and oj is not None
                and old["status"][k := _pair_index(oi, oj, reuse["n"])] >= 0
                and old["base"][k] == base
            ):
                rel_fp = int(old["rel"][k])
                if not reuse["rel_same"]:
                    rel_fp = _related_fp(*_related_links(a, b, urls.pair_slug(a, b), draft))
                if rel_fp == old["rel"][k]:
                    if link_into(f"{reuse['preview' if draft else 'out']}/{rel}", f"{tree}/{rel}"):
                        reused += 1
                        status_code = int(old["status"][k])
                        pages.append(
                            (
                                i,
                                j,
                                status_code,
                                old["dates"][old["updated"][k]],
                                int(old["words"][k]),
                                float(old["own"][k]),
                            )
                        )
                        base_fps.append(base)
                        rel_fps.append(rel_fp)
                        if url in old["warnings"]:
                            warnings[url] = old["warnings"][url]
                        continue
        # Rendered below with its batch; its place in the chunk's lists is kept for it.
        todo.append((len(pages), i, j, url, rel, row, s["names"][a] | s["names"][b], tree))
        pages.append(None)
        base_fps.append(base)
        rel_fps.append(0)
        if len(todo) >= BATCH:
            rendered += render_batch(todo)
            todo = []
    rendered += render_batch(todo)
    return {
        "pages": pages,
        "base": base_fps,
        "rel": rel_fps,
        "rejected": rejected,
        "warnings": warnings,
        "rendered": rendered,
        "reused": reused,
        "records": records,
    }


def render_all(chunks: list[tuple[int, int]], workers: int, collect) -> None:
    """render_chunk every chunk with `workers` processes in all, handing results to `collect` in chunk order.

    The calling process renders too: workers - 1 are forked, and it renders the next chunk itself
    whenever the one it must collect next is not finished. One process fewer holds a copy of the
    build's state (the whole tree's memory is what counts), and its own chunks are never pickled.
    """
    if workers <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            collect(render_chunk(chunk))
        return
    ahead = 2 * (workers - 1)  # chunks queued for the pool, so that its workers never wait
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers - 1, mp_context=ctx, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        queued: dict[int, Any] = {}
        mine: dict[int, dict[str, Any]] = {}
        handed = 0  # chunks given out so far, in order, to the pool or to this process

        def feed() -> None:
            nonlocal handed
            while handed < len(chunks) and sum(1 for f in queued.values() if not f.done()) < ahead:
                queued[handed] = pool.submit(render_chunk, chunks[handed])
                handed += 1

        try:
            feed()
            for k in range(len(chunks)):
                while (
                    k not in mine
                    and not (k in queued and queued[k].done())
                    and handed < len(chunks)
                    and len(mine) < ahead  # never far ahead of the collection: results wait in memory
                ):
                    mine[handed] = render_chunk(chunks[handed])  # rather than wait
                    handed += 1
                    feed()
                collect(mine.pop(k) if k in mine else queued.pop(k).result())
                feed()
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)  # fail now, not after the queued chunks
            raise


def _chunks(n_topics: int, pages_per_chunk: int = 2500, workers: int = 1) -> Iterator[tuple[int, int]]:
    """Ranges of first topics holding about `pages_per_chunk` pairs each (the join is never materialised).

    With several workers, chunks shrink towards the end to a quarter of what is left per worker (not
    below 200 pages), so that the processes finish together instead of one rendering a last big
    chunk alone.
    """
    left = n_topics * (n_topics - 1) // 2
    start = 0
    while start < n_topics - 1:
        size = (
            pages_per_chunk
            if workers <= 1
            else max(min(pages_per_chunk, 200), min(pages_per_chunk, left // (4 * workers)))
        )
        stop, count = start, 0
        while stop < n_topics - 1 and (count == 0 or count + (n_topics - stop - 1) <= size):
            count += n_topics - stop - 1
            stop += 1
        yield start, stop
        left -= count
        start = stop


def _hub_fp(kind_fp: int, topic_fp: int, partners: list[tuple[str, str, str, str]], tree: str) -> int:
    return _h(kind_fp, topic_fp, partners, tree)


def _site_pages(
    inputs: Inputs,
    result: BuildResult,
    site: dict[str, Any],
    staging_root: Path | None = None,
    reuse: dict | None = None,
    hub_fps: dict[str, int] | None = None,
    write_lines=None,
    tree: str = "output",
    made: list[str] | None = None,
) -> dict[str, str]:
    """Hubs, home, about and 404 of one tree: rendered from the summaries of the pair pages.

    `tree` "output" is the public site: its hubs and home list published pair pages only, and it
    gets the sitemap (and robots.txt when the site is at the host's root). "preview" is the drafts'
    tree: every page carries the draft banner and noindex, lists drafts beside published pages and
    links the published ones on the public site.

    With `staging_root`, hubs whose fingerprint matches the last build are hard-linked from the
    current tree instead of rendered; `hub_fps` collects every hub's fingerprint. With
    `write_lines(rel, lines)`, hubs are written through it as they are made instead of returned.
    `made` collects the URLs of the tree's pages (the output's are also added to result.pages).
    """
    cfg = inputs.cfg
    env = _STATE["env"]
    topics: dict[str, Topic] = _STATE["topics"]
    fps: Fingerprints | None = _STATE.get("fps")
    preview = tree == "preview"
    every = [p for p in result.pages if p.kind == "pair"]
    pairs = every if preview else [p for p in every if p.status in PUBLISHED]
    public = frozenset(p.url for p in every if p.status in PUBLISHED) if preview else frozenset()
    summaries = _pair_summaries(inputs)
    partners: dict[str, list[str]] = {slug: [] for slug in topics}
    status_of: dict[tuple[str, str], str] = {}
    for p in pairs:
        partners[p.a].append(p.b)
        partners[p.b].append(p.a)
        status_of[(p.a, p.b)] = p.status
    files: dict[str, str] = {}
    made = made if made is not None else []
    disclaimer = inputs.wording.disclaimer
    old_hubs = reuse["old"].get("preview_hubs" if preview else "hubs", {}) if reuse is not None else {}
    old_root = (reuse["preview"] if preview else reuse["out"]) if reuse is not None else ""

    def add(url: str, kind: str, updated_on: str) -> None:
        made.append(url)
        if not preview:
            result.pages.append(PageSummary(url, kind, "approved", updated_on))

    for slug, topic in sorted(topics.items()):
        others = [topics[o] for o in sorted(partners[slug], key=lambda o: topics[o].name.display.lower())]
        statuses = {o.slug: status_of.get(tuple(sorted((slug, o.slug))), "") for o in others}
        rel = urls.output_path(urls.hub_url(slug))
        if fps is not None:
            fp = _hub_fp(
                fps.kind["hub"],
                fps.topic[slug],
                [(o.slug, o.name.display, statuses[o.slug], _summary_of(summaries, slug, o.slug)) for o in others],
                tree,
            )
            if hub_fps is not None:
                hub_fps[slug] = fp
            if staging_root is not None and reuse is not None and old_hubs.get(slug) == fp:
                if link_into(f"{old_root}/{rel}", str(staging_root / rel)):
                    add(urls.hub_url(slug), "hub", topic.updated_on)
                    continue
        ctx = hub_context(topic, others, statuses, cfg, inputs.wording, _STATE["graph"], topics, summaries)
        ctx["draft"], ctx["public"] = preview, public
        page = finish(ctx, site, indexable=not preview)
        if write_lines is None:
            files[rel] = render(env, page, site)
        else:  # written at once: at 1,000 topics the hubs are 1,000 pages of 1,000 links each
            write_lines(rel, (render(env, page, site),))
        add(ctx["url"], "hub", topic.updated_on)
    categories: dict[str, list[Topic]] = {}
    for t in topics.values():
        categories.setdefault(t.category, []).append(t)
    # The editor-written guides: the approved pages, the ones an editor stands behind.
    featured = [p for p in every if p.status == "approved"]
    latest = max((t.updated_on for t in topics.values() if t.updated_on), default="")
    home = {
        "kind": "index",
        "url": urls.HOME,
        "title": f"{cfg.name}: How Psychology Topics Connect",
        "h1": "How Psychology Topics Connect",
        "intro": f"Short, careful guides to how {len(topics)} psychological topics relate to each other, "
        f"written by {cfg.author}, with practical steps you can turn into daily habits.",
        "description": "",
        "updated_on": latest,
        "disclaimer": disclaimer,
        "featured": [
            {
                "url": p.url,
                "label": f"{topics[p.a].name.display} and {topics[p.b].name.display}",
                "summary": _summary_of(summaries, p.a, p.b),
            }
            for p in featured
        ],
        "categories": [
            {
                "name": c,
                "topics": [
                    {"url": urls.hub_url(t.slug), "name": t.name.display}
                    for t in sorted(ts, key=lambda t: t.name.display.lower())
                ],
            }
            for c, ts in sorted(categories.items())
        ],
    }
    home["description"] = (
        f"Guides to how {len(topics)} psychology topics connect, such as stress, emotions, "
        "habits and the brain, with practical, science-informed steps for daily life."
    )
    about = {
        "kind": "about",
        "url": urls.ABOUT,
        "title": f"About These Pages | {cfg.name}",
        "h1": "About These Pages",
        "description": f"How {cfg.name} pages are written and reviewed, why only pages an editor has "
        "checked are published, and what they are not: medical advice.",
        "updated_on": latest,
        "disclaimer": disclaimer,
        "total_pages": len([p for p in every if p.status in PUBLISHED]),
        "editorial_pages": len(featured),
        "indexable_pages": sum(1 for p in every if p.status == "approved"),
        "people": [person_link(p) for p in inputs.people.values()],
        "breadcrumbs": [{"url": urls.HOME, "label": "Home"}, {"url": urls.ABOUT, "label": "About these pages"}],
    }
    missing = {
        "kind": "404",
        "url": urls.NOT_FOUND,
        "title": f"Page Not Found | {cfg.name}",
        "h1": "Page Not Found",
        "description": "This page does not exist.",
        "updated_on": latest,
    }
    for ctx, indexable_page in ((home, True), (about, True), (missing, False)):
        ctx["draft"], ctx["public"] = preview, public
        page = finish(ctx, site, indexable=indexable_page and not preview)
        files[urls.output_path(ctx["url"])] = render(env, page, site)
        if ctx["kind"] != "404":
            add(ctx["url"], ctx["kind"], latest)
    names = {slug: t.name.display for slug, t in topics.items()}
    for ctx in standing_pages(cfg, inputs.people, _STATE["editorial"], every, names, latest, disclaimer):
        # Each person's page and the editorial policy (pipeline/site/pages.py), in both trees.
        ctx["draft"], ctx["public"] = preview, public
        files[urls.output_path(ctx["url"])] = render(env, finish(ctx, site, indexable=not preview), site)
        made.append(ctx["url"])
        if not preview:
            result.pages.append(PageSummary(ctx["url"], ctx["kind"], "approved", ctx["updated_on"] or latest))
    if not preview:
        sitemap_entries = sorted((p.url, p.updated_on) for p in result.pages if p.status == "approved")  # URLs unique
        files.update(sitemap_files(cfg.base_url, sitemap_entries))
        if robots_at_root(cfg.base_url):
            files["robots.txt"] = robots_txt(cfg.base_url)
    return files


def _pair_summaries(inputs: Inputs) -> dict[tuple[str, str], str]:
    """A one-line summary of each editor-written pair page: its text's first sentence (shown on the page)."""
    held = _STATE.get("summaries")
    if held is None:
        held = _STATE["summaries"] = {}
        if len(inputs.pairs):
            for a, b, text in inputs.pairs[["a", "b", "relationship"]].itertuples(index=False, name=None):
                if text:
                    held[(a, b)] = pair_summary(text)
    return held


def _summary_of(summaries: dict[tuple[str, str], str], x: str, y: str) -> str:
    return summaries.get((x, y) if x < y else (y, x), "")


def deploy_files(inputs: Inputs, result: BuildResult, write_lines, deploy: Path) -> None:
    """The host's files, kept out of the public tree: redirects of the published pages (reversed pair
    URLs, renamed topics), the 404 rule and, when the site lives under a path, the lines for the
    host's root robots.txt. Written through `write_lines(rel, lines)` as they are made."""
    cfg = inputs.cfg
    pairs = _in_url_order([p for p in result.pages if p.kind == "pair" and p.status in PUBLISHED])
    renames: list[tuple[str, str]] = []
    if "old_slugs" in inputs.topics.columns and any(inputs.topics["old_slugs"]):
        taken = {p.url for p in result.pages} | {urls.pair_url(p.b, p.a) for p in pairs}
        renames = rename_redirects(inputs.topics, [(p.a, p.b, p.url) for p in pairs], taken)
    result.redirected = dict(renames)
    result.gone = _removed_targets(inputs, result, deploy)
    if result.gone:
        write_lines(GONE_FILE, (gone_text(result.gone),))
    for rel, lines in redirect_lines(cfg.base_url, _Redirects(pairs, renames), result.gone).items():
        write_lines(rel, lines)
    for rel, text in host_files(cfg.base_url).items():
        write_lines(rel, (text,))


def _what_changed(
    inputs: Inputs, result: BuildResult, out: Path, previous: list[str] | None, drafts_before: list[str] | None
) -> None:
    """What this build changes on the public site (read before the swap, from the live trees' page
    lists and sitemap): the pages it drops and adds, and the pages (published or drafts, before or
    now) it makes indexable or no longer indexable."""
    live = {p.url for p in result.pages if p.status in PUBLISHED}
    result.removed = removed_pages(previous, live)
    if previous:
        had = set(previous) | {urls.HOME}  # the page list leaves out the home page's empty URL
        existed = had | set(drafts_before or ())
        result.added = sorted(live - existed)
        indexed = set(indexed_urls(out, inputs.cfg.base_url))
        now = {p.url for p in result.pages if p.status == "approved"}
        built = {p.url for p in result.pages}
        result.now_indexable = sorted((now - indexed) & existed)
        result.not_indexable = sorted((indexed - now) & built)


def _removed_targets(inputs: Inputs, result: BuildResult, deploy: Path) -> dict[str, str | None]:
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


def _sorted_urls(pages: list[PageSummary | PairSummary]) -> Iterator[str]:
    """The pages' URLs in sorted order, made one at a time: the pair pages' (in URL order, see
    _in_url_order) merged with the few others, sorted."""
    pairs = _in_url_order([p for p in pages if p.kind == "pair"])
    return heapq.merge((p.url for p in pairs), sorted(p.url for p in pages if p.kind != "pair"))


def _in_url_order(pairs: list[PairSummary]) -> list[PairSummary]:
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


def _finish_tree(
    staging: Staging, cache: Path, sorted_urls: Iterator[str], pages: list | None, made: set[str] | None = None
) -> None:
    """Keep the page list of a staged tree in the cache and, in a recycled staging folder, remove
    what the tree no longer has (its pages: `pages`' URLs, or the URLs in `made`)."""
    # The recycled site's own page list (or its pages, found by walking), read before this build's replaces it.
    listed = (previous_pages(staging.root, cache) or []) if staging.recycled else []
    write_page_list(cache, staging.root, pages_lines(sorted_urls))
    if staging.recycled:  # a fresh staging folder has nothing to remove: no set of every page's path
        urls_now = (p.url for p in pages) if pages is not None else made or ()
        staging.keep_only(
            {urls.output_path(u) for u in urls_now} | staging.paths,
            [rel for u in listed for rel in (urls.output_path(u), card_path(u))],  # a page goes with its card
        )


def _link_icons(name: str, cache: Path, tree: Staging) -> None:
    """The favicon files (made once in the build cache) hard-linked into a staged tree."""
    for rel, src in icon_files(name, cache).items():
        if not link_into(str(src), str(tree.root / rel)):
            replace_bytes(str(tree.root / rel), src.read_bytes())
        tree.paths.add(rel)


def _place_cards(inputs: Inputs, result: BuildResult, cache: Path, tree: Staging) -> None:
    """The social card of every published page (site/cards.py), hard-linked beside it in the staged tree."""
    pages = (p.url for p in result.pages if p.status in PUBLISHED)
    result.cards, placed = place_cards(
        tree.root, pages, cache, inputs.cfg.name, inputs.cfg.base_url, min(os.cpu_count() or 1, 2)
    )
    tree.paths |= placed


def _write_deploy(inputs: Inputs, result: BuildResult, deploy: Path) -> None:
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


def _summaries_from_manifest(m: dict[str, Any]) -> BuildResult:
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


def build(
    inputs: Inputs,
    out: Path,
    workers: int | None = None,
    progress: bool = True,
    after_write=None,
    audit_records: bool = False,
    preview: Path | None = None,
    deploy: Path | None = None,
    wait: bool = True,
) -> BuildResult:
    """Build the whole site into a staging folder and swap it in when complete.

    Two trees: `out` gets the published pages (approved and noindex), `preview` (default: preview/
    beside `out`) the drafts (review), each staged and swapped in whole; `deploy` (default: deploy/
    beside `out`) gets the host's redirect and 404 rules, outside both.

    Incremental: a manifest of per-page input fingerprints (next to the output, in .build-cache/)
    lets an unchanged page be hard-linked from the current output into the staging folder instead
    of rendered again; when no input, template, wording, configuration or code changed at all,
    the output is left exactly as it is and nothing is written.

    With `audit_records`, the workers also parse each page they render for the SEO audit
    (audit.parse_page on the bytes just written) and `after_write` finds the records in
    result.audit_records, so the audit does not read those files again.

    One build at a time writes `out`: another one waits for its lock (or, without `wait`, raises
    locks.Busy).
    """
    with hold(Path(out), "build", wait=wait):
        out = Path(out)
        preview = Path(preview) if preview is not None else default_preview_dir(out)
        deploy = Path(deploy) if deploy is not None else default_deploy_dir(out)
        return _build(inputs, out, workers, progress, after_write, audit_records, preview, deploy)


def _build(
    inputs: Inputs,
    out: Path,
    workers: int | None,
    progress: bool,
    after_write,
    audit_records: bool,
    preview: Path,
    deploy: Path,
) -> BuildResult:
    import numpy as np
    from tqdm import tqdm

    fps = fingerprints(inputs)
    cache = _cache_dir(out)
    trash = cache / "trash"
    recover(out, trash)  # a killed build's leftovers go, even when nothing else is done
    recover(preview, trash)
    empty_trash(trash)  # folders whose background deletion was stopped
    old = _load_manifest(out, preview) if out.exists() else None
    if old is not None and old["site"] == fps.site and deploy.is_dir():
        result = _summaries_from_manifest(old)
        result.out = out
        result.unchanged = True
        return result

    result = BuildResult(out=out)
    n_topics = len(inputs.topics)
    total = join_count(n_topics)
    workers = workers or min(os.cpu_count() or 1, 2 if total > 2000 else 1)
    per_chunk = max(200, min(2500, total // (workers * 8) or 1))
    pspare = _cache_dir(preview) / "spare"
    with (
        Staging(out, trash=trash, spare=cache / "spare") as staging,
        Staging(preview, trash=trash, spare=pspare) as pstaging,
    ):
        _prepare(inputs, staging.root, fps, old, out, pstaging.root, preview)
        if audit_records and after_write is not None:
            from pipeline.audit import RecordStore, _minhash, _Severity

            _minhash(np.zeros(1, dtype=np.uint32))  # lxml and the permutations set up once, before forking
            _STATE["audit_base"] = inputs.cfg.base_url
            _STATE["audit_severity"] = _Severity(inputs.cfg)
            # Each chunk's records come as compact columns (its workers ran the per-page checks), appended in chunk order.
            result.audit_records = RecordStore(inputs.cfg, _STATE["audit_severity"], spill=_cache_dir(out))
        reuse = _STATE["reuse"]
        slugs = _STATE["slugs"]
        n = len(slugs)
        status = np.empty(total, dtype=np.int8)
        words = np.empty(total, dtype=np.int32)
        own = np.empty(total, dtype=np.float64)
        base = np.empty(total, dtype=np.int64)
        relfp = np.empty(total, dtype=np.int64)
        updated = np.empty(total, dtype=np.int32)
        dates: dict[str, int] = {}
        warnings: dict[str, list[str]] = {}
        statuses_t = STATUSES

        def collect(part: dict[str, Any]) -> None:
            pages = part["pages"]
            if not pages:
                return
            k0 = _pair_index(pages[0][0], pages[0][1], n)
            k1 = k0 + len(pages)
            base[k0:k1] = part["base"]
            relfp[k0:k1] = part["rel"]
            for k, (i, j, code, upd, w, share) in enumerate(pages, k0):
                status[k] = code
                if code < 0:
                    continue
                words[k], own[k] = w, share
                updated[k] = dates.setdefault(upd, len(dates))
                a, b = slugs[i], slugs[j]
                result.pages.append(PairSummary(a, b, statuses_t[code], upd, w, share))
            result.rejected.extend(part["rejected"])
            if part.get("records") is not None:
                result.audit_records.extend(part["records"])
            warnings.update(part["warnings"])
            result.rendered += part["rendered"]
            result.reused += part["reused"]
            bar.update(len(pages))

        bar = tqdm(total=total, unit="page", desc="pair pages", disable=not progress, leave=False)
        render_all(list(_chunks(n, per_chunk, workers)), workers, collect)
        bar.close()
        for url in sorted(warnings):
            result.warnings.extend(warnings[url])
        result.pages.sort(key=lambda p: p.url)
        hub_fps: dict[str, int] = {}
        preview_hubs: dict[str, int] = {}
        drafts = [p.url for p in result.pages if p.status not in PUBLISHED]
        preview_made: list[str] = []
        for rel, text in _site_pages(
            inputs,
            result,
            _STATE["site"],
            pstaging.root,
            reuse,
            preview_hubs,
            pstaging.write_lines,
            "preview",
            preview_made,
        ).items():
            pstaging.write(rel, text)
        site_pages = _site_pages(inputs, result, _STATE["site"], staging.root, reuse, hub_fps, staging.write_lines)
        for rel, text in site_pages.items():
            staging.write(rel, text)
        del site_pages
        for tree in (staging, pstaging):
            _link_icons(inputs.cfg.name, cache, tree)
        _place_cards(inputs, result, cache, staging)
        published = _sorted_urls([p for p in result.pages if p.status in PUBLISHED])
        _finish_tree(staging, cache, published, [p for p in result.pages if p.status in PUBLISHED])
        _finish_tree(pstaging, cache, iter(sorted({*drafts, *preview_made})), None, {*drafts, *preview_made})
        del drafts, preview_made
        _what_changed(inputs, result, out, previous_pages(out, cache), previous_pages(preview, cache))
        result.sameness = draft_sameness(inputs)
        if after_write is not None:
            give_back()  # what rendering freed, before the audit's site-wide pass
            after_write(staging.root, result)
        result.audit_records = {}
        reworded = _approved_pages_changed(result, staging.root, out)
        pstaging.commit()
        staging.commit()
    keep_page_lists(cache, [out, cache / "spare", preview, pspare])
    prune_cards(cache)
    _write_deploy(inputs, result, deploy)
    gc.unfreeze()
    result.review_stale = review_changes(inputs, fps, old, result, reworded)
    date_list = [""] * len(dates)
    for d, i in dates.items():
        date_list[i] = d
    _save_manifest(
        out,
        preview,
        {
            "version": MANIFEST_VERSION,
            "site": fps.site,
            "kind": fps.kind,
            "nb": fps.nb,
            "names": fps.names,
            "slugs": slugs,
            "status": status,
            "words": words,
            "own": own,
            "base": base,
            "rel": relfp,
            "updated": updated,
            "dates": date_list,
            "warnings": warnings,
            "hubs": hub_fps,
            "preview_hubs": preview_hubs,
            "other_pages": [
                (p.url, p.kind, p.status, p.updated_on, p.words, p.own_share, p.a, p.b)
                for p in result.pages
                if p.kind != "pair"
            ],
            "redirected": result.redirected,
            "sameness": result.sameness,
            **review_inputs(inputs, fps),
        },
    )
    return result


def review_inputs(inputs: Inputs, fps: Fingerprints) -> dict[str, Any]:
    """What the next build compares an approved page's inputs with: each topic row, each editor row and
    its review date, each wording key."""
    return {
        "topic_fps": dict(fps.topic),
        "row_fps": {f"{a} {b}": v for (a, b), v in fps.row.items()},
        "reviewed": _reviewed(inputs),
        "wording_keys": wording_keys(inputs.wording),
        "parts": _parts(inputs),
    }


def _parts(inputs: Inputs) -> dict[str, int]:
    """The site-wide inputs of a pair page, each on its own (fingerprints() joins them)."""
    folder = inputs.templates
    return {
        "links": links_graph(inputs).fingerprint,
        "templates": _h(sorted((str(p.relative_to(folder)), p.read_bytes()) for p in folder.glob("*.html"))),
        "cfg": _h(repr(inputs.cfg), repr(inputs.people)),
        "code": _code_fp(True),
    }


def _reviewed(inputs: Inputs) -> dict[str, str]:
    if not len(inputs.pairs):
        return {}
    return {f"{a} {b}": r for a, b, r in inputs.pairs[["a", "b", "reviewed_on"]].itertuples(False, None)}


def wording_keys(wording: Wording) -> dict[str, int]:
    """A fingerprint per wording key (`page.intro[0]`, `kinds.condition.aspect`, …)."""
    keys: dict[str, int] = {}
    for name in ("kinds", "strategies", "own_strategy", "page", "disclaimer", "publishers", "doi_label", "links"):
        for path, text in walk_wording(getattr(wording, name, None), name):
            keys[path] = _h(text)
    return keys


def _approved_pages_changed(result: BuildResult, staged: Path, out: Path) -> set[str]:
    """The approved pair pages whose bytes differ from the live site's (read before the swap)."""
    found = set()
    for p in result.pages:
        if p.kind != "pair" or p.status != "approved":
            continue
        rel = urls.output_path(p.url)
        try:
            before, now = os.stat(out / rel), os.stat(staged / rel)
            if before.st_ino != now.st_ino and (out / rel).read_bytes() != (staged / rel).read_bytes():
                found.add(p.url)
        except OSError:
            continue
    return found


def review_changes(
    inputs: Inputs, fps: Fingerprints, old: dict | None, result: BuildResult, reworded: set[str]
) -> list[tuple[str, str]]:
    """Approved pages, approved in the last build too and not reviewed again since, whose text changed
    (`reworded`): (URL, which input: a topics.csv row, the pairs.csv row, wording keys, links.csv,
    the templates, configuration or code, or else the related pages it links to)."""
    if old is None or "topic_fps" not in old:
        return []
    index = {s: i for i, s in enumerate(old["slugs"])}
    n = len(old["slugs"])
    line = dict(zip(inputs.topics["slug"], inputs.topics["line"]))
    rows = (
        {(a, b): ln for a, b, ln in inputs.pairs[["a", "b", "line"]].itertuples(False, None)}
        if len(inputs.pairs)
        else {}
    )
    reviewed = _reviewed(inputs)
    words = wording_keys(inputs.wording)
    changed_keys = sorted(
        k for k in set(words) | set(old["wording_keys"]) if words.get(k) != old["wording_keys"].get(k)
    )
    site_wide = old.get("kind", {}).get("pair") != fps.kind.get("pair")
    parts = {
        "links.csv": "links",
        "the page templates": "templates",
        "site.toml or people.csv": "cfg",
        "the pipeline's code": "code",
    }
    now_parts = _parts(inputs)
    stale = []
    for p in result.pages:
        if p.url not in reworded or p.a not in index or p.b not in index:
            continue
        key = f"{p.a} {p.b}"
        if STATUSES[old["status"][_pair_index(index[p.a], index[p.b], n)]] != "approved":
            continue
        if reviewed.get(key) != old["reviewed"].get(key):
            continue  # reviewed again: the review is of these inputs
        why = [
            f"topics.csv line {line[s]} (topic '{s}')" for s in (p.a, p.b) if old["topic_fps"].get(s) != fps.topic[s]
        ]
        if old["row_fps"].get(key) != fps.row.get((p.a, p.b)):
            why.append(f"pairs.csv line {rows.get((p.a, p.b), '?')}")
        if site_wide:
            shown = ", ".join(f"'{k}'" for k in changed_keys[:3]) + (", …" if len(changed_keys) > 3 else "")
            why += [f"wording key(s) {shown}"] if changed_keys else []
            why += [name for name, k in parts.items() if old.get("parts", {}).get(k) != now_parts[k]]
        stale.append((p.url, "; ".join(why) or "the related pages it links to"))
    return stale
