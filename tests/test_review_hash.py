"""The review input hash: stable over formatting, changed by any edit, and says which part changed."""

from __future__ import annotations

import pytest

from pipeline.data.load import parse_csv
from pipeline.data.review_hash import changed_parts, input_hash
from pipeline.data.validate import REQUIRED, validate_pairs

A = {"description": "Anxiety is worry.", "sources": ("https://a.org/1", "https://a.org/2")}
B = {"description": "Sleep is rest.", "sources": "https://b.org/1"}
PAIR = {"relationship": "They connect.\n\nA second paragraph.", "sources": ""}


def test_hash_is_twelve_hex_digits_and_ignores_formatting():
    h = input_hash(A, B, PAIR)
    assert len(h) == 12 and int(h, 16) >= 0
    same = input_hash(
        {"description": "  Anxiety is worry. ", "sources": "https://a.org/2   https://a.org/1"},
        {"description": "Sleep is rest.", "sources": ["https://b.org/1"]},
        {"relationship": "They connect.\r\n\r\nA second paragraph.", "sources": None},
    )
    assert same == h


@pytest.mark.parametrize(
    "edit, part",
    [
        (lambda a, b, p: a.update(description="Anxiety is fear."), "topic_a"),
        (lambda a, b, p: b.update(sources="https://b.org/1 https://b.org/2"), "topic_b"),
        (lambda a, b, p: p.update(relationship="They do not connect."), "pair"),
    ],
)
def test_an_edit_changes_the_hash_and_names_its_part(edit, part):
    stored = input_hash(A, B, PAIR)
    a, b, p = dict(A), dict(B), dict(PAIR)
    edit(a, b, p)
    assert input_hash(a, b, p) != stored
    assert changed_parts(stored, a, b, p) == [part]
    assert changed_parts(stored, A, B, PAIR) == []


def test_pairs_csv_input_hash_must_be_twelve_hex_digits():
    table, problems = parse_csv(
        b"topic_a,topic_b,status,input_hash\na,b,approved,0123456789AB\na,c,approved,not-a-hash\n",
        "pairs.csv",
        REQUIRED["pairs"],
    )
    pairs, more = validate_pairs(table, {"a", "b", "c"})
    assert list(pairs.input_hash) == ["0123456789ab"]
    assert [(p.line, p.column) for p in more] == [(3, "input_hash")]
    assert "not 12 hex digits" in more[0].message
