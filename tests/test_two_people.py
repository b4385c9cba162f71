"""Two people, one machine: one writer at a time, no orphaned workers, no leftovers, a full disk said plainly."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.locks import lock_path
from pipeline.site import write
from tests.conftest import FIXTURES, ROOT, cli_build
from tests.test_atomic import synthetic, tree_hash

SMALL = FIXTURES / "small"
HOLD = (
    "import sys, time; from pathlib import Path; from pipeline.locks import hold\n"
    "with hold(Path(sys.argv[1]), sys.argv[2]):\n"
    "    print('held', flush=True); time.sleep(float(sys.argv[3]))\n"
)


def _holder(folder: Path, what: str, seconds: float) -> subprocess.Popen:
    """Another process holding `folder`'s lock for `seconds`."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder), what, str(seconds)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline() == "held\n"
    return proc


def _build_argv(data: Path, out: Path, *extra: str) -> list[str]:
    return ["build", "--data", str(data), "--out", str(out), "--quiet", "--no-audit", "--workers", "1", *extra]


def test_a_second_build_with_no_wait_stops_with_one_message(tmp_path, capsys):
    out = tmp_path / "output"
    holder = _holder(out, "build", 30)
    try:
        code = main(_build_argv(SMALL, out, "--no-wait"))
    finally:
        holder.kill()
        holder.wait()
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    first = f"Stopped: {out}/ is being written by another process (build by process {holder.pid} since "
    assert captured.err.startswith(first)
    assert captured.err.endswith("); nothing was done. Run it again without --no-wait to wait for it.\n")
    assert not out.exists()


def test_a_second_build_waits_with_a_message_then_builds(tmp_path, capsys):
    out = tmp_path / "output"
    holder = _holder(out, "build", 2)
    started = time.monotonic()
    code = main(_build_argv(SMALL, out))
    holder.wait()
    captured = capsys.readouterr()
    assert code == 0 and time.monotonic() - started > 1.5
    assert captured.err.startswith(f"Waiting: {out}/ is being written by another process (build by process ")
    assert captured.err.endswith("; this continues when it has finished (Ctrl-C stops).\n")
    assert (out / "index.html").is_file()
    assert not lock_path(out).exists(), "the lock file goes with its holder"


def test_two_builds_at_once_both_finish_and_one_waited(tmp_path):
    out = tmp_path / "output"
    procs = []
    for _ in range(2):
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "pipeline", *_build_argv(SMALL, out)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
        deadline = time.monotonic() + 20
        while len(procs) == 1 and not lock_path(out).exists() and time.monotonic() < deadline:
            time.sleep(0.01)  # the first holds the lock before the second starts
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert "Waiting:" not in results[0][1] and results[1][1].startswith("Waiting: ")
    assert all(r[0].startswith("Built 14 pair pages") for r in results), results


