"""Shared helpers: build a fixture folder into a temporary site with the real templates."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.config import Config, load_config  # noqa: E402
from pipeline.site.build import build, load_inputs  # noqa: E402


def build_site(data: Path, out: Path, config: Config | None = None, templates: Path | None = None):
    """Build `data` into `out` in-process, one worker, no progress bar. The drafts go to preview/
    beside `output`, or to `<name>-preview` beside any other folder (so that sites built side by
    side in a test keep their own previews)."""
    cfg = config or load_config(ROOT / "site.toml")
    inputs = load_inputs(data, templates or ROOT / "templates", cfg)
    return build(inputs, out, workers=1, progress=False, preview=preview_of(out), deploy=deploy_of(out))


@pytest.fixture(scope="session", autouse=True)
def own_build_cache(tmp_path_factory):
    """Keep every test's incremental-build cache (manifests, spare sites) out of the checkout's
    .build-cache/, which belongs to the content team's own builds; subprocesses inherit it."""
    old = os.environ.get("BRINGWISE_BUILD_CACHE")
    os.environ["BRINGWISE_BUILD_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("BRINGWISE_BUILD_CACHE", None)
    else:
        os.environ["BRINGWISE_BUILD_CACHE"] = old


def preview_of(out: Path) -> Path:
    """The drafts' tree of a build into `out`: preview/ beside output/, else `<name>-preview`."""
    return out.parent / ("preview" if out.name == "output" else f"{out.name}-preview")


def deploy_of(out: Path) -> Path:
    """The deploy folder of a build into `out`: deploy/ beside output/, else `<name>-deploy`."""
    return out.parent / ("deploy" if out.name == "output" else f"{out.name}-deploy")


def page_file(out: Path, url: str) -> Path:
    """The file of a page in the published tree, or else in the preview."""
    rel = url + "index.html" if url.endswith("/") or not url else url
    published = out / rel
    return published if published.exists() else preview_of(out) / rel


def pair_files(out: Path) -> list[Path]:
    """Every pair page a build made, published or draft."""
    return sorted([*out.glob("*-and-*/index.html"), *preview_of(out).glob("*-and-*/index.html")])


def cli_build(data: Path, out: Path, *extra: str, templates: Path | None = None, config: Path | None = None) -> int:
    """`python -m pipeline build --quiet` of `data` into `out`, in-process, with `extra` options; its exit status."""
    from pipeline.cli import main

    args = ["build", "--data", str(data), "--out", str(out), "--quiet", "--config", str(config or ROOT / "site.toml")]
    if templates is not None:
        args += ["--templates", str(templates)]
    return main([*args, *extra])


def build_small_with_cli(out: Path, *extra: str) -> int:
    """`python -m pipeline build` of the small fixture into `out`, in-process; its exit status."""
    return cli_build(FIXTURES / "small", out, *extra)


@pytest.fixture(scope="session")
def small_site(tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("small") / "output"
    return out, build_site(FIXTURES / "small", out)


@pytest.fixture(scope="session")
def awkward_site(tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("awkward") / "output"
    return out, build_site(FIXTURES / "awkward", out)
