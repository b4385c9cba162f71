"""Who stands behind a page: data/people.csv, /people/<id>/ pages, reviewer bylines and the editorial policy."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import lxml.html
import pytest
from conftest import FIXTURES, build_site, cli_build

from pipeline.data.load import parse_csv
from pipeline.data.people import PEOPLE_REQUIRED, validate_people

# Fixture people (not real): the shipped data names no one.
PEOPLE = (
    "id,name,role,credentials,bio,profile_url,same_as\n"
    "ada-example,Ada Example,Clinical reviewer,PhD in Clinical Psychology,"
    '"Ada Example reviews pages on stress and trauma. She has worked with carers.",'
    "https://example.org/ada,https://orcid.example/0000-0000 https://example.net/ada\n"
    "sam-sample,Sam Sample,Editor,,,,\n"
)


def _data(tmp_path: Path, people: str | None = PEOPLE, reviewer: str = "ada-example") -> Path:
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "small", data)
    pairs = data / "pairs.csv"
    pairs.write_text(pairs.read_text(encoding="utf-8").replace("Bringwise editorial team", reviewer), encoding="utf-8")
    if people is not None:
        (data / "people.csv").write_text(people, encoding="utf-8")
    return data


def _doc(path: Path):
    return lxml.html.parse(str(path)).getroot()


def _jsonld(doc) -> dict:
    return json.loads(doc.xpath("//script[@type='application/ld+json']")[0].text)


@pytest.fixture(scope="module")
def people_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("people")
    out = tmp / "output"
    result = build_site(_data(tmp), out)
    return out, result


def test_pair_page_names_its_reviewer_with_credentials_and_links_to_their_page(people_site):
    out, _ = people_site
    doc = _doc(out / "compassion-fatigue-and-default-mode-network" / "index.html")
    byline = doc.xpath("//p[@class='byline']")[0]
    assert "Reviewed by Ada Example, PhD in Clinical Psychology on November 25, 2026" in byline.text_content()
    assert byline.xpath(".//a/@href") == ["../people/ada-example/"]
    reviewer = _jsonld(doc)["@graph"][0]["reviewedBy"]
    assert reviewer["@type"] == "Person" and reviewer["name"] == "Ada Example"
    assert reviewer["url"] == "https://bringwise.app/library/people/ada-example/"
    assert reviewer["sameAs"] == [
        "https://example.org/ada",
        "https://orcid.example/0000-0000",
        "https://example.net/ada",
    ]
    assert reviewer["hasCredential"]["name"] == "PhD in Clinical Psychology"


def test_each_person_has_a_page_with_role_credentials_and_the_pages_they_reviewed(people_site):
    out, result = people_site
    doc = _doc(out / "people" / "ada-example" / "index.html")
    assert doc.xpath("//h1")[0].text_content() == "Ada Example"
    text = doc.text_content()
    assert "Clinical reviewer · PhD in Clinical Psychology" in text and "She has worked with carers." in text
    reviewed = doc.xpath("//ul[@class='pairs']//a")
    assert [(a.text_content(), a.get("href")) for a in reviewed] == [
        ("Compassion Fatigue and Default Mode Network", "../../compassion-fatigue-and-default-mode-network/")
    ]
    graph = _jsonld(doc)["@graph"][0]
    assert graph["@type"] == "ProfilePage" and graph["mainEntity"]["@type"] == "Person"
    # Someone who reviewed nothing published still has a page, which says so.
    assert "No published page names Sam Sample" in _doc(out / "people" / "sam-sample" / "index.html").text_content()
    assert {"people/ada-example/", "people/sam-sample/", "editorial-policy/"} <= {p.url for p in result.pages}
    sitemap = (out / "sitemap-1.xml").read_text(encoding="utf-8")
    assert "/people/ada-example/</loc>" in sitemap and "/editorial-policy/</loc>" in sitemap


def test_every_page_footer_links_the_editorial_policy_and_about_names_the_reviewers(people_site):
    out, _ = people_site
    preview = out.parent / "preview"
    pages = [out / "index.html", out / "about/index.html", out / "topics/awe/index.html"]
    for page in [*pages, preview / "awe-and-mindfulness/index.html"]:  # a draft, in the preview
        footer = _doc(page).xpath("//footer")[0]
        assert "Editorial policy" in [a.text_content() for a in footer.xpath(".//a")], page
    about = _doc(out / "about" / "index.html")
    assert "../people/ada-example/" in about.xpath("//main//a/@href")
    assert "../editorial-policy/" in about.xpath("//main//a/@href")
    policy = _doc(out / "editorial-policy" / "index.html").text_content()
    for heading in ("How Topics Are Chosen", "How Pages Are Written", "How Pages Are Reviewed", "Corrections"):
        assert heading in policy
    assert "Ada Example, PhD in Clinical Psychology" in policy


def test_without_people_the_policy_says_no_one_is_named_and_the_byline_keeps_the_free_text(tmp_path, capsys):
    out = tmp_path / "output"
    assert cli_build(_data(tmp_path, people=None, reviewer="Bringwise editorial team"), out, "--no-audit") == 0
    printed = capsys.readouterr().out
    assert (
        "pairs.csv:2: column 'reviewed_by': 'Bringwise editorial team' (line 2) is not a person id in people.csv"
        in printed
    )
    assert not (out / "people").exists()
    policy = _doc(out / "editorial-policy" / "index.html").text_content()
    assert "No individual reviewer is named on the pages yet" in policy
    byline = _doc(out / "compassion-fatigue-and-default-mode-network" / "index.html").xpath("//p[@class='byline']")[0]
    assert "Reviewed by Bringwise editorial team" in byline.text_content() and not byline.xpath(".//a")


def test_a_free_text_name_of_a_listed_person_suggests_their_id(tmp_path, capsys):
    assert cli_build(_data(tmp_path, reviewer="Ada Example"), tmp_path / "output", "--no-audit") == 0
    assert (
        "is not a person id in people.csv, so it is shown as written, with no profile; write its id 'ada-example'"
        in (capsys.readouterr().out)
    )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (",Nobody,,,,,", "people.csv:2: column 'id': required cell is empty; every person needs id and name"),
        ("Ada Ex,Ada,,,,,", "people.csv:2: column 'id': id 'Ada Ex' is not a URL slug"),
        (
            "ada,Ada,,,,ftp://x.org,",
            "people.csv:2: column 'profile_url': profile_url 'ftp://x.org' is not an http(s) URL",
        ),
        ("ada,Ada,,,,,orcid", "people.csv:2: column 'same_as': same_as 'orcid' is not an http(s) URL"),
    ],
)
def test_bad_people_rows_are_named_by_file_line_and_column(row, message):
    table, problems = parse_csv(
        f"id,name,role,credentials,bio,profile_url,same_as\n{row}\n".encode(), "people.csv", PEOPLE_REQUIRED
    )
    people, more = validate_people(table)
    assert problems == [] and people == {}
    assert [str(p) for p in more][0].startswith(message)


def test_bad_people_csv_stops_the_build_and_writes_nothing(tmp_path, capsys):
    people = "id,name\nada,Ada\nada,Ada Again\n"
    out = tmp_path / "output"
    assert cli_build(_data(tmp_path, people=people, reviewer="ada"), out) == 2
    err = capsys.readouterr().err
    assert "people.csv:3: column 'id': id 'ada' is already used on line 2; ids must be unique" in err
    assert not out.exists()


def test_the_audit_asks_for_a_named_reviewer_only_where_none_is_named(people_site, tmp_path):
    from conftest import ROOT

    from pipeline.audit import audit_site
    from pipeline.config import load_config

    cfg = load_config(ROOT / "site.toml")
    out, _ = people_site
    named = audit_site(out, cfg)
    assert not [f for f in named.findings if f.check == "reviewer-missing"]
    # The same data with the organisation as reviewer: every approved pair page gets the YMYL warning.
    other = tmp_path / "org" / "output"
    build_site(_data(tmp_path / "org", people=None, reviewer="Bringwise editorial team"), other)
    found = [f for f in audit_site(other, cfg).findings if f.check == "reviewer-missing"]
    assert [(f.url, f.severity) for f in found] == [("compassion-fatigue-and-default-mode-network/", "warning")]
    assert found[0].message.startswith("YMYL: no named reviewer (reviewed by an Organization)")
