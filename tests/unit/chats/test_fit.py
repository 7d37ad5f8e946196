"""The history fitting policy: instructions always, latest whole turns, never half a message."""

from __future__ import annotations

import pytest

from runtime import errors
from runtime.chats.fit import budget, cost, fit
from runtime.chats.types import Role


def chat(*pairs: tuple[Role, str]) -> list[tuple[str, str]]:
    return [(role.value, text) for role, text in pairs]


def test_everything_is_kept_when_it_fits() -> None:
    history = chat((Role.SYSTEM, "be kind"), (Role.USER, "a"), (Role.ASSISTANT, "b"))
    assert fit(history, "c", 1000) == history


def test_old_turns_are_dropped_first_and_instructions_always_kept() -> None:
    history = chat(
        (Role.USER, "q" * 40),
        (Role.ASSISTANT, "a" * 40),
        (Role.SYSTEM, "rule"),
        (Role.USER, "r" * 40),
        (Role.ASSISTANT, "b" * 40),
    )
    turn = cost("q" * 40) + cost("a" * 40)
    room = cost("rule") + cost("new") + turn
    kept = fit(history, "new", room)
    assert [content for _, content in kept] == ["rule", "r" * 40, "b" * 40]
    assert fit(history, "new", room - 1) == [history[2]]  # no half turn, no half message


def test_instructions_and_message_that_do_not_fit_are_refused() -> None:
    with pytest.raises(errors.InvalidInputError, match="context window"):
        fit(chat((Role.SYSTEM, "x" * 400)), "hello", 50)


def test_a_quarter_of_the_window_is_left_for_the_answer() -> None:
    assert budget(2048) == 1536
    assert budget(0) == 0
