"""Find the known wording faults in generated sentences, so the build can warn about them."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

from pipeline.content.language import split_sentences, with_article

_DOUBLED = re.compile(r"\b(\w+)\s+\1\b", re.IGNORECASE)
_STACKED = re.compile(r"\b(?:the|a|an)\s+(?:the|a|an)\b", re.IGNORECASE)
_ARTICLE = re.compile(r"\b(a|an)\s+([\w’'-]+)", re.IGNORECASE)
# Nouns that only fit some kinds: "symptoms of the amygdala" is a fault.
KIND_NOUNS = {
    "symptoms": {"condition"},
    "diagnosis": {"condition"},
    "disorder": {"condition"},
}
_NOUN_PROBES = tuple(noun + " " for noun in KIND_NOUNS)  # what _name_rules' patterns start with
_ALLOWED_DOUBLES = {"that", "had", "is"}
_BRACKETS = re.compile(r"[()“”\[\]]")
# _DOUBLED, _STACKED and _ARTICLE in one scan, as lookaheads at every word start so no match hides
# another (\w++ is possessive: a doubled word's first copy always ends at the space).
_SUSPECT_PATTERN = r"\b(?=(\w++)\s+\1\b|((?:the|an?)\s+(?:the|an?)\b)|(an?)\s+([\w’'-]+))"
_SUSPECT = re.compile(_SUSPECT_PATTERN, re.IGNORECASE)
# The same for text that is all ASCII (generated text usually is), a third faster: with re.ASCII,
# \w, \b and case-insensitive letters mean the same on ASCII text, and \s is spelled out as what
# Unicode's \s matches in ASCII (it includes the separators \x1c-\x1f).
_ASCII_SUSPECT = re.compile(_SUSPECT_PATTERN.replace(r"\s", r"[\s\x1c-\x1f]"), re.IGNORECASE | re.ASCII)
_PAIRS = (("(", ")"), ("“", "”"), ("[", "]"))


@dataclass(frozen=True)
class Fault:
    """One wording fault: which kind, and the sentence it is in."""

    kind: str
    sentence: str
    detail: str


@lru_cache(maxsize=8192)
def _name_rules(
    text: str, kind: str, bare: str
) -> tuple[tuple[tuple[str, str, re.Pattern], ...], tuple[str, re.Pattern] | None]:
    """The kind-noun and missing-article patterns for one topic name, compiled once."""
    nouns = tuple(
        (noun, noun + " ", re.compile(rf"\b{noun} (?:of|in) {re.escape(text.lower())}\b"))
        for noun, kinds in KIND_NOUNS.items()
        if kind not in kinds
    )
    article = (bare.lower(), re.compile(rf"(?<!the )\b{re.escape(bare.lower())}\b")) if bare != text else None
    return nouns, article


def check_sentence(sentence: str, names: dict[str, tuple[str, str]]) -> list[Fault]:
    """Faults in one sentence; `names` maps each topic's text name to (kind, name without article)."""
    faults = []
    for m in _DOUBLED.finditer(sentence):
        if m.group(1).lower() not in _ALLOWED_DOUBLES:
            faults.append(Fault("doubled word", sentence, m.group(0)))
    for m in _ARTICLE.finditer(sentence):
        want = with_article(m.group(2)).split(" ", 1)[0]
        if want.lower() != m.group(1).lower():
            faults.append(Fault("a/an", sentence, f"{m.group(0)!r} should be '{want} {m.group(2)}'"))
    low = sentence.lower()
    for text, (kind, bare) in names.items():
        nouns, article = _name_rules(text, kind, bare)
        for noun, probe, pattern in nouns:
            # The substring test is only a fast pre-check; the pattern decides.
            if probe in low and pattern.search(low):
                faults.append(Fault("kind mismatch", sentence, f"'{noun}' of {text} ({kind})"))
        if article is not None and article[0] in low and article[1].search(low):
            faults.append(Fault("missing article", sentence, f"'{bare}' without 'the'"))
    for m in _STACKED.finditer(sentence):
        faults.append(Fault("doubled article", sentence, m.group(0)))
    for open_, close in (("(", ")"), ("“", "”"), ("[", "]")):
        if sentence.count(open_) != sentence.count(close):
            faults.append(Fault("unbalanced", sentence, f"{open_}…{close}"))
    if sentence and sentence[0].isalpha() and sentence[0].islower():
        faults.append(Fault("lower-case start", sentence, sentence[:20]))
    return faults


