"""Regenerate the golden site: `make golden`, then review the diff (`git diff tests/golden/`) before committing.

The golden site is the whole output of tests/fixtures/small, every file byte for byte: the public tree
(output/), the drafts' preview tree (preview/) and the deployment rules (deploy/); tests/test_golden.py
compares a fresh build with it. After a merge conflict in tests/golden/, take either side and run this again.
"""

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import FIXTURES, ROOT, build_site, deploy_of, preview_of

GOLDEN = ROOT / "tests" / "golden" / "small"

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "output"
        build_site(FIXTURES / "small", out)
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for tree in (out, preview_of(out), deploy_of(out)):
            if tree.exists():
                shutil.copytree(tree, GOLDEN / tree.name)
        files = sum(1 for p in GOLDEN.rglob("*") if p.is_file())
        print(f"wrote {files} files to {GOLDEN.relative_to(ROOT)}/; review them with git diff before committing")
