"""Lighthouse on a sample of the published site, served as the deployment serves it (`make lighthouse`).

Serves output/ with `python -m pipeline serve` on a free local port, runs Lighthouse (npm's
`lighthouse`, installed into .tools/ by the Makefile) with Debian's Chromium over the sample pages
(home, a hub, two approved pair pages, a noindex page, about, the editorial policy, a person's page
if there is one, the 404 page), writes each report to reports/lighthouse/<name>.report.{html,json}
and prints the four category scores per page with every audit that keeps a score below 100.

Exit status 1 when a score is below 100 for any reason other than the expected ones: a page that
carries `noindex` fails SEO's "is-crawlable" by design. See docs/external-audit.md.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[1]
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
# (category, audit) failures a page of this kind has by design.
EXPECTED = {"noindex": {("seo", "is-crawlable")}, "404": {("seo", "is-crawlable")}}
_LOC = re.compile(r"<loc>([^<]+)</loc>")
_NOINDEX = re.compile(rb'<meta name="robots" content="[^"]*noindex')


def _sitemap_urls(out: Path) -> list[str]:
    """Site-relative URLs the sitemaps list (the indexable pages)."""
    found: list[str] = []
    for sitemap in sorted(out.glob("sitemap*.xml")):
        found += [u for u in _LOC.findall(sitemap.read_text(encoding="utf-8")) if not u.endswith(".xml")]
    return found


def sample(out: Path, base_url: str) -> list[tuple[str, str, str]]:
    """(name, kind, site-relative URL) of the pages to run: one or two of every kind of page."""
    prefix = base_url.rstrip("/") + "/"
    indexed = [u[len(prefix) :] for u in _sitemap_urls(out) if u.startswith(prefix)]
    pairs = sorted(u for u in indexed if re.fullmatch(r"[^/]+-and-[^/]+/", u))
    hubs = sorted(u for u in indexed if u.startswith("topics/"))
    pages: list[tuple[str, str, str]] = [("home", "page", "")]
    if hubs:
        pages.append(("hub", "page", hubs[0]))
    pages += [(f"pair-{k + 1}", "page", u) for k, u in enumerate(pairs[:2])]
    noindex = sorted(
        p.parent.name + "/" for p in out.glob("*-and-*/index.html") if _NOINDEX.search(p.read_bytes()[:4096])
    )
    if noindex:
        pages.append(("noindex", "noindex", noindex[0]))
    for name, url in (("about", "about/"), ("editorial-policy", "editorial-policy/")):
        if (out / url / "index.html").is_file():
            pages.append((name, "page", url))
    people = sorted(p.parent.name for p in out.glob("people/*/index.html"))
    if people:
        pages.append(("person", "page", f"people/{people[0]}/"))
    pages.append(("404", "404", "404.html"))
    return pages


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no line per request
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    while True:
        try:
            with urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.2)


def run_lighthouse(binary: Path, url: str, dest: Path, chrome: str) -> dict:
    """One Lighthouse run; returns its JSON result (also written, with the HTML report, to dest.*)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(binary),
        url,
        "--only-categories=" + ",".join(CATEGORIES),
        "--chrome-flags=--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking",
        "--output=json",
        "--output=html",
        f"--output-path={dest}",
        "--quiet",
    ]
    subprocess.run(cmd, check=True, env={**os.environ, "CHROME_PATH": chrome}, timeout=300)
    return json.loads(Path(f"{dest}.report.json").read_text(encoding="utf-8"))


def failing(report: dict) -> list[tuple[str, str, str]]:
    """(category, audit id, what it says) of the weighted audits below 1 in each category scoring below 100;
    a category below 100 with no such audit (a runtime error) gives ("category", "", the error)."""
    out = []
    for cat in CATEGORIES:
        if (report["categories"][cat].get("score") or 0) >= 1:
            continue
        found = []
        for ref in report["categories"][cat]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref.get("weight", 0) and audit.get("score") is not None and audit["score"] < 1:
                found.append(
                    (
                        cat,
                        ref["id"],
                        audit.get("displayValue") or audit.get("title", ""),
                    )
                )
        error = (report.get("runtimeError") or {}).get("message", "no failing audit named")
        out += found or [(cat, "", error)]
    return out


def local_copy(out: Path, page: str, base_url: str, site: str, folder: Path) -> str:
    """A copy of `page` in `folder` whose links to the public address (base_url) go to the local server
    `site` instead. For the 404 page, which links its icons and pages absolutely (it is served for any
    missing path), so that they resolve on this machine as they do on the host."""
    text = (out / page).read_text(encoding="utf-8")
    (folder / page).write_text(text.replace(base_url.rstrip("/") + "/", site + "/"), encoding="utf-8")
    return page


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--out",
        type=Path,
        default=ROOT / "output",
        help="the built public site (default: output/)",
    )
    ap.add_argument(
        "--config",
        type=Path,
        default=ROOT / "site.toml",
        help="site configuration (its base_url)",
    )
    ap.add_argument(
        "--reports",
        type=Path,
        default=ROOT / "reports" / "lighthouse",
        help="where the reports go",
    )
    ap.add_argument(
        "--lighthouse",
        type=Path,
        default=ROOT / ".tools" / "lighthouse" / "node_modules" / ".bin" / "lighthouse",
    )
    ap.add_argument("--chrome", default=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from pipeline.config import load_config

    base_url = load_config(args.config).base_url
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline",
            "serve",
            "--out",
            str(args.out),
            "--port",
            str(port),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # a line per request
    )
    site = f"http://127.0.0.1:{port}"
    copies = tempfile.TemporaryDirectory()
    other = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=copies.name))
    threading.Thread(target=other.serve_forever, daemon=True).start()
    unexpected = 0
    try:
        _wait(site + "/")
        print(f"{'page':<18} {'perf':>5} {'a11y':>5} {'b-p':>5} {'seo':>5}  URL")
        for name, kind, url in sample(args.out, base_url):
            address = f"{site}/{url}"
            if kind == "404":  # served as it is, at another local address, its public links made local
                address = f"http://127.0.0.1:{other.server_address[1]}/" + local_copy(
                    args.out, url, base_url, site, Path(copies.name)
                )
            report = run_lighthouse(args.lighthouse, address, args.reports / name, args.chrome)
            scores = [report["categories"][c]["score"] for c in CATEGORIES]
            shown = " ".join(f"{'-' if s is None else round(s * 100):>5}" for s in scores)
            print(f"{name:<18} {shown}  /{url}")
            for cat, audit, what in failing(report):
                expected = (cat, audit) in EXPECTED.get(kind, set())
                unexpected += not expected
                note = "  (expected: the page carries noindex)" if expected else ""
                print(f"{'':<18} {cat}: {audit} {what}".rstrip() + note)
    finally:
        other.shutdown()
        copies.cleanup()
        server.terminate()
        server.wait(timeout=10)
    print(f"Reports: {args.reports}/<page>.report.html")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