def topic_names(*topics) -> dict[str, tuple[str, str]]:
    """Map each topic's text name to its kind and its name without a leading article."""
    out = {}
    for t in topics:
        text = t.name.text
        bare = text[4:] if text.lower().startswith("the ") else text
        out[text] = (t.kind, bare)
    return out


@lru_cache(maxsize=65536)
def _article_ok(article: str, word: str) -> bool:
    return with_article(word).split(" ", 1)[0].lower() == article.lower()


# Parts (paragraphs) whose own words passed the doubled-word, article, bracket and capital checks:
# many recur on page after page (a topic's own strategies), and a clean part is clean on any page.
_CLEAN_PARTS: set[str] = set()


def _surely_clean(parts: list[str], names: dict[str, tuple[str, str]]) -> bool:
    """True only when no sentence of `parts` can have a fault: the checks of check_sentence run
    once over the whole text (no pattern can match across a sentence end or a part's edge), and
    anything they find sends the page to the exact check, sentence by sentence."""
    # The checks that read a part's words alone, on the parts not already found clean elsewhere.
    new = [p for p in parts if p not in _CLEAN_PARTS]
    for p in new:
        first = p.strip()[:1]
        # Only a part's first sentence can start lower-case: split_sentences cuts before a capital.
        if first.isalpha() and first.islower():
            return False
        if _BRACKETS.search(p):
            for sentence in split_sentences(p):
                if any(sentence.count(o) != sentence.count(c) for o, c in _PAIRS):
                    return False
    text = "\0".join(new)
    for m in (_ASCII_SUSPECT if text.isascii() else _SUSPECT).finditer(text):
        doubled, stacked, article, word = m.groups()
        if doubled is not None:
            if doubled.lower() not in _ALLOWED_DOUBLES:
                return False
        elif stacked is not None or not _article_ok(article, word):
            return False
    if len(_CLEAN_PARTS) > 65536:
        _CLEAN_PARTS.clear()
    _CLEAN_PARTS.update(new)
    # The checks for the page's topic names, over all its text.
    low = "\0".join(parts).lower()
    # The kind nouns the text has at all, looked for once rather than once per name (usually none).
    present = [probe for probe in _NOUN_PROBES if probe in low]
    for text_name, (kind, bare) in names.items():
        nouns, article = _name_rules(text_name, kind, bare)
        for _noun, probe, pattern in nouns if present else ():
            if probe in present and pattern.search(low):
                return False
        if article is not None and article[0] in low and article[1].search(low):
            return False
    return True


def check_parts(parts: list[str], names: dict[str, tuple[str, str]]) -> list[Fault]:
    """Faults in every sentence of some paragraphs, in order: the same as check_sentence on each
    sentence split_sentences finds, with one fast pass over the whole text for the usual clean page."""
    if _surely_clean(parts, names):
        return []
    return [fault for p in parts for sentence in split_sentences(p) for fault in check_sentence(sentence, names)]


# Verbs whose form shows number, as templates use them after a topic's name.
_SINGULAR_VERBS = frozenset(
    "is has was does affects raises lowers worsens eases connects involves relies draws tends brings makes "
    "can't isn't doesn't".split()
)
_PLURAL_VERBS = frozenset(
    "are have were do affect raise lower worsen ease connect involve rely draw tend bring make aren't don't".split()
)
_CLAUSES = re.compile(r",? (?:and|while|but|whereas) |; |: ")
_PREDICATE = re.compile(r"\b(?:is|are|was|were|can|may|has|have|tends? to)\b .+$")
_WORD = re.compile(r"[\w’'-]+")


