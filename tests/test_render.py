"""The page environment renders exactly what plain Jinja renders from namespaces."""

from __future__ import annotations

from types import SimpleNamespace

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup, escape

from pipeline.site.jinja_fast import _escape
from pipeline.site.render import environment

TEMPLATE = (
    "<h1>{{ page.title }}</h1>{% for s in page.items_ %}<li>{{ s.text }}{{ s['url'] }}</li>{% endfor %}"
    "{{ page.html }}{{ page.n }}{% if page.empty %}x{% endif %}{{ site.name }}"
)
PAGE = {
    "title": "Stress & <Sleep> \"quoted\" 'single' — ok",
    "items_": [{"text": "a < b", "url": "?x=1&y=2"}, {"text": "", "url": ""}],
    "html": Markup("<b>kept</b>"),
    "n": 3,
    "empty": "",
}


def _namespaces(value):
    if type(value) is dict:
        return SimpleNamespace(**{k: _namespaces(v) for k, v in value.items()})
    if type(value) is list:
        return [_namespaces(v) for v in value]
    return value


def test_dicts_render_as_namespaces_do(tmp_path):
    (tmp_path / "t.html").write_text(TEMPLATE, encoding="utf-8")
    plain = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(tmp_path)), autoescape=True, undefined=jinja2.StrictUndefined
    )
    ours = environment(tmp_path)
    site = {"name": "B&W"}
    expected = plain.get_template("t.html").render(page=_namespaces(PAGE), site=_namespaces(site))
    assert ours.get_template("t.html").render(page=PAGE, site=site) == expected
    assert ours.from_string("{{ page.missing is defined }}").render(page={}) == "False"
    with pytest.raises(jinja2.UndefinedError):
        ours.from_string("{{ page.missing }}").render(page={})
    with pytest.raises(jinja2.UndefinedError):
        ours.from_string("{{ page.items }}").render(page={})  # a dict's method is not a key


@pytest.mark.parametrize("value", ["", "plain", "<a href='x'>&\"</a>", "é ü — ’", Markup("<i>"), 5, None])
def test_escape_is_markupsafe_escape(value):
    assert _escape(value) == escape(value)
    assert type(_escape(value)) is (str if type(value) is str else type(escape(value)))


# Escaped output inside what Jinja collects into Markup itself: set blocks, macros, call blocks,
# filter blocks, includes, loops with a filter, and values that are Markup already.
COLLECTED = (
    "{% set x %}<{{ page.title }}>{% endset %}{{ x }}{{ x|upper }}{{ x|length }}"
    "{% macro m(v) %}[{{ v }}]{{ caller() if caller is defined else '' }}{% endmacro %}{{ m(page.title) }}{{ m(page.html) }}"
    "{% call m(page.n) %}{{ page.title }}{% endcall %}"
    "{% filter upper %}{{ page.title }}{% endfilter %}{{ (page.title ~ page.html)|e }}{{ page.title|safe }}"
    "{% for s in page.items_ if s.text %}{{ s.text }}{{ loop.index }}{% endfor %}{% include 'inc.html' %}"
    "{{ m(page.title)|replace('&', '+') }}{{ [page.title, page.html]|join(', ') }}"
)


def test_collected_output_renders_as_plain_jinja(tmp_path):
    (tmp_path / "t.html").write_text(COLLECTED, encoding="utf-8")
    (tmp_path / "inc.html").write_text("{{ page.title }}{{ site.name }}", encoding="utf-8")
    plain = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(tmp_path)), autoescape=True, undefined=jinja2.StrictUndefined
    )
    site = {"name": "B&W"}
    expected = plain.get_template("t.html").render(page=_namespaces(PAGE), site=_namespaces(site))
    assert environment(tmp_path).get_template("t.html").render(page=PAGE, site=site) == expected


def test_templates_are_looked_up_once_and_resolve_as_jinja_does(tmp_path):
    """The environment remembers get_template's answers (it never reloads templates): the same template
    for the same name and parent, relative names still joined as Jinja joins them, a missing template
    still an error, and an environment that does reload (auto_reload) still sees an edited file."""
    (tmp_path / "t.html").write_text("{% include 'inc.html' %}", encoding="utf-8")
    (tmp_path / "inc.html").write_text("one", encoding="utf-8")
    env = environment(tmp_path)
    first = env.get_template("t.html")
    assert env.get_template("t.html") is first and first.render() == "one"
    assert env.get_template("inc.html", "t.html") is env.get_template("inc.html")
    with pytest.raises(jinja2.TemplateNotFound):
        env.get_template("missing.html")
    (tmp_path / "inc.html").write_text("two", encoding="utf-8")
    assert env.get_template("t.html").render() == "one"  # as Jinja with auto_reload=False
    env.auto_reload = True
    assert env.get_template("t.html").render() == "two"


# Word counts and the proofreading scan take faster paths on ASCII text: the same counts and matches.
_TEXT_CHARS = "aZé9_'’-— .,;:()\0\t\n\x1c\x1fAnTheanthe"


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=_TEXT_CHARS, max_size=40))
def test_fast_word_counts_and_suspects_match_the_patterns(text):
    from pipeline.content.proofread import _ASCII_SUSPECT, _SUSPECT
    from pipeline.site.pairpage import _WORDS, _words_in

    assert _words_in(text) == len(_WORDS.findall(text))
    if text.isascii():
        assert [m.groups() for m in _ASCII_SUSPECT.finditer(text)] == [m.groups() for m in _SUSPECT.finditer(text)]
