"""The report's charts: inline SVG drawn here (no scripts or external files), and the facts about every
page that the summary and the charts need, gathered in one pass."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, NamedTuple

from markupsafe import Markup

from pipeline.audit import AuditResult
from pipeline.config import Config

_SERIES = (("indexable", "#0d5c4a"), ("noindex", "#9fc7bb"))


def _esc(text: Any) -> str:
    return str(Markup.escape(text))


@dataclass(frozen=True)
class _Plot:
    """A chart's geometry: the SVG's size, the margins around the plot, the bins and the y axis's top."""

    width: int
    height: int
    bins: int
    ymax: int
    left: int = 34
    right: int = 14
    top: int = 22
    bottom: int = 30

    @property
    def plot_w(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> int:
        return self.height - self.top - self.bottom

    @property
    def bar_w(self) -> float:
        return self.plot_w / self.bins

    @property
    def base(self) -> int:
        """The y of the x axis."""
        return self.top + self.plot_h

    def label(self, x: float, text: str) -> str:
        """A label under the x axis, centred on `x`."""
        return (
            f'<text x="{x:.1f}" y="{self.height - self.bottom + 14}" class="axis" text-anchor="middle">'
            f"{_esc(text)}</text>"
        )


def histogram_svg(
    series: dict[str, list[int]],
    labels: list[str],
    title: str,
    marker: float | None = None,
    marker_label: str = "",
    width: int = 360,
    height: int = 190,
    categories: int = 0,
    end_label: str = "",
) -> Markup:
    """A stacked column chart; `series` maps a name to counts per bin, `marker` is a bin position.

    Labels name each bin's lower edge and sit on it, except the first `categories` bins (such as
    "none"), whose labels are centred.
    """
    n = len(labels)
    peak = max([sum(s[i] for s in series.values()) for i in range(n)] + [1])
    step = _nice_step(peak)
    plot = _Plot(width, height, n, step * -(-peak // step))
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(title)}" class="chart">',
        f"<title>{_esc(title)}</title>",
        *_grid(plot, step),
        *_columns(plot, series, labels, categories),
    ]
    if end_label:
        parts.append(plot.label(plot.left + plot.plot_w, end_label))
    if marker is not None:
        parts.append(_marker(plot, marker, marker_label))
    parts.append(f'<line x1="{plot.left}" x2="{width - plot.right}" y1="{plot.base}" y2="{plot.base}" class="base"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _grid(plot: _Plot, step: int) -> list[str]:
    """The horizontal grid lines and the y axis's numbers, every `step`."""
    parts = []
    for k in range(0, plot.ymax + 1, step):
        y = plot.base - plot.plot_h * k / plot.ymax
        parts.append(
            f'<line x1="{plot.left}" x2="{plot.width - plot.right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{plot.left - 5}" y="{y + 3.5:.1f}" class="axis" text-anchor="end">{_fmt(k)}</text>'
        )
    return parts


def _columns(plot: _Plot, series: dict[str, list[int]], labels: list[str], categories: int) -> list[str]:
    """Each bin's stacked bars (one per series, with a tooltip) and, where there is room, its label."""
    colours = dict(_SERIES)
    parts = []
    n = plot.bins
    for i in range(n):
        y = plot.base
        x = plot.left + i * plot.bar_w + 1.5
        for name, counts in series.items():
            h = plot.plot_h * counts[i] / plot.ymax
            if counts[i]:
                y -= h
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(plot.bar_w - 3, 1):.1f}" height="{h:.1f}" '
                    f'rx="1.5" fill="{colours.get(name, "#0d5c4a")}"><title>{_esc(labels[i])}: '
                    f"{counts[i]:,} {_esc(name)}</title></rect>"
                )
        if n <= 12 or i % max(1, n // 6) == 0:
            parts.append(plot.label(plot.left + (i + 0.5 if i < categories else i) * plot.bar_w, labels[i]))
    return parts


def _marker(plot: _Plot, marker: float, text: str) -> str:
    """A vertical line at bin position `marker`, labelled (on its left near the right edge)."""
    x = plot.left + marker * plot.bar_w
    flip = x > plot.left + plot.plot_w * 0.6
    return (
        f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{plot.top - 18}" y2="{plot.base}" class="marker"/>'
        f'<text x="{x - 4 if flip else x + 4:.1f}" y="{plot.top - 9}" class="marker-label" '
        f'text-anchor="{"end" if flip else "start"}">{_esc(text)}</text>'
    )


def _nice_step(peak: int) -> int:
    for step in (
        1,
        2,
        5,
        10,
        20,
        25,
        50,
        100,
        200,
        250,
        500,
        1000,
        2000,
        2500,
        5000,
        10_000,
        20_000,
        25_000,
        50_000,
        100_000,
    ):
        if peak / step <= 5:
            return step
    return 10 ** len(str(peak // 5))


def _fmt(n: int) -> str:
    return f"{n / 1000:g}k" if n >= 1000 else str(n)


def _bins(values: list[tuple[float, bool]], edges: list[float]) -> dict[str, list[int]]:
    out = {"indexable": [0] * len(edges), "noindex": [0] * len(edges)}
    for v, indexable in values:
        i = len(edges) - 1
        for k in range(len(edges) - 1):
            if v < edges[k + 1]:
                i = k
                break
        out["indexable" if indexable else "noindex"][i] += 1
    return out


class PageFacts(NamedTuple):
    """What the summary and the charts need from every page, gathered in one pass over the rows
    (each row is made from the audit's columns when asked, so every pass costs)."""

    kinds: Counter
    indexable: int
    near: set[str]  # pages with a near-duplicate finding
    by_check: dict[str, Counter]  # check → severity → pages affected
    words_of: list[tuple[int, bool]]  # (value, indexable) of content pages (not the 404 page)
    share_of: list[tuple[float, bool]]
    sim_of: list[tuple[float | None, bool]]


def page_facts(result: AuditResult) -> PageFacts:
    kinds: Counter = Counter()
    indexable = 0
    near: set[str] = set()
    by_check: dict[str, Counter] = {}
    words_of, share_of, sim_of = [], [], []
    rows = getattr(result.pages, "summary_rows", None)
    if rows is not None:  # the audit's own rows: the fields needed, without making each PageRow
        rows = rows()
    else:
        rows = ((p.url, p.kind, p.indexable, p.words, p.unique_share, p.similarity, p.findings) for p in result.pages)
    for url, kind, is_indexable, words, share, similarity, findings in rows:
        kinds[kind] += 1
        indexable += is_indexable
        if kind != "404":
            words_of.append((words, is_indexable))
            if share is not None:
                share_of.append((share, is_indexable))
            sim_of.append((similarity, is_indexable))
        if findings:
            if any(f.check == "near-duplicate" for f in findings):
                near.add(url)
            for check, sev in {(f.check, f.severity) for f in findings}:
                by_check.setdefault(check, Counter())[sev] += 1
    return PageFacts(kinds, indexable, near, by_check, words_of, share_of, sim_of)


def charts(result: AuditResult, cfg: Config, facts: PageFacts | None = None) -> dict[str, Markup]:
    a = cfg.audit
    facts = page_facts(result) if facts is None else facts
    words_of, share_of, sim_of = facts.words_of, facts.share_of, facts.sim_of
    words = sorted(w for w, _ in words_of) or [0]
    top = max(
        words[int(0.98 * (len(words) - 1))], int(a.min_words * 1.5), 1
    )  # a few very long pages share the last bin
    width = next(w for w in (25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 10**9) if top / w <= 10)
    edges = [k * width for k in range(int(top // width) + 1)]
    labels = [f"{e:,}" for e in edges]
    if words[-1] >= edges[-1] + width:
        labels[-1] += "+"
    word_chart = histogram_svg(
        _bins(words_of, edges),
        labels,
        "Pages by words of main text",
        marker=a.min_words / width,
        marker_label=f"min {a.min_words}",
    )
    pct = [k / 10 for k in range(10)]
    pct_labels = [f"{k * 10}%" for k in range(10)]
    unique_chart = histogram_svg(
        _bins(share_of, pct),
        pct_labels,
        "Pages by share of text that is their own",
        end_label="100%",
        marker=a.min_unique_share * 10,
        marker_label=f"min {a.min_unique_share:.0%}",
    )
    sims = _bins([(v, ix) for v, ix in sim_of if v is not None], pct)
    none = [(0.0, ix) for v, ix in sim_of if v is None]
    for name in sims:
        sims[name].insert(0, sum(1 for _, ix in none if (name == "indexable") == ix))
    sim_chart = histogram_svg(
        sims,
        ["none", "", *pct_labels[1:]],
        "Pages by similarity to their most similar page",
        categories=1,
        end_label="100%",
        marker=1 + a.near_duplicate_threshold * 10,
        marker_label=f"duplicate ≥ {a.near_duplicate_threshold:.0%}",
    )
    return {"words": word_chart, "unique": unique_chart, "similarity": sim_chart}
