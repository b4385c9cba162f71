"""Phrasing: how topic names read in sentences and how text is shortened.

Pure functions of strings and topic records; the wording itself lives in
templates/wording/*.toml, which the content team edits.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from titlecase import SMALL_FIRST as _SMALL_FIRST
from titlecase import SMALL_LAST as _SMALL_LAST
from titlecase import SUBPHRASE as _SUBPHRASE
from titlecase import titlecase

from pipeline.content.inflect_fast import load_inflect


class _LazyInflect:
    """inflect takes over a second to import; load it on first use so unchanged rebuilds stay fast."""

    engine = None

    def __getattr__(self, name: str):
        if _LazyInflect.engine is None:
            _LazyInflect.engine = load_inflect()
        return getattr(_LazyInflect.engine, name)


_inflect = _LazyInflect()
_ACRONYM = re.compile(r"^[A-Z0-9][A-Z0-9/&.-]*[A-Z0-9]$|^[A-Z]$")
_SENTENCE_END = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"'”’)]))\s+(?=[\"'“‘(]?[A-Z0-9À-ÖØ-Þ])")
_DANGLING = {
    "a",
    "an",
    "the",
    "and",
    "or",
    "but",
    "of",
    "to",
    "in",
    "on",
    "for",
    "with",
    "as",
    "at",
    "by",
    "from",
    "that",
    "which",
    "who",
    "is",
    "are",
    "its",
    "their",
    "this",
    "these",
    "than",
    "into",
    "such",
}
# Grammatical number: inflect decides from a name's head noun, except for these words. Singular:
# names of one thing that end like a plural (inflect would make 'bias' the plural of 'bia'), and
# uncountable nouns in -s. Plural: words inflect might not know. Words ending in -ness, -ss, -us,
# -is (stress, nucleus, diagnosis, thesis) are singular too. topics.csv's `number` column overrides
# all of this for one topic.
SINGULAR_WORDS = frozenset(
    {
        "bias", "atlas", "canvas", "diagnosis", "thesis", "status", "nucleus", "stress", "news", "mathematics",
        "physics", "ethics", "dynamics", "economics", "politics", "genetics", "diabetes", "series", "species",
        "analysis", "hypnosis", "psychosis", "neurosis", "apparatus", "chaos", "ethos", "pathos", "corpus",
        "herpes", "measles", "mumps", "rabies", "lens", "gas", "bus", "plus", "iris", "pelvis", "focus",
    }
)  # fmt: skip
PLURAL_WORDS = frozenset(
    {"habits", "memories", "dreams", "hormones", "nuclei", "stimuli", "criteria", "phenomena", "data", "people"}
)
_SINGULAR_ENDINGS = ("ness", "ss", "us", "is", "ics")


def default_name_in_text(name: str) -> str:
    """Lower-case a display name for running text, keeping acronyms and proper-looking words."""
    words = re.split(r"(\s+)", name)
    out = []
    for w in words:
        parts = re.split(r"([-/])", w)
        out.append("".join(_lower_unless_kept(p) for p in parts))
    return "".join(out)


def _lower_unless_kept(word: str) -> str:
    core = word.strip("()[]\"'’,;:")
    if _ACRONYM.match(core) or (len(core) > 1 and any(c.isupper() for c in core[1:].split("'")[0])):
        return word
    return word.lower()


def capitalise(text: str) -> str:
    """Upper-case the first letter only, leaving acronyms and the rest alone."""
    if text:  # the usual cases, an ASCII letter first, without the loop
        first = text[0]
        if "a" <= first <= "z":
            return first.upper() + text[1:]
        if "A" <= first <= "Z":
            return text
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + ch.upper() + text[i + 1 :]
        if not (ch in "\"'“‘(¿¡" or ch.isspace()):
            return text
    return text


def head_noun(text: str) -> str:
    """The word that decides grammatical number: the last word before 'of', 'in', etc."""
    text = re.split(r"\s(?:of|in|for|about|with|between|to)\s", text, maxsplit=1)[0]
    words = re.findall(r"[\w'’-]+", text)
    return words[-1] if words else text


@lru_cache(maxsize=65536)
def is_plural(text: str) -> bool:
    """Whether a noun phrase takes a plural verb ('intrusive thoughts are', 'the negativity bias is')."""
    return word_is_plural(head_noun(text))


@lru_cache(maxsize=65536)
def word_is_plural(head: str) -> bool:
    """Whether one head noun is plural: the exceptions above, then inflect's singular_noun."""
    low = head.lower().rsplit("-", 1)[-1]  # 'people-pleasing' is about pleasing, 'mind-wandering' wandering
    if not head or _ACRONYM.match(head) or low in SINGULAR_WORDS or low.endswith(_SINGULAR_ENDINGS):
        return False
    if low in PLURAL_WORDS:
        return True
    singular = _inflect.singular_noun(low)
    return bool(singular) and singular != low


@lru_cache(maxsize=65536)
def with_article(phrase: str) -> str:
    """Put 'a' or 'an' before a phrase by how its first word sounds ('an OCD diagnosis')."""
    return _inflect.a(phrase)


