"""Command line: parse arguments, call the library, translate its errors into exit codes."""

from __future__ import annotations

import argparse
import errno
import os
import shutil
import sys
import time
import traceback
from contextlib import nullcontext
from pathlib import Path

from pipeline import urls
from pipeline.config import load_config
from pipeline.locks import Busy, hold
from pipeline.problems import ContractError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="Build Bringwise's static site of topic-pair pages from data/topics.csv and data/pairs.csv.",
        epilog="Exit status: 0 success, 2 bad input (every problem listed with file, line and column), "
        "1 internal failure.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    b = sub.add_parser(
        "build",
        help="validate the data, build the site into --out, then audit it",
        description="Validate the data, render every pair page, hub, index, sitemap and robots.txt "
        "into a staging folder, audit it and swap it in as --out only when complete.",
    )
    _common(b)
    b.add_argument(
        "--workers", type=int, default=None, help="processes to render with (default: all cores for big sites)"
    )
    _dask_arguments(b)
    b.add_argument("--no-audit", action="store_true", help="skip the SEO audit after the build")
    b.add_argument(
        "--no-wait",
        action="store_true",
        help="if another build is writing --out, stop at once instead of waiting for it",
    )
    b.add_argument(
        "--allow-removals",
        action="store_true",
        help="build even if indexed pages of the current site would disappear (they then redirect or answer 410)",
    )
    b.add_argument(
        "--strict", action="store_true", help="exit 1 if the audit finds errors or the proofreader wording faults"
    )
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.add_argument(
        "--reports", type=Path, default=None, help="folder for the SEO review (default: reports/ next to --out)"
    )
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
    a = sub.add_parser(
        "audit",
        help="audit a built site and write the SEO review to reports/",
        description="Read the built site as a crawler does, check every page and the whole site, "
        "and write reports/seo-review.html and seo-review.csv.",
    )
    a.add_argument("--out", type=Path, default=Path("output"), help="site folder to audit (default: output/)")
    a.add_argument("--config", type=Path, default=None, help="site configuration (default: site.toml if present)")
    a.add_argument(
        "--reports", type=Path, default=None, help="folder for the SEO review (default: reports/ next to --out)"
    )
    a.add_argument("--strict", action="store_true", help="exit 1 if the audit finds errors")
    a.add_argument(
        "--workers", type=int, default=None, help="processes to parse pages with (default: all cores for big sites)"
    )
    c = sub.add_parser(
        "check",
        help="validate the data and wording only; write nothing",
        description="Check data/*.csv and templates/wording/*.toml against the data contract.",
    )
    _common(c)
    pr = sub.add_parser(
        "pairs",
        help="add the join's candidate pairs to data/pairs.csv for editors",
        description="Append every pair of topics that data/pairs.csv does not list yet, with empty "
        "editorial cells. Rows already in the file are kept byte for byte and in order.",
    )
    pr.add_argument(
        "--data", type=Path, default=Path("data"), help="folder with topics.csv and pairs.csv (default: data/)"
    )
    pr.add_argument("--no-wait", action="store_true", help="if another command is writing --data, stop at once")
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
    sv = sub.add_parser(
        "serve",
        help="serve the built site as the deployment does (redirect rules, 404 page) on this machine",
        description="Serve --out on http://HOST:PORT/ with the redirect rules of its _redirects file "
        "(301s, and 410 Gone for removed pages) and its 404 page, as the deployment serves it.",
    )
    sv.add_argument("--out", type=Path, default=Path("output"), help="site folder to serve (default: output/)")
    sv.add_argument("--config", type=Path, default=None, help="site configuration (default: site.toml if present)")
    sv.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT") or 8000), help="port (default: $PORT or 8000)"
    )
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    rn = sub.add_parser(
        "rename",
        help="give a topic a new slug in topics.csv, pairs.csv and links.csv; its old URLs redirect",
        description="Set topic OLD's slug to NEW in data/topics.csv (adding OLD to its old_slugs, so its "
        "old URLs redirect permanently) and in every row of pairs.csv and links.csv that names it. Only "
        "those rows change; every other byte of the files is kept, and each file is replaced atomically.",
    )
    rn.add_argument("old", metavar="OLD", help="the topic's slug now")
    rn.add_argument("new", metavar="NEW", help="its new slug")
    rn.add_argument(
        "--data", type=Path, default=Path("data"), help="folder with topics.csv and pairs.csv (default: data/)"
    )
    rn.add_argument("--no-wait", action="store_true", help="if another command is writing --data, stop at once")
    _review_parser(sub)
    return p


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


