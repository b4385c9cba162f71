"""Reproducible: the same input gives byte-identical output, whatever the hash seed, time zone, locale,
working folder, output path or number of workers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "fixtures" / "small"

# Two machines as different as we can make them: 25 hours apart (so "today" differs), other locales,
# other hash seeds, other folders and output names, one process or two.
RUNS = [
    {
        "PYTHONHASHSEED": "1",
        "TZ": "Pacific/Kiritimati",
        "LC_ALL": "C",
        "LANG": "C",
        "folder": "a/output",
        "workers": "1",
    },
    {
        "PYTHONHASHSEED": "4242",
        "TZ": "Pacific/Pago_Pago",
        "LC_ALL": "tr_TR.UTF-8",
        "LANG": "de_DE.UTF-8",
        "folder": "somewhere/else/site",
        "workers": "2",
    },
]


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_input_same_bytes(tmp_path):
    procs, outs = [], []
    for i, run in enumerate(RUNS):  # both at once: they share nothing but the input
        out = tmp_path / run["folder"]
        cwd = tmp_path / f"cwd{i}"
        cwd.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHONHASHSEED"))}
        env.update(
            {k: v for k, v in run.items() if k.isupper()},
            PYTHONPATH=str(ROOT),
            BRINGWISE_BUILD_CACHE=str(cwd / ".build-cache"),
        )
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "pipeline",
                    "build",
                    "--data",
                    str(SMALL),
                    "--out",
                    str(out),
                    "--templates",
                    str(ROOT / "templates"),
                    "--config",
                    str(ROOT / "site.toml"),
                    "--quiet",
                    "--no-audit",
                    "--workers",
                    run["workers"],
                ],
                cwd=cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
        outs.append(out)
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    trees = [_files(out) for out in outs]
    first, second = trees
    assert sorted(first) == sorted(second)
    differ = [name for name in first if first[name] != second[name]]
    assert not differ, f"{len(differ)} file(s) differ, e.g. {differ[:5]}"
    # No trace of the machine: neither folder nor output name appears in any file.
    for name, data in first.items():
        assert str(tmp_path).encode() not in data and b"somewhere/else" not in data, name
