"""The page contexts are a contract (pipeline/content/page_context.py), checked both ways, as
datasette's tests/test_template_context.py does for its templates:

- every variable a page template reads (with what it extends and includes) is declared: the top-level
  names by jinja2.meta.find_undeclared_variables, and each `page.x.y`, loop variable and `with`
  variable by walking the template's syntax tree against the declared TypedDicts;
- every context a real build renders has exactly the declared keys of its kind.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path

import jinja2
import pytest
from jinja2 import meta, nodes

from pipeline.content.page_context import PAGE_CONTEXTS, TEMPLATE_GLOBALS, Finished, SiteContext
from pipeline.site import render as render_module
from pipeline.site.render import TEMPLATES, environment

ROOT = Path(__file__).resolve().parent.parent
ENV = environment(ROOT / "templates")
LOOP = object()  # Jinja's `loop` inside a for: its attributes are Jinja's own
OPAQUE = object()  # a value whose attributes are not declared (str, Markup, a function)


def _page_type(kind: str) -> type:
    """The context a template sees as `page`: the kind's context with render.finish's keys."""
    return typing.TypedDict(
        f"Finished{PAGE_CONTEXTS[kind].__name__}", {**_keys(PAGE_CONTEXTS[kind]), **_keys(Finished)}
    )


def _keys(typed: type) -> dict[str, object]:
    return typing.get_type_hints(typed)


def _is_typed_dict(t: object) -> bool:
    return isinstance(t, type) and typing.is_typeddict(t)


def _strip_optional(t: object) -> object:
    if typing.get_origin(t) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(t) if a is not type(None)]
        return args[0] if len(args) == 1 else OPAQUE
    return t


def _element(t: object) -> object:
    t = _strip_optional(t)
    if typing.get_origin(t) in (list, tuple) and typing.get_args(t):
        return typing.get_args(t)[0]
    return OPAQUE


class _Checker:
    """Walks a template's tree with the types of the names in scope; collects undeclared reads."""

    def __init__(self, env: jinja2.Environment = ENV):
        self.env = env
        self.problems: list[str] = []

    def template(self, name: str, scope: dict[str, object]) -> None:
        source = self.env.loader.get_source(self.env, name)[0]
        self.walk(self.env.parse(source), scope, name)

    def type_of(self, node: nodes.Node, scope: dict[str, object], where: str) -> object:
        if isinstance(node, nodes.Name):
            if node.name not in scope:
                self.problems.append(f"{where}: '{node.name}' is not a template variable")
                return OPAQUE
            return scope[node.name]
        attr = None
        if isinstance(node, nodes.Getattr):
            attr = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            attr = node.arg.value
        if attr is None:
            self.walk(node, scope, where)
            return OPAQUE
        owner = _strip_optional(self.type_of(node.node, scope, where))
        if owner is LOOP or owner is OPAQUE or not _is_typed_dict(owner):
            return OPAQUE
        declared = _keys(owner)
        if attr not in declared:
            self.problems.append(
                f"{where}: '{_path(node)}' reads '{attr}', which {owner.__name__} does not declare "
                "(pipeline/content/page_context.py)"
            )
            return OPAQUE
        return declared[attr]

    def walk(self, node: nodes.Node, scope: dict[str, object], where: str) -> None:
        if isinstance(node, nodes.Extends | nodes.Include):
            self.template(node.template.value, scope)
            return
        if isinstance(node, nodes.For):
            item = _element(self.type_of(node.iter, scope, where))
            inner = {**scope, "loop": LOOP, **_bind(node.target, item)}
            for child in (*node.body, *node.else_, *([node.test] if node.test else [])):
                self.walk(child, inner, where)
            return
        if isinstance(node, nodes.With):
            inner = dict(scope)
            for target, value in zip(node.targets, node.values):
                inner.update(_bind(target, self.type_of(value, scope, where)))
            for child in node.body:
                self.walk(child, inner, where)
            return
        if isinstance(node, nodes.Name | nodes.Getattr | nodes.Getitem):
            self.type_of(node, scope, where)
            return
        for child in node.iter_child_nodes():
            self.walk(child, scope, where)


