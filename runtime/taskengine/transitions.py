"""Branch selection: operators over the handler's transition eval (SPEC 8.6). Pure functions."""

from __future__ import annotations

import re
from collections.abc import Callable

from runtime.taskengine.schema import END, Operator, Transition

_NUMBER = re.compile(r"[-+]?\d*\.?\d+")
_RANGE_PARTS = 2


class TransitionError(ValueError):
    """No branch matches, or a branch cannot be evaluated."""


def parse_number(text: str) -> float:
    """Trim, drop quotes and spaces, parse; else take the first number in the text."""
    cleaned = text.strip().replace('"', "").replace("'", "").replace(" ", "")
    if not cleaned:
        raise ValueError("cannot parse number from empty string")
    try:
        return float(cleaned)
    except ValueError:
        match = _NUMBER.search(cleaned)
        if match is None:
            raise ValueError(f'no valid number found in "{text}"') from None
        return float(match.group())


def _in_range(value: str, when: str) -> bool:
    parts = when.split("-")
    if len(parts) != _RANGE_PARTS:
        raise TransitionError(f"invalid inrange format: {when} (expected 'min-max')")
    try:
        low = parse_number(parts[0])
    except ValueError as exc:
        raise TransitionError(f'invalid lower bound in range "{when}": {exc}') from exc
    try:
        high = parse_number(parts[1])
    except ValueError as exc:
        raise TransitionError(f'invalid upper bound in range "{when}": {exc}') from exc
    if low > high:
        raise TransitionError(f"invalid range: lower bound {low:g} > upper bound {high:g}")
    try:
        number = parse_number(value)
    except ValueError as exc:
        raise TransitionError(f'failed to parse response as number: "{value}": {exc}') from exc
    return low <= number <= high


def _compare(value: str, when: str, *, greater: bool) -> bool:
    try:
        left, right = parse_number(value), parse_number(when)
    except ValueError as exc:
        raise TransitionError(str(exc)) from exc
    return left > right if greater else left < right


_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    Operator.EQUALS: lambda value, when: value == when,
    Operator.CONTAINS: lambda value, when: when in value,
    Operator.STARTS_WITH: lambda value, when: value.startswith(when),
    Operator.ENDS_WITH: lambda value, when: value.endswith(when),
    Operator.GREATER: lambda value, when: _compare(value, when, greater=True),
    Operator.GT: lambda value, when: _compare(value, when, greater=True),
    Operator.LESS: lambda value, when: _compare(value, when, greater=False),
    Operator.LT: lambda value, when: _compare(value, when, greater=False),
    Operator.IN_RANGE: _in_range,
}


def matches(operator: str, value: str, when: str) -> bool:
    """Whether `operator(value, when)` holds; unknown operator → `TransitionError`."""
    check = _OPERATORS.get(operator)
    if check is None:
        raise TransitionError(f"unsupported operator: {operator}")
    return check(value, when)


def next_task_id(transition: Transition, value: str) -> str:
    """The `goto` of the first matching branch (then the first `default`); `end` when it ends."""
    for branch in transition.branches:
        if branch.operator != Operator.DEFAULT and matches(branch.operator, value, branch.when):
            return branch.goto or END
    for branch in transition.branches:
        if branch.operator == Operator.DEFAULT:
            return branch.goto or END
    raise TransitionError(f"no matching transition found for eval: {value}")
