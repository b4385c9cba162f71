"""The content, site and engines rooms and the command line keep to the size limits (no module over
600 lines, no function over 60), so that each part of a page's context, and each stage of a build, can
be read on one screen."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PIPELINE = Path(__file__).resolve().parent.parent / "pipeline"
CONTENT = PIPELINE / "content"
MODULES = sorted(CONTENT.glob("*.py")) + sorted(
    [
        *(PIPELINE / "site").glob("*.py"),
        *(PIPELINE / "engines").glob("*.py"),
        PIPELINE / "cli.py",
        PIPELINE / "cli_args.py",
    ]
)


@pytest.mark.parametrize("path", MODULES, ids=[p.relative_to(PIPELINE).as_posix() for p in MODULES])
def test_content_modules_and_functions_are_short(path):
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 600, f"{path.name} has {len(text.splitlines())} lines"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno + 1 > 60
    ]
    assert not long, f"{path.name}: functions over 60 lines: {', '.join(long)}"
