"""Atomic builds: a build killed at any moment, or failing half way, leaves the previous site whole.

The kill test builds an old site from a synthetic data set, then starts the build of a changed data
set again and again and SIGKILLs it at a random point of its write (measured by how many pages it has
staged: at once, anywhere, or once all are staged, around the swap). The first kills hit a real
`python -m pipeline build` process; the rest hit a fork of this process running the same command line,
which spares the interpreter start-up so that up to eight kills fit in a few seconds. After every kill
`output/` must be exactly the old site or exactly the new one (a hash over the whole tree); a last
clean build must make the new site and remove every staging folder the killed builds left.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import cli_build

from pipeline.cli import main
from pipeline.config import load_config
from pipeline.site import write
from pipeline.site.build import build, load_inputs
from pipeline.site.history import GONE_FILE

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
KINDS = ("condition", "emotion", "brain", "process", "behavior", "practice", "trait", "phenomenon")
KILLS = 8  # at most; fewer once BUDGET seconds have passed (at least 4, three of them mid-write)
REAL_KILLS = 2  # of them in a new `python -m pipeline build` process; the others in a fork of this one
BUDGET = 8
TOPICS = 30


def synthetic(data: Path, n: int, version: int) -> Path:
    """n topics over all kinds. A later `version` rewrites every third description, drops the first
    topic and adds one at the end, so a rebuild re-renders some pages and reuses the others."""
    data.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["name", "kind", "description", "category", "effects", "strategies", "updated_on"])
    for i in range(version, n + version):
        changed = version if i % 3 == 0 else 0
        w.writerow(
            [
                f"Synthetic Topic {i:03d}",
                KINDS[i % 8],
                (
                    f"Synthetic topic {i} is a made-up topic for the build tests, version {changed}. "
                    "It exists only so that a build takes a moment."
                ),
                f"Group {i % 5}",
                "a first effect; a second effect",
                "try one thing; try another thing",
                f"2026-11-{10 + changed:02d}",
            ]
        )
    (data / "topics.csv").write_text(buf.getvalue(), encoding="utf-8")
    return data


def tree_hash(root: Path) -> str:
    """One digest over every path and file content under root (links not followed)."""
    if not root.exists():
        return "absent"
    h = hashlib.sha256()
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        rel = Path(folder).relative_to(root).as_posix()
        h.update(f"d {rel}\n".encode())
        for name in sorted(files):
            h.update(f"f {rel}/{name}\n".encode())
            h.update(Path(folder, name).read_bytes())
    return h.hexdigest()


def leftovers(parent: Path, out: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{out.name}."))


def _preview(out: Path) -> Path:
    """Each site's own preview tree (the tests build several sites side by side)."""
    return out.with_name(f"{out.name}-preview")


def _deploy(out: Path) -> Path:
    return out.with_name(f"{out.name}-deploy")


