"""data/links.csv: validation, edges, and what pages say with them (link section, bridges, map)."""

from __future__ import annotations

import itertools
import re
import shutil

import lxml.html
import pandas as pd
import pytest
from conftest import FIXTURES, ROOT, build_site, cli_build, page_file, pair_files

from pipeline.config import Config
from pipeline.content.language import is_plural, possessive
from pipeline.content.proofread import check_list, check_number, check_predicates
from pipeline.data.links import edges, validate_links
from pipeline.data.load import parse_csv

SLUGS = {"anxiety", "rumination", "sleep", "loneliness", "depression"}
HEADER = "subject,relation,object,sources,note,checked_by,checked_on\n"
GOOD = "loneliness,worsens,sleep,https://example.org/a,,,\n"


def _check(body: str, renamed: dict[str, str] | None = None):
    table, problems = parse_csv((HEADER + body).encode(), "data/links.csv", ("subject", "relation", "object"))
    links, more = validate_links(table, SLUGS, renamed)
    return links, [str(p) for p in problems + more]


@pytest.mark.parametrize(
    "body, message",
    [
        (
            "loneliness,increases,sleep,https://example.org/a,,,\n",
            "data/links.csv:2: column 'relation': relation 'increases' is not one of raises, lowers, worsens, "
            "eases, is-part-of, is-a-feature-of, is-treated-by, often-co-occurs-with, is-studied-as-a-factor-in, "
            "involves; did you mean 'raises'?",
        ),
        (
            "lonelines,worsens,sleep,https://example.org/a,,,\n",
            "data/links.csv:2: column 'subject': topic 'lonelines' is not a slug in topics.csv; did you mean 'loneliness'?",
        ),
        (
            "sleep,worsens,sleep,https://example.org/a,,,\n",
            "data/links.csv:2: column 'object': links topic 'sleep' to itself; a link needs two topics",
        ),
        (
            "loneliness,worsens,sleep,,,,\n",
            "data/links.csv:2: column 'sources': required cell is empty; every link needs subject, relation, object and sources",
        ),
        (
            "loneliness,worsens,sleep,ftp://example.org/a,,,\n",
            "data/links.csv:2: column 'sources': source 'ftp://example.org/a' is not an http(s) URL; write it as https://…",
        ),
        (
            GOOD + "loneliness,worsens,sleep,https://example.org/b,,,\n",
            "data/links.csv:3: column 'relation': 'loneliness worsens sleep' is already stated on line 2; keep one row "
            "and put every source in it",
        ),
        (
            "anxiety,often-co-occurs-with,depression,https://example.org/a,,,\n"
            "depression,often-co-occurs-with,anxiety,https://example.org/b,,,\n",
            "data/links.csv:3: column 'relation': 'depression often-co-occurs-with anxiety' is already stated on line 2 "
            "(in either order); keep one row and put every source in it",
        ),
        (
            "loneliness,worsens,sleep,https://example.org/a,,ann,someday\n",
            "data/links.csv:2: column 'checked_on': date 'someday' is not a real ISO date (YYYY-MM-DD, e.g. 2026-11-25)",
        ),
    ],
)
def test_a_bad_link_row_gets_one_clear_message(body, message):
    links, problems = _check(body)
    assert problems == [message]


def test_good_rows_become_edges_and_old_slugs_resolve():
    links, problems = _check(
        GOOD
        + "lonely,is-studied-as-a-factor-in,depression,https://example.org/c https://example.org/d,in adults,ann,2026-11-25\n",
        {"lonely": "loneliness"},
    )
    assert problems == []
    assert list(links["subject"]) == ["loneliness", "loneliness"]
    assert links.iloc[1]["sources"] == ("https://example.org/c", "https://example.org/d")
    pairs = pd.DataFrame(
        [
            {"a": "anxiety", "b": "sleep", "status": "approved", "relationship": "Editor text.", "sources": ()},
            {"a": "anxiety", "b": "rumination", "status": "review", "relationship": "Draft text.", "sources": ()},
        ]
    )
    e = edges(links, pairs)
    assert list(zip(e["subject"], e["relation"], e["object"], e["checked"])) == [
        ("anxiety", "editor", "sleep", True),
        ("loneliness", "is-studied-as-a-factor-in", "depression", True),
        ("loneliness", "worsens", "sleep", False),
    ]


def test_a_bad_links_file_stops_the_build_with_file_line_and_column(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "small", data)
    (data / "links.csv").write_text(HEADER + "mindfulness,helps,awe,https://example.org/a,,,\n", encoding="utf-8")
    assert cli_build(data, tmp_path / "out") == 2
    assert not (tmp_path / "out").exists()


