"""The one place that turns slugs into output paths and URLs, and says where the reports go."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote_plus, urlencode

HOME = ""
ABOUT = "about/"
NOT_FOUND = "404.html"
POLICY = "editorial-policy/"


def is_remote(target: str | os.PathLike) -> bool:
    """True for an fsspec URL other than a local file path (s3://bucket/prefix, gs://…, memory://…)."""
    text = os.fspath(target)
    return "://" in text and not text.startswith("file://")


def default_reports_dir(out: Path) -> Path:
    """Reports live next to the output folder, never inside it."""
    return Path(out).resolve().parent / "reports"


def pair_slug(a: str, b: str) -> str:
    """The URL key of the pair page for two topic slugs in canonical order."""
    return f"{a}-and-{b}"


def pair_url(a: str, b: str) -> str:
    """Site-relative URL of a pair page: 'x-and-y/'."""
    return f"{pair_slug(a, b)}/"


def hub_url(slug: str) -> str:
    """Site-relative URL of a topic's hub page."""
    return f"topics/{slug}/"


def person_url(person_id: str) -> str:
    """Site-relative URL of a person's page (a writer or reviewer in data/people.csv)."""
    return f"people/{person_id}/"


def output_path(url: str) -> str:
    """The file that serves a site-relative URL."""
    if url.endswith((".html", ".xml", ".txt")):
        return url
    return f"{url}index.html"


def absolute(base_url: str, url: str) -> str:
    """Absolute URL for canonical links, sitemaps and structured data."""
    return f"{base_url.rstrip('/')}/{url}"


def relative(from_url: str, to_url: str) -> str:
    """A link from one page to another that works from any folder and on file://."""
    prefix = "../" * from_url.count("/")
    return (prefix + to_url) or "./"


def tracked(url: str, source: str, medium: str, campaign: str, content: str) -> str:
    """Add UTM parameters that identify the page a click came from."""
    # urlencode quotes each value with quote_plus and joins them with '&': the same as below.
    return _tracked_prefix(url, source, medium, campaign) + quote_plus(content)


@lru_cache(maxsize=64)
def _tracked_prefix(url: str, source: str, medium: str, campaign: str) -> str:
    sep = "&" if "?" in url else "?"
    query = urlencode({"utm_source": source, "utm_medium": medium, "utm_campaign": campaign, "utm_content": ""})
    return f"{url}{sep}{query}"