# "\b([Aa]n?) ([\w’'-]+)" with the word boundary checked after the first letter: the same matches,
# but the pattern starts with a letter, so the regex engine skips quickly to each 'a' or 'A'.
_ARTICLE = re.compile(r"([Aa](?<!\w[Aa])n?) ([\w’'-]+)")


def fix_articles(sentence: str) -> str:
    """Make every 'a'/'an' in generated text match the sound of the next word."""

    return _ARTICLE.sub(_fixed_article, sentence)


_FIXED: dict[str, str] = {}


def _fixed_article(m: re.Match[str]) -> str:
    """The replacement of one 'a word' match, remembered by the matched text (it decides it)."""
    found = m.group(0)
    fixed = _FIXED.get(found)
    if fixed is None:
        article = with_article(m.group(2)).split(" ", 1)[0]
        if m.group(1)[0].isupper():
            article = article.capitalize()
        if len(_FIXED) > 65536:
            _FIXED.clear()
        fixed = _FIXED[found] = f"{article} {m.group(2)}"
    return fixed


_SUBJECT_BEFORE = r"(?:^|(?<=[Ww]hen )|(?<=[Hh]ow )|(?<=[Ii]f )|(?<=[Ww]hile )|(?<=[Bb]ecause )|(?<=, ))"


@lru_cache(maxsize=4096)
def _plural_verb(word: str) -> str:
    low = word.lower()
    if low in ("is", "has", "was", "does") or (low.endswith("s") and not low.endswith("ss")):
        plural = _inflect.plural_verb(low)
        if plural != low and low not in ("this", "its", "us", "as", "thus"):
            return plural
    return word


@lru_cache(maxsize=4096)
def _plural_of_verb(verb: str) -> str:
    """inflect's plural of a verb ('affects' → 'affect'), asked once per verb."""
    return _inflect.plural_verb(verb)