LINKS = """subject,relation,object,sources,note,checked_by,checked_on
mindfulness,eases,post-traumatic-stress-disorder,https://example.org/mind-ptsd,in small trials,ann,2026-11-25
post-traumatic-stress-disorder,often-co-occurs-with,compassion-fatigue,https://example.org/ptsd-cf,,,
procrastination,worsens,post-traumatic-stress-disorder,https://example.org/proc-ptsd,,,
"""


@pytest.fixture(scope="module")
def linked_site(tmp_path_factory):
    data = tmp_path_factory.mktemp("linked") / "data"
    shutil.copytree(FIXTURES / "small", data)
    (data / "links.csv").write_text(LINKS, encoding="utf-8")
    out = data.parent / "output"
    return out, build_site(data, out)


def _page(out, slug):
    return lxml.html.parse(str(page_file(out, f"{slug}/"))).getroot()  # published or draft


def test_a_direct_link_is_stated_with_its_note_and_a_numbered_source(linked_site):
    out, result = linked_site
    assert result.warnings == []
    doc = _page(out, "mindfulness-and-post-traumatic-stress-disorder")
    link = doc.xpath("//div[@id='link-text']/p[1]")[0]
    assert " ".join(link.text_content().split()) == ("Mindfulness can ease the symptoms of PTSD (in small trials).[1]")
    cite = link.cssselect("sup.cite a")[0]
    assert cite.get("href") == "https://example.org/mind-ptsd"
    assert doc.cssselect("ol.sources li a")[0].get("href") == "https://example.org/mind-ptsd"
    # A checked link: no "not yet checked" note.
    assert not doc.cssselect("p.note")


def test_a_bridge_names_the_shared_topic_and_links_both_pages(linked_site):
    out, _ = linked_site
    doc = _page(out, "mindfulness-and-procrastination")
    text = " ".join(doc.text_content().split())
    assert (
        "Both connect to PTSD: mindfulness can ease the symptoms of post-traumatic stress disorder (PTSD)[1], "
        "and procrastination can make PTSD worse[2]."
    ) in text
    assert "procrastination can make PTSD worse" in text
    hrefs = [a.get("href") for a in doc.xpath("//div[@id='link-text']/p[1]//a")]
    assert "../mindfulness-and-post-traumatic-stress-disorder/" in hrefs
    assert "../post-traumatic-stress-disorder-and-procrastination/" in hrefs
    assert "../topics/post-traumatic-stress-disorder/" in hrefs
    # unchecked links feed drafts, and the page says so
    assert doc.cssselect("p.note")


def test_a_chain_of_links_is_how_one_topic_affects_the_other(linked_site):
    out, _ = linked_site
    # mindfulness eases PTSD; nothing leads from PTSD on to another topic, so no chain: no effects section.
    doc = _page(out, "mindfulness-and-procrastination")
    assert not doc.cssselect("ul.effects")


def test_a_pair_with_nothing_known_says_so_once_and_is_low_value(linked_site):
    out, result = linked_site
    doc = _page(out, "awe-and-default-mode-network")
    link = doc.xpath("//div[@id='link-text']/p")
    assert link[0].text_content().strip().startswith("No source in our data connects awe and the DMN directly")
    assert not link[1].text_content().startswith("No source")
    assert doc.cssselect('meta[name="robots"][content*="noindex"]')


def test_the_connection_map_is_an_accessible_svg_with_a_text_equivalent(linked_site):
    out, _ = linked_site
    doc = _page(out, "mindfulness-and-procrastination")
    svg = doc.cssselect("figure.connection-map svg")[0]
    title, desc = svg.find("title"), svg.find("desc")
    assert title.text == "How Mindfulness and Procrastination connect"
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    nodes = [a.get("href") for a in svg.findall("a")]
    assert set(nodes) == {
        "../topics/mindfulness/",
        "../topics/procrastination/",
        "../topics/post-traumatic-stress-disorder/",
    }
    assert {t.text for t in svg.iter("text")} >= {"eases", "worsens", "Mindfulness", "PTSD"}
    # The text equivalent is the link section, said once: the figure points at it, no second list.
    figure = doc.cssselect("figure.connection-map")[0]
    assert figure.get("aria-describedby") == "link-text"
    stated = " ".join(doc.get_element_by_id("link-text").text_content().split())
    assert "mindfulness can ease the symptoms of post-traumatic stress disorder (PTSD)" in stated
    assert "procrastination can make PTSD worse" in stated
    assert not doc.cssselect("ul.map-list")
    caption = figure.cssselect("figcaption a")[0]
    assert caption.get("href") == "#link-text" and caption.text == "The Link Between Mindfulness and Procrastination"
    assert not doc.cssselect("script:not([type='application/ld+json'])")
    hub = _page(out, "topics/post-traumatic-stress-disorder")
    assert len(hub.cssselect("figure.connection-map svg a")) == 4
    # The hub: the map's links are those of the sourced list, which it points at; none is said twice.
    hub_figure = hub.cssselect("figure.connection-map")[0]
    assert hub_figure.get("aria-describedby") == "linked-with"
    listed = [" ".join(li.text_content().split()) for li in hub.cssselect("ul#linked-with li")]
    extra = [" ".join(li.text_content().split()) for li in hub.cssselect("ul.map-list li")]
    assert listed and not set(extra) & {x.split(" (")[0] for x in listed}
    sentences = [
        x
        for x in hub.xpath("//li")
        if "can ease the symptoms of PTSD" in x.text_content() or "can ease the symptoms of post" in x.text_content()
    ]
    assert len(sentences) == 1, [x.text_content() for x in sentences]


