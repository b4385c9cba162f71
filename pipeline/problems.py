"""Problems found in the input: data, not exceptions, until the CLI reports them."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One breach of the data contract, located by file, line and column (a key, in a TOML file)."""

    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        label = "key" if self.file.endswith(".toml") else "column"  # TOML files have keys, not columns
        col = f" {label} '{self.column}':" if self.column else ""
        return _one_line(f"{where}:{col} {self.message}")


def _one_line(text: str) -> str:
    """One problem, one line: escape line breaks, control and direction-changing characters."""
    return re.sub(
        r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]",
        lambda m: m.group().encode("unicode_escape").decode(),
        text,
    )


class ContractError(Exception):
    """The input breaks the data contract; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        # Files in the order they were read (topics.csv before pairs.csv), then by line and column.
        files = {p.file: i for i, p in reversed(list(enumerate(problems)))}
        self.problems = sorted(set(problems), key=lambda p: (files[p.file], p))
        super().__init__("\n".join(str(p) for p in self.problems))


SHOWN_PROBLEMS = 30  # lines of problems printed; the rest are counted by kind and written to a file
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|\d[\d,.]*")


def problem_kind(problem: Problem) -> str:
    """What kind of problem it is, without its values: the column and the message's first clause."""
    shape = _QUOTED.sub("…", problem.message.split(";")[0]).strip()
    shape = shape if len(shape) <= 60 else shape[:59].rsplit(" ", 1)[0].rstrip(",") + " …"
    return f"'{problem.column}': {shape}" if problem.column else shape


def capped_lines(problems: list[Problem], limit: int = SHOWN_PROBLEMS) -> tuple[list[str], str]:
    """The first `limit` problems as lines, and a line counting the rest by kind ('' when none are left)."""
    shown = [str(p) for p in problems[:limit]]
    rest = problems[limit:]
    if not rest:
        return shown, ""
    kinds: dict[str, int] = {}
    for p in rest:
        kinds[problem_kind(p)] = kinds.get(problem_kind(p), 0) + 1
    listed = sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))
    text = "; ".join(f"{kind} ({n:,})" for kind, n in listed[:5])
    if len(listed) > 5:
        text += f"; {len(listed) - 5} other kind(s)"
    return shown, f"… and {len(rest):,} more problems of these kinds: {text}"
