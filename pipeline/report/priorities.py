"""What the reviewer should fix first: findings grouped by check with a priority, why it matters and how to
fix it (docs/checks.md), change since the last build, segments by status and kind (and by topic category:
report/segments.py), a CSV per check."""

from __future__ import annotations

import csv
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.audit import CHECKS, SEVERITIES, AuditResult
from pipeline.audit.model import GUIDE, PRIORITIES, finding_priority
from pipeline.report.segments import CategorySegments, segment_row, write_segments_csv

FINDINGS_DIR = "findings"  # reports/findings/<check>.csv
DOCS = Path(__file__).resolve().parents[2] / "docs" / "checks.md"
UNTITLED_PREFIX = "source without a title: "
CSV_COLUMNS = ["url", "kind", "status", "severity", "priority", "change", "message"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def finding_rows(result: AuditResult) -> Iterator[tuple[str, str, str, str, str, bool]]:
    """(check, severity, url, message, kind, indexable) of every finding: pages' first, then the site's."""
    rows = getattr(result.pages, "summary_rows", None)
    if rows is not None:
        pages = ((url, kind, ix, findings) for url, kind, ix, _, _, _, findings in rows())
    else:
        pages = ((p.url, p.kind, p.indexable, p.findings) for p in result.pages)
    for url, kind, indexable, findings in pages:
        yield "", "", url, "", kind, indexable  # every page once, for the segments
        for f in findings:
            yield f.check, f.severity, url, f.message, kind, indexable
    for f in result.site_findings:
        yield f.check, f.severity, f.url, f.message, "site", True


def finding_keys(result: AuditResult) -> dict[str, list[str]]:
    """Check → the URLs it was found on: what the next build compares with (made by review_plan when the
    report was written)."""
    if result.finding_keys is not None:
        return result.finding_keys
    out: dict[str, set[str]] = {}
    for check, _, url, _, _, _ in finding_rows(result):
        if check:
            out.setdefault(check, set()).add(url)
    return {c: sorted(u) for c, u in sorted(out.items())}


def docs_href(reports: Path) -> str:
    """docs/checks.md as a link from the reports folder ('' when the docs are not beside the package)."""
    return Path(os.path.relpath(DOCS, Path(reports).resolve())).as_posix() if DOCS.exists() else ""


class _FindingFiles:
    """reports/findings/<check>.csv, one per check that has findings, each written to a temporary name and
    moved into place by `commit` (the files of checks with no finding left are removed then)."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.open = folder, {}

    def row(self, check: str, cells: list) -> None:
        w = self.open.get(check)
        if w is None:
            f = open(self.folder / f"{check}.csv.tmp-{os.getpid()}", "w", encoding="utf-8", newline="")
            w = self.open[check] = (f, csv.writer(f))
            w[1].writerow(CSV_COLUMNS)
        w[1].writerow(cells)

    def close(self) -> None:
        for f, _ in self.open.values():
            f.close()

    def commit(self) -> None:
        for check in self.open:
            os.replace(self.folder / f"{check}.csv.tmp-{os.getpid()}", self.folder / f"{check}.csv")
        for stale in self.folder.glob("*.csv"):
            if stale.stem not in self.open:
                stale.unlink()


def _count_check(checks: dict[str, dict[str, Any]], check: str, url: str, severity: str, priority: int) -> None:
    c = checks.get(check)
    if c is None:
        c = checks[check] = {"urls": set(), "findings": 0, "severities": Counter(), "priority": 3}
    c["urls"].add(url)
    c["findings"] += 1
    c["severities"][severity] += 1
    c["priority"] = min(c["priority"], priority)


def review_plan(result: AuditResult, reports: Path, previous: dict[str, list[str]] | None) -> dict[str, Any]:
    """One pass over every finding: the checks in the order to fix them, segments, untitled sources; writes
    reports/findings/<check>.csv (one row per finding, the stale files of fixed checks removed)."""
    folder = Path(reports) / FINDINGS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    before = {c: set(u) for c, u in (previous or {}).items()}
    checks: dict[str, dict[str, Any]] = {}
    segments: dict[tuple[str, str], dict[str, Any]] = {}
    untitled: Counter = Counter()
    files = _FindingFiles(folder)
    priorities: dict[tuple[str, str, bool], int] = {}
    seg: dict[str, Any] = {}
    by_category = CategorySegments(result.categories)
    counted = None  # the page last counted as having errors or warnings in its segment
    try:
        for check, severity, url, message, kind, indexable in finding_rows(result):
            status = "indexable" if indexable else "noindex"
            if not check or kind == "site":  # a page's findings follow it: its segment is found once
                seg = segments.get((status, kind)) or segments.setdefault(
                    (status, kind), {"pages": 0, "with": 0, "checks": Counter()}
                )
                if not check:
                    seg["pages"] += 1
                    by_category.page(url, status)
                    continue
            if kind != "site":
                by_category.finding(url, check, severity)
            if kind != "site" and severity != "info" and counted is not url:
                seg["with"] += 1
                counted = url
            seg["checks"][check] += 1
            priority = priorities.get((check, severity, indexable))
            if priority is None:
                priority = priorities[(check, severity, indexable)] = finding_priority(check, severity, not indexable)
            _count_check(checks, check, url, severity, priority)
            if check == "source-untitled" and message.startswith(UNTITLED_PREFIX):
                untitled[message[len(UNTITLED_PREFIX) :]] += 1
            new = "new" if previous is not None and url not in before.get(check, ()) else ""
            files.row(
                check, ["/" + url if kind != "site" else url, kind, status, severity, priority, new, _cell(message)]
            )
    finally:
        files.close()
    files.commit()
    result.finding_keys = {c: sorted(v["urls"]) for c, v in sorted(checks.items())}  # for the next build
    by_kind, categories = _segments(segments), by_category.rows()
    write_segments_csv(reports, by_kind, categories)
    return {
        "checks": _ordered(checks, before, previous is not None),
        "segments": by_kind,
        "category_segments": categories,
        "untitled": untitled.most_common(),
        "docs": docs_href(reports),
        "folder": FINDINGS_DIR,
        "fixed": sorted(c for c in before if c not in checks and c in CHECKS),
    }


def _ordered(checks: dict[str, dict[str, Any]], before: dict[str, set[str]], has_previous: bool) -> list[dict]:
    out = []
    for check, c in checks.items():
        p, why, fix = c["priority"], GUIDE[check][1], GUIDE[check][2]
        was = before.get(check, set())
        out.append(
            {
                "check": check,
                "priority": p,
                "label": PRIORITIES[p],
                "meaning": CHECKS[check][1],
                "why": why,
                "fix": fix,
                "pages": len(c["urls"]),
                "findings": c["findings"],
                "severity": min(c["severities"], key=SEVERITIES.index),
                "severities": c["severities"],
                "new": len(c["urls"] - was) if has_previous else None,
                "fixed": len(was - c["urls"]) if has_previous else None,
            }
        )
    out.sort(key=lambda c: (c["priority"], SEVERITIES.index(c["severity"]), -c["pages"], c["check"]))
    return out


def _segments(segments: dict[tuple[str, str], dict[str, Any]]) -> list[dict]:
    order = {"home": 0, "hub": 1, "pair": 2, "page": 3, "404": 4, "site": 5}
    ordered = sorted(segments.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 9), kv[0][1]))
    return [segment_row(s, status=status, kind=kind) for (status, kind), s in ordered]
