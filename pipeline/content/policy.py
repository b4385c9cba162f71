"""The editorial-policy page: how topics are chosen, how pages are written and reviewed, how to report an error.

Its facts come from the build (the statuses, the quality gate, the people), so the page says what the
pipeline does, not what it might.
"""

from __future__ import annotations

from typing import Any

from pipeline import urls
from pipeline.config import Config


def policy_context(
    cfg: Config, people: list[dict[str, Any]], counts: dict[str, int], updated_on: str, disclaimer: str
) -> dict[str, Any]:
    """The policy page. `people`: person_link() of everyone in people.csv; `counts`: topics, pair pages
    by status ('approved', 'noindex', 'review') and 'reviewed' (pages whose reviewer is a named person)."""
    contact = cfg.corrections
    return {
        "kind": "policy",
        "url": urls.POLICY,
        "title": f"Editorial Policy | {cfg.name}",
        "h1": "Editorial Policy",
        "description": (
            f"How {cfg.name} chooses topics, writes and reviews its pages, names its reviewers and sources, "
            "and how to report a mistake so that it is corrected."
        ),
        "people": people,
        "counts": counts,
        "author": cfg.author,
        "default_status": cfg.default_status,
        "min_words": cfg.quality.min_words,
        "min_unique_share": f"{cfg.quality.min_unique_share:.0%}",
        "contact": contact,
        "contact_href": contact if "://" in contact or contact.startswith("mailto:") else f"mailto:{contact}",
        "contact_label": contact.removeprefix("mailto:"),
        "disclaimer": disclaimer,
        "updated_on": updated_on,
        "breadcrumbs": [
            {"url": urls.HOME, "label": "Home"},
            {"url": urls.ABOUT, "label": "About these pages"},
            {"url": urls.POLICY, "label": "Editorial policy"},
        ],
    }
