"""One `build` command's work: the site built by the chosen engine, the staged site audited before
it is swapped in (the workers' records handed to the audit), the SEO review written, and the
queue's top rows ranked meanwhile. The command line only translates arguments into a
`BuildRequest` and the `BuildOutcome` (or `WordingFailed`, `AuditFailed`) into messages and an
exit status."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import urls
from pipeline.site.build import BuildResult, Inputs, build


class WordingFailed(Exception):
    """strict and the proofreader found wording faults: the staged site is not swapped in."""

    def __init__(self, faults: list[str]):
        super().__init__(faults)
        self.faults = faults


class AuditFailed(Exception):
    """strict and the audit found errors: the staged site is not swapped in."""

    def __init__(self, audit, html: Path):
        super().__init__(audit.errors)
        self.audit, self.html = audit, html


@dataclass(frozen=True)
class BuildRequest:
    """What the `build` command was asked for."""

    data: Path
    out: Path
    reports: Path | None = None
    preview: Path | None = None
    deploy: Path | None = None
    workers: int | None = None
    engine: str = "local"  # or "dask"
    scheduler: str | None = None  # with the Dask engine: the scheduler's address (None: a local cluster)
    audit: bool = True
    strict: bool = False
    progress: bool = False

    @property
    def reports_dir(self) -> Path:
        return self.reports or urls.default_reports_dir(self.out)


@dataclass
class BuildOutcome:
    """A finished build: its result, the audit's result and report (None with audit off) and the
    queue's top rows (a callable giving (rows, problem), or None when not ranked)."""

    result: BuildResult
    audit: Any = None
    html: Path | None = None
    ranking: Any = None


def run_build(inputs: Inputs, request: BuildRequest) -> BuildOutcome:
    """Build, audit and report (see the module's docstring)."""
    from pipeline.report import review as report

    outcome = BuildOutcome(BuildResult())
    if request.audit:
        _rank(inputs, request, outcome)  # on the core the build's single-process start leaves idle
    outcome.result = _engine(request)(
        inputs,
        request.out,
        workers=request.workers,
        progress=request.progress,
        after_write=_after_write(inputs, request, outcome) if request.strict or request.audit else None,
        preview=request.preview,
        deploy=request.deploy,
        **({"audit_records": True} if request.engine != "dask" and request.audit else {}),
    )
    reports = request.reports_dir
    if request.audit and outcome.audit is None:  # nothing changed, so the build wrote nothing
        outcome.audit, outcome.html = report.audit_and_report(
            request.out,
            inputs.cfg,
            request.out,
            reports,
            report.baseline_for_build(reports),
            queue=_queue(inputs, request, outcome),
            changes=report.SiteChanges.of(outcome.result),
        )
    if outcome.audit is not None:
        from pipeline.report.priorities import finding_keys

        report.save_state(reports, outcome.audit.hashes(), finding_keys(outcome.audit))
    return outcome


def _engine(request: BuildRequest):
    """The build function of the request's engine: build.build or the Dask engine's, same signature."""
    if request.engine != "dask":
        return build
    from functools import partial

    from pipeline.engines.dask_engine import build_dask

    return partial(build_dask, scheduler=request.scheduler)


def _rank(inputs: Inputs, request: BuildRequest, outcome: BuildOutcome) -> None:
    """Start ranking the queue in a forked process, once: before the build, whose fingerprints and
    render job are made in one process (the ranking, a few tenths of a second, runs beside them,
    niced so that it yields to the render workers if it is not done by then)."""
    if outcome.ranking is None:
        from pipeline.data.ranking import in_background

        outcome.ranking = in_background(request.data, inputs.topics, inputs.pairs, inputs.cfg, inputs.links)


def _queue(inputs: Inputs, request: BuildRequest, outcome: BuildOutcome):
    """The queue's top rows for the report, waited for when the report needs them."""

    def rows():
        _rank(inputs, request, outcome)
        return outcome.ranking()[0]

    return rows


def _after_write(inputs: Inputs, request: BuildRequest, outcome: BuildOutcome):
    """What runs on the staged site before the swap: the strict wording check, then the audit (with
    the records the local engine's workers made of the pages they rendered)."""
    from pipeline.report import review as report

    def after_write(staging_root: Path, result: BuildResult) -> None:
        if request.strict and result.warnings:
            raise WordingFailed(result.warnings)
        if not request.audit:
            return
        _rank(inputs, request, outcome)  # the report waits for it after the audit
        reports = request.reports_dir
        outcome.audit, outcome.html = report.audit_and_report(
            staging_root,
            inputs.cfg,
            request.out,
            reports,
            report.baseline_for_build(reports),
            known=getattr(result, "audit_records", None),
            sameness=getattr(result, "sameness", None),
            queue=_queue(inputs, request, outcome),
            changes=report.SiteChanges.of(result),
        )
        if request.strict and outcome.audit.errors:
            raise AuditFailed(outcome.audit, outcome.html)

    return after_write
