"""The SEO reviewers' report: reports/seo-review.html and .csv, outside the deployable site.

Also keeps what the next build compares against (reports/.previous.json: the page hashes of the
latest build and of the one before it) and the terminal summary.
"""

from __future__ import annotations

import csv
import json
import os
import statistics
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from pipeline.audit import CACHE_NAME, CHECKS, SEVERITIES, AuditResult, PageRow, compare
from pipeline.audit import file_of as page_file
from pipeline.audit.model import finding_priority
from pipeline.audit.taxonomy import page_categories
from pipeline.config import Config
from pipeline.report.changes import CHANGES_CSV, SiteChanges, write_changes_csv
from pipeline.report.charts import PageFacts, charts, page_facts
from pipeline.report.priorities import review_plan

HTML_NAME = "seo-review.html"
CSV_NAME = "seo-review.csv"
STATE_NAME = ".previous.json"

CSV_COLUMNS = [
    "url",
    "file",
    "kind",
    "status",
    "title",
    "title_length",
    "description_length",
    "words",
    "unique_share",
    "nearest_duplicate",
    "similarity",
    "click_depth",
    "inlinks",
    "outlinks",
    "change",
    "errors",
    "warnings",
    "info",
    "findings",
    "messages",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cache_file(reports: Path) -> Path:
    return Path(reports) / CACHE_NAME


# ---------------------------------------------------------------------------------------------
# What changed since the previous build


def load_state(reports: Path) -> dict[str, Any]:
    """{'latest': {url: hash}, 'before': {url: hash} | None} or {} before the first build."""
    path = Path(reports) / STATE_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) and isinstance(data.get("latest"), dict) else {}
    except (OSError, ValueError):
        return {}


def save_state(reports: Path, hashes: dict[str, str], findings: dict[str, list[str]] | None = None) -> None:
    """Record a finished build: its hashes (and check → URLs of its findings) become 'latest', the previous
    latest becomes 'before'."""
    reports = Path(reports)
    reports.mkdir(parents=True, exist_ok=True)
    state = load_state(reports)
    data = {
        "latest": hashes,
        "before": state.get("latest"),
        "findings": findings,
        "findings_before": state.get("findings"),
    }
    tmp = reports / f"{STATE_NAME}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, reports / STATE_NAME)


def baseline_for_build(reports: Path) -> dict[str, str] | None:
    """A new build compares against the latest recorded build."""
    return load_state(reports).get("latest")


def previous_findings(result: AuditResult, reports: Path, rebase: bool = False) -> dict[str, list[str]] | None:
    """Check → URLs of the findings of the build this one is compared with (None before the first)."""
    state = load_state(reports)
    if rebase and state.get("latest") is not None and result.hashes() == state["latest"]:
        return state.get("findings_before")
    return state.get("findings")


def compare_with_previous_build(result: AuditResult, reports: Path) -> None:
    """For `audit` on an existing site: if it is the latest recorded build, show that build's changes."""
    state = load_state(reports)
    if state.get("latest") is not None and result.hashes() == state["latest"] and state.get("before") is not None:
        compare(result, state["before"])


# ---------------------------------------------------------------------------------------------
# CSV


