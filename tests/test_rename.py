"""`python -m pipeline rename OLD NEW`: every data file follows, byte for byte apart from the renamed cells."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.cli import main
from tests.conftest import FIXTURES, cli_build
from tests.test_spreadsheets import _resave

SMALL = FIXTURES / "small"
LINKS = (
    "subject,relation,object,sources,note,checked_by,checked_on\r\n"
    "mindfulness,eases,default-mode-network,https://doi.org/10.1073/pnas.98.2.676,,,\r\n"
    "awe,involves,default-mode-network,,,,\r\n"
)


def _rename(data: Path, capsys, *names: str) -> tuple[int, str, str]:
    code = main(["rename", *names, "--data", str(data)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_rename_changes_only_the_renamed_cells_in_every_file(tmp_path, capsys):
    data = tmp_path / "data"
    _resave(SMALL, data, ";", "utf-8-sig", "\r\n")  # as Excel saves in a European locale
    (data / "links.csv").write_bytes(LINKS.encode())
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    code, out, err = _rename(data, capsys, "default-mode-network", "dmn")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == (
        f"Renamed 'default-mode-network' to 'dmn' in {data / 'topics.csv'} (line 3; 'default-mode-network' added "
        f"to its old_slugs) and {data / 'pairs.csv'} (1 row(s): line 2) and {data / 'links.csv'} (2 row(s): line 2, 3)."
    )
    after = {p.name: p.read_bytes() for p in data.iterdir()}
    assert sorted(after) == sorted(before), "no temporary file is left"
    old_topics, new_topics = before["topics.csv"].split(b"\r\n"), after["topics.csv"].split(b"\r\n")
    assert new_topics[0] == old_topics[0] + b";old_slugs"
    assert new_topics[2] == old_topics[2].replace(b";;the default", b";dmn;the default") + b";default-mode-network"
    assert [x for i, x in enumerate(new_topics) if i not in (0, 2)] == [
        x for i, x in enumerate(old_topics) if i not in (0, 2)
    ]
    assert after["pairs.csv"] == before["pairs.csv"].replace(b"\r\ndefault-mode-network;", b"\r\ndmn;")
    assert after["links.csv"] == LINKS.replace(",default-mode-network,", ",dmn,").encode()


def test_after_a_rename_the_build_publishes_the_new_urls_and_redirects_the_old(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(SMALL, data)
    out = tmp_path / "output"
    assert cli_build(data, out, "--no-audit") == 0
    assert _rename(data, capsys, "default-mode-network", "dmn")[0] == 0
    assert cli_build(data, out, "--no-audit") == 0
    printed = capsys.readouterr().out
    assert "removed since the last build" in printed and "→ compassion-fatigue-and-dmn/ (permanent redirect)" in printed
    page = (out / "compassion-fatigue-and-dmn" / "index.html").read_text(encoding="utf-8")
    assert "Direct research on compassion fatigue and the default mode network is limited." in page
    redirects = (out.parent / "deploy" / "_redirects").read_text(encoding="utf-8").splitlines()
    assert "/library/compassion-fatigue-and-default-mode-network/ /library/compassion-fatigue-and-dmn/ 301" in redirects
    assert "/library/topics/default-mode-network/ /library/topics/dmn/ 301" in redirects


@pytest.mark.parametrize(
    "names, message",
    [
        (
            ("loneliness", "solitude"),
            "no topic in topics.csv has the slug 'loneliness'; see the topic's hub URL for its slug",
        ),
        (("awe", "mindfulness"), "'mindfulness' is already the slug of another topic; choose another slug or merge"),
        (("awe", "Sense of Awe"), "'Sense of Awe' is not a URL slug (lower-case letters, digits and single hyphens); "),
        (("awe", "awe"), "'awe' and 'awe' are the same slug; nothing to rename"),
    ],
)
def test_a_rename_that_cannot_be_done_changes_nothing(names, message, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(SMALL, data)
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    code, out, err = _rename(data, capsys, *names)
    assert code == 2 and out == ""
    assert err.startswith(f"Stopped: {message}") and err.endswith("; nothing was changed.\n")
    assert {p.name: p.read_bytes() for p in data.iterdir()} == before


def test_a_topic_renamed_by_hand_gets_its_references_updated(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(SMALL, data)
    topics = data / "topics.csv"
    text = (
        topics.read_text(encoding="utf-8")
        .replace("updated_on\n", "updated_on,old_slugs\n")
        .replace("Default Mode Network,brain,", "Default Mode Network,brain,", 1)
    )
    text = text.replace(",,the default mode network,", ",dmn,the default mode network,").replace(
        "2026-11-21\n", "2026-11-21,default-mode-network\n"
    )
    topics.write_text(text, encoding="utf-8")
    code, out, err = _rename(data, capsys, "default-mode-network", "dmn")
    assert (code, err) == (0, "")
    assert topics.read_text(encoding="utf-8") == text
    assert out.startswith(f"Renamed 'default-mode-network' to 'dmn' in {data / 'pairs.csv'} (1 row(s): line 2).")
    assert (data / "pairs.csv").read_text(encoding="utf-8").splitlines()[1].startswith("dmn,compassion-fatigue,")
