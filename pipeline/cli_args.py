"""The command line's arguments: one parser builder per command, and the argument groups they share."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from pipeline import urls


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="Build Bringwise's static site of topic-pair pages from data/topics.csv and data/pairs.csv.",
        epilog="Exit status: 0 success, 2 bad input (every problem listed with file, line and column), "
        "1 internal failure.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (
        _build_parser,
        _audit_parser,
        _check_parser,
        _pairs_parser,
        _queue_parser,
        _sources_parser,
        _serve_parser,
        _rename_parser,
        _review_parser,
    ):
        add(sub)
    return p


def _build_parser(sub) -> None:
    b = sub.add_parser(
        "build",
        help="validate the data, build the site into --out, then audit it",
        description="Validate the data, render every pair page, hub, index, sitemap and robots.txt "
        "into a staging folder, audit it and swap it in as --out only when complete.",
    )
    _common(b)
    _workers(b, "render with")
    _dask_arguments(b)
    b.add_argument("--no-audit", action="store_true", help="skip the SEO audit after the build")
    _no_wait(b, "if another build is writing --out, stop at once instead of waiting for it")
    b.add_argument(
        "--allow-removals",
        action="store_true",
        help="build even if indexed pages of the current site would disappear (they then redirect or answer 410)",
    )
    b.add_argument(
        "--strict", action="store_true", help="exit 1 if the audit finds errors or the proofreader wording faults"
    )
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    _reports(b)
    b.add_argument(
        "--preview",
        type=_out_target,
        default=None,
        help="folder for the drafts' preview site (default: preview/ next to --out)",
    )
    b.add_argument(
        "--deploy",
        type=Path,
        default=None,
        help="folder for the host's redirect and 404 rules (default: deploy/ next to --out)",
    )


def _audit_parser(sub) -> None:
    a = sub.add_parser(
        "audit",
        help="audit a built site and write the SEO review to reports/",
        description="Read the built site as a crawler does, check every page and the whole site, "
        "and write reports/seo-review.html and seo-review.csv.",
    )
    _site_folder(a, "site folder to audit (default: output/)")
    _reports(a)
    a.add_argument("--strict", action="store_true", help="exit 1 if the audit finds errors")
    _workers(a, "parse pages with")


def _check_parser(sub) -> None:
    c = sub.add_parser(
        "check",
        help="validate the data and wording only; write nothing",
        description="Check data/*.csv and templates/wording/*.toml against the data contract.",
    )
    _common(c)


def _pairs_parser(sub) -> None:
    pr = sub.add_parser(
        "pairs",
        help="add the join's candidate pairs to data/pairs.csv for editors",
        description="Append every pair of topics that data/pairs.csv does not list yet, with empty "
        "editorial cells. Rows already in the file are kept byte for byte and in order.",
    )
    _data_writer(pr)


def _queue_parser(sub) -> None:
    q = sub.add_parser(
        "queue",
        help="list the pairs to write next, best first, with the reasons",
        description="Rank the pairs still to be written (not approved, not rejected) by search demand "
        "(exports in data/demand/) and how related the two topics are; mark stale reviews and "
        "pruning candidates. docs/queue.md explains the signals.",
    )
    _common(q)
    q.add_argument("--top", type=int, default=None, help="rows to list (default: [queue] top in site.toml; 0: all)")
    q.add_argument("--format", choices=("table", "csv"), default="table", help="a readable table or CSV")
    q.add_argument(
        "--status",
        type=_statuses,
        default=("review", "noindex"),
        help="which drafts to list, comma-separated (default: review,noindex)",
    )


def _sources_parser(sub) -> None:
    so = sub.add_parser(
        "sources",
        help="list the cited sources without a title; with --fetch, fill them in from Crossref",
        description="List the sources topics.csv, pairs.csv and links.csv cite that data/sources.csv gives no title. "
        "With --fetch (online), look every such DOI up on Crossref, one request a second, answers kept in "
        "--cache, and fill in sources.csv: empty cells only, other bytes unchanged. The build never does this.",
    )
    so.add_argument("--data", type=Path, default=Path("data"), help="folder with the CSV files (default: data/)")
    so.add_argument(
        "--fetch", action="store_true", help="ask Crossref for the missing titles of DOIs (needs the network)"
    )
    so.add_argument(
        "--mailto", default=None, help="your e-mail address, sent to Crossref as its etiquette asks (optional)"
    )
    so.add_argument(
        "--cache", type=Path, default=None, help="where Crossref's answers are kept (default: .build-cache/crossref/)"
    )


def _serve_parser(sub) -> None:
    sv = sub.add_parser(
        "serve",
        help="serve the built site as the deployment does (redirect rules, 404 page) on this machine",
        description="Serve --out on http://HOST:PORT/ with the redirect rules of its _redirects file "
        "(301s, and 410 Gone for removed pages) and its 404 page, as the deployment serves it.",
    )
    _site_folder(sv, "site folder to serve (default: output/)")
    sv.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT") or 8000), help="port (default: $PORT or 8000)"
    )
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")


def _rename_parser(sub) -> None:
    rn = sub.add_parser(
        "rename",
        help="give a topic a new slug in topics.csv, pairs.csv and links.csv; its old URLs redirect",
        description="Set topic OLD's slug to NEW in data/topics.csv (adding OLD to its old_slugs, so its "
        "old URLs redirect permanently) and in every row of pairs.csv and links.csv that names it. Only "
        "those rows change; every other byte of the files is kept, and each file is replaced atomically.",
    )
    rn.add_argument("old", metavar="OLD", help="the topic's slug now")
    rn.add_argument("new", metavar="NEW", help="its new slug")
    _data_writer(rn)


def _site_folder(p: argparse.ArgumentParser, help_text: str) -> None:
    """--out (a built site) and --config: the commands that read a built site."""
    p.add_argument("--out", type=Path, default=Path("output"), help=help_text)
    p.add_argument("--config", type=Path, default=None, help="site configuration (default: site.toml if present)")


def _data_writer(p: argparse.ArgumentParser) -> None:
    """--data and --no-wait: the commands that change the data files."""
    p.add_argument(
        "--data", type=Path, default=Path("data"), help="folder with topics.csv and pairs.csv (default: data/)"
    )
    _no_wait(p, "if another command is writing --data, stop at once")


def _no_wait(p: argparse.ArgumentParser, help_text: str) -> None:
    p.add_argument("--no-wait", action="store_true", help=help_text)


def _reports(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--reports", type=Path, default=None, help="folder for the SEO review (default: reports/ next to --out)"
    )


def _workers(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--workers", type=int, default=None, help=f"processes to {what} (default: all cores for big sites)")


def _statuses(text: str) -> tuple[str, ...]:
    chosen = tuple(s.strip().lower() for s in text.split(",") if s.strip())
    wrong = [s for s in chosen if s not in ("approved", "review", "noindex", "rejected")]
    if wrong or not chosen:
        raise argparse.ArgumentTypeError(f"{text!r}: give statuses among review, noindex, approved, rejected")
    return chosen


def _review_parser(sub) -> None:
    r = sub.add_parser(
        "review",
        help="the local review app: queue, preview, approve (http://127.0.0.1:8001/)",
        description="Serve the review app on this machine: the ranked queue, each pair's page as it will be "
        "built beside an edit form, approval in a keystroke. Saves change one row of pairs.csv and rebuild "
        "the affected pages.",
    )
    _common(r)
    r.add_argument("--port", type=int, default=8001, help="port to listen on (default: 8001)")
    r.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only; another address lets other "
        "machines write to your data/)",
    )


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data", type=Path, default=Path("data"), help="folder with topics.csv and optional pairs.csv (default: data/)"
    )
    p.add_argument(
        "--templates", type=Path, default=Path("templates"), help="Jinja2 templates and wording/ (default: templates/)"
    )
    p.add_argument("--out", type=_out_target, default=Path("output"), help="site folder to build (default: output/)")
    p.add_argument("--config", type=Path, default=None, help="site configuration (default: site.toml if present)")


def _dask_arguments(b: argparse.ArgumentParser) -> None:
    b.add_argument(
        "--engine",
        choices=("local", "dask"),
        default="local",
        help="local: a process pool on this machine (default); dask: a dask.distributed cluster",
    )
    b.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="with --engine dask: the scheduler to connect to, e.g. tcp://10.0.0.5:8786 "
        "(default: a local cluster of 2 worker processes)",
    )


def _out_target(text: str):
    """--out: a folder (Path), or an fsspec URL such as s3://bucket/site kept as text (Dask engine only)."""
    return text if urls.is_remote(text) else Path(text.removeprefix("file://"))
