"""The golden site: the whole output of tests/fixtures/small, every file byte for byte, is what
tests/golden/small/ holds. A change to any page, hub, sitemap, redirect file or page list shows here
as a diff; when it is intended, `make golden` writes the new site for review with `git diff`."""

from __future__ import annotations

import difflib

import pytest
from conftest import ROOT

GOLDEN = ROOT / "tests" / "golden" / "small"


def _files(root) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_small_site_is_the_golden_site(small_site):
    out, _ = small_site
    built, golden = _files(out), _files(GOLDEN)
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