# What may stand before a topic name used as a subject: the sentence's start, a clause break or a
# subordinating word; and the verbs that ask about a name in a heading ('What Are X?').
_SUBJECT_AFTER = (", ", ": ", "; ", "when ", "if ", "while ", "because ", "how ", "that ")
_HEADING_VERBS = ("is ", "are ", "was ", "were ")
_NEXT_WORD = re.compile(r" ([\w’']+)")


def check_number(sentence: str, numbers: dict[str, bool]) -> list[Fault]:
    """Verbs that disagree with a topic name's number: 'the negativity bias are', 'What Are Confirmation Bias?'.
    `numbers` maps each form of a name (any case) to whether it is plural."""
    low = sentence.lower()
    present = tuple((name, plural) for name, plural in numbers.items() if name.lower() in low)
    return list(_number_faults(sentence, present)) if present else []


@lru_cache(maxsize=65536)
def _number_faults(sentence: str, numbers: tuple[tuple[str, bool], ...]) -> tuple[Fault, ...]:
    """check_number for the names a sentence contains (sentences and names recur from page to page)."""
    faults = []
    low = sentence.lower()
    for name, plural in numbers:
        n = name.lower()
        at = low.find(n)
        while at >= 0:
            end = at + len(n)
            if at and low[at - 1].isalnum() or end < len(low) and low[end].isalnum():
                at = low.find(n, at + 1)  # part of a longer word
                continue
            before = low[:at]
            verbs = []
            if not before.strip() or before.endswith(_SUBJECT_AFTER):
                m = _NEXT_WORD.match(low, end)
                verbs += [m.group(1)] if m else []
            if low.startswith("?", end) and before.endswith(_HEADING_VERBS):
                verbs.append(before.rsplit(" ", 2)[-2])
            for verb in verbs:
                if (verb in _PLURAL_VERBS) if not plural else (verb in _SINGULAR_VERBS):
                    want = "plural" if plural else "singular"
                    faults.append(Fault("number agreement", sentence, f"'{name}' is {want} but takes '{verb}'"))
            at = low.find(n, end)
    return tuple(faults)


def check_predicates(sentence: str) -> list[Fault]:
    """A sentence whose clauses end in the same predicate: 'Anger is a feeling, and awe is a feeling.'"""
    # A sentence of one clause cannot repeat itself (most cannot); sentences recur from page to page.
    return list(_predicate_faults(sentence)) if _CLAUSES.search(sentence) else []


@lru_cache(maxsize=65536)
def _predicate_faults(sentence: str) -> tuple[Fault, ...]:
    seen: set[str] = set()
    for clause in _CLAUSES.split(sentence.rstrip(".!?")):
        m = _PREDICATE.search(clause)
        if not m:
            continue
        predicate = " ".join(_WORD.findall(m.group(0).lower()))
        if predicate in seen and len(predicate.split()) >= 3:
            return (Fault("repeated predicate", sentence, predicate),)
        seen.add(predicate)
    return ()


def _masked_shingles(text: str, names: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    """_shingles of a text with the names it contains masked (cached by those names alone)."""
    low = text.lower()
    return _shingles(text, tuple(n for n in names if n.lower() in low))


@lru_cache(maxsize=65536)
def _shingles(text: str, names: tuple[str, ...], n: int = 3) -> frozenset[tuple[str, ...]]:
    low = text.lower()
    for name in names:
        low = low.replace(name.lower(), " ")
    words = _WORD.findall(low)
    return frozenset(tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1)))


def similar(first: str, second: str, names: tuple[str, ...] = (), threshold: float = 0.5) -> bool:
    """Whether two bullets say nearly the same words (3-word shingles, names masked)."""
    return _alike(_masked_shingles(first, names), _masked_shingles(second, names), threshold)


def shingles(text: str) -> frozenset[tuple[str, ...]]:
    """What similar() compares of a text (no names masked), to compare it with many others:
    similar(x, y) is alike(shingles(x), shingles(y))."""
    return _masked_shingles(text, ())


