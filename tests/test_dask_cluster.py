"""docs/scaling.md's cluster recipe, followed as written, on this machine's loopback: the package is
installed with pip on the "node" (here into a folder of its own, outside the checkout), a real
`dask scheduler` and a real `dask worker … --nworkers 2 --nthreads 1` are started there as separate
processes on random ports, and `python -m pipeline build --engine dask --scheduler …` builds the site
byte for byte as the local engine does. Without the package installed, the workers could not unpickle
the engine's tasks (ModuleNotFoundError: No module named 'pipeline')."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "fixtures" / "small"
DASK = Path(sys.executable).with_name("dask")


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _install_node(tmp: Path) -> Path:
    """`pip install .` of this checkout, as on a cluster node, into a folder of its own (from a copy of
    the sources, so that the build leaves nothing in the checkout; no index: nothing is downloaded)."""
    src, site = tmp / "src", tmp / "node-site-packages"
    shutil.copytree(ROOT / "pipeline", src / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", src)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index"]
        + ["--disable-pip-version-check", "--target", str(site), str(src)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return site


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, f"`dask scheduler` exited with {proc.returncode}"
        assert time.monotonic() < deadline, "`dask scheduler` wrote no scheduler file"
        time.sleep(0.1)


@pytest.fixture()
def cluster(tmp_path):
    """A scheduler and two single-threaded worker processes started by the `dask` command, as the docs
    say, in a folder without the checkout and with only the pip-installed package importable."""
    site = _install_node(tmp_path)
    node = tmp_path / "node"
    node.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)  # the node's site-packages: the installed package, not the checkout
    logs = [open(tmp_path / name, "w") for name in ("scheduler.log", "worker.log")]  # noqa: SIM115
    started: list[subprocess.Popen] = []
    try:
        scheduler_file = tmp_path / "scheduler.json"
        command = [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"]
        started.append(
            subprocess.Popen(
                [*command, "--scheduler-file", str(scheduler_file)], cwd=node, env=env, stdout=logs[0], stderr=logs[0]
            )
        )
        _wait_for(scheduler_file, started[0], 60)
        address = json.loads(scheduler_file.read_text())["address"]
        worker = [
            DASK,
            "worker",
            address,
            "--nworkers",
            "2",
            "--nthreads",
            "1",
            "--host",
            "127.0.0.1",
            "--no-dashboard",
        ]
        started.append(subprocess.Popen(worker, cwd=node, env=env, stdout=logs[1], stderr=logs[1]))
        yield address, site
    finally:
        for proc in reversed(started):
            proc.terminate()
        for proc in reversed(started):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for log in logs:
            log.close()


@pytest.mark.slow
def test_the_documented_cluster_recipe_builds_the_local_engines_site(cluster, tmp_path):
    from distributed import Client

    address, site = cluster
    with Client(address, timeout=60) as client:
        client.wait_for_workers(2, timeout=120)
        workers = client.scheduler_info()["workers"].values()
        assert sorted(w["nthreads"] for w in workers) == [1, 1]

        def where() -> str:
            import pipeline

            return pipeline.__file__

        homes = set(client.run(where).values())
    assert homes == {str(site / "pipeline" / "__init__.py")}, "the workers import the installed package"

    env = dict(os.environ, BRINGWISE_BUILD_CACHE=str(tmp_path / "cache"))
    out = {}
    for engine in ("local", "dask"):
        out[engine] = tmp_path / engine / "output"
        argv = [sys.executable, "-m", "pipeline", "build", "--data", str(SMALL), "--out", str(out[engine])]
        argv += ["--quiet", "--engine", engine] + (["--scheduler", address] if engine == "dask" else [])
        run = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
    local, dask = _files(out["local"]), _files(out["dask"])
    assert sorted(local) == sorted(dask)
    differ = [name for name in local if local[name] != dask[name]]
    assert not differ, f"{len(differ)} file(s) differ, e.g. {differ[:5]}"
    assert len(local) >= 10  # the public tree: approved and noindex pages, hubs, home, about, 404, sitemaps
