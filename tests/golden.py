"""Regenerate the golden site: `make golden`, then review the diff (`git diff tests/golden/`) before committing.

The golden site is the whole output of tests/fixtures/small, every file byte for byte; tests/test_golden.py
compares a fresh build with it. After a merge conflict in tests/golden/, take either side and run this again.
"""

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import FIXTURES, ROOT, build_site

GOLDEN = ROOT / "tests" / "golden" / "small"

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "output"
        build_site(FIXTURES / "small", out)
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(out, GOLDEN)
        files = sum(1 for p in GOLDEN.rglob("*") if p.is_file())
        print(f"wrote {files} files to {GOLDEN.relative_to(ROOT)}/; review them with git diff before committing")
