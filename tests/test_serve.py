"""`make serve` behaves like production: the deployment's redirect rules, 410 Gone, the site's 404 page, PORT."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.config import load_config
from pipeline.site.serve import make_server
from tests.conftest import FIXTURES, ROOT, cli_build
from tests.test_history import _edit_topics
from tests.test_removals import _drop_pairs


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPEN = urllib.request.build_opener(_NoRedirect)


def _get(base: str, path: str) -> tuple[int, str, str]:
    try:
        with OPEN.open(base + path) as r:
            return r.status, r.headers.get("Location", ""), r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Location", ""), e.read().decode("utf-8")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The small site, then Awe renamed and Mindfulness and Procrastination removed, served on a free port."""
    tmp = tmp_path_factory.mktemp("serve")
    data, out = tmp / "data", tmp / "output"
    shutil.copytree(FIXTURES / "small", data)
    config = tmp / "site.toml"  # unlisted pairs published (noindex), not drafts, so that they have public URLs
    text = (ROOT / "site.toml").read_text(encoding="utf-8")
    config.write_text(text.replace('default_status = "review"', 'default_status = "noindex"'), encoding="utf-8")
    assert 'default_status = "noindex"' in config.read_text(encoding="utf-8")
    assert cli_build(data, out, "--no-audit", "--workers", "1", config=config) == 0
    _edit_topics(data, {"Awe": ("Sense of Awe", "awe")}, {"Mindfulness", "Procrastination"})
    _drop_pairs(data, "mindfulness", "procrastination")
    assert cli_build(data, out, "--no-audit", "--workers", "1", "--allow-removals", config=config) == 0
    server = make_server(out, "127.0.0.1", 0, load_config(ROOT / "site.toml").base_url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", out
    server.shutdown()
    server.server_close()


def test_pages_and_the_deployments_redirects(served):
    base, out = served
    status, _, body = _get(base, "/compassion-fatigue-and-default-mode-network/")
    assert status == 200 and "<h1>Compassion Fatigue and Default Mode Network" in body
    assert _get(base, "/default-mode-network-and-compassion-fatigue/")[:2] == (
        301,
        "/compassion-fatigue-and-default-mode-network/",
    )
    assert _get(base, "/awe-and-compassion-fatigue/")[:2] == (301, "/compassion-fatigue-and-sense-of-awe/")
    assert _get(base, "/topics/awe/")[:2] == (301, "/topics/sense-of-awe/")
    assert _get(base, "/topics/awe")[:2] == (301, "/topics/sense-of-awe/"), "as nginx, without the slash too"
    assert _get(base, "/compassion-fatigue-and-mindfulness/")[:2] == (301, "/topics/compassion-fatigue/")
    assert _get(base, "/topics/mindfulness/")[:2] == (301, "/")


def test_gone_and_missing_pages_get_the_sites_own_page(served):
    base, out = served
    not_found = (out / "404.html").read_text(encoding="utf-8")
    assert _get(base, "/mindfulness-and-procrastination/") == (410, "", not_found)
    assert _get(base, "/no-such-page/") == (404, "", not_found)
    assert _get(base, "/topics/no-such-topic/index.html") == (404, "", not_found)


def test_a_busy_port_is_one_line(tmp_path, capsys):
    out = tmp_path / "output"
    assert cli_build(FIXTURES / "small", out, "--no-audit", "--workers", "1") == 0
    capsys.readouterr()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["serve", "--out", str(out), "--port", str(port), "--config", str(ROOT / "site.toml")])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert captured.err == (
        f"Stopped: port {port} is already in use (another `make serve`?); choose another, e.g. "
        f"PORT={port + 1} make serve\n"
    )


def test_nothing_to_serve(tmp_path, capsys):
    assert main(["serve", "--out", str(tmp_path / "output")]) == 2
    assert (
        capsys.readouterr().err == f"Nothing to serve: {tmp_path / 'output'}/ has no site (run `make build` first).\n"
    )


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_serve_takes_port(tmp_path):
    done = subprocess.run(["make", "-n", "serve", "PORT=8123"], cwd=ROOT, capture_output=True, text=True)
    assert "-m pipeline serve --port 8123" in done.stdout


def test_serve_is_in_the_readme():
    assert "PORT=8001 make serve" in " ".join(Path(ROOT / "README.md").read_text(encoding="utf-8").split())