def alike(first: frozenset, second: frozenset, threshold: float = 0.5) -> bool:
    """similar() over two texts' shingles()."""
    return _alike(first, second, threshold)


def _alike(a: frozenset, b: frozenset, threshold: float) -> bool:
    if not (a and b):
        return False
    shared = len(a & b)
    # Nearly the same words, or one bullet said again inside a longer one.
    return shared / len(a | b) > threshold or shared / min(len(a), len(b)) >= 0.8


def check_list(items: list[str], names: tuple[str, ...] = (), threshold: float = 0.5) -> list[Fault]:
    """Bullets of one list that say the same thing in nearly the same words (see `similar`)."""
    faults = []
    sets = [_masked_shingles(t, names) for t in items]
    for i, j in itertools.combinations(range(len(items)), 2):
        if _alike(sets[i], sets[j], threshold):
            faults.append(Fault("near-identical bullets", items[j], f"repeats: {items[i][:60]}"))
    return faults


# Number and predicate faults of a paragraph, by the paragraph and the names it contains: a
# topic's own paragraphs recur on every page it is on.
_PART_FAULTS: dict[tuple[str, tuple[tuple[str, bool], ...]], tuple[Fault, ...]] = {}


def _sentence_faults(sentences, numbers: dict[str, bool]) -> list[Fault]:
    faults: list[Fault] = []
    for sentence in sentences:
        faults += check_number(sentence, numbers)
        faults += check_predicates(sentence)
    return faults


def _part_faults(part: str, numbers: tuple[tuple[str, bool], ...]) -> tuple[Fault, ...]:
    low = part.lower()
    key = (part, tuple(item for item in numbers if item[0].lower() in low))
    got = _PART_FAULTS.get(key)
    if got is None:
        if len(_PART_FAULTS) > 65536:
            _PART_FAULTS.clear()
        got = _PART_FAULTS[key] = tuple(_sentence_faults(split_sentences(part), dict(key[1])))
    return got


# The fast path of page_faults' number and repeated-predicate checks. Probes find every heading or
# paragraph ("unit") that can have such a fault, and a few more; the checks run only on those.
#
# A repeated predicate: a predicate verb, then a clause break, then the same verb again (a
# predicate's first word is its verb), in one sentence. In a paragraph the scan crosses no place
# where split_sentences cuts (language._SENTENCE_END's pattern); a heading is one sentence.
_VERB_FIRST = "|".join(
    f"{verb}(?<!\\w{verb})" if " " not in verb else "tend(?<!\\wtend)s? to"  # \b before, after the
    for verb in ("is", "are", "was", "were", "can", "may", "has", "have", "tends? to")  # first letter
)
_BREAK = r"(?: (?:and|while|but|whereas) |; |: )"
_NOT_A_CUT = r"(?:[^.!?…\0]|[.!?…](?![\"'”’)]?\s+[\"'“‘(]?[A-Z0-9À-ÖØ-Þ]))*?"
_VERB_COUNTS = ("is ", "are ", "was ", "were ", "can ", "may ", "has ", "have ", "tend")
_REPEAT_IN_PARAGRAPH = re.compile(rf"({_VERB_FIRST})\b {_NOT_A_CUT}{_BREAK}{_NOT_A_CUT}\b\1\b ")
_REPEAT_IN_HEADING = re.compile(rf"({_VERB_FIRST})\b [^\0]*?{_BREAK}[^\0]*?\b\1\b ")


@lru_cache(maxsize=65536)
def _may_repeat(unit: str, heading: bool) -> bool:
    """Whether a unit may have a repeated predicate (units recur from page to page)."""
    # The pattern is slow; most units have no verb twice (counted here with what follows it or, for
    # 'tends to', its stem), and then no repeated predicate.
    if max(map(unit.count, _VERB_COUNTS)) < 2:
        return False
    return (_REPEAT_IN_HEADING if heading else _REPEAT_IN_PARAGRAPH).search(unit) is not None


