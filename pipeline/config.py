"""Read the site configuration (site.toml) into a frozen, validated value."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, is_dataclass
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
class QueueWeights:
    """Points per signal (docs/queue.md): demand on a log scale up to `demand`, the rest added."""

    demand: float = 300.0  # the most-searched pair gets this many points; others by log(1 + demand)
    topic_demand: float = 30.0  # a topic searched alone: its pairs get up to this many points (log scale)
    category: float = 25.0  # the two topics share a category
    linked: float = 40.0  # per topic both are approved pairs with (up to max_linked)
    words: float = 8.0  # per word their effects and strategies share (up to max_words)
    description: float = 60.0  # times the TF-IDF cosine similarity of their descriptions
    link: float = 80.0  # data/links.csv states a link between the two topics
    link_shared: float = 20.0  # per topic both are linked with in links.csv (up to max_linked)
    listed: float = 50.0  # an editor listed the pair in pairs.csv (not yet decided)
    written: float = 100.0  # an editor wrote its relationship text, which waits for approval


@dataclass(frozen=True)
class QueueSettings:
    top: int = 20  # rows `make queue` prints, the report's Write next tab shows
    # Like Hugo's related content: a category or word carried by more than this percentage of the
    # topics says nothing about a pair and counts for nothing (0 turns the threshold off).
    cardinality_threshold: int = 25
    max_linked: int = 3
    max_words: int = 5
    weights: QueueWeights = field(default_factory=QueueWeights)


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
    # Not part of the repr: the queue's weights shape no page, so editing them re-renders nothing.
    queue: QueueSettings = field(default_factory=QueueSettings, repr=False)
    # Where default_status was set (file, line; line 0 when it is the built-in default), for the data
    # contract's message when an approved default would publish pages no editor reviewed.
    default_status_at: tuple[str, int] = field(default=("site.toml", 0), repr=False, compare=False)


def _key_line(text: str, section: str, key: str) -> int:
    """The line of `key = …` in `[section]` of a TOML text (0 when it cannot be found)."""
    current = ""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("[") and not stripped.startswith("[["):
            current = stripped.strip("[]").strip()
        elif current == section and stripped.split("=", 1)[0].strip().strip("\"'") == key and "=" in stripped:
            return number
    return 0


def _section(cls: type, data: dict, where: tuple[str, str], name: str, problems: list[Problem]) -> object:
    """The section as `cls`; each unknown key and each value of the wrong type becomes a problem (and
    the key keeps its default), so that one run reports them all."""
    file, text = where
    defaults = cls()
    fields = {f for f, spec in cls.__dataclass_fields__.items() if spec.compare}  # not the bookkeeping ones
    known = {f for f in fields if not is_dataclass(getattr(defaults, f))}  # listed: not [cta] in [site]
    for key in sorted(set(data) - fields):
        problems.append(
            Problem(
                file,
                _key_line(text, name, key),
                "",
                f"[{name}] has unknown key {key}; known: {', '.join(sorted(known))}",
            )
        )
    values = {}
    for key, value in data.items():
        if key not in fields:
            continue
        expected = type(getattr(defaults, key))
        if not isinstance(value, expected) and not (expected is float and isinstance(value, int)):
            line = _key_line(text, name, key)
            article = "an" if expected.__name__[0] in "aeiou" else "a"
            problems.append(
                Problem(file, line, "", f"[{name}] {key} = {value!r} should be {article} {expected.__name__}")
            )
            continue
        values[key] = value
    return cls(**values)


def _queue(data: dict, where: tuple[str, str], problems: list[Problem]) -> QueueSettings:
    data = dict(data)
    weights = _section(QueueWeights, data.pop("weights", {}), where, "queue.weights", problems)
    settings = _section(QueueSettings, data | {"weights": weights}, where, "queue", problems)
    file, text = where
    for key in ("top", "cardinality_threshold", "max_linked", "max_words"):
        if getattr(settings, key) < 0:
            line = _key_line(text, "queue", key)
            problems.append(Problem(file, line, "", f"[queue] {key} = {getattr(settings, key)} must not be negative"))
    return settings


def parse_config(text: str, file: str = "site.toml") -> Config:
    """Parse TOML text into a Config, naming the file (and the line) in every problem, all at once."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ContractError([Problem(file, 0, "", f"is not valid TOML: {exc}")]) from None
    problems: list[Problem] = []
    where = (file, text)
    cfg = Config(
        **_section(Config, dict(raw.get("site", {})), where, "site", problems).__dict__
        | {
            "cta": _section(CallToAction, raw.get("cta", {}), where, "cta", problems),
            "quality": _section(Quality, raw.get("quality", {}), where, "quality", problems),
            "audit": _section(AuditThresholds, raw.get("audit", {}), where, "audit", problems),
            "queue": _queue(raw.get("queue", {}), where, problems),
            "default_status_at": (file, _key_line(text, "site", "default_status")),
        }
    )
    problems += _value_problems(cfg, where)
    if problems:
        raise ContractError(problems)
    return cfg


def _value_problems(cfg: Config, where: tuple[str, str]) -> list[Problem]:
    file, text = where
    problems = []
    if cfg.default_status not in STATUSES[:3]:
        line = _key_line(text, "site", "default_status")
        problems.append(
            Problem(file, line, "", f"default_status {cfg.default_status!r} is not one of approved, review, noindex")
        )
    if not cfg.base_url.startswith(("http://", "https://")):
        problems.append(
            Problem(
                file, _key_line(text, "site", "base_url"), "", f"base_url {cfg.base_url!r} must start with https://"
            )
        )
    c = cfg.corrections
    if c and not (c.startswith(("https://", "http://", "mailto:")) or ("@" in c and " " not in c)):
        line = _key_line(text, "site", "corrections")
        problems.append(
            Problem(file, line, "", f"corrections {c!r} should be an e-mail address, mailto: or https:// URL")
        )
    return problems


def load_config(path: Path | None) -> Config:
    """Read site.toml; a missing default file means the built-in defaults."""
    if path is None:
        return Config()
    if not path.exists():
        raise ContractError([Problem(str(path), 0, "", "configuration file not found")])
    return parse_config(path.read_text(encoding="utf-8"), str(path))