def _config(args: argparse.Namespace):
    return load_config(_config_path(args))


class AuditFailed(Exception):
    """--strict and the audit found errors: the staged site is not swapped in."""


class WordingFailed(Exception):
    """--strict and the proofreader found wording faults: the staged site is not swapped in."""


def _config_path(args: argparse.Namespace) -> Path | None:
    return args.config if args.config is not None else (Path("site.toml") if Path("site.toml").exists() else None)


def _quick_build(args: argparse.Namespace, started: float) -> tuple[str, int | None]:
    """The no-change shortcut: (input key, exit status if the recorded outcome still holds, else None)."""
    from pipeline.site import quick

    reports = args.reports or urls.default_reports_dir(args.out)
    key = quick.input_key(
        args.data,
        args.templates,
        _config_path(args),
        ["audit" if not args.no_audit else "no-audit", str(Path(reports).resolve())],
    )
    rec = quick.load(args.out, key, _also(args))
    if rec is None or (not args.no_audit and rec.get("audit") is None):
        return key, None
    from pipeline.site.write import recover

    recover(args.out)  # a killed build's leftovers go, even when nothing else is done
    elapsed = time.perf_counter() - started
    print(
        f"Built {rec['pairs']:,} pair pages and {rec['others']:,} other pages into {args.out}/ "
        f"in {elapsed:.1f} s (nothing changed since the last build)."
    )
    print("\n".join(rec["lines"]))
    if not args.no_audit:
        print("\n".join(rec["audit"]["lines"]))
        if args.strict and rec["audit"]["errors"]:
            return key, 1
    return key, 0


def _also(args: argparse.Namespace) -> list[Path]:
    """The folders a build writes besides --out: the preview and deploy folders."""
    from pipeline.site import quick

    if urls.is_remote(args.out):
        return []
    return [
        Path(args.preview) if args.preview is not None else quick.default_preview_dir(args.out),
        args.deploy if args.deploy is not None else quick.default_deploy_dir(args.out),
    ]


def _unchanged_summary(audit_result, html_path: Path) -> list[str]:
    """What the audit prints for a rebuild that changed nothing: this result, compared with itself."""
    from dataclasses import replace

    from pipeline.report import review as report

    same = replace(
        audit_result,
        added=[],
        removed=[],
        changed=[],
        has_previous=True,
        stats={**audit_result.stats, "parsed": 0, "cached": len(audit_result.pages), "seconds": 0.0},
    )
    return report.terminal_summary(same, html_path)


