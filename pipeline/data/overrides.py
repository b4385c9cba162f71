"""Warnings about pairs.csv's editor overrides, `title` and `description`: they do not stop the build."""

from __future__ import annotations

from pipeline.data.load import Table
from pipeline.data.validate import show


def override_notes(table: Table | None, title_max: int = 60, description: tuple[int, int] = (120, 160)) -> list[str]:
    """Warnings about pairs.csv's `title` and `description` overrides that do not stop the build: a
    title search results would cut off, a description outside the snippet's range or cut off itself."""
    if table is None:
        return []
    lo, hi = description
    notes = []
    for row, line in zip(table.rows, table.lines):
        title, text = (" ".join(row.get(c, "").split()) for c in ("title", "description"))
        where = f"{table.file}:{line}"
        if len(title) > title_max:
            notes.append(
                f"{where}: column 'title': {show(title)} is {len(title)} characters; search results show about "
                f"{title_max} and cut the rest off; shorten it (the page's heading is not changed)"
            )
        if text and not lo <= len(text) <= hi:
            notes.append(
                f"{where}: column 'description': {show(text)} is {len(text)} characters; write {lo}–{hi} in whole "
                "sentences (a shorter one wastes the search snippet, a longer one is cut off)"
            )
        if text.endswith(("…", "...")):
            notes.append(
                f"{where}: column 'description': {show(text)} ends in an ellipsis; end it with a whole sentence"
            )
    return notes
