"""The editors' to-do list: which pairs to write next, best first, with the reasons in words.

build_queue scores the whole pair table (pairs.pair_table) with the search demand of data/demand/
(demand_match) and the relatedness of the two topics (related), and returns the pairs still to be
written (not approved, not rejected), plus approved pairs whose review is stale (flag "stale": a
topic or the pair's text changed since the review) and pruning candidates (flag "prune": approved
pages Search Console shows no impressions for, rejected pairs people search for).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from pipeline import urls
from pipeline.config import Config
from pipeline.data.demand_match import Demand, describe, total
from pipeline.data.pairs import pair_index, pair_table
from pipeline.data.related import Signals, reasons, score, signals
from pipeline.data.review_hash import changed_parts
from pipeline.data.validate import STATUSES

QUEUE_COLUMNS = ("rank", "topic_a", "topic_b", "url", "status", "score", "demand", "relatedness", "reasons", "flag")


def _demand_columns(table: pd.DataFrame, slugs: tuple[str, ...], demand: Demand | None) -> None:
    """Add `demand` (the pair's own searches or page impressions) and `topic_demand` (its topics')."""
    n = len(slugs)
    pair = np.zeros(len(table), dtype=np.float32)
    per_topic = np.zeros(n, dtype=np.float32)
    impressions = np.full(len(table), -1, dtype=np.int32)  # -1: not in a Pages export
    if demand:
        code = {s: k for k, s in enumerate(slugs)}
        for (a, b), entries in demand.pairs.items():
            pair[pair_index(code[a], code[b], n)] = total(entries)
        for slug, entries in demand.topics.items():
            per_topic[code[slug]] = total(entries)
        for url, entries in demand.pages.items():
            if url.startswith("topics/"):
                slug = url[len("topics/") : -1]
                per_topic[code[slug]] = max(per_topic[code[slug]], total(entries))
                continue
            for cut in _cuts(url.rstrip("/")):
                a, b = cut
                if a in code and b in code:
                    k = pair_index(code[a], code[b], n)
                    impressions[k] = total(entries)
                    pair[k] = max(pair[k], total(entries))
                    break
    i, j = table["a"].cat.codes.to_numpy(), table["b"].cat.codes.to_numpy()
    table["page_impressions"] = impressions
    table["demand"] = pair
    table["topic_demand"] = (per_topic[i] + per_topic[j]).astype(np.float32)


def _cuts(key: str) -> Iterable[tuple[str, str]]:
    start = key.find("-and-")
    while start > 0:
        yield key[:start], key[start + 5 :]
        start = key.find("-and-", start + 1)


def score_table(
    topics: pd.DataFrame,
    editorial: pd.DataFrame,
    cfg: Config,
    demand: Demand | None = None,
    links: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, Signals]:
    """The pair table with every signal column: demand, topic_demand, page_impressions, the
    relatedness signals, relatedness and score (2 million rows at 2,000 topics: ~70 MB)."""
    settings = cfg.queue
    w = settings.weights
    slugs = tuple(sorted(topics["slug"]))
    table = pair_table(slugs, editorial, cfg.default_status)
    _demand_columns(table, slugs, demand)
    sig = signals(topics, editorial, settings, links)
    i, j = table["a"].cat.codes.to_numpy(), table["b"].cat.codes.to_numpy()
    for name, column in score(sig, i, j, settings).items():
        table[name] = column
    points = table["relatedness"].to_numpy().astype(np.float64)
    rows = table["row"].to_numpy()
    undecided = table["status"].isin(["review", "noindex"]).to_numpy() & (rows >= 0)
    has_text = np.zeros(len(table), dtype=bool)
    if len(editorial):
        texts = (editorial["relationship"].fillna("").astype(str) != "").to_numpy()
        has_text[rows >= 0] = texts[rows[rows >= 0]]
    table["listed"] = undecided
    table["written"] = undecided & has_text
    points += w.listed * undecided + w.written * (undecided & has_text)
    for column, weight in (("demand", w.demand), ("topic_demand", w.topic_demand)):
        searched = table[column].to_numpy()
        top = float(searched.max()) if len(searched) else 0.0
        if top > 0:  # the most searched gets `weight` points, the others by log(1 + searches)
            points += weight * np.log1p(searched) / np.log1p(top)
    table["score"] = points.astype(np.float32)
    return table, sig


def _stale(row: Mapping, a: Mapping, b: Mapping) -> list[str]:
    """What changed since an approved pair's review, in words ([] when nothing did)."""
    stored = row.get("input_hash") or ""
    if stored:
        parts = changed_parts(stored, a, b, row)
        said = {
            "topic_a": f"{a['name']}'s description or sources",
            "topic_b": f"{b['name']}'s description or sources",
            "pair": "the pair's relationship or sources",
        }
        return [said[p] for p in parts]
    reviewed = row.get("reviewed_on") or ""
    return [
        f"{t['name']} (updated {t['updated_on']})"
        for t in (a, b)
        if reviewed and (t.get("updated_on") or "") > reviewed
    ]