def _inprocess_build(data: Path, out: Path) -> float:
    started = time.perf_counter()
    cfg = load_config(ROOT / "site.toml")
    build(load_inputs(data, TEMPLATES, cfg), out, workers=1, progress=False, preview=_preview(out), deploy=_deploy(out))
    return time.perf_counter() - started


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """Keep the incremental build cache (and audit reports) inside the test's folder."""
    monkeypatch.setenv("BRINGWISE_BUILD_CACHE", str(tmp_path / ".build-cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / ".build-cache"


def _staged(out: Path, pid: int) -> int:
    """Entries in the staging folder of build `pid` (how far it has got), or -1 before it exists."""
    try:
        return sum(1 for _ in os.scandir(out.parent / f".{out.name}.staging-{pid}"))
    except OSError:
        return -1


class _Forked:
    """The same build as `python -m pipeline build`, run by a fork of this already warmed-up process, so
    a kill costs no interpreter start-up or imports and many fit in a few seconds."""

    def __init__(self, argv: list[str], cwd: Path, log: Path):
        self.code: int | None = None
        self.log = log
        self.pid = os.fork()
        if self.pid == 0:  # the child: run the command line, never return into pytest
            code = 3
            try:
                os.chdir(cwd)
                sys.stdout = open(os.devnull, "w")  # noqa: SIM115
                sys.stderr = open(log, "w")  # noqa: SIM115
                code = main(argv)
                sys.stderr.flush()
            finally:
                os._exit(code)

    def poll(self) -> int | None:
        if self.code is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.code = os.waitstatus_to_exitcode(status)
        return self.code

    def send_signal(self, sig: int) -> None:
        os.kill(self.pid, sig)

    def wait(self, timeout: float) -> int:
        if self.code is None:
            self.code = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        return self.code

    def error_text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""


class _Process(subprocess.Popen):
    def error_text(self) -> str:
        text = self.stderr.read().decode()
        self.stderr.close()
        return text


@pytest.mark.slow
def test_killed_builds_leave_the_old_site_or_the_new_one(tmp_path, cache):
    seed = int(os.environ.get("KILL_SEED", time.time_ns() % 10_000))
    print(f"KILL_SEED={seed} (set it in the environment to repeat these kill points)")
    rng = random.Random(seed)
    old_data, new_data = synthetic(tmp_path / "old", TOPICS, 0), synthetic(tmp_path / "new", TOPICS, 1)
    out, pristine = tmp_path / "output", tmp_path / "pristine"
    _inprocess_build(old_data, out)  # with its manifest, so the killed builds reuse unchanged pages
    old_hash = tree_hash(out)
    shutil.copytree(out, pristine)  # a real copy: a build that wrote into live files would show
    entries = sum(1 for _ in out.iterdir())

    argv = [
        "build",
        "--data",
        str(new_data),
        "--out",
        str(out),
        "--templates",
        str(TEMPLATES),
        "--config",
        str(ROOT / "site.toml"),
        "--quiet",
        "--no-audit",
        "--allow-removals",  # version 1 drops a topic
        "--workers",
        "1",
    ]
    env = dict(os.environ, PYTHONPATH=str(ROOT), BRINGWISE_BUILD_CACHE=str(cache))
    states: list[tuple[int, str, str]] = []
    mid_write = 0
    started = time.monotonic()
    budget = started + BUDGET
    for k in range(KILLS):
        if k >= 4 and time.monotonic() > budget and mid_write >= 3:
            break  # on a loaded machine, go on (up to KILLS) until three kills have landed mid-write
        # Where to kill, as a share of the pages staged: at once, anywhere in the write, or once all
        # are written (during the hubs, the sitemap, the swap or the clean-up after it).
        share = 0.0 if k == 0 else 1.0 if k % 4 == 3 else rng.random()
        linger = rng.uniform(0, 0.3) if share == 1.0 else 0.0
        if k < REAL_KILLS:  # the real command in a new interpreter
            proc = _Process(
                [sys.executable, "-m", "pipeline", *argv],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        else:
            proc = _Forked(argv, tmp_path, tmp_path / f"kill-{k}.log")
        while proc.poll() is None and _staged(out, proc.pid) < share * entries:
            time.sleep(0.003)
        time.sleep(linger)
        if proc.poll() is None:
            mid_write += _staged(out, proc.pid) >= 0
            proc.send_signal(signal.SIGKILL)
        code = proc.wait(timeout=60)
        stderr = proc.error_text()
        assert code in (0, -signal.SIGKILL) and "Traceback" not in stderr, stderr
        state = tree_hash(out)
        where = f"kill {k} at {share:.0%} of the pages staged (+{linger:.2f} s)"
        states.append((k, where, state))
        print(f"{where}: {'old' if state == old_hash else 'new'} site, {time.monotonic() - started:.1f} s in")
        if state != old_hash:  # the build got to swap: start the next kill from the old site again
            shutil.rmtree(out)
            shutil.copytree(pristine, out)
            # The manifest describes the new site, and the copy may get the folder's old inode number.
            shutil.rmtree(cache, ignore_errors=True)
    assert mid_write >= 3, (seed, states)  # the kills really did land while the build was writing

    # A clean build from the same old site finishes the job and removes every folder the killed builds
    # left; what it makes is the new site, the only other state a kill may leave.
    print(f"clean build from {time.monotonic() - started:.1f} s")
    assert leftovers(tmp_path, out) or states[-1][2] != old_hash
    _inprocess_build(new_data, out)
    new_hash = tree_hash(out)
    assert new_hash != old_hash
    for _k, where, state in states:
        assert state in (old_hash, new_hash), f"{where} left a mixed site (KILL_SEED={seed})"
    assert leftovers(tmp_path, out) == []


def _old_site(tmp_path: Path) -> tuple[Path, Path, str]:
    data = synthetic(tmp_path / "data", 12, 0)
    out = tmp_path / "output"
    _inprocess_build(data, out)
    synthetic(data, 12, 1)
    return data, out, tree_hash(out)


def test_a_template_error_half_way_leaves_the_site_untouched(tmp_path, cache, capsys):
    data, out, before = _old_site(tmp_path)
    broken = tmp_path / "templates"
    shutil.copytree(TEMPLATES, broken)
    hub = broken / "hub.html"
    hub.write_text(
        hub.read_text(encoding="utf-8").replace("{% block content %}", "{% block content %}{{ page.no_such_field }}", 1)
    )
    code = cli_build(data, out, "--no-audit", "--allow-removals", "--workers", "1", templates=broken)
    err = capsys.readouterr().err
    assert code == 1
    assert "no_such_field" in err and "the previous site is unchanged" in err
    assert tree_hash(out) == before
    assert leftovers(tmp_path, out) == []


def test_a_failing_swap_leaves_the_site_untouched(tmp_path, cache, monkeypatch, capsys):
    data, out, before = _old_site(tmp_path)

    def disk_full(_root):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(write, "fsync_tree", disk_full)
    code = cli_build(data, out, "--no-audit", "--allow-removals", "--workers", "1", templates=TEMPLATES)
    err = capsys.readouterr().err
    assert code == 1 and err.startswith(f"Stopped: the disk is full at {out.resolve()} (")
    assert err.endswith("; the previous site is unchanged. Free some space and run it again.\n")
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert tree_hash(out) == before
    assert leftovers(tmp_path, out) == []


def test_without_renameat2_the_two_step_swap_recovers(tmp_path, cache, monkeypatch):
    data, out, before = _old_site(tmp_path)
    monkeypatch.setattr(write, "_exchange", lambda a, b: False)
    _inprocess_build(data, out)
    after = tree_hash(out)
    assert after != before and leftovers(tmp_path, out) == []
    # A build killed between its two renames leaves no output but the previous site as .output.old-PID.
    os.rename(out, tmp_path / ".output.old-999999")
    (tmp_path / ".output.staging-999999").mkdir()
    write.recover(out)
    assert tree_hash(out) == after and leftovers(tmp_path, out) == []


def test_a_staging_folder_of_a_running_build_is_left_alone(tmp_path):
    out = tmp_path / "output"
    out.mkdir()
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        mine = tmp_path / f".output.staging-{running.pid}"
        dead = tmp_path / ".output.staging-999999"
        mine.mkdir()
        dead.mkdir()
        write.recover(out)
        assert mine.exists() and not dead.exists()
    finally:
        running.kill()
        running.wait()


def _with_history_of(out: Path, clean: Path) -> Path:
    """An empty site folder that remembers the URLs `out` has removed (its deploy folder's gone.txt),
    so that a clean build into it redirects them as the incremental build does."""
    clean.mkdir()
    if (_deploy(out) / GONE_FILE).exists():
        _deploy(clean).mkdir(exist_ok=True)
        shutil.copy2(_deploy(out) / GONE_FILE, _deploy(clean) / GONE_FILE)
    return clean


def test_the_previous_site_is_kept_as_the_next_builds_spare_and_recycled_exactly(tmp_path, cache):
    data, out, before = _old_site(tmp_path)
    _inprocess_build(data, out)  # version 1 over version 0
    v1 = tree_hash(out)
    assert v1 != before and leftovers(tmp_path, out) == []
    # The previous site waits in the build cache (not beside the output) as the next staging folder.
    (spare,) = cache.glob("output-[0-9a-f]*/spare")
    assert tree_hash(spare) == before
    synthetic(data, TOPICS, 2)  # more topics: pages added, changed, kept and removed
    _inprocess_build(data, out)
    clean = _with_history_of(out, tmp_path / "clean")
    _inprocess_build(data, clean)
    assert tree_hash(out) == tree_hash(clean) and leftovers(tmp_path, out) == []
    assert tree_hash(_preview(out)) == tree_hash(_preview(clean)) and tree_hash(_deploy(out)) == tree_hash(
        _deploy(clean)
    )
    assert tree_hash(next(cache.glob("output-[0-9a-f]*/spare"))) == v1
    # Fewer topics again, over a spare with many more pages: what the new site lacks is removed.
    synthetic(data, TOPICS // 3, 3)
    _inprocess_build(data, out)
    _inprocess_build(data, out)  # unchanged input: nothing to do
    synthetic(data, TOPICS // 3, 4)
    _inprocess_build(data, out)  # recycles the 30-topic site
    shutil.rmtree(clean)
    shutil.rmtree(_preview(clean))
    shutil.rmtree(_deploy(clean))
    _inprocess_build(data, _with_history_of(out, clean))
    assert tree_hash(out) == tree_hash(clean) and leftovers(tmp_path, out) == []
    assert tree_hash(_preview(out)) == tree_hash(_preview(clean)) and tree_hash(_deploy(out)) == tree_hash(
        _deploy(clean)
    )


def test_a_trash_left_by_a_stopped_deletion_is_emptied_by_the_next_build(tmp_path, cache):
    data, out, _ = _old_site(tmp_path)
    (trash := next(cache.glob("*/")) / "trash").mkdir(exist_ok=True)
    stale = trash / "output.staging-1-123"
    (stale / "a-and-b").mkdir(parents=True)
    (stale / "a-and-b" / "index.html").write_text("old")
    _inprocess_build(data, out)
    deadline = time.monotonic() + 20
    while stale.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not stale.exists()
