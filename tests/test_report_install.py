"""The SEO review report's page template ships inside the package: a `pip install .` used outside the
checkout (another folder as the working directory, only the installed package importable) still
writes reports/seo-review.html."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import FIXTURES, build_site

from tests.test_dask_cluster import _install_node


def test_an_installed_package_writes_the_report_outside_the_checkout(tmp_path):
    site = _install_node(tmp_path)  # pip install . into a folder of its own
    assert (site / "pipeline" / "report" / "templates" / "seo-review.html").is_file()
    out = tmp_path / "elsewhere" / "output"
    build_site(FIXTURES / "small", out)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(site)}
    done = subprocess.run(
        [sys.executable, "-c", "import pipeline, sys; print(pipeline.__file__); from pipeline.cli import main; "
         "sys.exit(main(sys.argv[1:]))", "audit", "--out", str(out)],
        cwd=out.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == str(site / "pipeline" / "__init__.py"), "the installed copy ran"
    html = (out.parent / "reports" / "seo-review.html").read_text(encoding="utf-8")
    assert "<title>SEO review" in html and "compassion-fatigue-and-default-mode-network/" in html
