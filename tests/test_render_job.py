"""The render job (site/job.py) is explicit data: a worker that gets it pickled, without the templates
folder, renders the same pages; render workers write pages only inside their staging folder."""

from __future__ import annotations

import gc
import pickle
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.site.build import load_inputs
from pipeline.site.job import pair_rows, prepare
from pipeline.site.pairpage import render_pairs
from pipeline.site.write import PageTree

ROOT = Path(__file__).resolve().parent.parent


def test_a_pickled_portable_job_renders_the_same_pages_without_the_templates_folder(tmp_path):
    inputs = load_inputs(ROOT / "tests" / "fixtures" / "small", ROOT / "templates", load_config(ROOT / "site.toml"))
    job = prepare(inputs)
    gc.unfreeze()
    rows = [(p.row, job.names[p.a] | job.names[p.b]) for p in pair_rows(job, (0, 2))]
    here = [page.html for page in render_pairs(job, rows)]
    elsewhere = pickle.loads(pickle.dumps(job.portable()))
    object.__setattr__(elsewhere, "templates", tmp_path / "no-templates-here")
    assert elsewhere.env is None and elsewhere.template_sources
    assert [page.html for page in render_pairs(elsewhere, rows)] == here
    assert len(here) == 9 and all(html.lower().startswith("<!doctype html>") for html in here)


@pytest.mark.parametrize(
    "rel", ["../x/index.html", "/etc/x", "a/../../x/index.html", "a//index.html", "./a/index.html"]
)
def test_a_page_tree_refuses_paths_outside_or_not_plain(tmp_path, rel):
    with pytest.raises(ValueError, match="outside the output folder"):
        PageTree(str(tmp_path)).write_page(rel, b"x")


def test_a_page_tree_writes_a_page_in_its_folder(tmp_path):
    tree = PageTree(str(tmp_path))
    st = tree.write_page("a-and-b/index.html", b"<p>x</p>")
    assert (tmp_path / "a-and-b" / "index.html").read_bytes() == b"<p>x</p>" and st.st_size == 8
