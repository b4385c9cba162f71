"""Rebuild the site after a save, as `python -m pipeline build` does, and keep the audit's findings.

The build is the incremental one: only pages whose inputs changed are rendered again (a status
change re-renders that page, its hubs and the sitemap); the rest are hard-linked from the current
site, the whole is audited before it is swapped in, and the SEO review in reports/ is rewritten.
"""

from __future__ import annotations

import csv
import threading
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.site.build import Inputs, build

# One rebuild at a time: the staging folder is named by the process, and gc.freeze is per process.
_LOCK = threading.Lock()


@dataclass
class Published:
    """The site's state as the review app shows it: each page's audit findings and status."""

    findings: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # url -> (severity, check, msg)
    indexable: dict[str, bool] = field(default_factory=dict)
    seconds: float = 0.0
    rendered: int = 0

    def for_page(self, url: str) -> list[tuple[str, str, str]]:
        return self.findings.get(url.lstrip("/"), [])


def rebuild(inputs: Inputs, out: Path, reports: Path) -> Published:
    """Build `inputs` into `out` incrementally, audit it and write reports/; what the audit found."""
    import time

    from pipeline.report import review as report

    started = time.perf_counter()
    audit: dict = {}

    def after_write(root: Path, result) -> None:
        audit["result"], _ = report.audit_and_report(
            root,
            inputs.cfg,
            out,
            reports,
            report.baseline_for_build(reports),
            workers=1,
            known=getattr(result, "audit_records", None),
        )

    with _LOCK:
        result = build(inputs, out, workers=1, progress=False, after_write=after_write, audit_records=True)
        if "result" not in audit:  # nothing changed, so the build wrote nothing
            audit["result"], _ = report.audit_and_report(
                out, inputs.cfg, out, reports, report.baseline_for_build(reports), workers=1
            )
        report.save_state(reports, audit["result"].hashes())
    done = from_audit(audit["result"])
    done.seconds, done.rendered = time.perf_counter() - started, result.rendered
    return done


def from_audit(result) -> Published:
    """The findings and indexability of an AuditResult, by URL."""
    pub = Published()
    for f in result.findings:
        pub.findings.setdefault(f.url.lstrip("/"), []).append((f.severity, f.check, f.message))
    for p in result.pages:
        pub.indexable[p.url.lstrip("/")] = bool(p.indexable)
    return pub


def from_reports(reports: Path) -> Published:
    """The last build's findings, read from reports/seo-review.csv (empty when there is none)."""
    from pipeline.report.review import CSV_NAME

    pub = Published()
    path = reports / CSV_NAME
    if not path.exists():
        return pub
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            url = row["url"].lstrip("/")
            pub.indexable[url] = row["status"] == "indexable"
            for item in filter(None, row["messages"].split(" | ")):
                severity, check, message = (item.split(": ", 2) + ["", ""])[:3]
                pub.findings.setdefault(url, []).append((severity, check, message))
    return pub
