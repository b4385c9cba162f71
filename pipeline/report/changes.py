"""What a build changed, in an editor's terms, for the report and reports/what-changed.csv.

The build summary prints the same lists: pages that became indexable or stopped being so, approved
pages whose text changed since the previous build (and which input changed it: a data row or a
wording key), new and removed URLs. The build works them out (site/trees.py, site/stale.py); the
report only shows them, so it depends on nothing of the renderer.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHANGES_CSV = "what-changed.csv"
CSV_COLUMNS = ["change", "url", "why"]


@dataclass(frozen=True)
class SiteChanges:
    """The build's lists: URLs (site-relative, 'x-and-y/'), and (URL, why) for the approved pages."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    now_indexable: list[str] = field(default_factory=list)
    not_indexable: list[str] = field(default_factory=list)
    review_stale: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def of(cls, result: Any) -> SiteChanges:
        """The lists of a build's result (a site.result.BuildResult, read by name)."""
        return cls(
            *(
                list(getattr(result, name, None) or [])
                for name in ("added", "removed", "now_indexable", "not_indexable")
            ),
            [tuple(item) for item in getattr(result, "review_stale", None) or []],
        )

    def groups(self) -> list[dict[str, Any]]:
        """One group a kind of change, in the order an editor reads them: label, its CSV name, rows of (url, why)."""
        return [
            {"label": "Now indexable", "change": "now indexable", "rows": [(u, "") for u in self.now_indexable]},
            {"label": "No longer indexable", "change": "no longer indexable", "rows": [(u, "") for u in self.not_indexable]},
            {"label": "Approved, text changed", "change": "approved text changed", "rows": list(self.review_stale)},
            {"label": "New pages", "change": "new", "rows": [(u, "") for u in self.added]},
            {"label": "Removed pages", "change": "removed", "rows": [(u, "") for u in self.removed]},
        ]  # fmt: skip

    def __bool__(self) -> bool:
        return any((self.added, self.removed, self.now_indexable, self.not_indexable, self.review_stale))


def write_changes_csv(changes: SiteChanges, reports: Path) -> Path:
    """reports/what-changed.csv: one row a changed page (change, url, why), replaced whole."""
    path = Path(reports) / CHANGES_CSV
    tmp = path.with_name(f"{CHANGES_CSV}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(CSV_COLUMNS)
            for group in changes.groups():
                w.writerows((group["change"], f"/{url}", why) for url, why in group["rows"])
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
