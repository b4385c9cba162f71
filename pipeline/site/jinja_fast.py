"""The Jinja environment's fast paths, kept here because they lean on Jinja 3.1's internals.

Rendering a pair page costs ≈ 60 µs of CPU with them and ≈ 90 µs without (measured on 300 pages of a
50-topic synthetic set): about a tenth of a page's whole cost. What they assume of Jinja, and
`tests/test_third_party.py` checks (it fails, naming what to re-check, when Jinja changes version):

- compiled templates call `escape(…)` for every `{{ … }}` under autoescape, looked up in the compiled
  module's globals (imported there from jinja2.runtime); replacing that global changes the escaping
  function of that template only;
- `Context.call` drops the `_block_vars` and `_loop_vars` keywords and turns StopIteration into an
  undefined value before it calls a plain function.

The escaping itself uses no private API: `escape_text` is markupsafe's documented escaping of a str,
the same five replacements as markupsafe's pure-Python implementation, as fast as its C one here.
"""

from __future__ import annotations

from types import FunctionType
from typing import Any

import jinja2
import markupsafe

JINJA_VERIFIED = "3.1.6"  # the Jinja version the assumptions above were last checked against


def escape_text(text: str) -> str:
    """markupsafe.escape(text)'s text, as a plain str: & < > ' " replaced by entities."""
    return (
        text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;").replace("'", "&#39;").replace('"', "&#34;")
    )


def _escape(value: Any) -> str:
    """What `{{ … }}` outputs: the text of markupsafe.escape(value), its most common case (a plain
    str) left a plain str instead of copied into a new Markup. In compiled templates this escape only
    makes output, which Jinja joins (into the page, or into a Markup for a block, macro or call)."""
    if value.__class__ is str:
        return escape_text(value)
    return markupsafe.escape(value)


class _PageTemplate(jinja2.Template):
    """Templates whose `{{ … }}` escape with _escape (the same text as markupsafe.escape, faster)."""

    @classmethod
    def from_code(cls, environment, code, globals, uptodate=None):  # type: ignore[no-untyped-def]
        template = super().from_code(environment, code, globals, uptodate)
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


class PageEnvironment(jinja2.Environment):
    """Templates read page contexts, plain dicts, as `page.x`: here a dict's keys are its attributes,
    as on a namespace (a dict's methods are not), so a lookup costs no failed attribute access and
    contexts need no conversion. Everything else is looked up as Jinja always does."""

    template_class = _PageTemplate
    context_class = _PageContext

    def get_template(self, name: Any, parent: str | None = None, globals: Any = None) -> jinja2.Template:
        """Jinja's get_template, its answers remembered when templates are never reloaded: a pair page
        asks for its layout and for each include (a paragraph of link text, the call to action) on
        every render, and Jinja's own lookup (path join, lock, LRU cache) costs ≈ 10 µs a page."""
        if self.auto_reload or globals is not None:
            return super().get_template(name, parent, globals)
        memo = self.__dict__.setdefault("_template_memo", {})
        key = (name, parent)
        template = memo.get(key)
        if template is None:
            template = memo[key] = super().get_template(name, parent)
        return template

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