@lru_cache(maxsize=2)
def _number_rule(plural: bool) -> tuple[tuple[str, ...], frozenset[str], tuple[str, ...]]:
    """For a name of this number: the verbs of the other number, each after a space (what a name's
    next word may start with, to be one of them); those verbs; and the other number's heading verbs
    with their space (of the verbs, only 'is' and 'was' end in 'is '/'was ', only 'are' and 'were'
    in 'are '/'were ')."""
    wrong = _SINGULAR_VERBS if plural else _PLURAL_VERBS
    return tuple(" " + verb for verb in wrong), wrong, ("is ", "was ") if plural else ("are ", "were ")


_CLOSERS = tuple("\"'”’)")
_ENDS = tuple(".!?…")


def _may_start(low: str, at: int) -> bool:
    """Whether a name at `at` of a page's joined units may start its sentence or follow one of
    _SUBJECT_AFTER (a superset of what _number_faults asks of the text before a name)."""
    if at == 0 or low[at - 1] == "\0" or low.endswith(_SUBJECT_AFTER, 0, at):
        return True
    head = low[:at].rstrip()  # a sentence starts after a sentence end and spaces
    if len(head) == at:
        return False
    return head.endswith(_ENDS) or head.endswith(_CLOSERS) and head[:-1].endswith(_ENDS)


def _may_disagree(low: str, numbers: dict[str, bool], suspect: list[bool]) -> None:
    """Mark in `suspect` each unit of `low` (lower-case units joined by \0) where a name may
    disagree in number with its verb: wherever it is followed by a whole verb of the other number
    (and may start its sentence), or by '?' after the other number's heading verb."""
    for name, plural in numbers.items():
        n = name.lower()
        if not n:
            suspect[:] = [True] * len(suspect)
            return
        after, wrong, asks = _number_rule(plural)
        at = low.find(n)
        while at >= 0:
            end = at + len(n)
            if low.startswith(after, end):
                if _NEXT_WORD.match(low, end).group(1) in wrong and _may_start(low, at):
                    suspect[low.count("\0", 0, at)] = True
            elif low.startswith("?", end) and low.endswith(asks, 0, at):
                suspect[low.count("\0", 0, at)] = True
            at = low.find(n, at + 1)


def _suspects(headings: list[str], parts: list[str], numbers: dict[str, bool]) -> list[bool]:
    """For each heading, then each paragraph, whether it may have a number or repeated-predicate
    fault: False only when it surely has none. Leading spaces are dropped (a heading's name after
    spaces starts its sentence; split_sentences strips paragraphs)."""
    units = [u.lstrip() for u in (*headings, *parts)]
    text = "\0".join(units)
    if text.count("\0") != len(units) - 1:  # a \0 inside a unit would end it early
        return [True] * len(units)
    suspect = [_may_repeat(u, i < len(headings)) for i, u in enumerate(units)]
    # The text lower-cased at once is each sentence lower-cased: only a capital sigma's lower case
    # depends on its neighbours, and a space or a \0 (where sentences end) hides them from it.
    _may_disagree(text.lower(), numbers, suspect)
    return suspect


def page_faults(
    parts: list[str],
    headings: list[str],
    numbers: dict[str, bool],
    lists: list[list[str]],
    names: dict[str, tuple[str, str]],
) -> list[Fault]:
    """Every wording fault of one page's generated text: check_parts' faults of its paragraphs,
    then number agreement and repeated predicates, headings first and then sentence by sentence,
    then near-identical bullets in each list. `numbers` maps each form of the page's topic names
    (lower case) to whether it is plural. The same faults as running those checks one by one."""
    faults = check_parts(parts, names)
    suspect = _suspects(headings, parts, numbers)
    for heading, maybe in zip(headings, suspect):
        if maybe:
            faults += _sentence_faults([heading], numbers)
    forms = tuple(numbers.items())
    for part, maybe in zip(parts, suspect[len(headings) :]):
        if maybe:
            faults += _part_faults(part, forms)
    masked = tuple(numbers)
    for items in lists:
        if len(items) > 1:  # one bullet cannot repeat another
            faults += check_list(items, masked)
    return faults
