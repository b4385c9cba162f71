"""Approved pages whose text changed since their review, and which input changed it."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline import urls
from pipeline.data.pairs import pair_index
from pipeline.data.validate import STATUSES
from pipeline.site.fingerprint import Fingerprints, reviewed_dates, site_parts, wording_keys
from pipeline.site.inputs import Inputs
from pipeline.site.result import BuildResult


def approved_pages_changed(result: BuildResult, staged: Path, out: Path) -> set[str]:
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
    reviewed = reviewed_dates(inputs)
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
    now_parts = site_parts(inputs)
    stale = []
    for p in result.pages:
        if p.url not in reworded or p.a not in index or p.b not in index:
            continue
        key = f"{p.a} {p.b}"
        if STATUSES[old["status"][pair_index(index[p.a], index[p.b], n)]] != "approved":
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
