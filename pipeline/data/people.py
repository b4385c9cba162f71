"""data/people.csv: the people who write and review pages, checked against the data contract."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from pipeline.data.load import Table
from pipeline.data.validate import show
from pipeline.problems import Problem

PEOPLE_FILE = "people.csv"
PEOPLE_REQUIRED = ("id", "name")
PEOPLE_COLUMNS = ("id", "name", "role", "credentials", "bio", "profile_url", "same_as")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Person:
    """One person as pages show them: 'Reviewed by <name>, <credentials>' linking to their page."""

    id: str
    name: str
    role: str = ""
    credentials: str = ""
    bio: str = ""
    profile_url: str = ""
    same_as: tuple[str, ...] = ()
    line: int = 0


def _is_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and "." in parts.netloc


def validate_people(table: Table | None) -> tuple[dict[str, Person], list[Problem]]:
    """Check people.csv row by row; return the usable people by id (none when the file is absent)."""
    problems: list[Problem] = []
    people: dict[str, Person] = {}
    if table is None:
        return people, problems
    first: dict[str, int] = {}
    for row, line in zip(table.rows, table.lines):
        where = (table.file, line)
        ok = _required_cells(row, where, problems)
        pid = row.get("id", "")
        ok = _check_id(pid, where, first, problems) and ok
        profile, same_as, linked = _profile_urls(row, where, problems)
        if ok and linked:
            people[pid] = Person(
                pid,
                row["name"],
                row.get("role", ""),
                row.get("credentials", ""),
                row.get("bio", ""),
                profile,
                same_as,
                line,
            )
    return dict(sorted(people.items())), problems


def _required_cells(row: dict[str, str], where: tuple[str, int], problems: list[Problem]) -> bool:
    """Whether the row has an id and a name (a missing column is the header's problem, reported once)."""
    ok = True
    for col in PEOPLE_REQUIRED:
        if col in row and not row[col]:
            problems.append(Problem(*where, col, "required cell is empty; every person needs id and name"))
            ok = False
        elif col not in row:
            ok = False
    return ok


def _check_id(pid: str, where: tuple[str, int], first: dict[str, int], problems: list[Problem]) -> bool:
    """Whether `pid` is a URL slug no earlier row used (`first`: id → its line, updated here)."""
    ok = True
    if pid and not _ID.match(pid):
        message = (
            f"id {show(pid)} is not a URL slug (lower-case letters, digits and single hyphens), "
            "e.g. 'jane-doe'; it becomes the address /people/<id>/"
        )
        problems.append(Problem(*where, "id", message))
        ok = False
    elif pid in first:
        problems.append(
            Problem(*where, "id", f"id {show(pid)} is already used on line {first[pid]}; ids must be unique")
        )
        ok = False
    if pid:
        first.setdefault(pid, where[1])
    return ok


def _profile_urls(
    row: dict[str, str], where: tuple[str, int], problems: list[Problem]
) -> tuple[str, tuple[str, ...], bool]:
    """The row's profile_url and same_as addresses, and whether every one is an http(s) URL."""
    ok = True
    profile = row.get("profile_url", "")
    if profile and not _is_url(profile):
        problems.append(Problem(*where, "profile_url", f"profile_url {show(profile, 80)} is not an http(s) URL"))
        ok = False
    same_as = tuple(row.get("same_as", "").split())
    for url in same_as:
        if not _is_url(url):
            message = f"same_as {show(url, 80)} is not an http(s) URL; list profile addresses separated by spaces"
            problems.append(Problem(*where, "same_as", message))
            ok = False
    return profile, same_as, ok


def reviewer_notes(pairs_file: str, reviewers: list[tuple[int, str]], people: dict[str, Person]) -> list[str]:
    """One note per free-text reviewer name that is not a person id: it is shown as written, without a profile."""
    seen: dict[str, list[int]] = {}
    for line, name in reviewers:
        if name and name not in people:
            seen.setdefault(name, []).append(line)
    notes = []
    for name, lines in seen.items():
        where = f"line {lines[0]}" + (f" and {len(lines) - 1} more" if len(lines) > 1 else "")
        by_name = [p.id for p in people.values() if p.name.lower() == name.lower()]
        hint = (
            f"; write its id '{by_name[0]}'"
            if by_name
            else f"; add the person to {PEOPLE_FILE} and write their id"
            if people
            else f"; list the people who review in {PEOPLE_FILE} and write their id"
        )
        notes.append(
            f"{pairs_file}:{lines[0]}: column 'reviewed_by': {show(name)} ({where}) is not a person id in "
            f"{PEOPLE_FILE}, so it is shown as written, with no profile{hint}"
        )
    return notes
