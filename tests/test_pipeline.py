"""Stages as pure functions, and the whole build end to end on the small fixture."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pandas as pd
import pytest
from conftest import FIXTURES, ROOT, pair_files, preview_of

from pipeline import urls
from pipeline.cli import main
from pipeline.data.load import parse_csv
from pipeline.data.pairs import join_count, pair_index, pair_table, table_slice
from pipeline.data.validate import REQUIRED, validate_pairs, validate_topics
from pipeline.site.sitemap import redirect_files, robots_txt, sitemap_files

# "How X Affects Y" is only there when links lead from one topic to the other (tests/test_links.py).
SECTIONS = ["What Is", "The Link Between", "Related Resources"]  # and strategies, when a page has any


def _doc(path: Path):
    return lxml.html.parse(str(path)).getroot()


def test_pair_table_makes_every_unordered_pair_once_in_canonical_order():
    pairs = pair_table(["c", "a", "d", "b"], pd.DataFrame(columns=["a", "b", "status"]), "review")
    assert list(zip(pairs.a, pairs.b)) == [("a", "b"), ("a", "c"), ("a", "d"), ("b", "c"), ("b", "d"), ("c", "d")]
    assert all(pair_index(i, j, 4) == k for k, (i, j) in enumerate(zip(pairs.a.cat.codes, pairs.b.cat.codes)))
    assert list(zip(*pairs[table_slice(pairs, (1, 3), 4)][["a", "b"]].to_numpy().T)) == [
        ("b", "c"),
        ("b", "d"),
        ("c", "d"),
    ]
    assert join_count(76) == 2850


def test_pair_table_overlays_editor_rows_in_either_order_and_defaults_the_rest():
    table, problems = parse_csv(
        b"topic_a,topic_b,status,relationship\nb,a,approved,Edited.\nc,a,rejected,\nc,b,,\n",
        "pairs.csv",
        REQUIRED["pairs"],
    )
    editorial, more = validate_pairs(table, {"a", "b", "c"})
    assert problems == more == []
    rows = pair_table(["a", "b", "c"], editorial, "review").set_index(["a", "b"])
    assert rows.loc[("a", "b"), "status"] == "approved" and rows.loc[("a", "b"), "editorial"]
    assert editorial.iloc[rows.loc[("a", "b"), "row"]].relationship == "Edited."
    assert rows.loc[("a", "c"), "status"] == "rejected"
    assert rows.loc[("b", "c"), "status"] == "review" and not rows.loc[("b", "c"), "editorial"]


def test_pair_table_stays_small_at_two_thousand_topics():
    pairs = pair_table([f"topic-{k:04d}" for k in range(2000)], pd.DataFrame(columns=["a", "b", "status"]), "review")
    assert len(pairs) == 1_999_000
    assert pairs.memory_usage(deep=True).sum() < 40_000_000  # categorical slugs: bytes a row, not strings


def test_topics_get_slugs_and_lists_split():
    table, _ = parse_csv(
        "name,kind,description,effects,sources\nDéjà Vu,phenomenon,A feeling.,one; two ;,https://a.org/x  https://b.org\n".encode(),
        "topics.csv",
        REQUIRED["topics"],
    )
    topics, problems = validate_topics(table)
    assert problems == []
    row = topics.iloc[0]
    assert (
        row.slug == "deja-vu" and row.effects == ("one", "two") and row.sources == ("https://a.org/x", "https://b.org")
    )


def test_urls_come_from_one_place():
    assert urls.pair_url("a", "b") == "a-and-b/"
    assert urls.output_path(urls.hub_url("x")) == "topics/x/index.html"
    assert urls.relative("a-and-b/", "topics/a/") == "../topics/a/"
    assert urls.relative("", "a-and-b/") == "a-and-b/"
    assert "utm_content=a-and-b" in urls.tracked("https://x.app/d", "s", "m", "c", "a-and-b")


def test_sitemaps_split_at_fifty_thousand_urls_and_use_data_dates():
    files = sitemap_files("https://x.org/lib", [(f"p{i}/", "2026-01-02") for i in range(50_001)])
    assert sorted(files) == ["sitemap-1.xml", "sitemap-2.xml", "sitemap.xml"]
    assert files["sitemap-1.xml"].count("<url>") == 50_000 and files["sitemap-2.xml"].count("<url>") == 1
    assert "<lastmod>2026-01-02</lastmod>" in files["sitemap.xml"]
    assert "Disallow" not in robots_txt("https://x.org/lib")
    assert "Sitemap: https://x.org/lib/sitemap.xml" in robots_txt("https://x.org/lib")
    red = redirect_files("https://x.org/lib", [("b-and-a/", "a-and-b/")])
    assert red["_redirects"] == "/lib/b-and-a/ /lib/a-and-b/ 301\n"
    assert "/lib/b-and-a/ /lib/a-and-b/;" in red["nginx-redirects.conf"]


def test_build_writes_every_pair_of_the_join_minus_rejected(small_site):
    out, result = small_site
    preview = preview_of(out)
    published = [p.parent.name for p in out.glob("*-and-*/index.html")]
    drafts = [p.parent.name for p in preview.glob("*-and-*/index.html")]
    # One approved pair is published; every other pair but the rejected one is a draft in the preview.
    assert published == ["compassion-fatigue-and-default-mode-network"]
    assert len(drafts) == join_count(6) - 2 and not set(drafts) & set(published)
    assert not (out / "awe-and-procrastination").exists() and not (preview / "awe-and-procrastination").exists()
    assert result.rejected == ["awe-and-procrastination/"]
    for name in ("index.html", "404.html", "sitemap.xml", "about/index.html"):
        assert (out / name).exists(), name
    # Deployment files stay out of the public tree; robots.txt is not written under /library/.
    for name in ("_redirects", "nginx-redirects.conf", ".pages.txt", "robots.txt"):
        assert not (out / name).exists(), name
    assert (out.parent / "deploy" / "_redirects").exists() and (out.parent / "deploy" / "robots-root.txt").exists()
    assert len(list((out / "topics").iterdir())) == 6 == len(list((preview / "topics").iterdir()))


def test_every_pair_page_has_every_section_filled_and_links_resolve(small_site):
    out, _ = small_site
    for page in pair_files(out):
        doc = _doc(page)
        headings = [h.text_content() for h in doc.iter("h2")]
        for section in SECTIONS:
            assert any(section in h for h in headings), (page, section)
        for h in doc.iter("h2"):
            following = h.getnext()
            assert following is not None and following.text_content().strip(), (page, h.text_content())
        assert len(doc.findall(".//h1")) == 1
        # The small fixture has no links.csv: no map (tests/test_links.py has one).
        assert not doc.cssselect("figure.connection-map")
        # Only steps specific to the two topics (each topic's own, here without links), nothing generic;
        # two topics whose rows list no step (the DMN and PTSD here) give a page without the section.
        steps = [li.text_content() for li in doc.cssselect("ol.steps li")]
        lead = doc.xpath("//ol[@class='steps']/preceding-sibling::p[1]")
        one = bool(lead) and lead[0].text_content().startswith(("Steps for ", "Steps with "))  # one topic's steps
        assert len(steps) <= 4 and (one or all(s.startswith(("For ", "With ")) for s in steps)), steps
        assert bool(steps) == any("Practical Strategies When Dealing with Both" in h for h in headings), page
        assert bool(steps) != (page.parent.name == "default-mode-network-and-post-traumatic-stress-disorder"), page
        assert not doc.cssselect("ol.steps strong")
        assert len(doc.cssselect("ul.related li")) >= (4 if page.is_relative_to(preview_of(out)) else 2)
        cta = doc.cssselect("aside.cta")[0].text_content()
        for text in (
            "Bringwise",
            "Turn psychology into daily habits",
            "5 minutes a day. Science-backed insights you can actually use.",
            "Download Free",
        ):
            assert text in cta
        assert f"utm_content={page.parent.name}" in doc.cssselect("aside.cta a")[0].get("href")
        for a in doc.iter("a"):
            href = a.get("href")
            if href.startswith("http"):
                continue
            target = (page.parent / href).resolve()
            assert (target / "index.html").exists() or target.is_file(), (page, href)


def test_status_controls_indexing_and_the_sitemap(small_site):
    out, _ = small_site
    approved = (out / "compassion-fatigue-and-default-mode-network" / "index.html").read_text()
    assert not (out / "mindfulness-and-post-traumatic-stress-disorder").exists()
    review = (preview_of(out) / "mindfulness-and-post-traumatic-stress-disorder" / "index.html").read_text()
    assert 'name="robots"' not in approved and '<meta name="robots" content="noindex">' in review
    assert "Draft — not published" in review and "Draft — not published" not in approved
    sitemap = (out / "sitemap-1.xml").read_text()
    assert "compassion-fatigue-and-default-mode-network/" in sitemap
    assert "mindfulness-and-post-traumatic-stress-disorder/" not in sitemap


def test_text_from_the_data_is_escaped(awkward_site):
    out, _ = awkward_site
    html = (out / "topics" / "unusual-markup" / "index.html").read_text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "“smart quotes”" in html


def test_cli_builds_and_reports_bad_input(tmp_path, capsys):
    assert (
        main(["build", "--data", str(FIXTURES / "small"), "--out", str(tmp_path / "site"), "--quiet", "--no-audit"])
        == 0
    )
    assert "Built 14 pair pages" in capsys.readouterr().out
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "topics.csv").write_text("name,kind,description\nAwe,feeling,A feeling.\nCalm,emotion,\n")
    assert main(["build", "--data", str(bad), "--out", str(tmp_path / "site"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"{bad}/topics.csv:2: column 'kind': kind 'feeling' is not one of" in err
    assert f"{bad}/topics.csv:3: column 'description': required cell is empty" in err


def test_source_links_say_where_they_go():
    from pipeline.content.context import source_label
    from pipeline.content.wording import read_wording

    w = read_wording(ROOT / "templates" / "wording")
    assert source_label("https://en.wikipedia.org/wiki/Default_mode_network", w) == "Wikipedia: Default mode network"
    assert source_label("https://doi.org/10.1073/pnas.98.2.676", w) == "Research article, doi:10.1073/pnas.98.2.676"
    assert source_label("https://www.nimh.nih.gov/health/topics/anxiety-disorders", w) == (
        "National Institute of Mental Health: Anxiety disorders"
    )
    assert source_label("https://example.org/", w) == "example.org"


@pytest.mark.parametrize(
    "url, label",
    [
        (  # a date in the address is not part of the title
            "https://www.who.int/news/item/28-05-2019-burn-out-an-occupational-phenomenon-international-classification-of-diseases",
            "World Health Organization: Burn out an occupational phenomenon international classification of diseases",
        ),
        ("https://www.who.int/news-room/fact-sheets/detail/depression", "World Health Organization: Depression"),
        (  # an acronym after the words it stands for
            "https://www.nimh.nih.gov/health/topics/obsessive-compulsive-disorder-ocd",
            "National Institute of Mental Health: Obsessive compulsive disorder (OCD)",
        ),
        ("https://en.wikipedia.org/wiki/Self-compassion", "Wikipedia: Self-compassion"),  # MediaWiki keeps hyphens
        ("https://en.wikipedia.org/wiki/D%C3%A9j%C3%A0_vu", "Wikipedia: Déjà vu"),
        ("https://en.wikipedia.org/wiki/Rumination_(psychology)", "Wikipedia: Rumination (psychology)"),
        (  # a numeric id before the title goes
            "https://www.researchgate.net/publication/369267931_Procrastination_and_health",
            "ResearchGate: Procrastination and health",
        ),
        ("https://pmc.ncbi.nlm.nih.gov/articles/PMC10293686/", "PubMed Central: PMC10293686"),
        ("https://pmc.ncbi.nlm.nih.gov/articles/PMC6826794/figure/f1-arhw-21-1-53", "PubMed Central: PMC6826794"),
        ("https://www.ncbi.nlm.nih.gov/pubmed/25247366", "National Library of Medicine: 25247366"),
        ("https://account.mindful.care/what-we-treat/ptsd", "account.mindful.care: PTSD"),
        ("https://link.springer.com/article/10.1007/s11920-022-01326-3", "Springer"),  # no words: the publisher
        ("https://www.nimh.nih.gov/health/publications/stress.shtml", "National Institute of Mental Health: Stress"),
    ],
)
def test_labels_made_from_addresses_read_cleanly(url, label):
    from pipeline.content.sourcelinks import source_label
    from pipeline.content.wording import read_wording

    assert source_label(url, read_wording(ROOT / "templates" / "wording")) == label


def test_a_path_segment_without_words_gives_no_title():
    from pipeline.content.sourcelinks import url_title

    assert [url_title(s) for s in ("847", "2019-05-28", "article", "faq16", "f1-arhw-21-1-53")] == [""] * 5
    assert url_title("signs-and-symptoms-of-depression") == "Signs and symptoms of depression"
    assert url_title("Fight-or-flight_response") == "Fight-or-flight response"


def test_a_misspelt_optional_column_gets_a_note_not_an_error(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    text = (FIXTURES / "small" / "topics.csv").read_text(encoding="utf-8")
    (data / "topics.csv").write_text(text.replace("category", "catgory", 1), encoding="utf-8")
    assert main(["check", "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert (
        f"note: {data}/topics.csv:1: column 'catgory' is not a column of the data contract and is ignored; "
        "did you mean 'category'?" in out
    )


def test_a_reader_that_stops_reading_is_not_reported_as_a_failed_build(monkeypatch, capsys):
    from pipeline import cli

    def reader_gone(args):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(cli, "cmd_check", reader_gone)
    assert cli.main(["check"]) == 1
    err = capsys.readouterr().err
    assert "broken pipe" in err and "Internal error" not in err and "previous site is unchanged" not in err
