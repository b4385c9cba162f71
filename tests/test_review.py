"""The review app through Starlette's TestClient: what an editor (and an attacker) gets back."""

from __future__ import annotations

import re
import shutil
import warnings
from datetime import date
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT
from lxml import html as lxml_html

with warnings.catch_warnings():  # Starlette suggests httpx2; the pinned httpx is what its TestClient needs here
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from pipeline.config import load_config
from pipeline.data.csvedit import CsvDoc, row_hash
from pipeline.review import publish
from pipeline.review.app import create_app
from pipeline.site.build import load_inputs, render_pair_page

BASE = "http://127.0.0.1:8001"
PAIR = "/pairs/mindfulness/post-traumatic-stress-disorder"
URL = "mindfulness-and-post-traumatic-stress-disorder/"


@pytest.fixture
def site(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "small", data)
    cfg = load_config(ROOT / "site.toml")
    out, reports = tmp_path / "output", tmp_path / "reports"
    publish.rebuild(load_inputs(data, ROOT / "templates", cfg), out, reports)
    app = create_app(data, ROOT / "templates", cfg, out, reports)
    client = TestClient(app, base_url=BASE)
    client.get("/")  # the CSRF cookie
    return client, data, out


def token(client: TestClient, path: str = PAIR) -> tuple[str, str]:
    """The form's csrf_token and row_hash as the page shows them."""
    page = client.get(path).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    shown = re.search(r'name="row_hash" value="([^"]*)"', page)
    return csrf, shown.group(1) if shown else ""


def form(client, **fields):
    csrf, shown = token(client)
    return {"csrf_token": csrf, "row_hash": shown, "status": "review", "relationship": "", "sources": ""} | fields


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


def test_the_queue_ranks_filters_and_counts(site):
    client, _, _ = site
    page = client.get("/")
    assert page.status_code == 200
    doc = lxml_html.fromstring(page.text)
    counts = {a.text.strip(): a.find("b").text for a in doc.cssselect(".counts .count")}
    assert counts == {"approved": "1", "review": "13", "noindex": "0", "rejected": "1", "all": "15"}
    ranks = [int(tr.cssselect("td")[1].text) for tr in doc.cssselect("table.rows tbody tr")]
    assert ranks == list(range(1, 16)), "in the queue's order"
    rows = lxml_html.fromstring(client.get("/?status=approved").text).cssselect("table.rows tbody tr")
    assert [r.cssselect("td a")[0].text for r in rows] == ["Compassion Fatigue and Default Mode Network"]
    rows = lxml_html.fromstring(client.get("/?q=awe&kind=behavior").text).cssselect("table.rows tbody tr")
    assert [r.cssselect("td a")[0].text for r in rows] == ["Awe and Procrastination"]


