"""The benchmark behind `make bench` (issue 5).

For each N it generates a synthetic topic set (bench.synthetic), then runs the real command,
`python -m pipeline build`, as a subprocess (so the audit run by the CLI is included) and samples
the resident memory of the whole process tree with psutil. Per N it measures:

- a full build from nothing (wall time, pages per second, peak RSS);
- a rebuild with nothing changed (time and how many output files were touched);
- a rebuild after editing one topic's description;
- a rebuild after editing one template (pair.html, which every pair page uses);
- the file system's floor: the time merely to create as many page folders, each holding one file
  of the build's average page size, with as many processes as the build used (up to the N that
  gets the rebuilds).

Results go into docs/benchmarks.md (between the bench markers; the rest of that file, such as
the profile notes, is kept) and a plot of time and memory against N into docs/img/bench.png.

    python -m bench.run                       # N = 200 and 500
    python -m bench.run --sizes 100,200,500,1000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

from bench import hugo, synthetic
from pipeline.site.quick import default_preview_dir

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench:start -->", "<!-- bench:end -->"

# Targets from issue 5.
TARGET_PPS = 6400
TARGET_N500_S = 20.0
TARGET_RSS_MB = 500
TARGET_NOOP_S = 0.5


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram_gb": f"{psutil.virtual_memory().total / 2**30:.1f}",
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


def run_build(data: Path, templates: Path, out: Path, config: Path, extra: list[str] | None = None) -> dict:
    """Run one CLI build; return wall time, peak RSS of the process tree and the exit status."""
    cmd = [
        sys.executable,
        "-m",
        "pipeline",
        "build",
        "--data",
        str(data),
        "--templates",
        str(templates),
        "--out",
        str(out),
        "--config",
        str(config),
        "--quiet",
        *(extra or []),
    ]
    # The build's cache (manifest, audit cache, the spare site) beside the output, in the size's work
    # folder, so that it goes with it: not in the checkout's .build-cache/, where a spare of N = 500
    # alone is 2 GB.
    env = dict(os.environ, BRINGWISE_BUILD_CACHE=str(out.parent / ".build-cache"))
    run = measure(cmd, ROOT, env)
    if run["returncode"] != 0:
        raise RuntimeError(f"build failed ({run['returncode']}):\n{run['stdout']}\n{run['stderr']}")
    audit = re.search(r"SEO audit: .* in ([\d.]+) s", run["stdout"])
    return {
        "seconds": run["seconds"],
        "peak_mb": run["peak_mb"],
        "peak_pss_mb": run["peak_pss_mb"],
        "audit_s": float(audit.group(1)) if audit else None,
        "stdout": run["stdout"],
    }


def measure(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict:
    """Run a command; its wall time, the peak RSS of its process tree (sampled every 20 ms) and output."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    try:
        parent = psutil.Process(proc.pid)
    except psutil.NoSuchProcess:
        parent = None
    peak_pss = 0
    samples = 0
    while proc.poll() is None:
        if parent is not None:
            try:
                procs = [parent, *parent.children(recursive=True)]
            except psutil.NoSuchProcess:
                procs = []
            peak = max(peak, _tree_memory(procs, "rss"))
            if samples % PSS_EVERY == 0:
                peak_pss = max(peak_pss, _tree_memory(procs, "pss"))
            samples += 1
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    stdout, stderr = proc.communicate()
    return {
        "seconds": elapsed,
        "peak_mb": peak / 2**20,
        "peak_pss_mb": peak_pss / 2**20,
        "stdout": stdout,
        "stderr": stderr,
        "returncode": proc.returncode,
    }


# The proportional set size (PSS) reads each process's smaps (≈ 2 ms a process), so it is sampled every
# 5th time (every 100 ms), the resident set size (RSS) every 20 ms.
PSS_EVERY = 5


