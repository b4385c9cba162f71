"""The Dask engine (issue 5, "beyond one machine") builds the same site as the local engine, byte for byte:
on a dask.distributed LocalCluster of two worker processes, through the command line with --scheduler,
over an existing local-engine site, and into an fsspec URL (memory://) written in place."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import fsspec
import pytest
from distributed import Client, LocalCluster

from bench import synthetic
from pipeline.config import load_config
from pipeline.engines import dask_engine
from pipeline.site.build import build, load_inputs
from pipeline.site.quick import cache_dir as _cache_dir

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "fixtures" / "small"
N = 30  # synthetic topics: 435 pairs, split into ≥ 8 partitions


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _same(first: dict[str, bytes], second: dict[str, bytes]) -> None:
    assert sorted(first) == sorted(second), set(first) ^ set(second)
    differ = [name for name in first if first[name] != second[name]]
    assert not differ, f"{len(differ)} file(s) differ, e.g. {differ[:5]}"


def _local(inputs, out: Path):
    """The local engine's build of `out`, its preview and deploy folders named after it."""
    return build(inputs, out, workers=1, progress=False, preview=_tree(out, "preview"), deploy=_tree(out, "deploy"))


def _tree(out: Path, name: str) -> Path:
    return out.with_name(f"{out.name}-{name}")


def _inputs(data: Path):
    return load_inputs(data, ROOT / "templates", load_config(ROOT / "site.toml"))


def test_object_storage_target_written_in_place(tmp_path, cache):
    """An fsspec URL: memory:// stands in for s3:// (threads share it, so the cluster runs in-process)."""
    inputs = _inputs(SMALL)
    _local(inputs, tmp_path / "local")
    fs = fsspec.filesystem("memory")
    base = "/bringwise-test/site"
    if fs.exists(base):
        fs.rm(base, recursive=True)
    fs.pipe({f"{base}/.pages.txt": b"# old\ngone-page/\n", f"{base}/gone-page/index.html": b"old"})
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None, silence_logs=40) as c,
        Client(c) as client,
    ):
        result = dask_engine.build_dask(
            inputs, f"memory://{base}", client=client, progress=False, deploy=tmp_path / "dask-deploy"
        )
    written = {path[len(base) + 1 :]: fs.cat_file(path) for path in fs.find(base)}
    assert result.removed == ["gone-page/"]
    # In place, the page list stays in the bucket (no local cache describes it); the drafts go beside.
    assert written.pop(".pages.txt").splitlines()[1:] == [b""] + sorted(
        u.encode() for u in (p.url for p in result.pages if p.status != "review") if u
    )
    _same(_files(tmp_path / "local"), written)
    drafts = {path[len(base) + 9 :]: fs.cat_file(path) for path in fs.find(f"{base}-preview")}
    _same(_files(_tree(tmp_path / "local", "preview")), drafts)
    rules = _files(tmp_path / "dask-deploy")
    assert rules.pop("gone.txt").splitlines()[1:] == [b"gone-page/"]  # the bucket's removed page answers 410
    assert b"/library/gone-page/ /library/404.html 410" in rules.pop("_redirects")
    local_rules = _files(_tree(tmp_path / "local", "deploy"))
    del local_rules["_redirects"], local_rules["nginx-redirects.conf"], rules["nginx-redirects.conf"]
    _same(local_rules, rules)
    fs.rm(base, recursive=True)
    fs.rm(f"{base}-preview", recursive=True)


# Another cluster (or a parallel test run) may hold the scheduler's default HTTP port: dask moves on.
pytestmark = pytest.mark.filterwarnings("ignore:Port 8787 is already in use:UserWarning")


@pytest.fixture(scope="module")
def cluster():
    """The cluster `--engine dask` starts without --scheduler: two worker processes, one thread each."""
    client, c = dask_engine._client(None, 2)
    try:
        workers = client.scheduler_info()["workers"].values()
        assert sorted(w["nthreads"] for w in workers) == [1, 1]
        yield c
    finally:
        client.close()
        c.close()


def _death_signal() -> tuple[int, int]:
    """(this process's parent-death signal, its parent's pid), read in a worker."""
    import ctypes

    from pipeline.memory import libc

    value = ctypes.c_int(0)
    libc().prctl(2, ctypes.byref(value), 0, 0, 0)  # PR_GET_PDEATHSIG
    return value.value, os.getppid()


@pytest.mark.skipif(sys.platform != "linux", reason="prctl is Linux's")
def test_local_cluster_workers_die_with_the_build(cluster):
    """Each worker of the LocalCluster that `--engine dask` starts is a child of the build with a
    parent-death signal, so a build killed with `kill -9` leaves no worker running."""
    import signal

    with Client(cluster) as client:
        found = client.run(_death_signal)
    assert sorted(found.values()) == [(int(signal.SIGKILL), os.getpid())] * 2


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BRINGWISE_BUILD_CACHE", str(tmp_path / "cache"))


