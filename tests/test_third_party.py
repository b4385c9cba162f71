"""The two fast paths that lean on another library's internals (pipeline/site/jinja_fast.py and
pipeline/content/inflect_fast.py) still do what they assume, and were checked against the installed
versions: an upgrade fails here, loudly, until someone re-checks them and records the new version."""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import jinja2
import markupsafe
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.content import inflect_fast
from pipeline.site import jinja_fast
from pipeline.site.render import environment

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "package, verified, where",
    [
        ("jinja2", jinja_fast.JINJA_VERIFIED, "pipeline/site/jinja_fast.py"),
        ("inflect", inflect_fast.VERIFIED["inflect"], "pipeline/content/inflect_fast.py"),
        ("typeguard", inflect_fast.VERIFIED["typeguard"], "pipeline/content/inflect_fast.py"),
    ],
)
def test_the_fast_paths_were_checked_against_the_installed_versions(package, verified, where):
    installed = version(package)
    assert installed == verified, (
        f"{package} is {installed} now; the fast path in {where} was checked against {verified}. "
        f"Read its docstring, check each assumption against {package} {installed}'s source, run this file, "
        f"then record {installed} there."
    )


def test_compiled_templates_escape_through_their_modules_escape():
    """Jinja's generated code imports `escape` from jinja2.runtime into the template's module and calls
    it for every autoescaped `{{ … }}`; PageEnvironment's templates have ours there, and it is used."""
    source = jinja2.Environment(autoescape=True).compile("{{ x }}", raw=True)
    assert re.search(r"^from jinja2\.runtime import .*\bescape\b", source, re.M), source
    assert "escape(" in source, source
    template = environment(ROOT / "templates").from_string("{{ x }}|{{ y }}")
    module = template.root_render_func.__globals__
    assert module["escape"] is jinja_fast._escape
    seen = []
    module["escape"] = lambda value: seen.append(value) or jinja_fast._escape(value)
    try:
        assert template.render(x="<b>", y=markupsafe.Markup("<i>")) == "&lt;b&gt;|<i>"
    finally:
        module["escape"] = jinja_fast._escape
    assert seen == ["<b>", markupsafe.Markup("<i>")]


def test_context_call_still_does_what_page_context_call_repeats():
    """_PageContext.call skips Context.call for plain functions without Jinja's pass_* marker."""
    source = inspect.getsource(jinja2.runtime.Context.call)
    for what in ("_block_vars", "_loop_vars", "StopIteration", "_PassArg.from_obj"):
        assert what in source, f"jinja2.runtime.Context.call no longer mentions {what}: re-check _PageContext.call"
    assert "jinja_pass_arg" in inspect.getsource(jinja2.utils._PassArg.from_obj)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_escape_text_is_markupsafes_escape(text):
    assert jinja_fast.escape_text(text) == str(markupsafe.escape(text))


_ANSWERS = """
import json, sys
sys.path.insert(0, {root!r})
if sys.argv[1] == "checked":
    import inflect
    engine = inflect.engine()
else:
    from pipeline.content.inflect_fast import load_inflect
    engine = load_inflect()
    import typeguard
    assert typeguard.typechecked.__module__.startswith("typeguard"), "typeguard.typechecked was not restored"
words = {words!r}
print(json.dumps([[engine.a(w), engine.singular_noun(w), engine.plural_verb(w)] for w in words]))
"""


def test_inflect_without_typeguard_answers_as_inflect_with_it():
    names = [line.split(",")[0] for line in (ROOT / "data" / "topics.csv").read_text(encoding="utf-8").splitlines()[1:]]
    words = ["owl", "hour", "university", "is", "has", "does", "was", "habits", "anxiety", "PTSD", "eyes", *names]
    code = _ANSWERS.format(root=str(ROOT), words=[w.strip('"').lower() for w in words if w.strip('"')])
    answers = [
        json.loads(subprocess.run([sys.executable, "-c", code, how], capture_output=True, text=True, check=True).stdout)
        for how in ("checked", "unchecked")
    ]
    assert answers[0] == answers[1]
