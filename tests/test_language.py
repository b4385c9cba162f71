"""Phrasing functions, one behaviour a test."""

import pytest

from pipeline.content.language import (
    Mentions,
    agree,
    capitalise,
    default_name_in_text,
    fix_articles,
    is_plural,
    make_name,
    pair_titles,
    possessive,
    shorten,
    split_sentences,
    variant,
)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Default Mode Network", "default mode network"),
        ("PTSD", "PTSD"),
        ("Post-Traumatic Stress Disorder", "post-traumatic stress disorder"),
        ("Attention-Deficit/Hyperactivity Disorder", "attention-deficit/hyperactivity disorder"),
        ("Déjà Vu", "déjà vu"),
        ("McGurk Effect", "McGurk effect"),
        ("CBT for Insomnia", "CBT for insomnia"),
    ],
)
def test_default_name_in_text_lowers_words_and_keeps_acronyms(name, expected):
    assert default_name_in_text(name) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("the default mode network", "The default mode network"),
        ("déjà vu", "Déjà vu"),
        ("PTSD", "PTSD"),
        ("iPhone use", "IPhone use"),
        ("“quoted” start", "“Quoted” start"),
    ],
)
def test_capitalise_touches_only_the_first_letter(text, expected):
    assert capitalise(text) == expected


@pytest.mark.parametrize(
    "wrong, right",
    [
        ("a OCD diagnosis", "an OCD diagnosis"),
        ("an PTSD symptom", "a PTSD symptom"),
        ("a emotion", "an emotion"),
        ("an user", "a user"),
        ("A hour", "An hour"),
    ],
)
def test_articles_follow_pronunciation(wrong, right):
    assert fix_articles(wrong) == right


def test_number_of_topic_names():
    assert is_plural("intrusive thoughts")
    assert not is_plural("mindfulness")
    assert not is_plural("Maslow's hierarchy of needs")
    assert not is_plural("ADHD")
    assert not is_plural("chronic stress")


def test_verbs_agree_with_plural_subjects_only():
    assert agree("When intrusive thoughts brings distress, sleep suffers", ["intrusive thoughts"]) == (
        "When intrusive thoughts bring distress, sleep suffers"
    )
    assert agree("Intrusive thoughts is a process", ["intrusive thoughts"]) == "Intrusive thoughts are a process"
    assert (
        agree("It shapes intrusive thoughts and sleep", ["intrusive thoughts"])
        == "It shapes intrusive thoughts and sleep"
    )


def test_possessives():
    assert possessive("PTSD") == "PTSD’s"
    assert possessive("intrusive thoughts") == "intrusive thoughts’"


def test_abbreviation_is_introduced_once_then_used():
    m = Mentions({"dmn": make_name("Default Mode Network", "the default mode network", "DMN")})
    assert [m("dmn", True), m("dmn"), m("dmn", True)] == ["The default mode network (DMN)", "the DMN", "The DMN"]


@pytest.mark.parametrize(
    "a, b",
    [
        (("Compassion Fatigue", "", ""), ("Default Mode Network", "the default mode network", "DMN")),
        (("Attention-Deficit/Hyperactivity Disorder", "", "ADHD"), ("Post-Traumatic Stress Disorder", "", "PTSD")),
        (("Maslow's Hierarchy of Needs", "Maslow's hierarchy of needs", ""), ("PTSD", "", "")),
    ],
)
def test_titles_fit_search_results_without_cutting(a, b):
    h1, title = pair_titles(make_name(*a), make_name(*b))
    assert len(title) <= 60
    assert "Ptsd" not in title and "'S" not in title
    assert title.endswith(("How They Connect", "The Link")) or " and " in title or " & " in title
    assert h1.endswith(": How They Connect")


def test_too_long_titles_fall_back_but_are_never_cut():
    a = make_name("Sensory Processing Sensitivity in Highly Sensitive Adults")
    b = make_name("Work/Life Conflict")
    _, title = pair_titles(a, b)
    assert "Sensory Processing Sensitivity in Highly Sensitive Adults" in title


def test_shorten_ends_at_a_sentence_or_word_never_mid_word():
    text = "The default mode network is a set of brain regions. It is active when the mind wanders inward."
    assert shorten(text, 60) == "The default mode network is a set of brain regions."
    cut = shorten("Alpha beta gamma delta epsilon zeta eta theta iota kappa lambda of the", 50)
    assert cut.endswith("…") and not cut[:-1].endswith((" of", " the", " ")) and len(cut) <= 51
    assert shorten("Short.", 50) == "Short."


def test_sentences_split_at_terminal_punctuation():
    assert split_sentences("One. Two? “Three.” Four") == ["One.", "Two?", "“Three.”", "Four"]


def test_variants_are_deterministic_and_spread():
    opts = ["a", "b", "c"]
    assert variant("page-1", opts) == variant("page-1", opts)
    assert {variant(f"page-{i}", opts) for i in range(30)} == set(opts)


def test_list_items_read_inside_sentences():
    from pipeline.content.language import phrase

    assert phrase("Emotional exhaustion.") == "emotional exhaustion"
    assert phrase("CBT skills;") == "CBT skills"
    assert phrase("Maslow's idea of needs") == "Maslow's idea of needs"


def test_an_abbreviation_already_in_the_name_is_not_introduced_twice():
    name = make_name("Fear of Missing Out (FOMO)", "", "FOMO")
    assert Mentions({"f": name})("f") == "fear of missing out (FOMO)"


def test_title_case_is_titlecase_word_by_word():
    import random

    from titlecase import titlecase

    from pipeline.content.language import title_case

    words = [
        "Post-Traumatic Stress Disorder", "PTSD", "the Default Mode Network", "a", "an", "of", "the", "vs.",
        "via", "and", "Self-Esteem", "stress/anxiety", "McDonald", "mrs", "Dr", "o'neil", "it’s", "e.g.",
        "U.S.", "iPhone", "Déjà Vu", "fight-or-flight", "http://x.y", "(ADHD)", "“quoted”", "—", "x:", "end.",
        "the:", "-the", "  double  space ", "\ttab", "rhythm", "nth", "MC Hammer", "A.B.", "", "İstanbul", "ß",
    ]  # fmt: skip
    rng = random.Random(7)
    for _ in range(3000):
        a, b = rng.choice(words), rng.choice(words)
        for text in (
            f"{a} and {b}: How They Connect",
            f"{a} & {b}",
            " ".join(rng.choice(words) for _ in range(rng.randint(1, 5))),
        ):
            assert title_case(text) == titlecase(text), text


def test_agreement_patterns_match_as_the_subject_rule_reads():
    import random
    import re

    from pipeline.content import language

    rng = random.Random(3)
    words = ["When", "how", "If", "while", "Because", ",", "and", "is", "has", "was", "does", "affects", ".", "("]
    for name in ("intrusive thoughts", "the basal ganglia", "CBT", "people (x)", "s"):
        rule = {
            f: re.compile(language._SUBJECT_BEFORE + re.escape(f) + r" ([a-z]+)\b") for f in (name, capitalise(name))
        }
        for _ in range(2000):
            text = rng.choice([" ", ""]).join(rng.choice([*words, name, capitalise(name)]) for _ in range(6))
            for form, pattern in language._agreement_patterns(name):
                found = [(m.span(), m.groups()) for m in pattern.finditer(text)]
                assert found == [(m.span(), m.groups()) for m in rule[form].finditer(text)], text
