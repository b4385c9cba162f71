"""Check the tables against the data contract and turn them into DataFrames.

Every check collects problems instead of stopping, so one run reports them all.
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from urllib.parse import urlsplit

import pandas as pd
from slugify import slugify

from pipeline.config import STATUSES
from pipeline.data.load import Table
from pipeline.data.review_hash import is_input_hash
from pipeline.problems import Problem

KINDS = ("condition", "emotion", "brain", "process", "behavior", "practice", "trait", "phenomenon")
NUMBERS = ("singular", "plural")  # topics.csv `number`: overrides the grammatical number read from the name
TOPIC_REQUIRED = ("name", "kind", "description")
PAIR_REQUIRED = ("topic_a", "topic_b")
REQUIRED = {"topics": TOPIC_REQUIRED, "pairs": PAIR_REQUIRED}
KNOWN_COLUMNS = {
    "topics": (
        "name",
        "kind",
        "description",
        "slug",
        "name_in_text",
        "abbreviation",
        "category",
        "effects",
        "strategies",
        "sources",
        "updated_on",
        "old_slugs",
        "number",
    ),
    "pairs": (
        "topic_a",
        "topic_b",
        "status",
        "relationship",
        "sources",
        "reviewed_by",
        "reviewed_on",
        "notes",
        "input_hash",
        "title",
        "description",
    ),
}
# The validated topics DataFrame: the contract's columns, slug first, plus each row's line.
TOPIC_COLUMNS = ("slug", *(c for c in KNOWN_COLUMNS["topics"] if c != "slug"), "line")
PAIR_COLUMNS = (
    "a",
    "b",
    "status",
    "relationship",
    "sources",
    "reviewed_by",
    "reviewed_on",
    "line",
    "input_hash",
    "title",
    "description",
)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG = 80
SLUG_RULE = "lower-case letters, digits and single hyphens"
# Words editors use for a kind or a status, and the value the contract spells it with.
KIND_WORDS = {
    "feeling": "emotion",
    "feelings": "emotion",
    "mood": "emotion",
    "disorder": "condition",
    "illness": "condition",
    "symptom": "condition",
    "state": "condition",
    "habit": "behavior",
    "behaviour": "behavior",
    "therapy": "practice",
    "technique": "practice",
    "exercise": "practice",
    "personality": "trait",
    "effect": "phenomenon",
    "bias": "phenomenon",
    "concept": "phenomenon",
    "region": "brain",
    "network": "brain",
    "neurotransmitter": "brain",
    "hormone": "brain",
    "chemical": "brain",
    "brain-region": "brain",
    "function": "process",
}
STATUS_WORDS = {
    "draft": "review",
    "pending": "review",
    "todo": "review",
    "published": "approved",
    "live": "approved",
    "ok": "approved",
    "yes": "approved",
    "done": "approved",
    "hidden": "noindex",
    "private": "noindex",
    "no": "rejected",
    "skip": "rejected",
    "delete": "rejected",
    "removed": "rejected",
}


def show(value: str, limit: int = 60) -> str:
    """A cell's value as a message quotes it: on one line, escaped, cut short if long."""
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")


def make_slug(text: str) -> str:
    """The one slug function: lower-case ASCII words joined by hyphens."""
    return slugify(text, max_length=MAX_SLUG, word_boundary=True)


def header_notes(table: Table | None, known: tuple[str, ...]) -> list[str]:
    """Extra columns are allowed, but one that looks like a misspelt known column is worth a note."""
    if table is None:
        return []
    notes = []
    for col in table.header:
        if col and col not in known:
            close = difflib.get_close_matches(col, known, n=1, cutoff=0.75)
            if close and close[0] not in table.header:
                notes.append(
                    f"{table.file}:1: column '{col}' is not a column of the data contract and is ignored; "
                    f"did you mean '{close[0]}'?"
                )
    return notes


def _suggest(value: str, choices: tuple[str, ...] | list[str], words: dict[str, str] | None = None) -> str:
    if words and value.lower() in words:
        return f"; did you mean '{words[value.lower()]}'?"
    close = difflib.get_close_matches(value.lower(), list(choices), n=1, cutoff=0.5)
    if not close:
        close = [c for c in choices if c.startswith(value.lower()[:4]) or value.lower().startswith(c)][:1]
    return f"; did you mean '{close[0]}'?" if close else ""


