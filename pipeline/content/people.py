"""The people behind the pages: reviewer links on pair pages and each person's own page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pipeline import urls
from pipeline.config import Config
from pipeline.content.context import meta_description
from pipeline.content.language import split_sentences
from pipeline.data.people import Person


def person_link(person: Person | None) -> dict[str, Any] | None:
    """What a page needs to say 'Reviewed by <name>, <credentials>' and link to the person's page."""
    if person is None:
        return None
    profiles = [u for u in (person.profile_url, *person.same_as) if u]
    return {
        "id": person.id,
        "name": person.name,
        "credentials": person.credentials,
        "role": person.role,
        "url": urls.person_url(person.id),
        "same_as": list(dict.fromkeys(profiles)),
    }


def _profile_label(url: str) -> str:
    """Link text for a profile: the site's host, e.g. 'orcid.org' or 'linkedin.com'."""
    return urlsplit(url).netloc.lower().removeprefix("www.")


def person_title(person: Person, site_name: str, limit: int = 60) -> str:
    """A person page's <title>: name and credentials when they fit, else the name."""
    for title in (
        f"{person.name}, {person.credentials} | {site_name}" if person.credentials else "",
        f"{person.name}, {person.role} | {site_name}" if person.role else "",
        f"{person.name} | {site_name}",
    ):
        if title and len(title) <= limit:
            return title
    return person.name


def person_context(person: Person, reviewed: list[dict[str, str]], cfg: Config) -> dict[str, Any]:
    """A person's page: role, credentials, biography, profiles and the published pages they reviewed.

    `reviewed`: {url, label, reviewed_on} of each published page whose reviewed_by names this person.
    """
    url = urls.person_url(person.id)
    link = person_link(person)
    who = person.name + (f", {person.credentials}" if person.credentials else "")
    lead = f"{who}, {person.role} at {cfg.name}." if person.role else f"{who} reviews pages for {cfg.name}."
    extra = split_sentences(person.bio) if person.bio else []
    extra.append(f"{len(reviewed)} published page{'s' if len(reviewed) != 1 else ''} reviewed.")
    return {
        "kind": "person",
        "url": url,
        "title": person_title(person, cfg.name, cfg.audit.title_max),
        "h1": person.name,
        "description": meta_description(lead, extra, cfg.audit.description_min, cfg.audit.description_max - 2),
        "person": link,
        "bio": person.bio,
        "profiles": [{"url": u, "label": _profile_label(u)} for u in link["same_as"]],
        "reviewed": reviewed,
        "updated_on": max((r["reviewed_on"] for r in reviewed), default=""),
        "breadcrumbs": [
            {"url": urls.HOME, "label": "Home"},
            {"url": urls.ABOUT, "label": "About these pages"},
            {"url": url, "label": person.name},
        ],
    }
