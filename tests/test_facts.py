"""The audit's records of the pages a build renders come from the renderer (site/facts.py) instead of
parsing the written files back; these tests hold them to what parse_page finds in the same bytes: on
fuzzed pages in the renderer's markup, on the pair pages the real templates make from varied editor
rows, and in a build, where a sample is parsed back and a difference is an audit error naming the page."""

from __future__ import annotations

import gc
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from pipeline.audit import parse_page
from pipeline.audit.store import _RENDERED
from pipeline.config import load_config
from pipeline.site import facts
from pipeline.site.facts import disagreement, rendered_record
from pipeline.site.job import default_row, prepare
from pipeline.site.pairpage import render_pairs

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "fixtures" / "small"
BASE = "https://bringwise.example/guides/"

_CHARS = "abcXYZ019 -_.,;:!?'\"&<>/=#%é—’…\u00a0\t\n"
text = st.text(alphabet=_CHARS, max_size=30)
href = st.one_of(
    st.sampled_from(
        [
            "../a-and-b/",
            "topics/x/",
            "../../",
            "./",
            "",
            "#top",
            "mailto:x@example.org",
            "https://other.example/x",
            BASE + "a-and-b/",
            "/guides/about/",
            "/elsewhere/",
            "?utm_source=x&utm_medium=y",
            "../x-and-y/?a=1#b",
            "https://bringwise.example/guides/x/",
            "javascript:void(0)",
        ]
    ),
    text,
)


def _anchor(draw) -> str:
    label = draw(st.sampled_from(["text", "strong", "img", "empty", "aria", "title"]))
    words = escape(draw(text))
    inner = {
        "text": words,
        "strong": f"<strong>{words}</strong> {escape(draw(text))}",
        "img": f'<img src="i.png" alt="{words}">',
        "empty": "",
        "aria": "",
        "title": "",
    }[label]
    attrs = {"aria": f' aria-label="{words}"', "title": f' title="{words}"'}.get(label, "")
    return f'<a href="{escape(draw(href))}"{attrs}>{inner}</a>'


@st.composite
def pages(draw) -> str:
    """A page in the renderer's markup: lower-case tags, quoted and escaped attributes, escaped text."""
    head = [f"<title>{escape(draw(text))}</title>"]
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(["description", "robots", "googlebot", "viewport", "og:image", "twitter:card"]))
        content = draw(st.one_of(text, st.sampled_from(["noindex, follow", "index,follow", "none", "NOINDEX"])))
        key = "property" if name.startswith("og:") else "name"
        head.append(f'<meta {key}="{name}" content="{escape(content)}">')
    for rel in draw(st.lists(st.sampled_from(["canonical", "icon", "stylesheet", "apple-touch-icon"]), max_size=3)):
        head.append(f'<link rel="{rel}" href="{escape(draw(href))}">')
    if draw(st.booleans()):
        graph = {"@context": "https://schema.org", "@graph": [{"@type": "MedicalWebPage", "name": draw(text)}]}
        body = json.dumps(graph) if draw(st.booleans()) else "{not json" + draw(text).replace("<", "")
        head.append(f'<script type="application/ld+json">{body}</script>')
    blocks = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["h", "p", "list", "crumbs", "img", "comment", "style", "nav", "svg"]))
        words = escape(draw(text))
        if kind == "h":
            n = draw(st.integers(1, 6))
            blocks.append(f"<h{n}>{words}</h{n}>")
        elif kind == "p":
            blocks.append(f"<p>{words}{_anchor(draw)}{escape(draw(text))}</p>")
        elif kind == "list":
            blocks.append(
                "<ul>" + "".join(f"<li>{_anchor(draw)}</li>" for _ in range(draw(st.integers(1, 3)))) + "</ul>"
            )
        elif kind == "crumbs":
            blocks.append(f'<nav class="crumbs" aria-label="Breadcrumb"><ol><li>{_anchor(draw)}</li></ol></nav>')
        elif kind == "img":
            alt = draw(st.one_of(st.none(), text))
            blocks.append(f'<img src="p.png"{"" if alt is None else f" alt={chr(34)}{escape(alt)}{chr(34)}"}>')
        elif kind == "comment":
            blocks.append(f'<!-- {draw(text).replace("-", "")} <a href="x/">x</a> -->')
        elif kind == "style":
            blocks.append("<style>p { color: #333 }</style>")
        elif kind == "nav":
            blocks.append(f'<nav aria-label="Site">{_anchor(draw)}</nav>')
        else:
            blocks.append(
                f'<svg viewBox="0 0 10 10" role="img"><a href="../m-and-n/"><text x="1">{words}</text></a></svg>'
            )
    main = "".join(blocks)
    header = f'<header class="site"><a href="../">{escape(draw(text))}</a></header>'
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(draw(st.sampled_from(["en", "en-GB", ""])))}"><head><meta charset="utf-8">'
        + "".join(head)
        + f"</head>\n<body>{header}<main>{main}</main><footer><p>{escape(draw(text))}</p></footer></body></html>\n"
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages(), st.sampled_from(["a-and-b/index.html", "index.html", "topics/x/index.html", "about/index.html"]))
def test_the_renderers_record_of_a_fuzzed_page_is_the_parsed_one(page, rel):
    data = page.encode("utf-8")
    made, parsed = rendered_record(rel, page, data, BASE), parse_page(rel, data, BASE)
    assert disagreement(made, parsed) == [], (made, parsed)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.just(""), st.text(alphabet=_CHARS + "ABCDEFGHIJ", max_size=300).filter(lambda t: any(c.isalpha() for c in t))
    ),
    st.sampled_from(["approved", "noindex", "review"]),
    st.lists(st.sampled_from(["https://doi.org/10.1000/x1", "https://example.org/a?b=1&c=2"]), max_size=2),
    st.integers(0, 14),
)
def test_the_renderers_record_of_a_real_pair_page_is_the_parsed_one(small_job, relationship, status, sources, k):
    """Pair pages the real templates make from varied editor rows (text with markup characters,
    statuses that change robots and banners, sources)."""
    job = small_job
    pairs = [(a, b) for i, a in enumerate(job.slugs) for b in job.slugs[i + 1 :]]
    a, b = pairs[k % len(pairs)]
    relationship = " ".join(relationship.split())  # as data/load.py normalises a cell
    row = dict(default_row(job.cfg, a, b), status=status, relationship=relationship, editorial=bool(relationship))
    row["sources"] = tuple(sources)
    (page,) = render_pairs(job, [(row, job.names[a] | job.names[b])])
    rel = f"{a}-and-{b}/index.html"
    data = page.html.encode("utf-8")
    made, parsed = rendered_record(rel, page.html, data, job.cfg.base_url), parse_page(rel, data, job.cfg.base_url)
    assert disagreement(made, parsed) == []


