"""A confined search: a task's own folder can narrow the confining one, never widen it."""

from __future__ import annotations

import pytest

from runtime.knowledge.names import narrow


@pytest.mark.parametrize(
    ("outer", "inner", "searched"),
    [
        ("", "", ""),  # nothing confines, nothing asked: everywhere
        ("", "/b", "/b"),
        ("/docs", "", "/docs"),
        ("/docs", "/docs", "/docs"),
        ("/docs", "/docs/eu", "/docs/eu"),  # narrower: kept
        ("/docs/eu", "/docs", "/docs/eu"),  # wider: the confinement holds
        ("/docs", "/other", None),  # elsewhere: nothing
        ("/docs", "/docsextra", None),  # a longer name is not a subfolder
    ],
)
def test_a_folder_is_narrowed_within_the_confining_one(
    outer: str, inner: str, searched: str | None
) -> None:
    assert narrow(outer, inner) == searched
