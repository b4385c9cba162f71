"""Segments of the review report by topic category (the home page's categories, pipeline.audit.taxonomy):
pages, pages with errors or warnings and the most frequent findings per status and category, a pair
page counting in both of its topics' categories; and reports/segments.csv with every segment."""

from __future__ import annotations

import csv
import os
from collections import Counter
from pathlib import Path
from typing import Any

from pipeline.audit.taxonomy import page_categories

SEGMENTS_CSV = "segments.csv"
_COLUMNS = ["by", "status", "segment", "pages", "with_errors_or_warnings", "findings", "top_findings"]


class CategorySegments:
    """Fed the report's one pass over the findings (priorities.review_plan): each page, then its findings."""

    def __init__(self, hubs: dict[str, str]):
        self.hubs = hubs
        self.segments: dict[tuple[str, str], dict[str, Any]] = {}
        self._current: list[dict[str, Any]] = []
        self._counted = ""

    def page(self, url: str, status: str) -> None:
        self._current = [
            self.segments.setdefault((status, c), {"pages": 0, "with": 0, "checks": Counter()})
            for c in page_categories(url, self.hubs)
        ]
        self._counted = ""
        for s in self._current:
            s["pages"] += 1

    def finding(self, url: str, check: str, severity: str) -> None:
        """A finding on the page last given to page()."""
        counts = severity != "info" and self._counted != url
        self._counted = url if counts else self._counted
        for s in self._current:
            s["with"] += counts
            s["checks"][check] += 1

    def rows(self) -> list[dict[str, Any]]:
        """Indexable before noindex, categories alphabetically: the template's and the CSV's rows."""
        return [
            segment_row(s, status=status, category=category) for (status, category), s in sorted(self.segments.items())
        ]


def segment_row(s: dict[str, Any], **key: str) -> dict[str, Any]:
    """One row of a segments table (by kind or by category): its key, then the counts kept while reading."""
    return {
        **key,
        "pages": s["pages"],
        "with_findings": s["with"],
        "findings": sum(s["checks"].values()),
        "top": s["checks"].most_common(3),
    }


def write_segments_csv(reports: Path, by_kind: list[dict[str, Any]], by_category: list[dict[str, Any]]) -> Path:
    """reports/segments.csv: one row per segment, by page kind and by topic category."""
    path = Path(reports) / SEGMENTS_CSV
    tmp = path.with_name(f"{SEGMENTS_CSV}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(_COLUMNS)
        for by, rows, key in (("kind", by_kind, "kind"), ("category", by_category, "category")):
            for r in rows:
                if r[key] == "site":
                    continue
                top = "; ".join(f"{check} {n}" for check, n in r["top"])
                findings = r.get("findings", "")
                w.writerow([by, r["status"], r[key], r["pages"], r["with_findings"], findings, top])
    os.replace(tmp, path)
    return path
