"""Read the site configuration (site.toml) into a frozen, validated value."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.problems import ContractError, Problem

STATUSES = ("approved", "review", "noindex", "rejected")


@dataclass(frozen=True)
class CallToAction:
    brand: str = "Bringwise"
    headline: str = "Turn psychology into daily habits"
    text: str = "5 minutes a day. Science-backed insights you can actually use."
    button: str = "Download Free"
    url: str = "https://bringwise.app/download"
    utm_source: str = "bringwise-library"
    utm_medium: str = "seo-page"
    utm_campaign: str = "pair-pages"


@dataclass(frozen=True)
class Quality:
    min_words: int = 450
    min_unique_share: float = 0.35


@dataclass(frozen=True)
class AuditThresholds:
    title_min: int = 30
    title_max: int = 60
    description_min: int = 120
    description_max: int = 160
    min_words: int = 300
    near_duplicate_threshold: float = 0.85
    max_click_depth: int = 3
    # Unique-text share: a shingle on more than boilerplate_share of the pages is boilerplate.
    min_unique_share: float = 0.2
    boilerplate_share: float = 0.05
    # …or on more than this many pages, whichever is fewer (a definition repeated on 75 pages is not
    # any one page's own text); 0 turns the count off.
    boilerplate_pages: int = 5
    # Per-check severity overrides, e.g. {"thin-content": "info"}; "off" silences a check.
    severity: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    name: str = "Bringwise Library"
    base_url: str = "https://bringwise.app/library"
    language: str = "en"
    author: str = "Bringwise Editorial Team"
    default_status: str = "review"
    max_pages: int = 2_000_000
    # Where readers report a mistake (an e-mail address, mailto: or https:// URL), on the editorial policy.
    corrections: str = ""
    cta: CallToAction = field(default_factory=CallToAction)
    quality: Quality = field(default_factory=Quality)
    audit: AuditThresholds = field(default_factory=AuditThresholds)


def _section(cls: type, data: dict, file: str, name: str) -> object:
    known = set(cls.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise ContractError(
            [
                Problem(
                    file, 0, "", f"[{name}] has unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
                )
            ]
        )
    defaults = cls()
    for key, value in data.items():
        expected = type(getattr(defaults, key))
        if expected is float and isinstance(value, int):
            continue
        if not isinstance(value, expected):
            raise ContractError([Problem(file, 0, "", f"[{name}] {key} = {value!r} should be a {expected.__name__}")])
    return cls(**data)


def parse_config(text: str, file: str = "site.toml") -> Config:
    """Parse TOML text into a Config, naming the file in every error."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ContractError([Problem(file, 0, "", f"is not valid TOML: {exc}")]) from None
    site = dict(raw.get("site", {}))
    cfg = Config(
        **_section(Config, site, file, "site").__dict__
        | {
            "cta": _section(CallToAction, raw.get("cta", {}), file, "cta"),
            "quality": _section(Quality, raw.get("quality", {}), file, "quality"),
            "audit": _section(AuditThresholds, raw.get("audit", {}), file, "audit"),
        }
    )
    if cfg.default_status not in STATUSES[:3]:
        raise ContractError(
            [Problem(file, 0, "", f"default_status {cfg.default_status!r} is not one of approved, review, noindex")]
        )
    if not cfg.base_url.startswith(("http://", "https://")):
        raise ContractError([Problem(file, 0, "", f"base_url {cfg.base_url!r} must start with https://")])
    c = cfg.corrections
    if c and not (c.startswith(("https://", "http://", "mailto:")) or ("@" in c and " " not in c)):
        raise ContractError(
            [Problem(file, 0, "", f"corrections {c!r} should be an e-mail address, mailto: or https:// URL")]
        )
    return cfg


def load_config(path: Path | None) -> Config:
    """Read site.toml; a missing default file means the built-in defaults."""
    if path is None:
        return Config()
    if not path.exists():
        raise ContractError([Problem(str(path), 0, "", "configuration file not found")])
    return parse_config(path.read_text(encoding="utf-8"), str(path))
