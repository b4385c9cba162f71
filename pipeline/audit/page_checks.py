"""Per-page checks: pure functions of one record and the configuration."""

from __future__ import annotations

from pipeline.audit.model import CHECKS, MAX_SAME_FINDINGS, SEVERITIES, SOFTER_WHEN_NOINDEX, Finding, PageRecord
from pipeline.audit.parse import kind_of
from pipeline.config import Config
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
    if len(rec.titles) != 1 or not rec.titles[0]:
        _add(
            out,
            sev,
            "title-missing",
            url,
            [
                "no <title>"
                if not rec.titles
                else f"{len(rec.titles)} <title> elements"
                if len(rec.titles) > 1
                else "the <title> is empty"
            ],
        )
    elif not a.title_min <= len(rec.titles[0]) <= a.title_max:
        _add(
            out,
            sev,
            "title-length",
            url,
            [f"title is {len(rec.titles[0])} characters (aim for {a.title_min}–{a.title_max}): {rec.titles[0]}"],
        )
    if len(rec.descriptions) != 1 or not rec.descriptions[0]:
        _add(
            out,
            sev,
            "description-missing",
            url,
            [
                "no meta description"
                if not rec.descriptions
                else f"{len(rec.descriptions)} meta descriptions"
                if len(rec.descriptions) > 1
                else "the meta description is empty"
            ],
        )
    elif not special and not a.description_min <= len(rec.descriptions[0]) <= a.description_max:
        _add(
            out,
            sev,
            "description-length",
            url,
            [
                (
                    f"meta description is {len(rec.descriptions[0])} characters (aim for "
                    f"{a.description_min}–{a.description_max})"
                )
            ],
        )
    if rec.h1 != 1:
        _add(out, sev, "h1-count", url, [f"{rec.h1} h1 elements (needs exactly one)"])
    _add(out, sev, "heading-order", url, [f"heading level skipped: {s}" for s in rec.heading_skips])
    expected_canonical = cfg.base_url.rstrip("/") + "/" + url
    if not special:
        if not rec.canonicals:
            _add(out, sev, "canonical", url, ["no canonical link"])
        elif len(rec.canonicals) > 1:
            _add(out, sev, "canonical", url, [f"{len(rec.canonicals)} canonical links"])
        elif rec.canonicals[0] != expected_canonical:
            _add(out, sev, "canonical", url, [f"canonical is {rec.canonicals[0]}, expected {expected_canonical}"])
    _add(out, sev, "jsonld-invalid", url, [f"JSON-LD does not parse: {e}" for e in rec.jsonld_errors])
    if not special:
        if not rec.jsonld_blocks:
            _add(out, sev, "jsonld-types", url, ["no JSON-LD structured data"])
        else:
            missing = sorted(expected_types(rec) - set(rec.jsonld_types))
            if missing:
                _add(out, sev, "jsonld-types", url, [f"JSON-LD lacks @type {', '.join(missing)}"])
            if not any(t.endswith(("WebPage", "Page")) for t in rec.jsonld_types):
                _add(out, sev, "jsonld-types", url, ["JSON-LD has no WebPage type"])
    _add(out, sev, "link-text", url, [f"link text does not say where it goes ({t})" for t in rec.bad_link_text])
    _add(out, sev, "img-alt", url, [f"image without alt attribute: {s}" for s in rec.img_no_alt])
    _add(out, sev, "link-broken", url, [f"link climbs above the site root: {h}" for h in rec.outside_links])
    if not special:
        _content_checks(out, sev, rec)
    if not special and rec.words < a.min_words:
        _add(out, sev, "thin-content", url, [f"{rec.words} words of main text (minimum {a.min_words})"], rec.noindex)
    return out