def test_small_fixture_same_bytes(tmp_path, cache, cluster):
    inputs = _inputs(SMALL)
    local = _local(inputs, tmp_path / "local")
    with Client(cluster) as client:
        dask = dask_engine.build_dask(
            inputs,
            tmp_path / "dask",
            client=client,
            progress=False,
            preview=_tree(tmp_path / "dask", "preview"),
            deploy=_tree(tmp_path / "dask", "deploy"),
        )
    for name in ("", "preview", "deploy"):
        _same(*(_files(_tree(tmp_path / e, name) if name else tmp_path / e) for e in ("local", "dask")))
    assert [(p.url, p.kind, p.status, p.updated_on, p.words) for p in dask.pages] == [
        (p.url, p.kind, p.status, p.updated_on, p.words) for p in local.pages
    ]
    assert dask.rejected == local.rejected and dask.warnings == local.warnings
    assert dask.rendered == sum(1 for p in local.pages if p.kind == "pair")
    # Staged and swapped like the local engine: nothing left beside the output.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cache",
        "dask",
        "dask-deploy",
        "dask-preview",
        "local",
        "local-deploy",
        "local-preview",
    ]


def test_synthetic_set_through_the_command_line_on_a_scheduler(tmp_path, cluster, monkeypatch):
    data = synthetic.write(N, tmp_path / "data")
    monkeypatch.setenv("BRINGWISE_BUILD_CACHE", str(tmp_path / "cache"))
    _local(_inputs(data), tmp_path / "local")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "build",
            "--data",
            str(data),
            "--templates",
            str(ROOT / "templates"),
            "--config",
            str(ROOT / "site.toml"),
            "--quiet",
            "--no-audit",
            "--out",
            str(tmp_path / "dask"),
            "--preview",
            str(_tree(tmp_path / "dask", "preview")),
            "--deploy",
            str(_tree(tmp_path / "dask", "deploy")),
            "--engine",
            "dask",
            "--scheduler",
            cluster.scheduler_address,
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Built 4" in proc.stdout, proc.stdout  # 4xx pair pages (435 less rejected ones)
    site = {**_files(tmp_path / "local"), **_files(_tree(tmp_path / "local", "preview"))}
    assert len(site) > 400
    _same(_files(tmp_path / "local"), _files(tmp_path / "dask"))
    _same(_files(_tree(tmp_path / "local", "preview")), _files(_tree(tmp_path / "dask", "preview")))
    # Both worker processes rendered partitions (each prepares its Jinja environment on its first task).
    with Client(cluster) as client:
        tokens = client.run(lambda: dask_engine._WORKER.get("token"))
    assert len(tokens) == 2 and all(tokens.values()), tokens


def test_switching_engines_on_one_output_folder(tmp_path, cache, cluster):
    inputs = _inputs(SMALL)
    out = tmp_path / "output"
    build(inputs, out, workers=1, progress=False)
    before = _files(out)
    manifest = _cache_dir(out) / "manifest.pkl"
    assert manifest.exists()
    with Client(cluster) as client:
        dask_engine.build_dask(inputs, out, client=client, progress=False)
    _same(before, _files(out))
    # The local engine's manifest described the replaced folder: gone, so the next local build is a
    # full one (never a hard link to a page it did not write) and still gives the same bytes.
    assert not manifest.exists()
    again = build(inputs, out, workers=1, progress=False)
    assert not again.unchanged and again.reused == 0
    _same(before, _files(out))


def test_the_dask_engine_says_what_changed_as_the_local_one_does(tmp_path, cache, cluster):
    """Over a site the local engine built, an edited week's build by each engine lists the same changes."""
    import shutil

    from tests.test_changes import _edit_a_week

    data = tmp_path / "data"
    shutil.copytree(SMALL, data)
    for engine in ("local", "dask"):
        _local(_inputs(data), tmp_path / engine)
    _edit_a_week(data)
    inputs = _inputs(data)
    local = _local(inputs, tmp_path / "local")
    out = tmp_path / "dask"
    with Client(cluster) as client:
        dask = dask_engine.build_dask(
            inputs, out, client=client, progress=False, preview=_tree(out, "preview"), deploy=_tree(out, "deploy")
        )
    assert dask.added == local.added == ["topics/loneliness/"]
    assert dask.now_indexable == local.now_indexable == ["mindfulness-and-post-traumatic-stress-disorder/"]
    assert (dask.not_indexable, dask.removed) == (local.not_indexable, local.removed) == ([], [])