def _bind(target: nodes.Node, t: object) -> dict[str, object]:
    if isinstance(target, nodes.Name):
        return {target.name: t}
    return {n.name: OPAQUE for n in target.find_all(nodes.Name)}


def _path(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_path(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem):
        return f"{_path(node.node)}[{node.arg.value!r}]"
    return "…"


def _closure(name: str) -> list[str]:
    seen: list[str] = []
    todo = [name]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.append(current)
            todo += [r for r in meta.find_referenced_templates(ENV.parse(ENV.loader.get_source(ENV, current)[0])) if r]
    return seen


def test_every_page_kind_has_a_declared_context():
    assert sorted(TEMPLATES) == sorted(PAGE_CONTEXTS), (
        "each key of pipeline.site.render.TEMPLATES needs its context in page_context.PAGE_CONTEXTS"
    )


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_templates_read_only_declared_variables(kind):
    top = {"page", "site", *TEMPLATE_GLOBALS}
    for name in _closure(TEMPLATES[kind]):
        if name.rsplit("/", 1)[-1].startswith("_") and name != "_base.html":
            continue  # a partial: its variables are the includer's (checked by the walk below)
        undeclared = meta.find_undeclared_variables(ENV.parse(ENV.loader.get_source(ENV, name)[0])) - top
        assert not undeclared, f"{name} reads {sorted(undeclared)}, which render() does not pass"
    checker = _Checker()
    scope = {"page": _page_type(kind), "site": SiteContext, **dict.fromkeys(TEMPLATE_GLOBALS, OPAQUE)}
    checker.template(TEMPLATES[kind], scope)
    assert not checker.problems, "\n".join(checker.problems)


def test_an_undeclared_key_is_caught():
    """The walk sees through loops, `with` and includes: a misspelt key anywhere is reported."""
    env = environment(ROOT / "templates")
    env.loader = jinja2.DictLoader(
        {
            "t.html": "{% for s in page.strategies %}{{ s.titel }}{% endfor %}"
            '{% with cta = page.cta %}{% include "c.html" %}{% endwith %}',
            "c.html": "{{ cta.brnad }}{{ page.a.nmae }}{{ site.name }}{{ page.reviewer.name }}",
        }
    )
    checker = _Checker(env)
    checker.template("t.html", {"page": _page_type("pair"), "site": SiteContext})
    assert [p.split("'")[3] for p in checker.problems] == ["titel", "brnad", "nmae"], checker.problems


def test_built_contexts_have_exactly_the_declared_keys(tmp_path, monkeypatch):
    """Every page the small fixture's build renders: its context's keys are its kind's declared keys."""
    from pipeline.config import load_config
    from pipeline.site import build as build_module
    from pipeline.site import pairpage, sitepages

    seen: dict[str, set[frozenset[str]]] = {}
    site_keys: set[frozenset[str]] = set()
    real = render_module.render

    def spy(env, page, site):
        seen.setdefault(page["kind"], set()).add(frozenset(page))
        site_keys.add(frozenset(site))
        return real(env, page, site)

    monkeypatch.setattr(pairpage, "render", spy)
    monkeypatch.setattr(sitepages, "render", spy)
    monkeypatch.setenv("BRINGWISE_BUILD_CACHE", str(tmp_path / "cache"))
    inputs = build_module.load_inputs(
        ROOT / "tests" / "fixtures" / "small", ROOT / "templates", load_config(ROOT / "site.toml")
    )
    build_module.build(inputs, tmp_path / "out", workers=1, progress=False)
    assert {"pair", "hub", "index", "about", "404"} <= set(seen)
    for kind, key_sets in seen.items():
        declared = set(_keys(_page_type(kind)))
        for keys in key_sets:
            assert set(keys) == declared, (
                f"{kind} context: not declared {sorted(set(keys) - declared)}, declared but missing "
                f"{sorted(declared - set(keys))} (pipeline/content/page_context.py)"
            )
    assert site_keys == {frozenset(_keys(SiteContext))}