def neutralise(value: Any) -> Any:
    """Stop spreadsheets from running a cell as a formula: prefix risky text with a single quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


_NO_COUNTS: Counter = Counter()


def csv_row(p: PageRow) -> list[Any]:
    """The CSV columns of one page."""
    counts = Counter(f.severity for f in p.findings) if p.findings else _NO_COUNTS
    return [
        "/" + p.url,
        p.file,
        p.kind,
        p.status,
        p.title,
        len(p.title),
        p.description_length,
        p.words,
        "" if p.unique_share is None else round(p.unique_share, 3),
        "/" + p.nearest if p.nearest else "",
        "" if p.similarity is None else round(p.similarity, 3),
        "" if p.depth is None else p.depth,
        p.inlinks,
        p.outlinks,
        p.change,
        counts["error"],
        counts["warning"],
        counts["info"],
        "; ".join(sorted({f.check for f in p.findings})),
        " | ".join(f"{f.severity}: {f.check}: {f.message}" for f in p.findings),
    ]


def _csv_writer(f, hubs: dict[str, str] | None = None) -> Any:
    """A function writing one page's CSV row to `f` (after the header), ending with the page's topic
    categories (`hubs`: hub URL → category, as AuditResult.categories)."""
    w = csv.writer(f)
    w.writerow([*CSV_COLUMNS, "categories"])
    hubs = hubs or {}
    return lambda p: w.writerow(
        [*(neutralise(v) if isinstance(v, str) else v for v in csv_row(p)), "; ".join(page_categories(p.url, hubs))]
    )


# ---------------------------------------------------------------------------------------------
# HTML


def _href(site_dir: Path, reports: Path, file: str) -> str:
    prefix = _site_prefix(str(site_dir), str(reports))
    if (
        prefix is not None
        and file
        and not file.startswith("/")
        and not any(part in ("", ".", "..") for part in file.split("/"))
    ):
        return quote(file if prefix == "." else f"{prefix}/{file}")  # what relpath gives, without 2 × 20,000 calls
    return quote(Path(os.path.relpath(Path(site_dir) / file, reports)).as_posix())


@lru_cache(maxsize=16)
def _site_prefix(site_dir: str, reports: str) -> str | None:
    """relpath(site_dir, reports), when relpath(site_dir/file, reports) is it joined with `file`
    (the reports folder is not inside the site); else None."""
    a, r = os.path.abspath(site_dir), os.path.abspath(reports)
    if os.path.commonpath([a, r]) == a:
        return None
    return Path(os.path.relpath(a, r)).as_posix()


def table_rows(
    result: AuditResult, site_dir: Path, reports: Path, each=None, previous: dict | None = None
) -> Iterator[list[Any]]:
    """Compact rows for the report's script: arrays, with checks and severities as indices, and a 1 after
    a finding's message when the build compared with (`previous`: check → URLs) did not have it.
    `each(row)`, when given, also sees every PageRow (the CSV is written in the same pass)."""
    before = {c: set(u) for c, u in previous.items()} if previous is not None else None
    index = {c: i for i, c in enumerate(sorted(CHECKS))}
    # A page without a similar page links to the home page's file, when there is one (as it always has).
    home = _href(site_dir, reports, page_file("")) if _has_url(result, "") else ""
    for p in result.pages:
        if each is not None:
            each(p)
        yield [
            p.url,
            _href(site_dir, reports, p.file),
            p.title,
            p.kind,
            1 if p.indexable else 0,
            p.words,
            -1 if p.unique_share is None else round(p.unique_share * 1000),
            p.nearest,
            _href(site_dir, reports, page_file(p.nearest)) if p.nearest else home,
            -1 if p.similarity is None else round(p.similarity * 100),
            -1 if p.depth is None else p.depth,
            p.inlinks,
            p.outlinks,
            p.change,
            [
                [index[f.check], SEVERITIES.index(f.severity), f.message]
                + ([1] if before is not None and p.url not in before.get(f.check, ()) else [])
                for f in p.findings
            ],
        ]


def _has_url(result: AuditResult, url: str) -> bool:
    has = getattr(result.pages, "has_url", None)
    return has(url) if has is not None else any(p.url == url for p in result.pages)


def _safe(text: str) -> str:
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _json_script_parts(
    result: AuditResult, site_dir: Path, reports: Path, each=None, previous: dict | None = None
) -> Iterator[str]:
    """The table's data as JSON for a <script> element ("<", ">" and "&" escaped), one row at a
    time, never held whole: {"checks": [[id, title], …], "severities": […], "rows": [table_rows…]}."""
    checks = sorted(CHECKS)
    head = {"checks": [[c, CHECKS[c][1]] for c in checks], "severities": list(SEVERITIES), "rows": []}
    text = _safe(json.dumps(head, ensure_ascii=False, separators=(",", ":")))
    assert text.endswith("[]}")
    yield text[:-2]
    for k, row in enumerate(table_rows(result, site_dir, reports, each, previous)):
        yield ("," if k else "") + _safe(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
    yield "]}"


def summary(result: AuditResult, cfg: Config, facts: PageFacts | None = None) -> dict[str, Any]:
    facts = page_facts(result) if facts is None else facts
    words = [w for w, _ in facts.words_of]
    shares = [v for v, _ in facts.share_of]
    near, kinds, indexable = facts.near, facts.kinds, facts.indexable
    by_check = {check: Counter(c) for check, c in facts.by_check.items()}  # pages, then site files too
    for f in result.site_findings:
        by_check.setdefault(f.check, Counter())[f.severity] += 1
    peak = max((sum(c.values()) for c in by_check.values()), default=1)
    return {
        "pages": len(result.pages),
        "indexable": indexable,
        "noindex": len(result.pages) - indexable,
        "errors": result.count("error"),
        "warnings": result.count("warning"),
        "info": result.count("info"),
        "near_duplicates": len(near),
        "median_words": int(statistics.median(words)) if words else 0,
        "median_unique": statistics.median(shares) if shares else None,
        "kinds": kinds,
        "checks": [
            (c, CHECKS[c][1], by_check[c], {s: 100 * n / peak for s, n in by_check[c].items()})
            for c in sorted(
                by_check, key=lambda c: (min(SEVERITIES.index(s) for s in by_check[c]), -sum(by_check[c].values()), c)
            )
        ],
    }


_DATA_MARK = "\x00seo-review-rows\x00"


def _render_html_parts(
    result: AuditResult,
    cfg: Config,
    site_dir: Path,
    reports: Path,
    each=None,
    previous: dict | None = None,
    queue: list[dict] | None = None,
    changes: SiteChanges | None = None,
) -> Iterator[str]:
    """The report in pieces: the page around the table data, and the data one row at a time."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline.report"), autoescape=True, undefined=jinja2.StrictUndefined
    )

    def page_link(url: str) -> str:
        return _href(site_dir, reports, page_file(url)) if _has_url(result, url) else ""

    facts = page_facts(result)  # one pass over the rows for the summary and the charts
    page = env.get_template("seo-review.html").render(
        site=cfg.name,
        base_url=cfg.base_url,
        cfg=cfg,
        result=result,
        s=summary(result, cfg, facts),
        charts=charts(result, cfg, facts),
        data=Markup(_DATA_MARK),
        page_link=page_link,
        site_dir=os.path.relpath(site_dir, reports),
        generated=datetime.now(UTC).astimezone().strftime("%d %b %Y, %H:%M"),
        csv_name=CSV_NAME,
        change_limit=100,
        plan=review_plan(result, reports, previous),
        queue=queue,
        changes=changes,
        changes_csv=CHANGES_CSV,
    )
    before, after = page.split(_DATA_MARK)
    yield before
    yield from _json_script_parts(result, site_dir, reports, each, previous)
    yield after