def _flags(table: pd.DataFrame, topics: Mapping[str, Mapping], editorial: pd.DataFrame, demand: Demand | None):
    """(row in table, flag, reason) of stale approved reviews and pruning candidates."""
    out = []
    status = table["status"].cat.codes.to_numpy()  # codes, not 2 million strings
    approved = np.flatnonzero(status == STATUSES.index("approved"))
    rows = table["row"].to_numpy()
    records = editorial.to_dict("records") if len(editorial) else []
    for k in approved:
        r = rows[k]
        if r < 0:
            continue
        row = records[r]
        changed = _stale(row, topics[row["a"]], topics[row["b"]])
        if changed:
            out.append(
                (k, "stale", f"reviewed {row['reviewed_on'] or 'without a date'}; changed since: {', '.join(changed)}")
            )
    if demand and demand.page_exports:
        impressions = table["page_impressions"].to_numpy()
        files = ", ".join(demand.page_exports)
        for k in approved:
            # Listed with none: a page missing from an export may just be new, so it is not flagged.
            if impressions[k] == 0:
                out.append((k, "prune", f"approved, but no impressions in {files}: improve it or set noindex"))
    if demand:
        searched = table["demand"].to_numpy()
        for k in np.flatnonzero((status == STATUSES.index("rejected")) & (searched > 0)):
            out.append((k, "prune", f"rejected, yet {int(searched[k]):,} searches or impressions: reconsider"))
    return out


def build_queue(
    topics: pd.DataFrame,
    editorial: pd.DataFrame,
    cfg: Config,
    demand: Demand | None = None,
    statuses: Iterable[str] = ("review", "noindex"),
    top: int | None = None,
    links: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The pairs to write next, best first: stale reviews, then drafts (and pruning candidates) by score.

    Columns: rank, topic_a, topic_b, url, status, score, demand, relatedness, reasons, flag.
    `statuses`: which drafts to list; `top`: how many rows (None: all); `links`: data/links.csv, validated.
    """
    table, sig = score_table(topics, editorial, cfg, demand, links)
    by_slug = {r["slug"]: r for r in topics.to_dict("records")}
    flags = _flags(table, by_slug, editorial, demand)
    flagged = {k: (flag, why) for k, flag, why in flags}
    include = table["status"].isin(list(statuses)).to_numpy(copy=True)
    include[list(flagged)] = True
    rows = np.flatnonzero(include)  # in table order
    del include
    flag_rank = np.full(len(rows), 2, dtype=np.int8)  # rows is sorted: the flagged found by bisection
    if flagged:
        ks = np.fromiter(flagged, dtype=np.int64, count=len(flagged))
        flag_rank[np.searchsorted(rows, ks)] = [0 if flagged[int(k)][0] == "stale" else 1 for k in ks]
    scores = table["score"].to_numpy()[rows]
    order = rows[np.lexsort((-scores, flag_rank))]  # stale, prune, then by score; ties in table order
    if top is not None:
        order = order[:top]
    return _rows(table, sig, order, flagged, demand, by_slug, cfg)


def _rows(table, sig, order, flagged, demand, by_slug, cfg) -> pd.DataFrame:
    names = {s: r["name"] for s, r in by_slug.items()}
    w = cfg.queue.weights
    out = []
    for rank, k in enumerate(order, 1):
        row = table.iloc[int(k)]
        a, b = str(row["a"]), str(row["b"])
        i, j = int(table["a"].cat.codes.iat[k]), int(table["b"].cat.codes.iat[k])
        words = []
        flag, why = flagged.get(int(k), ("", ""))
        if why:
            words.append(why)
        if demand:
            said = describe(demand.pairs.get((a, b)))
            if said:
                words.append(said)
            if row["page_impressions"] > 0:
                words.append(f"{int(row['page_impressions']):,} page impressions ({', '.join(demand.page_exports)})")
            for t in (a, b):
                topic_said = describe(demand.topics.get(t))
                if topic_said and w.topic_demand:
                    words.append(f"{names[t]} searched alone: {topic_said}")
        if row["written"]:
            words.append("an editor wrote the relationship; it waits for approval")
        elif row["listed"]:
            words.append("listed in pairs.csv for review")
        words += reasons(sig, i, j, names)
        out.append(
            {
                "rank": rank,
                "topic_a": a,
                "topic_b": b,
                "url": urls.pair_url(a, b),
                "status": str(row["status"]),
                "score": round(float(row["score"]), 1),
                "demand": int(row["demand"]),
                "relatedness": round(float(row["relatedness"]), 1),
                "reasons": "; ".join(words) or "no signal yet",
                "flag": flag,
            }
        )
    return pd.DataFrame(out, columns=list(QUEUE_COLUMNS))


def queue_text(queue: pd.DataFrame, width: int = 110) -> str:
    """The queue as a plain-text table for a terminal: one pair a block, its reasons wrapped below."""
    import textwrap

    if not len(queue):
        return "Nothing to write: every pair is approved or rejected."
    lines = [f"{'#':>4}  {'pair page':<52} {'status':<8} {'score':>6} {'demand':>8}  flag"]
    for r in queue.itertuples(index=False):
        lines.append(f"{r.rank:>4}  {r.url:<52} {r.status:<8} {r.score:>6.1f} {r.demand:>8,}  {r.flag}".rstrip())
        lines += textwrap.wrap(r.reasons, width=max(40, width - 6), initial_indent="      ", subsequent_indent="      ")
    return "\n".join(lines)


def top_rows(data_dir, topics: pd.DataFrame, editorial: pd.DataFrame, cfg: Config, links=None) -> list[dict]:
    """The queue's first [queue] top rows for the report and the build summary, demand read from data_dir."""
    from pipeline.data.demand_match import load_demand

    demand = load_demand(data_dir, topics, cfg.base_url)
    return build_queue(topics, editorial, cfg, demand, top=cfg.queue.top or None, links=links).to_dict("records")
