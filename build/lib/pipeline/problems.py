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