def split_list(cell: str, sep: str) -> tuple[str, ...]:
    """Split a semicolon or whitespace list cell into its non-empty items."""
    parts = cell.split(sep) if sep else cell.split()
    return tuple(p.strip() for p in parts if p.strip())


def _check_date(cell: str, file: str, line: int, col: str, problems: list[Problem]) -> str:
    if not cell:
        return ""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell):
        try:
            return date.fromisoformat(cell).isoformat()
        except ValueError:
            pass
    problems.append(Problem(file, line, col, f"date {show(cell)} is not a real ISO date (YYYY-MM-DD, e.g. 2026-11-25)"))
    return ""


def _check_urls(cell: str, file: str, line: int, col: str, problems: list[Problem]) -> tuple[str, ...]:
    urls = split_list(cell, "")
    good = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or "." not in parts.netloc:
            problems.append(
                Problem(file, line, col, f"source {show(url, 80)} is not an http(s) URL; write it as https://…")
            )
        else:
            good.append(url)
    return tuple(good)


def _required(
    row: dict[str, str], cols: tuple[str, ...], file: str, line: int, problems: list[Problem], what: str
) -> bool:
    """Report empty required cells; a row missing a required column (reported once, for the header) is unusable."""
    ok = True
    for col in cols:
        if col not in row:
            ok = False
        elif not row[col]:
            need = ", ".join(cols[:-1]) + f" and {cols[-1]}"
            problems.append(Problem(file, line, col, f"required cell is empty; every {what} needs {need}"))
            ok = False
    return ok


def declared_slugs(table: Table | None) -> set[str]:
    """Every slug topics.csv declares, valid or not, so pairs are not blamed for a broken topic row."""
    if table is None:
        return set()
    return {row.get("slug", "") or make_slug(row.get("name", "")) for row in table.rows} - {""}


def validate_topics(table: Table) -> tuple[pd.DataFrame, list[Problem]]:
    """Check topics.csv row by row and across rows; return the usable topics."""
    problems: list[Problem] = []
    f = table.file
    records = []
    slugs = _Slugs()
    old_by: dict[str, int] = {}
    for row, line in zip(table.rows, table.lines):
        where = (f, line)
        ok = _required(row, TOPIC_REQUIRED, f, line, problems, "topic")
        kind, known = _topic_kind(row, where, problems)
        slug, unique = slugs.check(row, where, problems)
        sources = _check_urls(row.get("sources", ""), f, line, "sources", problems)
        updated = _check_date(row.get("updated_on", ""), f, line, "updated_on", problems)
        number = _topic_number(row, where, problems)
        old = _old_slugs(row, where, old_by, problems)
        if ok and known and unique:
            records.append(
                row_record(
                    row,
                    line,
                    ("name", "description", "name_in_text", "abbreviation"),
                    slug=slug,
                    kind=kind,
                    category=row.get("category", "") or "More Topics",
                    effects=split_list(row.get("effects", ""), ";"),
                    strategies=split_list(row.get("strategies", ""), ";"),
                    sources=sources,
                    updated_on=updated,
                    old_slugs=old,
                    number=number,
                )
            )
    topics = pd.DataFrame.from_records(records, columns=list(TOPIC_COLUMNS))
    problems += _old_slugs_in_use(records, slugs.by_slug, f)
    return topics.sort_values("slug", kind="stable").reset_index(drop=True), problems


def _topic_kind(row: dict[str, str], where: tuple[str, int], problems: list[Problem]) -> tuple[str, bool]:
    """The row's kind as the contract spells it, and whether it is one of KINDS (or empty: _required's)."""
    kind = row.get("kind", "").lower()
    if kind and kind not in KINDS:
        hint = _suggest(kind, KINDS, KIND_WORDS)
        problems.append(Problem(*where, "kind", f"kind {show(row['kind'])} is not one of {', '.join(KINDS)}{hint}"))
        return kind, False
    return kind, True