def test_either_order_redirects_to_the_canonical_pair(site):
    client, _, _ = site
    r = client.get("/pairs/post-traumatic-stress-disorder/mindfulness?status=review", follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"] == PAIR + "?status=review"


def test_the_preview_is_the_builds_page_and_the_form_shows_the_draft(site):
    client, data, out = site
    page = client.get(PAIR)
    doc = lxml_html.fromstring(page.text)
    form_ = doc.cssselect("form#pair-form")[0]
    assert form_.get("action") == PAIR and form_.get("method") == "post"
    names = {e.get("name") for e in form_.cssselect("input, select, textarea")}
    assert {"status", "relationship", "sources", "reviewed_by", "notes", "csrf_token"} <= names
    assert doc.cssselect("#draft-text p")[0].text_content().strip()
    built = (out.parent / "preview" / URL / "index.html").read_text(encoding="utf-8")  # a draft
    preview = doc.cssselect("iframe#preview")[0].get("srcdoc")
    assert preview == built.replace("<head>", f'<head>\n<base href="/site/{URL}">', 1)


NIMH = "https://www.nimh.nih.gov/health/topics/post-traumatic-stress-disorder-ptsd"


def test_approving_changes_exactly_that_row_and_publishes_the_page(site):
    client, data, out = site
    before = lines(data / "pairs.csv")
    text = "Mindfulness-based programmes are studied for PTSD.\n\nEvidence is mixed."
    r = client.post(
        PAIR,
        data=form(
            client,
            status="approved",
            relationship=text,
            sources=NIMH,  # a health page (PTSD is a condition) is approved only with a source
            reviewed_by="Ana Ruiz",
            notes="checked <b>twice</b>",
        ),
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == PAIR + "?saved=1"
    after = lines(data / "pairs.csv")
    assert after[0] == before[0] + b",notes,input_hash", "the notes and input_hash columns are added to the header only"
    assert after[1:4] == before[1:4] and after[-2:] == before[-2:] and len(after) == len(before) + 2
    assert after[4:6] == [
        b'mindfulness,post-traumatic-stress-disorder,approved,"Mindfulness-based programmes are studied for PTSD.',
        b"",
    ]
    end = (
        b'Evidence is mixed.",'
        + NIMH.encode()
        + b",Ana Ruiz,"
        + date.today().isoformat().encode()
        + b",checked <b>twice</b>,"
    )
    assert after[6].startswith(end) and len(after[6]) == len(end) + 12  # the review's input hash
    row = CsvDoc.read(data / "pairs.csv").row(1)
    assert row["status"] == "approved" and row["reviewed_by"] == "Ana Ruiz"
    assert row["reviewed_on"] == date.today().isoformat() and row["notes"] == "checked <b>twice</b>"
    built = (out / URL / "index.html").read_text(encoding="utf-8")  # approved: published now
    assert not (out.parent / "preview" / URL).exists()
    assert 'name="robots"' not in built and "Evidence is mixed." in built
    assert "checked" not in built, "notes are never published"
    page = client.get(r.headers["location"]).text
    assert "Saved to data/pairs.csv and rebuilt." in page and "indexable" in page
    assert "checked &lt;b&gt;twice&lt;/b&gt;" in page, "escaped in the form"


@pytest.mark.parametrize(
    "fields, message",
    [
        (
            {"status": "approved", "reviewed_by": ""},
            "column 'reviewed_by': an approved page needs the name of the editor who reviewed it",
        ),
        ({"status": "draft"}, "column 'status': status 'draft' is not one of approved, review, noindex, rejected"),
        ({"sources": "javascript:alert(1)"}, "column 'sources': source 'javascript:alert(1)' is not an http(s) URL"),
    ],
)
def test_bad_input_gets_the_contracts_message_and_nothing_is_written(site, fields, message):
    client, data, _ = site
    before = (data / "pairs.csv").read_bytes()
    r = client.post(PAIR, data=form(client, **fields))
    assert r.status_code == 422
    assert message in lxml_html.fromstring(r.text).cssselect(".problems")[0].text_content()
    assert (data / "pairs.csv").read_bytes() == before


def test_an_outside_edit_of_the_same_row_is_a_409_with_both_versions(site):
    client, data, _ = site
    fields = form(client, status="approved", reviewed_by="Ana", relationship="Mine.")
    path = data / "pairs.csv"
    path.write_bytes(
        path.read_bytes().replace(b"post-traumatic-stress-disorder,review,", b"post-traumatic-stress-disorder,noindex,")
    )
    theirs = path.read_bytes()
    r = client.post(PAIR, data=fields)
    assert r.status_code == 409
    cells = [td.text_content() for td in lxml_html.fromstring(r.text).cssselect("tr.differs td")]
    assert ["approved", "noindex"] == cells[:2] and "Mine." in cells
    assert path.read_bytes() == theirs, "their edit is never overwritten"


def test_an_outside_edit_of_another_row_is_merged(site):
    client, data, _ = site
    fields = form(client, status="noindex")
    path = data / "pairs.csv"
    path.write_bytes(path.read_bytes().replace(b"awe,procrastination,rejected", b"awe,procrastination,review"))
    r = client.post(PAIR, data=fields, follow_redirects=False)
    assert r.status_code == 303
    text = path.read_text(encoding="utf-8")
    assert "awe,procrastination,review" in text and "mindfulness,post-traumatic-stress-disorder,noindex" in text


def test_a_new_pair_is_appended(site):
    client, data, _ = site
    before = (data / "pairs.csv").read_bytes()
    path = "/pairs/awe/mindfulness"
    csrf, shown = token(client, path)
    assert shown == ""
    r = client.post(path, data={"csrf_token": csrf, "row_hash": "", "status": "noindex"}, follow_redirects=False)
    assert r.status_code == 303
    after = (data / "pairs.csv").read_bytes()
    assert after.startswith(before) and after[len(before) :] == b"awe,mindfulness,noindex,,,,\n"


def test_bulk_sets_a_status_in_one_write(site):
    client, data, _ = site
    csrf, _ = token(client)
    doc = CsvDoc.read(data / "pairs.csv")
    h = row_hash(doc.row(2))
    pairs = [f"awe/procrastination/{h}", "awe/mindfulness/"]  # not health pages: no source needed
    r = client.post(
        "/bulk",
        data={"csrf_token": csrf, "pair": pairs, "status": "approved", "reviewed_by": "Ana"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    rows = [CsvDoc.read(data / "pairs.csv").row(i) for i in range(4)]
    assert [(r["topic_a"], r["status"], r["reviewed_by"]) for r in rows[1:]] == [
        ("mindfulness", "review", ""),
        ("awe", "approved", "Ana"),
        ("awe", "approved", "Ana"),
    ]
    assert "2 pair(s) set to approved" in client.get(r.headers["location"]).text


def test_bulk_approval_of_a_health_page_without_a_source_is_refused(site):
    client, data, _ = site
    before = (data / "pairs.csv").read_bytes()
    csrf, _ = token(client)
    h = row_hash(CsvDoc.read(data / "pairs.csv").row(1))
    r = client.post(
        "/bulk",
        data={
            "csrf_token": csrf,
            "pair": [f"mindfulness/post-traumatic-stress-disorder/{h}"],
            "status": "approved",
            "reviewed_by": "Ana",
        },
        follow_redirects=False,
    )
    assert r.status_code == 422
    assert "an approved page about a health condition (&#39;post-traumatic-stress-disorder&#39;) needs" in r.text
    assert (data / "pairs.csv").read_bytes() == before


def test_previews_render_the_form_without_writing(site):
    client, data, _ = site
    before = (data / "pairs.csv").read_bytes()
    r = client.post(
        PAIR + "/preview",
        data=form(client, status="approved", reviewed_by="Ana", relationship="New text <i>.", sources=NIMH),
    )
    body = r.json()
    assert r.status_code == 200 and body["problems"] == [] and body["status"] == "approved"
    assert "New text &lt;i&gt;." in body["html"] and 'name="robots"' not in body["html"]
    assert "<ins>" in body["diff_draft"] and (data / "pairs.csv").read_bytes() == before
    bad = client.post(PAIR + "/preview", data=form(client, sources="ftp://x")).json()
    assert "is not an http(s) URL" in bad["problems"][0] and "html" in bad, "the page still shows, with the problem"
    unsourced = client.post(PAIR + "/preview", data=form(client, status="approved", reviewed_by="Ana")).json()
    assert "needs at least one source" in unsourced["problems"][0] and unsourced["status"] == "approved"
    dropped = client.post(PAIR + "/preview", data=form(client, status="draft")).json()
    assert "html" not in dropped and "is not one of" in dropped["problems"][0], "the build would not read the row"


def test_writes_need_the_csrf_token_and_a_local_origin_and_host(site):
    client, data, _ = site
    before = (data / "pairs.csv").read_bytes()
    fields = form(client, status="rejected")
    r = client.post(PAIR, data=fields | {"csrf_token": "forged"})
    assert r.status_code == 403 and "security token" in r.text
    r = client.post(PAIR, data=fields, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    r = client.post(PAIR, data=fields, headers={"Host": "evil.example"})
    assert r.status_code == 400
    assert client.get("/", headers={"Host": "rebind.attacker.test:8001"}).status_code == 400
    assert (data / "pairs.csv").read_bytes() == before
    fresh = TestClient(client.app, base_url=BASE)  # no cookie at all
    assert fresh.post(PAIR, data=fields).status_code == 403
    assert client.get("/", headers={"Host": "localhost:8001"}).status_code == 200


@pytest.mark.parametrize(
    "path", ["/pairs/..%2F..%2Fetc/passwd", "/pairs/awe/Awe", "/pairs/awe/awe", "/site/../data/pairs.csv"]
)
def test_slugs_and_paths_cannot_leave_their_folders(site, path):
    client, _, _ = site
    r = client.get(path)
    assert r.status_code == 404
    assert "topic_a" not in r.text


def test_an_unreadable_pairs_file_gets_a_clear_message(site):
    client, data, _ = site
    fields = form(client, status="rejected")
    bad = "topic_a,topic_b,status\nawe,mindfulness,déjà\n".encode("cp1252")
    (data / "pairs.csv").write_bytes(bad)
    r = client.post(PAIR, data=fields)
    assert r.status_code in (409, 422, 503)
    assert "UTF-8" in r.text
    assert (data / "pairs.csv").read_bytes() == bad


def test_render_pair_page_is_the_built_page(site, tmp_path):
    _, data, out = site
    inputs = load_inputs(data, ROOT / "templates", load_config(ROOT / "site.toml"))
    html, status, _ = render_pair_page(inputs, "compassion-fatigue", "default-mode-network")
    assert status == "approved"
    assert html == (out / "compassion-fatigue-and-default-mode-network" / "index.html").read_text(encoding="utf-8")


def test_a_draft_preview_states_the_links_the_build_states(tmp_path, monkeypatch):
    """The preview of a draft is the page the build writes to preview/, sourced links included, also
    in an app whose start-up build found nothing changed (so no build state is left in the process)."""
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "small", data)
    (data / "links.csv").write_text(
        "subject,relation,object,sources,note,checked_by,checked_on\n"
        "mindfulness,involves,default-mode-network,https://doi.org/10.1093/scan/nsr087,,,\n",
        encoding="utf-8",
    )
    cfg = load_config(ROOT / "site.toml")
    inputs = load_inputs(data, ROOT / "templates", cfg)
    out, reports = tmp_path / "output", tmp_path / "reports"
    publish.rebuild(inputs, out, reports)
    html, status, _ = render_pair_page(inputs, "default-mode-network", "mindfulness")
    built = (tmp_path / "preview" / "default-mode-network-and-mindfulness" / "index.html").read_text(encoding="utf-8")
    assert status == "review"
    assert "https://doi.org/10.1093/scan/nsr087" in html
    assert html == built


def test_the_command_builds_once_and_serves_on_127_0_0_1(tmp_path, monkeypatch, capsys):
    import uvicorn

    from pipeline.cli import main

    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "small", data)
    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(kw))
    assert main(["review", "--data", str(data), "--out", str(tmp_path / "output")]) == 0
    out = capsys.readouterr()
    assert "Review app: http://127.0.0.1:8001/" in out.out and out.err == ""
    assert served["host"] == "127.0.0.1" and served["port"] == 8001
    assert (tmp_path / "preview" / URL / "index.html").exists()  # a draft: built into the preview
    assert main(["review", "--data", str(data), "--out", str(tmp_path / "output"), "--host", "0.0.0.0"]) == 0
    assert "Warning: listening on 0.0.0.0" in capsys.readouterr().err


def test_the_simple_queue_puts_what_an_editor_can_act_on_first(tmp_path):
    from pipeline.review.ranking import simple_queue

    inputs = load_inputs(FIXTURES / "small", ROOT / "templates", load_config(ROOT / "site.toml"))
    q = simple_queue(inputs)
    assert list(q.columns) == [
        "rank",
        "topic_a",
        "topic_b",
        "url",
        "status",
        "score",
        "demand",
        "relatedness",
        "reasons",
        "flag",
    ]
    first, last = q.iloc[0], q.iloc[-1]
    assert (first["topic_a"], first["topic_b"], first["reasons"]) == (
        "mindfulness",
        "post-traumatic-stress-disorder",
        "listed in pairs.csv for review",
    )
    assert last["reasons"].startswith("decided: ") and list(q["rank"]) == list(range(1, 16))


def test_once_people_are_listed_the_reviewer_must_be_one_of_them(site):
    client, data, _ = site
    (data / "people.csv").write_text("id,name,role\nana-ruiz,Ana Ruiz,editor\n", encoding="utf-8")
    before = (data / "pairs.csv").read_bytes()
    fields = form(client, status="approved", reviewed_by="Ana Ruiz", sources=NIMH)
    r = client.post(PAIR, data=fields)
    problems = lxml_html.fromstring(r.text).cssselect(".problems")[0].text_content()
    assert r.status_code == 422
    assert "reviewer 'Ana Ruiz' is not a person id in people.csv; write its id 'ana-ruiz'" in problems
    assert (data / "pairs.csv").read_bytes() == before
    assert '<option value="ana-ruiz">Ana Ruiz</option>' in client.get(PAIR).text
    r = client.post(
        PAIR, data=form(client, status="approved", reviewed_by="ana-ruiz", sources=NIMH), follow_redirects=False
    )
    assert r.status_code == 303
