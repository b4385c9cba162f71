"""`python -m pipeline sources [--fetch]`: which cited sources the bibliography describes, and filling it in.

The sources pages cite are the URLs in the `sources` cells of topics.csv, pairs.csv and links.csv. With --fetch,
every cited DOI (and every DOI row of sources.csv) that has no title yet is looked up on Crossref
(pipeline/data/crossref.py) and sources.csv is filled in: empty cells of an existing row are filled,
never a cell an editor wrote, and DOIs it does not list are appended. The rest of the file keeps its
bytes (`csvedit.CsvDoc.edit`) and the new file replaces the old one atomically.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.data.crossref import PAUSE, fetch_works, reference_from
from pipeline.data.csvedit import CsvDoc, write_atomically
from pipeline.data.links import LINK_REQUIRED
from pipeline.data.load import read_csv
from pipeline.data.sources import (
    SOURCES_COLUMNS,
    SOURCES_FILE,
    SOURCES_REQUIRED,
    Reference,
    normalise_doi,
    source_key,
    validate_sources,
)
from pipeline.data.validate import REQUIRED
from pipeline.problems import ContractError

FILLED = ("title", "authors", "year", "container")


@dataclass
class Bibliography:
    """The sources the data cites and what sources.csv says of them."""

    path: Path
    cited: list[str]  # every distinct source URL of topics.csv, pairs.csv and links.csv, in file order
    refs: dict[str, Reference]  # sources.csv by key (see sources.source_key)
    uses: dict[str, int] = field(default_factory=dict)  # URL → how many rows cite it

    def untitled(self) -> list[str]:
        """Cited sources without a title in sources.csv (not described at all, or with an empty title)."""
        return [u for u in self.cited if not getattr(self.refs.get(source_key(u)), "title", "")]

    def dois_to_fetch(self) -> list[str]:
        """DOIs, cited or listed, whose entry has no title, sorted."""
        dois = {normalise_doi(u) for u in self.untitled()} - {""}
        dois |= {r.doi for r in self.refs.values() if r.doi and not r.title}
        return sorted(dois)


def read_bibliography(data_dir: Path) -> Bibliography:
    """The cited sources and sources.csv; raise ContractError when a file cannot be read or sources.csv is wrong."""
    problems = []
    cited: dict[str, int] = {}
    for name, required in (
        ("topics.csv", REQUIRED["topics"]),
        ("pairs.csv", REQUIRED["pairs"]),
        ("links.csv", LINK_REQUIRED),
    ):
        table, more = read_csv(data_dir / name, required, optional=name != "topics.csv")
        problems += more
        for row in table.rows if table is not None else ():
            for url in row.get("sources", "").split():
                if url.startswith(("http://", "https://")):
                    cited[url] = cited.get(url, 0) + 1
    path = data_dir / SOURCES_FILE
    table, more = read_csv(path, SOURCES_REQUIRED, optional=True)
    refs, bad = validate_sources(table)
    problems += more + bad
    if problems:
        raise ContractError(problems)
    return Bibliography(path, list(cited), refs, cited)


@dataclass(frozen=True)
class Fetched:
    path: Path
    asked: int  # requests sent to Crossref (the rest came from the cache)
    filled: int  # rows of sources.csv whose empty cells were filled
    added: int  # rows appended
    unknown: list[str]  # DOIs Crossref does not know
    untitled: list[str]  # cited sources still without a title


def _cells(ref: Reference) -> dict[str, str]:
    return {"title": ref.title, "authors": "; ".join(ref.authors), "year": ref.year, "container": ref.container}


def fetch_titles(
    data_dir: Path,
    cache: Path,
    get: Callable[[str], dict[str, Any] | None] | None = None,
    pause: float = PAUSE,
    sleep: Callable[[float], None] | None = None,
) -> Fetched:
    """Fill sources.csv from Crossref for every DOI without a title; see the module's docstring."""
    bib = read_bibliography(data_dir)
    dois = bib.dois_to_fetch()
    extra = {"sleep": sleep} if sleep is not None else {}
    works, asked = fetch_works(dois, cache, get, pause, **extra)
    path = bib.path
    doc = CsvDoc.parse(path.read_bytes() if path.is_file() else b"", path)
    replace: dict[int, dict[str, str]] = {}
    append: list[dict[str, str]] = []
    for doi in dois:
        message = works.get(doi)
        if not message:
            continue
        cells = _cells(reference_from(doi, message))
        at = doc.find(lambda row, d=doi: _row_doi(row) == d) if doc.header else None
        if at is None:
            append.append({"doi": doi, **cells})
            continue
        row = doc.row(at)
        change = {c: v for c, v in cells.items() if v and not row.get(c, "")}
        if change:
            replace[at] = change
    if replace or append:
        write_atomically(path, doc.edit(replace=replace, append=append, default_header=SOURCES_COLUMNS))
    unknown = [d for d in dois if not works.get(d)]
    return Fetched(path, asked, len(replace), len(append), unknown, read_bibliography(data_dir).untitled())


def _row_doi(row: dict[str, str]) -> str:
    return normalise_doi(row.get("doi", "")) or normalise_doi(row.get("url", ""))
