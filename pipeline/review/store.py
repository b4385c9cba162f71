"""The review app's data: pairs.csv rows as shown, edits validated by the build, written one write at a time.

Every save reads data/pairs.csv afresh, checks that each row it changes still has the fingerprint
(`csvedit.row_hash`) it had when the editor saw it, makes the new file's bytes with
`csvedit.CsvDoc.edit` (one row replaced in place or appended; every other byte kept), checks
them with the build's own loader and data contract, and only then renames them over the file.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.config import Config
from pipeline.data.csvedit import CsvDoc, Unreadable, rewrite, row_hash
from pipeline.data.load import normalise_cell, parse_csv
from pipeline.data.pairsfile import PAIR_HEADER
from pipeline.data.validate import PAIR_REQUIRED, STATUSES, validate_pairs
from pipeline.problems import ContractError, Problem
from pipeline.site.build import Inputs, load_inputs

FIELDS = ("status", "relationship", "sources", "reviewed_by", "notes", "title", "description")


class Conflict(Exception):
    """Rows changed in the file since the editor saw them: [(a, b, the row now or None)]."""

    def __init__(self, rows: list[tuple[str, str, dict[str, str] | None]]):
        super().__init__(f"{len(rows)} row(s) changed in the file since they were shown")
        self.rows = rows


@dataclass(frozen=True)
class Edit:
    """What an editor submits for one pair: the form's fields and the hash of the row as it was shown."""

    a: str
    b: str
    fields: Mapping[str, str]
    shown: str  # csvedit.row_hash of the row shown ("" when the pair was not listed)


def clean(fields: Mapping[str, str]) -> dict[str, str]:
    """The form's values as a pairs.csv row holds them (line breaks as LF; cells trimmed)."""
    out = {}
    for f in FIELDS:
        if f in fields:
            value = str(fields[f]).replace("\r\n", "\n").replace("\r", "\n").strip()
            out[f] = value.lower() if f == "status" else value
    return out


def _input_hash():
    """Engineer 13's input_hash(topic_a, topic_b, pair) when it is installed, else None."""
    try:
        from pipeline.data.review_hash import input_hash
    except ImportError:
        return None
    return input_hash


