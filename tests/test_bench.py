"""`make bench` end to end at two tiny sizes: the table, the targets and the plot are written, and the
scratch sites are deleted only once every size is measured (never between measurements)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bench import run as bench


@pytest.mark.slow
def test_bench_writes_table_and_plot_and_cleans_up_after_the_last_size(tmp_path: Path, monkeypatch):
    work, doc, png = tmp_path / "work", tmp_path / "benchmarks.md", tmp_path / "img" / "bench.png"
    stale = work / "n6" / "output"
    stale.mkdir(parents=True)  # left by an interrupted run: set aside, not deleted before measuring
    (stale / "index.html").write_text("old", encoding="utf-8")
    doc.write_text("# Benchmarks\n\nHand notes stay.\n\n" + bench.START + "\nold table\n" + bench.END + "\n")

    deleted_while_measuring = []
    real_build = bench.run_build

    def watched_build(*args, **kwargs):
        deleted_while_measuring.append(not (work / "trash").exists())
        return real_build(*args, **kwargs)

    monkeypatch.setattr(bench, "run_build", watched_build)
    shared_cache = Path(os.environ["BRINGWISE_BUILD_CACHE"])
    cached_before = set(shared_cache.glob("*"))
    assert bench.main(["--sizes", "6,7", "--work", str(work), "--doc", str(doc), "--plot", str(png)]) == 0

    text = doc.read_text(encoding="utf-8")
    assert "Hand notes stay." in text and "old table" not in text
    table = [line for line in text.splitlines() if line.startswith("| ") and "pair pages" not in line]
    assert [row.split("|")[1].strip() for row in table[1:]] == ["6", "7"]
    assert "| 15 |" in table[1] and "| 21 |" in table[2]  # pair pages: N(N-1)/2
    assert "no change" in text and "Targets (issues 5 and 17):" in text and "Writing floor at N = 7" in text
    # Peak memory as PSS (shared pages of forked workers counted once) beside the summed RSS, both measured.
    pss, rss = (int(table[1].split("|")[i].strip().removesuffix(" MB").replace(",", "")) for i in (7, 8))
    assert 0 < pss <= rss
    # The writing floor and the file counts cover both trees the build writes: every pair page (21 at
    # N = 7, most of them drafts in the preview) has its folder, not only the published ones.
    floor = re.search(r"Writing floor at N = 7: merely creating its ([\d,]+) page folders", text)
    assert floor and int(floor.group(1).replace(",", "")) > 21
    assert png.stat().st_size > 10_000
    # The stale folder was in the trash all along, and it and the sites are gone at the end.
    assert deleted_while_measuring and not any(deleted_while_measuring)
    assert not (work / "trash").exists() and not (work / "n6").exists() and not (work / "n7").exists()
    # The builds' caches (manifests, spare sites) went with the sites, not into the shared cache folder.
    assert set(shared_cache.glob("*")) == cached_before
