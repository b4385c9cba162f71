"""The page context's fast paths give what the plain code gives, on fuzzed input (hypothesis).

Each fast function here replaced a plain one for speed only; the plain one is kept (here or beside
it) so that a change to either shows up as a difference, not as a changed page."""

from __future__ import annotations

import pandas as pd
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.content.fill import Fields, MentionNames, fill, fill_plain
from pipeline.content.language import Mentions, capitalise, make_name
from pipeline.content.topic import Topic
from pipeline.content.wording import read_wording
from pipeline.data.pairs import neighbours, related_partners, related_partners_plain

WORDING = read_wording(ROOT / "templates" / "wording")
SLUGS = [f"t{i}" for i in range(12)]
KINDS = sorted(WORDING.kinds)


def capitalise_plain(text: str) -> str:
    """capitalise() as first written: the loop alone."""
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + ch.upper() + text[i + 1 :]
        if not (ch in "\"'“‘(¿¡" or ch.isspace()):
            return text
    return text


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="aAzZ é É1 (“'\"\tßǅİ.-", max_size=12))
def test_capitalise_is_the_plain_loop(text):
    assert capitalise(text) == capitalise_plain(text)


@st.composite
def pair_data(draw):
    """A topic table and an editors' pairs table over SLUGS, with categories, statuses and texts."""
    slugs = draw(st.lists(st.sampled_from(SLUGS), min_size=2, max_size=len(SLUGS), unique=True))
    categories = draw(st.lists(st.sampled_from(["", "x", "y"]), min_size=len(slugs), max_size=len(slugs)))
    topics = pd.DataFrame({"slug": slugs, "category": categories})
    pairs = draw(
        st.lists(st.tuples(st.sampled_from(slugs), st.sampled_from(slugs)), max_size=12, unique=True).map(
            lambda ps: sorted({tuple(sorted(p)) for p in ps if p[0] != p[1]})
        )
    )
    statuses = draw(
        st.lists(
            st.sampled_from(["", "approved", "review", "noindex", "rejected"]), min_size=len(pairs), max_size=len(pairs)
        )
    )
    texts = draw(st.lists(st.sampled_from(["", "Linked."]), min_size=len(pairs), max_size=len(pairs)))
    editorial = pd.DataFrame(
        {
            "a": [a for a, _ in pairs],
            "b": [b for _, b in pairs],
            "status": statuses,
            "relationship": texts,
        },
        dtype=object,
    )
    default = draw(st.sampled_from(["review", "noindex", "approved"]))
    return topics, editorial, default


@settings(max_examples=300, deadline=None)
@given(pair_data(), st.integers(min_value=0, max_value=6))
def test_related_partners_is_the_plain_ranking(data, count):
    topics, editorial, default = data
    nb = neighbours(topics, editorial, default)
    slugs = sorted(topics["slug"])
    for i, x in enumerate(slugs):
        for y in slugs[i + 1 :]:
            page = f"{x}-and-{y}"
            for topic, other in ((x, y), (y, x)):
                for published_only in (False, True):
                    fast = related_partners(nb, topic, other, page, count, published_only)
                    assert fast == related_partners_plain(nb, topic, other, page, count, published_only)


def _topic(slug: str, name: str, kind: str, abbreviation: str, number: str) -> Topic:
    return Topic(slug, make_name(name, "", abbreviation, number), kind, "", "", (), (), (), "2026-01-01")


NAMES = ["Anxiety", "Intrusive Thoughts", "Default Mode Network", "Owls", "Habits", "Urge", "Eye Movements"]
topic_st = st.builds(
    _topic,
    st.sampled_from(["p", "q", "r"]),
    st.sampled_from(NAMES),
    st.sampled_from(KINDS),
    st.sampled_from(["", "ABC", "XY"]),
    st.sampled_from(["", "singular", "plural"]),
)
PIECES = [
    "{a}", "{A}", "{b}", "{B}", "{a_aspect}", "{B_presence}", "{b_help}", "{a_label}", "{items}", " a ", " an ",
    "A ", "An ", " is ", " has ", " affects ", " and ", ", ", ".", "  ", " owl", " hour", " unit", "when ", "{{x}}",
]  # fmt: skip
template_st = st.lists(st.sampled_from(PIECES), max_size=8).map("".join)


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(topic_st, min_size=2, max_size=2, unique_by=lambda t: t.slug),
    st.lists(st.tuples(template_st, st.booleans(), st.sampled_from(["", "owls", "an urge and habits"])), max_size=6),
)
def test_fill_is_the_plain_fill(topics, sentences):
    """Sentences filled in page order (abbreviations introduced once), as fill() and as fill_plain()."""
    a, b = topics
    by_slug = {t.slug: t for t in topics}
    out = []
    for filler in (fill, fill_plain):
        mentions = Mentions(MentionNames(by_slug))
        said = []
        for template, both, items in sentences:
            roles = {"a": a, "b": b} if both else {"a": b}
            if not both:
                template = template.replace("{b", "{a").replace("{B", "{A")
            said.append(filler(template, Fields(mentions, roles, WORDING, {"items": items})))
        out.append(said)
    assert out[0] == out[1]


SENTENCES = [
    "Both are defined in full.",
    "It is not medical advice.",
    "Anxiety is a feeling of unease, such as worry or fear, that can be mild or severe.",
    "How anxiety and owls connect: what each is and how they relate.",
    " Spaced out. ",
    "x",
    "",
    "A much longer sentence that goes on and on about what the page holds and why it matters to readers.",
]


@settings(max_examples=3000, deadline=None)
@given(
    st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=3),
    st.lists(st.sampled_from(SENTENCES), max_size=12),
    st.integers(min_value=0, max_value=120),
    st.integers(min_value=0, max_value=60),
)
def test_meta_description_is_the_plain_search(leads, extra, lo, span):
    from pipeline.content.describe import meta_description, meta_description_plain

    assert meta_description(leads, extra, lo, lo + span) == meta_description_plain(leads, extra, lo, lo + span)


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(st.sampled_from(["take", "a", "short", "walk", "daily", "Walk", "to", "sleep", "well", ","]), max_size=8),
    st.lists(st.sampled_from(["take", "a", "short", "walk", "daily", "Walk", "to", "sleep", "well", ","]), max_size=8),
)
def test_steps_compared_by_their_shingles_as_similar_compares_them(first, second):
    from pipeline.content.proofread import alike, shingles, similar

    x, y = " ".join(first), " ".join(second)
    assert alike(shingles(x), shingles(y)) == similar(x, y)
