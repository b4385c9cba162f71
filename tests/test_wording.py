"""The wording check: every pair of kinds reads correctly, and awkward topics build without faults."""

from __future__ import annotations

import itertools
import re
import shutil

import lxml.html
import pandas as pd
import pytest
from conftest import ROOT, page_file, preview_of

from pipeline.config import Config
from pipeline.content.context import Topic, pair_context
from pipeline.content.language import make_name, split_sentences
from pipeline.content.proofread import check_sentence, topic_names
from pipeline.content.wording import read_wording
from pipeline.data.pairs import neighbours
from pipeline.data.validate import KINDS
from pipeline.problems import ContractError
from pipeline.site.pairpage import _generated_sentences

WORDING = read_wording(ROOT / "templates" / "wording")
CFG = Config()

# Two topics per kind: one named with an article or acronym, one plain or plural.
SAMPLES = {
    "condition": [("Post-Traumatic Stress Disorder", "", "PTSD"), ("Insomnia", "", "")],
    "emotion": [("Awe", "", ""), ("Shame", "", "")],
    "brain": [("Amygdala", "the amygdala", ""), ("Cortisol", "", "")],
    "process": [("Intrusive Thoughts", "", ""), ("Emotion Regulation", "", "")],
    "behavior": [("Doomscrolling", "", ""), ("People-Pleasing", "", "")],
    "practice": [("Cognitive Behavioral Therapy", "", "CBT"), ("Journaling", "", "")],
    "trait": [("Perfectionism", "", ""), ("Resilience", "", "")],
    "phenomenon": [("Impostor Phenomenon", "the impostor phenomenon", ""), ("Déjà Vu", "déjà vu", "")],
}
HEDGE_BREAKERS = re.compile(
    r"\b(research shows|studies show|proven|is caused by|causes|always|frequently co-occur)\b", re.IGNORECASE
)


def _topic(kind: str, i: int, effects: bool) -> Topic:
    name, text, abbr = SAMPLES[kind][i]
    slug = re.sub(r"[^a-z]+", "-", name.lower()).strip("-")
    return Topic(
        slug,
        make_name(name, text, abbr),
        kind,
        f"{name} is a test topic.",
        "Tests",
        ("low mood", "restless nights") if effects else (),
        ("take a short walk",) if effects else (),
        (),
        "2026-01-01",
    )


def _context(a: Topic, b: Topic) -> dict:
    a, b = sorted((a, b), key=lambda t: t.slug)
    topics = {a.slug: a, b.slug: b}
    df = pd.DataFrame({"slug": [a.slug, b.slug], "category": ["Tests", "Tests"]})
    nb = neighbours(df, pd.DataFrame(columns=["a", "b", "status", "relationship"]))
    row = {
        "a": a.slug,
        "b": b.slug,
        "status": "review",
        "relationship": "",
        "sources": (),
        "reviewed_by": "",
        "reviewed_on": "",
        "editorial": False,
    }
    return pair_context(row, topics, nb, WORDING, CFG)


CASES = [
    (ka, kb, i, effects) for ka, kb in itertools.product(KINDS, KINDS) for i in (0, 1) for effects in (True, False)
]


@pytest.mark.parametrize("kind_a, kind_b, variant_index, effects", CASES)
def test_every_pair_of_kinds_reads_correctly(kind_a, kind_b, variant_index, effects):
    a = _topic(kind_a, variant_index, effects)
    b = _topic(kind_b, 1 - variant_index, not effects)
    if a.slug == b.slug:
        b = _topic(kind_b, variant_index, not effects)
    if a.slug == b.slug:
        pytest.skip("same topic")
    ctx = _context(a, b)
    names = topic_names(a, b)
    sentences = _generated_sentences(ctx)
    # No links, and one of the two topics lists a step: that step alone, and nothing generic.
    own = a if effects else b
    assert [s["text"] for s in ctx["strategies"]] == ["Take a short walk."], ctx["strategies"]
    assert ctx["strategies_lead"] in (f"Steps {_steps_for(own, n)}:" for n in (own.name.text, own.name.short))
    # Nothing links the two sample topics: one honest sentence, no effects, and the page is low-value.
    assert ctx["low_value"] and ctx["effects"] == [] and len(ctx["link"]) == 2
    assert "affect" not in ctx["intro"] and "influence" not in ctx["intro"], ctx["intro"]
    assert "No source we know of" in ctx["intro"] and "steps" in ctx["intro"], ctx["intro"]
    assert "affect" not in ctx["description"] and "connect:" not in ctx["description"], ctx["description"]
    for t in (a, b):  # no sentence takes a topic for a kind it is not
        for wrong in _WRONG_FOR_KIND.get(t.kind, ()):
            assert not re.search(wrong.format(x=re.escape(t.name.text)), " ".join(sentences), re.I), (wrong, sentences)
    assert not re.search(r"part of (your|their) life|dealing with", " ".join(sentences), re.I), sentences
    assert ctx["link"][1].endswith(("has no sourced links yet.", "have no sourced links yet.")), ctx["link"]
    for sentence in sentences:
        assert check_sentence(sentence, names) == [], sentence
        assert not HEDGE_BREAKERS.search(sentence), sentence
        assert "{" not in sentence and "}" not in sentence, sentence
    for t in (a, b):
        if t.kind != "condition":
            assert not re.search(rf"symptoms of {re.escape(t.name.text)}\b", " ".join(sentences)), t.name.text
    for p in ctx["link"]:
        assert p.rstrip().endswith((".", "?", "!")), p
    headings = [ctx["a"]["heading"], ctx["b"]["heading"], ctx["effects_heading"], ctx["link_heading"]]
    assert "What Is the Amygdala?" in headings or "Amygdala" not in " ".join(headings) or a.name.text != "the amygdala"
    assert "What Is Intrusive Thoughts?" not in headings


