"""`python -m pipeline rename OLD NEW`: give a topic a new slug in every data file, in place.

topics.csv's row gets the new slug and keeps the old one in `old_slugs` (so its old URLs redirect);
then every row of pairs.csv and links.csv that names the old slug names the new one. Each file is
changed with csvedit's byte-preserving atomic row rewrite: only the changed cells' rows change.
topics.csv is written first: if anything stops after it, the build still reads the other files'
old slugs as the renamed topic, so the data is never inconsistent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.data.csvedit import CsvDoc, Unreadable, rewrite
from pipeline.data.load import normalise_cell, read_csv
from pipeline.data.validate import _SLUG, REQUIRED, SLUG_RULE, make_slug, split_list, validate_topics
from pipeline.problems import ContractError

# Files beside topics.csv that name topics by slug, and the columns that do.
REFERENCES = {"pairs.csv": ("topic_a", "topic_b"), "links.csv": ("subject", "object")}


class RenameRefused(Exception):
    """The rename cannot be done as asked; the message says why and what to do."""


@dataclass
class Renamed:
    old: str
    new: str
    topic_line: int = 0  # the topic's line in topics.csv, 0 when it already had the new slug
    rows: dict[str, list[int]] = field(default_factory=dict)  # file name → lines of the rows changed


def rename(data_dir: Path, old: str, new: str) -> Renamed:
    """Rename topic `old` to `new` in topics.csv and every file that names it; raise ContractError
    for broken data, RenameRefused for a rename that cannot be done."""
    topics_path = data_dir / "topics.csv"
    table, problems = read_csv(topics_path, REQUIRED["topics"])
    if table is not None and table.header:
        topics, more = validate_topics(table)
        problems += more
    if problems:
        raise ContractError(problems)
    _check_names(old, new, topics)
    done = Renamed(old, new)
    slugs = list(topics["slug"])
    if old in slugs:
        done.topic_line = int(topics.loc[topics["slug"] == old, "line"].iloc[0])
        _rename_topic(topics_path, old, new)
    for name, columns in REFERENCES.items():
        path = data_dir / name
        if path.is_file():
            done.rows[name] = _rename_references(path, columns, old, new)
    return done


def _check_names(old: str, new: str, topics) -> None:
    slugs = set(topics["slug"])
    owner = {o: s for s, olds in zip(topics["slug"], topics["old_slugs"]) for o in olds}
    if not _SLUG.match(new) or len(new) > 80:
        hint = f"; did you mean '{make_slug(new)}'?" if make_slug(new) and make_slug(new) != new else ""
        raise RenameRefused(f"'{new}' is not a URL slug ({SLUG_RULE}){hint}")
    if old == new:
        raise RenameRefused(f"'{old}' and '{new}' are the same slug; nothing to rename")
    if old not in slugs and owner.get(old) != new:
        known = f" (it is an old slug of '{owner[old]}')" if old in owner else ""
        raise RenameRefused(f"no topic in topics.csv has the slug '{old}'{known}; see the topic's hub URL for its slug")
    if old in slugs and new in slugs:
        raise RenameRefused(f"'{new}' is already the slug of another topic; choose another slug or merge the rows")
    if old in slugs and new in owner and owner[new] != old:
        raise RenameRefused(
            f"'{new}' is an old slug of '{owner[new]}', whose old URLs redirect there; choose another slug"
        )


def _rename_topic(path: Path, old: str, new: str) -> None:
    def change(doc: CsvDoc) -> bytes | None:
        index = doc.find(lambda row: _slug_of(row) == old)
        if index is None:
            raise Unreadable(f"{path}: the topic '{old}' is no longer in the file; it was changed meanwhile")
        olds = [o for o in split_list(normalise_cell(doc.row(index).get("old_slugs", "")), "") if o != new]
        return doc.edit({index: {"slug": new, "old_slugs": " ".join([*olds, old])}})

    rewrite(path, change)


def _slug_of(row: dict[str, str]) -> str:
    return normalise_cell(row.get("slug", "")) or make_slug(normalise_cell(row.get("name", "")))


def _rename_references(path: Path, columns: tuple[str, ...], old: str, new: str) -> list[int]:
    lines: list[int] = []

    def change(doc: CsvDoc) -> bytes | None:
        lines.clear()
        edits = {}
        for i in range(len(doc.records)):
            row = doc.row(i)
            cells = {c: new for c in columns if normalise_cell(row.get(c, "")) == old}
            if cells:
                edits[i] = cells
                lines.append(doc.records[i].line)
        return doc.edit(edits) if edits else None

    rewrite(path, change)
    return lines
