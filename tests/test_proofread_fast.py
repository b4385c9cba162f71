"""page_faults takes fast paths (probes over a page's whole text, caches): it must report exactly the
faults, in the same order, that the checks report run one by one, sentence by sentence."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.content.language import split_sentences
from pipeline.content.proofread import (
    check_list,
    check_number,
    check_predicates,
    check_sentence,
    page_faults,
)


def one_by_one(parts, headings, numbers, lists, names):
    """What page_faults promises, the plain way: every check on every sentence, in page order."""
    sentences = [s for p in parts for s in split_sentences(p)]
    faults = [f for s in sentences for f in check_sentence(s, names)]
    for sentence in headings + sentences:
        faults += check_number(sentence, numbers) + check_predicates(sentence)
    for items in lists:
        faults += check_list(items, tuple(numbers))
    return faults


# Names of both numbers, with articles, capitals, brackets, a name that overlaps itself ("a-a"), one
# that ends like a verb begins and one that is part of a verb ("s i", "s"), non-ASCII and a sigma.
NAMES = [
    ("anger", False, "emotion"),
    ("intrusive thoughts", True, "condition"),
    ("the amygdala", False, "brain"),
    ("Confirmation Bias", False, "bias"),
    ("post-traumatic stress disorder (PTSD)", False, "condition"),
    ("a-a", False, "process"),
    ("s i", True, "process"),
    ("s", False, "trait"),
    ("worries", True, "behavior"),
    ("ΣΑΣ", True, "process"),
    ("élan", False, "trait"),
    ("is", False, "process"),
]
WORDS = (
    "is are was were has have does do affects affect raises raise can can't isn't doesn't don't tends tend to may "
    "and while but whereas when if because how that what the a an a the an hour apple unit symptoms of in "
    "diagnosis disorder feeling factor studied as it rest this these".split()
)
GLUE = [
    " ",
    " ",
    " ",
    ", ",
    ", and ",
    " and ",
    "; ",
    ": ",
    ". ",
    "? ",
    "! ",
    "… ",
    ".” ",
    "\n",
    "  ",
    "(",
    ")",
    "“",
    "”",
    "[",
    "?",
    ".",
    "’",
    "'",
    "-",
    "\0",
    "\t",
]


PREDICATES = [
    "is a feeling",
    "is a Feeling",
    "are a feeling",
    "tends to be a feeling",
    "is studied as a factor in anger",
]
VERBS = "is are was were has have does do affects affect can't don't".split()
BREAKS = (", and ", " while ", "; ", ": ", ". ", ", ")
# Two clauses, each ending in a predicate: a repeated predicate when both are the same.
CLAUSES = [f"{one}{glue}awe {other}" for one in PREDICATES for other in PREDICATES for glue in BREAKS]
NOISE = st.text(alphabet="aZé9_ Σ’'.?!,;:\0\x1c", max_size=4)


def variants(name: str) -> list[str]:
    return sorted({name, name.lower(), name.capitalize(), name.title(), name.upper()})


@st.composite
def pages(draw):
    """A page's paragraphs, headings, lists and topic names, made of words, the page's names in any
    case, a name and a verb, a heading's question, and clauses that may repeat a predicate."""
    chosen = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True))
    names = {}
    numbers = {}
    for name, plural, kind in chosen:
        bare = name[4:] if name.lower().startswith("the ") else name
        names[name] = (kind, bare)
        for form in (name, bare):
            numbers.setdefault(form.lower(), plural)
    forms = [v for name, _, _ in chosen for v in variants(name)]
    phrases = [f"{form} {verb}" for form in forms for verb in VERBS]
    phrases += [f"{verb} {form}?" for form in forms for verb in ("is", "are", "Is", "Are", "was", "were")]
    phrases += [f"{form} {clause}" for form in forms for clause in CLAUSES[::7]]
    tokens = WORDS + forms * 3 + phrases + [p.capitalize() for p in phrases]
    piece = st.tuples(st.sampled_from(tokens) | NOISE, st.sampled_from(GLUE))
    unit = st.lists(piece, max_size=8).map(lambda pieces: "".join(a + b for a, b in pieces))
    parts = draw(st.lists(unit, max_size=6))
    headings = draw(st.lists(unit, max_size=4))
    lists = [draw(st.lists(st.sampled_from(parts), max_size=3)) for _ in range(2)] if parts else []
    return parts, headings, numbers, lists, names


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages())
def test_page_faults_are_the_checks_one_by_one(page):
    assert page_faults(*page) == one_by_one(*page)


def test_the_fuzzed_pages_reach_every_fault_the_fast_paths_skip():
    """The property above means something only if such pages do have number and predicate faults."""
    numbers = {"anger": False, "intrusive thoughts": True}
    names = {"anger": ("emotion", "anger"), "intrusive thoughts": ("condition", "intrusive thoughts")}
    parts = [
        "This page is about anger. Anger are common; intrusive thoughts is too.",
        "Anger is a feeling, and awe is a feeling.",
        "When anger have a hold, rest.",
    ]
    headings = ["What Are Anger?", "What Is Intrusive Thoughts?", "How Anger Affects Intrusive Thoughts"]
    faults = page_faults(parts, headings, numbers, [], names)
    assert faults == one_by_one(parts, headings, numbers, [], names)
    details = [f.detail for f in faults]
    assert details == [
        "'anger' is singular but takes 'are'",
        "'intrusive thoughts' is plural but takes 'is'",
        "'anger' is singular but takes 'are'",
        "'intrusive thoughts' is plural but takes 'is'",
        "is a feeling",
        "'anger' is singular but takes 'have'",
    ]


ANGER = {"anger": False, "intrusive thoughts": True}
ANGER_NAMES = {"anger": ("emotion", "anger"), "intrusive thoughts": ("condition", "intrusive thoughts")}
# (paragraphs, headings): each has a number or predicate fault in a place a fast path has to find.
EDGES = [
    (["Rest now. Anger are common."], []),  # a sentence starts after a sentence end
    (["Rest now.  Anger are common."], []),  # ... and two spaces
    (["He said “rest.” Anger are common."], []),  # ... and a closing quote
    (["Rest.", "Anger are common."], []),  # a paragraph's start
    (["  Anger are common."], ["   Anger Are Common"]),  # spaces before the name
    (["Rest, anger are common."], ["When Anger Have Time"]),  # after a comma or a subordinating word
    ([], ["What Were Anger?", "Was Intrusive Thoughts?"]),  # a heading asks with the other number
    ([], ["Anger is calm. Now, and awe is calm. Now"]),  # a heading is one sentence, full stops and all
    (["Anger tends to be a feeling, and awe tends to be a feeling."], []),  # a two-word verb
    (["Anger is a feeling; awe is a feeling."], ["Anger Is: Awe Is Too, And Worry Is: Awe Is Too"]),
    (["Fear of anger is real. ΣΑΣ is here; intrusive thoughts is a feeling."], ["Anger Are ΣΑΣ"]),  # sigmas
]


def test_the_fast_paths_find_the_faults_in_every_place_the_checks_do():
    for parts, headings in EDGES:
        faults = page_faults(parts, headings, ANGER, [], ANGER_NAMES)
        assert faults == one_by_one(parts, headings, ANGER, [], ANGER_NAMES), (parts, headings)
        assert {f.kind for f in faults} & {"number agreement", "repeated predicate"}, (parts, headings)
