"""data/links.csv: typed, sourced statements that one topic bears on another, checked and made edges.

One row says "subject relation object", backed by one or more http(s) sources. Rows are checked
like the other files (file, line, column, with a suggestion); editors' approved pairs with their
own text join the links as edges of the relation `editor`, so that both feed the pages.
"""

from __future__ import annotations

import pandas as pd

from pipeline.data.load import Table
from pipeline.data.validate import _check_date, _check_urls, _required, _suggest, make_slug, row_record, show
from pipeline.problems import Problem

# The relation vocabulary: "<subject> <relation> <object>". Wording per kind: templates/wording/links.toml.
RELATIONS = (
    "raises",  # more of the subject, more of the object (levels, activity, likelihood)
    "lowers",  # more of the subject, less of the object
    "worsens",  # the subject makes the object (a condition, a symptom) worse or more likely
    "eases",  # the subject makes the object milder or less likely
    "is-part-of",  # the subject is a component of the object (a region of a network, a step of a therapy)
    "is-a-feature-of",  # the subject is a symptom or hallmark of the object
    "is-treated-by",  # the object is an established treatment for the subject
    "often-co-occurs-with",  # the two are found together more often than by chance (symmetric)
    "is-studied-as-a-factor-in",  # research examines the subject as a cause or risk factor of the object
    "involves",  # the subject involves the object (a process and the brain system it relies on)
)
SYMMETRIC = frozenset({"often-co-occurs-with"})
EDITOR = "editor"  # an approved pair with an editor's text: an edge without a relation of its own
# Spellings editors are likely to type, and the relation the vocabulary uses.
RELATION_WORDS = {
    "increases": "raises",
    "increase": "raises",
    "decreases": "lowers",
    "reduces": "lowers",
    "causes": "worsens",
    "aggravates": "worsens",
    "helps": "eases",
    "relieves": "eases",
    "improves": "eases",
    "treats": "is-treated-by",
    "treated-by": "is-treated-by",
    "symptom-of": "is-a-feature-of",
    "feature-of": "is-a-feature-of",
    "part-of": "is-part-of",
    "co-occurs-with": "often-co-occurs-with",
    "comorbid-with": "often-co-occurs-with",
    "risk-factor-for": "is-studied-as-a-factor-in",
    "factor-in": "is-studied-as-a-factor-in",
    "uses": "involves",
}
FILE = "links.csv"
LINK_REQUIRED = ("subject", "relation", "object", "sources")
LINK_KNOWN = ("subject", "relation", "object", "sources", "note", "checked_by", "checked_on")
LINK_COLUMNS = ("subject", "relation", "object", "sources", "note", "checked_by", "checked_on", "line")
EDGE_COLUMNS = ("subject", "relation", "object", "sources", "note", "checked", "line")


def _slug_cell(
    row: dict[str, str], col: str, slugs: set[str], renamed: dict[str, str], where: tuple[str, int], problems: list
) -> str:
    """The topic a subject or object cell names (an old slug gives the topic's slug), or '' with a problem."""
    value = row.get(col, "")
    if not value or value in slugs:
        return value
    if value in renamed:
        return renamed[value]
    hint = f"; did you mean '{make_slug(value)}'?" if make_slug(value) in slugs else _suggest(value, sorted(slugs))
    problems.append(Problem(*where, col, f"topic {show(value)} is not a slug in topics.csv{hint}"))
    return ""


def _relation(cell: str, where: tuple[str, int], problems: list[Problem]) -> str:
    relation = cell.strip().lower().replace(" ", "-").replace("_", "-")
    if relation in RELATIONS:
        return relation
    if cell:
        problems.append(
            Problem(
                *where,
                "relation",
                f"relation {show(cell)} is not one of {', '.join(RELATIONS)}"
                f"{_suggest(relation, RELATIONS, RELATION_WORDS)}",
            )
        )
    return ""


def _key(subject: str, relation: str, obj: str) -> tuple[str, str, str]:
    """What makes two rows the same statement (a symmetric relation in either order)."""
    if relation in SYMMETRIC and obj < subject:
        subject, obj = obj, subject
    return subject, relation, obj


def validate_links(
    table: Table | None, slugs: set[str], renamed: dict[str, str] | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check links.csv against itself and the topic slugs (`renamed`: old slug → slug); return its rows."""
    problems: list[Problem] = []
    if table is None:
        return pd.DataFrame(columns=list(LINK_COLUMNS)), problems
    renamed = renamed or {}
    f = table.file
    seen: dict[tuple[str, str, str], int] = {}
    records = []
    for row, line in zip(table.rows, table.lines):
        where = (f, line)
        ok = _required(row, LINK_REQUIRED, f, line, problems, "link")
        subject = _slug_cell(row, "subject", slugs, renamed, where, problems)
        obj = _slug_cell(row, "object", slugs, renamed, where, problems)
        relation = _relation(row.get("relation", ""), where, problems)
        sources = _check_urls(row.get("sources", ""), f, line, "sources", problems)
        checked_on = _check_date(row.get("checked_on", ""), f, line, "checked_on", problems)
        if subject and subject == obj:
            problems.append(
                Problem(*where, "object", f"links topic {show(subject)} to itself; a link needs two topics")
            )
            ok = False
        if not (subject and obj and relation and sources):
            continue
        key = _key(subject, relation, obj)
        if key in seen:
            either = " (in either order)" if relation in SYMMETRIC else ""
            problems.append(
                Problem(
                    *where,
                    "relation",
                    f"'{subject} {relation} {obj}' is already stated on line {seen[key]}{either}; "
                    "keep one row and put every source in it",
                )
            )
            continue
        seen[key] = line
        if ok:
            records.append(
                row_record(
                    row,
                    line,
                    ("note", "checked_by"),
                    subject=subject,
                    relation=relation,
                    object=obj,
                    sources=sources,
                    checked_on=checked_on,
                )
            )
    links = pd.DataFrame.from_records(records, columns=list(LINK_COLUMNS))
    return links, problems


def edges(links: pd.DataFrame, pairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every edge between topics: the links, then approved editor pairs with their own text.

    Columns: subject, relation, object, sources, note, checked (a source checker signed it off;
    editor pairs are reviewed, so checked), line (in links.csv; 0 for editor pairs). Sorted by
    subject, object and relation, so what is built from them does not depend on row order.
    """
    out = pd.DataFrame(
        {
            "subject": links["subject"],
            "relation": links["relation"],
            "object": links["object"],
            "sources": links["sources"],
            "note": links["note"],
            "checked": (links["checked_by"] != "") & (links["checked_on"] != ""),
            "line": links["line"],
        },
        columns=list(EDGE_COLUMNS),
    )
    if pairs is not None and len(pairs):
        approved = pairs[(pairs["status"] == "approved") & (pairs["relationship"] != "")]
        editor = pd.DataFrame(
            {
                "subject": approved["a"],
                "relation": EDITOR,
                "object": approved["b"],
                "sources": approved["sources"],
                "note": "",
                "checked": True,
                "line": 0,
            },
            columns=list(EDGE_COLUMNS),
        )
        out = pd.concat([out, editor], ignore_index=True) if len(out) else editor
    out["checked"] = out["checked"].astype(bool)
    return out.sort_values(["subject", "object", "relation"], kind="stable").reset_index(drop=True)