def write_reports(
    result: AuditResult,
    cfg: Config,
    reports: Path,
    site_dir: Path,
    previous: dict | None = None,
    queue: list[dict] | None = None,
    changes: SiteChanges | None = None,
) -> tuple[Path, Path]:
    """Write seo-review.html and seo-review.csv; links point at `site_dir`, the final output folder.
    `queue`: the top rows of the editors' queue (pipeline.data.queue), shown in a Write next tab.
    `changes`: what the build changed in an editor's terms, shown and written to what-changed.csv
    (None when no build made the report: `audit` on a built site)."""
    reports = Path(reports).resolve()
    reports.mkdir(parents=True, exist_ok=True)
    html_path, csv_path = reports / HTML_NAME, reports / CSV_NAME
    tmp = reports / f"{HTML_NAME}.tmp-{os.getpid()}"
    tmp_csv = reports / f"{CSV_NAME}.tmp-{os.getpid()}"
    # One pass over the pages makes each row once for both files.
    try:
        with open(tmp, "w", encoding="utf-8") as f, open(tmp_csv, "w", encoding="utf-8", newline="") as c:
            site = Path(site_dir).resolve()
            parts = _render_html_parts(
                result, cfg, site, reports, _csv_writer(c, result.categories), previous, queue, changes
            )
            for part in parts:
                f.write(part)
    except BaseException:
        for t in (tmp, tmp_csv):
            t.unlink(missing_ok=True)
        raise
    if changes is not None:
        write_changes_csv(changes, reports)
    os.replace(tmp_csv, csv_path)
    os.replace(tmp, html_path)
    return html_path, csv_path


