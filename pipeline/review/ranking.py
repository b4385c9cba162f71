"""The review queue: every pair of the join, ranked for an editor's attention, with filters.

When `pipeline/data/queue.py` (`build_queue`, the ranked queue with search demand and
relatedness) is installed, its ranking is used. Until then pairs are ranked by what an editor
can act on: text an editor wrote that waits for approval, then pairs listed for review in
pairs.csv, then drafts whose two topics share a category, then the other drafts, and last the
pairs already decided (approved, noindex, rejected); ties in the join's canonical order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline import urls
from pipeline.data.pairs import pair_table
from pipeline.data.validate import STATUSES
from pipeline.site.build import Inputs

COLUMNS = ["rank", "topic_a", "topic_b", "url", "status", "score", "demand", "relatedness", "reasons", "flag"]
WAITING = ("review", "")  # statuses that still need an editor's decision


def ranked(inputs: Inputs, data_dir: Path | None = None) -> pd.DataFrame:
    """The queue in the contract's columns: engineer 13's build_queue (with the search demand in
    data_dir/demand/) when it is installed, every status included so that the filters and counts
    cover all pairs; else simple_queue."""
    try:
        from pipeline.data.demand_match import load_demand
        from pipeline.data.queue import build_queue
    except ImportError:
        return simple_queue(inputs)
    demand = load_demand(data_dir, inputs.topics, inputs.cfg.base_url) if data_dir is not None else None
    queue = build_queue(inputs.topics, inputs.pairs, inputs.cfg, demand, statuses=STATUSES, links=inputs.links)
    return queue.assign(url=queue["url"].astype(str).str.lstrip("/"))


def simple_queue(inputs: Inputs) -> pd.DataFrame:
    """Every pair of the join, ranked by what an editor can do with it (see the module's docstring)."""
    slugs = sorted(inputs.topics["slug"])
    table = pair_table(slugs, inputs.pairs, inputs.cfg.default_status)
    a = table["a"].astype(str).to_numpy()
    b = table["b"].astype(str).to_numpy()
    status = table["status"].astype(str).to_numpy()
    listed = table["row"].to_numpy()
    category = dict(zip(inputs.topics["slug"], inputs.topics["category"].fillna("")))
    text = {(r["a"], r["b"]): bool(r["relationship"]) for r in inputs.pairs.to_dict("records")}
    rows = []
    for k in range(len(table)):
        ab = (a[k], b[k])
        score, reason = _score(status[k], listed[k] >= 0, text.get(ab, False), category, ab)
        rows.append((a[k], b[k], urls.pair_url(*ab), status[k], score, reason))
    frame = pd.DataFrame(rows, columns=["topic_a", "topic_b", "url", "status", "score", "reasons"])
    frame = frame.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    frame.insert(0, "rank", range(1, len(frame) + 1))
    frame["demand"], frame["relatedness"], frame["flag"] = 0, 0.0, ""
    return frame[COLUMNS]


def _score(status: str, listed: bool, has_text: bool, category: Mapping[str, str], ab: tuple[str, str]):
    same = category.get(ab[0]) and category.get(ab[0]) == category.get(ab[1])
    if status in ("approved", "noindex", "rejected"):
        return 0, f"decided: {status}"
    if has_text:
        return 4, "an editor wrote the link text; it waits for approval"
    if listed:
        return 3, "listed in pairs.csv for review"
    if same:
        return 2, f"draft; both topics are in {category[ab[0]]}"
    return 1, "generated draft"


@dataclass(frozen=True)
class Filters:
    status: str = ""
    category: str = ""
    kind: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> Filters:
        return cls(*(str(query.get(f, "")).strip()[:100] for f in ("status", "category", "kind", "q")))

    def query(self) -> str:
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in self.__dict__.items() if v})


def view(queue: pd.DataFrame, inputs: Inputs, filters: Filters) -> pd.DataFrame:
    """The queue's rows that pass the filters, with both topics' names, kinds and categories."""
    t = inputs.topics.set_index("slug")
    names = t["name"].to_dict()
    frame = queue.copy()
    for side in ("a", "b"):
        col = frame[f"topic_{side}"]
        frame[f"name_{side}"] = col.map(names)
        frame[f"kind_{side}"] = col.map(t["kind"].to_dict())
        frame[f"category_{side}"] = col.map(t["category"].fillna("").to_dict())
    keep = pd.Series(True, index=frame.index)
    if filters.status:
        keep &= frame["status"] == filters.status
    for f in ("category", "kind"):
        value = getattr(filters, f)
        if value:
            keep &= (frame[f"{f}_a"] == value) | (frame[f"{f}_b"] == value)
    if filters.q:
        q = filters.q.lower()
        hay = frame["topic_a"] + " " + frame["topic_b"] + " " + frame["name_a"] + " " + frame["name_b"]
        keep &= hay.str.lower().str.contains(q, regex=False)
    return frame[keep]


def counts(queue: pd.DataFrame) -> dict[str, int]:
    """Pairs per status, in the contract's order."""
    c = Counter(queue["status"])
    return {s: c.get(s, 0) for s in STATUSES}
