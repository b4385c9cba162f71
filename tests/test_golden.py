"""The golden site: the whole output of tests/fixtures/small, every file byte for byte, is what
tests/golden/small/ holds (output/, preview/ and deploy/). A change to any page, hub, sitemap, redirect file or page list shows here
as a diff; when it is intended, `make golden` writes the new site for review with `git diff`."""

from __future__ import annotations

import difflib

import pytest
from conftest import ROOT, deploy_of, preview_of

GOLDEN = ROOT / "tests" / "golden" / "small"


def _files(root) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _site(out) -> dict[str, bytes]:
    """The public tree, the drafts' preview tree and the deployment rules, as output/…, preview/…, deploy/…."""
    files = {}
    for tree in (out, preview_of(out), deploy_of(out)):
        if tree.exists():
            files.update({f"{tree.name}/{name}": data for name, data in _files(tree).items()})
    return files


def test_the_small_site_is_the_golden_site(small_site):
    out, _ = small_site
    assert out.name == "output"  # so that its preview and deploy trees are preview/ and deploy/
    built, golden = _site(out), _files(GOLDEN)
    hint = "run `make golden` if the change is intended, and review `git diff tests/golden/`"
    assert sorted(built) == sorted(golden), (
        f"files only in the build: {sorted(set(built) - set(golden))}; "
        f"only in tests/golden/small: {sorted(set(golden) - set(built))}; {hint}"
    )
    differ = [name for name in built if built[name] != golden[name]]
    if differ:
        first = differ[0]
        diff = "".join(
            difflib.unified_diff(
                golden[first].decode(errors="replace").splitlines(True),
                built[first].decode(errors="replace").splitlines(True),
                f"golden/{first}",
                f"built/{first}",
            )
        )
        pytest.fail(f"{len(differ)} file(s) differ from the golden site ({', '.join(differ[:8])}); {hint}\n{diff}")