# Phrases that presume a kind: {x} is the topic's name in running text.
_WRONG_FOR_KIND = {kind: [r"\bfor {x}:", r"steps for {x}\b"] for kind in ("brain",)} | {
    kind: [r"symptoms of {x}\b"] for kind in KINDS if kind != "condition"
}


def _steps_for(t: Topic, name: str) -> str:
    """How a topic's own steps are introduced (kinds.toml `steps`): 'for PTSD', 'with cortisol in mind'."""
    return WORDING.kinds[t.kind]["steps"].format(x=name)


def test_pages_of_one_kind_pair_do_not_repeat_each_other_word_for_word():
    pages = []
    for i in range(2):
        a, b = _topic("condition", i, True), _topic("practice", i, True)
        ctx = _context(a, b)
        pages.append([ctx["intro"], *ctx["link"], ctx["effects_lead"], ctx["strategies_lead"]])
    assert pages[0] != pages[1]


def test_the_build_warns_about_known_faults_with_page_and_sentence():
    names = topic_names(_topic("brain", 0, False), _topic("condition", 0, False))
    faults = check_sentence("The symptoms of the amygdala can make a OCD diagnosis more more likely.", names)
    kinds = {f.kind for f in faults}
    assert {"kind mismatch", "a/an", "doubled word"} <= kinds
    assert check_sentence("Notice how amygdala reacts.", names)[0].kind == "missing article"


def test_awkward_topics_build_without_a_single_known_fault(awkward_site):
    out, result = awkward_site
    assert result.warnings == []
    page = lxml.html.parse(str(page_file(out, "intrusive-thoughts-and-post-traumatic-stress-disorder/"))).getroot()
    text = page.text_content()
    assert "What Are Intrusive Thoughts?" in text
    assert "Intrusive thoughts are a recognised symptom of PTSD" in text
    assert "What Are Intrusive Thoughts?" in text and "What Is Intrusive Thoughts?" not in text
    both = lxml.html.parse(str(page_file(out, "obsessive-compulsive-disorder-and-post-traumatic-stress-disorder/")))
    assert "Intrusive thoughts are a recognised feature of both" in both.getroot().text_content()
    assert "Intrusive thoughts is" not in text and "Ptsd" not in text
    assert "post-traumatic stress disorder (PTSD)" in text


def test_awkward_names_render_right(awkward_site):
    out, _ = awkward_site
    html = page_file(out, "default-mode-network-and-deja-vu/").read_text()
    assert "What Is the Default Mode Network?" in html
    assert "Déjà Vu" in html
    maslow = next(preview_of(out).glob("maslow*-and-neuroticism")) / "index.html"
    assert "Maslow&#39;s Hierarchy of Needs" in maslow.read_text() and "Maslow&#39;S" not in maslow.read_text()
    for path in [*out.glob("*/index.html"), *preview_of(out).glob("*/index.html")]:
        doc = lxml.html.parse(str(path)).getroot()
        for p in doc.iter("p"):
            for sentence in split_sentences(p.text_content()):
                assert not sentence.endswith((" the", " of", " and", " a")), (path, sentence)


def test_topic_sets_nobody_typed_in_build_without_known_faults(tmp_path):
    from conftest import build_site

    from bench.synthetic import main as synthetic

    data = tmp_path / "data"
    synthetic(["24", "--out", str(data), "--seed", "7"])
    result = build_site(data, tmp_path / "site")
    assert result.warnings == []


