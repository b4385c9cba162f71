"""Regenerate the golden page: `make golden`, then review the diff before committing."""

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import FIXTURES, ROOT, build_site

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "output"
        build_site(FIXTURES / "small", out)
        name = "compassion-fatigue-and-default-mode-network"
        shutil.copy(out / name / "index.html", ROOT / "tests" / "golden" / f"{name}.html")
        print(f"wrote tests/golden/{name}.html")
