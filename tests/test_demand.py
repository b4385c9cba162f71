"""Search-demand exports: every tool's format recognised by its header, matched to pairs and topics."""

from __future__ import annotations

import shutil
import tracemalloc
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.data.demand_match import load_demand, mentioned, normalise, topic_names
from pipeline.problems import ContractError
from pipeline.site.build import load_inputs

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "fixtures" / "small"
DEMAND = ROOT / "tests" / "fixtures" / "demand"
BASE = "https://bringwise.app/library"


def _data(tmp_path: Path, *files: str) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    for f in ("topics.csv", "pairs.csv"):
        shutil.copy(SMALL / f, data / f)
    (data / "demand").mkdir()
    for f in files:
        shutil.copy(DEMAND / f, data / "demand" / f)
    return data


def _topics(data: Path):
    return load_inputs(data, ROOT / "templates", Config()).topics


def test_every_format_and_encoding_is_read_and_matched(tmp_path):
    data = _data(tmp_path, *(p.name for p in DEMAND.iterdir()))
    d = load_demand(data, _topics(data), BASE)
    ptsd = d.pairs[("mindfulness", "post-traumatic-stress-disorder")]
    # Semrush (byte-order mark, "1,300"), Search Console (CTR "2.5%"), in either order and with any glue.
    assert ptsd == {
        "mindfulness for ptsd": (1300, "semrush-keywords.csv", "searches/month"),
        "ptsd and mindfulness": (880, "semrush-keywords.csv", "searches/month"),
        "mindfulness ptsd": (3200, "Queries.csv", "impressions"),
    }
    # Ahrefs (UTF-16 little-endian, tabs), by abbreviation.
    assert d.pairs[("compassion-fatigue", "default-mode-network")]["dmn and compassion fatigue"][0] == 40
    assert d.pairs[("default-mode-network", "mindfulness")]["default mode network mindfulness"][0] == 590
    # Excel in a German locale: semicolons, '1.450' thousands, '0,97 %', Windows-1252.
    assert d.pairs[("compassion-fatigue", "mindfulness")]["mindfulness und compassion fatigue"][0] == 1450
    # plain keyword,volume; a full name with a hyphen.
    assert ("post-traumatic-stress-disorder", "procrastination") in d.pairs
    # One topic named: its hub.
    assert d.topics["procrastination"]["procrastination"][0] == 49500
    # Pages.csv: pages by URL, a page with no impressions kept (pruning).
    assert d.pages["compassion-fatigue-and-default-mode-network/"]
    assert d.pages["topics/mindfulness/"]["https://bringwise.app/library/topics/mindfulness/"][0] == 2113
    assert d.page_exports == ["Pages.csv"]


def test_variants_match_only_where_no_other_topic_shares_them():
    import pandas as pd

    topics = pd.DataFrame(
        [
            {"slug": "anxiety", "name": "Anxiety", "name_in_text": "", "abbreviation": ""},
            {"slug": "social-anxiety-disorder", "name": "Social Anxiety Disorder", "abbreviation": ""},
            {"slug": "sleep", "name": "Sleep"},
            {"slug": "sleep-hygiene", "name": "Sleep Hygiene"},
            {"slug": "people-pleasing", "name": "People-Pleasing"},
            {
                "slug": "default-mode-network",
                "name": "Default Mode Network",
                "name_in_text": "the default mode network",
            },
        ]
    )
    names = topic_names(topics)
    assert mentioned(normalise("Social anxiety disorder vs anxiety"), names) == ["social-anxiety-disorder", "anxiety"]
    assert mentioned(normalise("sleep hygiene for better sleep"), names) == ["sleep-hygiene", "sleep"]
    assert mentioned(normalise("peoplepleasing and anxiety"), names) == ["people-pleasing", "anxiety"]
    assert mentioned(normalise("does the default-mode network affect sleep?"), names) == [
        "default-mode-network",
        "sleep",
    ]
    assert mentioned(normalise("weather tomorrow"), names) == []


def test_unknown_header_stops_naming_the_file_and_the_formats(tmp_path):
    data = _data(tmp_path)
    (data / "demand" / "export.csv").write_text("Query,Searches\nanxiety,10\n", encoding="utf-8")
    with pytest.raises(ContractError) as err:
        load_demand(data, _topics(data), BASE)
    [problem] = err.value.problems
    assert problem.file.endswith("demand/export.csv") and problem.line == 1
    assert "Query, Searches" in problem.message and "Top queries" in problem.message and "Keyword" in problem.message


def test_bad_number_names_file_line_and_column(tmp_path):
    data = _data(tmp_path)
    (data / "demand" / "keywords.csv").write_text("keyword,volume\nawe,10\nmindfulness and awe,lots\n")
    (data / "demand" / "Queries.csv").write_text("Top queries,Clicks,Impressions,CTR,Position\nawe,1,20,high,3\n")
    with pytest.raises(ContractError) as err:
        load_demand(data, _topics(data), BASE)
    assert [(p.file.split("/")[-1], p.line, p.column) for p in err.value.problems] == [
        ("Queries.csv", 2, "CTR"),
        ("keywords.csv", 3, "volume"),
    ]
    assert "'lots' is not a whole number" in str(err.value)


def test_empty_folder_header_only_and_duplicated_exports(tmp_path):
    data = _data(tmp_path)
    assert not load_demand(data, _topics(data), BASE)
    (data / "demand" / "keywords.csv").write_text("keyword,volume\n")
    shutil.copy(DEMAND / "semrush-keywords.csv", data / "demand" / "semrush.csv")
    shutil.copy(DEMAND / "semrush-keywords.csv", data / "demand" / "semrush (1).csv")
    d = load_demand(data, _topics(data), BASE)
    assert d.topics["procrastination"]["procrastination"][0] == 49500  # not 99,000
    assert any("semrush.csv repeats semrush (1).csv" in n for n in d.notes)
    assert any("keywords.csv has no rows" in n for n in d.notes)


def test_a_large_export_is_streamed(tmp_path):
    data = _data(tmp_path)
    with open(data / "demand" / "big.csv", "w") as f:
        f.write("keyword,volume\n")
        for k in range(40_000):
            f.write(f"unrelated query number {k} about the weather,{k % 900 + 10}\n")
        f.write("mindfulness and awe,70\n")
    topics = _topics(data)
    tracemalloc.start()
    d = load_demand(data, topics, BASE)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert d.pairs[("awe", "mindfulness")]["mindfulness and awe"][0] == 70
    assert peak < 1_000_000  # the 2 MB file is never held