def test_the_map_is_the_same_on_every_build(linked_site, tmp_path):
    out, _ = linked_site
    data = out.parent / "data"
    again = tmp_path / "again"
    build_site(data, again)
    slug = "mindfulness-and-procrastination"
    assert page_file(again, f"{slug}/").read_text() == page_file(out, f"{slug}/").read_text()


@pytest.mark.parametrize(
    "name, plural",
    [
        ("the negativity bias", False),
        ("confirmation bias", False),
        ("the diagnosis", False),
        ("the nucleus", False),
        ("chronic stress", False),
        ("loneliness", False),
        ("intrusive thoughts", True),
        ("bad habits", True),
        ("false memories", True),
        ("lucid dreams", True),
        ("stress hormones", True),
        ("basal nuclei", True),
        ("aversive stimuli", True),
        ("diagnostic criteria", True),
        ("PTSD", False),
        ("maslow's hierarchy of needs", False),
    ],
)
def test_grammatical_number_comes_from_the_head_noun(name, plural):
    assert is_plural(name) is plural


def test_possessives_agree():
    assert possessive("the negativity bias") == "the negativity bias’s"
    assert possessive("intrusive thoughts") == "intrusive thoughts’"


def test_the_proofreader_finds_number_predicates_and_repeated_bullets():
    numbers = {"the negativity bias": False, "Confirmation Bias": False, "intrusive thoughts": True}
    assert check_number("The negativity bias are studied as a factor.", numbers)[0].kind == "number agreement"
    assert check_number("What Are Confirmation Bias?", numbers)[0].kind == "number agreement"
    assert check_number("When intrusive thoughts is strong, rest.", numbers)
    assert check_number("Intrusive thoughts are common, and the negativity bias is too.", numbers) == []
    faults = check_predicates("Anger is a feeling, and awe is a feeling.")
    assert faults and faults[0].detail == "is a feeling"
    assert check_predicates("Anger is a feeling, and awe is a sense of wonder.") == []
    bullets = [
        "When the bias brings bad news, the benefit from slow breathing may look different as well",
        "When the bias brings bad news, the benefit from slow breathing may look different too",
        "Slow breathing lowers the heart rate",
    ]
    assert [f.sentence for f in check_list(bullets)] == [bullets[1]]


def test_sameness_is_one_for_pages_that_only_swap_names_and_low_for_specific_ones():
    from pipeline.content.sameness import measure, shingles

    template = "{a} is a feeling, and {b} is a feeling that may change how people act in everyday life."
    same = [
        (template.format(a=a, b=b), "", [a, b]) for a, b in (("anger", "awe"), ("envy", "shame"), ("fear", "guilt"))
    ]
    assert measure({"emotion × emotion": same}).link == 1.0
    specific = [
        ("Anger is a recognised symptom of PTSD, with irritability and outbursts.", "", ["anger", "awe"]),
        ("Envy is studied as a factor in depression through social comparison online.", "", ["envy", "shame"]),
        ("Fear involves the amygdala, which is central to fear learning.", "", ["fear", "guilt"]),
    ]
    result = measure({"emotion × emotion": specific})
    assert result.link < 0.25 and result.pages == 3 and result.kind_pairs == 1
    assert shingles("Anger is a feeling of heat", ["anger"]) == shingles("Awe is a feeling of heat", ["awe"])