class Store:
    """data/ as the review app reads and writes it; one write at a time."""

    def __init__(self, data: Path, templates: Path, cfg: Config):
        self.data, self.templates, self.cfg = data, templates, cfg
        self.path = data / "pairs.csv"
        self.lock = threading.Lock()
        self._inputs: tuple[tuple, Inputs] | None = None

    # -- reading ---------------------------------------------------------------------------

    def _stamp(self) -> tuple:
        out = []
        for p in sorted(self.data.glob("*.csv")):
            st = p.stat()
            out.append((p.name, st.st_ino, st.st_size, st.st_mtime_ns))
        return tuple(out)

    def inputs(self) -> Inputs:
        """The build's validated inputs, read again whenever a data file changed; ContractError if broken."""
        stamp = self._stamp()
        if self._inputs is None or self._inputs[0] != stamp:
            self._inputs = (stamp, load_inputs(self.data, self.templates, self.cfg))
        return self._inputs[1]

    def doc(self) -> CsvDoc:
        return CsvDoc.read(self.path)

    def row(self, a: str, b: str, doc: CsvDoc | None = None) -> dict[str, str] | None:
        """The pair's row in pairs.csv (either order), or None when it is not listed."""
        doc = doc or self.doc()
        i = doc.find(_is_pair(a, b))
        return None if i is None else doc.row(i)

    # -- checking ------------------------------------------------------------------------------

    def changes(self, edit: Edit, current: dict[str, str] | None, inputs: Inputs) -> dict[str, str]:
        """The cells to write for `edit`: the fields that differ, and on approval the review's date and hash."""
        values = clean(edit.fields)
        if values.get("status") == "approved":
            values["reviewed_on"] = date.today().isoformat()
            hasher = _input_hash()
            if hasher is not None:
                values["input_hash"] = hasher(*self._hash_inputs(edit, values, inputs))
        now = {k: normalise_cell(v) for k, v in (current or {}).items()}
        return {k: v for k, v in values.items() if now.get(k, "") != v}

    def _hash_inputs(self, edit: Edit, values: dict[str, str], inputs: Inputs):
        t = inputs.topics.set_index("slug")
        ta, tb = (t.loc[s].to_dict() | {"slug": s} for s in (edit.a, edit.b))
        return ta, tb, {"relationship": values.get("relationship", ""), "sources": values.get("sources", "")}

    def approval_problems(self, merged: Sequence[tuple[int, dict[str, str]]], inputs: Inputs) -> list[Problem]:
        """An approval's reviewer must be a person id of data/people.csv once that file lists people
        (an empty reviewer is the data contract's own problem). `merged`: each edited row's line and
        its cells after the edit."""
        people = inputs.people
        problems = []
        for line, row in merged:
            who = row.get("reviewed_by", "")
            if row.get("status") != "approved" or not who or not people or who in people:
                continue
            by_name = [p.id for p in people.values() if p.name.lower() == who.lower()]
            hint = f"; write its id '{by_name[0]}'" if by_name else f"; one of {', '.join(sorted(people))}"
            problems.append(
                Problem(str(self.path), line, "reviewed_by", f"reviewer '{who}' is not a person id in people.csv{hint}")
            )
        return problems

    def check(self, new: bytes, inputs: Inputs) -> tuple[Inputs, list[Problem]]:
        """Read the new file's bytes as the build would: the inputs it makes, and its problems."""
        table, problems = parse_csv(new, str(self.path), PAIR_REQUIRED)
        topics = inputs.topics
        renamed = {o: s for s, olds in zip(topics["slug"], topics["old_slugs"]) for o in olds}
        kinds = dict(zip(topics["slug"], topics["kind"]))  # approving a health page needs a source
        pairs, more = validate_pairs(table, set(topics["slug"]), renamed, kinds, inputs.cfg.default_status)
        return dataclasses.replace(inputs, pairs=pairs), problems + more

    def proposed(self, edit: Edit) -> tuple[Inputs, list[Problem]]:
        """The inputs with `edit` applied (for the preview), and what the data contract says about it."""
        inputs = self.inputs()
        doc = self.doc()
        new, merged = self._edited(doc, [edit], inputs)
        result, problems = self.check(new, inputs)
        return result, problems + self.approval_problems(merged, inputs)

    # -- writing -------------------------------------------------------------------------------

    def _edited(self, doc: CsvDoc, edits: Sequence[Edit], inputs: Inputs) -> tuple[bytes, list]:
        """The file's new bytes, and each edited row's line and cells after the edit."""
        replace: dict[int, dict[str, str]] = {}
        append: list[dict[str, str]] = []
        merged = []
        end = sum(r.text.count("\n") or r.text.count("\r") for r in (doc.header, *doc.records) if r) + 1
        for e in edits:
            i = doc.find(_is_pair(e.a, e.b))
            current = None if i is None else doc.row(i)
            change = self.changes(e, current, inputs)
            now = {k: normalise_cell(v) for k, v in (current or {}).items()}
            if i is None:
                append.append({"topic_a": e.a, "topic_b": e.b, **change})
                merged.append((end + len(append) - 1, now | change))
            else:
                replace[i] = change
                merged.append((doc.records[i].line, now | change))
        return doc.edit(replace, append, default_header=(*PAIR_HEADER, "notes")), merged

    def save(self, edits: Sequence[Edit]) -> Inputs:
        """Write every edit in one atomic write; raise Conflict, ContractError or Unreadable, writing nothing."""
        with self.lock:
            inputs = self.inputs()
            state: dict = {}

            def change(doc: CsvDoc) -> bytes | None:
                stale = []
                for e in edits:
                    now = self.row(e.a, e.b, doc)
                    if row_hash(now) != e.shown:
                        stale.append((e.a, e.b, now))
                if stale:
                    raise Conflict(stale)
                new, merged = self._edited(doc, edits, inputs)
                state["inputs"], problems = self.check(new, inputs)
                problems += self.approval_problems(merged, inputs)
                if problems:
                    raise ContractError(problems)
                return None if new == doc.edit() else new

            rewrite(self.path, change)
            self._inputs = None
            return state["inputs"]


def _key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _is_pair(a: str, b: str):
    key = _key(a, b)
    return lambda row: _key(normalise_cell(row.get("topic_a", "")), normalise_cell(row.get("topic_b", ""))) == key


__all__ = ["Conflict", "ContractError", "Edit", "FIELDS", "STATUSES", "Store", "Unreadable", "clean", "row_hash"]