def test_a_build_audits_rendered_pages_by_the_renderers_records_and_proves_a_sample(tmp_path, monkeypatch):
    """Every published pair page the build renders reaches the audit as the renderer's record; with
    every page in the sample, each is parsed back, and they agree: no renderer-record finding."""
    monkeypatch.setattr(facts, "SAMPLE_EVERY", 1)
    result, audit = _build_and_audit(tmp_path)
    assert result.rendered > 0
    assert "renderer-record" not in {f.check for f in audit.findings}


def test_a_renderer_record_that_differs_from_the_page_is_an_error_naming_it(tmp_path, monkeypatch):
    real = facts.rendered_record

    def forgets_links(rel, html, data, base_url):
        rec = real(rel, html, data, base_url)
        rec.links = rec.links[1:]
        return rec

    monkeypatch.setattr(facts, "SAMPLE_EVERY", 1)
    monkeypatch.setattr("pipeline.site.workers.rendered_record", forgets_links)
    _, audit = _build_and_audit(tmp_path)
    found = [f for f in audit.findings if f.check == "renderer-record"]
    assert found and all(f.severity == "error" and "links" in f.message for f in found)
    assert {f.url for f in found} == {p.url for p in audit.pages if p.url.endswith("/") and "-and-" in p.url}, (
        "every rendered (published) pair page, each named"
    )


def test_the_audit_command_parses_the_pages_the_renderer_recorded(tmp_path, monkeypatch):
    """`python -m pipeline audit` is a crawler: records the renderer made are not taken from the cache."""
    from pipeline.audit.crawl import load_cache
    from pipeline.report import review as report

    monkeypatch.setattr(facts, "SAMPLE_EVERY", 10**6)  # nothing sampled: every record is the renderer's
    out = tmp_path / "output"
    _build_and_audit(tmp_path)
    cfg = load_config(ROOT / "site.toml")
    cache = load_cache(report.cache_file(tmp_path / "reports"), cfg)
    assert any(cache.flags[i] & _RENDERED for i in range(len(cache)))
    audit, _ = report.audit_and_report(out, cfg, out, tmp_path / "reports", None, crawl=True)
    assert audit.stats["parsed"] > 0
    cache = load_cache(report.cache_file(tmp_path / "reports"), cfg)
    assert not any(cache.flags[i] & _RENDERED for i in range(len(cache)))
    again, _ = report.audit_and_report(out, cfg, out, tmp_path / "reports", None, crawl=True)
    assert again.stats["parsed"] == 0


def _build_and_audit(tmp_path: Path):
    from pipeline.report import review as report

    data = tmp_path / "data"
    shutil.copytree(SMALL, data)
    cfg = load_config(ROOT / "site.toml")
    found = {}

    def after_write(staged, result):
        found["audit"], _ = report.audit_and_report(
            staged, cfg, tmp_path / "output", tmp_path / "reports", None, known=result.audit_records
        )

    from pipeline.site.build import build, load_inputs

    inputs = load_inputs(data, ROOT / "templates", cfg)
    result = build(inputs, tmp_path / "output", workers=1, progress=False, after_write=after_write, audit_records=True)
    return result, found["audit"]


@pytest.fixture(scope="module")
def small_job():
    from pipeline.site.build import load_inputs

    inputs = load_inputs(SMALL, ROOT / "templates", load_config(ROOT / "site.toml"))
    job = prepare(inputs)
    gc.unfreeze()  # prepare froze what exists for forked workers; none are forked here
    return job
