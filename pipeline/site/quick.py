"""The no-change shortcut of `python -m pipeline build`, without loading the pipeline.

A build that succeeds records, in its cache folder (.build-cache/<out>-<hash>/quick.json), a key
made of the bytes of everything the command reads (data files, every template and wording file,
the configuration, the pipeline's own code, the audit and reports options) together with the
output folder's identity (inode and ctime) and what the command printed. When the next command finds the same key and
the output folder is still the one that build swapped in (same inode and ctime) and the reports it wrote are
still there, nothing can have changed: it prints the recorded summary and stops, without
importing pandas, Jinja, lxml or the audit and without reading the site (issue 5: a no-change
rebuild under 0.5 s). Anything else (a missing or unreadable record, any changed byte) falls back
to the full command, whose own manifest still avoids re-rendering unchanged pages.

Only the standard library is imported here.
"""

from __future__ import annotations

import json
import os
import sys
from hashlib import blake2b
from pathlib import Path
from typing import Any

QUICK_VERSION = 1
RECORD = "quick.json"
_CODE = Path(__file__).resolve().parent.parent  # the whole pipeline package (_feed_tree walks it)


def cache_dir(out: Path) -> Path:
    """Where the manifest of the build of `out` lives: .build-cache/ in the working folder (never
    inside the published site, never beside it), one folder per output path."""
    out = Path(out).resolve()
    key = blake2b(str(out).encode("utf-8"), digest_size=6).hexdigest()
    return Path(os.environ.get("BRINGWISE_BUILD_CACHE", ".build-cache")).resolve() / f"{out.name}-{key}"


def default_preview_dir(out: Path) -> Path:
    """Where the drafts' tree goes unless --preview says: preview/ beside the output folder."""
    return Path(out).parent / "preview"


def default_deploy_dir(out: Path) -> Path:
    """Where the host's redirect and 404 rules go unless --deploy says: deploy/ beside the output folder."""
    return Path(out).parent / "deploy"


def _feed_tree(h, folder: Path, label: bytes) -> None:
    h.update(label + b"\0")
    if not folder.is_dir():
        h.update(b"missing\0")
        return
    files = []
    for base, dirs, names in os.walk(folder):
        dirs.sort()
        for name in names:
            files.append(os.path.join(base, name))
    for path in sorted(files):
        rel = os.path.relpath(path, folder)
        if "__pycache__" in rel or rel.endswith(".pyc"):
            continue
        with open(path, "rb") as f:
            data = f.read()
        h.update(rel.encode("utf-8", "surrogateescape") + b"\0" + len(data).to_bytes(8, "big") + data)


def input_key(data: Path, templates: Path, config: Path | None, options: list[Any]) -> str:
    """A digest of every byte the command reads, plus the options that shape its output."""
    h = blake2b(digest_size=16)
    h.update(
        repr(
            [
                QUICK_VERSION,
                sys.version,
                str(Path(data).resolve()),
                str(Path(templates).resolve()),
                None if config is None else str(Path(config).resolve()),
                options,
            ]
        ).encode()
    )
    _feed_tree(h, Path(data), b"data")  # every data file: topics, pairs and any added later (links, demand, ...)
    if config is not None:
        try:
            h.update(b"config\0" + Path(config).read_bytes())
        except OSError:
            h.update(b"config\0missing")
    _feed_tree(h, Path(templates), b"templates")
    _feed_tree(h, _CODE, b"code")  # the report's templates too: package data in pipeline/report/templates/
    return h.hexdigest()


def folder_identity(path: Path) -> list[int] | None:
    """Which folder this is: its inode and status-change time. A copy restored from a backup may
    reuse the inode, but never keeps the ctime, which no tool can set."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_ino, st.st_ctime_ns]


def load(out: Path, key: str, also: list[Path] = ()) -> dict[str, Any] | None:
    """The recorded outcome of the last build if nothing it read has changed since, else None."""
    try:
        with open(cache_dir(out) / RECORD, encoding="utf-8") as f:
            rec = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(rec, dict) or rec.get("key") != key or rec.get("out_id") != folder_identity(out):
        return None
    if rec.get("also") != [folder_identity(p) for p in also]:  # the preview and deploy folders, as that build left them
        return None
    manifest = cache_dir(out) / "manifest.pkl"
    if rec.get("manifest") != _stamp(manifest):
        return None
    for path, stamp in rec.get("reports", {}).items():
        if _stamp(Path(path)) != stamp:
            return None
    return rec


def _stamp(path: Path) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns]


def save(out: Path, key: str, record: dict[str, Any], reports: list[Path], also: list[Path] = ()) -> None:
    """Record a finished build (only after the output was swapped in and the reports written)."""
    folder = cache_dir(out)
    if not (folder / "manifest.pkl").exists():
        return
    rec = dict(
        record,
        key=key,
        out_id=folder_identity(out),
        also=[folder_identity(p) for p in also],
        manifest=_stamp(folder / "manifest.pkl"),
        reports={str(Path(p).resolve()): _stamp(Path(p)) for p in reports},
    )
    tmp = folder / f"{RECORD}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(rec, f, ensure_ascii=False)
    os.replace(tmp, folder / RECORD)
