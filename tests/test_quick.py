"""The no-change shortcut of the build command (issue 5): a rebuild that changes nothing reuses the
recorded summary and audit without loading the pipeline; any changed input byte falls back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "fixtures" / "small"

_RUN = """
import sys
from pipeline.cli import main
code = main(sys.argv[1:])
heavy = sorted(m for m in ("pandas", "jinja2", "lxml", "numpy", "pipeline.site.build", "pipeline.audit")
               if m in sys.modules)
print("HEAVY:" + ",".join(heavy))
raise SystemExit(code)
"""


def _build(tmp: Path, *extra: str) -> tuple[int, str, list[str]]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), BRINGWISE_BUILD_CACHE=str(tmp / "cache"))
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _RUN,
            "build",
            "--data",
            str(tmp / "data"),
            "--out",
            str(tmp / "output"),
            "--config",
            str(ROOT / "site.toml"),
            "--templates",
            str(ROOT / "templates"),
            "--quiet",
            *extra,
        ],
        check=False,
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
    )
    out = proc.stdout
    heavy = out.rsplit("HEAVY:", 1)[1].strip().split(",") if "HEAVY:" in out else []
    return proc.returncode, out.rsplit("HEAVY:", 1)[0], [h for h in heavy if h]


def _files(out: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}


def test_unchanged_rebuild_loads_nothing_heavy_and_prints_the_same_summary(tmp_path):
    shutil.copytree(SMALL, tmp_path / "data")
    code, first, heavy = _build(tmp_path)
    assert code == 0 and "pandas" in heavy
    before = _files(tmp_path / "output")
    reports = _files(tmp_path / "reports")
    code, again, heavy = _build(tmp_path)
    assert code == 0
    assert heavy == []  # nothing but the standard library and the CLI
    assert _files(tmp_path / "output") == before and _files(tmp_path / "reports") == reports
    assert "0 added, 0 removed, 0 changed" in again
    # Same build and audit figures as the full command, apart from timings and the change list.
    keep = [
        line
        for line in first.splitlines()
        if line.startswith(("  by status", "  rejected", "  0 errors", "  errors:", "  warnings:", "  report:"))
    ]
    assert keep and all(line in again.splitlines() for line in keep)


def test_any_changed_input_or_missing_report_takes_the_full_path(tmp_path):
    shutil.copytree(SMALL, tmp_path / "data")
    assert _build(tmp_path)[0] == 0
    topics = tmp_path / "data" / "topics.csv"
    topics.write_text(
        topics.read_text(encoding="utf-8").replace(" is ", " is, by most accounts, ", 1), encoding="utf-8"
    )
    code, _, heavy = _build(tmp_path)
    assert code == 0 and "pandas" in heavy and "pipeline.audit" in heavy
    assert _build(tmp_path)[2] == []
    (tmp_path / "reports" / "seo-review.csv").unlink()
    code, _, heavy = _build(tmp_path)
    assert code == 0 and "pipeline.audit" in heavy and (tmp_path / "reports" / "seo-review.csv").exists()
    assert _build(tmp_path)[2] == []
    # The shortcut of an audited build does not stand in for --no-audit, nor the reverse.
    assert "pandas" in _build(tmp_path, "--no-audit")[2]
    assert _build(tmp_path, "--no-audit")[2] == []