def cmd_build(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    if urls.is_remote(args.out):
        return _cmd_build_remote(args, started)
    key, code = _quick_build(args, started)
    if code is not None:
        return code

    from pipeline.report import review as report
    from pipeline.site import quick
    from pipeline.site.build import build, load_inputs

    cfg = _config(args)
    inputs = load_inputs(args.data, args.templates, cfg)
    if not args.allow_removals and _refuse_removals(inputs, args.out):
        return 2
    reports = args.reports or urls.default_reports_dir(args.out)
    audit: dict = {}
    from pipeline.data.queue import in_background

    ranking: list = []

    def queue():
        """The queue's top rows: ranked in a forked process started at the first call (after the pages
        are rendered, so it never competes with the render workers) while the audit runs."""
        if not ranking:
            ranking.append(in_background(args.data, inputs.topics, inputs.pairs, cfg, inputs.links))
        return ranking[0]

    def after_write(staging_root: Path, _result) -> None:
        if args.strict and _result.warnings:
            raise WordingFailed(_result.warnings)
        if args.no_audit:
            return
        queue()  # start ranking; the report waits for it after the audit
        # The local build parses the pages it renders for the audit while it holds them (known records).
        audit["result"], audit["html"] = report.audit_and_report(
            staging_root,
            cfg,
            args.out,
            reports,
            report.baseline_for_build(reports),
            known=getattr(_result, "audit_records", None),
            sameness=getattr(_result, "sameness", None),
            queue=lambda: queue()()[0],
        )
        if args.strict and audit["result"].errors:
            raise AuditFailed()

    try:
        engine = _engine(args, build)
        extra = {"audit_records": True} if engine is build and not args.no_audit else {}
        result = engine(
            inputs,
            args.out,
            workers=args.workers,
            progress=not args.quiet and sys.stderr.isatty(),
            after_write=after_write if args.strict or not args.no_audit else None,
            preview=args.preview,
            deploy=args.deploy,
            **extra,
        )
    except WordingFailed as exc:
        faults = exc.args[0]
        print(
            f"Stopped (--strict): {len(faults):,} wording warning(s); {args.out}/ was left as it was.", file=sys.stderr
        )
        print("\n".join(f"  {w}" for w in faults[:20]), file=sys.stderr)
        return 1
    except AuditFailed:
        print("\n".join(report.terminal_summary(audit["result"], audit["html"])))
        print(
            f"Stopped (--strict): the audit found {audit['result'].errors:,} error(s); {args.out}/ was left as it was.",
            file=sys.stderr,
        )
        return 1
    if not args.no_audit and "result" not in audit:  # nothing changed, so the build wrote nothing
        audit["result"], audit["html"] = report.audit_and_report(
            args.out, cfg, args.out, reports, report.baseline_for_build(reports), queue=lambda: queue()()[0]
        )
    if "result" in audit:
        from pipeline.report.priorities import finding_keys

        report.save_state(reports, audit["result"].hashes(), finding_keys(audit["result"]))
    elapsed = time.perf_counter() - started
    pairs = sum(result.by_status().values())
    print(
        f"Built {pairs:,} pair pages and {len(result.pages) - pairs:,} other pages into {args.out}/ in {elapsed:.1f} s."
    )
    head = ["  by status: " + ", ".join(f"{k} {v:,}" for k, v in sorted(result.by_status().items()))]
    drafts = result.by_status().get("review", 0)
    preview = _also(args)[0] if _also(args) else None
    head.append(
        f"  published: {pairs - drafts:,} pair page(s) in {args.out}/"
        + (f"; drafts: {drafts:,} in {preview}/ (not published)" if preview is not None else "")
    )
    if result.rejected:
        head.append(f"  rejected (not built): {len(result.rejected):,}")
    head.extend(f"  note: {n}" for n in inputs.notes)
    head.extend(result.sameness.lines() if result.sameness is not None else [])
    head += _write_next(*ranking[0]()) if ranking else []  # not with --no-audit
    tail = []
    if result.warnings:
        tail.append(f"  wording warnings: {len(result.warnings):,}")
        tail.extend(f"    {w}" for w in result.warnings[:20])
    print("\n".join(head))
    _print_changes(result)
    _print_removed(result)
    if tail:
        print("\n".join(tail))
    # What a rebuild that changes nothing prints (it removes nothing).
    record: dict = {"pairs": pairs, "others": len(result.pages) - pairs, "lines": head + tail, "audit": None}
    stamped: list[Path] = []
    if "result" in audit:
        print("\n".join(report.terminal_summary(audit["result"], audit["html"])))
        record["audit"] = {
            "lines": _unchanged_summary(audit["result"], audit["html"]),
            "errors": audit["result"].errors,
        }
        stamped = [Path(audit["html"]), Path(reports) / report.CSV_NAME, Path(reports) / report.STATE_NAME]
    quick.save(args.out, key, record, stamped, _also(args))
    if "result" in audit and args.strict and audit["result"].errors:
        return 1
    return 0


def _write_next(rows: list[dict] | None, problem: str) -> list[str]:
    """The build summary's lines naming the queue's first three pairs (`make queue` lists more)."""
    if rows is None:
        return [f"  write next: not ranked ({problem})"]
    if not rows:
        return ["  write next: nothing; every pair is approved or rejected"]
    lines = ["  write next (make queue lists more):"]
    for r in rows[:3]:
        why = r["reasons"].split("; ")[0]
        lines.append(f"    {r['rank']}. {r['url']}{' [' + r['flag'] + ']' if r['flag'] else ''}: {why}")
    return lines


def cmd_audit(args: argparse.Namespace) -> int:
    from pipeline.report import review as report

    cfg = _config(args)
    if not args.out.is_dir():
        print(f"Nothing to audit: {args.out}/ does not exist (run `python -m pipeline build` first).", file=sys.stderr)
        return 2
    reports = args.reports or urls.default_reports_dir(args.out)
    result, html = report.audit_and_report(
        args.out, cfg, args.out, reports, report.baseline_for_build(reports), workers=args.workers, rebase=True
    )
    print("\n".join(report.terminal_summary(result, html)))
    return 1 if args.strict and result.errors else 0


def _print_changes(result, limit: int = 10) -> None:
    """What changed for an editor since the last build: new pages, pages that became indexable or
    stopped being so, approved pages whose inputs changed (their review may be out of date)."""

    def listed(title: str, items: list[str]) -> None:
        if items:
            shown = ", ".join(items[:limit]) + (f", … ({len(items) - limit:,} more)" if len(items) > limit else "")
            print(f"  {title}: {len(items):,} ({shown})")

    listed("new pages since the last build", getattr(result, "added", []))
    listed("now indexable (in the sitemap)", getattr(result, "now_indexable", []))
    listed("no longer indexable (noindex, out of the sitemap)", getattr(result, "not_indexable", []))
    stale = getattr(result, "review_stale", [])
    if stale:
        print(f"  approved pages whose inputs changed since the last build, to review again: {len(stale):,}")
        for url, why in stale[:limit]:
            print(f"    {url}: {why}")
        if len(stale) > limit:
            print(f"    … and {len(stale) - limit:,} more")


def _refuse_removals(inputs, out: Path) -> bool:
    """Stop (True) when this build would drop pages the current site has in its sitemap, listing them."""
    from pipeline.problems import SHOWN_PROBLEMS
    from pipeline.site.history import Removals, indexed_urls, lost_pages

    lost = lost_pages(indexed_urls(out, inputs.cfg.base_url), Removals.of(inputs.topics))
    if not lost:
        return False
    err = sys.stderr
    print(f"Stopped: this build would remove {len(lost)} indexed page(s) of {out}/; nothing was written.", file=err)
    for url, why in lost[:SHOWN_PROBLEMS]:
        print(f"  /{url}: {why}", file=err)
    if len(lost) > SHOWN_PROBLEMS:
        print(f"  … and {len(lost) - SHOWN_PROBLEMS:,} more", file=err)
    print(
        "If a topic was renamed, put its old slug in its old_slugs cell (or run `python -m pipeline rename OLD NEW`) "
        "and its pages redirect. If the removal is intended, build again with --allow-removals "
        "(make build ARGS=--allow-removals): the removed pages then redirect to a topic's page or the home page, "
        "or answer 410 Gone. A pair an editor set to 'rejected' is removed on purpose and needs no flag.",
        file=err,
    )
    return True


def _print_removed(result, limit: int = 50) -> None:
    """List the previous site's pages this build no longer has, and where renamed ones now redirect."""
    removed = getattr(result, "removed", [])
    if not removed:
        return
    moved = getattr(result, "redirected", {})
    gone = [u for u in removed if u not in moved]
    targets = getattr(result, "gone", {})
    related = sum(1 for u in gone if targets.get(u) is not None)
    dead = sum(1 for u in gone if u in targets and targets[u] is None)
    print(
        f"  removed since the last build: {len(removed):,} page(s), {len(removed) - len(gone):,} of them "
        "redirected to their new URL"
        + (f", {related:,} to a related page" if related else "")
        + (f", {dead:,} answer 410 Gone" if dead else "")
    )
    for url in removed[:limit]:
        if url in moved:
            print(f"    {url} → {moved[url]} (permanent redirect)")
        elif targets.get(url) is not None:
            print(f"    {url} → {targets[url] or 'the home page'} (removed; redirected)")
        elif url in targets:
            print(f"    {url} (removed; answers 410 Gone)")
        else:
            print(f"    {url}")
    if len(removed) > limit:
        print(f"    … and {len(removed) - limit:,} more")
    for url in gone:
        if url.startswith("topics/"):
            print(
                f"  topic '{url[7:-1]}' is gone: if it was renamed, add '{url[7:-1]}' to its old_slugs cell in "
                "topics.csv so its old pages redirect"
            )


def cmd_pairs(args: argparse.Namespace) -> int:
    from pipeline.data.pairsfile import add_candidates

    done = add_candidates(args.data)
    if done.added:
        print(
            f"Added {done.added:,} candidate pair(s) to {done.path} after the {done.listed:,} already listed; "
            "existing rows are unchanged."
        )
    else:
        print(f"{done.path} already lists every pair ({done.listed:,}); nothing to add.")
    return 0


def cmd_rename(args: argparse.Namespace) -> int:
    from pipeline.data.csvedit import Unreadable
    from pipeline.data.rename import RenameRefused, rename

    try:
        done = rename(args.data, args.old, args.new)
    except (RenameRefused, Unreadable) as exc:
        print(f"Stopped: {exc}; nothing was changed.", file=sys.stderr)
        return 2
    where = []
    if done.topic_line:
        where.append(f"{args.data / 'topics.csv'} (line {done.topic_line}; '{done.old}' added to its old_slugs)")
    for name, lines in done.rows.items():
        if lines:
            shown = ", ".join(str(n) for n in lines[:10]) + (", …" if len(lines) > 10 else "")
            where.append(f"{args.data / name} ({len(lines)} row(s): line {shown})")
    print(f"Renamed '{done.old}' to '{done.new}' in " + (" and ".join(where) or "no file (nothing named it)") + ".")
    print(f"  The next build publishes the new URLs and redirects the old ones (/topics/{done.old}/ and its pairs).")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from pipeline.site.serve import PortInUse, make_server, redirect_files

    if not (args.out / "index.html").is_file():
        print(f"Nothing to serve: {args.out}/ has no site (run `make build` first).", file=sys.stderr)
        return 2
    try:
        server = make_server(args.out, args.host, args.port, _config(args).base_url)
    except PortInUse:
        print(
            f"Stopped: port {args.port} is already in use (another `make serve`?); "
            f"choose another, e.g. PORT={args.port + 1} make serve",
            file=sys.stderr,
        )
        return 1
    rules = " and ".join(str(p) for p in redirect_files(args.out)) or "no redirect rules"
    print(f"Serving {args.out}/ on http://{args.host}:{args.port}/ with {rules} and its 404 page (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from pipeline.site.build import load_inputs

    inputs = load_inputs(args.data, args.templates, _config(args))
    print(f"{len(inputs.topics)} topics and {len(inputs.pairs)} editor pairs follow the data contract.")
    if inputs.links is not None:
        unchecked = int((inputs.links["checked_on"] == "").sum())
        print(f"  links.csv: {len(inputs.links)} links, {unchecked} of them not yet checked against their sources.")
    for note in inputs.notes:
        print(f"  note: {note}")
    return 0


def cmd_queue(args: argparse.Namespace) -> int:
    import shutil

    from pipeline.data.demand_match import load_demand
    from pipeline.data.queue import build_queue, queue_text
    from pipeline.site.build import load_inputs

    cfg = _config(args)
    inputs = load_inputs(args.data, args.templates, cfg)
    demand = load_demand(args.data, inputs.topics, cfg.base_url)
    top = cfg.queue.top if args.top is None else args.top
    queue = build_queue(inputs.topics, inputs.pairs, cfg, demand, args.status, top or None, inputs.links)
    if args.format == "csv":
        queue.to_csv(sys.stdout, index=False, lineterminator="\n")
        return 0
    print(queue_text(queue, shutil.get_terminal_size((110, 24)).columns))
    source = ", ".join(sorted({p.name for p in (args.data / "demand").glob("*") if p.is_file()})) or "none"
    print(f"\nRanked by search demand (data/demand/: {source}) and relatedness; docs/queue.md explains the score.")
    for note in demand.notes:
        print(f"  note: {note}")
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from pipeline.review.serve import serve

    return serve(args.data, args.templates, _config(args), args.out, args.host, args.port)


def _writer_lock(args: argparse.Namespace):
    """One writer at a time: a build holds the site's lock (before its no-change check, so it never
    judges a site another build is replacing), pairs and rename the data folder's."""
    wait = not getattr(args, "no_wait", False)
    if args.command == "build" and not urls.is_remote(args.out):
        return hold(args.out, "build", wait=wait)
    if args.command in ("pairs", "rename") or (args.command == "sources" and getattr(args, "fetch", False)):
        return hold(args.data, f"python -m pipeline {args.command}", wait=wait)
    return nullcontext()


def _disk_full(exc: OSError, args: argparse.Namespace) -> str:
    """One line for a full disk (or quota): where, how much is free, and that nothing was replaced."""
    writes_data = args.command in ("pairs", "rename", "review")
    folder = Path(args.data if writes_data else getattr(args, "reports", None) or getattr(args, "out", "."))
    where = Path(exc.filename) if exc.filename else folder.resolve()
    try:
        free = f" ({shutil.disk_usage(where if where.exists() else where.parent).free // 2**20:,} MB free)"
    except OSError:
        free = ""
    kept = "the data files are unchanged" if writes_data else "the previous site is unchanged"
    return f"Stopped: the disk is full at {where}{free}; {kept}. Free some space and run it again."


PROBLEMS_FILE = "input-problems.txt"


def _print_problems(exc: ContractError, args: argparse.Namespace) -> None:
    """Every problem, or the first 30 and a count by kind, with the full list in reports/ (never the site)."""
    from pipeline.problems import capped_lines

    head = f"Stopped: {len(exc.problems)} problem(s) in the input; nothing was written."
    shown, rest = capped_lines(exc.problems)
    print(head, file=sys.stderr)
    for line in shown:
        print(f"  {line}", file=sys.stderr)
    if not rest:
        return
    path = _problems_path(args)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(head + "\n" + "".join(f"  {p}\n" for p in exc.problems), encoding="utf-8")
        where = f"; the full list is in {_shown_path(path)}"
    except OSError as err:
        where = f" (the full list could not be written to {_shown_path(path)}: {err.strerror})"
    print(f"  {rest}{where}", file=sys.stderr)


def _problems_path(args: argparse.Namespace) -> Path:
    from pipeline.urls import default_reports_dir

    reports = getattr(args, "reports", None)
    out = getattr(args, "out", None)
    if reports is None:
        reports = default_reports_dir(out) if isinstance(out, Path) else Path("reports")
    return Path(reports) / PROBLEMS_FILE


def _shown_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def cmd_sources(args: argparse.Namespace) -> int:
    from pipeline.data.sourcesfile import read_bibliography

    if args.fetch:
        from pipeline.data.crossref import crossref_client, default_cache
        from pipeline.data.sourcesfile import fetch_titles

        try:
            done = fetch_titles(args.data, args.cache or default_cache(), get=crossref_client(args.mailto))
        except ContractError:
            raise
        except Exception as exc:  # offline, or Crossref failed: the answers so far stay cached for the next try
            print(
                f"Crossref could not be reached or failed ({type(exc).__name__}: {exc}); sources.csv was not changed. "
                "Run it again when online; answers already received are kept.",
                file=sys.stderr,
            )
            return 1
        print(
            f"Asked Crossref about {done.asked:,} DOI(s) (the rest were cached); filled {done.filled:,} row(s) "
            f"and added {done.added:,} to {done.path}."
        )
        for doi in done.unknown:
            print(f"  Crossref does not know doi:{doi}; write its title in sources.csv by hand")
    bib = read_bibliography(args.data)
    untitled = bib.untitled()
    print(f"{len(bib.cited):,} source(s) cited; {len(untitled):,} without a title in {bib.path}:")
    for url in untitled:
        print(f"  {url} (cited {bib.uses[url]:,} time(s))")
    if untitled and not args.fetch:
        print("Pages show these as bare links. `python -m pipeline sources --fetch` fills DOIs from Crossref.")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {
        "build": cmd_build,
        "check": cmd_check,
        "pairs": cmd_pairs,
        "audit": cmd_audit,
        "review": cmd_review,
        "sources": cmd_sources,
        "rename": cmd_rename,
        "serve": cmd_serve,
        "queue": cmd_queue,
    }
    try:
        with _writer_lock(args):
            return commands[args.command](args)
    except Busy as exc:
        print(f"Stopped: {exc}; nothing was done. Run it again without --no-wait to wait for it.", file=sys.stderr)
        return 1
    except ContractError as exc:
        _print_problems(exc, args)
        return 2
    except KeyboardInterrupt:
        print("Interrupted; the previous site is unchanged.", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # Whoever read our output stopped reading (`… | head`): not a failed build. Say nothing
        # more on stdout, and nothing about the site, whose state this does not tell.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        print("Output closed early (broken pipe); see the reports for the build's result.", file=sys.stderr)
        return 1
    except Exception as exc:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            print(_disk_full(exc, args), file=sys.stderr)
            return 1
        traceback.print_exc()
        print(
            "Internal error: the build failed and the previous site is unchanged. Please report the message above.",
            file=sys.stderr,
        )
        return 1


# ---------------------------------------------------------------------------------------------
# Engine hooks: --engine dask [--scheduler ADDRESS], and --out as an fsspec URL (pipeline/engine_dask.py)
# ---------------------------------------------------------------------------------------------


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


def _engine(args: argparse.Namespace, local):
    """The build function for --engine: `local` (build.build) or the Dask engine, same signature."""
    if getattr(args, "engine", "local") != "dask":
        return local
    from functools import partial

    from pipeline.engines.dask_engine import build_dask

    return partial(build_dask, scheduler=args.scheduler)


def _cmd_build_remote(args: argparse.Namespace, started: float) -> int:
    """Build straight into object storage with Dask; the audit reads local files, so it does not run."""
    from pipeline.engines.dask_engine import build_dask
    from pipeline.site.build import load_inputs

    if getattr(args, "engine", "local") != "dask":
        print(f"--out {args.out} is a URL: writing to object storage needs --engine dask.", file=sys.stderr)
        return 2
    inputs = load_inputs(args.data, args.templates, _config(args))
    result = build_dask(
        inputs,
        args.out,
        scheduler=args.scheduler,
        progress=not args.quiet and sys.stderr.isatty(),
        preview=args.preview,
        deploy=args.deploy,
    )
    pairs = sum(result.by_status().values())
    print(
        f"Built {pairs:,} pair pages and {len(result.pages) - pairs:,} other pages into {args.out} "
        f"in {time.perf_counter() - started:.1f} s (written in place; no audit: run `python -m pipeline audit` "
        "on a local copy)."
    )
    print("  by status: " + ", ".join(f"{k} {v:,}" for k, v in sorted(result.by_status().items())))
    if result.rejected:
        print(f"  rejected (not built): {len(result.rejected):,}")
    _print_removed(result)
    if result.warnings:
        print(f"  wording warnings: {len(result.warnings):,}")
    return 0