def test_the_page_check_finds_exactly_what_the_sentence_check_finds():
    from pipeline.content.proofread import check_parts

    names = topic_names(_topic("brain", 0, False), _topic("condition", 0, False), _topic("process", 0, False))
    parts = [
        "The symptoms of the amygdala can make a OCD diagnosis more more likely.",
        "Notice how amygdala reacts. Then rest.",
        "a calm start. It is is fine, and that that is allowed.",
        "The the end. An an apple (unclosed. “Quoted” text [ok].",
        "Clean sentence about post-traumatic stress disorder (PTSD). Another: an hour, a unit.",
        "Words like the a and an the sit here. Intrusive thoughts are hard. A Amygdala.",
        "",
        "   ",
        "Symptoms in intrusive thoughts rise.\nNew line here with with repeats.",
    ]
    expected = [f for p in parts for s in split_sentences(p) for f in check_sentence(s, names)]
    assert check_parts(parts, names) == expected and expected
    for p in parts:
        assert check_parts([p], names) == [f for s in split_sentences(p) for f in check_sentence(s, names)], p
    assert check_parts(["A clean page. It reads well.", "An hour (or two) [here]."], names) == []


def test_a_relation_without_a_fallback_sentence_is_a_clear_error(tmp_path):
    folder = tmp_path / "wording"
    shutil.copytree(ROOT / "templates" / "wording", folder)
    links = folder / "links.toml"
    links.write_text(
        links.read_text(encoding="utf-8").replace('"*>*" = "{S} involves {o}"\n', ""),
        encoding="utf-8",
    )
    with pytest.raises(ContractError) as caught:
        read_wording(folder)
    message = str(caught.value)
    assert f"{folder}/links.toml: key 'relation.involves': needs a \"*>*\" sentence" in message, message


def _linked_context(a: Topic, b: Topic, *links: tuple[str, str, str, str]):
    """The draft of a and b with links (subject, relation, object, source URL) between them."""
    from pipeline.content.connections import make_graph

    a, b = sorted((a, b), key=lambda t: t.slug)
    topics = {a.slug: a, b.slug: b}
    df = pd.DataFrame({"slug": [a.slug, b.slug], "category": ["Tests", "Tests"]})
    nb = neighbours(df, pd.DataFrame(columns=["a", "b", "status", "relationship"]))
    edges = pd.DataFrame(
        [
            {"subject": s, "relation": r, "object": o, "sources": (u,), "note": "", "checked": True, "line": i}
            for i, (s, r, o, u) in enumerate(links, 2)
        ]
    )
    row = {"a": a.slug, "b": b.slug, "status": "review", "relationship": "", "sources": (), "reviewed_by": ""}
    return pair_context(dict(row, reviewed_on="", editorial=False), topics, nb, WORDING, CFG, make_graph(edges))


def test_strategies_hold_only_steps_specific_to_the_two_topics():
    insomnia, cbt = _topic("condition", 1, True), _topic("practice", 0, True)
    cbt = Topic(**{**cbt.__dict__, "strategies": ("practice the skills between sessions",)})
    ctx = _linked_context(
        insomnia,
        cbt,
        ("insomnia", "is-treated-by", "cognitive-behavioral-therapy", "https://example.org/cbt-i"),
        ("cognitive-behavioral-therapy", "eases", "insomnia", "https://example.org/trial"),
    )
    texts = [s["text"] for s in ctx["strategies"]]
    # Two links that come to the same step give it once, citing both; then each topic's own step.
    assert texts == [
        "Ask a doctor or therapist whether CBT could be part of care for insomnia.",
        "For CBT: practice the skills between sessions.",
        "For insomnia: take a short walk.",
    ], texts
    assert sorted(c["url"] for c in ctx["strategies"][0]["cites"]) == [
        "https://example.org/cbt-i",
        "https://example.org/trial",
    ]
    assert ctx["strategies_lead"] == "Steps that follow from the links above, then each topic's own:" or ctx[
        "strategies_lead"
    ].startswith("First what the sourced links above suggest")
    for padding in ("Track patterns", "Be patient", "Change one thing at a time", "Look after the basics"):
        assert padding not in " ".join(texts)
    assert "sources say links them" in ctx["intro"] or "sourced links between them" in ctx["intro"], ctx["intro"]


def test_a_pair_with_nothing_specific_to_advise_has_no_strategies_and_promises_none():
    a, b = _topic("emotion", 0, False), _topic("trait", 1, False)
    ctx = _context(a, b)
    assert ctx["strategies"] == [] and ctx["strategies_lead"] == ""
    assert "steps" not in ctx["intro"], ctx["intro"]
    from pipeline.site.render import environment, finish, render, site_context

    site = site_context(CFG)
    html = render(environment(ROOT / "templates"), finish(ctx, site, indexable=False), site)
    assert "What Is Awe?" in html
    assert "Practical Strategies" not in html
