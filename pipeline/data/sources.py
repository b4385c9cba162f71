"""data/sources.csv: a bibliography, so pages cite their sources as references rather than bare links.

A row describes one source by its DOI or its URL (or both): title, authors, year and container (the
journal, book or site it appeared in). Pages look their source URLs up here; a DOI matches its
https://doi.org/ address in any spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import unquote, urlsplit

from pipeline.data.load import Table
from pipeline.data.validate import show
from pipeline.problems import Problem

SOURCES_FILE = "sources.csv"
SOURCES_REQUIRED = ("title",)
SOURCES_COLUMNS = ("url", "doi", "title", "authors", "year", "container")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_HOSTS = ("doi.org", "dx.doi.org")


@dataclass(frozen=True)
class Reference:
    """One entry of the bibliography."""

    url: str = ""
    doi: str = ""  # lower-case, without a resolver prefix: '10.1073/pnas.1112029108'
    title: str = ""
    authors: tuple[str, ...] = ()  # as written, one name each ('Brewer, J. A.')
    year: str = ""
    container: str = ""
    line: int = 0

    @property
    def link(self) -> str:
        """Where the reference's title links: the DOI's resolver address, else the URL."""
        return f"https://doi.org/{self.doi}" if self.doi else self.url


def normalise_doi(text: str) -> str:
    """'https://doi.org/10.1/ABC', 'doi:10.1/ABC' or '10.1/ABC' → '10.1/abc' (DOIs are case-insensitive); '' if none."""
    text = text.strip()
    parts = urlsplit(text)
    if parts.scheme in ("http", "https"):
        if parts.netloc.lower().removeprefix("www.") not in _DOI_HOSTS:
            return ""
        text = unquote(parts.path).lstrip("/")
    text = re.sub(r"^doi:\s*", "", text, flags=re.IGNORECASE)
    return text.lower() if _DOI.match(text) else ""


def source_key(url: str) -> str:
    """The bibliography key of a source address: 'doi:<doi>' for a DOI link, else the URL itself."""
    doi = normalise_doi(url)
    return f"doi:{doi}" if doi else url


def split_authors(cell: str) -> tuple[str, ...]:
    """Authors are separated by semicolons: 'Brewer, J. A.; Worhunsky, P. D.'."""
    return tuple(a.strip() for a in cell.split(";") if a.strip())


def cite(ref: Reference) -> str:
    """'Authors (Year). Title. Container.' with the parts the entry has; '' without a title."""
    if not ref.title:
        return ""
    lead, title, container = citation_parts(ref)
    return " ".join(p for p in (lead, f"{title}.", f"{container}." if container else "") if p)


def validate_sources(table: Table | None) -> tuple[dict[str, Reference], list[Problem]]:
    """Check sources.csv; return the references by key (a row with a DOI and a URL under both)."""
    problems: list[Problem] = []
    refs: dict[str, Reference] = {}
    if table is None:
        return refs, problems
    f = table.file
    if table.header and not {"url", "doi"} & set(table.header):
        problems.append(Problem(f, 1, "", "needs a 'url' or a 'doi' column to say which source each row describes"))
        return refs, problems
    first: dict[str, int] = {}
    this_year = date.today().year
    for row, line in zip(table.rows, table.lines):
        url, doi_cell = row.get("url", ""), row.get("doi", "")
        doi = normalise_doi(doi_cell) if doi_cell else normalise_doi(url)
        ok = _source_cells(url, doi_cell, doi, (f, line), problems)
        year = row.get("year", "")
        if year and not (year.isdigit() and len(year) == 4 and 1500 <= int(year) <= this_year + 1):
            problems.append(Problem(f, line, "year", f"year {show(year, 80)} is not a year such as 2011"))
            ok = False
        keys = [k for k in (f"doi:{doi}" if doi else "", url if url and not normalise_doi(url) else "") if k]
        for key in keys:
            if key in first:
                what = key.removeprefix("doi:")
                problems.append(
                    Problem(
                        f,
                        line,
                        "doi" if key.startswith("doi:") else "url",
                        f"{show(what, 80)} is already described on line {first[key]}; keep one row",
                    )
                )
                ok = False
        if not ok:
            continue
        ref = Reference(
            url, doi, row.get("title", ""), split_authors(row.get("authors", "")), year, row.get("container", ""), line
        )
        for key in keys:
            first[key] = line
            refs[key] = ref
    return refs, problems


def _source_cells(url: str, doi_cell: str, doi: str, where: tuple[str, int], problems: list[Problem]) -> bool:
    """Whether the row names its source by a well-formed DOI or http(s) URL (`doi`: the DOI read from them)."""
    ok = True
    if doi_cell and not doi:
        message = f"doi {show(doi_cell, 80)} is not a DOI; write it as 10.1234/abc or https://doi.org/10.1234/abc"
        problems.append(Problem(*where, "doi", message))
        ok = False
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or "." not in parts.netloc:
            problems.append(Problem(*where, "url", f"url {show(url, 80)} is not an http(s) URL; write it as https://…"))
            ok = False
    if not url and not doi_cell:
        problems.append(Problem(*where, "url", "needs a url or a doi: which source does this row describe?"))
        ok = False
    return ok


def citation_parts(ref: Reference) -> tuple[str, str, str]:
    """(lead, title, container) of cite(ref): 'Authors (Year).', the title without its final stop, the container."""
    names = list(ref.authors)
    if len(names) > 6:
        who = ", ".join(names[:6]) + ", et al."
    elif len(names) > 1:
        who = ", ".join(names[:-1]) + ", & " + names[-1]
    else:
        who = names[0] if names else ""
    if who and ref.year:
        lead = f"{who} ({ref.year})."
    elif who:
        lead = who if who.endswith(".") else f"{who}."
    else:
        lead = f"({ref.year})." if ref.year else ""
    return lead, ref.title.rstrip(". "), ref.container.rstrip(". ")


def _author(name: str) -> dict[str, str]:
    """'Family, G.' is a person; a name without a comma ('World Health Organization') an organisation."""
    return {"@type": "Person" if "," in name else "Organization", "name": name}


def citation_entity(url: str, ref: Reference | None) -> dict:
    """A schema.org citation: ScholarlyArticle for a DOI, CreativeWork otherwise; a bare CreativeWork without an entry."""
    if ref is None or not ref.title:
        return {"@type": "CreativeWork", "url": url}
    entity: dict = {"@type": "ScholarlyArticle" if ref.doi else "CreativeWork", "name": ref.title, "url": url}
    if ref.authors:
        entity["author"] = [_author(a) for a in ref.authors]
    if ref.year:
        entity["datePublished"] = ref.year
    if ref.container:
        entity["isPartOf"] = {"@type": "Periodical" if ref.doi else "CreativeWork", "name": ref.container}
    if ref.doi:
        entity["identifier"] = {"@type": "PropertyValue", "propertyID": "DOI", "value": ref.doi}
    return entity
