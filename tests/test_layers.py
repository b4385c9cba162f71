"""The layer contract in pyproject.toml ([tool.importlinter]) holds: stages import one way (cli ->
engines -> site -> content -> data), the audit and the report import nothing of the renderer, and the
shared modules import no stage. `make lint` checks the same; this test makes `make test` (CI) check it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_are_kept():
    linter = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([linter, "--no-cache", "--no-logo"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " 0 broken" in run.stdout, run.stdout