class _Slugs:
    """The slugs topics.csv gives or makes from names, so far: a row's slug must be a URL slug and unique."""

    def __init__(self) -> None:
        self.by_slug: dict[str, int] = {}  # slug → the first line using it
        self.by_name_slug: dict[str, tuple[int, str]] = {}  # slug made from a name → (line, name)

    def check(self, row: dict[str, str], where: tuple[str, int], problems: list[Problem]) -> tuple[str, bool]:
        """The row's slug (its own, else made from its name), and whether it is usable."""
        name, given = row.get("name", ""), row.get("slug", "")
        ok = True
        if given and not _SLUG.match(given):
            hint = f"; did you mean '{make_slug(given)}'?" if make_slug(given) else ""
            problems.append(Problem(*where, "slug", f"slug {show(given)} is not a URL slug ({SLUG_RULE}){hint}"))
            ok = False
        slug = given or make_slug(name)
        if name and not slug:
            message = f"name {show(name)} gives an empty URL slug; add a 'slug' cell such as 'topic-name'"
            problems.append(Problem(*where, "name", message))
            ok = False
        clash = self._clash(name, given, slug, where[1])
        if clash:
            problems.append(Problem(*where, *clash))
            ok = False
        if slug:
            self.by_slug.setdefault(slug, where[1])
            if not given:
                self.by_name_slug.setdefault(slug, (where[1], name))
        return slug, ok

    def _clash(self, name: str, given: str, slug: str, line: int) -> tuple[str, str] | None:
        """(column, message) when an earlier row has the same name or slug, else None."""
        if name and not given and slug in self.by_name_slug:
            other_line, other = self.by_name_slug[slug]
            if other == name:
                return "name", f"topic {show(name)} is already listed on line {other_line}; keep one row"
            return "name", (
                f"name {show(name)} and {show(other)} (line {other_line}) both make the slug {show(slug)}; "
                "give one of them its own 'slug'"
            )
        if slug and slug in self.by_slug:
            return (
                "slug",
                f"duplicate slug {show(slug)} (already used on line {self.by_slug[slug]}); slugs must be unique",
            )
        return None


def _topic_number(row: dict[str, str], where: tuple[str, int], problems: list[Problem]) -> str:
    """The row's grammatical number override ('' when empty or not one of NUMBERS, which is a problem)."""
    number = row.get("number", "").lower()
    if number and number not in NUMBERS:
        problems.append(Problem(*where, "number", f"number {show(row['number'])} is not one of {', '.join(NUMBERS)}"))
        return ""
    return number


def _old_slugs(
    row: dict[str, str], where: tuple[str, int], old_by: dict[str, int], problems: list[Problem]
) -> tuple[str, ...]:
    """The row's well-formed old slugs; each must be a URL slug and the old slug of one topic only."""
    old = split_list(row.get("old_slugs", ""), "")
    for o in old:
        if not _SLUG.match(o):
            problems.append(Problem(*where, "old_slugs", f"old slug {show(o)} is not a URL slug ({SLUG_RULE})"))
        elif o in old_by:
            message = (
                f"old slug '{o}' is also an old slug on line {old_by[o]}; an old URL can redirect to one topic only"
            )
            problems.append(Problem(*where, "old_slugs", message))
        else:
            old_by[o] = where[1]
    return tuple(o for o in old if _SLUG.match(o))


def _old_slugs_in_use(records: list[dict], by_slug: dict[str, int], file: str) -> list[Problem]:
    """An old slug that is still a topic's slug cannot redirect anywhere."""
    problems = []
    for rec in records:
        for o in rec["old_slugs"]:
            if o in by_slug:
                where = (
                    "this topic's own slug"
                    if by_slug[o] == rec["line"]
                    else f"the slug of the topic on line {by_slug[o]}"
                )
                message = f"old slug '{o}' is still {where}; list only slugs no topic uses any more"
                problems.append(Problem(file, rec["line"], "old_slugs", message))
    return problems


def row_record(row: dict[str, str], line: int, copied: tuple[str, ...], **checked: object) -> dict[str, object]:
    """One record of a validated table: the `copied` cells as written, the `checked` values, the row's line."""
    return {c: row.get(c, "") for c in copied} | checked | {"line": line}


