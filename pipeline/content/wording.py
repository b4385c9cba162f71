"""Load the editable wording (templates/wording/*.toml) and check its placeholders."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.content.language import placeholders
from pipeline.data.sources import Reference
from pipeline.data.validate import KINDS
from pipeline.problems import ContractError, Problem

# Order in which two kinds are named in symmetric keys ("practice+condition").
ROLE_ORDER = ("practice", "brain", "process", "behavior", "trait", "emotion", "phenomenon", "condition")
KIND_FIELDS = ("label", "aspect", "presence", "help", "track", "steps")
_TOPIC_FIELDS = {"", "_aspect", "_presence", "_help", "_label", "_track", "_steps"}
FILES = ("kinds", "strategies", "page", "sources", "links")


def _allowed(letters: str) -> set[str]:
    out = set()
    for letter in letters:
        for suffix in _TOPIC_FIELDS:
            out.add(letter + suffix)
            out.add(letter.upper() + suffix)
    return out


ALLOWED = {
    "strategies": _allowed("so") | {"steps", "strategy"},
    "page": _allowed("ab") | {"others"},
    "kinds": {"x"},
    "sources": {"doi"},
    "links": _allowed("soabv") | {"first", "second", "items"},
}


@dataclass(frozen=True)
class Wording:
    """Every sentence template, keyed as in the TOML files."""

    kinds: dict[str, dict[str, str]]
    # strategies.toml: relation → {"subject>object" kinds key: a step that follows from such a link}.
    strategies: dict[str, dict[str, str]]
    own_strategy: list[str]
    # page.toml: block → its variants; a table's entries as "table.key" ("intro.direct", "summary.none").
    page: dict[str, list[str]]
    disclaimer: str
    publishers: dict[str, str]
    doi_label: str
    # data/sources.csv by key (pipeline.data.sources.source_key): what a source is cited as. Not from
    # templates/wording; set by the build after reading the bibliography.
    references: dict[str, Reference] = field(default_factory=dict)
    # links.toml: "relation.<name>" → {"subject>object" kinds key: sentence}; bridge, shared, none, effects.
    links: dict[str, Any] = field(default_factory=dict)
    # page.toml's [description] tables: group → kinds key → sentences (content/describe.py).
    descriptions: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def _walk(value: object, path: str):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]")


def check_placeholders(raw: dict[str, dict], folder: str) -> list[Problem]:
    """Every {field} in a wording file must be one the pipeline fills."""
    problems = []
    for name, data in raw.items():
        for path, text in _walk(data, ""):
            if path.endswith(("title",)) and name == "strategies" and "{" not in text:
                continue
            try:
                fields = placeholders(text)
            except ValueError as exc:
                problems.append(Problem(f"{folder}/{name}.toml", 0, path, f"bad braces in {text[:50]!r}: {exc}"))
                continue
            for f in sorted(fields - ALLOWED[name]):
                problems.append(
                    Problem(
                        f"{folder}/{name}.toml",
                        0,
                        path,
                        f"unknown placeholder {{{f}}}; use one of {', '.join(sorted(ALLOWED[name]))}",
                    )
                )
    return problems


def parse_wording(raw: dict[str, dict], folder: str = "templates/wording") -> Wording:
    """Turn the parsed TOML files into Wording, or raise with every problem."""
    problems = check_placeholders(raw, folder)
    kinds = raw["kinds"]
    for kind in KINDS:
        for f in KIND_FIELDS:
            if not kinds.get(kind, {}).get(f):
                problems.append(Problem(f"{folder}/kinds.toml", 0, f"{kind}.{f}", "is missing"))
    page = _page_blocks(raw["page"])
    problems += _check_links(raw.get("links", {}), folder)
    problems += _check_steps(raw["strategies"], folder) + _check_page(page, folder)
    if problems:
        raise ContractError(problems)
    strategies = {k.removeprefix("link."): dict(v) for k, v in raw["strategies"].items() if k.startswith("link.")}
    return Wording(
        kinds={k: dict(v) for k, v in kinds.items()},
        strategies=strategies,
        own_strategy=raw["strategies"].get("own", ["{steps}: {strategy}"]),
        page=page,
        disclaimer=raw["page"]["disclaimer"],
        publishers=dict(raw.get("sources", {}).get("publishers", {})),
        doi_label=raw.get("sources", {}).get("doi", "doi:{doi}"),
        links=raw.get("links", {}),
        descriptions={g: dict(t) for g, t in raw["page"].get("description", {}).items()},
    )


_LINK_SECTIONS = {
    "bridge": ("lead",),
    "shared": ("effects", "strategies"),
    "none": ("text", "others", "alone", "chain_only"),
    "effects": ("chain",),
}


def _check_links(raw: dict[str, Any], folder: str) -> list[Problem]:
    """links.toml words every relation (with a "*>*" fallback) and every section the pages use."""
    from pipeline.data.links import EDITOR, RELATIONS

    file = f"{folder}/links.toml"
    problems = []
    for relation in (*RELATIONS, EDITOR):
        if "*>*" not in raw.get(f"relation.{relation}", {}):
            problems.append(Problem(file, 0, f"relation.{relation}", 'needs a "*>*" sentence for any pair of kinds'))
    every = (*RELATIONS, EDITOR)
    sections = (*_LINK_SECTIONS.items(), ("map", every), ("bridge.same_object", every), ("bridge.same_subject", every))
    for section, keys in sections:
        for key in keys:
            if not raw.get(section, {}).get(key):
                problems.append(Problem(file, 0, f"{section}.{key}", "is missing"))
    return problems


# page.toml's blocks and, for the tables, the keys every page may need (see page.toml).
PAGE_BLOCKS = {
    "intro": ("editor", "direct", "chain", "bridge", "shared", "none"),
    "summary": ("editor", "direct", "chain", "bridge", "shared", "none"),
    "strategies_lead": ("links_own", "links", "own", "own_one"),
    "intro_steps": (),
    "effects_lead": (),
    "unchecked_note": (),
    "cta_lead": (),
}


def _page_blocks(raw: dict[str, Any]) -> dict[str, list[str]]:
    """page.toml's lists as they are, a table's entries as "table.key", each a list of variants."""
    out: dict[str, list[str]] = {}
    for name, value in raw.items():
        if isinstance(value, dict):
            for key, v in value.items():
                out[f"{name}.{key}"] = [v] if isinstance(v, str) else list(v)
        elif isinstance(value, list):
            out[name] = list(value)
    return out


def _check_page(page: dict[str, list[str]], folder: str) -> list[Problem]:
    """page.toml has every block and table key the pages use, each with at least one sentence."""
    wanted = [f"{b}.{k}" for b, keys in PAGE_BLOCKS.items() for k in keys] + [
        b for b, k in PAGE_BLOCKS.items() if not k
    ]
    return [Problem(f"{folder}/page.toml", 0, w, "is missing") for w in wanted if not page.get(w)]


def _check_steps(raw: dict[str, Any], folder: str) -> list[Problem]:
    """strategies.toml's [link.<relation>] tables name known relations and kinds ("practice>condition")."""
    from pipeline.data.links import RELATIONS

    file, problems = f"{folder}/strategies.toml", []
    for section, table in raw.items():
        if not isinstance(table, dict):
            continue
        relation = section.removeprefix("link.")
        if not section.startswith("link.") or relation not in RELATIONS:
            problems.append(Problem(file, 0, section, f"is not link.<relation>; relations: {', '.join(RELATIONS)}"))
            continue
        for key in table:
            sides = key.split(">")
            if len(sides) != 2 or any(k != "*" and k not in KINDS for k in sides):
                problems.append(Problem(file, 0, f"{section}.{key}", 'is not "subject kind>object kind" (* for any)'))
    return problems


