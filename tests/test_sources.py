"""Sources as references: data/sources.csv, citations on pages and in JSON-LD, and `sources --fetch`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import lxml.html
import pytest
from conftest import FIXTURES, ROOT, build_site

from pipeline.cli import main
from pipeline.data.crossref import reference_from
from pipeline.data.load import parse_csv
from pipeline.data.sources import SOURCES_REQUIRED, cite, normalise_doi, validate_sources
from pipeline.data.sourcesfile import fetch_titles

RECORDED = FIXTURES / "crossref" / "works-10.1371-journal.pone.0033693.json"
DOI = "10.1371/journal.pone.0033693"
PAIR = "compassion-fatigue-and-default-mode-network"


def recorded(doi: str) -> dict | None:
    """Crossref as recorded: the one DOI we have a response for; any other is unknown (404)."""
    return json.loads(RECORDED.read_text(encoding="utf-8"))["message"] if doi == DOI else None


def _data(tmp_path: Path, sources: str | None) -> Path:
    """The small fixture, its editor pair citing the recorded DOI (in another spelling) besides its own source."""
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "small", data)
    pairs = data / "pairs.csv"
    text = pairs.read_text(encoding="utf-8")
    pairs.write_text(
        text.replace(
            "https://doi.org/10.1073/pnas.98.2.676",
            f"https://dx.doi.org/{DOI.upper()} https://doi.org/10.1073/pnas.98.2.676",
        ),
        encoding="utf-8",
    )
    if sources is not None:
        (data / "sources.csv").write_text(sources, encoding="utf-8")
    return data


def test_crossref_work_becomes_a_reference_and_a_citation():
    ref = reference_from(DOI, recorded(DOI))
    assert ref.title.startswith("Methylphenidate Exposure Induces Dopamine Neuron Loss")
    assert ref.authors[:2] == ("Sadasivan, S.", "Pond, B. B.") and len(ref.authors) == 6
    assert (ref.year, ref.container) == ("2012", "PLoS ONE")
    assert cite(ref) == (
        "Sadasivan, S., Pond, B. B., Pani, A. K., Qu, C., Jiao, Y., & Smeyne, R. J. (2012). Methylphenidate Exposure "
        "Induces Dopamine Neuron Loss and Activation of Microglia in the Basal Ganglia of Mice. PLoS ONE."
    )


def test_dois_match_in_any_spelling():
    assert normalise_doi("https://dx.doi.org/10.1371/JOURNAL.PONE.0033693") == DOI
    assert normalise_doi("doi:10.1371/journal.pone.0033693") == DOI
    assert normalise_doi("https://example.org/10.1371/x") == ""


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (",,A title,,,", "sources.csv:2: column 'url': needs a url or a doi"),
        (",10.1/x,A title,,,", "sources.csv:2: column 'doi': doi '10.1/x' is not a DOI"),
        ("ftp://x.org,,A title,,,", "sources.csv:2: column 'url': url 'ftp://x.org' is not an http(s) URL"),
        ("https://x.org/a,,A title,,circa 2000,", "sources.csv:2: column 'year': year 'circa 2000' is not a year"),
    ],
)
def test_bad_source_rows_are_named_by_file_line_and_column(row, message):
    table, problems = parse_csv(
        f"url,doi,title,authors,year,container\n{row}\n".encode(), "sources.csv", SOURCES_REQUIRED
    )
    refs, more = validate_sources(table)
    assert problems == [] and refs == {}
    assert str(more[0]).startswith(message)


def test_the_same_doi_twice_is_one_problem():
    text = f"url,doi,title\nhttps://doi.org/{DOI},,A\n,{DOI.upper()},B\n"
    table, _ = parse_csv(text.encode(), "sources.csv", SOURCES_REQUIRED)
    _, problems = validate_sources(table)
    assert [str(p) for p in problems] == [
        f"sources.csv:3: column 'doi': '{DOI}' is already described on line 2; keep one row"
    ]


def test_pages_show_references_and_cite_them_as_scholarly_articles(tmp_path):
    bib = (
        "doi,title,authors,year,container\n"
        f"{DOI},Methylphenidate Exposure Induces Dopamine Neuron Loss and Activation of Microglia in the Basal Ganglia "
        "of Mice,Sadasivan, S.; Pond, B. B.,2012,PLoS ONE\n"
    ).replace("Sadasivan, S.; Pond, B. B.", '"Sadasivan, S.; Pond, B. B."')
    out = tmp_path / "output"
    build_site(_data(tmp_path, bib), out)
    doc = lxml.html.parse(str(out / PAIR / "index.html")).getroot()
    items = doc.xpath("//ol[@class='sources']/li")
    first = " ".join(items[0].text_content().split())
    assert first == (
        "Sadasivan, S., & Pond, B. B. (2012). Methylphenidate Exposure Induces Dopamine Neuron Loss and Activation of "
        "Microglia in the Basal Ganglia of Mice. PLoS ONE."
    )
    assert items[0].xpath(".//a/@href") == [f"https://doi.org/{DOI}"]
    assert "Research article, doi:10.1073/pnas.98.2.676" in items[1].text_content()  # no entry: the label as before
    graph = json.loads(doc.xpath("//script[@type='application/ld+json']")[0].text)["@graph"][0]
    article, untitled = graph["citation"][:2]
    assert article["@type"] == "ScholarlyArticle" and article["name"].startswith("Methylphenidate Exposure")
    assert article["author"][0] == {"@type": "Person", "name": "Sadasivan, S."}
    assert article["datePublished"] == "2012" and article["isPartOf"]["name"] == "PLoS ONE"
    assert untitled == {"@type": "CreativeWork", "url": "https://doi.org/10.1073/pnas.98.2.676"}


def test_fetch_fills_titles_from_crossref_keeps_the_editors_bytes_and_asks_once(tmp_path):
    # An editor's row for the cited DOI, with its own year and a comment column; the rest is left to Crossref.
    original = f"doi,title,year,comment\r\n{DOI},,2011,checked by hand\r\n"
    data = _data(tmp_path, original)
    asked: list[str] = []

    def get(doi):
        asked.append(doi)
        return recorded(doi)

    cache = tmp_path / "cache"
    done = fetch_titles(data, cache, get=get, sleep=lambda s: None)
    assert sorted(asked) == ["10.1073/pnas.98.2.676", DOI]  # the DOIs without a title, nothing else
    assert (done.filled, done.added, done.unknown) == (1, 0, ["10.1073/pnas.98.2.676"])
    text = (data / "sources.csv").read_bytes().decode("utf-8")
    assert text.startswith("doi,title,year,comment,authors,container\r\n")
    assert ",2011,checked by hand" in text  # the editor's year is kept, not replaced by Crossref's 2012
    assert "Methylphenidate Exposure Induces Dopamine Neuron Loss" in text and "Sadasivan, S.; Pond, B. B.;" in text
    assert sorted(p.name for p in cache.iterdir()) == [
        "10.1073%2Fpnas.98.2.676.json",
        "10.1371%2Fjournal.pone.0033693.json",
    ]
    asked.clear()
    again = fetch_titles(data, cache, get=get, sleep=lambda s: None)
    assert asked == [] and again.asked == 0 and again.filled == again.added == 0  # answers (a 404 too) are cached
    assert done.untitled == again.untitled
    assert "https://doi.org/10.1073/pnas.98.2.676" in done.untitled
    assert f"https://dx.doi.org/{DOI.upper()}" not in done.untitled


def test_sources_command_lists_untitled_sources_and_never_goes_online_without_fetch(tmp_path, capsys):
    data = _data(tmp_path, None)
    (data / "links.csv").write_text(
        "subject,relation,object,sources\nawe,eases,procrastination,https://example.org/linked-study\n",
        encoding="utf-8",
    )
    assert main(["sources", "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert "https://example.org/linked-study (cited 1 time(s))" in out  # links.csv's sources count too
    assert "without a title" in out and f"https://dx.doi.org/{DOI.upper()}" in out
    assert "python -m pipeline sources --fetch" in out
    assert not (data / "sources.csv").exists()


def test_shipped_sources_csv_follows_the_contract():
    table, problems = parse_csv((ROOT / "data" / "sources.csv").read_bytes(), "sources.csv", SOURCES_REQUIRED)
    assert problems == [] and validate_sources(table)[1] == []


def test_fetch_offline_says_so_and_changes_nothing(tmp_path, capsys, monkeypatch):
    import pipeline.data.crossref as crossref

    data = _data(tmp_path, "doi,title\n")

    def offline(mailto=None):
        def get(doi):
            raise ConnectionError("Name or service not known")

        return get

    monkeypatch.setattr(crossref, "crossref_client", offline)
    assert main(["sources", "--data", str(data), "--fetch", "--cache", str(tmp_path / "cache")]) == 1
    assert "Crossref could not be reached or failed (ConnectionError" in capsys.readouterr().err
    assert (data / "sources.csv").read_text(encoding="utf-8") == "doi,title\n"