def validate_pairs(
    table: Table | None,
    slugs: set[str],
    renamed: dict[str, str] | None = None,
    kinds: dict[str, str] | None = None,
    default_status: str = "review",
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check pairs.csv against itself and the known topic slugs.

    A topic named by an old slug (`renamed`: old slug → new slug) is read as the topic it now is
    (pair_notes says so). With `kinds` (slug → kind), a pair whose effective status is approved (its
    own, or `default_status` when its cell is empty) must name its reviewer and review date, and one
    about a condition must cite a source (approval_problems).
    """
    problems: list[Problem] = []
    if table is None:
        return pd.DataFrame(columns=list(PAIR_COLUMNS)), problems
    f = table.file
    seen: dict[tuple[str, str], int] = {}
    records = []
    ordered = sorted(slugs)
    renamed = renamed or {}
    for row, line in zip(table.rows, table.lines):
        ok = _required(row, PAIR_REQUIRED, f, line, problems, "pair")
        a, b, named = _pair_topics(row, slugs, ordered, renamed, (f, line), problems)
        status, known = _pair_status(row, (f, line), problems)
        key = tuple(sorted((a, b)))
        first = _first_listing(a, b, seen, (f, line), problems)
        sources = _check_urls(row.get("sources", ""), f, line, "sources", problems)
        reviewed = _check_date(row.get("reviewed_on", ""), f, line, "reviewed_on", problems)
        stamp, stamped = _input_hash_cell(row, (f, line), problems)
        ok = ok and named and known and first and stamped
        if ok and (status or default_status) == "approved" and kinds is not None and a in kinds and b in kinds:
            found = approval_problems(row, f, line, [kinds.get(a, ""), kinds.get(b, "")], (a, b))
            problems += _by_default(found) if not status else found
        if ok:
            records.append(
                row_record(
                    row,
                    line,
                    ("relationship", "reviewed_by", "title", "description"),
                    a=key[0],
                    b=key[1],
                    status=status,
                    sources=sources,
                    reviewed_on=reviewed,
                    input_hash=stamp,
                )
            )
    return pd.DataFrame.from_records(records, columns=list(PAIR_COLUMNS)), problems


def _pair_topics(
    row: dict[str, str],
    slugs: set[str],
    ordered: list[str],
    renamed: dict[str, str],
    where: tuple[str, int],
    problems: list[Problem],
) -> tuple[str, str, bool]:
    """The row's two topics (old slugs read as the topic they name now), and whether both are usable."""
    a, b = (renamed.get(row.get(c, ""), row.get(c, "")) for c in ("topic_a", "topic_b"))
    ok = True
    for col, val in (("topic_a", a), ("topic_b", b)):
        if val and val not in slugs:
            hint = f"; did you mean '{make_slug(val)}'?" if make_slug(val) in slugs else _suggest(val, ordered)
            problems.append(Problem(*where, col, f"topic {show(val)} is not a slug in topics.csv{hint}"))
            ok = False
    if a and a == b:
        problems.append(Problem(*where, "topic_b", f"pairs topic {show(a)} with itself; a pair needs two topics"))
        ok = False
    return a, b, ok


def _pair_status(row: dict[str, str], where: tuple[str, int], problems: list[Problem]) -> tuple[str, bool]:
    """The row's status as the contract spells it ('' when empty), and whether it is one."""
    status = row.get("status", "").lower()
    if status and status not in STATUSES:
        hint = _suggest(status, STATUSES, STATUS_WORDS)
        problems.append(
            Problem(*where, "status", f"status {show(row['status'])} is not one of {', '.join(STATUSES)}{hint}")
        )
        return status, False
    return status, True


def _first_listing(
    a: str, b: str, seen: dict[tuple[str, str], int], where: tuple[str, int], problems: list[Problem]
) -> bool:
    """Whether this row is the first to list the pair (in either order); `seen` remembers it."""
    key = tuple(sorted((a, b)))
    if a and b and key in seen:
        problems.append(
            Problem(
                *where,
                "topic_a",
                f"pair {show(a)} × {show(b)} is already listed on line {seen[key]} (order does not matter); keep one row",
            )
        )
        return False
    seen.setdefault(key, where[1])
    return True


def _input_hash_cell(row: dict[str, str], where: tuple[str, int], problems: list[Problem]) -> tuple[str, bool]:
    """The row's input hash (lower case, '' when empty), and whether it is 12 hex digits."""
    stamp = row.get("input_hash", "").lower()
    if stamp and not is_input_hash(stamp):
        problems.append(
            Problem(
                *where,
                "input_hash",
                f"input hash {show(row['input_hash'])} is not 12 hex digits; "
                "leave it empty (it is set when a pair is approved)",
            )
        )
        return stamp, False
    return stamp, True


def _by_default(found: list[Problem]) -> list[Problem]:
    """Approval problems of a row whose status cell is empty: say that the default made it approved."""
    why = "; its status cell is empty, so site.toml's default_status 'approved' applies (or write 'review' in it)"
    return [Problem(p.file, p.line, p.column, p.message + why) for p in found]


def default_approval_problems(
    topics: int, pairs: pd.DataFrame, default_status: str, where: tuple[str, int]
) -> list[Problem]:
    """default_status 'approved' would publish every pair no pairs.csv row lists, with no reviewer: refuse it.

    `topics`: how many topics make pairs; `pairs`: the validated pairs.csv rows; `where`: the file and line of
    the config key."""
    unlisted = topics * (topics - 1) // 2 - len(pairs)
    if default_status != "approved" or unlisted <= 0:
        return []
    return [
        Problem(
            *where,
            "default_status",
            f"default_status 'approved' would publish {unlisted} pair page(s) that no row of pairs.csv lists, "
            "so no editor reviewed them (approval needs a reviewer and a review date); set it to 'review' or "
            "'noindex', and approve pages one by one in pairs.csv",
        )
    ]


HEALTH_KINDS = ("condition",)  # a page about one of these is a health page: approving it needs a source


def approval_problems(
    row: dict[str, str], file: str, line: int, kinds: list[str], slugs: tuple[str, str]
) -> list[Problem]:
    """What an approved row lacks: a reviewer, a review date and, on a health page, a source."""
    found = []
    if not row.get("reviewed_by", ""):
        found.append(
            Problem(
                file,
                line,
                "reviewed_by",
                "an approved page needs the name of the editor who reviewed it; fill 'reviewed_by', "
                "or set the status to 'review' until someone has",
            )
        )
    if not row.get("reviewed_on", ""):
        found.append(
            Problem(
                file, line, "reviewed_on", "an approved page needs the date of its review (YYYY-MM-DD, e.g. 2026-11-25)"
            )
        )
    health = [s for s, k in zip(slugs, kinds) if k in HEALTH_KINDS]
    if health and not row.get("sources", ""):
        found.append(
            Problem(
                file,
                line,
                "sources",
                f"an approved page about a health condition ({show(health[0])}) needs at least one source "
                "(an https:// URL) backing what it says",
            )
        )
    return found


def pair_notes(
    table: Table | None, renamed: dict[str, str], columns: tuple[str, ...] = ("topic_a", "topic_b")
) -> list[str]:
    """Rows (of pairs.csv, or `columns` of another file) that name a topic by an old slug: read as the
    topic it now is, and how to update the file."""
    if table is None or not renamed:
        return []
    notes = []
    for row, line in zip(table.rows, table.lines):
        for col in columns:
            old = row.get(col, "")
            if old in renamed:
                notes.append(
                    f"{table.file}:{line}: column '{col}': '{old}' is an old slug of '{renamed[old]}' and is read as "
                    f"it; `python -m pipeline rename {old} {renamed[old]}` updates the data files"
                )
    return notes


def _category_key(name: str) -> str:
    """Categories that differ only in case, spaces or '&' against 'and' are the same heading."""
    return " ".join(name.lower().replace("&", " and ").replace("+", " and ").split())


_SENTENCE_END = re.compile(r"[.!?…][\"'’”)\]]*$")


def topic_notes(table: Table | None) -> list[str]:
    """Warnings that do not stop the build: a category spelled like an earlier one, a description
    that is not a sentence."""
    if table is None:
        return []
    notes = []
    first: dict[str, tuple[str, int]] = {}
    for row, line in zip(table.rows, table.lines):
        category = row.get("category", "")
        if category:
            spelled, at = first.setdefault(_category_key(category), (category, line))
            if spelled != category:
                notes.append(
                    f"{table.file}:{line}: column 'category': {show(category)} is spelled like the category "
                    f"{show(spelled)} (line {at}) and would make a second heading; write it as {show(spelled)}"
                )
        description = row.get("description", "")
        if description and not _is_sentence(description):
            notes.append(
                f"{table.file}:{line}: column 'description': {show(description)} is not a sentence; write one to "
                "three complete sentences that define the topic, starting with a capital letter and ending with a "
                "full stop"
            )
    return notes


def _is_sentence(text: str) -> bool:
    first = next((c for c in text if c.isalnum()), "")
    return bool(_SENTENCE_END.search(text)) and not first.islower() and len(text.split()) >= 3
