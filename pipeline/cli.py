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
from pipeline.cli_args import parser
from pipeline.config import load_config
from pipeline.locks import Busy, hold
from pipeline.problems import ContractError


def _config(args: argparse.Namespace):
    return load_config(_config_path(args))


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
    from pipeline.engines.run import AuditFailed, WordingFailed, run_build
    from pipeline.site.build import load_inputs

    inputs = load_inputs(args.data, args.templates, _config(args))
    if not args.allow_removals and _refuse_removals(inputs, args.out):
        return 2
    try:
        outcome = run_build(inputs, _build_request(args))
    except WordingFailed as exc:
        print(
            f"Stopped (--strict): {len(exc.faults):,} wording warning(s); {args.out}/ was left as it was.",
            file=sys.stderr,
        )
        print("\n".join(f"  {w}" for w in exc.faults[:20]), file=sys.stderr)
        return 1
    except AuditFailed as exc:
        from pipeline.report import review as report

        print("\n".join(report.terminal_summary(exc.audit, exc.html)))
        print(
            f"Stopped (--strict): the audit found {exc.audit.errors:,} error(s); {args.out}/ was left as it was.",
            file=sys.stderr,
        )
        return 1
    _report_build(args, inputs, outcome, started, key)
    return 1 if outcome.audit is not None and args.strict and outcome.audit.errors else 0


def _build_request(args: argparse.Namespace):
    from pipeline.engines.run import BuildRequest

    return BuildRequest(
        data=args.data,
        out=args.out,
        reports=args.reports,
        preview=args.preview,
        deploy=args.deploy,
        workers=args.workers,
        engine=getattr(args, "engine", "local"),
        scheduler=getattr(args, "scheduler", None),
        audit=not args.no_audit,
        strict=args.strict,
        progress=not args.quiet and sys.stderr.isatty(),
    )


def _report_build(args: argparse.Namespace, inputs, outcome, started: float, key: str) -> None:
    """The build's summary on the terminal, and what a rebuild that changes nothing prints (saved)."""
    from pipeline.report import review as report
    from pipeline.site import quick

    result = outcome.result
    pairs = sum(result.by_status().values())
    elapsed = time.perf_counter() - started
    print(
        f"Built {pairs:,} pair pages and {len(result.pages) - pairs:,} other pages into {args.out}/ in {elapsed:.1f} s."
    )
    head = _summary_head(args, inputs, outcome)
    tail = []
    if result.warnings:
        tail.append(f"  wording warnings: {len(result.warnings):,}")
        tail.extend(f"    {w}" for w in result.warnings[:20])
    print("\n".join(head))
    _print_changes(result)
    _print_removed(result)
    if tail:
        print("\n".join(tail))
    record: dict = {"pairs": pairs, "others": len(result.pages) - pairs, "lines": head + tail, "audit": None}
    stamped: list[Path] = []
    if outcome.audit is not None:
        print("\n".join(report.terminal_summary(outcome.audit, outcome.html)))
        record["audit"] = {"lines": _unchanged_summary(outcome.audit, outcome.html), "errors": outcome.audit.errors}
        reports = Path(args.reports or urls.default_reports_dir(args.out))
        stamped = [Path(outcome.html), reports / report.CSV_NAME, reports / report.STATE_NAME]
    quick.save(args.out, key, record, stamped, _also(args))


def _summary_head(args: argparse.Namespace, inputs, outcome) -> list[str]:
    """The summary's lines by status, tree, notes, sameness and what to write next."""
    result = outcome.result
    by_status = result.by_status()
    pairs, drafts = sum(by_status.values()), by_status.get("review", 0)
    head = ["  by status: " + ", ".join(f"{k} {v:,}" for k, v in sorted(by_status.items()))]
    preview = _also(args)[0] if _also(args) else None
    head.append(
        f"  published: {pairs - drafts:,} pair page(s) in {args.out}/"
        + (f"; drafts: {drafts:,} in {preview}/ (not published)" if preview is not None else "")
    )
    if result.rejected:
        head.append(f"  rejected (not built): {len(result.rejected):,}")
    head.extend(f"  note: {n}" for n in inputs.notes)
    head.extend(result.sameness.lines() if result.sameness is not None else [])
    return head + (_write_next(*outcome.ranking()) if outcome.ranking is not None else [])  # not with --no-audit


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
        args.out,
        cfg,
        args.out,
        reports,
        report.baseline_for_build(reports),
        workers=args.workers,
        rebase=True,
        crawl=True,
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
    args = parser().parse_args(argv)
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
# --out as an fsspec URL (pipeline/engines/dask_engine.py)
# ---------------------------------------------------------------------------------------------


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
