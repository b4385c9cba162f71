"""Fingerprints of what each page is made from, and the manifest that keeps them between builds:
an unchanged page is reused instead of rendered, and an unchanged site is left alone."""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from hashlib import blake2b
from pathlib import Path
from typing import Any

from pipeline.content.wording import Wording
from pipeline.content.wording import _walk as walk_wording
from pipeline.data.pairs import neighbours
from pipeline.site.inputs import Inputs, links_graph
from pipeline.site.quick import cache_dir, folder_identity
from pipeline.site.render import TEMPLATES

MANIFEST_VERSION = 1
# Modules that do not shape any page: editing them never re-renders pages (the audit ones do
# invalidate the no-change shortcut, so the report is made again).
_NOT_RENDERING = ("audit/", "report/", "engines/", "review/", "cli.py", "__main__.py", "site/quick.py")
_CODE = Path(__file__).resolve().parent.parent  # the pipeline package, walked recursively


def fp_of(*parts: Any) -> int:
    """A stable signed 64-bit fingerprint of the repr of some values."""
    return int.from_bytes(blake2b(repr(parts).encode("utf-8"), digest_size=8).digest(), "big", signed=True)


def code_fp(rendering_only: bool) -> int:
    h = blake2b(digest_size=8)
    for path in sorted(_CODE.rglob("*.py")):
        rel = path.relative_to(_CODE).as_posix()
        if rendering_only and rel.startswith(_NOT_RENDERING):
            continue
        h.update(rel.encode() + b"\0" + path.read_bytes())
    return int.from_bytes(h.digest(), "big", signed=True)


def _template_closure(folder: Path, name: str, seen: set[str] | None = None) -> set[str]:
    """A template and every template it extends, includes or imports."""
    import jinja2
    from jinja2 import meta

    seen = set() if seen is None else seen
    if name in seen or not (folder / name).exists():
        return seen
    seen.add(name)
    ast = jinja2.Environment().parse((folder / name).read_text(encoding="utf-8"))
    for ref in meta.find_referenced_templates(ast):
        if ref:
            _template_closure(folder, ref, seen)
    return seen


@dataclass
class Fingerprints:
    site: int  # everything: if it equals the last build's, nothing is done at all
    kind: dict[str, int]  # per page kind: rendering code, its templates, wording, configuration
    topic: dict[str, int]  # per topic: every cell
    row: dict[tuple[str, str], int]  # per editor pair: every cell
    nb: int  # what related-link choice reads (categories, editor partners, rejections, slugs)
    names: int  # every display name (related links and hubs show them)


def fingerprints(inputs: Inputs) -> Fingerprints:
    cfg_fp = fp_of(repr(inputs.cfg), repr(inputs.people))  # a reviewer's name or credentials show on pages
    wording_fp = fp_of(repr(inputs.wording))
    code = code_fp(True)
    # A page's links (bridges, maps) are in its own fingerprint (pipeline.site.linkfp), not its kind's:
    # a change to links.csv renders again only the pages it changes.
    links_fp = links_graph(inputs).fingerprint
    folder = inputs.templates
    kind = {}
    for k, name in TEMPLATES.items():
        files = sorted(_template_closure(folder, name))
        kind[k] = fp_of(code, cfg_fp, wording_fp, [(f, (folder / f).read_bytes()) for f in files])
    cols = [c for c in inputs.topics.columns if c != "line"]
    topic = {row[0]: fp_of(row) for row in inputs.topics[cols].itertuples(index=False, name=None)}
    row: dict[tuple[str, str], int] = {}
    if len(inputs.pairs):
        pcols = [c for c in inputs.pairs.columns if c != "line"]
        for r in inputs.pairs[pcols].itertuples(index=False, name=None):
            row[(r[0], r[1])] = fp_of(r)
    nb = neighbours(inputs.topics, inputs.pairs, inputs.cfg.default_status)
    nb_fp = fp_of(
        sorted(nb.category.items()),
        sorted(nb.editorial.items()),
        sorted(nb.rejected),
        sorted(nb.by_category.items()),
        nb.slugs,
        sorted(nb.status.items()),
        nb.default_published,
    )
    names = fp_of(list(zip(inputs.topics["slug"], inputs.topics["name"])))
    all_templates = sorted((str(p.relative_to(folder)), p.read_bytes()) for p in folder.rglob("*") if p.is_file())
    site = fp_of(
        MANIFEST_VERSION,
        code_fp(False),
        kind,
        all_templates,
        sorted(topic.items()),
        sorted(row.items()),
        nb_fp,
        names,
        wording_fp,
        cfg_fp,
        links_fp,
    )
    return Fingerprints(site, kind, topic, row, nb_fp, names)


def load_manifest(out: Path, preview: Path) -> dict[str, Any] | None:
    """The last build's manifest, if it describes the output and preview folders as they stand."""
    path = cache_dir(out) / "manifest.pkl"
    try:
        with open(path, "rb") as f:
            m = pickle.load(f)
        if m.get("version") != MANIFEST_VERSION or folder_identity(out) != m.get("out_id"):
            return None
        if folder_identity(preview) != m.get("preview_id"):
            return None
        return m
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError, KeyError):
        return None


def save_manifest(out: Path, preview: Path, manifest: dict[str, Any]) -> None:
    folder = cache_dir(out)
    folder.mkdir(parents=True, exist_ok=True)
    manifest["out_id"] = folder_identity(out)
    manifest["preview_id"] = folder_identity(preview)
    tmp = folder / f"manifest.pkl.{os.getpid()}"
    with open(tmp, "wb") as f:
        pickle.dump(manifest, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, folder / "manifest.pkl")


def related_fp(related: list[dict[str, str]], public: frozenset[str] = frozenset()) -> int:
    return fp_of([(r["url"], r["label"]) for r in related], sorted(public))


def hub_fp(kind_fp: int, topic_fp: int, partners: list[tuple[str, str, str, str]], tree: str) -> int:
    return fp_of(kind_fp, topic_fp, partners, tree)


def review_inputs(inputs: Inputs, fps: Fingerprints) -> dict[str, Any]:
    """What the next build compares an approved page's inputs with: each topic row, each editor row and
    its review date, each wording key."""
    return {
        "topic_fps": dict(fps.topic),
        "row_fps": {f"{a} {b}": v for (a, b), v in fps.row.items()},
        "reviewed": reviewed_dates(inputs),
        "wording_keys": wording_keys(inputs.wording),
        "parts": site_parts(inputs),
    }


def site_parts(inputs: Inputs) -> dict[str, int]:
    """The site-wide inputs of a pair page, each on its own (fingerprints() joins them)."""
    folder = inputs.templates
    return {
        "links": links_graph(inputs).fingerprint,
        "templates": fp_of(sorted((str(p.relative_to(folder)), p.read_bytes()) for p in folder.glob("*.html"))),
        "cfg": fp_of(repr(inputs.cfg), repr(inputs.people)),
        "code": code_fp(True),
    }


def reviewed_dates(inputs: Inputs) -> dict[str, str]:
    if not len(inputs.pairs):
        return {}
    return {f"{a} {b}": r for a, b, r in inputs.pairs[["a", "b", "reviewed_on"]].itertuples(False, None)}


def wording_keys(wording: Wording) -> dict[str, int]:
    """A fingerprint per wording key (`page.intro[0]`, `kinds.condition.aspect`, …)."""
    keys: dict[str, int] = {}
    for name in ("kinds", "strategies", "own_strategy", "page", "disclaimer", "publishers", "doi_label", "links"):
        for path, text in walk_wording(getattr(wording, name, None), name):
            keys[path] = fp_of(text)
    return keys