def read_wording(folder: Path) -> Wording:
    """Read templates/wording/*.toml from disk."""
    raw: dict[str, dict] = {}
    problems = []
    for name in FILES:
        path = folder / f"{name}.toml"
        try:
            raw[name] = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            problems.append(Problem(str(path), 0, "", "wording file not found"))
        except tomllib.TOMLDecodeError as exc:
            problems.append(Problem(str(path), 0, "", f"is not valid TOML: {exc}"))
    if problems:
        raise ContractError(problems)
    return parse_wording(raw, str(folder))


def symmetric_keys(kind_x: str, kind_y: str) -> list[str]:
    """Lookup order for a symmetric section: exact, then wildcards, then the fallback."""
    return [f"{kind_x}+{kind_y}", f"{kind_x}+*", f"*+{kind_y}", "*+*"]


def directed_keys(kind_a: str, kind_b: str) -> list[str]:
    """Lookup order for a directed section ("how A affects B")."""
    return [f"{kind_a}>{kind_b}", f"{kind_a}>*", f"*>{kind_b}", "*>*"]


def role_order(kind_a: str, kind_b: str) -> bool:
    """True when topic a is named first ({x}) in symmetric keys."""
    return ROLE_ORDER.index(kind_a) <= ROLE_ORDER.index(kind_b)
