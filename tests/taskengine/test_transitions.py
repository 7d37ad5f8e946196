from __future__ import annotations

import pytest

from runtime.taskengine.schema import Branch, Transition
from runtime.taskengine.transitions import TransitionError, matches, next_task_id, parse_number


@pytest.mark.parametrize(
    ("operator", "value", "when", "expected"),
    [
        ("equals", "yes", "yes", True),
        ("equals", "yes", "no", False),
        ("contains", "a big cat", "big", True),
        ("contains", "a cat", "dog", False),
        ("starts_with", "/search x", "/search", True),
        ("starts_with", "x /search", "/search", False),
        ("ends_with", "file.txt", ".txt", True),
        ("ends_with", "file.txt", ".md", False),
        (">", "8", "5", True),
        ("gt", "score: 3", "5", False),
        ("<", "'4'", "5", True),
        ("lt", "6", "5", False),
        ("in_range", "7", "5-8", True),
        ("in_range", "9.5", "5-8", False),
    ],
)
def test_operators_compare_the_eval_with_when(
    operator: str, value: str, when: str, expected: bool
) -> None:
    assert matches(operator, value, when) is expected


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("5", "invalid inrange format: 5"),
        ("a-8", "invalid lower bound"),
        ("9-2", "invalid range: lower bound 9 > upper bound 2"),
    ],
)
def test_in_range_rejects_bad_ranges(when: str, message: str) -> None:
    with pytest.raises(TransitionError, match=message):
        matches("in_range", "5", when)


def test_unknown_operator_is_unsupported() -> None:
    with pytest.raises(TransitionError, match="unsupported operator: nearly"):
        matches("nearly", "a", "b")


@pytest.mark.parametrize(
    ("text", "number"), [(" 42 ", 42.0), ('"3.5"', 3.5), ("about -2 units", -2.0)]
)
def test_parse_number_extracts_the_first_number(text: str, number: float) -> None:
    assert parse_number(text) == number


@pytest.mark.parametrize(("text", "message"), [("  ", "empty string"), ("none", "no valid number")])
def test_parse_number_fails_without_a_number(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_number(text)


def test_default_branch_is_tried_last_and_empty_goto_means_end() -> None:
    transition = Transition(
        branches=[
            Branch(operator="default", goto="fallback"),
            Branch(operator="equals", when="x", goto=""),
        ]
    )
    assert next_task_id(transition, "x") == "end"
    assert next_task_id(transition, "y") == "fallback"


def test_no_matching_branch_is_an_error() -> None:
    with pytest.raises(TransitionError, match="no matching transition found for eval: y"):
        next_task_id(Transition(), "y")