def _tree_memory(procs: list, field: str) -> int:
    """The sum over `procs` of their RSS or PSS. Summed RSS counts a page shared by forked processes once
    per process; PSS charges each process its share of it, so the sum is the memory the tree uses."""
    total = 0
    for p in procs:
        try:
            total += getattr(p.memory_full_info() if field == "pss" else p.memory_info(), field)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def _write_pages(args: tuple[str, int, int, bytes]) -> None:
    root, start, stop, data = args
    for i in range(start, stop):
        folder = f"{root}/{i:08d}-a-floor-page-and-another-topic"
        os.mkdir(folder)
        fd = os.open(f"{folder}/index.html", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


def write_floor(root: Path, pages: int, size: int, workers: int) -> float:
    """Seconds to create `pages` folders holding one `size`-byte index.html each, split over `workers` processes.

    The least any build of this URL scheme (one folder per page) can take on this disk: no rendering,
    no audit, only the system calls.
    """
    import multiprocessing

    root.mkdir(parents=True)
    data = b"x" * size
    parts = [(str(root), k * pages // workers, (k + 1) * pages // workers, data) for k in range(workers)]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pool.map(_write_pages, parts)
    return time.perf_counter() - started


def snapshot(out: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime_ns) of every file in the output and in the drafts' preview beside it, to count
    what a rebuild touched."""
    snap = {}
    for tree in (out, default_preview_dir(out)):
        for folder, _, files in os.walk(tree):
            for name in files:
                path = os.path.join(folder, name)
                st = os.stat(path)
                snap[path[len(str(tree.parent)) :]] = (st.st_ino, st.st_mtime_ns)
    return snap


def touched(before: dict, after: dict) -> int:
    return sum(1 for k, v in after.items() if before.get(k) != v) + sum(1 for k in before if k not in after)


def set_aside(folder: Path, work: Path) -> None:
    """Move a folder out of the way, into work/trash/, to be deleted when the whole run is over.

    Deleting a site's files right before a build would slow that build down: this machine's ext4 has
    no journal, and its inode allocator then skips every inode freed in the last 60 s (360 s while
    its inode table block is unwritten), looking each one up (`recently_deleted` in the kernel's
    ialloc.c), so creating 125,000 page folders took 2.9 s on a quiet disk and up to 13.7 s after a
    deletion of that size. Renaming frees no inode.
    """
    trash = work / "trash"
    trash.mkdir(parents=True, exist_ok=True)
    os.rename(folder, trash / f"{folder.name}-{time.time_ns()}")


def clean_up(work: Path, sizes: list[int]) -> None:
    """Delete what the run set aside and every size's work folder, once nothing is measured any more."""
    for folder in [work / "trash", *(work / f"n{n}" for n in sizes)]:
        shutil.rmtree(folder, ignore_errors=True)


def run_hugo(data: Path, base: Path) -> dict | None:
    """Hugo's build of the same pair pages (bench/hugo.py), right after ours; None without Hugo."""
    if hugo.binary() is None:
        print("  Hugo           not installed (the bench extra installs it)", flush=True)
        return None
    pages = hugo.write_site(data, base / "hugo-site")
    run = measure(hugo.command(base / "hugo-site", base / "hugo-public"), base)
    if run["returncode"] != 0:
        raise RuntimeError(f"hugo failed ({run['returncode']}):\n{run['stdout']}\n{run['stderr']}")
    version = hugo.version()
    print(f"  Hugo {version:9} {run['seconds']:7.2f} s  {run['peak_pss_mb']:6.0f} MB PSS", flush=True)
    return {
        "seconds": run["seconds"],
        "peak_mb": run["peak_mb"],
        "peak_pss_mb": run["peak_pss_mb"],
        "pages": pages,
        "version": version,
    }


def bench_one(n: int, work: Path, workers: int | None, rebuilds: bool = True) -> dict:
    """Full build, no-change rebuild and (with `rebuilds`) the one-topic and one-template rebuilds at N topics."""
    base = work / f"n{n}"
    if base.exists():
        set_aside(base, work)
    data = synthetic.write(n, base / "data")
    templates = base / "templates"
    shutil.copytree(ROOT / "templates", templates)
    config = base / "site.toml"
    shutil.copy(ROOT / "site.toml", config)
    out = base / "output"
    extra = ["--workers", str(workers)] if workers else []
    pages = n * (n - 1) // 2
    print(f"N={n}: {pages:,} pair pages", flush=True)

    full = run_build(data, templates, out, config, extra)
    print(
        f"  full build     {full['seconds']:7.2f} s  {full['peak_pss_mb']:6.0f} MB PSS, {full['peak_mb']:.0f} MB RSS summed",
        flush=True,
    )
    side = run_hugo(data, base)
    # Both trees the build writes: the published site and the drafts' preview beside it.
    files = page_files = page_bytes = 0
    for tree in (out, default_preview_dir(out)):
        for folder, _, names in os.walk(tree):
            files += len(names)
            if folder != str(tree) and "index.html" in names:
                page_files += 1
                page_bytes += os.path.getsize(os.path.join(folder, "index.html"))
    page_size = page_bytes // max(page_files, 1)

    before = snapshot(out)
    noop = run_build(data, templates, out, config, extra)
    noop["touched"] = touched(before, snapshot(out))
    print(f"  no change      {noop['seconds']:7.2f} s  touched {noop['touched']} files", flush=True)
    # The rebuilds and the writing floor are filled in below, when measured at this N.
    result = {
        "n": n,
        "pages": pages,
        "files": files,
        "full": full,
        "hugo": side,
        "noop": noop,
        "topic": None,
        "template": None,
        "floor": None,
    }
    if not rebuilds:
        return result

    # Two edits of one topic's description, each timed. The first rebuild stages into a new folder;
    # from the second on, the build recycles the site before last (the spare, see write.Staging), as
    # every rebuild on a team's machine does after the first.
    first_topic = None
    for line_of in (3, 2):
        topics = (data / "topics.csv").read_text(encoding="utf-8").splitlines(keepends=True)
        line = len(topics) // line_of
        topics[line] = topics[line].replace(" is ", " is, by most accounts, ", 1)
        (data / "topics.csv").write_text("".join(topics), encoding="utf-8")
        before = snapshot(out)
        topic = run_build(data, templates, out, config, extra)
        topic["touched"] = touched(before, snapshot(out))
        print(f"  one topic      {topic['seconds']:7.2f} s  touched {topic['touched']} files", flush=True)
        first_topic = first_topic or topic
    topic["first"] = {k: first_topic[k] for k in ("seconds", "touched")}

    tpl = templates / "pair.html"
    tpl.write_text(tpl.read_text(encoding="utf-8") + "{# benchmark edit #}\n", encoding="utf-8")
    before = snapshot(out)
    template = run_build(data, templates, out, config, extra)
    template["touched"] = touched(before, snapshot(out))
    print(f"  one template   {template['seconds']:7.2f} s  touched {template['touched']} files", flush=True)

    floor = {
        "seconds": write_floor(base / "floor", page_files, page_size, workers or os.cpu_count() or 1),
        "page_size": page_size,
        "folders": page_files,
    }
    print(
        f"  writing floor  {floor['seconds']:7.2f} s  ({page_files:,} folders with a {page_size:,}-byte file)",
        flush=True,
    )
    return result | {"topic": topic, "template": template, "floor": floor}


def _yes(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _seconds(s: float | None) -> str:
    return f"{s:.1f} s" if s is not None else "–"


def _rebuild(r: dict | None) -> str:
    return f"{r['seconds']:.2f} s ({r['touched']:,} touched)" if r else "not measured"


def _memory(run: dict) -> float:
    """A run's peak memory in MB: its PSS, or its summed RSS where PSS was not measured (older results)."""
    return run.get("peak_pss_mb") or run["peak_mb"]


def _mb(value: float | None) -> str:
    return f"{value:,.0f} MB" if value else "–"


def _floor(f: dict | None) -> str:
    return f"{f['seconds']:.1f} s" if f else "not measured"


def report(results: list[dict], info: dict[str, str], workers: int | None) -> str:
    rows = [
        "| N | pair pages | files | full build | of which audit | pages/s | peak memory (PSS) | peak RSS, summed "
        "| no change | one topic edited | one template edited | writing floor |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        pps = r["pages"] / r["full"]["seconds"]
        rows.append(
            f"| {r['n']:,} | {r['pages']:,} | {r['files']:,} | {r['full']['seconds']:.2f} s | "
            f"{_seconds(r['full'].get('audit_s'))} | {pps:,.0f} | "
            f"{_mb(r['full'].get('peak_pss_mb'))} | {r['full']['peak_mb']:,.0f} MB | {r['noop']['seconds']:.2f} s ({r['noop']['touched']:,} files touched) | "
            f"{_rebuild(r['topic'])} | {_rebuild(r['template'])} | {_floor(r.get('floor'))} |"
        )
    by_n = {r["n"]: r for r in results}
    checks = []
    best = max(results, key=lambda r: r["pages"])
    pps = best["pages"] / best["full"]["seconds"]
    checks.append(
        f"- Full build incl. audit ≥ {TARGET_PPS:,} pages/s: {_yes(pps >= TARGET_PPS)} — "
        f"{pps:,.0f} pages/s at N = {best['n']} ({pps / TARGET_PPS:.0%} of the target)."
    )
    if 500 in by_n:
        s = by_n[500]["full"]["seconds"]
        checks.append(
            f"- N = 500 (124,750 pages) in under {TARGET_N500_S:.0f} s: {_yes(s < TARGET_N500_S)} — {s:.1f} s."
        )
        full = by_n[500]["full"]
        mb = _memory(full)
        checks.append(
            f"- Peak memory under {TARGET_RSS_MB} MB at N = 500: {_yes(mb < TARGET_RSS_MB)} — {mb:.0f} MB "
            f"(PSS; the summed RSS, which counts pages shared by forked processes once per process, peaked at "
            f"{full['peak_mb']:.0f} MB)."
        )
    if len(results) > 1:
        lo, hi = results[0], results[-1]
        checks.append(
            f"- Memory flat with N (largest N within 1.5× of the smallest): "
            f"{_yes(_memory(hi['full']) <= 1.5 * _memory(lo['full']))} — peak memory {_memory(lo['full']):,.0f} MB at "
            f"N = {lo['n']} and {_memory(hi['full']):,.0f} MB at N = {hi['n']} "
            f"({hi['pages'] / lo['pages']:.0f}× the pages)."
        )
    if 200 in by_n:
        r = by_n[200]["noop"]
        checks.append(
            f"- No-change rebuild under {TARGET_NOOP_S} s at N = 200, writing nothing: "
            f"{_yes(r['seconds'] < TARGET_NOOP_S and r['touched'] == 0)} — {r['seconds']:.2f} s, "
            f"{r['touched']} files touched."
        )
    for r in results:
        h, f = r.get("hugo"), r["full"]
        if h:
            ratio = f["seconds"] / h["seconds"]
            checks.append(
                f"- Full build in at most half of Hugo's time at N = {r['n']}: {_yes(ratio <= 0.5)} — Hugo "
                f"{h['version']} built the same {h['pages']:,} pair pages (bench/hugo.py, no audit) in {h['seconds']:.2f} s "
                f"({h['pages'] / h['seconds']:,.0f} pages/s, {h['peak_mb']:,.0f} MB peak), run right after ours; ours "
                f"with the audit took {ratio:.2f}× Hugo's time with {_memory(f) / _memory(h):.0%} of its memory."
            )
        else:
            checks.append(f"- Against Hugo at N = {r['n']}: not measured (Hugo is not installed).")
    for r in results:
        f = r.get("floor")
        if f:
            checks.append(
                f"- Writing floor at N = {r['n']}: merely creating its {f['folders']:,} page folders with a "
                f"{f['page_size']:,}-byte file each takes {f['seconds']:.1f} s on this disk; the full build takes "
                f"{r['full']['seconds'] / f['seconds']:.1f}× that."
            )
    for r in results:
        t = r["topic"]
        if t is None:
            continue
        if "first" in t:
            checks.append(
                f"- One topic edited at N = {r['n']}, the first rebuild (no spare staging folder yet): "
                f"{t['first']['seconds']:.2f} s, {t['first']['touched']:,} files touched."
            )
        checks.append(
            f"- One topic edited at N = {r['n']}: {t['touched']:,} of {r['files']:,} files rewritten "
            f"({t['seconds']:.2f} s); the edited topic has {r['n'] - 1} pairs plus its hub."
        )
    m = info
    lines = [
        START,
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Python {m['python']}, {m['os']}. "
        f"Workers: {workers or 'default (all cores)'}. Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        "by `make bench`" + (f" with `--sizes {','.join(str(r['n']) for r in results)}`" if results else "") + ".",
        "",
        (
            "Every figure is one run of `python -m pipeline build` as a subprocess (CLI start-up, loading, validation, "
            "rendering, writing, sitemaps and the audit when present). Peak memory is the proportional set size (PSS) "
            "summed over the process and its workers, sampled every 100 ms: each page of memory that forked processes "
            "share is counted once in all. The summed resident set size (RSS, every 20 ms) counts it once per process, "
            'so it overstates a tree of forks; it is shown beside it. "Files" and "touched" count both trees the '
            "build writes, the published site and the drafts' preview; a file is touched when its inode or mtime "
            "changed."
        ),
        "",
        *rows,
        "",
        "Targets (issues 5 and 17):",
        "",
        *checks,
        "",
        "![Build time and peak memory against N](img/bench.png)",
        "",
        END,
    ]
    return "\n".join(lines)


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ns = [r["n"] for r in results]
    fig, ax1 = plt.subplots(figsize=(7, 4))
    ax1.plot(ns, [r["full"]["seconds"] for r in results], "o-", color="tab:blue", label="full build (s)")
    edited = [r for r in results if r["topic"]]
    ax1.plot(
        [r["n"] for r in edited],
        [r["topic"]["seconds"] for r in edited],
        "s--",
        color="tab:cyan",
        label="one topic edited (s)",
    )
    ax1.plot(ns, [r["noop"]["seconds"] for r in results], "^:", color="tab:green", label="no change (s)")
    ax1.set_xlabel("topics (N); pair pages = N(N-1)/2")
    ax1.set_ylabel("seconds")
    ax2 = ax1.twinx()
    ax2.plot(ns, [_memory(r["full"]) for r in results], "D-", color="tab:red", label="peak memory, PSS (MB)")
    ax2.set_ylabel("peak memory of the process tree, PSS (MB)")
    ax2.set_ylim(bottom=0)
    ax1.set_ylim(bottom=0)
    h1, l1 = ax1.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax1.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=8)
    ax1.set_title("Bringwise pipeline: build time and memory against N")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_doc(section: str, doc: Path) -> None:
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n\n" + START + "\n" + END + "\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        text = head + section + tail
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run", description="Benchmark the build (issue 5).")
    p.add_argument("--sizes", default="200,500", help="comma-separated topic counts (default 200,500)")
    p.add_argument(
        "--rebuilds-up-to",
        type=int,
        default=500,
        metavar="N",
        help="measure the one-topic and one-template rebuilds only up to this N (default 500); larger N get the "
        "full and no-change builds",
    )
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: the build's own choice)")
    p.add_argument("--work", type=Path, default=ROOT / "bench" / "work", help="scratch folder")
    p.add_argument("--doc", type=Path, default=ROOT / "docs" / "benchmarks.md")
    p.add_argument("--plot", type=Path, default=ROOT / "docs" / "img" / "bench.png")
    p.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    p.add_argument(
        "--keep",
        action="store_true",
        help="keep every size's data and sites in the scratch folder (by default they are deleted once all sizes are "
        "measured, not between sizes: see set_aside)",
    )
    args = p.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    info = machine()
    results = []
    for n in sizes:  # the doc, plot and JSON are rewritten after every N, so a long run leaves results early
        results.append(bench_one(n, args.work, args.workers, rebuilds=n <= args.rebuilds_up_to))
        if args.json:
            args.json.write_text(json.dumps({"machine": info, "results": results}, indent=1, default=str))
        write_doc(report(results, info, args.workers), args.doc)
        plot(results, args.plot)
    print(f"wrote {args.doc} and {args.plot}")
    if args.keep:
        print(f"kept the sites in {args.work}/n*/")
    else:
        clean_up(args.work, sizes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