def test_rename_with_no_wait_stops_while_another_command_writes_the_data(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(SMALL, data)
    before = (data / "topics.csv").read_bytes()
    holder = _holder(data, "python -m pipeline pairs", 30)
    try:
        code = main(["rename", "awe", "wonder", "--data", str(data), "--no-wait"])
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err
    assert code == 1 and f"{data}/ is being written by another process (python -m pipeline pairs by process" in err
    assert (data / "topics.csv").read_bytes() == before


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` and that run the pipeline (pool workers, not a detached `rm`)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"pipeline" in cmdline:
            found.append(int(entry.name))
    return found


def _all_children(pid: int) -> list[int]:
    """Every process whose parent is `pid` (a LocalCluster's workers run `multiprocessing.spawn`)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_dask_workers_die_with_a_build_killed_with_kill_9(tmp_path):
    """`--engine dask` without --scheduler starts a LocalCluster: once its workers render pages, a
    `kill -9` of the build leaves none of its processes running."""
    data = synthetic(tmp_path / "data", 90, 0)
    out = tmp_path / "output"
    build = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "build", "--data", str(data), "--out", str(out), "--quiet", "--no-audit"]
        + ["--engine", "dask", "--workers", "2"],
        cwd=ROOT,
        env=dict(os.environ, BRINGWISE_BUILD_CACHE=str(tmp_path / "cache")),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    children: list[int] = []
    try:
        staging = tmp_path / f".preview.staging-{build.pid}"  # the pages are drafts
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and build.poll() is None and sum(1 for _ in _entries(staging)) < 50:
            time.sleep(0.05)
        children = _all_children(build.pid)
        assert build.poll() is None and len(children) >= 2, "the workers were rendering when the build was killed"
        assert _kill_and_wait(build, children, 5) == [], "no Dask worker outlives the build"
    finally:
        _kill_and_wait(build, children, 0)  # never leave a stray process behind, even when the test fails


def _kill_and_wait(build: subprocess.Popen, children: list[int], seconds: float) -> list[int]:
    """`kill -9` the build; the children still alive `seconds` later (then killed too, so none is left)."""
    if build.poll() is None:
        build.kill()
        build.wait()
    deadline = time.monotonic() + seconds
    while any(_alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [c for c in children if _alive(c)]
    for c in left:
        os.kill(c, signal.SIGKILL)
    return left


def _entries(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_workers_die_with_a_build_killed_with_kill_9(tmp_path):
    data = synthetic(tmp_path / "data", 90, 0)  # 4,005 pages in chunks of 250: the pool has work
    out = tmp_path / "output"
    argv = [sys.executable, "-m", "pipeline", "build", "--data", str(data), "--out", str(out)]
    build = subprocess.Popen(
        [*argv, "--quiet", "--no-audit", "--workers", "3"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while len(workers) < 2 and time.monotonic() < deadline and build.poll() is None:
            time.sleep(0.05)
            workers = _children(build.pid)
        assert len(workers) == 2, "the build started its two pool workers"
        assert _kill_and_wait(build, workers, 10) == [], "no worker outlives the build"
    finally:
        _kill_and_wait(build, workers, 0)  # never leave a stray process behind, even when the test fails
    # The killed build's leftovers are ignored by git and removed by the next build.
    left = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".output."))
    assert left and all(_ignored(name) for name in left), left
    synthetic(data, 12, 0)  # a small site: what matters is that the next build cleans up first
    assert cli_build(data, out, "--no-audit", "--workers", "1") == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".output.")) == []


def _ignored(name: str) -> bool:
    """Whether git ignores a file or folder of this name at the top of the checkout."""
    path = name + ("/" if "staging" in name or ".old-" in name else "")
    done = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT)
    return done.returncode == 0


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
@pytest.mark.parametrize(
    "name", [".output.staging-123/", ".output.old-123/", ".output.lock", ".data.lock", "data/.pairs.csv.x1y2.tmp"]
)
def test_every_leftover_is_ignored_by_git(name):
    assert subprocess.run(["git", "check-ignore", "-q", "--no-index", name], cwd=ROOT).returncode == 0


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_clean_removes_every_leftover(tmp_path):
    for folder in ("output", ".output.staging-123", ".output.old-123", ".build-cache", "reports", "data"):
        (tmp_path / folder).mkdir()
    for file in (".output.lock", ".data.lock", "data/.pairs.csv.x1y2.tmp", "data/topics.csv"):
        (tmp_path / file).write_text("x")
    subprocess.run(["make", "-s", "-f", str(ROOT / "Makefile"), "clean"], cwd=tmp_path, check=True, capture_output=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["topics.csv"]


def test_a_full_disk_is_one_message_and_the_previous_site_stays(tmp_path, monkeypatch, capsys):
    data = synthetic(tmp_path / "data", 12, 0)
    out = tmp_path / "output"
    assert cli_build(data, out, "--no-audit", "--workers", "1") == 0
    before = tree_hash(out)
    synthetic(data, 12, 1)
    real = write.replace_chunks
    calls = []

    def fills_up(path, chunks):
        calls.append(path)
        if len(calls) > 5:  # a few pages fit, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, chunks)

    monkeypatch.setattr(write, "replace_chunks", fills_up)
    code = cli_build(data, out, "--no-audit", "--workers", "1", "--allow-removals")
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"Stopped: the disk is full at {out.resolve()} (") and " MB free)" in err
    assert err.endswith("; the previous site is unchanged. Free some space and run it again.\n")
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert tree_hash(out) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".output.")) == []
