"""Per-page checks: pure functions of one record and the configuration."""

from __future__ import annotations

from pipeline.audit.model import CHECKS, MAX_SAME_FINDINGS, SEVERITIES, SOFTER_WHEN_NOINDEX, Finding, PageRecord
from pipeline.audit.parse import kind_of
from pipeline.config import AuditThresholds, Config
from pipeline.problems import ContractError, Problem

# ---------------------------------------------------------------------------------------------
# Per-page checks (pure functions of one record and the configuration)


class _Severity:
    """Severity of each check after site.toml's [audit.severity] overrides; None means off."""

    def __init__(self, cfg: Config):
        overrides = dict(cfg.audit.severity)
        problems = []
        for check, sev in overrides.items():
            if check not in CHECKS:
                problems.append(f"[audit.severity] names unknown check {check!r}; known: {', '.join(sorted(CHECKS))}")
            if sev not in (*SEVERITIES, "off"):
                problems.append(f"[audit.severity] {check} = {sev!r} should be error, warning, info or off")
        if problems:
            raise ContractError([Problem("site.toml", 0, "", p) for p in problems])
        self.base = {c: overrides.get(c, d[0]) for c, d in CHECKS.items()}

    def __call__(self, check: str, noindex: bool = False) -> str | None:
        sev = self.base[check]
        if sev == "off":
            return None
        if noindex and check in SOFTER_WHEN_NOINDEX and sev != "info":
            sev = SEVERITIES[SEVERITIES.index(sev) + 1]
        return sev


def _add(out: list[Finding], sev: _Severity, check: str, url: str, messages: list[str], noindex: bool = False):
    if not messages:
        return
    s = sev(check, noindex)
    if s is None:
        return
    for m in messages[:MAX_SAME_FINDINGS]:
        out.append(Finding(check, s, url, m))
    if len(messages) > MAX_SAME_FINDINGS:
        out.append(Finding(check, s, url, f"… and {len(messages) - MAX_SAME_FINDINGS} more"))


def expected_types(rec: PageRecord) -> set[str]:
    """The JSON-LD @types a page must carry."""
    need: set[str] = set()
    if kind_of(rec.url) == "pair":
        # MedicalWebPage only when the pair is about a condition (jsonld-mismatch checks the rest).
        need |= {"MedicalWebPage" if any(t.startswith("Medical") for t in rec.about_types) else "WebPage"}
        need.add("BreadcrumbList")
    if rec.breadcrumb_nav:
        need.add("BreadcrumbList")
    return need


def _content_checks(out: list[Finding], sev: _Severity, rec: PageRecord) -> None:
    """Cut-off descriptions, og:image, structured data that does not fit, untitled sources, named reviewers."""
    url, noindex = rec.url, rec.noindex
    if len(rec.descriptions) == 1 and rec.descriptions[0].rstrip().endswith(("…", "...")):
        _add(out, sev, "description-cut", url, [f"meta description ends in an ellipsis: …{rec.descriptions[0][-60:]}"])
    if not noindex and not rec.og_image:
        _add(out, sev, "og-image-missing", url, ["no og:image: shared links show no picture"])
    if rec.page_type == "MedicalWebPage" and not any(t.startswith("Medical") for t in rec.about_types):
        about = ", ".join(sorted(set(rec.about_types))) or "nothing"
        _add(
            out,
            sev,
            "jsonld-mismatch",
            url,
            [f"MedicalWebPage, but the page is about {about}: no medical condition"],
            noindex,
        )
    _add(out, sev, "source-untitled", url, [f"source without a title: {s}" for s in rec.untitled_sources], noindex)
    if kind_of(url) == "pair" and not noindex and rec.reviewer_type != "Person":
        who = f"reviewed by an {rec.reviewer_type}" if rec.reviewer_type else "no reviewer at all"
        _add(out, sev, "reviewer-missing", url, [f"YMYL: no named reviewer ({who}); name a qualified person"])


