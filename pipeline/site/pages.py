"""The site's standing pages beside the pairs and hubs: each person's page and the editorial policy."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pipeline import urls
from pipeline.config import Config
from pipeline.content.people import person_context, person_link
from pipeline.content.policy import policy_context
from pipeline.data.people import Person
from pipeline.site.render import long_date


def reviewed_pages(
    people: dict[str, Person], editorial: list[dict[str, Any]], pairs: list, names: dict[str, str]
) -> dict[str, list[dict[str, str]]]:
    """Person id → the approved pair pages whose reviewed_by names them, by topic names. Only approved
    pages: a person's page is indexable and links only to pages that are too. `editorial`: the
    editors' rows of pairs.csv."""
    out: dict[str, list[dict[str, str]]] = {pid: [] for pid in people}
    by_pair = {(r["a"], r["b"]): r for r in editorial if r["reviewed_by"] in out}
    for p in pairs:
        if p.status != "approved":
            continue
        row = by_pair.get((p.a, p.b))
        if row is None:
            continue
        out[row["reviewed_by"]].append(
            {
                "url": p.url,
                "label": f"{names[p.a]} and {names[p.b]}",
                "reviewed_on": row.get("reviewed_on", ""),
                "reviewed_on_text": long_date(row.get("reviewed_on", "")),
            }
        )
    for pages in out.values():
        pages.sort(key=lambda r: r["label"].lower())
    return out


def standing_pages(
    cfg: Config,
    people: dict[str, Person],
    editorial: list[dict[str, Any]],
    pairs: list,
    names: dict[str, str],
    latest: str,
    disclaimer: str,
) -> list[dict[str, Any]]:
    """Contexts of /people/<id>/ for everyone in people.csv and of /editorial-policy/."""
    reviewed = reviewed_pages(people, editorial, pairs, names)
    pages = [person_context(person, reviewed[pid], cfg) for pid, person in people.items()]
    status = Counter(p.status for p in pairs)
    counts = {
        "topics": len(names),
        "approved": status["approved"],
        "noindex": status["noindex"],
        "review": status["review"],
        "reviewed": sum(len(r) for r in reviewed.values()),
    }
    links = [person_link(p) for p in people.values()]
    pages.append(policy_context(cfg, links, counts, latest, disclaimer))
    return pages


def policy_note(cfg: Config) -> list[str]:
    """A note for the build's summary while readers have no address to report a mistake to."""
    if cfg.corrections:
        return []
    return [
        f"site.toml: [site] corrections is empty, so /{urls.POLICY} gives readers no address to report a "
        "mistake; set it to an e-mail address or form the editors read"
    ]