# ---------------------------------------------------------------------------------------------
# Terminal


def terminal_summary(result: AuditResult, html_path: Path | None = None, limit: int = 10) -> list[str]:
    s = result.stats
    indexable = result.indexable()
    lines = [
        (
            f"SEO audit: {len(result.pages):,} pages ({indexable:,} indexable) in {s.get('seconds', 0):.1f} s "
            f"({s.get('parsed', 0):,} parsed, {s.get('cached', 0):,} unchanged since the last audit)"
        ),
        (f"  {result.count('error'):,} errors · {result.count('warning'):,} warnings · {result.count('info'):,} info"),
    ]
    by = Counter((f.severity, f.check) for f in result.findings)
    for sev in ("error", "warning"):
        items = [f"{c} {n:,}" for (sv, c), n in sorted(by.items(), key=lambda kv: -kv[1]) if sv == sev]
        if items:
            lines.append(f"  {sev}s: " + ", ".join(items))
    first = Counter(f.check for f in result.findings if finding_priority(f.check, f.severity) == 1)
    if first:
        lines.append("  fix first: " + ", ".join(f"{c} {n:,}" for c, n in first.most_common()))
    for f in [f for f in result.findings if f.severity == "error"][:limit]:
        lines.append(f"    /{f.url}: {f.check}: {f.message}")
    if result.has_previous:
        lines.append(
            f"  since the previous build: {len(result.added):,} added, {len(result.removed):,} removed, "
            f"{len(result.changed):,} changed"
        )
        for sign, urls in (("+", result.added), ("-", result.removed), ("~", result.changed)):
            for u in urls[:limit]:
                lines.append(f"    {sign} /{u}")
            if len(urls) > limit:
                lines.append(f"    {sign} … and {len(urls) - limit:,} more")
    if html_path is not None:
        lines.append(f"  report: {_display(html_path)} (and {CSV_NAME})")
    return lines


def _display(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def audit_and_report(
    root: Path,
    cfg: Config,
    site_dir: Path,
    reports: Path,
    previous: dict[str, str] | None,
    workers: int | None = None,
    rebase: bool = False,
    known: dict | None = None,
    sameness=None,
    queue=None,
    crawl: bool = False,
    changes: SiteChanges | None = None,
) -> tuple[AuditResult, Path]:
    """Audit the site in `root` (the staging folder during a build) and write the reports.

    Links in the report point at `site_dir`, where the site is (or is about to be) served from.
    With `rebase`, a site that is exactly the latest recorded build is compared with the build
    before it (what `audit` on an unchanged output should show). `known`: records the build made
    of the pages it rendered (see audit.read_pages). With `crawl`, every page is read from its file
    (the build's records of the pages it rendered are not trusted from the cache). `changes`: what the
    build changed, for editors.
    """
    from pipeline.audit import audit_site

    result = audit_site(root, cfg, previous, cache_file=cache_file(reports), workers=workers, known=known, crawl=crawl)
    if rebase:
        compare_with_previous_build(result, reports)
    if sameness is not None and (sameness.link is not None or getattr(sameness, "drafts", 0)):  # content.sameness
        result.stats["sameness"] = sameness
    rows = queue() if callable(queue) else queue  # a callable: ranked meanwhile, in another process
    found = previous_findings(result, reports, rebase)
    html_path, _ = write_reports(result, cfg, reports, site_dir, found, rows, changes)
    return result, html_path
