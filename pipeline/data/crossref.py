"""Fill in missing titles of DOI sources from Crossref: `python -m pipeline sources --fetch`.

Runs only when asked and online; the build never calls it. Every answer is kept on disk (one JSON
file per DOI, a 404 included), so a DOI is asked for once; requests are spaced out (`pause`) and
name the project and, when given, a contact address, as Crossref's etiquette asks.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pipeline.data.sources import Reference

USER_AGENT = "bringwise-pipeline (sources --fetch)"
PAUSE = 1.0  # seconds between requests to Crossref


def cache_path(cache: Path, doi: str) -> Path:
    return Path(cache) / f"{quote(doi, safe='')}.json"


def crossref_client(mailto: str | None = None) -> Callable[[str], dict[str, Any] | None]:
    """A function DOI → Crossref's work message (None when Crossref does not know the DOI), made with habanero."""
    from habanero import Crossref

    cr = Crossref(mailto=mailto or None, ua_string=USER_AGENT, timeout=20)

    def get(doi: str) -> dict[str, Any] | None:
        try:
            return cr.works(ids=doi)["message"]
        except Exception as exc:  # habanero raises its HTTP library's status error for a DOI it cannot find
            response = getattr(exc, "response", None)
            if getattr(response, "status_code", None) == 404:  # not a Crossref DOI (another agency's), or a typo
                return None
            raise

    return get


def fetch_works(
    dois: list[str],
    cache: Path,
    get: Callable[[str], dict[str, Any] | None] | None = None,
    pause: float = PAUSE,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[dict[str, dict[str, Any] | None], int]:
    """Crossref's message for each DOI, from the cache or asked for (and cached); and how many were asked."""
    cache = Path(cache)
    out: dict[str, dict[str, Any] | None] = {}
    asked = 0
    for doi in dois:
        path = cache_path(cache, doi)
        if path.exists():
            out[doi] = json.loads(path.read_text(encoding="utf-8")).get("message")
            continue
        if get is None:
            get = crossref_client()
        if asked:
            sleep(pause)
        message = get(doi)
        asked += 1
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
        tmp.write_text(json.dumps({"doi": doi, "message": message}, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
        out[doi] = message
    return out, asked


def _initials(given: str) -> str:
    return " ".join(f"{part[0]}." for part in given.replace("-", " ").split() if part and part[0].isalpha())


def reference_from(doi: str, message: dict[str, Any]) -> Reference:
    """A bibliography entry from a Crossref work message: title, 'Family, G. N.' authors, year, container."""
    title = " ".join((message.get("title") or [""])[0].split())
    authors = []
    for a in message.get("author") or []:
        if a.get("family"):
            initials = _initials(a.get("given", ""))
            authors.append(f"{a['family']}, {initials}" if initials else a["family"])
        elif a.get("name"):
            authors.append(a["name"])
    year = ""
    for field in ("issued", "published", "published-print", "published-online"):
        parts = (message.get(field) or {}).get("date-parts") or [[None]]
        if parts and parts[0] and parts[0][0]:
            year = str(parts[0][0])
            break
    container = " ".join((message.get("container-title") or [""])[0].split())
    return Reference("", doi, title, tuple(authors), year, container)


def default_cache() -> Path:
    """Crossref's answers live in the build cache (BRINGWISE_BUILD_CACHE, default .build-cache/), under crossref/."""
    return Path(os.environ.get("BRINGWISE_BUILD_CACHE", ".build-cache")) / "crossref"