def test_the_build_summary_reports_the_sameness_of_drafts(linked_site, tmp_path, capsys):
    out, _ = linked_site
    assert cli_build(out.parent / "data", tmp_path / "out", "--no-audit") == 0
    printed = capsys.readouterr().out
    assert (
        "sameness of connected drafts (mean 5-gram Jaccard within a kind pair, names masked; goal < 0.25): link "
        in (printed)
    )
    assert re.search(r"unconnected drafts \(nothing links the two topics; low-value\): \d+ of \d+ \(\d+%\)", printed)


def test_unconnected_drafts_are_counted_apart_not_measured_as_alike(tmp_path, capsys):
    """The number fixture has no links.csv: every draft carries the same honest sentence. It used to
    score 0.81 "alike"; now no sameness is claimed and every draft is counted as unconnected."""
    from pipeline.content.sameness import measure

    honest = "No source in our data connects {a} and {b} directly or through a shared topic."
    pages = [(honest.format(a=a, b=b), "", [a, b], True) for a, b in (("anger", "awe"), ("envy", "shame"), ("x", "y"))]
    specific = [
        ("Anger is a recognised symptom of PTSD, with irritability and outbursts.", "", ["anger", "awe"], False),
        ("Envy is studied as a factor in depression through social comparison online.", "", ["envy", "shame"], False),
    ]
    result = measure({"emotion × emotion": pages + specific}, drafts=5, unconnected=3)
    assert result.link is not None and result.link < 0.25 and result.pages == 2
    assert result.unconnected_share == 0.6
    assert cli_build(FIXTURES / "number", tmp_path / "out", "--no-audit") == 0
    printed = capsys.readouterr().out
    assert "sameness of connected drafts" not in printed
    unconnected = re.search(r"unconnected drafts \(nothing links the two topics; low-value\): (\d+) of (\d+)", printed)
    assert unconnected and unconnected.group(1) == unconnected.group(2), printed


def test_the_unconnected_count_agrees_with_what_pages_say(linked_site):
    from pipeline.content.connections import make_graph
    from pipeline.content.context import topic_records
    from pipeline.content.linktext import find
    from pipeline.content.sameness import count_unconnected
    from pipeline.data import links as links_file
    from pipeline.site.inputs import load_inputs

    out, _ = linked_site
    inputs = load_inputs(out.parent / "data", ROOT / "templates", Config())
    topics = topic_records(inputs.topics)
    graph = make_graph(links_file.edges(inputs.links, inputs.pairs))
    pairs = list(itertools.combinations(sorted(topics), 2))
    expected = sum(find(topics[a], topics[b], graph).carries == "none" for a, b in pairs)
    assert count_unconnected(topics, graph, lambda a, b: False) == (len(pairs), expected)
    assert 0 < expected < len(pairs)


def test_strict_refuses_a_site_with_wording_faults(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "small", data)
    topics = (data / "topics.csv").read_text(encoding="utf-8")
    assert "Mindfulness" in topics
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(topics)))
    for r in rows:
        if r["name"] == "Mindfulness":
            r["strategies"] = "keep a short daily journal; keep a short daily journal of moods"
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    (data / "topics.csv").write_text(buf.getvalue(), encoding="utf-8")
    assert cli_build(data, tmp_path / "out", "--no-audit") == 0
    assert cli_build(data, tmp_path / "strict", "--no-audit", "--strict") == 1
    err = capsys.readouterr().err
    assert "Stopped (--strict):" in err and "near-identical bullets" in err
    assert not (tmp_path / "strict").exists()


def test_names_of_every_number_build_without_a_wording_warning(tmp_path):
    """Plural names, singular names ending in -s, Latin plurals, acronyms, a `number` override."""
    out = tmp_path / "out"
    result = build_site(FIXTURES / "number", out)
    assert result.warnings == []
    text = {
        p.parent.name: " ".join(lxml.html.parse(str(p)).getroot().text_content().split())
        for p in pair_files(out)  # published and drafts
    }
    page = text["bad-habits-and-negativity-bias"]
    assert "What Are Bad Habits?" in page and "What Is the Negativity Bias?" in page
    assert "Bad habits have no sourced links yet. The negativity bias has no sourced links yet." in page
    assert "What Are the Basal Nuclei?" in text["basal-nuclei-and-confirmation-bias"]
    assert "What Are Aversive Stimuli?" in text["aversive-stimuli-and-diagnostic-criteria"]
    assert "What Are Diagnostic Criteria?" in text["aversive-stimuli-and-diagnostic-criteria"]
    assert "What Is the Lens of Hindsight?" in text["lens-of-hindsight-and-loneliness"]
    assert "Mixed emotions have no sourced links yet." in text["loneliness-and-mixed-emotions"]