@lru_cache(maxsize=4096)
def _agreement_patterns(name: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((form, re.compile(_subject_pattern(form))) for form in {name, capitalise(name)})


def _subject_pattern(form: str) -> str:
    """_SUBJECT_BEFORE + form + ' ([a-z]+)\\b' with the name first and what must come before it
    checked behind it: the same matches, but the regex engine can jump from one name to the next."""
    f = re.escape(form)
    before = [rf"(?<![\s\S]{f})"]  # the name starts the sentence (^)
    before += [rf"(?<={w} {f})" for w in ("[Ww]hen", "[Hh]ow", "[Ii]f", "[Ww]hile", "[Bb]ecause", ",")]
    return rf"{f}(?:{'|'.join(before)}) ([a-z]+)\b"


def agree(sentence: str, plural_names: list[str]) -> str:
    """Make verbs agree with plural topic names used as subjects ('intrusive thoughts are')."""
    for name in plural_names:
        for form, pattern in _agreement_patterns(name):
            if form not in sentence:  # fast pre-check: the pattern needs the name itself
                continue
            sentence = pattern.sub(lambda m, form=form: f"{form} {_plural_verb(m.group(1))}", sentence)
    return sentence


def possessive(text: str, plural: bool | None = None) -> str:
    """'PTSD’s', 'the negativity bias’s', 'intrusive thoughts’' (`plural` overrides the name's own number)."""
    return text + ("’" if (is_plural(text) if plural is None else plural) else "’s")


def title_case(text: str) -> str:
    """Consistent title case that keeps acronyms and apostrophes right."""
    if "\n" in text or "\r" in text or text.upper() == text:
        return titlecase(text)
    # titlecase() on one line that is not all capitals, word by word as it does it, each word's
    # own casing remembered (a topic's words recur on every page it is on). titlecase cases each
    # word alone; then the line's first and last words and small words after a colon or dash.
    words = [_title_word(w) for w in _TITLE_SPLIT.split(text)]
    words[0] = _SMALL_FIRST.sub(lambda m: f"{m.group(1)}{m.group(2).capitalize()}", words[0])
    words[-1] = _SMALL_LAST.sub(lambda m: m.group(0).capitalize(), words[-1])
    return _SUBPHRASE.sub(lambda m: f"{m.group(1)}{m.group(2).capitalize()}", " ".join(words))


_TITLE_SPLIT = re.compile("[\t ]")


@lru_cache(maxsize=65536)
def _title_word(word: str) -> str:
    """How titlecase() cases one word inside a line that is not all capitals: the middle word of a
    three-word line whose other words it leaves alone and that no rule for the whole line touches."""
    return titlecase(f"Xx {word} Xx")[3:-3]


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences at terminal punctuation followed by a capital."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


@lru_cache(maxsize=4096)  # pair pages shorten the same description sentences to the same few lengths
def shorten(text: str, limit: int) -> str:
    """Shorten to at most `limit` characters, at a sentence end if possible, never mid-word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    out = ""
    for sentence in split_sentences(text):
        candidate = f"{out} {sentence}".strip()
        if len(candidate) > limit:
            break
        out = candidate
    if len(out) >= limit * 0.6:
        return out
    words = text[:limit].rsplit(" ", 1)[0].split()
    while words and (words[-1].lower().strip(",;:—–-") in _DANGLING or not words[-1].strip(",;:—–-")):
        words.pop()
    return " ".join(words).rstrip(",;:—–-") + "…"


def variant(key: str, options: list[str] | tuple[str, ...]) -> str:
    """Pick one option deterministically for a key, the same on every machine."""
    if not options:
        raise ValueError(f"no variants to choose from for {key!r}")
    if len(options) == 1:  # any digest picks it
        return options[0]
    # Keys of one page share their prefix ('x-and-y|...'): the prefix is hashed once and the hash
    # copied for each key (the same digest as hashing the whole key, at a third of the cost).
    prefix, bar, rest = key.partition("|")
    if not bar:
        digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    else:
        if _PREFIX[0] != prefix:
            _PREFIX[:] = [prefix, hashlib.blake2b(f"{prefix}|".encode(), digest_size=8)]
        h = _PREFIX[1].copy()
        h.update(rest.encode("utf-8"))
        digest = h.digest()
    return options[int.from_bytes(digest, "big") % len(options)]


_PREFIX: list = [None, None]  # the last key prefix variant() saw, and the hash of it and its '|'


def placeholders(template: str) -> set[str]:
    """The {fields} a sentence template uses."""
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


@dataclass(frozen=True)
class Name:
    """How one topic is named on a page: heading form, text form and abbreviation."""

    display: str
    text: str
    abbreviation: str = ""
    number: str = ""  # "singular" or "plural" from topics.csv; empty: read from the head noun

    @cached_property  # a frozen dataclass's cached_property writes the instance's __dict__ directly
    def heading(self) -> str:
        """The display name as it stands inside a heading: 'the Default Mode Network'."""
        if self.text.lower().startswith("the ") and not self.display.lower().startswith("the "):
            return f"the {self.display}"
        return self.display

    @property
    def plural(self) -> bool:
        return self.number == "plural" if self.number else is_plural(self.text)

    def verb(self, singular: str) -> str:
        """A verb in a heading, agreeing with this name: 'Is'/'Are', 'Affects'/'Affect'."""
        if not self.plural:
            return singular
        plural = _plural_of_verb(singular.lower())
        return plural.capitalize() if singular[0].isupper() else plural

    @property
    def short(self) -> str:
        if not self.abbreviation:
            return self.text
        article = "the " if self.text.lower().startswith("the ") else ""
        return article + self.abbreviation


def make_name(name: str, name_in_text: str = "", abbreviation: str = "", number: str = "") -> Name:
    """Build a topic's Name from its spreadsheet cells."""
    text = name_in_text or default_name_in_text(name)
    abbr = abbreviation if abbreviation and not re.search(rf"\b{re.escape(abbreviation)}\b", text) else ""
    return Name(name, text, abbr, number)


def phrase(text: str) -> str:
    """A list item from the spreadsheet as it stands inside a sentence: no end punctuation,
    a lower-case first word unless it is an acronym or a name ('Emotional exhaustion.' → 'emotional exhaustion')."""
    text = text.strip().rstrip(".;,:!").strip()
    first = text.split(" ", 1)[0]
    if len(first) > 1 and first[0].isupper() and first[1:].islower() and "'" not in first and "’" not in first:
        text = text[0].lower() + text[1:]
    return text


@dataclass
class Mentions:
    """Names topics in running text in page order: the abbreviation is introduced once."""

    names: dict[str, Name]
    seen: set[str] = field(default_factory=set)

    def __call__(self, key: str, capital: bool = False) -> str:
        name = self.names[key]
        if not name.abbreviation:
            text = name.text
        elif key in self.seen:
            text = name.short
        else:
            text = f"{name.text} ({name.abbreviation})"
        self.seen.add(key)
        return capitalise(text) if capital else text


def pair_titles(a: Name, b: Name, limit: int = 60) -> tuple[str, str]:
    """The page heading and a <title> that fits search results without cutting."""
    full = title_case(f"{a.display} and {b.display}: How They Connect")
    if len(full) <= limit:  # the first candidate below, and the usual case: no others made
        return full, full
    forms = [(a.display, b.display)]
    if b.abbreviation:
        forms.append((a.display, b.abbreviation))
    if a.abbreviation:
        forms.append((a.abbreviation, b.display))
    if a.abbreviation and b.abbreviation:
        forms.append((a.abbreviation, b.abbreviation))
    candidates = [f"{x} and {y}: How They Connect" for x, y in forms]
    candidates += [f"{x} and {y}: The Link" for x, y in forms]
    candidates += [f"{x} and {y}" for x, y in forms]
    candidates += [f"{x} & {y}" for x, y in forms]
    titles: list[str] = []
    for c in candidates:  # the first that fits, title-cased lazily (candidates[0] is `full`)
        t = title_case(c) if titles else full
        if len(t) <= limit:
            return full, t
        titles.append(t)
    return full, min(titles, key=len)
