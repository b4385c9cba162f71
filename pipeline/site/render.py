"""Render page contexts with Jinja2: autoescape on, undefined variables are errors."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from types import FunctionType
from typing import Any

import jinja2
import markupsafe
from markupsafe import Markup

from pipeline import urls
from pipeline.config import Config
from pipeline.content.structured import page_graph, to_script

TEMPLATES = {"pair": "pair.html", "hub": "hub.html", "index": "index.html", "about": "about.html", "404": "404.html"}


_escape_inner = getattr(markupsafe, "_escape_inner", None)  # markupsafe's own escaping of a str


def _escape(value: Any) -> str:
    """What `{{ … }}` outputs: the text of markupsafe.escape(value), its most common case (a plain
    str) left a plain str instead of copied into a new Markup. In compiled templates this escape only
    makes output, which Jinja joins (into the page, or into a Markup for a block, macro or call)."""
    if value.__class__ is str:
        return _escape_inner(value)
    return markupsafe.escape(value)


class _PageTemplate(jinja2.Template):
    """Templates whose `{{ … }}` escape with _escape (the same text as markupsafe.escape, faster)."""

    @classmethod
    def from_code(cls, environment, code, globals, uptodate=None):  # type: ignore[no-untyped-def]
        template = super().from_code(environment, code, globals, uptodate)
        if _escape_inner is not None:
            template.root_render_func.__globals__["escape"] = _escape  # the compiled module's escape
        return template


class _PageContext(jinja2.runtime.Context):
    """Jinja's Context, with `{{ rel(…) }}` calls made cheaper: Context.call checks every callable for
    Jinja's pass_context/pass_environment markers (the `jinja_pass_arg` attribute, on it or on its
    __call__) before calling it, ≈ 1 µs a call, and a page calls `rel` 16 times. A plain Python
    function without that marker is called here as Context.call would call it (Jinja 3.1: its
    bookkeeping keywords dropped, StopIteration made undefined); anything else goes to Context.call."""

    def call(self, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        if obj.__class__ is not FunctionType or hasattr(obj, "jinja_pass_arg"):
            return super().call(obj, *args, **kwargs)
        kwargs.pop("_block_vars", None)
        kwargs.pop("_loop_vars", None)
        try:
            return obj(*args, **kwargs)
        except StopIteration:
            return self.environment.undefined("value was undefined because a callable raised a StopIteration exception")


class _PageEnvironment(jinja2.Environment):
    """Templates read page contexts, plain dicts, as `page.x`: here a dict's keys are its attributes,
    as on a namespace (a dict's methods are not), so a lookup costs no failed attribute access and
    contexts need no conversion. Everything else is looked up as Jinja always does."""

    template_class = _PageTemplate
    context_class = _PageContext

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if type(obj) is dict and type(argument) is str:
            try:
                return obj[argument]
            except KeyError:
                return self.undefined(obj=obj, name=argument)
        return super().getitem(obj, argument)


def environment(folder: Path) -> jinja2.Environment:
    """The one Jinja environment: strict, escaped, cached."""
    return _PageEnvironment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
        auto_reload=False,
        cache_size=50,
    )


def site_context(cfg: Config) -> dict[str, Any]:
    """Site-wide values every template sees."""
    lang = cfg.language
    return {
        "name": cfg.name,
        "base_url": cfg.base_url,
        "language": lang,
        "locale": lang.replace("-", "_") if "-" in lang else {"en": "en_US"}.get(lang, lang),
        "author": cfg.author,
        "brand": cfg.cta.brand,
    }


@lru_cache(maxsize=4096)
def long_date(iso: str) -> str:
    """'2026-11-25' → 'November 25, 2026', without depending on the machine's locale."""
    if not iso:
        return ""
    d = date.fromisoformat(iso)
    months = (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    )
    return f"{months[d.month - 1]} {d.day}, {d.year}"


def finish(page: dict[str, Any], site: dict[str, Any], indexable: bool) -> dict[str, Any]:
    """Add what depends on the site: canonical URL, robots, structured data."""
    page = dict(page)
    page["canonical"] = urls.absolute(site["base_url"], page["url"])
    page.setdefault("draft", False)  # a page of the preview tree: banner, noindex
    page["indexable"] = indexable and not page["draft"]
    page.setdefault("breadcrumbs", [])
    page.setdefault("reviewed_on", "")
    page["reviewed_on_text"] = long_date(page["reviewed_on"])
    page.setdefault("updated_on", "")
    page["updated_on_text"] = long_date(page["updated_on"])
    page["jsonld"] = Markup(to_script(page_graph(page, site)))
    return page


def render(env: jinja2.Environment, page: dict[str, Any], site: dict[str, Any]) -> str:
    """Render one finished page to HTML."""
    here = page["url"]
    public = page.get("public")  # from the preview: pages linked where they are published
    if page["kind"] == "404":

        def rel(to: str) -> str:
            return urls.absolute(site["base_url"], to)
    elif public:
        base = site["base_url"]

        def rel(to: str) -> str:
            return urls.absolute(base, to) if to in public else urls.relative(here, to)
    else:

        def rel(to: str) -> str:
            return urls.relative(here, to)

    template = env.get_template(TEMPLATES[page["kind"]])
    return template.render(page=page, site=site, rel=rel, home=urls.HOME, about=urls.ABOUT)
