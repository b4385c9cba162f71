"""Removing a topic never silently drops indexed pages; removed pages redirect to a topic, home, or answer 410."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from tests.conftest import FIXTURES, ROOT, cli_build
from tests.test_history import _edit_topics
from tests.test_validation import tree_hash

SMALL = FIXTURES / "small"


def _build(data: Path, out: Path, capsys, *extra: str) -> tuple[int, str, str]:
    # Unlisted pairs published (noindex), so that removed topics take published pages with them.
    config = data.parent / "site.toml"
    if not config.exists():
        text = (ROOT / "site.toml").read_text(encoding="utf-8")
        config.write_text(text.replace('default_status = "review"', 'default_status = "noindex"'), encoding="utf-8")
    code = cli_build(data, out, "--workers", "1", "--no-audit", *extra, config=config)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _drop_pairs(data: Path, *slugs: str) -> None:
    """Remove the pairs.csv rows that name any of `slugs`."""
    with (data / "pairs.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    keep = [rows[0]] + [r for r in rows[1:] if not set(r[:2]) & set(slugs)]
    with (data / "pairs.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(keep)


def _rules(out: Path) -> dict[str, tuple[str, str]]:
    rules = {}
    for line in (out.parent / "deploy" / "_redirects").read_text(encoding="utf-8").splitlines():
        old, new, code = line.split(" ")
        rules[old.removeprefix("/library/")] = (new.removeprefix("/library/"), code)
    return rules


def test_a_build_that_would_drop_indexed_pages_stops_and_lists_them(tmp_path, capsys):
    data, out = tmp_path / "data", tmp_path / "output"
    shutil.copytree(SMALL, data)
    assert _build(data, out, capsys)[0] == 0
    before = tree_hash(out)
    _edit_topics(data, {}, {"Default Mode Network"})
    _drop_pairs(data, "default-mode-network")
    code, printed, err = _build(data, out, capsys)
    assert (code, printed) == (2, "")
    assert err.splitlines() == [
        f"Stopped: this build would remove 2 indexed page(s) of {out}/; nothing was written.",
        "  /compassion-fatigue-and-default-mode-network/: topic 'default-mode-network' is no longer in topics.csv",
        "  /topics/default-mode-network/: topic 'default-mode-network' is no longer in topics.csv",
        "If a topic was renamed, put its old slug in its old_slugs cell (or run `python -m pipeline rename OLD NEW`) "
        "and its pages redirect. If the removal is intended, build again with --allow-removals "
        "(make build ARGS=--allow-removals): the removed pages then redirect to a topic's page or the home page, "
        "or answer 410 Gone. A pair an editor set to 'rejected' is removed on purpose and needs no flag.",
    ]
    assert tree_hash(out) == before


def test_renames_and_rejections_pass_the_guard(tmp_path, capsys):
    data, out = tmp_path / "data", tmp_path / "output"
    shutil.copytree(SMALL, data)
    assert _build(data, out, capsys)[0] == 0
    _edit_topics(data, {"Default Mode Network": ("DMN", "default-mode-network")}, set())
    assert _build(data, out, capsys)[0] == 0
    pairs = (data / "pairs.csv").read_text(encoding="utf-8")
    (data / "pairs.csv").write_text(pairs.replace("compassion-fatigue,approved,", "compassion-fatigue,rejected,"))
    code, printed, err = _build(data, out, capsys)
    assert (code, err) == (0, "")
    assert "    compassion-fatigue-and-dmn/ → topics/compassion-fatigue/ (removed; redirected)" in printed
    assert _rules(out)["compassion-fatigue-and-dmn/"] == ("topics/compassion-fatigue/", "301")


def test_removed_pages_redirect_or_answer_410_and_keep_doing_so(tmp_path, capsys):
    data, out = tmp_path / "data", tmp_path / "output"
    shutil.copytree(SMALL, data)
    assert _build(data, out, capsys)[0] == 0
    _edit_topics(data, {}, {"Awe", "Mindfulness"})
    _drop_pairs(data, "awe", "mindfulness")
    code, printed, err = _build(data, out, capsys, "--allow-removals")
    assert (code, err) == (0, "")
    assert (
        # Nine published pages (mindfulness × PTSD was a draft, never on the public site).
        "removed since the last build: 9 page(s), 0 of them redirected to their new URL, 8 to a related page, "
        "1 answer 410 Gone" in printed
    )
    assert "    awe-and-mindfulness/ (removed; answers 410 Gone)" in printed
    rules = _rules(out)
    assert rules["awe-and-mindfulness/"] == ("404.html", "410")
    assert rules["awe-and-compassion-fatigue/"] == ("topics/compassion-fatigue/", "301")
    assert rules["topics/awe/"] == ("", "301")
    nginx = (out.parent / "deploy" / "nginx-redirects.conf").read_text(encoding="utf-8")
    assert (
        "map $uri $bringwise_gone {\n    /library/awe-and-mindfulness/ 1;\n    /library/awe-and-mindfulness 1;\n}"
        in nginx
    )
    # A later build, with nothing removed, still redirects them; a topic that comes back is served again.
    text = (SMALL / "topics.csv").read_text(encoding="utf-8")
    awe = next(line for line in text.splitlines(keepends=True) if line.startswith("Awe,"))
    with (data / "topics.csv").open("a", encoding="utf-8") as f:
        f.write(awe)
    assert _build(data, out, capsys)[0] == 0
    rules = _rules(out)
    assert "topics/awe/" not in rules and (out / "topics" / "awe" / "index.html").is_file()
    assert rules["awe-and-mindfulness/"] == ("topics/awe/", "301")
    assert rules["mindfulness-and-procrastination/"] == ("topics/procrastination/", "301")
    assert "mindfulness-and-post-traumatic-stress-disorder/" not in rules  # a draft: nothing public to redirect
