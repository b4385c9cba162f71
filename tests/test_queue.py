"""The editors' queue: related pairs first without demand, the most-searched drafts first with it,
stale reviews and pruning candidates marked, from the command line, the build summary and the report."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

from pipeline.cli import main
from pipeline.config import Config
from pipeline.data.demand_match import load_demand
from pipeline.data.queue import QUEUE_COLUMNS, build_queue
from pipeline.data.review_hash import input_hash
from pipeline.site.build import load_inputs

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "fixtures" / "small"
DEMAND = ROOT / "tests" / "fixtures" / "demand"

TOPICS = """name,kind,description,category,effects,strategies,updated_on
Anxiety,condition,"Anxiety is a feeling of worry, tension or unease about what might happen.",Mood & Anxiety,persistent worry; muscle tension; restless sleep,name the worry,2026-11-01
Worry,process,"Worry is repetitive thinking about what might go wrong, a feeling of unease about the future.",Mood & Anxiety,persistent worry; muscle tension,write worries down,2026-11-01
Sleep,process,Sleep is the body's nightly period of rest.,Brain & Body,restored energy,keep a regular bedtime,2026-11-01
Insomnia,condition,Insomnia is persistent trouble falling or staying asleep.,Brain & Body,tiredness,keep a regular bedtime,2026-11-01
Déjà Vu,phenomenon,Déjà vu is the odd sense of having lived a moment before.,Curiosities,a fleeting odd sense,notice it,2026-11-01
"""
PAIRS = """topic_a,topic_b,status,relationship,sources,reviewed_by,reviewed_on
anxiety,sleep,approved,Anxiety can keep people awake.,https://example.org/a,Editor,2026-11-02
insomnia,sleep,approved,Insomnia is a sleep problem.,https://example.org/b,Editor,2026-11-02
"""


def _data(tmp_path: Path, topics: str = TOPICS, pairs: str = PAIRS) -> Path:
    data = tmp_path / "data"
    data.mkdir(parents=True)
    (data / "topics.csv").write_text(topics, encoding="utf-8")
    (data / "pairs.csv").write_text(pairs, encoding="utf-8")
    return data


def _queue(data: Path, **kw):
    inputs = load_inputs(data, ROOT / "templates", Config())
    demand = load_demand(data, inputs.topics, Config().base_url)
    return build_queue(inputs.topics, inputs.pairs, Config(), demand, **kw)


def test_without_demand_related_pairs_come_first_and_written_pairs_are_left_out(tmp_path):
    q = _queue(_data(tmp_path))
    assert tuple(q.columns) == QUEUE_COLUMNS
    assert len(q) == 10 - 2  # five topics make ten pairs; the two approved are written
    assert {"anxiety-and-sleep/", "insomnia-and-sleep/"}.isdisjoint(q.url)
    top = list(q.url[:2])
    assert set(top) == {"anxiety-and-worry/", "anxiety-and-insomnia/"}
    worry = q.set_index("url").loc["anxiety-and-worry/"]
    assert "same category (Mood & Anxiety)" in worry.reasons and "similar descriptions" in worry.reasons
    assert "linked through Sleep" in q.set_index("url").loc["anxiety-and-insomnia/"].reasons
    deja_vu = q[q.url.str.contains("deja-vu")]
    assert (deja_vu.score == 0).all() and (deja_vu.reasons == "no signal yet").all()  # nothing connects it
    assert list(q["rank"]) == list(range(1, 9)) and (q.flag == "").all() and (q.demand == 0).all()


def test_with_demand_the_most_searched_drafts_lead_whatever_the_export(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SMALL, data)
    shutil.copytree(DEMAND, data / "demand")
    q = _queue(data)
    drafts = q[q.flag == ""]
    assert drafts.url.iloc[0] == "mindfulness-and-post-traumatic-stress-disorder/"
    first = drafts.iloc[0]
    assert first.demand == 1300 + 880 + 3200
    assert "3,200 impressions (Queries.csv); 2,180 searches/month (semrush-keywords.csv)" in first.reasons
    assert drafts.url.iloc[1] == "compassion-fatigue-and-mindfulness/"  # 1,450 from the Excel export
    # The approved page listed with no impressions, the rejected pair people search for.
    flagged = q[q.flag != ""].set_index("url")
    assert flagged.loc["compassion-fatigue-and-default-mode-network/", "flag"] == "prune"
    assert flagged.loc["awe-and-procrastination/", "flag"] == "prune"
    assert "rejected, yet 20 searches" in flagged.loc["awe-and-procrastination/", "reasons"]
    assert list(q.status[q.flag == ""].unique()) == ["review"]


def test_a_review_whose_inputs_changed_is_stale_and_says_what_changed(tmp_path):
    topics = {"description": "Anxiety is a feeling of worry, tension or unease about what might happen.", "sources": ()}
    sleep = {"description": "Sleep is the body's nightly period of rest.", "sources": ()}
    pair = {"relationship": "Anxiety can keep people awake.", "sources": "https://example.org/a"}
    stamp = input_hash(topics, sleep, pair)
    pairs = (
        "topic_a,topic_b,status,relationship,sources,reviewed_by,reviewed_on,input_hash\n"
        f"anxiety,sleep,approved,Anxiety can keep people awake.,https://example.org/a,Editor,2026-11-02,{stamp}\n"
        "insomnia,sleep,approved,Insomnia is a sleep problem.,https://example.org/b,Editor,2026-11-02,\n"
    )
    q = _queue(_data(tmp_path, pairs=pairs))
    assert (q.flag == "").all()  # unchanged since the review
    edited = TOPICS.replace("Sleep is the body's nightly period of rest.", "Sleep is a nightly period of rest.")
    later = TOPICS.replace("Insomnia is persistent", "Insomnia is lasting").replace(
        "tiredness,keep a regular bedtime,2026-11-01", "tiredness,keep a regular bedtime,2026-11-09"
    )
    q = _queue(_data(tmp_path / "x", topics=edited, pairs=pairs))
    [stale] = q[q.flag == "stale"].itertuples()
    assert stale.rank == 1 and stale.url == "anxiety-and-sleep/" and stale.status == "approved"
    assert "changed since: Sleep's description or sources" in stale.reasons
    # Without a stored hash, a topic updated after the review date makes it stale.
    q = _queue(_data(tmp_path / "y", topics=later))
    [stale] = q[q.flag == "stale"].itertuples()
    assert stale.url == "insomnia-and-sleep/" and "Insomnia (updated 2026-11-09)" in stale.reasons


def test_queue_command_prints_a_table_or_csv_and_stops_on_an_unknown_export(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(SMALL, data)
    shutil.copytree(DEMAND, data / "demand")
    assert main(["queue", "--data", str(data), "--format", "csv", "--top", "3"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["rank"] for r in rows] == ["1", "2", "3"] and list(rows[0]) == list(QUEUE_COLUMNS)
    assert main(["queue", "--data", str(data), "--status", "noindex"]) == 0
    out = capsys.readouterr().out
    assert "mindfulness-and-post-traumatic-stress-disorder/" not in out  # a review draft
    assert main(["queue", "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert "   1  compassion-fatigue-and-default-mode-network/" in out and "prune" in out
    (data / "demand" / "export.csv").write_text("Query,Searches\nawe,10\n")
    assert main(["queue", "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert "demand/export.csv:1:" in err and "expected one of: Search Console queries" in err


def test_build_names_the_top_three_and_the_report_has_a_write_next_tab(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(SMALL, data)
    shutil.copytree(DEMAND, data / "demand")
    assert main(["build", "--data", str(data), "--out", str(tmp_path / "site"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "write next (make queue lists more):" in out
    assert "3. mindfulness-and-post-traumatic-stress-disorder/: 3,200 impressions (Queries.csv)" in out
    html = (tmp_path / "reports" / "seo-review.html").read_text(encoding="utf-8")
    assert 'href="#write-next">Write next</a>' in html and '<section id="write-next">' in html
    assert "/mindfulness-and-post-traumatic-stress-disorder/" in html  # a draft: listed, built into the preview only


def test_links_stated_in_links_csv_are_strong_signals(tmp_path):
    data = _data(tmp_path)
    (data / "links.csv").write_text(
        "subject,relation,object,sources\n"
        "worry,worsens,sleep,https://example.org/worry-sleep\n"
        "worry,worsens,insomnia,https://example.org/worry-insomnia\n",
        encoding="utf-8",
    )
    inputs = load_inputs(data, ROOT / "templates", Config())
    q = build_queue(inputs.topics, inputs.pairs, Config(), links=inputs.links).set_index("url")
    # Stated directly: before the pair that only shares a category and words.
    assert set(q.index[:2]) == {"sleep-and-worry/", "insomnia-and-worry/"}
    assert "links.csv: worry worsens sleep" in q.loc["sleep-and-worry/", "reasons"]
    assert "links.csv: worry worsens insomnia" in q.loc["insomnia-and-worry/", "reasons"]
    before = _queue(_data(tmp_path / "without")).set_index("url")
    assert q.loc["sleep-and-worry/", "relatedness"] > before.loc["sleep-and-worry/", "relatedness"] + 79


def test_shared_words_leave_out_words_any_advice_carries(tmp_path):
    """'people', 'short', 'doctor' are in every kind of advice: two topics sharing only them share no
    subject; a word of their own ('nightmares') still counts."""
    topics = TOPICS.replace(
        "persistent worry; muscle tension,write worries down",
        "people feel short of breath; vivid nightmares,ask a doctor about short breaks",
    ).replace("tiredness,keep a regular bedtime", "people feel tired; vivid nightmares,ask a doctor about short naps")
    q = _queue(_data(tmp_path, topics)).set_index("url")
    reasons = q.loc["insomnia-and-worry/", "reasons"]
    assert "shared effects/strategies words: nightmares, vivid" in reasons, reasons
    assert not any(w in reasons.split("words: ")[1] for w in ("people", "short", "doctor", "ask")), reasons