def page_findings(rec: PageRecord, cfg: Config, sev: _Severity | None = None) -> list[Finding]:
    """Checks that need only the page itself."""
    sev = sev or _Severity(cfg)
    a = cfg.audit
    url, out = rec.url, []
    if rec.parse_error:
        _add(out, sev, "parse-failed", url, [rec.parse_error])
        return out
    special = kind_of(url) == "404"
    if not rec.lang:
        _add(out, sev, "lang-missing", url, ["<html> has no lang attribute"])
    _title_checks(out, sev, rec, a)
    _description_checks(out, sev, rec, a, special)
    if rec.h1 != 1:
        _add(out, sev, "h1-count", url, [f"{rec.h1} h1 elements (needs exactly one)"])
    _add(out, sev, "heading-order", url, [f"heading level skipped: {s}" for s in rec.heading_skips])
    if not special:
        _canonical_check(out, sev, rec, cfg.base_url.rstrip("/") + "/" + url)
    _add(out, sev, "jsonld-invalid", url, [f"JSON-LD does not parse: {e}" for e in rec.jsonld_errors])
    if not special:
        _jsonld_type_checks(out, sev, rec)
    _add(out, sev, "link-text", url, [f"link text does not say where it goes ({t})" for t in rec.bad_link_text])
    _add(out, sev, "img-alt", url, [f"image without alt attribute: {s}" for s in rec.img_no_alt])
    _add(out, sev, "link-broken", url, [f"link climbs above the site root: {h}" for h in rec.outside_links])
    if not special:
        _content_checks(out, sev, rec)
    if not special and rec.words < a.min_words:
        _add(out, sev, "thin-content", url, [f"{rec.words} words of main text (minimum {a.min_words})"], rec.noindex)
    return out


def _how_many(items: list[str], none: str, what: str, empty: str) -> str:
    """What is wrong with a list that should hold one non-empty item: none, several, or an empty one."""
    return none if not items else f"{len(items)} {what}" if len(items) > 1 else empty


def _title_checks(out: list[Finding], sev: _Severity, rec: PageRecord, a: AuditThresholds) -> None:
    """Exactly one <title>, of a length within the audit's limits."""
    titles = rec.titles
    if len(titles) != 1 or not titles[0]:
        problem = _how_many(titles, "no <title>", "<title> elements", "the <title> is empty")
        _add(out, sev, "title-missing", rec.url, [problem])
    elif not a.title_min <= len(titles[0]) <= a.title_max:
        message = f"title is {len(titles[0])} characters (aim for {a.title_min}–{a.title_max}): {titles[0]}"
        _add(out, sev, "title-length", rec.url, [message])


def _description_checks(out: list[Finding], sev: _Severity, rec: PageRecord, a: AuditThresholds, special: bool) -> None:
    """Exactly one meta description, of a length within the audit's limits (any length on the 404 page)."""
    found = rec.descriptions
    if len(found) != 1 or not found[0]:
        problem = _how_many(found, "no meta description", "meta descriptions", "the meta description is empty")
        _add(out, sev, "description-missing", rec.url, [problem])
    elif not special and not a.description_min <= len(found[0]) <= a.description_max:
        message = f"meta description is {len(found[0])} characters (aim for {a.description_min}–{a.description_max})"
        _add(out, sev, "description-length", rec.url, [message])


def _canonical_check(out: list[Finding], sev: _Severity, rec: PageRecord, expected: str) -> None:
    """One canonical link, to the page's own address (`expected`)."""
    if not rec.canonicals:
        _add(out, sev, "canonical", rec.url, ["no canonical link"])
    elif len(rec.canonicals) > 1:
        _add(out, sev, "canonical", rec.url, [f"{len(rec.canonicals)} canonical links"])
    elif rec.canonicals[0] != expected:
        _add(out, sev, "canonical", rec.url, [f"canonical is {rec.canonicals[0]}, expected {expected}"])


def _jsonld_type_checks(out: list[Finding], sev: _Severity, rec: PageRecord) -> None:
    """Structured data with the types the page's kind needs, a WebPage among them."""
    if not rec.jsonld_blocks:
        _add(out, sev, "jsonld-types", rec.url, ["no JSON-LD structured data"])
        return
    missing = sorted(expected_types(rec) - set(rec.jsonld_types))
    if missing:
        _add(out, sev, "jsonld-types", rec.url, [f"JSON-LD lacks @type {', '.join(missing)}"])
    if not any(t.endswith(("WebPage", "Page")) for t in rec.jsonld_types):
        _add(out, sev, "jsonld-types", rec.url, ["JSON-LD has no WebPage type"])
